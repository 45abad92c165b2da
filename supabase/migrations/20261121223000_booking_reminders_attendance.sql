-- Booking, reminders, notifications and attendance.
-- Adds: book_session / cancel_booking (seat limits, waitlist with promotion, cancel_session cascade),
-- notifications (+ notification_preferences, mark_notifications_read, private.notify, `notification`
-- broadcast on user:<id>), session reminders (set_reminder, default reminders, the pg_cron job
-- `session-reminders` running private.send_due_reminders()), attendance (attendance_intervals,
-- join_session / heartbeat / leave_session, private.viewer_count, session_viewer_stats with the
-- throttled `viewer_count` broadcast, session_attendance_report with private.engagement_inputs).
-- Tables: notifications, notification_preferences, session_reminders, attendance_intervals,
-- session_viewer_stats (new); bookings (new constraint, triggers); sessions (triggers).
-- Redefines objects of 20261121222000_sessions_catalogue.sql with `create or replace`:
-- private.my_session_ids() (adds attendees of public sessions) and the view session_cards (adds
-- viewer_count and has_reminder at the end).
-- Hooks for later migrations: private.is_banned(session_id, user_id) returns false here and is
-- replaced by the chat migration (session_bans); private.engagement_inputs(session_id) counts chat
-- messages, questions and upvotes when those tables exist and is replaced by the Q&A/polls migration.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  title text not null,
  body text,
  link text,
  data jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_kind_format check (kind ~ '^[a-z][a-z0-9_]{0,49}$'),
  constraint notifications_title_length check (char_length(title) between 1 and 200),
  constraint notifications_body_length check (body is null or char_length(body) <= 2000),
  constraint notifications_link_length check (link is null or char_length(link) <= 2048),
  constraint notifications_data_object check (jsonb_typeof(data) = 'object')
);
comment on table public.notifications is
  'In-app notifications of one user (own rows only). Created by the backend through private.notify(); each new row '
  'is broadcast as `notification` {id, kind, title, link} on user:<user_id>. The user marks rows read '
  '(mark_notifications_read or update of read_at) and deletes them.';
comment on column public.notifications.kind is
  'What happened: session_reminder, booking_promoted, session_cancelled, ... (lower-case word with underscores).';
comment on column public.notifications.link is 'App path to open, e.g. /sessions/<id>.';
comment on column public.notifications.data is 'Machine-readable details of the kind (e.g. session_id, starts_at).';
comment on column public.notifications.read_at is 'When the user read it; null = unread. The only column a user may update.';

create table public.notification_preferences (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  kind text not null,
  in_app boolean not null default true,
  email boolean not null default true,
  push boolean not null default true,
  default_reminders boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (user_id, kind),
  constraint notification_preferences_kind_format check (kind ~ '^[a-z][a-z0-9_]{0,49}$'),
  constraint notification_preferences_default_reminders_only_for_reminders
    check (default_reminders or kind = 'session_reminder')
);
comment on table public.notification_preferences is
  'Per user and notification kind: which channels deliver it. No row = every channel on. in_app = false means no '
  'notifications row (and no broadcast) is created for that kind. Own rows only.';
comment on column public.notification_preferences.default_reminders is
  'Only meaningful on the kind session_reminder row: false opts out of the default reminders (24 h and 15 min before) '
  'that a booking adds. Must stay true on every other kind.';

create table public.session_reminders (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  minutes_before int not null default 15,
  created_at timestamptz not null default now(),
  notified_at timestamptz,
  constraint session_reminders_minutes_before_range check (minutes_before between 1 and 10080),
  constraint session_reminders_unique unique (session_id, user_id, minutes_before)
);
comment on table public.session_reminders is
  'A user''s reminder for a session, minutes_before its start. Created by set_reminder() and, for bookings, as the '
  'defaults 1440 and 15 (unless notification_preferences.default_reminders is false); the owner deletes it through '
  'the table. The pg_cron job session-reminders turns due ones into session_reminder notifications, once each.';
comment on column public.session_reminders.minutes_before is 'How long before starts_at to remind, 1 to 10080 minutes (7 days).';
comment on column public.session_reminders.notified_at is
  'When the reminder was sent; null = pending. Reset to null when the session is rescheduled.';

create table public.attendance_intervals (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  connection_id text not null default 'default',
  joined_at timestamptz not null default now(),
  last_heartbeat_at timestamptz not null default now(),
  left_at timestamptz,
  constraint attendance_intervals_connection_id_length check (char_length(connection_id) between 1 and 100),
  constraint attendance_intervals_heartbeat_after_join check (last_heartbeat_at >= joined_at),
  constraint attendance_intervals_left_after_join check (left_at is null or left_at >= joined_at)
);
comment on table public.attendance_intervals is
  'One row per presence interval of a user''s connection in a session: opened by join_session (or a heartbeat after a '
  'gap), kept alive by heartbeat, closed by leave_session, by the session ending, or implicitly 60 s after the last '
  'heartbeat. Users read their own; hosts and moderators read their session''s. Written only by the RPCs.';
comment on column public.attendance_intervals.connection_id is
  'Client-chosen id of one connection (tab, device); ''default'' when the client passes none.';
comment on column public.attendance_intervals.left_at is
  'When the connection left; null while open. An open interval without a heartbeat for 60 s counts as ended at its last heartbeat.';

create table public.session_viewer_stats (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  peak_viewers int not null default 0,
  peak_at timestamptz,
  last_broadcast_at timestamptz not null default '-infinity',
  last_broadcast_count int,
  constraint session_viewer_stats_peak_not_negative check (peak_viewers >= 0)
);
comment on table public.session_viewer_stats is
  'Per session: the peak of the computed viewer count (private.viewer_count) and the state of the viewer_count '
  'broadcast throttle (at most one broadcast per 2 s). Members of the session read it; only triggers write it.';
comment on column public.session_viewer_stats.last_broadcast_at is 'When viewer_count was last broadcast on session:<id>.';
comment on column public.session_viewer_stats.last_broadcast_count is 'The viewer count sent in that broadcast.';

