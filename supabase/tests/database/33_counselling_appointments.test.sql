-- One-to-one appointments after booking: reschedule_booking (patient, coach; own time not busy; SEQUENCE,
-- notification of the other side; too_late for the patient inside the late-cancel notice), cancelling
-- (patient through cancel_booking frees the slot and tells the coach; too_late inside the notice; the
-- coach through cancel_session; an admin or a write without a user tells both sides once), complete_session, mark_no_show and my_appointments (history, who sees what).
begin;
\ir ../helpers.sql
select plan(80);

select tests.create_supabase_user('ap_coach', metadata => '{"display_name":"Ada Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('ap_coach_b');
select tests.create_supabase_user('ap_patient', metadata => '{"display_name":"Piet Patient"}');
select tests.create_supabase_user('ap_patient_q', metadata => '{"display_name":"Quinn Patient"}');
select tests.create_supabase_user('ap_admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('ap_coach'), tests.get_supabase_uid('ap_coach_b'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ap_admin');
select tests.get_supabase_uid('ap_coach') as coach, tests.get_supabase_uid('ap_patient') as patient,
       tests.get_supabase_uid('ap_patient_q') as patient_q \gset

-- Hourly slots 09:00-17:00 every day in Amsterdam, no buffer or notice, 48 hours late-cancel notice.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 730, 2880);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '09:00', time '17:00' from generate_series(1, 7) w;

-- d1: the 4th local day from today (well outside the notice); s1, s2: the first two free slots after now (inside it).
select (now() at time zone 'Europe/Amsterdam')::date + 4 as d1 \gset
select ((:'d1'::date + time '10:00') at time zone 'Europe/Amsterdam') as d1_10,
       ((:'d1'::date + time '11:00') at time zone 'Europe/Amsterdam') as d1_11,
       ((:'d1'::date + time '12:00') at time zone 'Europe/Amsterdam') as d1_12,
       ((:'d1'::date + time '12:30') at time zone 'Europe/Amsterdam') as d1_1230,
       ((:'d1'::date + time '14:00') at time zone 'Europe/Amsterdam') as d1_14,
       ((:'d1'::date + time '15:00') at time zone 'Europe/Amsterdam') as d1_15,
       ((:'d1'::date + time '00:00') at time zone 'Europe/Amsterdam') as d1_00,
       ((:'d1'::date + time '23:59') at time zone 'Europe/Amsterdam') as d1_24 \gset
select min(starts_at) as s1, (array_agg(starts_at order by starts_at))[2] as s2
from public.available_slots(:'coach', now(), now() + interval '2 days') \gset

-- Rescheduling -----------------------------------------------------------------------------------------

select tests.authenticate_as('ap_patient');
select id as bk, session_id as bk_session from public.book_slot(:'coach', :'d1_10', 'Sleep') \gset
select tests.clear_authentication();
select sequence as seq0 from public.sessions where id = :'bk_session' \gset

select tests.authenticate_as('ap_patient');
select is((select starts_at from public.reschedule_booking(:'bk', :'d1_11')), :'d1_11'::timestamptz,
          'the patient moves their appointment to another free slot');
select tests.clear_authentication();
select is((select sequence from public.sessions where id = :'bk_session'), :seq0 + 1, 'the calendar sequence is bumped');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'bk_session'), 1, 'the coach is notified (session_rescheduled)');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_rescheduled'), 0,
          'the patient, who moved it, is not');
select is((select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24') order by s.starts_at)
           from public.available_slots(:'coach', :'d1_00', :'d1_24') s),
          array['09', '10', '12', '13', '14', '15', '16'], 'the old slot is free again, the new one taken');
select is((select count(*)::int from private.coach_busy where session_id = :'bk_session' and lower(during) = :'d1_11'::timestamptz),
          2, 'the busy time (the coach''s and the patient''s) moved with it');

update public.coach_booking_settings set buffer_minutes = 30 where coach_id = :'coach';
select tests.authenticate_as('ap_patient');
select is((select starts_at from public.reschedule_booking(:'bk', :'d1_12')), :'d1_12'::timestamptz,
          'with a buffer, moving by one slot works: the appointment''s own time does not block it');
select tests.clear_authentication();
update public.coach_booking_settings set buffer_minutes = 0 where coach_id = :'coach';

select tests.authenticate_as('ap_patient_q');
select id as bk_q14, session_id as q14_session from public.book_slot(:'coach', :'d1_14') \gset
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_15')), 'not_found',
          'another patient cannot move the appointment');
select tests.clear_authentication();
select tests.authenticate_as('ap_coach_b');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_15')), 'not_found',
          'another coach cannot either');
