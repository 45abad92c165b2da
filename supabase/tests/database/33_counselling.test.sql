-- One-to-one counselling: working hours, time off and booking settings (RLS matrix: coach, other
-- coach, patient, admin, anon, service_role), available_slots (DST changes in Europe/Amsterdam, time
-- off, buffers, group sessions the coach hosts or staffs, notice, horizon, nothing about other
-- patients), book_slot, and the exclusion constraint on a coach's busy time for every write path.
begin;
\ir ../helpers.sql
select plan(126);

select tests.create_supabase_user('cs_coach', metadata => '{"display_name":"Clara Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('cs_coach_b');
select tests.create_supabase_user('cs_patient');
select tests.create_supabase_user('cs_patient_q');
select tests.create_supabase_user('cs_admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('cs_coach'), tests.get_supabase_uid('cs_coach_b'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('cs_admin');

select tests.get_supabase_uid('cs_coach') as coach, tests.get_supabase_uid('cs_coach_b') as coach_b,
       tests.get_supabase_uid('cs_patient') as patient, tests.get_supabase_uid('cs_patient_q') as patient_q \gset

-- Days and instants, all relative to now(): d1..d5 are the 3rd..7th local day from today in Amsterdam.
select (now() at time zone 'Europe/Amsterdam')::date + 3 as d1 \gset
select ((:'d1'::date + 0) + time '09:00') at time zone 'Europe/Amsterdam' as d1_09,
       ((:'d1'::date + 0) + time '09:30') at time zone 'Europe/Amsterdam' as d1_0930,
       ((:'d1'::date + 0) + time '10:00') at time zone 'Europe/Amsterdam' as d1_10,
       ((:'d1'::date + 0) + time '10:15') at time zone 'Europe/Amsterdam' as d1_1015,
       ((:'d1'::date + 0) + time '11:00') at time zone 'Europe/Amsterdam' as d1_11,
       ((:'d1'::date + 0) + time '12:00') at time zone 'Europe/Amsterdam' as d1_12,
       ((:'d1'::date + 1) + time '09:00') at time zone 'Europe/Amsterdam' as d2_09,
       ((:'d1'::date + 1) + time '10:00') at time zone 'Europe/Amsterdam' as d2_10,
       ((:'d1'::date + 1) + time '11:00') at time zone 'Europe/Amsterdam' as d2_11,
       ((:'d1'::date + 1) + time '12:00') at time zone 'Europe/Amsterdam' as d2_12,
       ((:'d1'::date + 2) + time '09:00') at time zone 'Europe/Amsterdam' as d3_09,
       ((:'d1'::date + 2) + time '10:00') at time zone 'Europe/Amsterdam' as d3_10,
       ((:'d1'::date + 2) + time '11:00') at time zone 'Europe/Amsterdam' as d3_11,
       ((:'d1'::date + 2) + time '12:00') at time zone 'Europe/Amsterdam' as d3_12,
       ((:'d1'::date + 3) + time '09:00') at time zone 'Europe/Amsterdam' as d4_09,
       ((:'d1'::date + 3) + time '10:00') at time zone 'Europe/Amsterdam' as d4_10,
       ((:'d1'::date + 3) + time '11:00') at time zone 'Europe/Amsterdam' as d4_11,
       ((:'d1'::date + 3) + time '12:00') at time zone 'Europe/Amsterdam' as d4_12,
       ((:'d1'::date + 4) + time '09:00') at time zone 'Europe/Amsterdam' as d5_09 \gset

-- The next Sundays on which Amsterdam starts (last Sunday of March) and ends (last Sunday of
-- October) summer time, at least two days ahead: 2027-03-28 and 2027-10-31 as of December 2026.
select min(s) filter (where extract(month from s) = 3) as spring, min(s) filter (where extract(month from s) = 10) as autumn
from generate_series(extract(year from now())::int, extract(year from now())::int + 1) y,
     lateral (values (make_date(y, 3, 31) - extract(dow from make_date(y, 3, 31))::int),
                     (make_date(y, 10, 31) - extract(dow from make_date(y, 10, 31))::int)) v (s)
where s > (now() at time zone 'Europe/Amsterdam')::date + 2 \gset

-- Fixtures as postgres: the coach's settings (hourly slots, no buffer, no notice, two years ahead)
-- and hours: every day 09:00-12:00, Sundays also 00:00-06:00 (across the DST changes at 02:00/03:00).
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 730);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '09:00', time '12:00' from generate_series(1, 7) w
union all select :'coach'::uuid, 7, time '00:00', time '06:00';
insert into public.coach_availability (coach_id, weekday, start_time, end_time) values (:'coach_b', 1, '09:00', '17:00');
insert into public.coach_time_off (coach_id, starts_at, ends_at, reason) values (:'coach', :'d2_10', :'d2_11', 'Dentist');
insert into public.coach_time_off (coach_id, starts_at, ends_at) values (:'coach_b', now() + interval '1 day', now() + interval '2 days');
insert into public.coach_booking_settings (coach_id, timezone) values (:'coach_b', 'America/Sao_Paulo');

-- The slots of the coach in a range, as text for readable failures (local HH:MI in Amsterdam).
create function pg_temp.slot_times(p_from timestamptz, p_to timestamptz) returns text[]
language sql as $$
  select coalesce(array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') order by s.starts_at), '{}')
  from public.available_slots(tests.get_supabase_uid('cs_coach'), p_from, p_to) s
$$;
grant execute on function pg_temp.slot_times(timestamptz, timestamptz) to authenticated, service_role;

-- private.is_free_slot (book_slot's and reschedule_booking's check of one start) against
-- available_slots, every 5 minutes of a range (slot starts, other minutes of the hour, one second
-- off a start): 'N mismatches, M free' (M: the starts both call free; the days around a Sunday have more).
create function pg_temp.free_slot_mismatches(p_from timestamptz, p_to timestamptz) returns text
language sql as $$
  select count(*) filter (where x.single is distinct from x.listed) || ' mismatches, ' || count(*) filter (where x.listed) || ' free'
  from (select private.is_free_slot(private.coach_settings(tests.get_supabase_uid('cs_coach')), t) as single,
               t in (select s.starts_at from public.available_slots(tests.get_supabase_uid('cs_coach'), p_from, p_to) s) as listed
        from (select generate_series(p_from, p_to - interval '1 second', interval '5 minutes') as t
              union all
              select generate_series(p_from + interval '1 second', p_to, interval '1 hour')) g) x
$$;

-- The hour locks of a coach's calendar this transaction holds, as hours since the epoch, between two instants.
create function pg_temp.held_hours(p_coach uuid, p_from timestamptz, p_to timestamptz) returns bigint[]
language sql as $$
  select coalesce(array_agg(h order by h), '{}')
  from generate_series(floor(extract(epoch from p_from) / 3600)::bigint, ceil(extract(epoch from p_to) / 3600)::bigint) h
  where exists (select 1 from pg_locks l
                where l.locktype = 'advisory' and l.pid = pg_backend_pid() and l.granted and l.objsubid = 1
                  and l.classid::text::bigint = (hashtextextended('coach_calendar:' || p_coach::text || ':' || h::text, 0) >> 32) & 4294967295
                  and l.objid::text::bigint = hashtextextended('coach_calendar:' || p_coach::text || ':' || h::text, 0) & 4294967295)
$$;
grant execute on function pg_temp.held_hours(uuid, timestamptz, timestamptz) to authenticated;

-- Structure ----------------------------------------------------------------------------------------

select is(tests.tables_without_rls('public'), '{}'::text[], 'every public table has RLS');
select is((select array_agg(c.relname::text order by c.relname) from pg_class c
           where c.oid in ('public.coach_availability'::regclass, 'public.coach_time_off'::regclass,
                           'public.coach_booking_settings'::regclass) and c.relrowsecurity),
          array['coach_availability', 'coach_booking_settings', 'coach_time_off'], 'RLS on the three new tables');
select is(pg_get_function_result('public.available_slots(uuid, timestamptz, timestamptz)'::regprocedure),
          'TABLE(starts_at timestamp with time zone, ends_at timestamp with time zone)',
          'available_slots returns start and end instants only');
select ok((select prorows between 10 and 200 from pg_proc where oid = 'public.available_slots(uuid, timestamptz, timestamptz)'::regprocedure),
          'available_slots has an honest rows estimate');
select is(has_function_privilege('anon', 'public.available_slots(uuid, timestamptz, timestamptz)', 'execute'), false,
          'anon cannot call available_slots');
select is(has_function_privilege('anon', 'public.book_slot(uuid, timestamptz, text)', 'execute'), false,
          'anon cannot call book_slot');
select is(has_table_privilege('authenticated', 'private.coach_busy', 'select'), false, 'clients cannot read private.coach_busy');
select is(has_column_privilege('authenticated', 'public.sessions', 'kind', 'insert'), false, 'clients cannot set sessions.kind');
select is(has_column_privilege('authenticated', 'public.sessions', 'kind', 'update'), false, 'clients cannot change sessions.kind');
select is(private.error_status('slot_unavailable'), 409, 'slot_unavailable is 409');

-- DST: the pure expansion, at fixed instants ------------------------------------------------------

select is((select array_agg(to_char(w.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') order by w.starts_at)
           from private.working_window_slots('Europe/Amsterdam', '2027-03-28', '00:00', '06:00', 60) w),
          array['00:00', '01:00', '03:00', '04:00', '05:00'], '2027-03-28 Amsterdam 00:00-06:00: 5 slots, 02:00 does not exist');
select is((select array_agg(w.starts_at order by w.starts_at)
           from private.working_window_slots('Europe/Amsterdam', '2027-10-31', '00:00', '06:00', 60) w),
          array['2027-10-30 22:00+00', '2027-10-30 23:00+00', '2027-10-31 00:00+00', '2027-10-31 01:00+00',
                '2027-10-31 02:00+00', '2027-10-31 03:00+00', '2027-10-31 04:00+00']::timestamptz[],
          '2027-10-31 Amsterdam 00:00-06:00: 7 slots, 02:00 summer and 02:00 winter time, no doubled instant');
select is((select count(*)::int from private.working_window_slots('America/Sao_Paulo', '2027-10-31', '09:00', '17:00', 50) w),
          9, 'Sao Paulo 09:00-17:00 in 50-minute slots: 9 (the last ends at 16:30)');

-- DST: available_slots across the next changes after now() --------------------------------------

select is(pg_temp.slot_times((:'spring'::date + time '00:00') at time zone 'Europe/Amsterdam',
                             (:'spring'::date + time '07:00') at time zone 'Europe/Amsterdam'),
          array['00:00', '01:00', '03:00', '04:00', '05:00'],
          'spring forward (' || :'spring' || '): 00:00-06:00 gives 5 slots, no 02:00, none doubled');
select is((select max(s.starts_at) - min(s.starts_at) from public.available_slots(:'coach',
             (:'spring'::date + time '00:00') at time zone 'Europe/Amsterdam',
             (:'spring'::date + time '07:00') at time zone 'Europe/Amsterdam') s),
          interval '4 hours', 'spring forward: the 5 slots are 5 consecutive real hours');
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') || ' ' ||
                            to_char(s.starts_at at time zone 'UTC', 'HH24:MI') order by s.starts_at)
           from public.available_slots(:'coach', (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                       (:'autumn'::date + time '07:00') at time zone 'Europe/Amsterdam') s),
          array['00:00 22:00', '01:00 23:00', '02:00 00:00', '02:00 01:00', '03:00 02:00', '04:00 03:00', '05:00 04:00'],
          'fall back (' || :'autumn' || '): 00:00-06:00 gives 7 slots, 02:00 twice (summer, winter), none missing');
select is((select count(distinct s.starts_at)::int from public.available_slots(:'coach',
             (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
             (:'autumn'::date + time '07:00') at time zone 'Europe/Amsterdam') s),
          7, 'fall back: 7 distinct instants');
select is((select count(*)::int from public.available_slots(:'coach',
             (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
             (:'autumn'::date + 1 + time '00:00') at time zone 'Europe/Amsterdam') s
           where s.ends_at - s.starts_at <> interval '60 minutes'),
          0, 'fall back: every slot lasts exactly slot_minutes of real time');
select is(pg_temp.free_slot_mismatches((:'spring'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                       (:'spring'::date + 1 + time '00:00') at time zone 'Europe/Amsterdam'),
          '0 mismatches, 8 free', 'spring forward: book_slot''s check of one start agrees with available_slots (5 + 3 slots)');
select is(pg_temp.free_slot_mismatches((:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                       (:'autumn'::date + 1 + time '00:00') at time zone 'Europe/Amsterdam'),
          '0 mismatches, 10 free', 'fall back: book_slot''s check agrees with available_slots (both 02:00 starts, 7 + 3 slots)');
-- Booking on those nights: the two 02:00 starts of the fall-back night are two appointments an hour
-- apart; a local time that does not exist on the spring-forward night is no slot.
select tests.authenticate_as('cs_patient');
select is((select status from public.book_slot(:'coach', (:'autumn'::date + time '00:00') at time zone 'UTC')), 'confirmed',
          'fall back: a patient books 02:00 summer time (00:00 UTC)');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach',
                                  (:'spring'::date + time '02:30') at time zone 'Europe/Amsterdam')),
          'slot_unavailable', 'spring forward: 02:30, which does not exist that night, is no slot');
select tests.clear_authentication();
select tests.authenticate_as('cs_patient_q');
select is((select status from public.book_slot(:'coach', (:'autumn'::date + time '01:00') at time zone 'UTC')), 'confirmed',
          'fall back: another patient books 02:00 winter time (01:00 UTC), an hour later');
select tests.clear_authentication();
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') || ' ' ||
                            to_char(s.starts_at at time zone 'UTC', 'HH24:MI') order by s.starts_at)
           from public.available_slots(:'coach', (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                       (:'autumn'::date + time '07:00') at time zone 'Europe/Amsterdam') s),
          array['00:00 22:00', '01:00 23:00', '03:00 02:00', '04:00 03:00', '05:00 04:00'],
          'fall back: both 02:00 slots are taken, the others stay');

-- Working hours, time off, busy sessions, buffers ---------------------------------------------------

select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['09:00', '10:00', '11:00'], 'a plain day: 09:00, 10:00, 11:00');
select is((select array_agg(s.ends_at - s.starts_at) from public.available_slots(:'coach', :'d1_09', :'d1_12') s),
          array[interval '1 hour', interval '1 hour', interval '1 hour'], 'slots last slot_minutes');
