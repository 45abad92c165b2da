-- One-to-one counselling (issue 16): a coach's weekly working hours, time off and booking settings,
-- the free slots derived from them (available_slots), book_slot, which turns a free slot into a
-- private one-to-one session with the caller's confirmed booking, and what follows: rescheduling,
-- cancelling (late-cancel notice), completing, no-shows, the history of appointments, and the
-- coaches' private session notes.
-- Tables: public.coach_availability, public.coach_time_off, public.coach_booking_settings,
-- public.session_notes, private.coach_busy; columns on public.sessions (kind) and public.bookings
-- (no_show_at).
--
-- Private notes (session_notes) are readable by their author only: not by the patient, not by other
-- staff or coaches, and not by admins (decided: no admin path at all, neither a policy nor an RPC;
-- a safeguarding need goes through the author or the operators' service_role, outside the API).
-- Nothing broadcasts, notifies, feeds or exports them; they go with their author's account.
--
-- How a double booking is made impossible:
--   * private.coach_busy holds one row per (session, staff member) for every scheduled or live
--     session, with the session's time as a tstzrange. Triggers on sessions (status, starts_at,
--     duration_minutes, kind) and on session_staff keep it, whatever writes them: book_slot,
--     reschedule_booking, the host RPCs, service_role, the seed. A group session the coach hosts,
--     moderates or speaks at is busy time like a one-to-one.
--   * An exclusion constraint (btree_gist) on that table refuses two overlapping rows of one coach
--     when either is a one-to-one session: lane is the unbounded range for one-to-one sessions and
--     a range of its own for each group row, so two group sessions of a coach may overlap (as they
--     could before: a conference track and a panel), but nothing overlaps a one-to-one. A write
--     that would is refused with slot_unavailable (409), never committed.
--   * book_slot and reschedule_booking serialize on the hours of the coach's calendar they touch
--     (transaction advisory locks, one per clock hour that [start - buffer, end + buffer) meets,
--     taken in ascending order), then check the one requested start (private.is_free_slot, the
--     same rules as available_slots): two bookings that could conflict, overlapping or within the
--     buffer of each other, share at least one of those hours, so the later one's check sees the
--     earlier one committed, and the buffer between appointments holds as well. Bookings of other
--     hours of the same coach run in parallel. The constraint covers the raw session times for
--     every other path; the buffer is the booking RPCs' rule.
--   * A person is never in two one-to-one appointments at once, on either side: the confirmed booking
--     of a scheduled or live one-to-one session is busy time of its patient too (a row of theirs in
--     private.coach_busy, lane (,), kept by triggers on bookings), under the same exclusion
--     constraint. So a coach who books another coach as a patient at 12:00 is no longer offered at
--     12:00 (nor within their buffer of it), and a patient cannot hold two overlapping appointments
--     with two coaches. book_slot and reschedule_booking also lock the patient's hours of the
--     appointment (private.lock_calendars: one global order, no crosswise waits) and refuse a time
--     the patient is already in with schedule_conflict (409, details.busy "you" or "patient", nothing
--     about the other appointment); any other writer meets the constraint (schedule_conflict too).

create extension if not exists btree_gist with schema extensions;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

alter table public.sessions add column kind text not null default 'group';
alter table public.sessions add constraint sessions_kind_valid check (kind in ('group', 'one_to_one'));
-- A one-to-one session is private with one seat (hosts cannot widen it through the update grant).
alter table public.sessions add constraint sessions_one_to_one_private check (
  kind <> 'one_to_one' or (visibility = 'private' and capacity = 1 and not waitlist_enabled));
comment on column public.sessions.kind is
  'group (created by hosts) or one_to_one (created by book_slot: private, capacity 1, the coach as host, one patient). '
  'Not writable by clients.';

-- coach_id is the last column in these three tables: the order pg-delta's migrations give them
-- (a column whose default calls a function comes last there), so both builds agree.
alter table public.bookings add column no_show_at timestamptz;
comment on column public.bookings.no_show_at is
  'Set by mark_no_show: the host marked this confirmed booking of a one-to-one session as not attended.';

-- The default of coach_booking_settings.timezone: none given (null), which the insert trigger
-- replaces with the coach's profile time zone (defined before the table that uses it). A constant
-- 'UTC' moved the hours of a coach in Amsterdam by an hour as soon as they saved only a slot length,
-- while a coach without a row gets their profile's zone.
create function private.coach_timezone_unset()
returns text
language sql immutable set search_path = '' as $$
  select null::text
$$;
comment on function private.coach_timezone_unset() is
  'Default of coach_booking_settings.timezone: null, filled in by the trigger coach_booking_settings_default_timezone '
  'with the coach''s profile time zone. Internal.';
revoke execute on function private.coach_timezone_unset() from public, anon;
grant execute on function private.coach_timezone_unset() to authenticated, service_role;

create table public.coach_booking_settings (
  timezone text not null default private.coach_timezone_unset(),
  slot_minutes int not null default 50,
  buffer_minutes int not null default 10,
  min_notice_minutes int not null default 720,
  horizon_days int not null default 60,
  late_cancel_minutes int not null default 1440,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  coach_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  constraint coach_booking_settings_pkey primary key (coach_id),
  constraint coach_booking_settings_timezone_valid check (private.is_valid_timezone(timezone)),
  constraint coach_booking_settings_slot_range check (slot_minutes between 10 and 600),
  constraint coach_booking_settings_buffer_range check (buffer_minutes between 0 and 240),
  constraint coach_booking_settings_notice_range check (min_notice_minutes between 0 and 43200),
  constraint coach_booking_settings_horizon_range check (horizon_days between 1 and 730),
  constraint coach_booking_settings_late_cancel_range check (late_cancel_minutes between 0 and 20160)
);
comment on table public.coach_booking_settings is
  'A coach''s booking rules for one-to-one sessions. Coaches read and write their own row, admins every row; patients '
  'see only what available_slots derives. A coach without a row gets the column defaults and their profile''s time zone.';
comment on column public.coach_booking_settings.timezone is
  'IANA time zone the working hours (coach_availability) are expressed in. Not given (or set to null): the coach''s '
  'profile time zone (UTC without one).';
comment on column public.coach_booking_settings.slot_minutes is 'Length of one appointment (10-600 minutes).';
comment on column public.coach_booking_settings.buffer_minutes is
  'Free minutes kept between an appointment and any other busy time of the coach (0-240).';
comment on column public.coach_booking_settings.min_notice_minutes is
  'Earliest bookable start, in minutes from now (0-43200).';
comment on column public.coach_booking_settings.horizon_days is 'Latest bookable start, in days from now (1-730).';
comment on column public.coach_booking_settings.late_cancel_minutes is
  'Inside this many minutes before the start the patient can no longer cancel or reschedule (too_late); the coach can.';
alter table public.coach_booking_settings enable row level security;

create table public.coach_availability (
  id uuid primary key default gen_random_uuid(),
  weekday int not null,
  start_time time not null,
  end_time time not null,
  created_at timestamptz not null default now(),
  coach_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  constraint coach_availability_weekday_iso check (weekday between 1 and 7),
  constraint coach_availability_time_order check (end_time > start_time),
  -- Whole minutes: slots are cut in minutes (a start at 10:00:30 would offer 10:00:30, 10:50:30 ...).
  constraint coach_availability_whole_minutes check (extract(second from start_time) = 0 and extract(second from end_time) = 0)
);
comment on table public.coach_availability is
  'Weekly working hours of a coach: on ISO weekday (1 = Monday ... 7 = Sunday) from start_time to end_time, local '
  'wall-clock time in the coach''s time zone (coach_booking_settings.timezone). Coaches read and write their own, admins '
  'all; patients see only available_slots.';
comment on column public.coach_availability.end_time is
  'Exclusive end; 24:00 is the end of the day. Overlapping and adjacent rules of a weekday count as one window '
  '(09:00-12:00 and 12:00-17:00 = 09:00-17:00, slots running across 12:00).';
alter table public.coach_availability enable row level security;

create table public.coach_time_off (
  id uuid primary key default gen_random_uuid(),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  reason text,
  created_at timestamptz not null default now(),
  coach_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  constraint coach_time_off_time_order check (ends_at > starts_at and isfinite(starts_at) and isfinite(ends_at)),
  constraint coach_time_off_reason_length check (reason is null or char_length(reason) between 1 and 500)
);
comment on table public.coach_time_off is
  'Time off of a coach: no slot overlapping [starts_at, ends_at) is offered. Coaches read and write their own, admins '
  'all; the reason is never shown to patients.';
alter table public.coach_time_off enable row level security;

create table public.session_notes (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  body text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  author_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  constraint session_notes_body_length check (char_length(body) between 1 and 20000)
);
comment on table public.session_notes is
  'Private notes of a coach about a session they host (one-to-one or group). Readable, editable and deletable by their '
  'author only: not the patient, other staff or coaches, nor admins. Never broadcast, notified, in feeds or exports; '
  'deleted with the author''s account.';
comment on column public.session_notes.author_id is 'The writing host, set from auth.uid().';
alter table public.session_notes enable row level security;

create sequence private.coach_busy_lane;
comment on sequence private.coach_busy_lane is 'Gives each group session''s busy row a lane of its own. Internal.';

create table private.coach_busy (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  during tstzrange not null,
  lane int8range not null,
  constraint coach_busy_pkey primary key (session_id, user_id),
  constraint coach_busy_no_overlap exclude using gist (user_id with =, during with &&, lane with &&)
);
comment on table private.coach_busy is
  'Busy time of users: one row per staff member of every scheduled or live session, and one for the patient (the '
  'confirmed booking) of every scheduled or live one-to-one session (kept by triggers on sessions, session_staff and '
  'bookings). lane is (,) for one-to-one sessions and [n, n+1) with n of its own for group sessions, so the '
  'exclusion constraint refuses any overlap with a one-to-one session of the same user, on either side. Internal.';