select tests.clear_authentication();
select tests.authenticate_as('ap_patient');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_14')), 'slot_unavailable',
          'a slot booked by someone else: slot_unavailable');
select is(tests.error_status(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_14')), 409, '... 409');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_1230')), 'slot_unavailable',
          'a time that is not a slot start: slot_unavailable');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_12')), 'invalid_input',
          'the same time: invalid_input');
select is(tests.error_code(format('select public.reschedule_booking(%L, null)', :'bk')), 'invalid_input', 'no time: invalid_input');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', gen_random_uuid(), :'d1_15')), 'not_found',
          'an unknown booking: not_found');
select tests.clear_authentication();

-- A group session's booking is not moved here.
insert into public.sessions (title, starts_at, status, visibility, created_by)
values ('Group', now() + interval '20 days', 'scheduled', 'public', :'coach') returning id as group_session \gset
insert into public.bookings (session_id, user_id, status) values (:'group_session', :'patient', 'confirmed') returning id as group_bk \gset
select tests.authenticate_as('ap_patient');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'group_bk', :'d1_15')), 'invalid_input',
          'the booking of a group session: invalid_input');
select tests.clear_authentication();

-- Inside the late-cancel notice (48 h): Q holds s1, the patient s2.
select tests.authenticate_as('ap_patient_q');
select id as bk_s1, session_id as s1_session from public.book_slot(:'coach', :'s1') \gset
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk_s1', :'d1_15')), 'too_late',
          'inside the notice the patient cannot move it: too_late');
select is(tests.error_status(format('select public.reschedule_booking(%L, %L)', :'bk_s1', :'d1_15')), 409, '... 409');
select is(tests.error_code(format('select public.cancel_booking(%L)', :'s1_session')), 'too_late',
          'nor cancel it: too_late');
select tests.clear_authentication();
select is((select status from public.bookings where id = :'bk_s1'), 'confirmed', 'the booking is still confirmed');
select tests.authenticate_as('ap_coach');
select is((select starts_at from public.reschedule_booking(:'bk_s1', :'d1_15')), :'d1_15'::timestamptz,
          'the coach may still move it');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where user_id = :'patient_q' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'s1_session'), 1, 'the patient is notified of the new time');

select tests.authenticate_as('ap_patient');
select id as bk_s2, session_id as s2_session from public.book_slot(:'coach', :'s2') \gset
select tests.clear_authentication();
select tests.authenticate_as('ap_coach');
select is((select status from public.cancel_session(:'s2_session', 'Ill')), 'cancelled', 'the coach may cancel inside the notice');
select tests.clear_authentication();
select is((select status from public.bookings where id = :'bk_s2'), 'cancelled', 'the patient''s booking is cancelled with it');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s2_session'), 1, 'and the patient is notified');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s2_session'), 0, 'the coach, who cancelled it, is not');
select ok((select bool_or(starts_at = :'s2'::timestamptz) from public.available_slots(:'coach', now(), now() + interval '2 days')),
          'the slot is offered again');

-- Cancelling outside the notice.
select tests.authenticate_as('ap_patient');
select is((select status from public.cancel_booking(:'bk_session')), 'cancelled', 'the patient cancels outside the notice');
select tests.clear_authentication();
select is((select status || ' | ' || cancel_reason from public.sessions where id = :'bk_session'),
          'cancelled | The patient cancelled the appointment.', 'the one-to-one session is cancelled with its booking');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'bk_session'), 1, 'the coach is notified (session_cancelled) once');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'bk_session'), 0, 'the patient, who cancelled it, is not');
select is((select data ->> 'staff_role' from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'bk_session'), 'host', '... as its host (data.staff_role)');

select ok((select bool_or(starts_at = :'d1_12'::timestamptz) from public.available_slots(:'coach', :'d1_00', :'d1_24')),
          'its slot is offered again');
select tests.authenticate_as('ap_patient');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk', :'d1_10')), 'invalid_transition',
          'a cancelled appointment cannot be moved');
select tests.clear_authentication();
select is((select status from public.bookings where id = :'group_bk'), 'confirmed', 'group bookings are untouched');

-- complete_session and mark_no_show on appointments that have started (placed directly, in the past).
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, kind, timezone, created_by)
values ('Held', now() - interval '65 minutes', 60, 'scheduled', 'private', 1, 'one_to_one', 'Europe/Amsterdam', :'coach')
returning id as held \gset
insert into public.bookings (session_id, user_id, status) values (:'held', :'patient', 'confirmed') returning id as held_bk \gset
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, kind, timezone, created_by)
values ('Missed', now() - interval '3 hours', 60, 'scheduled', 'private', 1, 'one_to_one', 'Europe/Amsterdam', :'coach')
returning id as missed \gset
insert into public.bookings (session_id, user_id, status) values (:'missed', :'patient_q', 'confirmed') returning id as missed_bk \gset

