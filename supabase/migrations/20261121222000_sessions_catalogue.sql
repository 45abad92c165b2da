-- Sessions catalogue: programs, events, live sessions with their staff, streams and breakout rooms,
-- the bookings table (its RPCs come with the booking feature), the session lifecycle RPCs with their
-- `session_status` broadcast, the `session_cards` view, and the membership helpers that later
-- features (booking, chat, Q&A, polls) reuse in their policies.
-- Tables: programs, events, sessions, session_staff, streams, rooms, room_assignments, bookings.
-- Depends on 20261121221000_identity_and_roles.sql (profiles, user_roles, private.is_admin(),
-- private.is_coach_or_admin(), private.is_valid_timezone()).

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
  meeting_url text,
  meeting_password text,
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
  constraint sessions_meeting_url_https check (meeting_url is null or meeting_url ~ '^https://\S+$'),
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
  'meeting_url and meeting_password are not selectable by clients: list columns explicitly (no select=*) and use '
  'session_meeting_details(session_id).';
comment on column public.sessions.event_id is 'Optional event; it must belong to the session''s program (composite foreign key).';
comment on column public.sessions.phase is 'Curriculum phase 1-4 inside the program, or null.';
comment on column public.sessions.timezone is 'IANA time zone for display and calendar files; starts_at itself is absolute.';
comment on column public.sessions.status is
  'draft -> scheduled -> live -> ended; scheduled/live -> cancelled. Changed only through the lifecycle RPCs.';
comment on column public.sessions.visibility is
  'public: anyone (anon included) once published; members: signed-in users once published; private: staff and booked users only.';
comment on column public.sessions.capacity is 'Maximum confirmed bookings; null = unlimited.';
comment on column public.sessions.price_cents is 'Price in the minor unit of currency; 0 = free.';
comment on column public.sessions.meeting_url is 'Join link. Readable only by staff and confirmed bookings, through session_meeting_details().';
comment on column public.sessions.meeting_password is 'Join password. Readable only by staff and confirmed bookings, through session_meeting_details().';
comment on column public.sessions.slow_mode_seconds is 'Minimum seconds between two chat messages of one user; 0 = off.';
comment on column public.sessions.chat_rate_limit is 'Maximum chat messages per user per minute.';
comment on column public.sessions.qa_moderation is 'When true, new questions are pending until staff publish them.';
comment on column public.sessions.sequence is 'Calendar (iCalendar SEQUENCE) revision, bumped by every lifecycle RPC.';
comment on column public.sessions.cancel_reason is 'Reason given to cancel_session; null unless cancelled.';
comment on column public.sessions.started_at is 'When start_session ran.';
comment on column public.sessions.ended_at is 'When end_session ran.';
comment on column public.sessions.created_by is 'The creating coach or admin, set from auth.uid(); clients cannot write it.';

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
  constraint streams_status_valid check (status in ('idle', 'live', 'ended'))
);
comment on table public.streams is
  'Video sources of a session. Readable by members of the session (rtmp ingest URLs by staff only); written by hosts.';
comment on column public.streams.source_url is
  'youtube: https://(www.)youtube.com or youtu.be; rtmp: rtmp(s)://host/... (ingest, staff only); hls: https://.../*.m3u8; jitsi: https://host/room.';

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
  constraint rooms_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint rooms_capacity_positive check (capacity is null or capacity > 0),
  constraint rooms_status_valid check (status in ('open', 'closed')),
  constraint rooms_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$')
);
comment on table public.rooms is 'Breakout rooms of a session (at most one main stage). Readable with the session; written by hosts.';
comment on column public.rooms.speaker is 'Display name of the room''s speaker, free text.';
comment on column public.rooms.closes_at is 'When the room is planned to close; status says whether it is open now.';