comment on constraint coach_busy_no_overlap on private.coach_busy is
  'No busy time of a user overlaps a one-to-one session of theirs, as coach or as patient.';

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index coach_availability_coach_id_weekday_idx on public.coach_availability (coach_id, weekday);
create index coach_time_off_coach_id_during_idx on public.coach_time_off
  using gist (coach_id, tstzrange(starts_at, ends_at));
-- coach_busy: the exclusion constraint's GiST index leads with user_id.
create index session_notes_author_id_session_id_idx on public.session_notes (author_id, session_id);
create index session_notes_session_id_idx on public.session_notes (session_id);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The settings that apply to a coach: their row, or the defaults with their profile's time zone.
create function private.coach_settings(coach_id uuid)
returns public.coach_booking_settings
language plpgsql stable security definer set search_path = '' as $$
declare
  v_row public.coach_booking_settings;
begin
  select cs.* into v_row from public.coach_booking_settings cs where cs.coach_id = coach_settings.coach_id;
  if v_row.coach_id is null then
    v_row.coach_id := coach_settings.coach_id;
    v_row.timezone := coalesce((select p.timezone from public.profiles p where p.id = coach_settings.coach_id), 'UTC');
    v_row.slot_minutes := 50;
    v_row.buffer_minutes := 10;
    v_row.min_notice_minutes := 720;
    v_row.horizon_days := 60;
    v_row.late_cancel_minutes := 1440;
  end if;
  return v_row;
end;
$$;
comment on function private.coach_settings(uuid) is
  'The booking settings of a coach: their coach_booking_settings row, or the column defaults with the time zone of '
  'their profile. Internal (security definer RPCs).';
revoke execute on function private.coach_settings(uuid) from public, anon, authenticated, service_role;

-- PL/pgSQL: a SQL function with a SET clause is planned on every call (book_slot calls this once).
create function private.is_bookable_coach(user_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  -- An account that is deactivated or deleted (85_account_lifecycle.sql) cannot sign in to hold the
  -- appointment: it offers no slots and takes no new bookings, whatever its role still says.
  return exists (select 1 from public.user_roles r
                 join public.profiles p on p.id = r.user_id and p.status = 'active'
                 where r.user_id = is_bookable_coach.user_id and r.role in ('coach', 'admin'));
end;
$$;
comment on function private.is_bookable_coach(uuid) is
  'True when the user has the platform role coach or admin (only they have working hours) and an active account (not '
  'deactivated or deleted). Internal.';
revoke execute on function private.is_bookable_coach(uuid) from public, anon, authenticated, service_role;

-- Who reads a one-to-one appointment's topic (sessions.topic, the patient's free text: "panic
-- attacks"): its participants only, the staff of the session (its coach, and a second staff member
-- add_session_staff put on it, who is in the room) and its patient (a booking not cancelled). Not
-- admins: admin powers let them act on the appointment (cancel_session, reschedule_booking ...,
-- audited), not read what it is about. The sessions read policy hides a one-to-one row from such an
-- admin (private.can_read_session), and the RPCs that return a session to whoever acted on it give
-- it back without the topic (private.redact_session). The title is neutral ("One-to-one session"),
-- so subjects, push titles, calendar SUMMARYs, cards and stats never carry the topic.
-- SECURITY DEFINER: reads sessions, staff and bookings across RLS (called from the sessions read policy).
create function private.is_appointment_outsider(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
begin
  -- The operators (service_role) are no outsiders: they read every row and its topic (RLS does not
  -- apply to them), and an RPC they call returns it whole.
  if v_uid is null and coalesce((select auth.role()) = 'service_role', false) then
    return false;
  end if;
  return exists (select 1 from public.sessions s where s.id = is_appointment_outsider.session_id and s.kind = 'one_to_one')
     and not exists (select 1 from public.session_staff st
                     where st.session_id = is_appointment_outsider.session_id and st.user_id = v_uid)
     and not exists (select 1 from public.bookings b
                     where b.session_id = is_appointment_outsider.session_id and b.user_id = v_uid
                       and b.status <> 'cancelled');
end;
$$;
comment on function private.is_appointment_outsider(uuid) is
  'True when the session is a one-to-one appointment and auth.uid() is none of its participants (its staff, its '
  'patient with a booking not cancelled): an admin acting through admin powers. Such a caller does not read the '
  'appointment''s row nor its topic. Never for service_role (the operators read it). Internal (the sessions read '
  'policy, private.redact_session).';
revoke execute on function private.is_appointment_outsider(uuid) from public, anon;
grant execute on function private.is_appointment_outsider(uuid) to authenticated, service_role;

-- A session as an RPC returns it to its caller: a one-to-one appointment's topic only to its
-- participants (the admin who cancelled or moved it gets the row with topic null).
create function private.redact_session(session_row public.sessions)
returns public.sessions
language plpgsql stable set search_path = '' as $$
declare
  v_row public.sessions := redact_session.session_row;
begin
  if v_row.kind = 'one_to_one' and private.is_appointment_outsider(v_row.id) then
    v_row.topic := null;
  end if;
  return v_row;
end;
$$;
comment on function private.redact_session(public.sessions) is
  'The session row for the caller: topic null when it is a one-to-one appointment the caller does not take part in '
  '(private.is_appointment_outsider). Used by the RPCs that return a session. Internal.';
-- Only the security definer RPCs call it (as their owner): no client role needs it.
revoke execute on function private.redact_session(public.sessions) from public, anon, authenticated, service_role;

-- Pure: a local wall-clock time of zone tz as an instant. A time that happens twice (the hour a
-- fall-back day repeats) is its first occurrence: a window "until 02:00" ends at the first 02:00, not an
-- hour later at the second (PostgreSQL's AT TIME ZONE takes the later one), and a window from 02:30
-- starts at the first 02:30 (its repeated half hour included). A time that does not happen (inside a
-- spring-forward gap) is the transition itself, the first instant whose wall clock reads later: a
-- window "until 02:30" on the night Amsterdam skips 02:00-03:00 ends at 03:00 summer time (AT TIME ZONE
-- moves it forward by the gap, to 03:30, which offered a slot 03:00-03:30 outside the window), and a
-- window "from 02:30" starts at 03:00, its first wall-clock minute. PL/pgSQL: called per window; the
-- transition is found by bisection over the gap's seconds (about 12 steps for an hour), only for a time
-- that does not exist.
create function private.local_instant(tz text, local_time timestamp)
returns timestamptz
language plpgsql immutable parallel safe set search_path = '' as $$
declare
  v_at timestamptz := local_time at time zone tz;
  -- The zone's UTC offset six hours before (no zone changes offset twice within six hours).
  v_offset interval := ((v_at - interval '6 hours') at time zone tz) - ((v_at - interval '6 hours') at time zone 'UTC');
  v_earlier timestamptz := (local_time - v_offset) at time zone 'UTC';
  v_gap interval;
  v_lo bigint;
  v_hi bigint;
  v_mid bigint;
begin
  if v_earlier < v_at and (v_earlier at time zone tz) = local_time then
    return v_earlier;
  end if;
  -- AT TIME ZONE read a skipped time with the offset before the gap: its instant shows a later wall
  -- clock, by the gap. Otherwise the time exists and v_at is it.
  v_gap := (v_at at time zone tz) - local_time;
  if v_gap <= interval '0' then
    return v_at;
  end if;
  -- The transition lies in (v_at - gap, v_at]: before it the clock reads earlier than local_time,
  -- from it on later.
  v_lo := floor(extract(epoch from v_at - v_gap))::bigint;
  v_hi := ceil(extract(epoch from v_at))::bigint;
  while v_hi - v_lo > 1 loop
    v_mid := (v_lo + v_hi) / 2;
    if (to_timestamp(v_mid) at time zone tz) > local_time then
      v_hi := v_mid;
    else
      v_lo := v_mid;
    end if;
  end loop;
  return to_timestamp(v_hi);
end;
$$;
comment on function private.local_instant(text, timestamp) is
  'A local wall-clock time of zone tz as an instant: the first occurrence of a repeated (fall-back) time; a skipped '
  '(spring-forward) time is the transition instant (the first whose wall clock reads later), so a window bound in a '
  'gap never reaches past the wall-clock window. Internal.';
revoke execute on function private.local_instant(text, timestamp) from public, anon, authenticated, service_role;

-- Pure: the local working window [start_time, end_time) of day in tz as absolute instants, cut
-- into slots of slot_minutes. The window is converted first (private.local_instant) and the slots
-- are stepped in absolute time, so a spring-forward day has one slot fewer in a window across
-- 02:00-03:00 (that hour does not exist) and a fall-back day one more (it happens twice), never a
-- doubled or missing instant, and never a slot outside the wall-clock window.
create function private.working_window_slots(tz text, day date, start_time time, end_time time, slot_minutes int)
returns table (starts_at timestamptz, ends_at timestamptz)
language sql immutable parallel safe set search_path = '' rows 16 as $$
  select g, g + make_interval(mins => slot_minutes)
  from generate_series(private.local_instant(tz, day + start_time),
                       private.local_instant(tz, day + end_time) - make_interval(mins => slot_minutes),
                       make_interval(mins => slot_minutes)) g
$$;
comment on function private.working_window_slots(text, date, time, time, int) is
  'The slots of one working window: local day + start_time .. day + end_time in zone tz, converted to instants '
  '(private.local_instant), then cut into slot_minutes steps of absolute time (DST-correct: no doubled or missing '
  'hour). Internal.';
revoke execute on function private.working_window_slots(text, date, time, time, int)
  from public, anon, authenticated, service_role;

-- A coach's working windows of one local day: their rules for that weekday merged, so that
-- overlapping rules (09:00-12:00 and 10:00-13:00) give one window and no overlapping slots, and
-- adjacent ones (13:00-17:00 and 17:00-20:00) one window whose slots run across the seam, as one
-- rule 13:00-20:00 would. Windows never cross midnight (each rule lies inside its day).
create function private.coach_day_windows(coach_id uuid, day date)
returns table (start_time time, end_time time)
language plpgsql stable set search_path = '' rows 3 as $$
begin
  return query
    select lower(m.win)::time,
           case when upper(m.win) = coach_day_windows.day + 1 then time '24:00' else upper(m.win)::time end
    from (select unnest(range_agg(tsrange(coach_day_windows.day + a.start_time, coach_day_windows.day + a.end_time))) as win
          from public.coach_availability a
          where a.coach_id = coach_day_windows.coach_id
            and a.weekday = extract(isodow from coach_day_windows.day)::int) m
    order by 1;
end;
$$;
comment on function private.coach_day_windows(uuid, date) is
  'The working windows of a coach on one local day: the coach_availability rules of its weekday, overlapping and '
  'adjacent ones merged, as local start and end times (end 24:00 = midnight). Internal.';
revoke execute on function private.coach_day_windows(uuid, date) from public, anon, authenticated, service_role;

-- The refusal of a time the patient of an appointment is already in another one-to-one appointment
-- (or staffs a session) at: schedule_conflict (409). It says which side is busy (details.busy: "you"
-- when the caller is that patient, "patient" otherwise) and nothing about the other appointment:
-- neither its session, its coach nor its time.
create function private.raise_schedule_conflict(patient_id uuid, starts_at timestamptz)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  if (select auth.uid()) is not distinct from raise_schedule_conflict.patient_id then
    perform private.raise_error('schedule_conflict', 'You already have an appointment at that time.',
      jsonb_build_object('busy', 'you', 'starts_at', raise_schedule_conflict.starts_at));
  end if;
  perform private.raise_error('schedule_conflict', 'The patient already has an appointment at that time.',
    jsonb_build_object('busy', 'patient', 'starts_at', raise_schedule_conflict.starts_at));
end;
$$;
comment on function private.raise_schedule_conflict(uuid, timestamptz) is
  'Raises schedule_conflict (409): the patient (details.busy "you" for the patient themselves, else "patient") is in '
  'another appointment at starts_at. Reveals nothing about that appointment. Internal.';
revoke execute on function private.raise_schedule_conflict(uuid, timestamptz) from public, anon, authenticated, service_role;

-- Keeps private.coach_busy for one session: its staff's rows while it is scheduled or live, and for a
-- one-to-one session also its patient's (the users of its confirmed bookings who are not its staff).
-- patients_only (a booking changed, the bookings trigger): the staff rows stay as they are, only
-- the patient's are rewritten (one delete and one insert less on every book_slot).
-- patient_must_fit: whether a patient row that cannot be inserted is refused (schedule_conflict) or
-- left out. Only a write that books the patient into that time must fit: a booking confirmed or moved
-- (the bookings trigger) and a session that gets a new time, kind, or becomes scheduled or live again
-- (the sessions trigger). A re-sync that changes neither the booking nor its time (start_session, a
-- staff change, the account lifecycle removing a departing co-host) leaves out a patient row that
-- cannot be inserted, as it was already missing: an appointment that overlapped another one of the
-- same patient before the patient's busy time existed (the backfill left it out; README lists them).
create function private.sync_coach_busy(session_id uuid, patients_only boolean default false,
                                        patient_must_fit boolean default true)
returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_lane int8range;
  v_staff_missing boolean;
  v_patient_missing uuid;
begin
  delete from private.coach_busy b
   where b.session_id = sync_coach_busy.session_id
     and (not sync_coach_busy.patients_only
          or not exists (select 1 from public.session_staff st
                         where st.session_id = sync_coach_busy.session_id and st.user_id = b.user_id));
  select s.* into v_session from public.sessions s where s.id = sync_coach_busy.session_id;
  if v_session.id is null or v_session.status not in ('scheduled', 'live')
     or (sync_coach_busy.patients_only and v_session.kind <> 'one_to_one') then
    return;
  end if;
  -- One lane per group session (its rows are of different users, so they never meet each other).
  v_lane := case when v_session.kind = 'one_to_one' then '(,)'::int8range
                 else int8range(nextval('private.coach_busy_lane'), currval('private.coach_busy_lane') + 1) end;
  -- ON CONFLICT DO NOTHING with the exclusion constraint as arbiter (speculative insertion; the
  -- primary key is no arbiter, so a duplicate row still fails as before): a row that overlaps
  -- a committed one is not inserted; one that overlaps a row of a transaction in flight waits for
  -- it (then is inserted if that one rolled back), and of two transactions inserting overlapping
  -- rows at once one backs off and waits for the other instead of both waiting (no deadlock, no
  -- subtransaction). A staff row left out means its time is taken: slot_unavailable; a patient row
  -- left out means the patient is in another appointment then: schedule_conflict.
  with wanted as (
    select st.user_id, true as is_staff from public.session_staff st
    where not sync_coach_busy.patients_only and st.session_id = v_session.id
    union all
    select b.user_id, false from public.bookings b
    where v_session.kind = 'one_to_one' and b.session_id = v_session.id and b.status = 'confirmed'
      and not exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = b.user_id)
  ), inserted as (
    insert into private.coach_busy (session_id, user_id, during, lane)
    select v_session.id, wanted.user_id,
           tstzrange(v_session.starts_at, v_session.starts_at + make_interval(mins => v_session.duration_minutes), '[)'),
           v_lane
    from wanted
    on conflict on constraint coach_busy_no_overlap do nothing
    returning user_id
  )
  select exists (select 1 from wanted w where w.is_staff and w.user_id not in (select i.user_id from inserted i)),
         (select w.user_id from wanted w where not w.is_staff and w.user_id not in (select i.user_id from inserted i) limit 1)
    into v_staff_missing, v_patient_missing;
  if v_staff_missing then
    perform private.raise_error('slot_unavailable',
      'A staff member of this session has a one-to-one session at that time.',
      jsonb_build_object('session_id', v_session.id, 'starts_at', v_session.starts_at));
  end if;
  if v_patient_missing is not null and sync_coach_busy.patient_must_fit then
    perform private.raise_schedule_conflict(v_patient_missing, v_session.starts_at);
  end if;
end;
$$;
comment on function private.sync_coach_busy(uuid, boolean, boolean) is
  'Rewrites the private.coach_busy rows of a session (one per staff member while it is scheduled or live, and for a '
  'one-to-one session one for its patient; patients_only: the patient''s only); an overlap with a one-to-one session '
  'of one of them, committed or committing concurrently, raises slot_unavailable (a staff member) or, when '
  'patient_must_fit, schedule_conflict (the patient), both 409; without patient_must_fit the patient row is left out. '
  'Internal (triggers).';
revoke execute on function private.sync_coach_busy(uuid, boolean, boolean) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

-- sessions.kind: readable with the table-level select grant of sessions (20_sessions.sql).

revoke all on table public.coach_booking_settings from public, anon, authenticated, service_role;
grant select, delete on table public.coach_booking_settings to authenticated;
grant insert (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days, late_cancel_minutes)
  on table public.coach_booking_settings to authenticated;
grant update (timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days, late_cancel_minutes)
  on table public.coach_booking_settings to authenticated;
grant all on table public.coach_booking_settings to service_role;
create policy "coaches read their own booking settings and admins all" on public.coach_booking_settings
  for select to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));
