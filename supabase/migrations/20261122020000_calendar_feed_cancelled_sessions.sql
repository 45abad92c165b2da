-- The calendar feed no longer brings back a session whose booking its user had cancelled.
--
-- Why: calendar_feed_events kept a cancelled booking of a cancelled session when its cancelled_at was
-- the latest of the session's bookings, meaning "cancelled by the session's cancellation" (the cascade
-- stamps every active booking with the same time). When the cancellation cancelled no booking at all,
-- the latest cancelled_at was a user's own earlier cancellation: that user got the session back in
-- their feed, as STATUS:CANCELLED with its current title and description, even for a private session
-- they could no longer see.
--
-- Now the seat row of a session records when it was cancelled (sessions_sync_seats, which already
-- runs in the cancelling transaction, before the cascade): the feed keeps a cancelled booking only
-- when it was cancelled at exactly that time, by the cascade. Sessions cancelled before this
-- migration get the time of their session_cancelled notifications (the cascade writes one per booking
-- it cancels, in the same transaction); without any, none of their cancelled bookings is kept.

alter table private.session_seats add column cancelled_at timestamptz;
comment on column private.session_seats.cancelled_at is
  'When the session was cancelled (set by sessions_sync_seats; null unless cancelled). The bookings the cancellation '
  'cancelled carry the same cancelled_at.';

update private.session_seats ss
   set cancelled_at = c.cancelled_at
  from (select (n.data ->> 'session_id')::uuid as session_id, max(n.created_at) as cancelled_at
        from public.notifications n
        where n.kind = 'session_cancelled'
        group by 1) c
  join public.sessions s on s.id = c.session_id
 where ss.session_id = c.session_id
   and s.status = 'cancelled';

create or replace function private.sessions_sync_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update private.session_seats ss
     set status = new.status, capacity = new.capacity, waitlist_enabled = new.waitlist_enabled,
         cancelled_at = case when new.status <> 'cancelled' then null
                             when old.status = 'cancelled' then ss.cancelled_at
                             else now() end
   where ss.session_id = new.id;
  return new;
end;
$$;
comment on function private.sessions_sync_seats() is
  'Trigger: copies status, capacity and waitlist_enabled of a session to its seat row (taking the seat lock) and '
  'stamps cancelled_at when the session is cancelled. Internal.';

create or replace function public.calendar_feed_events(token text)
returns table (session_id uuid, title text, description text, starts_at timestamptz, duration_minutes integer,
               timezone text, status text, sequence integer, updated_at timestamptz, host_name text, link text,
               reminder_minutes integer[], booking_status text)
language sql stable security definer set search_path = '' as $$
  with feed as (
    select f.user_id
    from public.calendar_feeds f
    where f.token_hash = private.calendar_token_hash(calendar_feed_events.token)
      and f.revoked_at is null
  ),
  mine as (
    -- Active bookings, and the bookings that the session's cancellation cancelled (the cascade stamps
    -- them with the cancellation time, kept in the seat row), so that a cancelled session stays in the
    -- feed as STATUS:CANCELLED even without reminders. A booking its user cancelled earlier does not
    -- bring the session back.
    select b.session_id, b.status as booking_status
    from feed
    join public.bookings b on b.user_id = feed.user_id
    join public.sessions s on s.id = b.session_id
    where b.status in ('confirmed', 'waitlisted')
       or (b.status = 'cancelled' and s.status = 'cancelled'
           and b.cancelled_at = (select ss.cancelled_at from private.session_seats ss where ss.session_id = b.session_id))
    union
    -- Reminder-only sessions while the user may still see them (the rule of private.send_due_reminders).
    select r.session_id, null
    from feed
    join public.session_reminders r on r.user_id = feed.user_id
    join public.sessions s on s.id = r.session_id
    where s.visibility <> 'private'
       or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = feed.user_id)
       or exists (select 1 from public.bookings b
                  where b.session_id = s.id and b.user_id = feed.user_id and b.status <> 'cancelled')
  ),
  picked as (
    select m.session_id, max(m.booking_status) as booking_status
    from mine m
    group by m.session_id
  )
  select s.id,
         s.title,
         s.description,
         s.starts_at,
         s.duration_minutes,
         s.timezone,
         s.status,
         s.sequence,
         s.updated_at,
         (select p.display_name
            from public.session_staff st
            join public.profiles p on p.id = st.user_id
           where st.session_id = s.id and st.role = 'host'
           order by st.created_at, st.user_id
           limit 1),
         '/sessions/' || s.id::text,
         coalesce((select array_agg(distinct r.minutes_before order by r.minutes_before)
                     from feed join public.session_reminders r on r.user_id = feed.user_id
                    where r.session_id = s.id), '{}'::int[]),
         picked.booking_status
  from picked
  join public.sessions s on s.id = picked.session_id
  -- A draft was never published: it has no place in anyone's calendar; a ban removes the session.
  where s.status <> 'draft'
    and not exists (select 1 from feed join public.session_bans bn on bn.user_id = feed.user_id
                    where bn.session_id = s.id)
  order by s.starts_at, s.id
$$;
comment on function public.calendar_feed_events(text) is
  'Feed content for a calendar token: one row per session the token''s user has booked (confirmed or '
  'waitlisted) or set a reminder for, cancelled sessions included (for STATUS:CANCELLED) when their cancellation '
  'cancelled the user''s booking, drafts and sessions the user is banned from excluded; host_name is the first '
  'host''s display name, link the app path of the session, reminder_minutes the user''s reminders (ascending), '
  'booking_status confirmed/waitlisted (cancelled: the session''s cancellation cancelled it; null: reminder only). '
  'No rows for an unknown or revoked token. service_role only: used by the calendar Edge Function.';
