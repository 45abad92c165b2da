-- One-to-one counselling: a person is never in two one-to-one appointments at once, on either side. The
-- patient's confirmed booking of a scheduled or live one-to-one session is busy time of theirs
-- (private.coach_busy, the same exclusion constraint as a coach's), whichever path writes it: a coach booked
-- as a patient is no longer offered at that time (their buffer around it as for any busy time of theirs), a
-- patient cannot hold two overlapping appointments with two coaches, book_slot and reschedule_booking refuse
-- with schedule_conflict (409, details.busy "you" or "patient"), backend writes meet the constraint. Nothing
-- about the other appointment leaks: not through the errors, not through available_slots, not through RLS.
begin;
\ir ../helpers.sql
select plan(40);

select tests.create_supabase_user('pb_coach_a', metadata => '{"display_name":"Alma Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('pb_coach_b', metadata => '{"display_name":"Bruno Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('pb_coach_c', metadata => '{"display_name":"Cora Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('pb_patient', metadata => '{"display_name":"Pia Patient"}');
select tests.create_supabase_user('pb_other', metadata => '{"display_name":"Otto Other"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('pb_coach_a'), tests.get_supabase_uid('pb_coach_b'), tests.get_supabase_uid('pb_coach_c'));
select tests.get_supabase_uid('pb_coach_a') as coach_a, tests.get_supabase_uid('pb_coach_b') as coach_b,
       tests.get_supabase_uid('pb_coach_c') as coach_c, tests.get_supabase_uid('pb_patient') as patient,
       tests.get_supabase_uid('pb_other') as other \gset

-- Hourly slots 09:00-17:00 every day in Amsterdam, no buffer or notice, 1-minute late-cancel notice.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
select c, 'Europe/Amsterdam', 60, 0, 0, 60, 1 from unnest(array[:'coach_a', :'coach_b', :'coach_c']::uuid[]) c;
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select c, w, time '09:00', time '17:00'
from unnest(array[:'coach_a', :'coach_b', :'coach_c']::uuid[]) c, generate_series(1, 7) w;

select ((now() at time zone 'Europe/Amsterdam')::date + 3) as day \gset
select (:'day'::date + time '00:00') at time zone 'Europe/Amsterdam' as d_00,
       (:'day'::date + time '24:00') at time zone 'Europe/Amsterdam' as d_24,
       (:'day'::date + time '12:00') at time zone 'Europe/Amsterdam' as d_12,
       (:'day'::date + time '13:00') at time zone 'Europe/Amsterdam' as d_13,
       (:'day'::date + time '14:00') at time zone 'Europe/Amsterdam' as d_14,
       (:'day'::date + time '15:00') at time zone 'Europe/Amsterdam' as d_15,
       (:'day'::date + time '16:00') at time zone 'Europe/Amsterdam' as d_16 \gset

-- A coach booked as a patient -----------------------------------------------------------------------------

select tests.authenticate_as('pb_coach_a');
select id as a_bk, session_id as a_session from public.book_slot(:'coach_b', :'d_12', 'Supervision') \gset
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'a_session' and user_id = :'coach_a'
             and during = tstzrange(:'d_12', :'d_13')), 1,
          'the patient''s side of a confirmed appointment is busy time of theirs (coach A as B''s patient, 12:00)');

select tests.authenticate_as('pb_patient');
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24') order by s.starts_at)
           from public.available_slots(:'coach_a', :'d_00', :'d_24') s),
          array['09', '10', '11', '13', '14', '15', '16'],
          'available_slots of coach A no longer offers 12:00, when A is in an appointment as a patient');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_a', :'d_12')), 'slot_unavailable',
          'book_slot of coach A at 12:00 is refused: the coach''s side is busy (slot_unavailable)');
select is(tests.error_details(format('select public.book_slot(%L, %L)', :'coach_a', :'d_12')),
          jsonb_build_object('coach_id', :'coach_a'::uuid, 'starts_at', :'d_12'::timestamptz),
          '... saying nothing about what A is doing then');
select tests.clear_authentication();

