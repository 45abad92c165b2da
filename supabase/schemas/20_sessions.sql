-- Sessions catalogue and membership: programs, events, live sessions with their staff, streams and
-- breakout rooms (the room RPCs are in 53_rooms.sql), bans, the session lifecycle RPCs with their
-- `session_status` broadcast, and the membership helpers every later capability uses in its
-- policies and RPCs: who is staff, who is a member (staff, confirmed bookings, signed-in users who
-- joined a public session), who may see a session, who is banned.
-- Tables: programs, events, sessions, session_staff, streams, rooms, room_assignments, session_bans.
--
-- The membership helpers read tables defined in later files (bookings: 30_booking.sql,
-- attendance_intervals: 32_attendance.sql). They are PL/pgSQL, which resolves names when it runs.
-- The catalogue's card view, session_cards, sums up booking, reminders, attendance and bans: it is
-- defined after them, in 45_session_cards.sql.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.programs (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  status text not null default 'draft',
  is_on_demand boolean not null default false,
  replay_video_id text,
  thumbnail_url text,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint programs_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint programs_description_length check (description is null or char_length(description) <= 5000),
  constraint programs_status_valid check (status in ('draft', 'live', 'ended')),
  constraint programs_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$')
);
comment on table public.programs is
  'A container of sessions (course, cohort, conference). Coaches and admins create; the creator or an admin edits.';
comment on column public.programs.status is 'draft (visible to its creator and admins only), live or ended.';
comment on column public.programs.is_on_demand is 'True when the program is also offered as replays (see replay_video_id).';
comment on column public.programs.replay_video_id is 'Video id of the on-demand replay at the video provider.';
comment on column public.programs.created_by is 'The creating user, set from auth.uid(); clients cannot write it.';
alter table public.programs enable row level security;

create table public.events (
  id uuid primary key default gen_random_uuid(),
  program_id uuid not null references public.programs (id) on delete cascade,
  title text not null,
  slug text not null,
  description text,
  status text not null default 'draft',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint events_slug_key unique (slug),
  -- Target of the sessions (event_id, program_id) foreign key: a session's event is in its program.
  constraint events_id_program_id_key unique (id, program_id),
  constraint events_title_length check (char_length(btrim(title)) between 1 and 200),
  constraint events_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 100),
  constraint events_status_valid check (status in ('draft', 'live', 'ended')),
  constraint events_time_order check (ends_at > starts_at)
);
comment on table public.events is 'A dated event (conference day, cohort week) inside a program, addressed by its unique slug.';
comment on column public.events.slug is 'URL name: lower-case words of letters and digits joined by single hyphens.';
comment on column public.events.status is 'draft (visible to its creator and admins only), live or ended.';
alter table public.events enable row level security;

create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  program_id uuid references public.programs (id) on delete restrict,
  event_id uuid,
  title text not null,
  description text,
  topic text,
  phase int,
  starts_at timestamptz not null,
  duration_minutes int not null default 60,
  timezone text not null default 'UTC',
  status text not null default 'draft',
  visibility text not null default 'public',
  capacity int,
  waitlist_enabled boolean not null default false,
  price_cents int not null default 0,
  currency text not null default 'EUR',
  replay_url text,
  thumbnail_url text,
  chat_enabled boolean not null default true,
  slow_mode_seconds int not null default 0,
  chat_rate_limit int not null default 5,
  qa_moderation boolean not null default false,
  allow_anonymous_questions boolean not null default true,
  sequence int not null default 0,
  cancel_reason text,
  started_at timestamptz,
  ended_at timestamptz,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Deleting an event detaches its sessions (they stay in the program).
  constraint sessions_event_in_program foreign key (event_id, program_id)
    references public.events (id, program_id) on delete set null (event_id),
  constraint sessions_event_needs_program check (event_id is null or program_id is not null),
  constraint sessions_title_length check (char_length(btrim(title)) between 1 and 200),
  constraint sessions_description_length check (description is null or char_length(description) <= 10000),
  constraint sessions_topic_length check (topic is null or char_length(topic) <= 200),
  constraint sessions_phase_range check (phase is null or phase between 1 and 4),
  constraint sessions_duration_range check (duration_minutes between 5 and 600),
  constraint sessions_timezone_valid check (private.is_valid_timezone(timezone)),
  constraint sessions_status_valid check (status in ('draft', 'scheduled', 'live', 'ended', 'cancelled')),
  constraint sessions_visibility_valid check (visibility in ('public', 'members', 'private')),
  constraint sessions_capacity_positive check (capacity is null or capacity > 0),
  constraint sessions_price_not_negative check (price_cents >= 0),
  constraint sessions_currency_format check (currency ~ '^[A-Z]{3}$'),
  constraint sessions_replay_url_https check (replay_url is null or replay_url ~ '^https://\S+$'),
  constraint sessions_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$'),
  constraint sessions_slow_mode_range check (slow_mode_seconds between 0 and 3600),
  constraint sessions_chat_rate_limit_positive check (chat_rate_limit > 0),
  constraint sessions_sequence_not_negative check (sequence >= 0),
  constraint sessions_cancel_reason_only_cancelled check (cancel_reason is null or (status = 'cancelled' and char_length(cancel_reason) <= 500)),
  constraint sessions_live_has_started_at check (status not in ('live', 'ended') or started_at is not null),
  constraint sessions_ended_has_ended_at check (status <> 'ended' or ended_at is not null),
  constraint sessions_ended_after_started check (ended_at is null or (started_at is not null and ended_at >= started_at))
);
comment on table public.sessions is
  'A live session. Coaches and admins create (the creator becomes its host); hosts edit the editable columns and '
  'move it through its lifecycle with publish_session/start_session/end_session/cancel_session/reschedule_session. '
  'Every column is readable by whoever may read the session (select=* works); the meeting URL and password live in '
  'session_secrets (staff and confirmed bookings only; also session_meeting_details(session_id)).';
comment on column public.sessions.event_id is 'Optional event; it must belong to the session''s program (composite foreign key).';
comment on column public.sessions.phase is 'Curriculum phase 1-4 inside the program, or null.';
comment on column public.sessions.timezone is 'IANA time zone for display and calendar files; starts_at itself is absolute.';
comment on column public.sessions.status is
  'draft -> scheduled -> live -> ended; scheduled/live -> cancelled. Changed only through the lifecycle RPCs.';