create table public.room_assignments (
  room_id uuid not null references public.rooms (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
comment on table public.room_assignments is
  'Who is assigned to which breakout room. Users read their own; hosts and moderators of the session read and write.';

create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  status text not null default 'confirmed',
  waitlist_position int,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  cancelled_at timestamptz,
  constraint bookings_status_valid check (status in ('confirmed', 'waitlisted', 'cancelled')),
  constraint bookings_waitlist_position_valid check (
    (status = 'waitlisted') = (waitlist_position is not null) and (waitlist_position is null or waitlist_position > 0)),
  constraint bookings_cancelled_at_valid check ((status = 'cancelled') = (cancelled_at is not null))
);
comment on table public.bookings is
  'Seats of users in sessions. Clients only read (their own; hosts and moderators their session''s); writes go through '
  'the booking RPCs. At most one active (not cancelled) booking per user and session.';
comment on column public.bookings.waitlist_position is 'Position in the waitlist (1 = next), set only while waitlisted.';
comment on column public.bookings.cancelled_at is 'Set exactly when status is cancelled.';

-- ---------------------------------------------------------------------------------------------
-- Indexes (every foreign key, and the columns policies filter on)
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
create unique index bookings_one_active_per_user on public.bookings (session_id, user_id) where status <> 'cancelled';
create index bookings_user_id_idx on public.bookings (user_id);
create index bookings_session_id_status_idx on public.bookings (session_id, status);

-- ---------------------------------------------------------------------------------------------
-- Helper functions (security definer: they read session_staff/bookings/sessions across RLS, so
-- that policies stay simple and do not recurse)
-- ---------------------------------------------------------------------------------------------

create function private.is_session_staff(session_id uuid, roles text[] default null)
returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.session_staff st
    where st.session_id = is_session_staff.session_id
      and st.user_id = (select auth.uid())
      and (is_session_staff.roles is null or st.role = any (is_session_staff.roles)));
$$;
comment on function private.is_session_staff(uuid, text[]) is
  'True when auth.uid() is staff of the session (with one of roles, when given). Security definer: reads session_staff across RLS.';

create function private.is_session_host(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_session_staff(is_session_host.session_id, array['host']);
$$;
comment on function private.is_session_host(uuid) is 'True when auth.uid() hosts the session. Security definer: reads session_staff across RLS.';

create function private.staff_session_ids(roles text[] default null)
returns setof uuid
language sql stable security definer set search_path = '' as $$
  select st.session_id from public.session_staff st
  where st.user_id = (select auth.uid())
    and (staff_session_ids.roles is null or st.role = any (staff_session_ids.roles));
$$;
comment on function private.staff_session_ids(text[]) is
  'Sessions where auth.uid() is staff (with one of roles, when given). For policies: session_id in (select private.staff_session_ids()). '
  'Security definer: reads session_staff across RLS.';

create function private.my_session_ids()
returns setof uuid
language sql stable security definer set search_path = '' as $$
  select st.session_id from public.session_staff st where st.user_id = (select auth.uid())
  union
  select b.session_id from public.bookings b where b.user_id = (select auth.uid()) and b.status = 'confirmed';
$$;
comment on function private.my_session_ids() is
  'Sessions auth.uid() is a member of: staff, or holder of a confirmed booking. Security definer: reads staff and bookings across RLS.';

create function private.visible_session_ids()
returns setof uuid
language sql stable security definer set search_path = '' as $$
  select s.id from public.sessions s
  where (select auth.uid()) is not null
    and ((s.status <> 'draft' and s.visibility <> 'private')
      or (select private.is_admin())
      or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = (select auth.uid()))
      or (s.status <> 'draft' and exists (
        select 1 from public.bookings b
        where b.session_id = s.id and b.user_id = (select auth.uid()) and b.status <> 'cancelled')));
$$;
comment on function private.visible_session_ids() is
  'Sessions a signed-in auth.uid() may read: published public/members ones, every one they staff, published ones they hold an '
  'active booking for, and all of them for admins. The sessions SELECT policy for authenticated. Security definer: reads '
  'sessions, staff and bookings across RLS.';

create function private.session_booked_count(session_id uuid)
returns int
language sql stable security definer set search_path = '' as $$
  select count(*)::int from public.bookings b
  where b.session_id = session_booked_count.session_id and b.status = 'confirmed';