-- Waitlist positions are unique per session (checked at commit, so renumbering can shift them).
alter table public.bookings
  add constraint bookings_waitlist_position_unique unique (session_id, waitlist_position) deferrable initially deferred;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index notifications_user_id_created_at_idx on public.notifications (user_id, created_at desc);
create index notifications_user_id_unread_idx on public.notifications (user_id) where read_at is null;
create index session_reminders_user_id_idx on public.session_reminders (user_id);
-- The reminder job drives from the sessions starting soon to their pending reminders.
create index session_reminders_pending_idx on public.session_reminders (session_id) where notified_at is null;
create index attendance_intervals_session_id_idx on public.attendance_intervals (session_id, user_id);
create index attendance_intervals_user_id_idx on public.attendance_intervals (user_id, session_id);
-- At most one open interval per connection; also the lookup of join/heartbeat/leave.
create unique index attendance_intervals_one_open_per_connection
  on public.attendance_intervals (session_id, user_id, connection_id) where left_at is null;
-- private.viewer_count: the open intervals of a session by heartbeat.
create index attendance_intervals_open_heartbeat_idx
  on public.attendance_intervals (session_id, last_heartbeat_at) where left_at is null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Hook for the chat migration, which replaces it (same signature) to read session_bans.
create function private.is_banned(session_id uuid, user_id uuid)
returns boolean
language sql stable set search_path = '' as $$
  select false
$$;
comment on function private.is_banned(uuid, uuid) is
  'True when the user is banned from the session. Returns false until the chat migration replaces it (create or '
  'replace, same signature) to read session_bans. Booking, joining and reminders refuse banned users.';
