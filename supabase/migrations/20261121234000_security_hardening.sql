-- Security hardening, from a probing review of the live room and catalogue:
-- 1. session_meeting_details: meeting URL and password only for staff and confirmed bookings (a
--    public session's walk-in viewers, who joined without a seat, and banned users get none).
-- 2. calendar_feed_events: a session the user only set a reminder on leaves the feed when it turns
--    private (unless they are staff or booked), and a banned user's feed drops the session.
-- 3. Sessions can be attached only to the caller's own events and programs (admins: any).
-- 4. Banned users no longer read a session's streams, polls, questions and surveys (a kicked viewer
--    keeps no stream URL); poll_results follows.
-- 5. Room assignments are written only through assign_room / unassign_room / assign_rooms_randomly
--    (their membership, ban and open-room checks can no longer be skipped by a direct insert).
-- 6. private.session_host answers only for sessions the caller may read (defence in depth: it is
--    executable by anon for session_cards).
-- Tables touched: sessions (trigger), streams, polls, questions, surveys (policies), room_assignments
-- (grants, policies).

-- 1 ---------------------------------------------------------------------------------------------
create or replace function public.session_meeting_details(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_session public.sessions;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_meeting_details.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  if not private.is_session_staff(v_session.id) then
    if private.is_banned(v_session.id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session.id));
    end if;
    if not exists (select 1 from public.bookings b
                   where b.session_id = v_session.id and b.user_id = v_uid and b.status = 'confirmed') then
      perform private.raise_error('forbidden', 'Only staff and confirmed bookings get the meeting details.',
        jsonb_build_object('session_id', v_session.id));
    end if;
  end if;
  return jsonb_build_object('session_id', v_session.id, 'meeting_url', v_session.meeting_url,
                            'meeting_password', v_session.meeting_password);
end;
$$;
comment on function public.session_meeting_details(uuid) is
  'Meeting URL and password of a session, for its staff and confirmed bookings only (not for walk-in viewers of a '
  'public session, waitlisted users or banned users). Errors: not_authenticated, not_found (session invisible), '
  'banned, forbidden.';

-- 2 ---------------------------------------------------------------------------------------------
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
    -- Active bookings, and the bookings that cancel_session cancelled (the cascade stamps every active
    -- booking of the session with one cancelled_at, the latest of the session), so that a cancelled
    -- session stays in the feed as STATUS:CANCELLED even without reminders.
    select b.session_id, b.status as booking_status
    from feed
    join public.bookings b on b.user_id = feed.user_id
    join public.sessions s on s.id = b.session_id
    where b.status in ('confirmed', 'waitlisted')
       or (b.status = 'cancelled' and s.status = 'cancelled'
           and b.cancelled_at = (select max(b2.cancelled_at) from public.bookings b2 where b2.session_id = b.session_id))
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

-- 3 ---------------------------------------------------------------------------------------------
-- A trigger rather than a policy: a co-host may keep editing a session that an admin attached to
-- someone else's event; only changing the attachment is checked.
create function private.sessions_check_attachment()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  -- postgres, service_role and migrations (no user) are trusted.
  if v_uid is null or private.is_admin() then
    return new;
  end if;
  if new.event_id is not null
     and (tg_op = 'INSERT' or new.event_id is distinct from old.event_id)
     and not exists (select 1 from public.events e
                     left join public.programs p on p.id = e.program_id
                     where e.id = new.event_id and (e.created_by = v_uid or p.created_by = v_uid)) then
    perform private.raise_error('forbidden', 'Sessions can only be added to your own events.',
      jsonb_build_object('field', 'event_id', 'event_id', new.event_id));
  end if;
  if new.program_id is not null
     and (tg_op = 'INSERT' or new.program_id is distinct from old.program_id)
     and new.event_id is not distinct from (case when tg_op = 'INSERT' then null else old.event_id end)
     and not exists (select 1 from public.programs p where p.id = new.program_id and p.created_by = v_uid) then
    perform private.raise_error('forbidden', 'Sessions can only be added to your own programs.',
      jsonb_build_object('field', 'program_id', 'program_id', new.program_id));
  end if;
  return new;
end;
$$;
comment on function private.sessions_check_attachment() is
  'Trigger: a session is attached (event_id, program_id) only to events and programs the caller created (or whose '
  'program they created); admins and trusted roles are exempt. Security definer: reads events and programs across RLS.';
revoke execute on function private.sessions_check_attachment() from public, anon, authenticated;

-- Runs after sessions_fill_program_from_event (alphabetical order of BEFORE triggers), so a program
-- taken from the caller's own event passes.
create trigger sessions_zz_check_attachment
  before insert or update of event_id, program_id on public.sessions
  for each row execute function private.sessions_check_attachment();

-- 4 ---------------------------------------------------------------------------------------------
alter policy "members can read the streams of their sessions" on public.streams
  using (session_id in (select private.my_chat_session_ids())
    and (source_type <> 'rtmp' or session_id in (select private.staff_session_ids())));
alter policy "members read non-draft polls and staff all polls" on public.polls
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));
alter policy "members read published questions, authors their own and staff a" on public.questions
  using ((status in ('published', 'answered') and session_id in (select private.my_chat_session_ids()))
    or user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));
alter policy "members read non-draft surveys and staff all surveys" on public.surveys
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

create or replace function public.poll_results(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_staff boolean;
begin
  if v_uid is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_results.poll_id;
  v_staff := v_uid is null or private.is_session_staff(v_poll.session_id, array['host', 'moderator']);
  if v_poll.id is null or not (v_staff or (v_poll.status <> 'draft'
                                           and private.is_session_member(v_poll.session_id)
                                           and not private.is_banned(v_poll.session_id, v_uid))) then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  if v_staff
     or v_poll.results_visibility = 'live'
     or (v_poll.results_visibility = 'after_vote'
         and exists (select 1 from public.poll_ballots b where b.poll_id = v_poll.id and b.user_id = v_uid))
     or (v_poll.results_visibility = 'after_close' and v_poll.status = 'closed') then
    return query select t.option_id, t.label, t."position", t.votes, t.share, t.voters from private.poll_tally(v_poll.id) t;
  end if;
end;
$$;

-- 5 ---------------------------------------------------------------------------------------------
drop policy "hosts and moderators can assign rooms" on public.room_assignments;
drop policy "hosts and moderators can remove room assignments" on public.room_assignments;
revoke insert, delete on public.room_assignments from authenticated;

-- 6 ---------------------------------------------------------------------------------------------
create or replace function private.session_host(session_id uuid)
returns table (user_id uuid, display_name text)
language plpgsql stable security definer set search_path = '' as $$
begin
  if not exists (select 1 from public.sessions s
                 where s.id = session_host.session_id
                   and ((s.visibility = 'public' and s.status in ('scheduled', 'live', 'ended'))
                        or private.can_see_session(s.id))) then
    return;
  end if;
  return query
    select st.user_id, p.display_name
    from public.session_staff st
    left join public.profiles p on p.id = st.user_id
    where st.session_id = session_host.session_id and st.role = 'host'
    order by st.created_at, st.user_id
    limit 1;
end;
$$;
comment on function private.session_host(uuid) is
  'The first host of a session and their display name, for session_cards and calendars; nothing for a session the '
  'caller may not read. Security definer: visitors cannot read session_staff or profiles.';