-- The coach's buffer counts around their patient appointment as around any busy time of theirs.
update public.coach_booking_settings set buffer_minutes = 15 where coach_id = :'coach_a';
select tests.authenticate_as('pb_patient');
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24') order by s.starts_at)
           from public.available_slots(:'coach_a', :'d_00', :'d_24') s),
          array['09', '10', '14', '15', '16'],
          'with a 15-minute buffer, coach A''s 11:00 and 13:00 go too (the coach''s buffer semantics as before)');
select tests.clear_authentication();
update public.coach_booking_settings set buffer_minutes = 0 where coach_id = :'coach_a';

-- The caller's side: coach A, in an appointment with B at 12:00, books coach C at 12:00.
select tests.authenticate_as('pb_coach_a');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_c', :'d_12')), 'schedule_conflict',
          'a caller already in an appointment then is refused: schedule_conflict');
select is(tests.error_status(format('select public.book_slot(%L, %L)', :'coach_c', :'d_12')), 409, '... 409');
select is(tests.error_details(format('select public.book_slot(%L, %L)', :'coach_c', :'d_12')),
          jsonb_build_object('busy', 'you', 'starts_at', :'d_12'::timestamptz),
          '... details.busy = you, and nothing about the other appointment');
select is(tests.error_message(format('select public.book_slot(%L, %L)', :'coach_c', :'d_12')) ->> 'message',
          'You already have an appointment at that time.', '... message');
select tests.clear_authentication();
select is((select count(*)::int from public.sessions where kind = 'one_to_one' and created_by = :'coach_c'), 0,
          '... and coach C has no appointment');

-- A patient with two coaches ----------------------------------------------------------------------------

select tests.authenticate_as('pb_patient');
select id as p_b_bk, session_id as p_b_session from public.book_slot(:'coach_b', :'d_13', 'Sleep') \gset
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_c', :'d_13')), 'schedule_conflict',
          'a patient cannot hold two overlapping appointments with two coaches');
select id as p_c_bk, session_id as p_c_session from public.book_slot(:'coach_c', :'d_14', 'Work') \gset
select ok(:'p_c_bk' is not null, 'the patient books coach C at another time');
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24') order by s.starts_at)
           from public.available_slots(:'coach_c', :'d_00', :'d_24') s),
          array['09', '10', '11', '12', '13', '15', '16'],
          'the patient''s own busy time is not coach C''s: C still offers 13:00 (only C''s own appointment, 14:00, is gone)');

-- reschedule_booking: the patient moving into their other appointment.
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'p_c_bk', :'d_13')), 'schedule_conflict',
          'reschedule_booking by the patient into their other appointment: schedule_conflict');
select is(tests.error_details(format('select public.reschedule_booking(%L, %L)', :'p_c_bk', :'d_13')),
          jsonb_build_object('busy', 'you', 'starts_at', :'d_13'::timestamptz), '... busy = you');
select tests.clear_authentication();
-- ... and the coach moving it there.
select tests.authenticate_as('pb_coach_c');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'p_c_bk', :'d_13')), 'schedule_conflict',
          'reschedule_booking by the coach into the patient''s other appointment: schedule_conflict');
select is(tests.error_message(format('select public.reschedule_booking(%L, %L)', :'p_c_bk', :'d_13')),
          jsonb_build_object('code', 'schedule_conflict', 'message', 'The patient already has an appointment at that time.',
                             'details', jsonb_build_object('busy', 'patient', 'starts_at', :'d_13'::timestamptz),
                             'hint', null),
          '... busy = patient; the whole error names neither the other coach, the session nor its topic');
select is(tests.error_status(format('select public.reschedule_booking(%L, %L)', :'p_c_bk', :'d_13')), 409, '... 409');
select is((select count(*)::int from public.sessions where id = :'p_b_session'), 0,
          'coach C cannot see the patient''s appointment with coach B');
select is((select count(*)::int from public.bookings where session_id = :'p_b_session'), 0, '... nor its booking');
select is((select count(*)::int from public.my_appointments() where session_id = :'p_b_session'), 0,
          '... nor list it in my_appointments');
select is((select starts_at from public.reschedule_booking(:'p_c_bk', :'d_15')), :'d_15'::timestamptz,
          'the coach moves it to a time the patient is free');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'p_c_session' and user_id = :'patient'
             and during = tstzrange(:'d_15', :'d_16')), 1, 'the patient''s busy time moved with it');

