-- One-to-one counselling, loose ends of the topic rule and its helpers: the operators (service_role) read an
-- appointment's topic, in the table and in what the RPCs return to them (private.is_appointment_outsider is
-- never true for service_role); private.redact_session is for the security definer RPCs only (no client role
-- may call it); private.lock_coach_calendar is gone (private.lock_calendars is the one calendar lock); the
-- reminder job and session_rescheduled read the zone by private.reader_timezone.
begin;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('to_coach', metadata => '{"display_name":"Tia Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('to_patient', metadata => '{"display_name":"Paz Patient","timezone":"America/New_York"}');
select tests.create_supabase_user('to_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('to_coach');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('to_admin');
select tests.get_supabase_uid('to_coach') as coach, tests.get_supabase_uid('to_patient') as patient \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at, date_trunc('hour', now()) + interval '4 days' as at2 \gset

select tests.authenticate_as('to_patient');
select session_id as appt, id as appt_booking from public.book_slot(:'coach', :'at', 'Insomnia') \gset
select tests.clear_authentication();

-- service_role ----------------------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select is((select topic from public.sessions where id = :'appt'), 'Insomnia', 'service_role reads the topic in sessions');
select is((select topic from public.session_cards where id = :'appt'), 'Insomnia', '... and in session_cards');
select tests.clear_authentication();
-- The rule under service_role's claims (the RPCs run as their owner: the claims are what they see).
select set_config('request.jwt.claims', '{"role":"service_role","iss":"supabase"}', true),
       set_config('request.jwt.claim.role', 'service_role', true), set_config('request.jwt.claim.sub', '', true);
select is(private.is_appointment_outsider(:'appt'), false, 'service_role is no outsider of an appointment');
select is((private.redact_session((select s from public.sessions s where s.id = :'appt'))).topic, 'Insomnia',
          '... so a session an RPC returns to service_role keeps its topic');
select tests.clear_authentication();
select tests.authenticate_as('to_admin');
select is(private.is_appointment_outsider(:'appt'), true, 'an admin who takes no part is still an outsider');
select tests.clear_authentication();
select set_config('request.jwt.claims', '{"role":"anon"}', true), set_config('request.jwt.claim.role', 'anon', true);
select is((private.redact_session((select s from public.sessions s where s.id = :'appt'))).topic, null,
          '... and anon''s claims get no topic');
select tests.clear_authentication();

-- Grants ----------------------------------------------------------------------------------------------------

select is(has_function_privilege('authenticated', 'private.redact_session(public.sessions)', 'EXECUTE'), false,
          'authenticated cannot call private.redact_session (only the security definer RPCs use it)');
select is(has_function_privilege('anon', 'private.redact_session(public.sessions)', 'EXECUTE'), false, '... nor anon');
select tests.authenticate_as('to_admin');
select is((select coalesce(topic, 'null') from public.reschedule_booking(:'appt_booking', :'at2')), 'null',
          'the RPCs still redact for an admin outsider (reschedule_booking, through redact_session as its owner)');
select tests.clear_authentication();

-- Dead code gone ----------------------------------------------------------------------------------------------

select hasnt_function('private', 'lock_coach_calendar', 'private.lock_coach_calendar is dropped (nothing called it)');

-- The reader's zone: the reminder job and session_rescheduled, by private.reader_timezone ----------------------

insert into public.session_reminders (session_id, user_id, minutes_before) values (:'appt', :'patient', 10080);
select ok(private.send_due_reminders() >= 1, '(the reminder job sends the due reminder)');
select is((select data ->> 'timezone' from public.notifications where user_id = :'patient' and kind = 'session_reminder'
             and data ->> 'session_id' = :'appt'),
          private.reader_timezone(:'patient', 'Europe/Amsterdam'),
          'the reminder is in the patient''s zone, as private.reader_timezone says (America/New_York)');

select * from finish();
rollback;