select is(pg_temp.slot_times(:'d1_09', :'d1_11'), array['09:00', '10:00'], 'to is exclusive for the start');
select is(pg_temp.slot_times(:'d2_09', :'d2_12'), array['09:00', '11:00'], 'time off 10:00-11:00 removes the 10:00 slot');

-- A group session the coach hosts, 10:00-10:30 on d3 (created by the coach: host).
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Group at ten', :'d3_10', 30, 'scheduled', 'public', :'coach');
select is(pg_temp.slot_times(:'d3_09', :'d3_12'), array['09:00', '11:00'], 'a hosted group session blocks its slot');
update public.coach_booking_settings set buffer_minutes = 30 where coach_id = :'coach';
select is(pg_temp.slot_times(:'d3_09', :'d3_12'), array['11:00'],
          'with a 30-minute buffer the 09:00 slot (ending 10:00) goes too; 11:00 stays (30 minutes after 10:30)');
select matches(pg_temp.free_slot_mismatches(:'d3_09'::timestamptz - interval '9 hours', :'d3_09'::timestamptz + interval '15 hours'),
          '^0 mismatches, [1-9][0-9]* free$',
          'with the buffer, book_slot''s check of one start agrees with available_slots');
update public.coach_booking_settings set buffer_minutes = 0 where coach_id = :'coach';