-- Cancelling frees the patient's time.
select tests.authenticate_as('pb_patient');
select public.cancel_booking(:'p_b_session');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'p_b_session'), 0,
          'a cancelled appointment is nobody''s busy time any more');
select tests.authenticate_as('pb_patient');
select ok((select id from public.book_slot(:'coach_c', :'d_13')) is not null,
          'the patient books coach C at 13:00 once the other appointment is cancelled');
select tests.clear_authentication();

-- Other writers: the constraint ---------------------------------------------------------------------------

-- pb_other has an appointment with coach B at 15:00; making pb_patient (at 15:00 with C) its patient is refused.
select tests.authenticate_as('pb_other');
select id as o_bk, session_id as o_session from public.book_slot(:'coach_b', :'d_15') \gset
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is(tests.error_code(format('update public.bookings set user_id = %L where id = %L', :'patient', :'o_bk')),
          'schedule_conflict', 'service_role moving a booking to a patient busy then: schedule_conflict');
select tests.clear_authentication();
-- A one-to-one session written directly (an admin tool): its booking for a busy patient is refused.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, waitlist_enabled, kind, created_by)
values ('Direct', :'d_15', 60, 'scheduled', 'private', 1, false, 'one_to_one', :'coach_a')
returning id as direct_session \gset
select tests.authenticate_as_service_role();
select is(tests.error_code(format($$insert into public.bookings (session_id, user_id, status) values (%L, %L, 'confirmed')$$,
                                  :'direct_session', :'patient')),
          'schedule_conflict', 'service_role inserting a confirmed booking for a busy patient: schedule_conflict');
select tests.clear_authentication();
-- A backend move of a booked one-to-one session into its patient's other appointment.
update public.sessions set starts_at = :'d_16' where id = :'direct_session';
insert into public.bookings (session_id, user_id, status) values (:'direct_session', :'other', 'confirmed');
select is(tests.error_code(format('update public.sessions set starts_at = %L where id = %L', :'d_15', :'direct_session')),
          'schedule_conflict', 'a backend move into the patient''s other appointment (15:00 with B): schedule_conflict');
select is((select count(*)::int from private.coach_busy where user_id = :'other'), 2,
          'the patient keeps one busy row per appointment (15:00 with B, 16:00 direct), none overlapping');
-- Staffing a group session while in an appointment as a patient: the constraint as for a coach's own.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Group noon', :'d_12', 60, 'scheduled', 'members', :'other')
returning id as group_session \gset
select is(tests.error_code(format($$insert into public.session_staff (session_id, user_id, role) values (%L, %L, 'speaker')$$,
                                  :'group_session', :'coach_a')),
          'slot_unavailable', 'coach A cannot be made staff of a group session while in an appointment as a patient');
-- Booking a seat in a group session is not busy time: the patient at 13:00 with C can still hold one then.
update public.sessions set starts_at = :'d_13' where id = :'group_session';
select tests.authenticate_as('pb_patient');
select is((select status from public.book_session(:'group_session')), 'confirmed',
          'a group-session seat at the time of a one-to-one appointment is allowed (not busy time)');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'group_session' and user_id = :'patient'), 0,
          '... and adds no busy row');

-- RLS and grants: the busy time is nobody's to read ----------------------------------------------------------

select is(has_table_privilege('authenticated', 'private.coach_busy', 'select'), false, 'authenticated cannot read coach_busy');
select is(has_table_privilege('anon', 'private.coach_busy', 'select'), false, 'anon cannot read coach_busy');
select is(has_table_privilege('service_role', 'private.coach_busy', 'insert'), false,
          'service_role cannot write coach_busy (only the triggers do)');
select tests.authenticate_as('pb_coach_a');
select is(tests.error_code('select count(*) from private.coach_busy'), '42501', 'a signed-in user reading it: permission denied');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_c', :'d_16')), '42501',
          'anon cannot book (no execute)');
select tests.clear_authentication();
select tests.authenticate_as('pb_other');
select is((select count(*)::int from public.sessions where id in (:'a_session', :'p_c_session')), 0,
          'another patient sees neither appointment');
select is((select count(*)::int from public.my_appointments()), 2, '... and lists only their own (B 15:00, direct 16:00)');
select tests.clear_authentication();
select is(private.error_status('schedule_conflict'), 409, 'schedule_conflict is 409');

select * from finish();
rollback;