create policy "coaches write their own booking settings and admins all" on public.coach_booking_settings
  for insert to authenticated
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches update their own booking settings and admins all" on public.coach_booking_settings
  for update to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()))
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches delete their own booking settings and admins all" on public.coach_booking_settings
  for delete to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.coach_availability from public, anon, authenticated, service_role;
grant select, delete on table public.coach_availability to authenticated;
grant insert (coach_id, weekday, start_time, end_time) on table public.coach_availability to authenticated;
grant update (weekday, start_time, end_time) on table public.coach_availability to authenticated;
grant all on table public.coach_availability to service_role;
create policy "coaches read their own working hours and admins all" on public.coach_availability
  for select to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));
create policy "coaches add their own working hours and admins any" on public.coach_availability
  for insert to authenticated
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches update their own working hours and admins any" on public.coach_availability
  for update to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()))
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches delete their own working hours and admins any" on public.coach_availability
  for delete to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.coach_time_off from public, anon, authenticated, service_role;
grant select, delete on table public.coach_time_off to authenticated;
grant insert (coach_id, starts_at, ends_at, reason) on table public.coach_time_off to authenticated;
grant update (starts_at, ends_at, reason) on table public.coach_time_off to authenticated;
grant all on table public.coach_time_off to service_role;
create policy "coaches read their own time off and admins all" on public.coach_time_off
  for select to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));
create policy "coaches add their own time off and admins any" on public.coach_time_off
  for insert to authenticated
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches update their own time off and admins any" on public.coach_time_off
  for update to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()))
  with check ((coach_id = (select auth.uid()) and (select private.is_coach_or_admin())) or (select private.is_admin()));