-- On d4: coach_b's session 09:00-10:00 where the coach is only a moderator, a draft of the coach at
-- 10:00 and a cancelled session at 11:00: only the staffed, scheduled one blocks.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Moderated by the coach', :'d4_09', 60, 'scheduled', 'public', :'coach_b') returning id as moderated \gset
insert into public.session_staff (session_id, user_id, role) values (:'moderated', :'coach', 'moderator');
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Draft', :'d4_10', 60, 'draft', 'public', :'coach') returning id as draft \gset
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by, cancel_reason)
values ('Cancelled', :'d4_11', 60, 'cancelled', 'public', :'coach', 'ill');
select is(pg_temp.slot_times(:'d4_09', :'d4_12'), array['10:00', '11:00'],
          'a session the coach staffs blocks; drafts and cancelled sessions do not');
select matches(pg_temp.free_slot_mismatches(:'d1_09'::timestamptz - interval '9 hours', :'d5_09'::timestamptz + interval '15 hours'),
          '^0 mismatches, [1-9][0-9]* free$',
          'd1 to d5 (time off, hosted, staffed, draft and cancelled sessions): book_slot''s check agrees with available_slots');

-- Notice and horizon.
update public.coach_booking_settings
set min_notice_minutes = ceil(extract(epoch from (:'d1_0930'::timestamptz - now())) / 60)::int where coach_id = :'coach';
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['10:00', '11:00'],
          'minimum notice: a start earlier than now + notice is not offered');