$$;
comment on function private.session_booked_count(uuid) is
  'Confirmed bookings of a session, for session_cards. Security definer: members cannot read other users'' bookings.';

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
  select s.* into v_session from public.sessions s where s.id = session_for_host.session_id for update;
  if v_session.id is null
     or v_session.id not in (select v.id from private.visible_session_ids() as v (id)) then
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

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

revoke execute on function private.is_session_staff(uuid, text[]) from public, anon;
revoke execute on function private.is_session_host(uuid) from public, anon;
revoke execute on function private.staff_session_ids(text[]) from public, anon;
revoke execute on function private.my_session_ids() from public, anon;
revoke execute on function private.visible_session_ids() from public, anon;
revoke execute on function private.session_booked_count(uuid) from public, anon;
grant execute on function private.is_session_staff(uuid, text[]) to authenticated, service_role;
grant execute on function private.is_session_host(uuid) to authenticated, service_role;
grant execute on function private.staff_session_ids(text[]) to authenticated, service_role;
grant execute on function private.my_session_ids() to authenticated, service_role;
grant execute on function private.visible_session_ids() to authenticated, service_role;
grant execute on function private.session_booked_count(uuid) to authenticated, service_role;
-- Internal: called only inside security definer RPCs and triggers (which run as the owner).
revoke execute on function private.session_for_host(uuid) from public, anon, authenticated;
revoke execute on function private.sessions_fill_program_from_event() from public, anon, authenticated;
revoke execute on function private.sessions_add_creator_as_host() from public, anon, authenticated;
revoke execute on function private.broadcast_session_status() from public, anon, authenticated;
-- The sessions timezone CHECK calls it as the inserting role.
grant execute on function private.is_valid_timezone(text) to authenticated, service_role;

revoke all on public.programs, public.events, public.sessions, public.session_staff, public.streams,
  public.rooms, public.room_assignments, public.bookings from anon, authenticated;
grant all on public.programs, public.events, public.sessions, public.session_staff, public.streams,
  public.rooms, public.room_assignments, public.bookings to service_role;