comment on column public.sessions.visibility is
  'public: anyone (anon included) once published; members: signed-in users once published; private: staff and booked users only.';
comment on column public.sessions.capacity is 'Maximum confirmed bookings; null = unlimited.';
comment on column public.sessions.price_cents is 'Price in the minor unit of currency; 0 = free.';
comment on column public.sessions.slow_mode_seconds is 'Minimum seconds between two chat messages of one user; 0 = off.';
comment on column public.sessions.chat_rate_limit is 'Maximum chat messages per user per minute.';
comment on column public.sessions.qa_moderation is 'When true, new questions are pending until staff publish them.';
comment on column public.sessions.sequence is 'Calendar (iCalendar SEQUENCE) revision, bumped by every lifecycle RPC.';
comment on column public.sessions.cancel_reason is 'Reason given to cancel_session; null unless cancelled.';
comment on column public.sessions.started_at is 'When start_session ran.';
comment on column public.sessions.created_by is 'The creating coach or admin, set from auth.uid(); clients cannot write it.';
comment on column public.sessions.ended_at is 'When the live session ended: end_session, or cancel_session while it was live.';
alter table public.sessions enable row level security;

create table public.session_staff (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null,
  created_at timestamptz not null default now(),
  primary key (session_id, user_id),
  constraint session_staff_role_valid check (role in ('host', 'moderator', 'speaker'))
);
comment on table public.session_staff is
  'Per-session staff. Written only by the session''s creation (creator = host) and by add_session_staff/remove_session_staff.';
comment on column public.session_staff.role is 'host (edits the session, manages staff), moderator (moderates chat and Q&A) or speaker.';
alter table public.session_staff enable row level security;

create table public.streams (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  source_type text not null,
  source_url text not null,
  status text not null default 'idle',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint streams_source_type_valid check (source_type in ('youtube', 'rtmp', 'hls', 'jitsi')),
  constraint streams_source_url_matches_type check (case source_type
    when 'youtube' then source_url ~ '^https://((www|m)\.)?(youtube\.com|youtu\.be)/\S*$'
    when 'rtmp' then source_url ~ '^rtmps?://[^/\s]+(/\S*)?$'
    when 'hls' then source_url ~ '^https://[^/\s]+/\S*\.m3u8(\?\S*)?$'
    when 'jitsi' then source_url ~ '^https://[^/\s]+/\S+$'
  end),
  constraint streams_status_valid check (status in ('idle', 'live', 'ended', 'error'))
);
comment on table public.streams is
  'Video sources of a session. Readable by members of the session (rtmp ingest URLs by staff only); written by hosts.';
comment on column public.streams.source_url is
  'youtube: https://(www.)youtube.com or youtu.be; rtmp: rtmp(s)://host/... (ingest, staff only); hls: https://.../*.m3u8; jitsi: https://host/room.';
comment on column public.streams.status is
  'idle, live, ended or error (the source failed). Every change is broadcast as stream_status on session:<id>.';
alter table public.streams enable row level security;

create table public.rooms (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  name text not null,
  topic text,
  speaker text,
  thumbnail_url text,
  is_main_stage boolean not null default false,
  capacity int,
  closes_at timestamptz,
  status text not null default 'open',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  self_select boolean not null default false,
  constraint rooms_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint rooms_capacity_positive check (capacity is null or capacity > 0),
  constraint rooms_status_valid check (status in ('open', 'closed')),
  constraint rooms_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$')
);
comment on table public.rooms is 'Breakout rooms of a session (at most one main stage). Readable with the session; written by hosts.';
comment on column public.rooms.speaker is 'Display name of the room''s speaker, free text.';
comment on column public.rooms.closes_at is 'When the room is planned to close; status says whether it is open now.';
comment on column public.rooms.self_select is
  'When true, members may join this open room themselves with join_room while it has capacity left (added by the live-room migration).';
alter table public.rooms enable row level security;