select is(pg_temp.free_slot_mismatches(:'d1_09', :'d1_12'), '0 mismatches, 2 free',
          'minimum notice: book_slot''s check agrees with available_slots');
update public.coach_booking_settings set min_notice_minutes = 0, horizon_days = 4 where coach_id = :'coach';
select is((select count(*)::int from public.available_slots(:'coach', now(), now() + interval '10 days') s
           where s.starts_at > now() + interval '4 days'), 0, 'horizon: nothing starts later than now + horizon_days');
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['09:00', '10:00', '11:00'], 'horizon: the slots within it stay');
update public.coach_booking_settings set horizon_days = 730 where coach_id = :'coach';
select ok((select count(*) from public.available_slots(:'coach', now(), now() + interval '10 days') s
           where s.starts_at > now() + interval '4 days') > 0, 'a longer horizon offers them again');
select is((select count(*)::int from public.available_slots(:'coach', now() - interval '3 days', now()) s), 0,
          'nothing in the past');

-- Errors.
select tests.authenticate_as('cs_patient');
select is(tests.error_code(format('select * from public.available_slots(%L, now(), now() + interval ''1 day'')', :'patient')),
          'not_found', 'available_slots of a user who is not a coach: not_found');
select is(tests.error_code(format('select * from public.available_slots(%L, now(), now())', :'coach')),
          'invalid_input', 'an empty range: invalid_input');