create policy "coaches delete their own time off and admins any" on public.coach_time_off
  for delete to authenticated
  using (coach_id = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.session_notes from public, anon, authenticated, service_role;
grant select, delete on table public.session_notes to authenticated;
grant insert (session_id, body) on table public.session_notes to authenticated;
grant update (body) on table public.session_notes to authenticated;
grant all on table public.session_notes to service_role;
create policy "authors read their own session notes" on public.session_notes
  for select to authenticated
  using (author_id = (select auth.uid()));
-- The caller's own host rows, not private.staff_session_ids (which gives admins every session): an
-- admin writes no notes on other coaches' appointments.
create policy "hosts write notes on their sessions" on public.session_notes
  for insert to authenticated
  with check (author_id = (select auth.uid())
              and session_id in (select st.session_id from public.session_staff st
                                 where st.user_id = (select auth.uid()) and st.role = 'host'));
create policy "authors update their own session notes" on public.session_notes
  for update to authenticated
  using (author_id = (select auth.uid()))
  with check (author_id = (select auth.uid()));
create policy "authors delete their own session notes" on public.session_notes
  for delete to authenticated
  using (author_id = (select auth.uid()));

revoke all on table private.coach_busy from public, anon, authenticated, service_role;
grant select on table private.coach_busy to service_role;
-- private.coach_busy_lane: no grants (only the security definer trigger functions use it).

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- The slot computation behind available_slots (a plpgsql function caches its plans; the public
-- wrapper is SQL so that its parameters can be named from and to, which PL/pgSQL lint refuses).
-- Runs as the owner when called from the security definer RPCs.
create function private.coach_free_slots(coach_id uuid, from_at timestamptz, to_at timestamptz,
                                         ignore_session_id uuid default null)
returns table (starts_at timestamptz, ends_at timestamptz)
language plpgsql stable set search_path = '' rows 40 as $$
declare
  v_settings public.coach_booking_settings;
  v_buffer interval;
  v_lo timestamptz;
  v_hi timestamptz;
  v_time_off tstzmultirange;
  v_busy tstzmultirange;
begin
  if coach_free_slots.coach_id is null or from_at is null or to_at is null
     or not isfinite(from_at) or not isfinite(to_at) then
    perform private.raise_error('invalid_input', 'coach_id, from and to are required.',
      jsonb_build_object('fields', jsonb_build_array('coach_id', 'from', 'to')));
  end if;
  if to_at <= from_at or to_at - from_at > interval '93 days' then
    perform private.raise_error('invalid_input', 'to must be after from, at most 93 days later.',
      jsonb_build_object('from', from_at, 'to', to_at, 'max_days', 93));
  end if;
  if not private.is_bookable_coach(coach_free_slots.coach_id) then
    perform private.raise_error('not_found', 'No such coach.', jsonb_build_object('coach_id', coach_free_slots.coach_id));
  end if;
  v_settings := private.coach_settings(coach_free_slots.coach_id);
  v_buffer := make_interval(mins => v_settings.buffer_minutes);
  v_lo := greatest(from_at, now() + make_interval(mins => v_settings.min_notice_minutes));
  v_hi := least(to_at, now() + make_interval(days => v_settings.horizon_days));
  if v_hi <= v_lo then
    return;
  end if;
  -- The coach's time off and busy time that can meet a slot of the range, each read once (one index
  -- range scan) into a multirange: every candidate slot is then one binary search, not a scan of
  -- the busy rows (a join re-read all of them for each slot: ~20 ms for 720 slots and 200 sessions).
  select coalesce(range_agg(tstzrange(t.starts_at, t.ends_at)), '{}') into v_time_off
  from public.coach_time_off t
  where t.coach_id = coach_free_slots.coach_id
    and tstzrange(t.starts_at, t.ends_at) && tstzrange(v_lo, v_hi + make_interval(mins => v_settings.slot_minutes));
  select coalesce(range_agg(b.during), '{}') into v_busy
  from private.coach_busy b
  where b.user_id = coach_free_slots.coach_id
    and b.session_id is distinct from ignore_session_id
    and b.during && tstzrange(v_lo - v_buffer, v_hi + make_interval(mins => v_settings.slot_minutes) + v_buffer);
  return query
    select distinct w.starts_at, w.ends_at
    -- A window lies inside its local day, so the local days of v_lo .. v_hi hold every slot.
    from generate_series((v_lo at time zone v_settings.timezone)::date::timestamp,
                         (v_hi at time zone v_settings.timezone)::date::timestamp, interval '1 day') d
    cross join lateral private.coach_day_windows(coach_free_slots.coach_id, d::date) a
    cross join lateral private.working_window_slots(v_settings.timezone, d::date, a.start_time, a.end_time,
                                                    v_settings.slot_minutes) w
    where w.starts_at >= v_lo and w.starts_at < v_hi
      and not (v_time_off && tstzrange(w.starts_at, w.ends_at))
      and not (v_busy && tstzrange(w.starts_at - v_buffer, w.ends_at + v_buffer))
    order by w.starts_at;
end;
$$;
comment on function private.coach_free_slots(uuid, timestamptz, timestamptz, uuid) is
  'The free slots of a coach starting in [from_at, to_at): see public.available_slots. ignore_session_id: a session '
  'whose busy time does not count (the one reschedule_booking moves). Internal.';
revoke execute on function private.coach_free_slots(uuid, timestamptz, timestamptz, uuid)
  from public, anon, authenticated, service_role;

-- SECURITY DEFINER: reads the coach's hours, time off and busy time across RLS, and returns only
-- instants: nothing about who or what fills the other hours.
create function public.available_slots(coach_id uuid, "from" timestamptz, "to" timestamptz)
returns table (starts_at timestamptz, ends_at timestamptz)
language sql stable security definer set search_path = '' rows 40 as $$
  select f.starts_at, f.ends_at from private.coach_free_slots(available_slots.coach_id, available_slots."from",
                                                              available_slots."to") f
  where (select private.account_read_guard())  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  order by f.starts_at
$$;
comment on function public.available_slots(uuid, timestamptz, timestamptz) is
  'Free slots of a coach starting in [from, to) (at most 93 days): the weekly working hours expanded in the coach''s '
  'time zone (DST-correct), cut into slot_minutes, minus time off, minus every scheduled or live session the coach '
  'hosts or staffs (group sessions too) and every one-to-one appointment they have as a patient, widened by '
  'buffer_minutes on both sides, from now + min_notice_minutes to now + horizon_days. Returns start and end instants '
  'only, in order. Errors: invalid_input, not_found (not a coach).';
revoke execute on function public.available_slots(uuid, timestamptz, timestamptz) from public, anon;
grant execute on function public.available_slots(uuid, timestamptz, timestamptz) to authenticated, service_role;

-- Serializes the booking RPCs (book_slot, reschedule_booking) of the same hours of a calendar until
-- commit: the calendar hour locks of several users at once (the coach's hours widened by the buffer
-- and the patient's hours of the appointment). One lock per user and clock hour (UTC, counted from
-- the epoch) that [from_at, to_at) meets. Two writes whose ranges (busy time widened by the buffer)
-- intersect share an hour and run one after the other; writes of other hours do not wait (the former
-- lock per coach made every booking of a coach wait for the previous one: 16 clients booking one coach
-- ran at ~1/16 of one client's speed plus queueing). All in one order (user id, then hour): a booking
-- of coach A by B and one of coach B by A at the same time want the same locks and take them in the
-- same order, so one waits for the other instead of both waiting crosswise (a deadlock). The
-- patient's hours are the coach-hour keys of that user: whoever books a user as coach and whoever
-- books as that user meet on them.
create function private.lock_calendars(user_ids uuid[], from_ats timestamptz[], to_ats timestamptz[])
returns void
language plpgsql volatile set search_path = '' as $$
declare
  v_key bigint;
begin
  for v_key in
    select pg_catalog.hashtextextended('coach_calendar:' || k.user_id::text || ':' || k.h::text, 0)
    from (select distinct r.user_id, h
          from unnest(lock_calendars.user_ids, lock_calendars.from_ats, lock_calendars.to_ats) as r (user_id, from_at, to_at)
          cross join lateral pg_catalog.generate_series(floor(extract(epoch from r.from_at) / 3600)::bigint,
                                                        ceil(extract(epoch from r.to_at) / 3600)::bigint - 1) h
          where r.user_id is not null) k
    order by k.user_id, k.h
  loop
    perform pg_catalog.pg_advisory_xact_lock(v_key);
  end loop;
end;
$$;
comment on function private.lock_calendars(uuid[], timestamptz[], timestamptz[]) is
  'Takes the transaction advisory locks of the clock hours of user_ids[i]''s calendar that [from_ats[i], to_ats[i]) '
  'meets (hashtextextended(''coach_calendar:<user id>:<hours since the epoch>'', 0)) for every i, in one global order '
  '(user id, then hour): booking RPCs whose ranges meet run their slot check and write one at a time, other hours do '
  'not wait, and two bookings needing each other''s users never wait crosswise. Internal.';
revoke execute on function private.lock_calendars(uuid[], timestamptz[], timestamptz[])
  from public, anon, authenticated, service_role;

-- Whether one start is a free slot of a coach: the rules of coach_free_slots (available_slots) for
-- that start alone, without expanding the day's other slots. The start must lie on the grid of one
-- of the day's working windows (window start + k * slot_minutes of absolute time, as
-- working_window_slots steps, so DST days agree), end inside it, respect notice and horizon, and
-- meet no time off and no busy time widened by the buffer. A window lies inside its local day, so
-- the local day of the start is the only one to look at. pgTAP compares it with available_slots
-- start by start, DST days included.
create function private.is_free_slot(settings public.coach_booking_settings, starts_at timestamptz,
                                     ignore_session_id uuid default null)
returns boolean
language plpgsql stable set search_path = '' as $$
declare
  v_slot interval := make_interval(mins => settings.slot_minutes);
  v_buffer interval := make_interval(mins => settings.buffer_minutes);
  v_day date := (is_free_slot.starts_at at time zone settings.timezone)::date;