revoke execute on function private.is_banned(uuid, uuid) from public, anon;
grant execute on function private.is_banned(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads staff, bookings, attendance and sessions across RLS (called by policies).
-- Keeps the catalogue's semantics (staff, confirmed bookings) and adds signed-in users who joined a
-- public session (API.md: "for a public session anyone signed in who has joined it").
create or replace function private.my_session_ids()
returns setof uuid
language sql stable security definer set search_path = '' as $$
  select st.session_id from public.session_staff st where st.user_id = (select auth.uid())
  union
  select b.session_id from public.bookings b where b.user_id = (select auth.uid()) and b.status = 'confirmed'
  union
  select a.session_id from public.attendance_intervals a
  join public.sessions s on s.id = a.session_id
  where a.user_id = (select auth.uid()) and s.visibility = 'public';
$$;
comment on function private.my_session_ids() is
  'Sessions auth.uid() is a member of: staff, holder of a confirmed booking, or (public sessions) joined it once. '
  'Security definer: reads staff, bookings and attendance across RLS. Redefined by the booking migration.';
revoke execute on function private.my_session_ids() from public, anon;
grant execute on function private.my_session_ids() to authenticated, service_role;

-- SECURITY DEFINER: counts every attendee's intervals, which members cannot read.
create function private.viewer_count(session_id uuid)
returns int
language sql stable security definer set search_path = '' as $$
  select count(distinct a.user_id)::int
  from public.attendance_intervals a
  where a.session_id = viewer_count.session_id
    and a.left_at is null
    and a.last_heartbeat_at > now() - interval '60 seconds';
$$;
comment on function private.viewer_count(uuid) is
  'Current viewers of a session: distinct users with an open interval whose last heartbeat (or join) is less than 60 s '
  'old. Computed on every call, never stored. Security definer: reads all attendees'' intervals.';
revoke execute on function private.viewer_count(uuid) from public, anon;
grant execute on function private.viewer_count(uuid) to authenticated, service_role;

-- Start time as shown to a person: weekday, date and wall-clock time in their zone, plus the zone name.
create function private.format_local_time(ts timestamptz, tz text)
returns text
language sql stable set search_path = '' as $$
  select to_char(ts at time zone coalesce(tz, 'UTC'), 'Dy DD Mon YYYY HH24:MI') || ' ' || coalesce(tz, 'UTC')
$$;
comment on function private.format_local_time(timestamptz, text) is
  'Formats an instant for a reader in an IANA zone, DST-aware: e.g. ''Sat 24 Oct 2026 10:00 Europe/Amsterdam''.';
revoke execute on function private.format_local_time(timestamptz, text) from public, anon;
grant execute on function private.format_local_time(timestamptz, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot insert notifications; every feature notifies through this one
-- function, which also honours the recipient's in_app preference for the kind.
create function private.notify(user_id uuid, kind text, title text, body text default null,
                               link text default null, data jsonb default '{}'::jsonb)
returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  if exists (select 1 from public.notification_preferences np
             where np.user_id = notify.user_id and np.kind = notify.kind and not np.in_app) then
    return null;
  end if;
  insert into public.notifications as n (user_id, kind, title, body, link, data)
  values (notify.user_id, notify.kind, left(notify.title, 200), left(notify.body, 2000), notify.link,
          coalesce(notify.data, '{}'::jsonb))
  returning n.id into v_id;
  return v_id;
end;
$$;
comment on function private.notify(uuid, text, text, text, text, jsonb) is
  'Creates an in-app notification (broadcast as `notification` on user:<user_id> by a trigger) unless the user turned '
  'in_app off for that kind; returns its id or null. For backend code: security definer RPCs, triggers, service_role.';
revoke execute on function private.notify(uuid, text, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function private.notify(uuid, text, text, text, text, jsonb) to service_role;

-- Promotes waitlisted bookings (lowest position first) while the session has free seats, then
-- renumbers the remaining waitlist 1..n. The caller holds the session row lock. Each promoted user
-- is notified (booking_updated is broadcast by the bookings trigger). Internal: security definer
-- callers only.
create function private.fill_seats_from_waitlist(session_id uuid)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_session public.sessions;
  v_free int;
  v_promoted int := 0;
  v_booking record;
begin
  select s.* into v_session from public.sessions s where s.id = fill_seats_from_waitlist.session_id;
  if v_session.id is null or v_session.status not in ('scheduled', 'live') then
    return 0;
  end if;
  if v_session.capacity is null then
    v_free := 2147483647;
  else
    v_free := v_session.capacity - private.session_booked_count(v_session.id);
  end if;
  if v_free <= 0 then
    return 0;
  end if;

  for v_booking in
    update public.bookings b
       set status = 'confirmed', waitlist_position = null
     where b.id in (select w.id from public.bookings w
                    where w.session_id = v_session.id and w.status = 'waitlisted'
                    order by w.waitlist_position
                    limit v_free)
    returning b.id, b.user_id
  loop
    v_promoted := v_promoted + 1;
    perform private.notify(v_booking.user_id, 'booking_promoted', 'You have a seat: ' || v_session.title,
      'A seat freed up and your waitlisted booking is now confirmed.',
      '/sessions/' || v_session.id::text,
      jsonb_build_object('session_id', v_session.id, 'booking_id', v_booking.id, 'status', 'confirmed'));
  end loop;

  if v_promoted > 0 then
    perform private.renumber_waitlist(v_session.id);
  end if;
  return v_promoted;
end;
$$;

-- Renumbers the waitlist of a session to 1..n, keeping the order. Touches only rows that move.
create function private.renumber_waitlist(session_id uuid)
returns void
language sql volatile set search_path = '' as $$
  update public.bookings b
     set waitlist_position = o.position
    from (select w.id, row_number() over (order by w.waitlist_position)::int as position
          from public.bookings w
          where w.session_id = renumber_waitlist.session_id and w.status = 'waitlisted') o
   where b.id = o.id and b.waitlist_position <> o.position;
$$;
comment on function private.renumber_waitlist(uuid) is
  'Renumbers the waitlisted bookings of a session 1..n in their current order. Internal (booking RPCs and triggers).';
revoke execute on function private.renumber_waitlist(uuid) from public, anon, authenticated;

comment on function private.fill_seats_from_waitlist(uuid) is
  'Promotes waitlisted bookings in position order while seats are free (capacity null = all), notifies each promoted '
  'user (booking_promoted) and renumbers the rest 1..n. Returns the number promoted. Caller holds the session lock. Internal.';
revoke execute on function private.fill_seats_from_waitlist(uuid) from public, anon, authenticated;

-- SECURITY DEFINER: reads session_staff and bookings across RLS. The single-session form of the
-- catalogue's private.visible_session_ids() (the same rule, tested for equality in 30_booking):
-- that one lists every visible session, which costs a scan of all sessions per call.
create function private.can_see_session(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.sessions s
    where s.id = can_see_session.session_id
      and (select auth.uid()) is not null
      and ((s.status <> 'draft' and s.visibility <> 'private')
        or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = (select auth.uid()))
        or (s.status <> 'draft' and exists (
          select 1 from public.bookings b
          where b.session_id = s.id and b.user_id = (select auth.uid()) and b.status <> 'cancelled'))
        or (select private.is_admin())));
$$;
comment on function private.can_see_session(uuid) is
  'True when the signed-in auth.uid() may read the session: the rule of private.visible_session_ids() for one session, '
  'without scanning all sessions. Security definer: reads staff and bookings across RLS.';
revoke execute on function private.can_see_session(uuid) from public, anon;
grant execute on function private.can_see_session(uuid) to authenticated, service_role;

-- Reads a session for a booking, reminder or attendance RPC of auth.uid(): raises not_authenticated,
-- invalid_input, not_found (invisible to the caller) or forbidden (banned). Internal: runs inside
-- security definer RPCs.
create function private.session_for_member_action(session_id uuid)
returns public.sessions
language plpgsql stable set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if session_for_member_action.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_for_member_action.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_for_member_action.session_id));
  end if;
  if private.is_banned(v_session.id, v_uid) then
    perform private.raise_error('forbidden', 'You are banned from this session.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'banned'));
  end if;
  return v_session;
end;
$$;
comment on function private.session_for_member_action(uuid) is
  'Returns a session for a member action of auth.uid(): not_authenticated, invalid_input, not_found (invisible), '
  'forbidden (banned, details.reason = banned). Internal.';
revoke execute on function private.session_for_member_action(uuid) from public, anon, authenticated;

-- Default reminders of a new booking. Internal: called by book_session (security definer).
create function private.add_default_reminders(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  insert into public.session_reminders (session_id, user_id, minutes_before)
  select s.id, add_default_reminders.user_id, d.minutes
  from public.sessions s
  cross join (values (1440), (15)) as d (minutes)
  where s.id = add_default_reminders.session_id
    and s.starts_at - make_interval(mins => d.minutes) > now()
    and not exists (select 1 from public.notification_preferences np
                    where np.user_id = add_default_reminders.user_id and np.kind = 'session_reminder'
                      and not np.default_reminders)
  on conflict on constraint session_reminders_unique do nothing;
$$;
comment on function private.add_default_reminders(uuid, uuid) is
  'Adds the default reminders of a booking, 1440 and 15 minutes before the start (only those still ahead), unless the '
  'user set notification_preferences.default_reminders = false on kind session_reminder. Internal (book_session).';
revoke execute on function private.add_default_reminders(uuid, uuid) from public, anon, authenticated;

-- Engagement inputs per user of a session. Security definer callers only (the attendance report).
-- Chat messages, questions and upvotes are counted when their tables exist (the chat and Q&A
-- migrations come later), through dynamic SQL so this migration does not depend on them; poll
-- answers and survey completion are zero until the Q&A/polls migration replaces this function
-- (create or replace, same signature and columns).
create function private.engagement_inputs(session_id uuid)
returns table (user_id uuid, messages int, questions int, upvotes int, poll_answers int, polls_total int,
               survey_done boolean)
language plpgsql stable set search_path = '' as $$
declare
  v_users uuid[];
  v_messages jsonb := '{}'::jsonb;
  v_questions jsonb := '{}'::jsonb;
  v_upvotes jsonb := '{}'::jsonb;
  v_chat regclass;
  v_q regclass;
  v_qu regclass;
begin
  select coalesce(array_agg(distinct a.user_id), '{}') into v_users
  from public.attendance_intervals a where a.session_id = engagement_inputs.session_id;

  -- The table names go through format() so plpgsql_check does not resolve them before they exist.
  v_chat := to_regclass('public.chat_messages');
  v_q := to_regclass('public.questions');
  v_qu := to_regclass('public.question_upvotes');
  if v_chat is not null then
    execute format('select coalesce(jsonb_object_agg(m.user_id, m.n), ''{}'') from (select c.user_id, count(*) as n '
                || 'from %s c where c.session_id = $1 and c.deleted_at is null group by c.user_id) m', v_chat)
      into v_messages using engagement_inputs.session_id;
  end if;
  if v_q is not null then
    execute format('select coalesce(jsonb_object_agg(m.user_id, m.n), ''{}'') from (select q.user_id, count(*) as n '
                || 'from %s q where q.session_id = $1 group by q.user_id) m', v_q)
      into v_questions using engagement_inputs.session_id;
  end if;
  if v_q is not null and v_qu is not null then
    execute format('select coalesce(jsonb_object_agg(m.user_id, m.n), ''{}'') from (select u.user_id, count(*) as n '
                || 'from %s u join %s q on q.id = u.question_id where q.session_id = $1 group by u.user_id) m', v_qu, v_q)
      into v_upvotes using engagement_inputs.session_id;
  end if;

  return query
  select u.id,
         coalesce((v_messages ->> u.id::text)::int, 0),
         coalesce((v_questions ->> u.id::text)::int, 0),
         coalesce((v_upvotes ->> u.id::text)::int, 0),
         0, 0, false
  from unnest(v_users) as u (id);
end;
$$;
comment on function private.engagement_inputs(uuid) is
  'Per attendee of the session: chat messages (not deleted), questions asked, upvotes given (counted once those tables '
  'exist), poll_answers (polls answered), polls_total (polls of the session) and survey_done. Poll and survey inputs are '
  'zero/false until the Q&A/polls migration replaces this function (same signature). Feeds session_attendance_report.';
revoke execute on function private.engagement_inputs(uuid) from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

revoke all on public.notifications, public.notification_preferences, public.session_reminders,
  public.attendance_intervals, public.session_viewer_stats from public, anon, authenticated;
grant all on public.notifications, public.notification_preferences, public.session_reminders,
  public.attendance_intervals, public.session_viewer_stats to service_role;

grant select, delete on public.notifications to authenticated;
grant update (read_at) on public.notifications to authenticated;

grant select, delete on public.notification_preferences to authenticated;
grant insert (user_id, kind, in_app, email, push, default_reminders) on public.notification_preferences to authenticated;
grant update (in_app, email, push, default_reminders) on public.notification_preferences to authenticated;

-- Reminders are created by set_reminder() (validation) and deleted through the table.
grant select, delete on public.session_reminders to authenticated;

grant select on public.attendance_intervals to authenticated;
grant select on public.session_viewer_stats to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------

alter table public.notifications enable row level security;
alter table public.notification_preferences enable row level security;
alter table public.session_reminders enable row level security;
alter table public.attendance_intervals enable row level security;
alter table public.session_viewer_stats enable row level security;

create policy "users can read their own notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can mark their own notifications read" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users can delete their own notifications" on public.notifications
  for delete to authenticated using (user_id = (select auth.uid()));

create policy "users can read their own notification preferences" on public.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can add their own notification preferences" on public.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "users can change their own notification preferences" on public.notification_preferences
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users can delete their own notification preferences" on public.notification_preferences
  for delete to authenticated using (user_id = (select auth.uid()));

create policy "users can read their own reminders" on public.session_reminders
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can delete their own reminders" on public.session_reminders
  for delete to authenticated using (user_id = (select auth.uid()));

create policy "users and session hosts and moderators can read attendance" on public.attendance_intervals
  for select to authenticated
  using (user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

create policy "members can read the viewer stats of their sessions" on public.session_viewer_stats
  for select to authenticated
  using (session_id in (select private.my_session_ids()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- Same columns, in the same order, as the catalogue's view; viewer_count and has_reminder added at the end.
create or replace view public.session_cards with (security_invoker = true) as
select
  s.id, s.title, s.description, s.topic, s.phase, s.starts_at,
  s.starts_at + make_interval(mins => s.duration_minutes) as ends_at,
  s.duration_minutes, s.timezone, s.status, s.visibility, s.capacity, s.waitlist_enabled,
  s.price_cents, s.currency, s.thumbnail_url, s.program_id, s.event_id,
  h.user_id as host_id,
  p.display_name as host_name,
  c.booked_count,
  case when s.capacity is null then null else greatest(s.capacity - c.booked_count, 0) end as seats_left,
  mb.status as my_booking_status,
  ((me.role is not null or mb.status = 'confirmed')
    and (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes'))) as can_join,
  coalesce(me.role = 'host', false) as can_edit,
  case when s.status = 'live' then private.viewer_count(s.id) else 0 end as viewer_count,
  exists (select 1 from public.session_reminders r
          where r.session_id = s.id and r.user_id = (select auth.uid())) as has_reminder
from public.sessions s
left join lateral (
  select st.user_id from public.session_staff st
  where st.session_id = s.id and st.role = 'host'
  order by st.created_at, st.user_id limit 1) h on true
left join public.profiles p on p.id = h.user_id
cross join lateral (select private.session_booked_count(s.id) as booked_count) c
left join lateral (
  select st.role from public.session_staff st
  where st.session_id = s.id and st.user_id = (select auth.uid())) me on true
left join lateral (
  select b.status from public.bookings b
  where b.session_id = s.id and b.user_id = (select auth.uid())
  order by b.status = 'cancelled', b.created_at desc limit 1) mb on true;
comment on view public.session_cards is
  'One row per session the signed-in caller may read, for lists and cards: ends_at, host (first host), booked_count '
  '(confirmed), seats_left (null = unlimited), and for the caller my_booking_status (latest, active first), can_join '
  '(staff or confirmed, and live or starting within 15 minutes), can_edit (host), viewer_count (live sessions: '
  'private.viewer_count, else 0) and has_reminder (the caller has a reminder for it). Filter and paginate with PostgREST.';
grant select on public.session_cards to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write bookings; this is the only way to book.
create function public.book_session(session_id uuid)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions := private.session_for_member_action(book_session.session_id);
  v_existing public.bookings;
  v_booking public.bookings;
  v_confirmed int;
begin
  -- Everything that does not need the seat count runs before the lock, so the per-session critical
  -- section is only: lock, count, insert, commit. A failed booking rolls the reminders back.
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only scheduled or live sessions can be booked.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  select b.* into v_existing from public.bookings b
  where b.session_id = v_session.id and b.user_id = v_uid and b.status <> 'cancelled';
  if v_existing.id is not null then
    perform private.raise_error('already_booked', 'You already have a booking for this session.',
      jsonb_build_object('booking_id', v_existing.id, 'status', v_existing.status));
  end if;
  perform private.add_default_reminders(v_session.id, v_uid);

  -- One row lock per session, not a global lock: concurrent bookings of one session queue here, other
  -- sessions are unaffected. NO KEY UPDATE does not block foreign-key checks of other tables.
  select s.* into v_session from public.sessions s where s.id = v_session.id for no key update;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only scheduled or live sessions can be booked.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;

  -- The session row is locked: this count cannot change until we commit.
  v_confirmed := private.session_booked_count(v_session.id);
  begin
    if v_session.capacity is null or v_confirmed < v_session.capacity then
      insert into public.bookings as b (session_id, user_id, status)
      values (v_session.id, v_uid, 'confirmed')
      returning b.* into v_booking;
    elsif v_session.waitlist_enabled then
      insert into public.bookings as b (session_id, user_id, status, waitlist_position)
      values (v_session.id, v_uid, 'waitlisted',
              (select coalesce(max(w.waitlist_position), 0) + 1 from public.bookings w
               where w.session_id = v_session.id and w.status = 'waitlisted'))
      returning b.* into v_booking;
    else
      perform private.raise_error('session_full', 'The session is full.',
        jsonb_build_object('session_id', v_session.id, 'capacity', v_session.capacity));
    end if;
  exception when unique_violation then
    -- Safety net: the partial unique index bookings_one_active_per_user.
    perform private.raise_error('already_booked', 'You already have a booking for this session.',
      jsonb_build_object('session_id', v_session.id));
  end;
  return v_booking;
end;
$$;
comment on function public.book_session(uuid) is
  'Books the caller into a scheduled or live session and returns the booking: confirmed while seats are left '
  '(capacity null = unlimited), else waitlisted with the next waitlist_position when waitlist_enabled. Serialized per '
  'session by a row lock on the session, so it never overbooks. A cancelled booking stays as history and booking again '
  'creates a new row. Errors: not_authenticated, invalid_input, not_found (session invisible to the caller), forbidden '
  '(banned from the session), invalid_transition (draft, ended or cancelled session), already_booked (an active '
  'booking exists), session_full (no seat and no waitlist). Adds the default reminders (see session_reminders).';
revoke execute on function public.book_session(uuid) from public, anon;
grant execute on function public.book_session(uuid) to authenticated;

-- SECURITY DEFINER: clients cannot write bookings, and promotion updates other users' bookings.
create function public.cancel_booking(session_id uuid)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions;
  v_booking public.bookings;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if cancel_booking.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- Same per-session lock as book_session: seat counts and waitlist positions stay consistent.
  select s.* into v_session from public.sessions s where s.id = cancel_booking.session_id for no key update;
  select b.* into v_booking from public.bookings b
  where b.session_id = cancel_booking.session_id and b.user_id = v_uid and b.status <> 'cancelled';
  if v_session.id is null or v_booking.id is null then
    perform private.raise_error('not_found', 'You have no active booking for this session.',
      jsonb_build_object('session_id', cancel_booking.session_id));
  end if;
  if v_session.status = 'ended' then
    perform private.raise_error('invalid_transition', 'Bookings of an ended session are kept as history.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;

  update public.bookings b
     set status = 'cancelled', waitlist_position = null, cancelled_at = now()
   where b.id = v_booking.id
  returning b.* into v_booking;

  -- A freed seat goes to the waitlist; a waitlisted user leaving just closes the gap.
  if private.fill_seats_from_waitlist(v_session.id) = 0 then
    perform private.renumber_waitlist(v_session.id);
  end if;
  return v_booking;
end;
$$;
comment on function public.cancel_booking(uuid) is
  'Cancels the caller''s active booking of the session and returns it (status cancelled). In the same transaction a '
  'freed seat promotes the first waitlisted booking (lowest waitlist_position; notified with a booking_promoted '
  'notification and a booking_updated broadcast on user:<id>) and the waitlist is renumbered 1..n. Errors: '
  'not_authenticated, invalid_input, not_found (no active booking).';
revoke execute on function public.cancel_booking(uuid) from public, anon;
grant execute on function public.cancel_booking(uuid) to authenticated;

-- SECURITY INVOKER: RLS and the column grant on read_at limit it to the caller's own rows.
create function public.mark_notifications_read(notification_ids uuid[] default null)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  update public.notifications n
     set read_at = now()
   where n.user_id = (select auth.uid())
     and n.read_at is null
     and (mark_notifications_read.notification_ids is null or n.id = any (mark_notifications_read.notification_ids));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.mark_notifications_read(uuid[]) is
  'Marks the caller''s unread notifications read: the given ids, or all of them when null. Returns how many changed. '
  'Ids of other users'' notifications are ignored. Errors: not_authenticated.';
revoke execute on function public.mark_notifications_read(uuid[]) from public, anon;
grant execute on function public.mark_notifications_read(uuid[]) to authenticated;

-- SECURITY DEFINER: clients have no insert grant on session_reminders (the checks live here).
create function public.set_reminder(session_id uuid, minutes_before int default 15)
returns public.session_reminders
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions := private.session_for_member_action(set_reminder.session_id);
  v_row public.session_reminders;
begin
  if set_reminder.minutes_before is null or set_reminder.minutes_before not between 1 and 10080 then
    perform private.raise_error('invalid_input', 'minutes_before is 1 to 10080.',
      jsonb_build_object('field', 'minutes_before', 'min', 1, 'max', 10080));
  end if;
  if v_session.status <> 'scheduled' then
    perform private.raise_error('invalid_transition', 'Reminders are for scheduled sessions.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.starts_at - make_interval(mins => set_reminder.minutes_before) <= now() then
    perform private.raise_error('invalid_input', 'That reminder time has already passed.',
      jsonb_build_object('field', 'minutes_before', 'starts_at', v_session.starts_at));
  end if;
  insert into public.session_reminders as r (session_id, user_id, minutes_before)
  values (v_session.id, v_uid, set_reminder.minutes_before)
  on conflict on constraint session_reminders_unique do nothing
  returning r.* into v_row;
  if v_row.id is null then
    perform private.raise_error('reminder_exists', 'You already have this reminder.',
      jsonb_build_object('session_id', v_session.id, 'minutes_before', set_reminder.minutes_before));
  end if;
  return v_row;
end;
$$;
comment on function public.set_reminder(uuid, int) is
  'Adds a reminder for the caller, minutes_before (1-10080, default 15) the start of a scheduled session they can see; '
  'returns it. Delete it through the table. Errors: not_authenticated, invalid_input (range, or the time has passed), '
  'not_found, forbidden (banned), invalid_transition (not scheduled), reminder_exists (same session and minutes).';
revoke execute on function public.set_reminder(uuid, int) from public, anon;
grant execute on function public.set_reminder(uuid, int) to authenticated;

-- The reminder job. Runs as the cron job's owner (postgres); nobody else calls it.
create function private.send_due_reminders()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sent int := 0;
  v_due record;
begin
  -- Claim first (notified_at is set in the same statement that selects), so two runs, concurrent or
  -- not, never send one reminder twice: a concurrent run waits for the row lock and then re-checks
  -- notified_at is null. The conditions read the session and booking state at this moment.
  for v_due in
    with claimed as (
      update public.session_reminders r
         set notified_at = now()
        from public.sessions s
       where s.id = r.session_id
         and r.notified_at is null
         and s.status = 'scheduled'
         and s.starts_at > now()
         and s.starts_at <= now() + interval '10080 minutes'
         and s.starts_at - make_interval(mins => r.minutes_before) <= now()
         and not private.is_banned(s.id, r.user_id)
         and (
           -- staff, or an active booking
           exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = r.user_id)
           or exists (select 1 from public.bookings b
                      where b.session_id = s.id and b.user_id = r.user_id and b.status <> 'cancelled')
           -- or, for a session open to them, a reminder without any booking (never a cancelled one)
           or (s.visibility <> 'private'
               and not exists (select 1 from public.bookings b where b.session_id = s.id and b.user_id = r.user_id)))
      returning r.id, r.user_id, r.minutes_before, s.id as session_id, s.title, s.starts_at, s.timezone
    )
    select c.*, coalesce(p.timezone, c.timezone, 'UTC') as reader_tz,
           (select b.status from public.bookings b
            where b.session_id = c.session_id and b.user_id = c.user_id and b.status <> 'cancelled') as booking_status
    from claimed c
    left join public.profiles p on p.id = c.user_id
  loop
    perform private.notify(v_due.user_id, 'session_reminder', 'Reminder: ' || v_due.title,
      'Starts ' || private.format_local_time(v_due.starts_at, v_due.reader_tz) || '.'
        || case when v_due.booking_status = 'waitlisted' then ' You are on the waitlist.' else '' end,
      '/sessions/' || v_due.session_id::text,
      jsonb_build_object('session_id', v_due.session_id, 'reminder_id', v_due.id, 'starts_at', v_due.starts_at,
                         'minutes_before', v_due.minutes_before, 'timezone', v_due.reader_tz));
    v_sent := v_sent + 1;
  end loop;
  return v_sent;
end;
$$;
comment on function private.send_due_reminders() is
  'pg_cron job session-reminders (every minute): claims every pending reminder whose time (starts_at - minutes_before, '
  'current starts_at) has passed while its session is still scheduled and not started, for a user who is staff, holds an '
  'active booking, or set it without ever booking (not for private sessions), and creates one session_reminder '
  'notification each, with the start formatted in the recipient''s profile time zone. Exactly once per reminder, even '
  'when runs overlap or come late. Returns the number claimed.';
revoke execute on function private.send_due_reminders() from public, anon, authenticated;

-- Records presence of the caller's connection: refreshes an open, fresh interval or opens a new one
-- (closing a stale one at its last heartbeat). Internal: called by join_session and heartbeat.
create function private.touch_attendance(session_id uuid, connection_id text)
returns jsonb
language plpgsql volatile set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := (select auth.uid());
  v_conn text := coalesce(nullif(btrim(touch_attendance.connection_id), ''), 'default');
  v_session public.sessions := private.session_for_member_action(touch_attendance.session_id);
  v_interval public.attendance_intervals;
begin
  if char_length(v_conn) > 100 then
    perform private.raise_error('invalid_input', 'connection_id is at most 100 characters.',
      jsonb_build_object('field', 'connection_id', 'max', 100));
  end if;
  if not (v_session.status = 'live'
          or (v_session.status = 'scheduled' and now() >= v_session.starts_at - interval '15 minutes')) then
    perform private.raise_error('invalid_transition', 'The session is not open: it opens 15 minutes before it starts.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.id not in (select m.id from private.my_session_ids() as m (id)) and v_session.visibility <> 'public' then
    perform private.raise_error('forbidden', 'Only members of the session can join it.',
      jsonb_build_object('session_id', v_session.id));
  end if;

  -- A connection silent for 60 s has left at its last heartbeat (reconnect gap).
  update public.attendance_intervals a
     set left_at = a.last_heartbeat_at
   where a.session_id = v_session.id and a.user_id = v_uid and a.connection_id = v_conn
     and a.left_at is null and a.last_heartbeat_at <= now() - interval '60 seconds';

  insert into public.attendance_intervals as a (session_id, user_id, connection_id, joined_at, last_heartbeat_at)
  values (v_session.id, v_uid, v_conn, now(), now())
  on conflict (session_id, user_id, connection_id) where left_at is null
  do update set last_heartbeat_at = greatest(a.last_heartbeat_at, excluded.last_heartbeat_at)
  returning a.* into v_interval;

  return jsonb_build_object('session_id', v_session.id, 'connection_id', v_conn, 'interval_id', v_interval.id,
                            'joined_at', v_interval.joined_at, 'viewer_count', private.viewer_count(v_session.id));
end;
$$;
comment on function private.touch_attendance(uuid, text) is
  'join_session/heartbeat body: checks, closes a stale interval of the connection, opens or refreshes its interval. Internal.';
revoke execute on function private.touch_attendance(uuid, text) from public, anon, authenticated;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.join_session(session_id uuid, connection_id text default null)
returns jsonb
language sql volatile security definer set search_path = '' as $$
  select private.touch_attendance(join_session.session_id, join_session.connection_id);
$$;
comment on function public.join_session(uuid, text) is
  'Marks the caller present in a live session (or a scheduled one from 15 minutes before its start) on one connection '
  '(connection_id, default ''default''). Members only; for a public session any signed-in user may join and then counts '
  'as a member. Idempotent while the connection is fresh. Returns {session_id, connection_id, interval_id, joined_at, '
  'viewer_count}. Errors: not_authenticated, invalid_input, not_found, forbidden (not a member, or banned), '
  'invalid_transition (session not open).';
revoke execute on function public.join_session(uuid, text) from public, anon;
grant execute on function public.join_session(uuid, text) to authenticated;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.heartbeat(session_id uuid, connection_id text default null)
returns jsonb
language sql volatile security definer set search_path = '' as $$
  select private.touch_attendance(heartbeat.session_id, heartbeat.connection_id);
$$;
comment on function public.heartbeat(uuid, text) is
  'Keeps the caller''s connection present (send every 20-30 s; 60 s without one ends the interval at the last heartbeat). '
  'After a gap it opens a new interval, so it also works as a re-join. Same answer and errors as join_session.';
revoke execute on function public.heartbeat(uuid, text) from public, anon;
grant execute on function public.heartbeat(uuid, text) to authenticated;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.leave_session(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_conn text := nullif(btrim(leave_session.connection_id), '');
  v_closed int;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if leave_session.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- Stale intervals end at their last heartbeat, fresh ones now.
  update public.attendance_intervals a
     set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                        else a.last_heartbeat_at end
   where a.session_id = leave_session.session_id and a.user_id = v_uid and a.left_at is null
     and (v_conn is null or a.connection_id = v_conn);
  get diagnostics v_closed = row_count;
  return jsonb_build_object('session_id', leave_session.session_id, 'closed', v_closed,
                            'viewer_count', private.viewer_count(leave_session.session_id));
end;
$$;
comment on function public.leave_session(uuid, text) is
  'Ends the caller''s presence on one connection, or on all their connections of the session when connection_id is '
  'null. Idempotent (closed = 0 when nothing was open). Returns {session_id, closed, viewer_count}. Errors: '
  'not_authenticated, invalid_input.';
revoke execute on function public.leave_session(uuid, text) from public, anon;
grant execute on function public.leave_session(uuid, text) to authenticated;

-- SECURITY DEFINER: hosts read every attendee's intervals and engagement inputs (chat, Q&A, polls).
create function public.session_attendance_report(session_id uuid)
returns table (user_id uuid, display_name text, first_joined_at timestamptz, last_left_at timestamptz,
               attended_seconds int, messages int, questions int, upvotes int, poll_answers int,
               survey_done boolean, engagement_score int)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_window_start timestamptz;
  v_window_end timestamptz;
  v_window_seconds numeric;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  select s.* into v_session from public.sessions s where s.id = session_attendance_report.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_attendance_report.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only hosts of the session see its attendance report.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  v_window_start := v_session.started_at;
  v_window_end := coalesce(v_session.ended_at, now());
  v_window_seconds := greatest(extract(epoch from v_window_end - v_window_start), 0);

  return query
  with raw as (
    select a.user_id, a.joined_at,
           -- effective end: left_at, else now while fresh, else the last heartbeat
           coalesce(a.left_at, case when a.last_heartbeat_at > now() - interval '60 seconds' then now()
                                    else a.last_heartbeat_at end) as ended_at,
           a.left_at is null and a.last_heartbeat_at > now() - interval '60 seconds' as is_open
    from public.attendance_intervals a
    where a.session_id = v_session.id
  ),
  clipped as (
    select r.user_id, greatest(r.joined_at, v_window_start) as s, least(r.ended_at, v_window_end) as e
    from raw r
    where v_window_start is not null
      and least(r.ended_at, v_window_end) > greatest(r.joined_at, v_window_start)
  ),
  marked as (
    select c.user_id, c.s, c.e,
           max(c.e) over (partition by c.user_id order by c.s, c.e
                          rows between unbounded preceding and 1 preceding) as prev_end
    from clipped c
  ),
  grouped as (
    select m.user_id, m.s, m.e,
           sum(case when m.prev_end is null or m.s > m.prev_end then 1 else 0 end)
             over (partition by m.user_id order by m.s, m.e) as island
    from marked m
  ),
  attended as (
    select i.user_id, sum(extract(epoch from i.e - i.s))::numeric as seconds
    from (select g.user_id, g.island, min(g.s) as s, max(g.e) as e from grouped g group by g.user_id, g.island) i
    group by i.user_id
  ),
  people as (
    select r.user_id, min(r.joined_at) as first_joined_at,
           case when bool_or(r.is_open) then null else max(r.ended_at) end as last_left_at
    from raw r group by r.user_id
  )
  select pe.user_id, pr.display_name, pe.first_joined_at, pe.last_left_at,
         coalesce(round(att.seconds), 0)::int,
         coalesce(ei.messages, 0), coalesce(ei.questions, 0), coalesce(ei.upvotes, 0),
         coalesce(ei.poll_answers, 0), coalesce(ei.survey_done, false),
         round(
           50 * case when v_window_seconds > 0 then least(coalesce(att.seconds, 0) / v_window_seconds, 1) else 0 end
           + 15 * least(coalesce(ei.messages, 0), 5) / 5.0
           + 15 * least(coalesce(ei.questions, 0) + coalesce(ei.upvotes, 0), 5) / 5.0
           + 10 * case when coalesce(ei.polls_total, 0) > 0
                       then least(coalesce(ei.poll_answers, 0)::numeric / ei.polls_total, 1) else 0 end
           + 10 * case when coalesce(ei.survey_done, false) then 1 else 0 end
         )::int
  from people pe
  left join attended att on att.user_id = pe.user_id
  left join private.engagement_inputs(v_session.id) ei on ei.user_id = pe.user_id
  left join public.profiles pr on pr.id = pe.user_id
  order by pe.first_joined_at, pe.user_id;
end;
$$;
comment on function public.session_attendance_report(uuid) is
  'Hosts only: one row per attendee with first_joined_at, last_left_at (null while still present), attended_seconds '
  '(all the user''s connections'' intervals merged where they overlap, each clipped to the live window '
  'started_at .. coalesce(ended_at, now()); 0 if the session never went live), messages, questions, upvotes, '
  'poll_answers, survey_done (from private.engagement_inputs) and engagement_score 0-100 = round(50 x attended share of '
  'the live window + 15 x min(messages, 5)/5 + 15 x min(questions + upvotes, 5)/5 + 10 x polls answered / polls of the '
  'session + 10 x survey done). Errors: not_authenticated, not_found, forbidden (not a host).';
revoke execute on function public.session_attendance_report(uuid) from public, anon;
grant execute on function public.session_attendance_report(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions and triggers
-- ---------------------------------------------------------------------------------------------

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.broadcast_new_notification()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('id', new.id, 'kind', new.kind, 'title', new.title, 'link', new.link),
    'notification', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_new_notification() is
  'Trigger: broadcasts `notification` {id, kind, title, link} on the private topic user:<user_id>.';
revoke execute on function private.broadcast_new_notification() from public, anon, authenticated;

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS.
create function private.broadcast_booking_updated()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('session_id', new.session_id, 'status', new.status, 'waitlist_position', new.waitlist_position),
    'booking_updated', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_booking_updated() is
  'Trigger: broadcasts `booking_updated` {session_id, status, waitlist_position} on user:<user_id> whenever a booking''s '
  'status or waitlist position changes (promotion, waitlist renumbering, cancellation).';
revoke execute on function private.broadcast_booking_updated() from public, anon, authenticated;

-- Security definer: updates every booking, reminder and interval of the session across RLS.
create function private.sessions_after_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_booking record;
begin
  if new.status = 'cancelled' and old.status <> 'cancelled' then
    for v_booking in
      update public.bookings b
         set status = 'cancelled', waitlist_position = null, cancelled_at = now()
       where b.session_id = new.id and b.status <> 'cancelled'
      returning b.id, b.user_id
    loop
      perform private.notify(v_booking.user_id, 'session_cancelled', 'Cancelled: ' || new.title,
        coalesce('Reason: ' || new.cancel_reason, 'The host cancelled this session.'),
        '/sessions/' || new.id::text,
        jsonb_build_object('session_id', new.id, 'booking_id', v_booking.id));
    end loop;
  end if;
  if new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled') then
    update public.attendance_intervals a
       set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                          else a.last_heartbeat_at end
     where a.session_id = new.id and a.left_at is null;
  end if;
  if new.starts_at is distinct from old.starts_at then
    -- A reschedule re-arms every reminder against the new start time.
    update public.session_reminders r set notified_at = null
    where r.session_id = new.id and r.notified_at is not null;
  end if;
  if (new.capacity is distinct from old.capacity or new.waitlist_enabled is distinct from old.waitlist_enabled)
     and new.status in ('scheduled', 'live') then
    perform private.fill_seats_from_waitlist(new.id);
  end if;
  return null;
end;
$$;
comment on function private.sessions_after_change() is
  'Trigger after a session update: cancelling cancels every active booking and notifies each booked user '
  '(session_cancelled); ending or cancelling closes open attendance intervals; a new starts_at resets notified_at of '
  'its reminders; a larger capacity promotes waitlisted bookings.';
revoke execute on function private.sessions_after_change() from public, anon, authenticated;

-- Security definer: reads every attendee's intervals, writes session_viewer_stats and broadcasts.
create function private.attendance_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count int := private.viewer_count(new.session_id);
  v_broadcast boolean;
begin
  insert into public.session_viewer_stats (session_id) values (new.session_id)
  on conflict (session_id) do nothing;
  update public.session_viewer_stats v set peak_viewers = v_count, peak_at = now()
  where v.session_id = new.session_id and v.peak_viewers < v_count;
  -- Throttle: only the transaction that moves last_broadcast_at sends (at most once per 2 s).
  update public.session_viewer_stats v set last_broadcast_at = now(), last_broadcast_count = v_count
  where v.session_id = new.session_id
    and v.last_broadcast_at < now() - interval '2 seconds'
    and v.last_broadcast_count is distinct from v_count
  returning true into v_broadcast;
  if v_broadcast then
    perform realtime.send(jsonb_build_object('session_id', new.session_id, 'viewer_count', v_count),
      'viewer_count', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
comment on function private.attendance_changed() is
  'Trigger on attendance changes: keeps session_viewer_stats.peak_viewers and broadcasts `viewer_count` '
  '{session_id, viewer_count} on session:<id> when the count changed, at most once per 2 s per session.';
revoke execute on function private.attendance_changed() from public, anon, authenticated;

create trigger broadcast_new_notification after insert on public.notifications
  for each row execute function private.broadcast_new_notification();

create trigger notification_preferences_set_updated_at before update on public.notification_preferences
  for each row execute function private.set_updated_at();

create trigger broadcast_booking_updated after update of status, waitlist_position on public.bookings
  for each row
  when (old.status is distinct from new.status or old.waitlist_position is distinct from new.waitlist_position)
  execute function private.broadcast_booking_updated();

create trigger sessions_cascade_to_bookings_reminders_attendance
  after update of status, starts_at, capacity, waitlist_enabled on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.capacity is distinct from new.capacity or old.waitlist_enabled is distinct from new.waitlist_enabled)
  execute function private.sessions_after_change();

create trigger attendance_changed after insert or update of last_heartbeat_at, left_at on public.attendance_intervals
  for each row execute function private.attendance_changed();

-- ---------------------------------------------------------------------------------------------
-- Scheduled job
-- ---------------------------------------------------------------------------------------------

-- pg_cron lives in pg_catalog on Supabase (enabled on demand; a no-op where it already exists).
create extension if not exists pg_cron with schema pg_catalog;
-- Idempotent: drop a previous definition of the job, then schedule it every minute.
select cron.unschedule(j.jobid) from cron.job j where j.jobname = 'session-reminders';
select cron.schedule('session-reminders', '* * * * *', 'select private.send_due_reminders()');