select is(tests.error_code(format('select * from public.available_slots(%L, now(), now() + interval ''94 days'')', :'coach')),
          'invalid_input', 'a range over 93 days: invalid_input');
select is(tests.error_code(format('select * from public.available_slots(%L, null, now())', :'coach')),
          'invalid_input', 'a null bound: invalid_input');
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['09:00', '10:00', '11:00'], 'a patient sees the free slots');
select tests.authenticate_as_anon();
select is(tests.error_code(format('select * from public.available_slots(%L, now(), now() + interval ''1 day'')', :'coach')),
          '42501', 'anon: permission denied');
select tests.clear_authentication();

-- book_slot -----------------------------------------------------------------------------------------

select tests.authenticate_as('cs_patient');
create temp table booked as select * from public.book_slot(:'coach', :'d1_10', '  Stress at work  ');
select is((select status from booked), 'confirmed', 'book_slot returns the caller''s confirmed booking');
select is((select user_id from booked), :'patient'::uuid, 'the booking is the caller''s');
select is((select s.kind || ' ' || s.visibility || ' ' || s.capacity || ' ' || s.status || ' ' || s.duration_minutes || ' ' || s.timezone
           from public.sessions s where s.id = (select session_id from booked)),
          'one_to_one private 1 scheduled 60 Europe/Amsterdam',
          'the session: one_to_one, private, capacity 1, scheduled, slot_minutes long, in the coach''s zone');
select is((select s.topic || ' | ' || s.title from public.sessions s where s.id = (select session_id from booked)),
          'Stress at work | One-to-one session', 'the topic, trimmed, is the topic; the title is neutral, never the topic');
select is((select s.starts_at from public.sessions s where s.id = (select session_id from booked)), :'d1_10'::timestamptz,
          'the session starts at the slot');
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['09:00', '11:00'], 'the booked slot is no longer offered');
select is(pg_temp.held_hours(:'coach', :'d1_09'::timestamptz - interval '2 hours', :'d1_12'::timestamptz + interval '2 hours'),
          array[floor(extract(epoch from :'d1_10'::timestamptz) / 3600)::bigint],
          'book_slot locked the one hour of the coach''s calendar its slot meets (no buffer), until commit');
select tests.clear_authentication();
select is(private.is_free_slot(private.coach_settings(:'coach'), :'d1_10', (select session_id from booked)), true,
          'the check of one start can ignore the session being moved (reschedule_booking)');
select is(private.is_free_slot(private.coach_settings(:'coach'), :'d1_10'), false, '... and otherwise counts it');
select private.lock_calendars(array[:'coach_b'::uuid], array[date_trunc('hour', now()) + interval '30 days 50 minutes'],
                              array[date_trunc('hour', now()) + interval '30 days 130 minutes']);