create table public.room_assignments (
  room_id uuid not null references public.rooms (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  joined_at timestamptz,
  primary key (room_id, user_id)
);
comment on table public.room_assignments is
  'Who is assigned to which breakout room. Users read their own; hosts and moderators of the session read and write.';
comment on column public.room_assignments.joined_at is 'When the user entered the room with join_room (added by the live-room migration).';
alter table public.room_assignments enable row level security;

-- Bans are part of membership: a banned user can no longer book, join, read the chat, ask, vote,
-- answer surveys or enter rooms of the session. How each capability reacts to a new ban lives with
-- it (40_chat.sql: queued messages; 53_rooms.sql: room seats).
create table public.session_bans (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  reason text,
  banned_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint session_bans_pkey primary key (session_id, user_id),
  constraint session_bans_reason_length check (reason is null or char_length(reason) between 1 and 500)
);
comment on table public.session_bans is
  'Users banned from a session by its hosts or moderators (ban_user / unban_user). A banned user can no longer '
  'post, ask, vote, read the chat nor receive the session''s broadcasts. Staff cannot be banned.';
comment on column public.session_bans.reason is 'Optional reason given by the moderator (1-500 characters), shown to staff and to the banned user.';
comment on column public.session_bans.banned_by is 'Host or moderator who banned; null once that account is deleted.';
alter table public.session_bans enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index programs_created_by_idx on public.programs (created_by);
create index events_program_id_idx on public.events (program_id);
create index events_created_by_idx on public.events (created_by);
create index sessions_program_id_idx on public.sessions (program_id);
create index sessions_event_id_program_id_idx on public.sessions (event_id, program_id);
create index sessions_created_by_idx on public.sessions (created_by);
create index sessions_starts_at_idx on public.sessions (starts_at);
create index sessions_status_visibility_idx on public.sessions (status, visibility);
create index session_staff_user_id_idx on public.session_staff (user_id);
create index streams_session_id_idx on public.streams (session_id);
create index rooms_session_id_idx on public.rooms (session_id);
create unique index rooms_one_main_stage_per_session on public.rooms (session_id) where is_main_stage;
create index room_assignments_user_id_idx on public.room_assignments (user_id);
-- session_bans: (session_id, user_id) is the primary key.
create index session_bans_user_id_idx on public.session_bans (user_id);
create index session_bans_banned_by_idx on public.session_bans (banned_by);
create index rooms_session_id_status_idx on public.rooms (session_id, status) where status = 'open';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Membership and role helpers are called by every policy, RPC and broadcast, so they are PL/pgSQL
-- (security definer: they read session_staff, bookings, attendance and sessions across RLS, so that
-- policies stay simple and do not recurse). A LANGUAGE sql function with a SET clause (here
-- `set search_path = ''`, required for security definer functions) is never inlined, and its query
-- is parsed and planned again on every call; PL/pgSQL caches each statement's plan for the session.
-- Measured on the 2-core dev machine: book_session 0.80 -> ~0.2 ms per call, send_chat_message
-- 0.80 -> ~0.3 ms (private.my_session_ids() alone was 0.42 ms as SQL).

-- Platform admins pass the host and moderator checks of every session (issue 18, admin powers)
-- without a session_staff row: they are not members, receive no broadcasts and appear in no
-- roster; what they do there is audited (75_admin_powers.sql). Code that needs real staff reads
-- session_staff itself.
create function private.is_session_staff(session_id uuid, roles text[] default null)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return exists (
    select 1 from public.session_staff st
    where st.session_id = is_session_staff.session_id
      and st.user_id = auth.uid()
      and (is_session_staff.roles is null or st.role = any (is_session_staff.roles)))
    or ((is_session_staff.roles is null or is_session_staff.roles && array['host', 'moderator'])
        and private.is_admin());
end;
$$;
comment on function private.is_session_staff(uuid, text[]) is
  'True when auth.uid() is staff of the session (with one of roles, when given), or a platform admin when the roles '
  'asked for include host or moderator (admins pass host checks without being staff). Security definer: reads '
  'session_staff across RLS.';
revoke execute on function private.is_session_staff(uuid, text[]) from public, anon;
grant execute on function private.is_session_staff(uuid, text[]) to authenticated, service_role;

create function private.is_session_host(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return private.is_session_staff(is_session_host.session_id, array['host']);
end;
$$;
comment on function private.is_session_host(uuid) is 'True when auth.uid() hosts the session. Security definer: reads session_staff across RLS.';
revoke execute on function private.is_session_host(uuid) from public, anon;
grant execute on function private.is_session_host(uuid) to authenticated, service_role;

-- Set-returning helpers state their rows (a user staffs or belongs to a handful of sessions, a card
-- has one host): the default estimate of 1,000 rows multiplies through joins and lateral calls and
-- can push a client's query above jit_above_cost, and JIT then costs more than the query
-- (supabase/tests/plans/jit.test.ts checks every client query's plan).
create function private.staff_session_ids(roles text[] default null)
returns setof uuid
language plpgsql stable security definer rows 10 set search_path = '' as $$
begin
  -- Admins pass host and moderator policies on every session (see private.is_session_staff).
  if (staff_session_ids.roles is null or staff_session_ids.roles && array['host', 'moderator']) and private.is_admin() then
    return query select s.id from public.sessions s;
    return;
  end if;
  return query
    select st.session_id from public.session_staff st
    where st.user_id = auth.uid()
      and (staff_session_ids.roles is null or st.role = any (staff_session_ids.roles));
end;
$$;
comment on function private.staff_session_ids(text[]) is
  'Sessions where auth.uid() is staff (with one of roles, when given); every session for a platform admin when the '
  'roles asked for include host or moderator. For policies: session_id in (select private.staff_session_ids()). '
  'Security definer: reads session_staff across RLS.';
revoke execute on function private.staff_session_ids(text[]) from public, anon;
grant execute on function private.staff_session_ids(text[]) to authenticated, service_role;

-- The members of a session: its staff, holders of a confirmed booking, and, for a public session,
-- signed-in users who joined it (API.md: "for a public session anyone signed in who has joined it").
create function private.my_session_ids()
returns setof uuid
language plpgsql stable security definer rows 20 set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select st.session_id from public.session_staff st where st.user_id = v_uid
    union
    select b.session_id from public.bookings b where b.user_id = v_uid and b.status = 'confirmed'
    union
    select a.session_id from public.attendance_intervals a
    join public.sessions s on s.id = a.session_id
    where a.user_id = v_uid and s.visibility = 'public';
end;
$$;
comment on function private.my_session_ids() is
  'Sessions auth.uid() is a member of: staff, holder of a confirmed booking, or (public sessions) joined it once. '
  'Security definer: reads staff, bookings and attendance across RLS. Redefined by the booking migration.';
revoke execute on function private.my_session_ids() from public, anon;
grant execute on function private.my_session_ids() to authenticated, service_role;

create function private.visible_session_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_admin boolean;
begin
  if v_uid is null then
    return;
  end if;
  v_admin := private.is_admin();
  return query
    select s.id from public.sessions s
    where (s.status <> 'draft' and s.visibility <> 'private')
       or v_admin
       or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = v_uid)
       or (s.status <> 'draft' and exists (
         select 1 from public.bookings b
         where b.session_id = s.id and b.user_id = v_uid and b.status <> 'cancelled'));
end;
$$;
comment on function private.visible_session_ids() is
  'Sessions a signed-in auth.uid() may read: published public/members ones, every one they staff, published ones they hold an '
  'active booking for, and all of them for admins. The sessions SELECT policy for authenticated. Security definer: reads '
  'sessions, staff and bookings across RLS.';
revoke execute on function private.visible_session_ids() from public, anon;
grant execute on function private.visible_session_ids() to authenticated, service_role;

-- Locks a session for a lifecycle change by its host. Only called from security definer RPCs.
create function private.session_for_host(session_id uuid)
returns public.sessions
language plpgsql volatile set search_path = '' as $$
declare
  v_session public.sessions;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_for_host.session_id));
  end if;
  -- No key update, not update: it excludes other host actions as well, but not the key-share locks that
  -- writes referencing the session take (a join's interval, a booking). With `for update`, ending a session
  -- deadlocked with a join in flight: the join holds the attendance lock and needs a key-share lock on
  -- this row, the end held the row and waited for the attendance lock (40P01; see
  -- tests/concurrency/attendance.test.ts).
  select s.* into v_session from public.sessions s where s.id = session_for_host.session_id for no key update;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_for_host.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only a host of the session can do this.', jsonb_build_object('session_id', v_session.id));
  end if;
  return v_session;
end;
$$;
comment on function private.session_for_host(uuid) is
  'Locks and returns a session for a change by its host: not_authenticated, not_found (invisible) or forbidden (not host).';
revoke execute on function private.session_for_host(uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: policies and RPCs of other tables (questions, polls, realtime.messages) ask
-- whether someone is banned, and the caller may not read that ban row through RLS. Booking,
-- joining and reminders refuse banned users.
create function private.is_banned(session_id uuid, user_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return exists (
    select 1 from public.session_bans b
    where b.session_id = is_banned.session_id and b.user_id = is_banned.user_id);
end;
$$;
comment on function private.is_banned(uuid, uuid) is
  'True when the user is banned from the session (public.session_bans).';
revoke execute on function private.is_banned(uuid, uuid) from public, anon;
grant execute on function private.is_banned(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads session_staff and bookings across RLS. The single-session form of the
-- catalogue's private.visible_session_ids() (the same rule, tested for equality in 30_booking):
-- that one lists every visible session, which costs a scan of all sessions per call.
create function private.can_see_session(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return v_uid is not null and exists (
    select 1 from public.sessions s
    where s.id = can_see_session.session_id
      and ((s.status <> 'draft' and s.visibility <> 'private')
        or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = v_uid)
        or (s.status <> 'draft' and exists (
          select 1 from public.bookings b
          where b.session_id = s.id and b.user_id = v_uid and b.status <> 'cancelled'))
        or private.is_admin()));
end;
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
  -- private.can_see_session's first rule (published, not private) is read from the row at hand: a live
  -- event's heartbeats and bookings skip the call and its second read of the session.
  if v_session.id is null
     or not ((v_session.status <> 'draft' and v_session.visibility <> 'private')
             or private.can_see_session(v_session.id)) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_for_member_action.session_id));
  end if;
  -- private.is_banned's query, without its security definer call (this runs inside security definer
  -- RPCs already).
  if exists (select 1 from public.session_bans b where b.session_id = v_session.id and b.user_id = v_uid) then
    perform private.raise_error('forbidden', 'You are banned from this session.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'banned'));
  end if;
  return v_session;
end;
$$;
comment on function private.session_for_member_action(uuid) is
  'Returns a session for a member action of auth.uid(): not_authenticated, invalid_input, not_found (invisible), '
  'forbidden (banned, details.reason = banned). Internal.';
revoke execute on function private.session_for_member_action(uuid)
  from public, anon, authenticated, service_role;

-- SECURITY DEFINER: used in set form by policies (chat_messages, realtime.messages); reads only the
-- caller's own bans.
create function private.my_banned_session_ids()
returns setof uuid
language plpgsql stable security definer rows 1 set search_path = '' as $$
begin
  return query select b.session_id from public.session_bans b where b.user_id = auth.uid();
end;
$$;
comment on function private.my_banned_session_ids() is
  'Sessions the calling user is banned from. For policies: session_id not in (select private.my_banned_session_ids()).';
revoke execute on function private.my_banned_session_ids() from public, anon;
grant execute on function private.my_banned_session_ids() to authenticated, service_role;

-- SECURITY DEFINER: the chat policy's one set, so a read pays for one helper call, not two:
-- sessions the caller is a member of (private.my_session_ids()) minus those they are banned from.
create function private.my_chat_session_ids()
returns setof uuid
language plpgsql stable security definer rows 20 set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select m.id from private.my_session_ids() as m (id)
    where not exists (select 1 from public.session_bans b where b.session_id = m.id and b.user_id = v_uid);
end;
$$;
comment on function private.my_chat_session_ids() is
  'Sessions whose chat the caller may read: member (private.my_session_ids()) and not banned. For policies, in set form.';
revoke execute on function private.my_chat_session_ids() from public, anon;
grant execute on function private.my_chat_session_ids() to authenticated, service_role;

-- Authorizes the caller for a live-room action on a session and returns their user id.
--   need = 'member': signed in, a member of the session (private.my_session_ids()), not banned.
--   need = 'staff':  a host or moderator of the session; the service role passes (returns null).
-- Errors: not_authenticated, not_found (session invisible to the caller), forbidden, banned.
-- SECURITY DEFINER: reads sessions across RLS for the not_found/forbidden distinction.
create function private.require_session_access(session_id uuid, need text)
returns uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    if need = 'staff' and coalesce((select auth.role()) = 'service_role', false)
       and exists (select 1 from public.sessions s where s.id = require_session_access.session_id) then
      return null;
    end if;
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', require_session_access.session_id));
  end if;
  if need = 'staff' then
    if private.is_session_staff(require_session_access.session_id, array['host', 'moderator']) then
      return v_uid;
    end if;
  elsif require_session_access.session_id in (select private.my_session_ids()) then
    if private.is_banned(require_session_access.session_id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', require_session_access.session_id));
    end if;
    return v_uid;
  end if;
  if require_session_access.session_id in (select private.visible_session_ids()) then
    perform private.raise_error('forbidden',
      case when need = 'staff' then 'Only hosts and moderators of the session can do this.'
           else 'Only members of the session can do this.' end,
      jsonb_build_object('session_id', require_session_access.session_id));
  end if;
  perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', require_session_access.session_id));
  return null;
end;
$$;
comment on function private.require_session_access(uuid, text) is
  'Authorizes a live-room action (need member or staff) and returns auth.uid(); raises not_authenticated, not_found, '
  'forbidden or banned. Staff = host or moderator; the service role passes staff checks.';
revoke execute on function private.require_session_access(uuid, text) from public, anon;
grant execute on function private.require_session_access(uuid, text) to authenticated, service_role;

-- The one-session form of my_session_ids(), for RPCs: three index probes instead of a list.
create function private.is_session_member(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return v_uid is not null and (
    exists (select 1 from public.session_staff st
            where st.session_id = is_session_member.session_id and st.user_id = v_uid)
    or exists (select 1 from public.bookings b
               where b.session_id = is_session_member.session_id and b.user_id = v_uid and b.status = 'confirmed')
    or exists (select 1 from public.attendance_intervals a
               join public.sessions s on s.id = a.session_id
               where a.session_id = is_session_member.session_id and a.user_id = v_uid and s.visibility = 'public'));
end;
$$;
comment on function private.is_session_member(uuid) is
  'True when auth.uid() is a member of the session (same rule as private.my_session_ids()): staff, confirmed '
  'booking, or joined a public session. Security definer: reads staff, bookings and attendance across RLS.';
revoke execute on function private.is_session_member(uuid) from public, anon;
grant execute on function private.is_session_member(uuid) to authenticated, service_role;

-- SECURITY DEFINER: session_bans is readable by staff only; this answers for the caller alone.
-- PL/pgSQL, not SQL: a SQL function with SET is planned again on every call (~0.1 ms, per card).
create function private.am_banned(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return v_uid is not null
     and exists (select 1 from public.session_bans sb where sb.session_id = am_banned.session_id and sb.user_id = v_uid);
end;
$$;
comment on function private.am_banned(uuid) is
  'True when the caller is banned from the session (false for anon). For session_cards.can_join. Internal.';
revoke execute on function private.am_banned(uuid) from public;
grant execute on function private.am_banned(uuid) to anon, authenticated, service_role;

-- SECURITY DEFINER: session_staff rows are not all readable by the creator.
create function private.session_has_staff(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.session_staff st where st.session_id = session_has_staff.session_id)
$$;
comment on function private.session_has_staff(uuid) is
  'True once a session has any staff row (its creator becomes host right after the insert). For the sessions read '
  'policy. Internal.';
revoke execute on function private.session_has_staff(uuid) from public, anon;
grant execute on function private.session_has_staff(uuid) to authenticated, service_role;

-- The sessions read policy beyond its first test (published and not private), in one call: the
-- creator of a session without staff yet (the moment of its insert), or private.can_see_session.
-- One function call instead of two sub-selects (auth.uid() and the set of visible sessions): every
-- signed-in read of sessions plans the policy (a live event's card reads included), and it is called
-- only for the rows the first test does not admit (drafts, private sessions). Security invoker: the
-- functions it calls are security definer. One exception to private.can_see_session: an admin does
-- not read a one-to-one appointment they take no part in (its topic is the patient's; admin powers
-- still act on it through the RPCs, which find it across RLS: 33_counselling.sql,
-- private.is_appointment_outsider). Only admins reach that check.
create function private.can_read_session(session_id uuid, created_by uuid)
returns boolean
language plpgsql stable set search_path = '' as $$
begin
  return (can_read_session.created_by = auth.uid() and not private.session_has_staff(can_read_session.session_id))
      or (private.can_see_session(can_read_session.session_id)
          and not (private.is_admin() and private.is_appointment_outsider(can_read_session.session_id)));
end;
$$;
comment on function private.can_read_session(uuid, uuid) is
  'For the sessions read policy (authenticated), after its published-and-not-private test: true for the creator of a '
  'session that has no staff yet, or when private.can_see_session allows, except a one-to-one appointment an admin '
  'takes no part in (private.is_appointment_outsider). Internal.';
revoke execute on function private.can_read_session(uuid, uuid) from public, anon;
grant execute on function private.can_read_session(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.programs from public, anon, authenticated, service_role;
grant select on table public.programs to anon;
grant select, delete on table public.programs to authenticated;
grant all on table public.programs to service_role;
grant insert (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on table
  public.programs to authenticated;
grant update (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on table
  public.programs to authenticated;
create policy "anyone can read published programs" on public.programs
  for select to anon using (status <> 'draft');
create policy "users can read published programs and their own drafts" on public.programs
  for select to authenticated
  using (status <> 'draft' or created_by = (select auth.uid()) or (select private.is_admin()));
create policy "coaches and admins can create programs" on public.programs
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid()));
create policy "creators and admins can update programs" on public.programs
  for update to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()))
  with check (created_by = (select auth.uid()) or (select private.is_admin()));
create policy "creators and admins can delete programs" on public.programs
  for delete to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.events from public, anon, authenticated, service_role;
grant select on table public.events to anon;
grant select, delete on table public.events to authenticated;
grant all on table public.events to service_role;
grant insert (program_id, title, slug, description, status, starts_at, ends_at) on table public.events to
  authenticated;
grant update (title, slug, description, status, starts_at, ends_at) on table public.events to authenticated;
create policy "anyone can read published events" on public.events
  for select to anon using (status <> 'draft');
create policy "users can read published events and their own drafts" on public.events
  for select to authenticated
  using (status <> 'draft' or created_by = (select auth.uid()) or (select private.is_admin()));
create policy "coaches and admins can create events in their programs" on public.events
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid())
    and (program_id in (select p.id from public.programs p where p.created_by = (select auth.uid()))
      or (select private.is_admin())));
create policy "creators and admins can update events" on public.events
  for update to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()))
  with check (created_by = (select auth.uid()) or (select private.is_admin()));
create policy "creators and admins can delete events" on public.events
  for delete to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.sessions from public, anon, authenticated, service_role;
grant delete on table public.sessions to authenticated;
grant all on table public.sessions to service_role;
-- Every column: the meeting URL and password are in session_secrets (21_session_secrets.sql), so
-- select=* works for every role that may read the session.
grant select on table public.sessions to anon, authenticated;
-- Never created_by, status, sequence, cancel_reason, started_at, ended_at (lifecycle RPCs own them).
grant insert (program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
  visibility, capacity, waitlist_enabled, price_cents, currency, replay_url,
  thumbnail_url, chat_enabled, slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on table public.sessions to authenticated;
-- starts_at and duration_minutes change through reschedule_session (it bumps the calendar sequence).
grant update (program_id, event_id, title, description, topic, phase, timezone, visibility, capacity,
  waitlist_enabled, price_cents, currency, replay_url, thumbnail_url, chat_enabled,
  slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on table public.sessions to authenticated;
create policy "coaches and admins can create sessions" on public.sessions
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid()));
-- Not a one-to-one appointment an admin takes no part in (the read policy's rule, private.can_read_session),
-- even by an update whose WHERE reads no column (the read policy does not apply to it then): it would
-- change the appointment and copy its topic into the audit log (75_admin_powers.sql). Admin powers act
-- on appointments through the RPCs.
create policy "hosts can update their sessions" on public.sessions
  for update to authenticated
  using (id in (select private.staff_session_ids(array['host']))
         and (not (select private.is_admin()) or private.can_read_session(id, created_by)))
  with check (id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete their draft sessions" on public.sessions
  for delete to authenticated
  using (status = 'draft' and id in (select private.staff_session_ids(array['host'])));
-- A cancelled public session stays readable (it was published before: cancel_session accepts only
-- scheduled or live sessions), so a visitor's calendar receives STATUS:CANCELLED.
create policy "anyone can read published public sessions" on public.sessions
  for select to anon
  using (visibility = 'public' and status <> 'draft');
create policy "users can read the sessions visible to them" on public.sessions
  for select to authenticated
  -- created_by: the creator reads the new row back (insert ... returning) before the trigger adds
  -- them as host. Only while the session has no staff at all, the moment of its insert: a creator
  -- later removed from the staff reads it like anyone else. The published public and members-only
  -- sessions (visible_session_ids' first rule) are tested first, on the row: a read of those (the
  -- catalogue, a live event's card) calls nothing; other rows go through private.can_read_session
  -- (private.visible_session_ids' rule for one session, as private.can_see_session).
  using ((status <> 'draft' and visibility <> 'private')
         or private.can_read_session(id, created_by));

revoke all on table public.session_staff from public, anon, authenticated, service_role;
grant select on table public.session_staff to authenticated;
grant all on table public.session_staff to service_role;
create policy "users can read the staff of visible sessions" on public.session_staff
  for select to authenticated
  using (session_id in (select private.visible_session_ids()));

revoke all on table public.streams from public, anon, authenticated, service_role;
grant select, delete on table public.streams to authenticated;
grant all on table public.streams to service_role;
grant insert (session_id, source_type, source_url, status) on table public.streams to authenticated;
grant update (source_type, source_url, status) on table public.streams to authenticated;
-- rtmp sources are ingest URLs with a stream key: staff only.
create policy "members can read the streams of their sessions" on public.streams
  for select to authenticated
  using (session_id in (select private.my_chat_session_ids())
    and (source_type <> 'rtmp' or session_id in (select private.staff_session_ids())));
create policy "hosts can add streams" on public.streams
  for insert to authenticated
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can update streams" on public.streams
  for update to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])))
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete streams" on public.streams
  for delete to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])));