begin
  if is_free_slot.starts_at is null or not isfinite(is_free_slot.starts_at)
     or is_free_slot.starts_at < now() + make_interval(mins => settings.min_notice_minutes)
     or is_free_slot.starts_at >= now() + make_interval(days => settings.horizon_days) then
    return false;
  end if;
  return exists (
           select 1
           from private.coach_day_windows(settings.coach_id, v_day) a
           cross join lateral (select private.local_instant(settings.timezone, v_day + a.start_time) as opens,
                                      private.local_instant(settings.timezone, v_day + a.end_time) as closes) w
           where is_free_slot.starts_at >= w.opens and is_free_slot.starts_at <= w.closes - v_slot
             and mod(extract(epoch from is_free_slot.starts_at) - extract(epoch from w.opens),
                     settings.slot_minutes * 60) = 0)
     and not exists (select 1 from public.coach_time_off t
                     where t.coach_id = settings.coach_id
                       and tstzrange(t.starts_at, t.ends_at) && tstzrange(is_free_slot.starts_at, is_free_slot.starts_at + v_slot))
     and not exists (select 1 from private.coach_busy b
                     where b.user_id = settings.coach_id
                       and b.session_id is distinct from is_free_slot.ignore_session_id
                       and b.during && tstzrange(is_free_slot.starts_at - v_buffer, is_free_slot.starts_at + v_slot + v_buffer));
end;
$$;
comment on function private.is_free_slot(public.coach_booking_settings, timestamptz, uuid) is
  'True when starts_at is a slot available_slots offers for the coach of these settings (private.coach_settings): on '
  'the grid of a working window of its local day, inside notice and horizon, clear of time off and of busy time '
  'widened by the buffer. ignore_session_id: a session whose busy time does not count (the one reschedule_booking '
  'moves). Checks that one start only. Internal.';
revoke execute on function private.is_free_slot(public.coach_booking_settings, timestamptz, uuid)
  from public, anon, authenticated, service_role;

-- A user leaves (account deactivated or deleted, 85_account_lifecycle.sql): the one-to-one
-- appointments they are the coach of (private.one_to_one_coach) and that are not over (live, or
-- scheduled with the planned end ahead) are cancelled: the patient is told (session_cancelled, with
-- the reason) and the booking is cancelled with the session, as when the coach cancels one. Past
-- appointments the coach never completed are history and stay as they are. On upcoming appointments
-- of another coach where the user is a second staff member (add_session_staff: a supervisor), only
-- their staff row goes; the appointment stays with its coach. Lock order as
-- private.cancel_future_bookings: the sessions first, all of the act's in one statement and in id order
-- (private.lock_account_sessions). Internal: runs inside the security definer lifecycle RPCs.
create function private.cancel_hosted_one_to_ones(user_id uuid, reason text)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  -- The lock order of the whole act (85_account_lifecycle.sql): this and the user's bookings' sessions.
  perform private.lock_account_sessions(cancel_hosted_one_to_ones.user_id);
  update public.sessions s
     set status = 'cancelled', cancel_reason = cancel_hosted_one_to_ones.reason, sequence = s.sequence + 1
   where s.id in (select st.session_id from public.session_staff st
                  where st.user_id = cancel_hosted_one_to_ones.user_id and st.role = 'host')
     and s.kind = 'one_to_one'
     and private.session_not_over(s.status, s.starts_at, s.duration_minutes)
     and private.one_to_one_coach(s.id) = cancel_hosted_one_to_ones.user_id;
  get diagnostics v_count = row_count;
  -- What is left of theirs and not over is another coach's appointment: they leave its staff.
  delete from public.session_staff st
   where st.user_id = cancel_hosted_one_to_ones.user_id
     and st.session_id in (select s.id from public.sessions s
                           where s.kind = 'one_to_one'
                             and private.session_not_over(s.status, s.starts_at, s.duration_minutes));
  return v_count;
end;
$$;
comment on function private.cancel_hosted_one_to_ones(uuid, text) is
  'Cancels, with the reason, the one-to-one appointments the user is the coach of (private.one_to_one_coach) that are '
  'live or still ahead (the patient gets session_cancelled, the booking is cancelled; past ones stay as they are), and '
  'removes the user from the staff of other coaches'' upcoming or live one-to-one appointments. Returns how many were '
  'cancelled. Internal (account deactivation and deletion).';