select is(pg_temp.held_hours(:'coach_b', date_trunc('hour', now()) + interval '29 days', date_trunc('hour', now()) + interval '31 days'),
          array(select floor(extract(epoch from date_trunc('hour', now()) + interval '30 days') / 3600)::bigint + k
                from generate_series(0, 2) k),
          'lock_calendars over hh:50 to hh+2:10 locks exactly the three clock hours the range meets');
select is((select array_agg(st.user_id::text || ' ' || st.role) from public.session_staff st
           where st.session_id = (select session_id from booked)),
          array[:'coach' || ' host'], 'the coach hosts it, nobody else is staff');
select is((select count(*)::int from public.notifications n
           where n.user_id = :'coach' and n.kind = 'one_to_one_booked' and n.data ->> 'session_id' = (select session_id::text from booked)),
          1, 'the coach is notified (one_to_one_booked)');
grant select on booked to authenticated;

select tests.authenticate_as('cs_patient_q');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d1_10')), 'slot_unavailable',
          'another patient booking the same slot: slot_unavailable');
select is(tests.error_status(format('select public.book_slot(%L, %L)', :'coach', :'d1_10')), 409, '... with status 409');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d1_0930')), 'slot_unavailable',
          'a start that is not a slot start: slot_unavailable');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d2_10')), 'slot_unavailable',
          'a start inside time off: slot_unavailable');
select is(tests.error_code(format('select public.book_slot(%L, now() - interval ''1 hour'')', :'coach')), 'slot_unavailable',
          'a start in the past: slot_unavailable');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'patient', :'d1_10')), 'not_found',
          'booking a user who is not a coach: not_found');
select is(tests.error_code(format('select public.book_slot(%L, %L, %L)', :'coach', :'d1_11', repeat('x', 201))), 'invalid_input',
          'a topic over 200 characters: invalid_input');
select is(tests.error_code(format('select public.book_slot(null, %L)', :'d1_11')), 'invalid_input', 'no coach: invalid_input');
select is((select count(*)::int from public.sessions s where s.id = (select session_id from booked)), 0,
          'another patient cannot read the session');
select is((select count(*)::int from public.bookings b where b.session_id = (select session_id from booked)), 0,
          'nor its booking');
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['09:00', '11:00'],
          'another patient sees the same free slots, and only instants');
select tests.clear_authentication();

select tests.authenticate_as('cs_coach');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d1_11')), 'invalid_input',
          'a coach cannot book themselves');
select is((select count(*)::int from public.sessions s where s.id = (select session_id from booked)), 1,
          'the coach reads the session');
select is((select count(*)::int from public.bookings b where b.session_id = (select session_id from booked)), 1,
          'and its booking');
select tests.clear_authentication();
select tests.authenticate_as('cs_patient');
select is((select count(*)::int from public.sessions s where s.id = (select session_id from booked)), 1,
          'the patient reads their session');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d1_11')), '42501', 'anon cannot book');
select tests.clear_authentication();

-- No overlap with a one-to-one session, whatever writes it --------------------------------------------

select is(tests.error_code(format(
  $$insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
    values ('Overlapping group', %L, 30, 'scheduled', 'public', %L)$$, :'d1_1015', :'coach')),
  'slot_unavailable', 'postgres: a scheduled group session of the coach overlapping the one-to-one is refused');
select is(tests.error_code(format(
  $$insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, kind, created_by)
    values ('Second one-to-one', %L, 60, 'scheduled', 'private', 1, 'one_to_one', %L)$$, :'d1_0930', :'coach')),
  'slot_unavailable', 'a second one-to-one overlapping it is refused');
select is(tests.error_code(format(
  $$insert into public.sessions (id, title, starts_at, duration_minutes, status, visibility, created_by)
    values ('00000000-0000-4000-8000-000000000034', 'Draft overlapping', %L, 30, 'draft', 'public', %L)$$, :'d1_1015', :'coach')),
  null, 'a draft may overlap (drafts are not busy time)');
select is(tests.error_code($$update public.sessions set status = 'scheduled' where id = '00000000-0000-4000-8000-000000000034'$$),
  'slot_unavailable', 'publishing that draft is refused');
select tests.authenticate_as('cs_coach');
select is(tests.error_code($$select public.publish_session('00000000-0000-4000-8000-000000000034')$$),
  'slot_unavailable', 'publish_session by the coach: slot_unavailable');