revoke all on table public.rooms from public, anon, authenticated, service_role;
grant select, delete on table public.rooms to authenticated;
grant all on table public.rooms to service_role;
grant insert (session_id, name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status,
  self_select) on table public.rooms to authenticated;
grant update (name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status, self_select) on
  table public.rooms to authenticated;
create policy "users can read the rooms of visible sessions" on public.rooms
  for select to authenticated
  using (session_id in (select private.visible_session_ids()));
create policy "hosts can add rooms" on public.rooms
  for insert to authenticated
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can update rooms" on public.rooms
  for update to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])))
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete rooms" on public.rooms
  for delete to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])));

-- Assignments are written only through assign_room, unassign_room, assign_rooms_randomly and
-- join_room (53_rooms.sql): their membership, ban and open-room checks cannot be skipped.
revoke all on table public.room_assignments from public, anon, authenticated, service_role;
grant select on table public.room_assignments to authenticated;
grant all on table public.room_assignments to service_role;
create policy "users and session staff can read room assignments" on public.room_assignments
  for select to authenticated
  using (user_id = (select auth.uid())
    or room_id in (select r.id from public.rooms r
                   where r.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

revoke all on table public.session_bans from public, anon, authenticated, service_role;
grant select on table public.session_bans to authenticated;
grant all on table public.session_bans to service_role;
create policy "staff read the bans of their sessions and users read their own bans"
  on public.session_bans for select to authenticated
  using (session_id in (select private.staff_session_ids(array['host', 'moderator'])) or user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

create function public.publish_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(publish_session.session_id);
begin
  if v_session.status <> 'draft' then
    perform private.raise_error('invalid_transition', 'Only a draft session can be published.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'scheduled', sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return private.redact_session(v_session);  -- 33_counselling.sql: no appointment topic to an outsider
end;
$$;
comment on function public.publish_session(uuid) is
  'Host: draft -> scheduled (visible in the catalogue). Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.publish_session(uuid) from public, anon;
grant execute on function public.publish_session(uuid) to authenticated, service_role;

create function public.start_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(start_session.session_id);
begin
  if v_session.status <> 'scheduled' then
    perform private.raise_error('invalid_transition', 'Only a scheduled session can start.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'live', started_at = now(), sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return private.redact_session(v_session);  -- 33_counselling.sql: no appointment topic to an outsider
end;
$$;
comment on function public.start_session(uuid) is
  'Host: scheduled -> live, sets started_at. Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.start_session(uuid) from public, anon;
grant execute on function public.start_session(uuid) to authenticated, service_role;

create function public.end_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(end_session.session_id);
begin
  if v_session.status <> 'live' then
    perform private.raise_error('invalid_transition', 'Only a live session can end.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'ended', ended_at = greatest(now(), s.started_at), sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return private.redact_session(v_session);  -- 33_counselling.sql: no appointment topic to an outsider
end;
$$;
comment on function public.end_session(uuid) is
  'Host: live -> ended, sets ended_at. Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.end_session(uuid) from public, anon;
grant execute on function public.end_session(uuid) to authenticated, service_role;

create function public.cancel_session(session_id uuid, reason text default null)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(cancel_session.session_id);
  v_reason text := nullif(btrim(cancel_session.reason), '');
begin
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only a scheduled or live session can be cancelled.',
      jsonb_build_object('status', v_session.status));
  end if;
  if char_length(v_reason) > 500 then
    perform private.raise_error('invalid_input', 'The reason is at most 500 characters.',
      jsonb_build_object('length', char_length(v_reason)));
  end if;
  update public.sessions s set status = 'cancelled', cancel_reason = v_reason, sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return private.redact_session(v_session);  -- 33_counselling.sql: no appointment topic to an outsider
end;
$$;
comment on function public.cancel_session(uuid, text) is
  'Host: scheduled/live -> cancelled with an optional reason (<= 500 chars). Bumps sequence, broadcasts session_status, '
  'returns the session.';
revoke execute on function public.cancel_session(uuid, text) from public, anon;
grant execute on function public.cancel_session(uuid, text) to authenticated, service_role;

create function public.reschedule_session(session_id uuid, starts_at timestamptz, duration_minutes int default null)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(reschedule_session.session_id);
begin
  if v_session.status not in ('draft', 'scheduled') then
    perform private.raise_error('invalid_transition', 'Only a draft or scheduled session can be rescheduled.',
      jsonb_build_object('status', v_session.status));
  end if;
  if reschedule_session.starts_at is null or reschedule_session.starts_at <= now() then
    perform private.raise_error('invalid_input', 'The new start must be in the future.',
      jsonb_build_object('starts_at', reschedule_session.starts_at));
  end if;
  if reschedule_session.duration_minutes is not null and reschedule_session.duration_minutes not between 5 and 600 then
    perform private.raise_error('invalid_input', 'The duration is 5 to 600 minutes.',
      jsonb_build_object('duration_minutes', reschedule_session.duration_minutes));
  end if;
  update public.sessions s
  set starts_at = reschedule_session.starts_at,
      duration_minutes = coalesce(reschedule_session.duration_minutes, s.duration_minutes),
      sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return private.redact_session(v_session);  -- 33_counselling.sql: no appointment topic to an outsider
end;
$$;
comment on function public.reschedule_session(uuid, timestamptz, int) is
  'Host: moves a draft or scheduled session to a future start (and duration, 5-600 minutes, when given). Bumps sequence, '
  'broadcasts session_status, returns the session.';
revoke execute on function public.reschedule_session(uuid, timestamptz, int) from public, anon;
grant execute on function public.reschedule_session(uuid, timestamptz, int) to authenticated, service_role;

create function public.add_session_staff(session_id uuid, user_id uuid, role text)
returns public.session_staff
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(add_session_staff.session_id);
  v_row public.session_staff;
begin
  if add_session_staff.role is null or add_session_staff.role not in ('host', 'moderator', 'speaker') then
    perform private.raise_error('invalid_input', 'role is host, moderator or speaker.',
      jsonb_build_object('role', add_session_staff.role));
  end if;
  -- A one-to-one appointment's staff is its own hosts' to change: admin powers pass the host check
  -- above, but an admin made staff would read the patient's topic and enter the room unknown to the
  -- patient (33_counselling.sql, private.is_appointment_outsider). Only one of its real hosts adds staff.
  if v_session.kind = 'one_to_one' and not exists (
    select 1 from public.session_staff st
    where st.session_id = v_session.id and st.user_id = (select auth.uid()) and st.role = 'host') then
    perform private.raise_error('forbidden', 'Only a host of this appointment can add staff to it.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  if not exists (select 1 from auth.users u where u.id = add_session_staff.user_id) then
    perform private.raise_error('not_found', 'User not found.', jsonb_build_object('user_id', add_session_staff.user_id));
  end if;
  if add_session_staff.role <> 'host' and not exists (
    select 1 from public.session_staff st
    where st.session_id = v_session.id and st.role = 'host' and st.user_id <> add_session_staff.user_id) then
    perform private.raise_error('conflict', 'A session keeps at least one host.', jsonb_build_object('session_id', v_session.id));
  end if;
  insert into public.session_staff as st (session_id, user_id, role)
  values (v_session.id, add_session_staff.user_id, add_session_staff.role)
  on conflict on constraint session_staff_pkey do update set role = excluded.role
  returning st.* into v_row;
  return v_row;
end;
$$;
comment on function public.add_session_staff(uuid, uuid, text) is
  'Host: adds a user as host, moderator or speaker of the session, or changes their role. The last host cannot be '
  'demoted (conflict). A one-to-one appointment: only one of its own hosts, not admin powers (forbidden, 403). '
  'Returns the staff row.';
revoke execute on function public.add_session_staff(uuid, uuid, text) from public, anon;
grant execute on function public.add_session_staff(uuid, uuid, text) to authenticated, service_role;

create function public.remove_session_staff(session_id uuid, user_id uuid)
returns public.session_staff
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(remove_session_staff.session_id);
  v_row public.session_staff;
begin
  if not exists (
    select 1 from public.session_staff st
    where st.session_id = v_session.id and st.role = 'host' and st.user_id <> remove_session_staff.user_id) then
    perform private.raise_error('conflict', 'A session keeps at least one host.', jsonb_build_object('session_id', v_session.id));
  end if;
  delete from public.session_staff st
  where st.session_id = v_session.id and st.user_id = remove_session_staff.user_id
  returning st.* into v_row;
  if v_row.session_id is null then
    perform private.raise_error('not_found', 'This user is not staff of the session.',
      jsonb_build_object('user_id', remove_session_staff.user_id));
  end if;
  return v_row;
end;
$$;
comment on function public.remove_session_staff(uuid, uuid) is
  'Host: removes a user from the session''s staff (not the last host: conflict). not_found when they are not staff. '
  'Returns the removed row.';
revoke execute on function public.remove_session_staff(uuid, uuid) from public, anon;
grant execute on function public.remove_session_staff(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on session_bans.
create function public.ban_user(session_id uuid, user_id uuid, reason text default null)
returns public.session_bans
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_reason text := nullif(btrim(ban_user.reason), '');
  v_row public.session_bans;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to moderate.', jsonb_build_object('function', 'ban_user'));
  end if;
  perform private.require_session_access(ban_user.session_id, 'staff');
  if char_length(v_reason) > 500 then
    perform private.raise_error('invalid_input', 'The reason must be at most 500 characters.',
      jsonb_build_object('field', 'reason', 'max', 500));
  end if;
  if not exists (select 1 from auth.users u where u.id = ban_user.user_id) then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_id', ban_user.user_id));
  end if;
  if exists (select 1 from public.session_staff st
             where st.session_id = ban_user.session_id and st.user_id = ban_user.user_id) then
    perform private.raise_error('forbidden', 'Session staff cannot be banned.', jsonb_build_object('user_id', ban_user.user_id));
  end if;
  insert into public.session_bans as b (session_id, user_id, reason, banned_by)
  values (ban_user.session_id, ban_user.user_id, v_reason, v_uid)
  on conflict on constraint session_bans_pkey do update
    set reason = excluded.reason, banned_by = excluded.banned_by
  returning b.* into v_row;
  return v_row;
end;
$$;
comment on function public.ban_user(uuid, uuid, text) is
  'Hosts and moderators ban a user from the session (again: updates the reason); returns the ban. The user can no '
  'longer post, ask, vote, read the chat or join the session channel, and receives session_banned on user:<id> '
  '(a channel joined before the ban is only re-authorized when the client refreshes its token, so clients leave '
  'on that event). Errors: not_authenticated, not_found (session not visible to the caller, or unknown '
  'user), forbidden (caller not host/moderator, or target is staff), invalid_input (reason over 500 characters).';
revoke execute on function public.ban_user(uuid, uuid, text) from public, anon;
grant execute on function public.ban_user(uuid, uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients have no delete grant on session_bans.
create function public.unban_user(session_id uuid, user_id uuid)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_deleted int;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to moderate.', jsonb_build_object('function', 'unban_user'));
  end if;
  perform private.require_session_access(unban_user.session_id, 'staff');
  delete from public.session_bans b
  where b.session_id = unban_user.session_id and b.user_id = unban_user.user_id;
  get diagnostics v_deleted = row_count;
  return v_deleted > 0;
end;
$$;
comment on function public.unban_user(uuid, uuid) is
  'Hosts and moderators lift a ban; returns true when a ban was removed, false when there was none. Errors: '
  'not_authenticated, not_found, forbidden.';
revoke execute on function public.unban_user(uuid, uuid) from public, anon;
grant execute on function public.unban_user(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger programs_set_updated_at before update on public.programs
  for each row execute function private.set_updated_at();
create trigger events_set_updated_at before update on public.events
  for each row execute function private.set_updated_at();
create trigger sessions_set_updated_at before update on public.sessions
  for each row execute function private.set_updated_at();
create trigger streams_set_updated_at before update on public.streams
  for each row execute function private.set_updated_at();
create trigger rooms_set_updated_at before update on public.rooms
  for each row execute function private.set_updated_at();

-- A session attached to an event takes the event's program when none is given.
create function private.sessions_fill_program_from_event()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.event_id is not null and new.program_id is null then
    select e.program_id into new.program_id from public.events e where e.id = new.event_id;
  end if;
  return new;
end;
$$;
comment on function private.sessions_fill_program_from_event() is
  'Trigger: fills sessions.program_id from the event when only event_id is given.';
revoke execute on function private.sessions_fill_program_from_event()
  from public, anon, authenticated, service_role;
create trigger sessions_fill_program_from_event before insert or update of event_id on public.sessions
  for each row execute function private.sessions_fill_program_from_event();

-- Security definer: clients cannot insert into session_staff.
create function private.sessions_add_creator_as_host()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.created_by is not null then
    insert into public.session_staff (session_id, user_id, role) values (new.id, new.created_by, 'host')
    on conflict (session_id, user_id) do update set role = 'host';
  end if;
  return null;
end;
$$;
comment on function private.sessions_add_creator_as_host() is 'Trigger: makes the creator of a session its host.';
revoke execute on function private.sessions_add_creator_as_host()
  from public, anon, authenticated, service_role;
create trigger sessions_add_creator_as_host after insert on public.sessions
  for each row execute function private.sessions_add_creator_as_host();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.broadcast_session_status()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('session_id', new.id, 'status', new.status, 'starts_at', new.starts_at,
                       'duration_minutes', new.duration_minutes, 'sequence', new.sequence),
    'session_status', 'session:' || new.id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_session_status() is
  'Trigger: broadcasts session_status {session_id, status, starts_at, duration_minutes, sequence} on the private topic session:<id>.';
revoke execute on function private.broadcast_session_status() from public, anon, authenticated, service_role;
create trigger sessions_broadcast_status after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.broadcast_session_status();

-- stream_status tells the audience that the video went live, ended or failed, so players start or
-- stop without polling. The payload never carries source_url (an rtmp URL holds the stream key).
-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.broadcast_stream_status()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('session_id', new.session_id, 'stream_id', new.id, 'source_type', new.source_type,
                       'status', new.status, 'previous_status', case when tg_op = 'UPDATE' then old.status end,
                       'changed_at', now()),
    'stream_status', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_stream_status() is
  'Trigger: broadcasts stream_status {session_id, stream_id, source_type, status, previous_status, changed_at} on the '
  'private topic session:<id> when a stream is added in a status other than idle or changes status (never source_url).';
revoke execute on function private.broadcast_stream_status() from public, anon, authenticated, service_role;
create trigger streams_broadcast_status_insert after insert on public.streams
  for each row when (new.status <> 'idle')
  execute function private.broadcast_stream_status();
create trigger streams_broadcast_status_update after update of status on public.streams
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_stream_status();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.notify_banned_user()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('session_id', new.session_id),
                        'session_banned', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.notify_banned_user() is 'Trigger: broadcasts session_banned {session_id} on user:<banned user id>.';
revoke execute on function private.notify_banned_user() from public, anon, authenticated, service_role;
create trigger notify_banned_user
  after insert on public.session_bans
  for each row execute function private.notify_banned_user();

-- Sessions are attached only to the caller's own events and programs (admins: any).
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
revoke execute on function private.sessions_check_attachment() from public, anon, authenticated, service_role;
-- Runs after sessions_fill_program_from_event (alphabetical order of BEFORE triggers), so a program
-- taken from the caller's own event passes.
create trigger sessions_zz_check_attachment
  before insert or update of event_id, program_id on public.sessions
  for each row execute function private.sessions_check_attachment();

-- A live session that is cancelled ends its live window at the cancellation, as end_session sets
-- it: otherwise session_attendance_report would measure the window up to now(), and every
-- attendee's share (and engagement score) would keep falling after the cancellation.
-- Security definer: runs for status writes by the lifecycle RPCs and service_role alike.
create function private.sessions_end_cancelled_live()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  new.ended_at := greatest(now(), new.started_at);
  return new;
end;
$$;
comment on function private.sessions_end_cancelled_live() is
  'Trigger: a live session that is cancelled gets ended_at (the end of its live window), as end_session sets it. Internal.';
revoke execute on function private.sessions_end_cancelled_live()
  from public, anon, authenticated, service_role;
create trigger sessions_end_cancelled_live before update of status on public.sessions
  for each row
  when (old.status = 'live' and new.status = 'cancelled' and new.ended_at is null)
  execute function private.sessions_end_cancelled_live();

-- starts_at = 'infinity' would make publishing or rescheduling fail inside a trigger with a raw
-- 22008 ("cannot subtract infinite timestamps") instead of an API error, and a draft whose start is
-- long past would become a scheduled session that could be joined and booked years late
-- (reschedule_session already refuses a start in the past).
create function private.sessions_check_start()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if not isfinite(new.starts_at) then
    perform private.raise_error('invalid_input', 'starts_at must be a real time.', jsonb_build_object('field', 'starts_at'));
  end if;
  if tg_op = 'UPDATE' and old.status = 'draft' and new.status = 'scheduled' and new.starts_at <= now() then
    perform private.raise_error('invalid_input', 'The start time has passed: reschedule the session before publishing it.',
      jsonb_build_object('field', 'starts_at', 'starts_at', new.starts_at));
  end if;
  return new;
end;
$$;
comment on function private.sessions_check_start() is
  'Trigger before a session is written: starts_at must be finite, and a draft whose start has passed cannot be '
  'published (invalid_input). Internal.';
revoke execute on function private.sessions_check_start() from public, anon, authenticated, service_role;
create trigger sessions_check_start before insert or update of starts_at, status on public.sessions
  for each row execute function private.sessions_check_start();