revoke execute on function private.cancel_hosted_one_to_ones(uuid, text) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: clients cannot create sessions for someone else nor write bookings.
create function public.book_slot(coach_id uuid, starts_at timestamptz, topic text default null)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_topic text := nullif(private.clean_text(book_slot.topic), '');
  v_settings public.coach_booking_settings;
  v_session_id uuid;
  v_booking public.bookings;
  v_notice_title text;
  v_notice_body text;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'book_slot'));
  end if;
  if book_slot.coach_id is null or book_slot.starts_at is null or not isfinite(book_slot.starts_at) then
    perform private.raise_error('invalid_input', 'coach_id and starts_at are required.',
      jsonb_build_object('fields', jsonb_build_array('coach_id', 'starts_at')));
  end if;
  if char_length(v_topic) > 200 then
    perform private.raise_error('invalid_input', 'The topic must be at most 200 characters.',
      jsonb_build_object('field', 'topic', 'max', 200));
  end if;
  -- The account locks of the coach and the caller, shared (85_account_lifecycle.sql): a deactivation
  -- or deletion of either waits for this booking to commit, then cancels it with the rest; one that
  -- started first makes this call wait, then the check below sees the account gone.
  perform private.lock_accounts(array[book_slot.coach_id, v_uid], false);
  if not private.is_bookable_coach(book_slot.coach_id) then
    perform private.raise_error('not_found', 'No such coach.', jsonb_build_object('coach_id', book_slot.coach_id));
  end if;
  if book_slot.coach_id = v_uid then
    perform private.raise_error('invalid_input', 'You cannot book a session with yourself.',
      jsonb_build_object('field', 'coach_id'));
  end if;
  v_settings := private.coach_settings(book_slot.coach_id);

  -- The hours this appointment and its buffers meet in the coach's calendar, and the hours of the
  -- appointment in the caller's; then the start, seeing every booking of them.
  perform private.lock_calendars(array[book_slot.coach_id, v_uid],
    array[book_slot.starts_at - make_interval(mins => v_settings.buffer_minutes), book_slot.starts_at],
    array[book_slot.starts_at + make_interval(mins => v_settings.slot_minutes + v_settings.buffer_minutes),
          book_slot.starts_at + make_interval(mins => v_settings.slot_minutes)]);
  if not private.is_free_slot(v_settings, book_slot.starts_at) then
    perform private.raise_error('slot_unavailable', 'This time is not a free slot of the coach.',
      jsonb_build_object('coach_id', book_slot.coach_id, 'starts_at', book_slot.starts_at));
  end if;
  -- The caller is never in two appointments at once: not as a patient of another coach, nor as the
  -- coach (or staff) of a session of their own (no buffer on this side: it is the coach's rule).
  if exists (select 1 from private.coach_busy b
             where b.user_id = v_uid
               and b.during && tstzrange(book_slot.starts_at, book_slot.starts_at + make_interval(mins => v_settings.slot_minutes))) then
    perform private.raise_schedule_conflict(v_uid, book_slot.starts_at);
  end if;

  -- The title is neutral, never the topic: it is one column both sides see and every subject, push
  -- title and calendar SUMMARY is built from it (lock screens, mail previews, shared calendars). No
  -- name in it either (a renamed coach would leave it stale). The topic stays in sessions.topic,
  -- read by the appointment's participants only (private.is_appointment_outsider).
  insert into public.sessions (title, topic, starts_at, duration_minutes, timezone, status, visibility, capacity,
                               waitlist_enabled, kind, created_by)
  values ('One-to-one session', v_topic, book_slot.starts_at, v_settings.slot_minutes,
          v_settings.timezone, 'scheduled', 'private', 1, false, 'one_to_one', book_slot.coach_id)
  returning id into v_session_id;
  insert into public.bookings (session_id, user_id, status, default_reminders_pending)
  values (v_session_id, v_uid, 'confirmed', true)
  returning * into v_booking;

  -- Without the topic (the patient's free text): notices show on lock screens and in mail previews;
  -- the coach reads it in the app. The time in the zone the coach reads everything else in
  -- (private.reader_timezone, as the email and push of this notice).
  -- In the coach's language (private.appointment_notice: "New appointment", no patient name).
  select n.title, n.body into v_notice_title, v_notice_body
  from private.appointment_notice(book_slot.coach_id, v_session_id, 'one_to_one_booked') n;
  perform private.notify(book_slot.coach_id, 'one_to_one_booked', v_notice_title, v_notice_body,
    '/sessions/' || v_session_id::text,
    jsonb_build_object('session_id', v_session_id, 'booking_id', v_booking.id, 'starts_at', book_slot.starts_at));
  -- The patient's confirmation (with the .ics); the coach's mail is the one_to_one_booked above.
  -- No title: the appointment wording (the coach and the time, in the patient's language and zone).
  perform private.notify_booking_confirmed(v_uid, v_session_id, v_booking.id, null);
  return v_booking;
end;
$$;
comment on function public.book_slot(uuid, timestamptz, text) is
  'Patient: books a free slot of a coach (a start returned by available_slots). In one transaction creates a private '
  'one-to-one session (kind one_to_one, capacity 1, the coach as host, duration slot_minutes, title always '
  '"One-to-one session", never the topic; the topic only in sessions.topic, read by the appointment''s participants) '
  'and the caller''s confirmed booking, which it returns; the coach gets a one_to_one_booked '
  'notification (title "New appointment", never the topic; the start in the coach''s reading zone), the caller a '
  'booking_confirmed one. Errors: not_authenticated, invalid_input, not_found (not a coach), slot_unavailable (409: not a free '
  'slot, or taken meanwhile), schedule_conflict (409: the caller is in another appointment then, details.busy "you").';
revoke execute on function public.book_slot(uuid, timestamptz, text) from public, anon;
grant execute on function public.book_slot(uuid, timestamptz, text) to authenticated, service_role;

-- Data repair, run once by the hand-written migration <timestamp>_one_to_one_notice_titles_data (README "Changing the
-- database" step 4). Notices about a one-to-one appointment written before its title was neutral carry
-- the patient's topic after their prefix ("Reminder: <topic>"). The first repair
-- (20261206233915_one_to_one_neutral_titles) matched them by the session's title and so missed a title
-- private.notify had cut to 200 characters (a topic of 182 characters or more) and any notice written
-- before a host renamed the session. This one goes by the notice's session (notifications.data.session_id,
-- notification_deliveries.session_id) and kind: every kind whose title carries the session's title gets
-- its prefix and the neutral title, one_to_one_booked its fixed title (from 23:10 to 23:31 UTC on
-- 2026-12-06 it was "New appointment: <topic>"). Deliveries not sent yet get the same payload.title. No
-- body held the title or the topic (they say "You have a seat.", "Starts ...", "Reason: <cancel reason>",
-- "A patient booked ..."), so bodies are left alone. Idempotent; returns the rows changed.
create function private.neutralize_one_to_one_notice_titles()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_changed int;
begin
  -- One statement, one list of titles, for both the in-app rows and the deliveries not sent yet.
  with notice (kind, title) as (
    values ('booking_confirmed', 'Booking confirmed: One-to-one session'),
           ('booking_promoted', 'You have a seat: One-to-one session'),
           ('session_reminder', 'Reminder: One-to-one session'),
           ('session_rescheduled', 'New time: One-to-one session'),
           ('session_cancelled', 'Cancelled: One-to-one session'),
           ('one_to_one_booked', 'New appointment')
  ), in_app as (
    update public.notifications n
       set title = notice.title
      from notice, public.sessions s
     where n.kind = notice.kind
       and s.kind = 'one_to_one'
       and n.data ->> 'session_id' = s.id::text
       and n.title is distinct from notice.title
       -- Appointment wording (33_appointment_wording.sql) names no topic: left as it is.
       and not private.is_appointment_title(n.kind, n.title)
    returning 1
  ), queued as (
    update public.notification_deliveries d
       set payload = jsonb_set(d.payload, '{title}', to_jsonb(notice.title))
      from notice, public.sessions s
     where d.kind = notice.kind
       and s.kind = 'one_to_one'
       and d.session_id = s.id
       and d.status <> 'sent'
       and d.payload ? 'title'
       and d.payload ->> 'title' is distinct from notice.title
       and not private.is_appointment_title(d.kind, d.payload ->> 'title')
    returning 1
  )
  select (select count(*) from in_app) + (select count(*) from queued) into v_changed;
  return v_changed;
end;
$$;
comment on function private.neutralize_one_to_one_notice_titles() is
  'Data repair (migration one_to_one_notice_titles_data): gives every in-app notification about a one-to-one session '
  '(by data.session_id and kind) and every unsent delivery of one (by session_id and kind) the title current code '
  'writes ("<prefix>: One-to-one session", one_to_one_booked "New appointment"), whatever the topic or a former '
  'title made it; a title in appointment wording (private.is_appointment_title: "Reminder: your appointment with '
  '<coach> starts ...", in any language) names no topic and is left as it is. Idempotent; returns the rows changed. '
  'Internal (operators, migrations).';
revoke execute on function private.neutralize_one_to_one_notice_titles() from public, anon, authenticated, service_role;

-- The one-to-one session of a booking, for reschedule_booking and mark_no_show: the session and
-- whether the caller hosts it. not_found unless the caller is the patient, a host or an
-- admin; invalid_input for a group session.
create function private.one_to_one_booking(booking_id uuid, out session_id uuid, out is_host boolean)
language plpgsql stable set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_booking public.bookings;
  v_session public.sessions;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('booking_id', one_to_one_booking.booking_id));
  end if;
  if one_to_one_booking.booking_id is null then
    perform private.raise_error('invalid_input', 'booking_id is required.', jsonb_build_object('field', 'booking_id'));
  end if;
  select b.* into v_booking from public.bookings b where b.id = one_to_one_booking.booking_id;
  select s.* into v_session from public.sessions s where s.id = v_booking.session_id;
  is_host := v_session.id is not null and private.is_session_staff(v_session.id, array['host']);
  if v_booking.id is null or not (v_booking.user_id = v_uid or is_host or private.is_admin()) then
    perform private.raise_error('not_found', 'Booking not found.', jsonb_build_object('booking_id', one_to_one_booking.booking_id));
  end if;
  if v_session.kind <> 'one_to_one' then
    perform private.raise_error('invalid_input', 'This is a booking of a group session (see reschedule_session, end_session).',
      jsonb_build_object('booking_id', v_booking.id, 'session_id', v_session.id, 'kind', v_session.kind));
  end if;
  session_id := v_session.id;
end;
$$;
comment on function private.one_to_one_booking(uuid) is
  'The one-to-one session of a booking and whether auth.uid() hosts it: not_authenticated, invalid_input, not_found '
  '(not the patient, a host or an admin), invalid_input (a group session). Internal.';
revoke execute on function private.one_to_one_booking(uuid) from public, anon, authenticated, service_role;

-- The coach of a one-to-one session: the session's creator (sessions.created_by: book_slot sets the
-- coach) while they are still one of its hosts, else the earliest host. Not the first host by
-- created_at alone: a second host added in the booking's transaction has the same created_at
-- (now()), and the tie went to whichever user id sorted first.
-- PL/pgSQL: a SQL function with a SET clause is planned again on every call (~0.13 ms a transaction; the
-- notices of book_slot, reminders and the dispatcher's context call it per reader).
create function private.one_to_one_coach(session_id uuid)
returns uuid
language plpgsql stable set search_path = '' as $$
begin
  return (select st.user_id from public.session_staff st
          left join public.sessions s on s.id = st.session_id and s.created_by = st.user_id
          where st.session_id = one_to_one_coach.session_id and st.role = 'host'
          order by s.id is null, st.created_at, st.user_id limit 1);
end;
$$;
comment on function private.one_to_one_coach(uuid) is
  'The coach of a one-to-one session: its creator (sessions.created_by, the coach book_slot booked) while they are a '
  'host of it, else its earliest host (created_at, then user id); null without a host. Internal.';
revoke execute on function private.one_to_one_coach(uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: patients cannot update sessions.
create function public.reschedule_booking(booking_id uuid, new_starts_at timestamptz)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_ref record;
  v_booking public.bookings;
  v_session public.sessions;
  v_is_host boolean;
  v_coach uuid;
  v_settings public.coach_booking_settings;
begin
  v_ref := private.one_to_one_booking(reschedule_booking.booking_id);
  select b.* into v_booking from public.bookings b where b.id = reschedule_booking.booking_id;
  select s.* into v_session from public.sessions s where s.id = v_ref.session_id;
  v_is_host := v_ref.is_host;
  v_coach := private.one_to_one_coach(v_session.id);
  if reschedule_booking.new_starts_at is null or not isfinite(reschedule_booking.new_starts_at) then
    perform private.raise_error('invalid_input', 'new_starts_at is required.', jsonb_build_object('field', 'new_starts_at'));
  end if;
  if v_coach is null then
    perform private.raise_error('invalid_transition', 'This session has no coach any more.', jsonb_build_object('session_id', v_session.id));
  end if;
  v_settings := private.coach_settings(v_coach);
  -- The hours the new time and its buffers meet, and the patient's hours of it (as book_slot); then
  -- the session as it is now.
  perform private.lock_calendars(array[v_coach, v_booking.user_id],
    array[reschedule_booking.new_starts_at - make_interval(mins => v_settings.buffer_minutes), reschedule_booking.new_starts_at],
    array[reschedule_booking.new_starts_at + make_interval(mins => v_settings.slot_minutes + v_settings.buffer_minutes),
          reschedule_booking.new_starts_at + make_interval(mins => v_settings.slot_minutes)]);
  select s.* into v_session from public.sessions s where s.id = v_session.id for update;
  if v_session.status <> 'scheduled'
     or not exists (select 1 from public.bookings b where b.id = v_booking.id and b.status = 'confirmed') then
    perform private.raise_error('invalid_transition', 'Only a scheduled appointment with a confirmed booking can be moved.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if not v_is_host and not private.is_admin()
     and now() > v_session.starts_at - make_interval(mins => v_settings.late_cancel_minutes) then
    perform private.raise_error('too_late', 'It is too late to move this appointment; ask your coach.',
      jsonb_build_object('session_id', v_session.id, 'late_cancel_minutes', v_settings.late_cancel_minutes,
                         'starts_at', v_session.starts_at));
  end if;
  if reschedule_booking.new_starts_at = v_session.starts_at then
    perform private.raise_error('invalid_input', 'The appointment already starts then.',
      jsonb_build_object('field', 'new_starts_at', 'starts_at', v_session.starts_at));
  end if;
  if not private.is_bookable_coach(v_coach) then
    perform private.raise_error('not_found', 'No such coach.', jsonb_build_object('coach_id', v_coach));
  end if;
  if not private.is_free_slot(v_settings, reschedule_booking.new_starts_at, v_session.id) then
    perform private.raise_error('slot_unavailable', 'This time is not a free slot of the coach.',
      jsonb_build_object('coach_id', v_coach, 'starts_at', reschedule_booking.new_starts_at));
  end if;
  -- The patient is never in two appointments at once (this one's own time does not count).
  if exists (select 1 from private.coach_busy b
             where b.user_id = v_booking.user_id and b.session_id <> v_session.id
               and b.during && tstzrange(reschedule_booking.new_starts_at,
                                         reschedule_booking.new_starts_at + make_interval(mins => v_settings.slot_minutes))) then
    perform private.raise_schedule_conflict(v_booking.user_id, reschedule_booking.new_starts_at);
  end if;
  -- The session triggers move the busy time, re-arm the reminders and notify the other side
  -- (session_rescheduled to everyone but the caller).
  update public.sessions s
     set starts_at = reschedule_booking.new_starts_at, duration_minutes = v_settings.slot_minutes,
         sequence = s.sequence + 1
   where s.id = v_session.id
  returning s.* into v_session;
  return private.redact_session(v_session);
end;
$$;
comment on function public.reschedule_booking(uuid, timestamptz) is
  'Patient or coach (host; admins too): moves a scheduled one-to-one appointment to another free slot of the coach '
  '(a start available_slots offers, the appointment''s own time not counting as busy) atomically. Bumps the calendar '
  'sequence, re-arms the reminders against the new start and notifies the other side (session_rescheduled). Inside '
  'the coach''s late_cancel_minutes before the current start the patient is refused (too_late, 409); the coach is '
  'not. Returns the session. Errors: not_authenticated, invalid_input (also: a group session), not_found, '
  'invalid_transition (not scheduled, booking not confirmed), too_late, slot_unavailable, schedule_conflict (the '
  'patient is in another appointment at the new time: details.busy "you" for the patient, "patient" for the coach).';
revoke execute on function public.reschedule_booking(uuid, timestamptz) from public, anon;
grant execute on function public.reschedule_booking(uuid, timestamptz) to authenticated, service_role;

-- SECURITY DEFINER: status, started_at and ended_at are written by lifecycle RPCs only.
create function public.complete_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(complete_session.session_id);
begin
  if v_session.kind <> 'one_to_one' then
    perform private.raise_error('invalid_input', 'complete_session is for one-to-one sessions (see end_session).',
      jsonb_build_object('session_id', v_session.id, 'kind', v_session.kind));
  end if;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only a scheduled or live appointment can be completed.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if now() < v_session.starts_at then
    perform private.raise_error('invalid_transition', 'The appointment has not started yet.',
      jsonb_build_object('session_id', v_session.id, 'starts_at', v_session.starts_at));
  end if;
  update public.sessions s
     set status = 'ended', started_at = coalesce(s.started_at, s.starts_at),
         ended_at = greatest(now(), coalesce(s.started_at, s.starts_at)), sequence = s.sequence + 1
   where s.id = v_session.id
  returning s.* into v_session;
  return private.redact_session(v_session);
end;
$$;
comment on function public.complete_session(uuid) is
  'Coach (host): marks a one-to-one appointment that has started as held: status ended (started_at = the start '
  'unless start_session ran, ended_at = now). Bumps sequence. Errors: not_authenticated, not_found, forbidden (not '
  'host), invalid_input (a group session: use end_session), invalid_transition (not scheduled or live, or not started '
  'yet). Returns the session.';
revoke execute on function public.complete_session(uuid) from public, anon;
grant execute on function public.complete_session(uuid) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write bookings.
create function public.mark_no_show(booking_id uuid)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_ref record;
  v_session public.sessions;
  v_booking public.bookings;
  v_is_host boolean;
begin
  v_ref := private.one_to_one_booking(mark_no_show.booking_id);
  select b.* into v_booking from public.bookings b where b.id = mark_no_show.booking_id;
  select s.* into v_session from public.sessions s where s.id = v_ref.session_id;
  v_is_host := v_ref.is_host;
  if not v_is_host then
    perform private.raise_error('forbidden', 'Only the coach of the appointment can do this.',
      jsonb_build_object('booking_id', v_booking.id));
  end if;
  select s.* into v_session from public.sessions s where s.id = v_session.id for update;
  select b.* into v_booking from public.bookings b where b.id = v_booking.id for update;
  if v_booking.status <> 'confirmed' or v_booking.no_show_at is not null
     or v_session.status not in ('scheduled', 'live', 'ended') then
    perform private.raise_error('invalid_transition', 'Only a confirmed booking not yet marked can be marked as a no-show.',
      jsonb_build_object('booking_id', v_booking.id, 'status', v_booking.status, 'no_show_at', v_booking.no_show_at));
  end if;
  if now() < v_session.starts_at then
    perform private.raise_error('invalid_transition', 'The appointment has not started yet.',
      jsonb_build_object('booking_id', v_booking.id, 'starts_at', v_session.starts_at));
  end if;
  update public.bookings b set no_show_at = now() where b.id = v_booking.id returning b.* into v_booking;
  if v_session.status in ('scheduled', 'live') then
    update public.sessions s
       set status = 'ended', started_at = coalesce(s.started_at, s.starts_at),
           ended_at = greatest(now(), coalesce(s.started_at, s.starts_at)), sequence = s.sequence + 1
     where s.id = v_session.id;
  end if;
  return v_booking;
end;
$$;
comment on function public.mark_no_show(uuid) is
  'Coach (host): marks the confirmed booking of a one-to-one appointment that has started as a no-show (no_show_at) '
  'and ends the session if it was still scheduled or live. Errors: not_authenticated, invalid_input, not_found, '
  'forbidden (the patient), invalid_transition (not confirmed, already marked, cancelled, not started yet). Returns '
  'the booking.';
revoke execute on function public.mark_no_show(uuid) from public, anon;
grant execute on function public.mark_no_show(uuid) to authenticated, service_role;

-- SECURITY DEFINER: a patient keeps seeing an appointment after cancelling it (the private session
-- is no longer visible to them through sessions' RLS); the rows are filtered to the caller here.
create function public.my_appointments()
returns table (session_id uuid, booking_id uuid, coach_id uuid, coach_name text, patient_id uuid, patient_name text,
               starts_at timestamptz, ends_at timestamptz, timezone text, topic text, status text, sequence int,
               cancelled_at timestamptz, no_show_at timestamptz, ended_at timestamptz)
language plpgsql stable security definer set search_path = '' rows 20 as $$
declare
  v_uid uuid := (select auth.uid());
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'my_appointments'));
  end if;
  return query
    select s.id, b.id, c.coach, cp.display_name, b.user_id, pp.display_name,
           s.starts_at, s.starts_at + make_interval(mins => s.duration_minutes), s.timezone, s.topic,
           case when b.status = 'cancelled' or s.status = 'cancelled' then 'cancelled'
                when b.no_show_at is not null then 'no_show'
                when s.status = 'ended' then 'completed'
                else s.status end,
           s.sequence, b.cancelled_at, b.no_show_at, s.ended_at
    from public.bookings b
    join public.sessions s on s.id = b.session_id and s.kind = 'one_to_one'
    cross join lateral (select private.one_to_one_coach(s.id) as coach) c
    left join public.profiles cp on cp.id = c.coach
    left join public.profiles pp on pp.id = b.user_id
    -- The caller's own host rows, not private.staff_session_ids: that gives admins every session
    -- (admin powers), and an admin's own appointments are not everyone's.
    where b.user_id = v_uid
       or s.id in (select st.session_id from public.session_staff st where st.user_id = v_uid and st.role = 'host')
    order by s.starts_at desc, b.id;
end;
$$;
comment on function public.my_appointments() is
  'The caller''s one-to-one appointments, as patient or as coach (host), newest first: session, booking, coach and '
  'patient (ids and display names), start, end, zone, topic, status (scheduled, live, completed, no_show, cancelled), '
  'calendar sequence, cancelled_at, no_show_at, ended_at. Cancelled ones included. Error: not_authenticated.';
revoke execute on function public.my_appointments() from public, anon;
grant execute on function public.my_appointments() to authenticated, service_role;

-- SECURITY DEFINER: reads staff, bookings and bans across RLS. The jitsi Edge Function's gate: who
-- may enter a session's video room, and when.
create function public.jitsi_access(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions;
  v_staff boolean;
  v_opens timestamptz;
  v_ends timestamptz;
  v_profile public.profiles;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', jitsi_access.session_id));
  end if;
  select s.* into v_session from public.sessions s where s.id = jitsi_access.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', jitsi_access.session_id));
  end if;
  -- A one-to-one appointment's room is its coach's and patient's only: an admin who is not its staff
  -- is not let in (admin powers cover group sessions; a counselling session is not theirs to join).
  v_staff := case when v_session.kind = 'one_to_one'
                  then exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = v_uid)
                  else private.is_session_staff(v_session.id) end;
  if not v_staff then
    if private.is_banned(v_session.id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session.id));
    end if;
    if not exists (select 1 from public.bookings b
                   where b.session_id = v_session.id and b.user_id = v_uid and b.status = 'confirmed') then
      perform private.raise_error('forbidden', 'Only the session''s staff and confirmed attendees enter its room.',
        jsonb_build_object('session_id', v_session.id, 'reason', 'not_attendee'));
    end if;
  end if;
  v_opens := v_session.starts_at - interval '10 minutes';
  -- A live session's room stays open while it runs, past its planned end.
  v_ends := case when v_session.status = 'live' then greatest(v_session.starts_at + make_interval(mins => v_session.duration_minutes),
                                                                now() + interval '1 hour')
                 else v_session.starts_at + make_interval(mins => v_session.duration_minutes) end;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('forbidden', 'This session''s room is closed.',
      jsonb_build_object('session_id', v_session.id, 'reason', v_session.status));
  end if;
  if now() < v_opens then
    perform private.raise_error('forbidden', 'The room opens 10 minutes before the start.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'too_early', 'opens_at', v_opens));
  end if;
  if now() >= v_ends then
    perform private.raise_error('forbidden', 'This session''s room is closed.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'ended', 'ended_at', v_ends));
  end if;
  select p.* into v_profile from public.profiles p where p.id = v_uid;
  return jsonb_build_object('session_id', v_session.id, 'user_id', v_uid, 'moderator', v_staff,
                            'display_name', v_profile.display_name, 'avatar_url', v_profile.avatar_url,
                            'opens_at', v_opens, 'ends_at', v_ends);
end;
$$;
comment on function public.jitsi_access(uuid) is
  'Gate of the jitsi Edge Function: the caller may enter the session''s video room when they are its staff (moderator) '
  'or hold a confirmed booking, not banned, the session is scheduled or live, from 10 minutes before the start until '
  'its planned end (a live session: while it runs). Returns {session_id, user_id, moderator, display_name, avatar_url, '
  'opens_at, ends_at}. Admins count as staff of group sessions only: a one-to-one appointment''s room is its coach''s '
  'and patient''s. Errors: not_authenticated, not_found (invisible), banned, forbidden (details.reason: '
  'not_attendee, too_early, ended, cancelled, draft).';
revoke execute on function public.jitsi_access(uuid) from public, anon;
grant execute on function public.jitsi_access(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger coach_booking_settings_set_updated_at before update on public.coach_booking_settings
  for each row execute function private.set_updated_at();

-- Security definer: reads the coach's profile (an admin may be writing another coach's row).
create function private.coach_booking_settings_default_timezone()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.timezone is null then
    new.timezone := coalesce((select p.timezone from public.profiles p where p.id = new.coach_id), 'UTC');
  end if;
  return new;
end;
$$;
comment on function private.coach_booking_settings_default_timezone() is
  'Trigger: a coach_booking_settings row without a time zone gets the coach''s profile time zone (UTC without one). '
  'Internal.';
revoke execute on function private.coach_booking_settings_default_timezone() from public, anon, authenticated, service_role;
create trigger coach_booking_settings_default_timezone before insert or update of timezone on public.coach_booking_settings
  for each row execute function private.coach_booking_settings_default_timezone();

create trigger session_notes_set_updated_at before update on public.session_notes
  for each row execute function private.set_updated_at();
-- Trimmed of every kind of blank; an empty note is invalid_input (as chat and direct messages).
create trigger session_notes_clean_body before insert or update of body on public.session_notes
  for each row execute function private.clean_body();

-- Security definer (both): private.coach_busy is internal, and these run for every writer.
create function private.sessions_sync_coach_busy()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- The patient's row must fit only when this write books them into a time: a new time or kind, or
  -- the session becoming scheduled or live again; not on scheduled -> live (start_session) and the like.
  perform private.sync_coach_busy(new.id, false,
    old.starts_at is distinct from new.starts_at or old.duration_minutes is distinct from new.duration_minutes
    or old.kind is distinct from new.kind or old.status not in ('scheduled', 'live'));
  return null;
end;
$$;
comment on function private.sessions_sync_coach_busy() is
  'Trigger: a session''s status, time or kind changed: rewrites its busy rows (private.sync_coach_busy; the '
  'patient''s row must fit only on a new time or kind, or when the session becomes scheduled or live again). Internal.';
revoke execute on function private.sessions_sync_coach_busy() from public, anon, authenticated, service_role;
create trigger sessions_sync_coach_busy after update of status, starts_at, duration_minutes, kind on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes or old.kind is distinct from new.kind)
  execute function private.sessions_sync_coach_busy();

create function private.session_staff_sync_coach_busy()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- A staff change books no patient: their row is left out when it cannot be inserted (patient_must_fit false).
  if tg_op in ('UPDATE', 'DELETE') then
    perform private.sync_coach_busy(old.session_id, false, false);
  end if;
  if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.session_id is distinct from old.session_id) then
    perform private.sync_coach_busy(new.session_id, false, false);
  end if;
  return null;
end;
$$;
comment on function private.session_staff_sync_coach_busy() is
  'Trigger: staff added, moved or removed: rewrites the busy rows of the session(s) concerned (a patient row that '
  'cannot be inserted is left out, not refused: a staff change books no patient). Internal.';
revoke execute on function private.session_staff_sync_coach_busy() from public, anon, authenticated, service_role;
create trigger session_staff_sync_coach_busy after insert or delete or update of session_id, user_id
  on public.session_staff
  for each row execute function private.session_staff_sync_coach_busy();

-- Cancelling a one-to-one booking (cancel_booking, or any other update to cancelled): inside the
-- coach's late-cancel notice the patient themselves is refused; the coach (cancel_session),
-- service_role and admins are not. Security definer: reads the coach's settings.
create function private.bookings_check_late_cancel()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_late int;
begin
  if (select auth.uid()) is distinct from old.user_id or private.is_admin() then
    return new;
  end if;
  select s.* into v_session from public.sessions s where s.id = old.session_id;
  if v_session.kind is distinct from 'one_to_one' or v_session.status not in ('scheduled', 'live') then
    return new;
  end if;
  v_late := (private.coach_settings(private.one_to_one_coach(v_session.id))).late_cancel_minutes;
  -- Live: too late whatever the notice and the planned start (a coach who started early, a notice of
  -- 0 minutes): cancelling would also cancel the session in progress (bookings_cancel_one_to_one
  -- below); the coach completes or cancels it.
  if v_session.status = 'live' or now() > v_session.starts_at - make_interval(mins => v_late) then
    perform private.raise_error('too_late', 'It is too late to cancel this appointment; ask your coach.',
      jsonb_build_object('session_id', v_session.id, 'late_cancel_minutes', v_late, 'starts_at', v_session.starts_at));
  end if;
  return new;
end;
$$;
comment on function private.bookings_check_late_cancel() is
  'Trigger before a booking is cancelled: the patient of a scheduled one-to-one session cannot cancel within the '
  'coach''s late_cancel_minutes before its start, nor a live one at all (too_late, 409). Not for the account '
  'lifecycle (private.lifecycle_cancel on: deleting or deactivating an account is never refused by it). Internal.';
revoke execute on function private.bookings_check_late_cancel() from public, anon, authenticated, service_role;
-- private.lifecycle_cancel is set to 'on' by private.cancel_future_bookings (85_account_lifecycle.sql)
-- around its own update only: an account being deleted or deactivated leaves its appointments.
create trigger bookings_check_late_cancel before update of status on public.bookings
  for each row
  when (new.status = 'cancelled' and old.status <> 'cancelled'
        and current_setting('private.lifecycle_cancel', true) is distinct from 'on')
  execute function private.bookings_check_late_cancel();

-- A one-to-one session without its patient is cancelled (its slot is free again). The coach is told
-- by the session's own cancellation trigger (private.sessions_after_change in 30_booking.sql tells
-- every staff member but the canceller), so each party hears of it once. Security definer: sessions
-- of others.
create function private.bookings_cancel_one_to_one()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_session public.sessions;
begin
  select s.* into v_session from public.sessions s where s.id = new.session_id;
  if v_session.kind is distinct from 'one_to_one' or v_session.status not in ('scheduled', 'live') then
    return null;
  end if;
  update public.sessions s
     set status = 'cancelled', cancel_reason = private.cancel_reason_text('patient_cancelled'), sequence = s.sequence + 1
   where s.id = v_session.id;
  return null;
end;
$$;
comment on function private.bookings_cancel_one_to_one() is
  'Trigger after a booking of a scheduled or live one-to-one session is cancelled: cancels the session (its slot is '
  'offered again) and bumps its sequence; the session''s cancellation then notifies its coach (session_cancelled) '
  'unless the coach did it. Internal.';
revoke execute on function private.bookings_cancel_one_to_one() from public, anon, authenticated, service_role;
create trigger bookings_cancel_one_to_one after update of status on public.bookings
  for each row
  when (new.status = 'cancelled' and old.status <> 'cancelled')
  execute function private.bookings_cancel_one_to_one();

-- The patient's busy time: a confirmed booking of a scheduled or live one-to-one session is busy
-- time of its user (private.coach_busy, the same exclusion constraint as the coach's), whatever
-- writes the booking (book_slot, cancel_booking, a promotion, service_role, an admin). Security
-- definer: private.coach_busy is internal. Group sessions' bookings are not busy time (one read of
-- the session's kind, then nothing).
create function private.bookings_sync_patient_busy()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op in ('UPDATE', 'DELETE')
     and exists (select 1 from public.sessions s where s.id = old.session_id and s.kind = 'one_to_one') then
    perform private.sync_coach_busy(old.session_id, true);
  end if;
  if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.session_id is distinct from old.session_id) then
    if exists (select 1 from public.sessions s where s.id = new.session_id and s.kind = 'one_to_one') then
      perform private.sync_coach_busy(new.session_id, true);
    end if;
  end if;
  return null;
end;
$$;
comment on function private.bookings_sync_patient_busy() is
  'Trigger: a booking became or stopped being confirmed, or moved: rewrites the patient busy rows of the one-to-one '
  'session(s) concerned (private.sync_coach_busy, patients_only). Internal.';
revoke execute on function private.bookings_sync_patient_busy() from public, anon, authenticated, service_role;
create trigger bookings_sync_patient_busy_insert after insert on public.bookings
  for each row when (new.status = 'confirmed')
  execute function private.bookings_sync_patient_busy();
create trigger bookings_sync_patient_busy_update after update of status, session_id, user_id on public.bookings
  for each row
  when ((old.status = 'confirmed') is distinct from (new.status = 'confirmed')
        or (new.status = 'confirmed' and (old.session_id is distinct from new.session_id
                                          or old.user_id is distinct from new.user_id)))
  execute function private.bookings_sync_patient_busy();
create trigger bookings_sync_patient_busy_delete after delete on public.bookings
  for each row when (old.status = 'confirmed')
  execute function private.bookings_sync_patient_busy();