select tests.clear_authentication();
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('coach_b at 10:15', :'d1_1015', 30, 'scheduled', 'public', :'coach_b') returning id as b_session \gset
select is(tests.error_code(format($$insert into public.session_staff (session_id, user_id, role) values (%L, %L, 'speaker')$$,
                                  :'b_session', :'coach')),
  'slot_unavailable', 'adding the coach as staff of an overlapping session is refused');
select tests.authenticate_as('cs_coach_b');
select is(tests.error_code(format($$select public.add_session_staff(%L, %L, 'moderator')$$, :'b_session', :'coach')),
  'slot_unavailable', 'add_session_staff: slot_unavailable');
select tests.clear_authentication();
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Later group', :'d5_09', 60, 'scheduled', 'public', :'coach') returning id as later \gset
select tests.authenticate_as('cs_coach');
select is(tests.error_code(format('select public.reschedule_session(%L, %L)', :'later', :'d1_0930')),
  'slot_unavailable', 'reschedule_session of a group session onto the one-to-one: slot_unavailable');
select is(tests.error_code(format('select public.reschedule_session(%L, %L, 30)', :'later', :'d1_09')),
  null, 'rescheduling it right before (09:00-09:30) is fine: the buffer is the booking rule');
select tests.clear_authentication();
select is(tests.error_code(format(
  $$insert into private.coach_busy (session_id, user_id, during, lane) values (%L, %L, tstzrange(%L, %L), '(,)')$$,
  :'b_session', :'coach', :'d1_1015', :'d1_11')),
  '23P01', 'the exclusion constraint itself refuses a raw overlapping row');
select is(tests.error_code(format(
  $$insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
    values ('Parallel group', %L, 60, 'scheduled', 'public', %L)$$, :'d3_10', :'coach')),
  null, 'two group sessions of a coach may still overlap each other');
select is((select count(*)::int from private.coach_busy b where b.user_id = :'coach' and b.during && tstzrange(:'d3_10', :'d3_11')),
  2, 'both are busy time of the coach');
update public.sessions set status = 'cancelled' where id = (select session_id from booked);
select is(pg_temp.slot_times(:'d1_09', :'d1_12'), array['10:00', '11:00'],
  'a cancelled one-to-one frees its slot (09:00 is taken by the rescheduled group session)');
select is((select count(*)::int from private.coach_busy b where b.session_id = (select session_id from booked)), 0,
  'and leaves no busy row');

-- RLS matrix on the three tables ---------------------------------------------------------------------

-- coach: own rows.
select tests.authenticate_as('cs_coach');
select is((select count(*)::int from public.coach_availability), 8, 'coach reads their own working hours only');
select is((select count(*)::int from public.coach_time_off), 1, 'coach reads their own time off only');
select is((select count(*)::int from public.coach_booking_settings), 1, 'coach reads their own settings only');
select is(tests.error_code($$insert into public.coach_availability (weekday, start_time, end_time) values (1, '18:00', '20:00')$$),
          null, 'coach adds working hours (coach_id defaults to them)');
select is(tests.error_code(format($$insert into public.coach_time_off (starts_at, ends_at) values (%L, %L)$$, :'d5_09', :'d5_09'::timestamptz + interval '1 day')),
          null, 'coach adds time off');
with u as (update public.coach_availability set end_time = '21:00' where start_time = '18:00' returning 1)
select is(count(*)::int, 1, 'coach updates their working hours') from u;
with u as (update public.coach_booking_settings set slot_minutes = 60 returning 1)
select is(count(*)::int, 1, 'coach updates their settings') from u;
with d as (delete from public.coach_availability where start_time = '18:00' returning 1)
select is(count(*)::int, 1, 'coach deletes their working hours') from d;
select is(tests.error_code(format($$insert into public.coach_availability (coach_id, weekday, start_time, end_time) values (%L, 1, '18:00', '20:00')$$, :'coach_b')),
          '42501', 'coach cannot add hours for another coach');
select is(tests.error_code($$update public.coach_availability set coach_id = coach_id$$), '42501',
          'coach_id cannot be changed (no update grant)');
select is(tests.error_code($$insert into public.coach_availability (weekday, start_time, end_time) values (8, '18:00', '20:00')$$),
          '23514', 'weekday 8 is refused');
select is(tests.error_code($$insert into public.coach_availability (weekday, start_time, end_time) values (1, '18:00', '17:00')$$),
          '23514', 'an end before the start is refused');
select is(tests.error_code($$update public.coach_booking_settings set timezone = 'Mars/Olympus'$$), '23514',
          'an unknown time zone is refused');