select tests.authenticate_as('ap_patient');
select is(tests.error_code(format('select public.complete_session(%L)', :'held')), 'forbidden', 'the patient cannot complete it');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'held_bk')), 'forbidden', 'nor mark themselves a no-show');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'missed_bk')), 'not_found', 'nor see another patient''s booking');
select tests.clear_authentication();
select tests.authenticate_as('ap_patient_q');
select is(tests.error_code(format('select public.complete_session(%L)', :'held')), 'not_found', 'another patient: not_found');
select tests.clear_authentication();
select tests.authenticate_as('ap_coach');
select is(tests.error_code(format('select public.complete_session(%L)', :'q14_session')), 'invalid_transition',
          'an appointment that has not started cannot be completed');
select is(tests.error_code(format('select public.complete_session(%L)', :'group_session')), 'invalid_input',
          'a group session: invalid_input (end_session)');
select is((select status from public.complete_session(:'held')), 'ended', 'the coach completes the appointment');
select tests.clear_authentication();
select is((select (started_at = starts_at) and ended_at >= started_at and ended_at <= now() + interval '1 second'
           from public.sessions where id = :'held'), true, 'started_at is the start, ended_at now');
select tests.authenticate_as('ap_coach');
select is(tests.error_code(format('select public.complete_session(%L)', :'held')), 'invalid_transition', 'only once');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'bk_q14')), 'invalid_transition',
          'a no-show before the start: invalid_transition');
select ok((select no_show_at is not null from public.mark_no_show(:'missed_bk')), 'the coach marks a no-show');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'missed_bk')), 'invalid_transition', 'only once');
select tests.clear_authentication();
select is((select status from public.sessions where id = :'missed'), 'ended', 'the missed appointment is over');
select tests.authenticate_as('ap_coach_b');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'missed_bk')), 'not_found', 'another coach: not_found');
select tests.clear_authentication();
select is(has_column_privilege('authenticated', 'public.bookings', 'no_show_at', 'update'), false,
          'clients cannot write no_show_at');

-- History: my_appointments -----------------------------------------------------------------------------

select tests.authenticate_as('ap_patient');
select is((select array_agg(status order by starts_at) from public.my_appointments()),
          array['completed', 'cancelled', 'cancelled'],
          'the patient''s history: the completed one, the cancelled s2 and the cancelled d1 appointment');
select is((select array_agg(distinct coach_name) from public.my_appointments()), array['Ada Coach'], 'with the coach''s name');
select is((select count(*)::int from public.my_appointments() where patient_id <> :'patient'), 0, 'only their own');
select tests.clear_authentication();
select tests.authenticate_as('ap_patient_q');
select is((select array_agg(status order by starts_at) from public.my_appointments()),
          array['no_show', 'scheduled', 'scheduled'], 'the other patient''s: the no-show, the moved s1 and d1 14:00');
select is((select count(*)::int from public.my_appointments() where patient_id <> :'patient_q'), 0, 'only their own');
select tests.clear_authentication();
select tests.authenticate_as('ap_coach');
select is((select count(*)::int from public.my_appointments()), 6, 'the coach sees every appointment they host');
select is((select array_agg(distinct patient_name order by patient_name) from public.my_appointments()),
          array['Piet Patient', 'Quinn Patient'], 'with the patients'' names');
select is((select status from public.my_appointments() where booking_id = :'missed_bk'), 'no_show', 'no-shows show as such');
select is((select count(*)::int from public.my_appointments() where booking_id = :'group_bk'), 0, 'group bookings are not appointments');
select tests.clear_authentication();
select tests.authenticate_as('ap_coach_b');
select is((select count(*)::int from public.my_appointments()), 0, 'another coach sees none');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select is(tests.error_code('select * from public.my_appointments()'), '42501', 'anon cannot call my_appointments');
select is(tests.error_code(format('select public.reschedule_booking(%L, %L)', :'bk_q14', :'d1_15')), '42501', 'nor reschedule_booking');
select is(tests.error_code(format('select public.mark_no_show(%L)', :'bk_q14')), '42501', 'nor mark_no_show');
select is(tests.error_code(format('select public.complete_session(%L)', :'held')), '42501', 'nor complete_session');
select tests.clear_authentication();
select tests.authenticate_as('ap_admin');
select is((select starts_at from public.reschedule_booking(:'bk_q14', :'d1_10')), :'d1_10'::timestamptz,
          'an admin may move an appointment');
