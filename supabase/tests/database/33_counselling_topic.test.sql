-- One-to-one counselling, the patient's topic: a one-to-one appointment's title is neutral ("One-to-one
-- session", with or without a topic), so every subject, push title and calendar SUMMARY built from it
-- (booking_confirmed, session_reminder, session_rescheduled, session_cancelled, calendar_feed_events) carries no
-- topic; the topic is kept in sessions.topic and read by the appointment's participants only: its coach and its
-- patient (sessions, session_cards, my_appointments), not another coach, another patient, an admin (not through
-- the sessions policy, session_cards, replays, nor the session an admin-powers RPC returns) or anon.
begin;
\ir ../helpers.sql
select plan(37);

select tests.create_supabase_user('tp_coach', metadata => '{"display_name":"Tess Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('tp_coach_b', metadata => '{"display_name":"Tom Coach"}');
select tests.create_supabase_user('tp_patient', metadata => '{"display_name":"Pia Patient"}');
select tests.create_supabase_user('tp_patient_b', metadata => '{"display_name":"Piet Patient"}');
select tests.create_supabase_user('tp_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('tp_coach'), tests.get_supabase_uid('tp_coach_b'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('tp_admin');
select tests.get_supabase_uid('tp_coach') as coach, tests.get_supabase_uid('tp_patient') as patient,
       tests.get_supabase_uid('tp_patient_b') as patient_b \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at, date_trunc('hour', now()) + interval '4 days' as at2,
       date_trunc('hour', now()) + interval '5 days' as at3 \gset

-- Booking: the title is neutral, the topic kept ----------------------------------------------------------------

select tests.authenticate_as('tp_patient');
select session_id as appt, id as appt_booking from public.book_slot(:'coach', :'at', 'Panic attacks') \gset
select tests.authenticate_as('tp_patient_b');
select session_id as appt_b from public.book_slot(:'coach', :'at2') \gset
select tests.clear_authentication();

select is((select title from public.sessions where id = :'appt'), 'One-to-one session',
          'book_slot with a topic: the title is "One-to-one session", not the topic');
select is((select topic from public.sessions where id = :'appt'), 'Panic attacks', '... the topic is kept in sessions.topic');
select is((select title || ' | ' || coalesce(topic, 'null') from public.sessions where id = :'appt_b'),
          'One-to-one session | null', 'without a topic: the same title, topic null');
select is((select payload ->> 'title' from public.notification_deliveries where user_id = :'patient'
             and kind = 'booking_confirmed' and session_id = :'appt' and channel = 'email'),
          'Appointment confirmed', 'the patient''s booking_confirmed email: appointment wording, no title, no topic');

-- Who reads the topic --------------------------------------------------------------------------------------------

select tests.authenticate_as('tp_coach');
select is((select topic from public.sessions where id = :'appt'), 'Panic attacks', 'the coach reads the topic (sessions)');
select is((select topic from public.session_cards where id = :'appt'), 'Panic attacks', '... and in session_cards');
select is((select topic from public.my_appointments() where session_id = :'appt'), 'Panic attacks', '... and in my_appointments');

select tests.authenticate_as('tp_patient');
select is((select topic from public.sessions where id = :'appt'), 'Panic attacks', 'the patient reads the topic (sessions)');
select is((select topic from public.session_cards where id = :'appt'), 'Panic attacks', '... and in session_cards');
select is((select topic from public.my_appointments() where session_id = :'appt'), 'Panic attacks', '... and in my_appointments');

select tests.authenticate_as('tp_patient_b');
select is((select count(*)::int from public.sessions where id = :'appt'), 0, 'another patient (of the same coach) reads no row of it');
select is((select count(*)::int from public.session_cards where id = :'appt'), 0, '... nor its card');
select is((select count(*)::int from public.my_appointments() where session_id = :'appt'), 0, '... nor it in my_appointments');

select tests.authenticate_as('tp_coach_b');
select is((select count(*)::int from public.sessions where id = :'appt'), 0, 'another coach reads no row of it');
select is((select count(*)::int from public.session_cards where id = :'appt'), 0, '... nor its card');

select tests.authenticate_as('tp_admin');
select is((select count(*)::int from public.sessions where id in (:'appt', :'appt_b')), 0,
          'an admin who takes no part in them reads no row of the appointments (sessions policy)');
select is((select count(*)::int from public.session_cards where id in (:'appt', :'appt_b')), 0, '... nor their cards');
select is((select count(*)::int from public.sessions where topic = 'Panic attacks'), 0, '... nor finds the topic by filtering on it');
select ok(private.can_see_session(:'appt'), '(admin powers still find the appointment: private.can_see_session)');
with u as (update public.sessions set description = 'edited by an admin' where id = :'appt' returning 1)
select is((select count(*)::int from u), 0, '... a direct edit of the row (PATCH sessions) does not reach it either');

select tests.authenticate_as_anon();
select is((select count(*)::int from public.sessions where id = :'appt'), 0, 'anon reads no row of it');
select is((select count(*)::int from public.session_cards where id = :'appt'), 0, '... nor its card');

select tests.authenticate_as_service_role();
select is((select topic from public.sessions where id = :'appt'), 'Panic attacks', 'service_role (operators) reads it');
select tests.clear_authentication();

-- Notices and feeds built from the title carry no topic ---------------------------------------------------------

-- A reminder due now (7 days before a start 3 days ahead) and the reminder job.
insert into public.session_reminders (session_id, user_id, minutes_before) values (:'appt', :'patient', 10080);
select ok(private.send_due_reminders() >= 1, '(the reminder job sends the due reminder)');
select matches((select title from public.notifications where user_id = :'patient' and kind = 'session_reminder'
             and data ->> 'session_id' = :'appt'),
          '^Reminder: your appointment with Tess Coach starts [^P]*$', 'the patient''s reminder: appointment wording, no topic');

-- The patient moves it: the coach's session_rescheduled.
select tests.authenticate_as('tp_patient');
select is((select title from public.reschedule_booking(:'appt_booking', :'at3')), 'One-to-one session',
          'the patient moves it (reschedule_booking)');
select tests.clear_authentication();
select is((select title from public.notifications where user_id = :'coach' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'appt'),
          'New time for an appointment with a patient', 'the coach''s session_rescheduled: appointment wording, no topic');

-- The patient's calendar feed.
select tests.authenticate_as('tp_patient');
select public.create_calendar_feed() ->> 'token' as feed_token \gset
select tests.authenticate_as_service_role();
select is((select title from public.calendar_feed_events(:'feed_token') where session_id = :'appt'), 'Appointment with Tess Coach',
          'the patient''s calendar feed: appointment wording, no topic (the .ics SUMMARY)');
select is((select count(*)::int from public.calendar_feed_events(:'feed_token') e where e::text ilike '%panic%'), 0,
          '... and no column of the feed carries the topic');
select tests.clear_authentication();

-- An admin acting through admin powers: the RPC's session comes back without the topic.
select tests.authenticate_as('tp_admin');
select is((select coalesce(topic, 'null') || ' | ' || title from public.reschedule_booking(:'appt_booking', :'at')),
          'null | One-to-one session', 'an admin moves it (admin powers): the returned session has no topic');
select is((select coalesce(topic, 'null') || ' | ' || status from public.cancel_session(:'appt', 'Coach is ill')),
          'null | cancelled', 'an admin cancels it: the returned session has no topic');
select tests.clear_authentication();
select is((select title from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'appt'),
          'Cancelled: your appointment with Tess Coach', 'the patient''s session_cancelled: appointment wording, no topic');
select is((select topic from public.sessions where id = :'appt'), 'Panic attacks', 'the topic stays on the appointment');

-- Nothing anyone was notified of, nor any queued email or push, carries the topic.
select is((select count(*)::int from public.notifications n
           where n.user_id in (:'coach', :'patient', :'patient_b', tests.get_supabase_uid('tp_admin'))
             and (n.title || ' ' || coalesce(n.body, '') || ' ' || n.data::text) ilike '%panic%'), 0,
          'no notification of the coach, the patients or the admin carries the topic (title, body, data)');
select is((select count(*)::int from public.notification_deliveries d where d.payload::text ilike '%panic%'), 0,
          '... nor any queued delivery''s payload');

-- Replays: a one-to-one appointment with a replay is not listed to an admin who takes no part in it.
update public.sessions set status = 'ended', started_at = starts_at, ended_at = starts_at + interval '1 hour',
                           replay_url = 'https://example.com/replay.mp4'
 where id = :'appt_b';
select tests.authenticate_as('tp_admin');
select is((select count(*)::int from public.replays where session_id = :'appt_b'), 0,
          'an admin does not list a one-to-one appointment''s replay (view replays)');
select tests.authenticate_as('tp_coach');
select is((select count(*)::int from public.replays where session_id = :'appt_b'), 1, '... its coach does');

select * from finish();
rollback;