select tests.clear_authentication();

-- other coach: nothing of the coach's.
select tests.authenticate_as('cs_coach_b');
select is((select count(*)::int from public.coach_availability where coach_id = :'coach'), 0, 'other coach reads none of the coach''s hours');
select is((select count(*)::int from public.coach_time_off where coach_id = :'coach'), 0, 'nor time off');
select is((select count(*)::int from public.coach_booking_settings where coach_id = :'coach'), 0, 'nor settings');
with u as (update public.coach_availability set end_time = '13:00' where coach_id = :'coach' returning 1)
select is(count(*)::int, 0, 'other coach updates none of the coach''s hours') from u;
with d as (delete from public.coach_time_off where coach_id = :'coach' returning 1)
select is(count(*)::int, 0, 'other coach deletes none of the coach''s time off') from d;
with u as (update public.coach_booking_settings set buffer_minutes = 200 where coach_id = :'coach' returning 1)
select is(count(*)::int, 0, 'other coach changes none of the coach''s settings') from u;
select tests.clear_authentication();

-- patients: nothing, and cannot create any.
select tests.authenticate_as('cs_patient');
select is((select count(*)::int from public.coach_availability), 0, 'patient reads no working hours');
select is((select count(*)::int from public.coach_time_off), 0, 'patient reads no time off');
select is((select count(*)::int from public.coach_booking_settings), 0, 'patient reads no settings');
select is(tests.error_code($$insert into public.coach_availability (weekday, start_time, end_time) values (1, '09:00', '17:00')$$),
          '42501', 'a patient (member) cannot add working hours');
select is(tests.error_code(format($$insert into public.coach_time_off (starts_at, ends_at) values (%L, %L)$$, :'d5_09', :'d5_09'::timestamptz + interval '1 day')),
          '42501', 'nor time off');
select is(tests.error_code($$insert into public.coach_booking_settings (timezone) values ('UTC')$$), '42501', 'nor settings');
with d as (delete from public.coach_availability returning 1)
select is(count(*)::int, 0, 'a patient deletes no working hours') from d;
select tests.clear_authentication();
select tests.authenticate_as('cs_patient_q');
select is((select count(*)::int from public.coach_availability) + (select count(*)::int from public.coach_time_off)
          + (select count(*)::int from public.coach_booking_settings), 0, 'another patient reads nothing either');
select tests.clear_authentication();

-- admin: everything.
select tests.authenticate_as('cs_admin');
select is((select count(*)::int from public.coach_availability where coach_id in (:'coach', :'coach_b')), 9, 'admin reads every coach''s hours');
select is((select count(*)::int from public.coach_time_off where coach_id in (:'coach', :'coach_b')), 3, 'admin reads all time off, reasons included');
select is((select count(*)::int from public.coach_booking_settings where coach_id in (:'coach', :'coach_b')), 2, 'admin reads all settings');
select is(tests.error_code(format($$insert into public.coach_availability (coach_id, weekday, start_time, end_time) values (%L, 2, '13:00', '14:00')$$, :'coach_b')),
          null, 'admin adds hours for a coach');
with u as (update public.coach_booking_settings set late_cancel_minutes = 120 where coach_id = :'coach_b' returning 1)
select is(count(*)::int, 1, 'admin updates a coach''s settings') from u;
with d as (delete from public.coach_time_off where coach_id = :'coach_b' returning 1)
select is(count(*)::int, 1, 'admin deletes a coach''s time off') from d;
select tests.clear_authentication();

-- anon: no privilege; service_role: all.
select tests.authenticate_as_anon();
select is(tests.error_code('select 1 from public.coach_availability'), '42501', 'anon cannot read working hours');
select is(tests.error_code('select 1 from public.coach_time_off'), '42501', 'anon cannot read time off');
select is(tests.error_code('select 1 from public.coach_booking_settings'), '42501', 'anon cannot read settings');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.coach_availability where coach_id in (:'coach', :'coach_b')), 10, 'service_role reads all hours');
select is((select count(*)::int from public.coach_booking_settings where coach_id in (:'coach', :'coach_b')), 2, 'service_role reads all settings');
select is((select count(*)::int from public.available_slots(:'coach', :'d1_09', :'d1_12')), 2, 'service_role may call available_slots');
select tests.clear_authentication();

select * from finish();
rollback;