grant select on public.programs to anon, authenticated;
grant insert (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on public.programs to authenticated;
grant update (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on public.programs to authenticated;
grant delete on public.programs to authenticated;

grant select on public.events to anon, authenticated;
grant insert (program_id, title, slug, description, status, starts_at, ends_at) on public.events to authenticated;
grant update (title, slug, description, status, starts_at, ends_at) on public.events to authenticated;
grant delete on public.events to authenticated;

-- Every column but meeting_url and meeting_password.
grant select (id, program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
  status, visibility, capacity, waitlist_enabled, price_cents, currency, replay_url, thumbnail_url, chat_enabled,
  slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions, sequence, cancel_reason, started_at,
  ended_at, created_by, created_at, updated_at) on public.sessions to anon, authenticated;
-- Never created_by, status, sequence, cancel_reason, started_at, ended_at (lifecycle RPCs own them).
grant insert (program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
  visibility, capacity, waitlist_enabled, price_cents, currency, meeting_url, meeting_password, replay_url,
  thumbnail_url, chat_enabled, slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on public.sessions to authenticated;
-- starts_at and duration_minutes change through reschedule_session (it bumps the calendar sequence).
grant update (program_id, event_id, title, description, topic, phase, timezone, visibility, capacity,
  waitlist_enabled, price_cents, currency, meeting_url, meeting_password, replay_url, thumbnail_url, chat_enabled,
  slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on public.sessions to authenticated;
grant delete on public.sessions to authenticated;

grant select on public.session_staff to authenticated;

grant select on public.streams to authenticated;
grant insert (session_id, source_type, source_url, status) on public.streams to authenticated;
grant update (source_type, source_url, status) on public.streams to authenticated;
grant delete on public.streams to authenticated;

grant select on public.rooms to authenticated;
grant insert (session_id, name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status)
  on public.rooms to authenticated;
grant update (name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status) on public.rooms to authenticated;
grant delete on public.rooms to authenticated;

grant select on public.room_assignments to authenticated;
grant insert (room_id, user_id) on public.room_assignments to authenticated;
grant delete on public.room_assignments to authenticated;

grant select on public.bookings to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------

alter table public.programs enable row level security;
alter table public.events enable row level security;
alter table public.sessions enable row level security;
alter table public.session_staff enable row level security;
alter table public.streams enable row level security;
alter table public.rooms enable row level security;
alter table public.room_assignments enable row level security;
alter table public.bookings enable row level security;

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

create policy "anyone can read published public sessions" on public.sessions
  for select to anon
  using (visibility = 'public' and status in ('scheduled', 'live', 'ended'));
create policy "users can read the sessions visible to them" on public.sessions
  for select to authenticated
  -- created_by: the creator reads the new row back (insert ... returning) before the host row exists.
  using (created_by = (select auth.uid()) or id in (select private.visible_session_ids()));
create policy "coaches and admins can create sessions" on public.sessions
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid()));
create policy "hosts can update their sessions" on public.sessions
  for update to authenticated
  using (id in (select private.staff_session_ids(array['host'])))
  with check (id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete their draft sessions" on public.sessions
  for delete to authenticated
  using (status = 'draft' and id in (select private.staff_session_ids(array['host'])));

create policy "users can read the staff of visible sessions" on public.session_staff
  for select to authenticated
  using (session_id in (select private.visible_session_ids()));

-- rtmp sources are ingest URLs with a stream key: staff only.
create policy "members can read the streams of their sessions" on public.streams
  for select to authenticated
  using (session_id in (select private.my_session_ids())
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

create policy "users and session staff can read room assignments" on public.room_assignments
  for select to authenticated
  using (user_id = (select auth.uid())
    or room_id in (select r.id from public.rooms r
                   where r.session_id in (select private.staff_session_ids(array['host', 'moderator']))));
create policy "hosts and moderators can assign rooms" on public.room_assignments
  for insert to authenticated
  with check (room_id in (select r.id from public.rooms r
                          where r.session_id in (select private.staff_session_ids(array['host', 'moderator']))));
create policy "hosts and moderators can remove room assignments" on public.room_assignments
  for delete to authenticated
  using (room_id in (select r.id from public.rooms r
                     where r.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

create policy "users and session hosts and moderators can read bookings" on public.bookings
  for select to authenticated
  using (user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

create view public.session_cards with (security_invoker = true) as
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
  coalesce(me.role = 'host', false) as can_edit
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
  '(staff or confirmed, and live or starting within 15 minutes) and can_edit (host). Filter and paginate with PostgREST.';
grant select on public.session_cards to authenticated, service_role;

create function public.session_meeting_details(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_session public.sessions;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  select s.* into v_session from public.sessions s
  where s.id = session_meeting_details.session_id
    and s.id in (select v.id from private.visible_session_ids() as v (id));
  if v_session.id is null then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  if v_session.id not in (select m.id from private.my_session_ids() as m (id)) then
    perform private.raise_error('forbidden', 'Only staff and confirmed bookings get the meeting details.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  return jsonb_build_object('session_id', v_session.id, 'meeting_url', v_session.meeting_url,
                            'meeting_password', v_session.meeting_password);
end;
$$;
comment on function public.session_meeting_details(uuid) is
  'Join details {session_id, meeting_url, meeting_password} for staff and confirmed bookings. not_found when the caller '
  'cannot see the session, forbidden otherwise. Security definer: the two columns are not selectable by clients.';
revoke execute on function public.session_meeting_details(uuid) from public, anon;
grant execute on function public.session_meeting_details(uuid) to authenticated, service_role;

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
  return v_session;
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
  return v_session;
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
  return v_session;
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
  return v_session;
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
  return v_session;
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
  'demoted (conflict). Returns the staff row.';
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
create trigger bookings_set_updated_at before update on public.bookings
  for each row execute function private.set_updated_at();

create trigger sessions_fill_program_from_event before insert or update of event_id on public.sessions
  for each row execute function private.sessions_fill_program_from_event();
create trigger sessions_add_creator_as_host after insert on public.sessions
  for each row execute function private.sessions_add_creator_as_host();
create trigger sessions_broadcast_status after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.broadcast_session_status();