select tests.clear_authentication();

-- Reminders move with the appointment -------------------------------------------------------------------

-- A new patient's appointment two days after d1; the reminder job gives it the default reminders, both
-- are marked sent, then the coach moves it to the next free slot (within a day).
select tests.create_supabase_user('ap_patient_r', metadata => '{"display_name":"Rosa Patient"}');
select tests.get_supabase_uid('ap_patient_r') as patient_r \gset
select tests.authenticate_as('ap_patient_r');
select id as bk_r, session_id as r_session
from public.book_slot(:'coach', (:'d1'::date + 2 + time '10:00') at time zone 'Europe/Amsterdam') \gset
select tests.clear_authentication();
select private.add_pending_default_reminders();
select is((select array_agg(minutes_before order by minutes_before) from public.session_reminders
           where session_id = :'r_session' and user_id = :'patient_r'),
          array[15, 1440], 'the reminder job gives the appointment the default reminders (24 hours and 15 minutes)');
update public.session_reminders set notified_at = now() where session_id = :'r_session' and user_id = :'patient_r';
select min(starts_at) as soon from public.available_slots(:'coach', now(), now() + interval '22 hours') \gset
select tests.authenticate_as('ap_coach');
select is((select starts_at from public.reschedule_booking(:'bk_r', :'soon')), :'soon'::timestamptz,
          'the coach moves the appointment to the next free slot, within a day');
select tests.clear_authentication();
select is((select count(*)::int from public.session_reminders
           where session_id = :'r_session' and user_id = :'patient_r' and notified_at is null),
          2, 'both reminders are pending again, against the new start');
select is((select count(*)::int from public.notifications where user_id = :'patient_r' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'r_session' and (data ->> 'starts_at')::timestamptz = :'soon'::timestamptz),
          1, 'the patient is told the new time');
select ok(private.send_due_reminder_notifications() >= 1, 'the reminder job runs');
select is((select array_agg((data ->> 'minutes_before')::int order by (data ->> 'minutes_before')::int desc)
           from public.notifications where user_id = :'patient_r' and kind = 'session_reminder'
             and data ->> 'session_id' = :'r_session' and (data ->> 'starts_at')::timestamptz = :'soon'::timestamptz)
            @> array[1440],
          true, 'the 24-hour reminder is due at once against the new start and is sent, with the new start');

-- Cancelling, by someone else than the coach or the patient ------------------------------------------

-- An admin (not staff of the appointment) cancels it: the coach and the patient each learn it once.
select ((:'d1'::date + 1 + time '10:00') at time zone 'Europe/Amsterdam') as d2_10,
       ((:'d1'::date + 1 + time '11:00') at time zone 'Europe/Amsterdam') as d2_11 \gset
select tests.authenticate_as('ap_patient');
select id as adm_bk, session_id as adm_session from public.book_slot(:'coach', :'d2_10') \gset
select tests.clear_authentication();
select tests.authenticate_as('ap_admin');
select is((select status from public.cancel_session(:'adm_session', 'Coach unavailable')), 'cancelled',
          'an admin cancels a one-to-one appointment (admin powers)');
select tests.clear_authentication();
select is((select status from public.bookings where id = :'adm_bk'), 'cancelled', 'its booking is cancelled with it');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'adm_session'), 1, 'the coach is notified once');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'adm_session'), 1, 'the patient is notified once');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('ap_admin')
             and kind = 'session_cancelled'), 0, 'the admin, who cancelled it, is not');
select matches((select body from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'adm_session'),
  '^Your appointment with a patient \(.*\) has been cancelled\. Reason: Coach unavailable$', 'the coach reads the reason');

-- A backend write without a user (a job, the dashboard) cancels one: both sides are told once.
select tests.authenticate_as('ap_patient');
select id as svc_bk, session_id as svc_session from public.book_slot(:'coach', :'d2_11') \gset
select tests.clear_authentication();
update public.sessions set status = 'cancelled', sequence = sequence + 1 where id = :'svc_session';
select is((select status from public.bookings where id = :'svc_bk'), 'cancelled', 'cancelled without a user: its booking too');
select is((select count(*)::int from public.notifications where kind = 'session_cancelled'
             and data ->> 'session_id' = :'svc_session' and user_id in (:'coach', :'patient')), 2, 'the coach and the patient are notified');
select is((select count(distinct user_id)::int from public.notifications where kind = 'session_cancelled'
             and data ->> 'session_id' = :'svc_session'), 2, '... once each');

select * from finish();
rollback;
