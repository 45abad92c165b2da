-- One-to-one counselling, the repair of notices written before the neutral title
-- (private.neutralize_one_to_one_notice_titles, run by migration *_one_to_one_notice_titles_data): notices
-- about a one-to-one appointment whose title was the patient's topic are found by their session and kind,
-- not by the session's current title, so a title private.notify cut to 200 characters (a topic of 182+
-- characters) and one written before a host renamed the session are repaired too; in-app notifications and
-- the unsent email and push deliveries; a sent delivery and a group session's notices are left alone.
begin;
\ir ../helpers.sql
select plan(14);

select tests.create_supabase_user('nt_coach', metadata => '{"display_name":"Nora Coach"}');
select tests.create_supabase_user('nt_patient', metadata => '{"display_name":"Nils Patient"}');
select tests.create_supabase_user('nt_patient_b', metadata => '{"display_name":"Nina Patient"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('nt_coach');
select tests.get_supabase_uid('nt_coach') as coach, tests.get_supabase_uid('nt_patient') as patient,
       tests.get_supabase_uid('nt_patient_b') as patient_b \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'UTC', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at, date_trunc('hour', now()) + interval '4 days' as at2 \gset

select tests.authenticate_as('nt_patient');
select session_id as long_appt, id as long_booking from public.book_slot(:'coach', :'at') \gset
select tests.authenticate_as('nt_patient_b');
select session_id as renamed_appt, id as renamed_booking from public.book_slot(:'coach', :'at2') \gset
select tests.clear_authentication();
-- (book_slot's own notices already carry the neutral title; the rows below are the former ones)
delete from public.notification_deliveries where session_id in (:'long_appt', :'renamed_appt');
delete from public.notifications where data ->> 'session_id' in (:'long_appt', :'renamed_appt');

-- The state the former book_slot left: the topic as the title, and notices written from it. A topic of
-- 195 characters: "Reminder: <topic>" is cut to 200 by private.notify, so it no longer ends with the title.
select 'Recurring panic attacks at work ' || repeat('x', 163) as long_topic \gset
update public.sessions set title = :'long_topic', topic = :'long_topic' where id = :'long_appt';
select private.notify(:'patient', 'session_reminder', 'Reminder: ' || :'long_topic', 'Starts soon.',
                      '/sessions/' || :'long_appt', jsonb_build_object('session_id', :'long_appt'));
select private.notify(:'patient', 'booking_confirmed', 'Booking confirmed: ' || :'long_topic', 'You have a seat.',
                      '/sessions/' || :'long_appt',
                      jsonb_build_object('session_id', :'long_appt', 'booking_id', :'long_booking'));
select private.notify(:'coach', 'one_to_one_booked', 'New appointment: ' || :'long_topic', 'A patient booked.',
                      '/sessions/' || :'long_appt', jsonb_build_object('session_id', :'long_appt'));

-- Another one written under the topic "Sleep problems", then renamed by its coach.
update public.sessions set title = 'Sleep problems', topic = 'Sleep problems' where id = :'renamed_appt';
select private.notify(:'patient_b', 'booking_promoted', 'You have a seat: Sleep problems', 'A seat freed up.',
                      '/sessions/' || :'renamed_appt', jsonb_build_object('session_id', :'renamed_appt'));
select private.notify(:'patient_b', 'session_rescheduled', 'New time: Sleep problems', 'Now starts later.',
                      '/sessions/' || :'renamed_appt', jsonb_build_object('session_id', :'renamed_appt'));
select private.notify(:'coach', 'session_cancelled', 'Cancelled: Sleep problems', 'Reason: ill.',
                      '/sessions/' || :'renamed_appt', jsonb_build_object('session_id', :'renamed_appt'));
update public.sessions set title = 'Follow-up call' where id = :'renamed_appt';

-- One email delivery already sent (its copy is history, left as it is).
update public.notification_deliveries set status = 'sent', sent_at = now()
 where user_id = :'coach' and kind = 'session_cancelled' and session_id = :'renamed_appt' and channel = 'email';

-- A group session of the same coach with the same words: not an appointment, left alone.
insert into public.sessions (title, starts_at, duration_minutes, timezone, status, visibility, kind, created_by)
values ('Sleep problems', :'at'::timestamptz + interval '1 day' + interval '2 hours', 60, 'UTC', 'scheduled', 'public', 'group', :'coach') returning id as group_session \gset
select private.notify(:'patient_b', 'session_reminder', 'Reminder: Sleep problems', 'Starts soon.',
                      '/sessions/' || :'group_session', jsonb_build_object('session_id', :'group_session'));

select is((select char_length(title) from public.notifications
           where user_id = :'patient' and kind = 'session_reminder' and data ->> 'session_id' = :'long_appt'), 200,
          '(the long topic''s reminder title was cut to 200 characters)');
-- The first repair's match (20261206233915_one_to_one_neutral_titles) found none of these.
select is((select count(*)::int from public.notifications n join public.sessions s on n.data ->> 'session_id' = s.id::text
           where s.id in (:'long_appt', :'renamed_appt')
             and n.title like '%: ' || replace(replace(replace(s.title, '\', '\\'), '%', '\%'), '_', '\_')), 0,
          '(the first repair, matching "<prefix>: <session title>", finds none of these five notifications)');
update public.sessions set title = 'One-to-one session', sequence = sequence + 1
 where id in (:'long_appt', :'renamed_appt');

-- The repair.
select is(private.neutralize_one_to_one_notice_titles(), 10,
          'the repair changes the 5 notifications and the 5 unsent deliveries (emails) of the two appointments');

select is((select title from public.notifications
           where user_id = :'patient' and kind = 'session_reminder' and data ->> 'session_id' = :'long_appt'),
          'Reminder: One-to-one session', 'the cut reminder title: "Reminder: One-to-one session"');
select is((select payload ->> 'title' from public.notification_deliveries
           where user_id = :'patient' and kind = 'booking_confirmed' and session_id = :'long_appt'),
          'Booking confirmed: One-to-one session', 'the cut confirmation title (its email; in-app is off by default)');
select is((select title from public.notifications
           where user_id = :'coach' and kind = 'one_to_one_booked' and data ->> 'session_id' = :'long_appt'),
          'New appointment', 'the coach''s "New appointment: <topic>" is "New appointment"');
select is((select array_agg(title order by title) from public.notifications where data ->> 'session_id' = :'renamed_appt'),
          array['Cancelled: One-to-one session', 'New time: One-to-one session', 'You have a seat: One-to-one session'],
          'the renamed appointment''s notices (promoted, rescheduled, cancelled) carry the neutral title');
select is((select count(*)::int from public.notification_deliveries
           where session_id in (:'long_appt', :'renamed_appt') and status <> 'sent'
             and payload ->> 'title' not in ('Reminder: One-to-one session', 'Booking confirmed: One-to-one session',
                                             'New appointment', 'You have a seat: One-to-one session',
                                             'New time: One-to-one session', 'Cancelled: One-to-one session')), 0,
          'every unsent delivery of them has the neutral payload.title');
select is((select count(*)::int from public.notification_deliveries
           where session_id in (:'long_appt', :'renamed_appt') and status <> 'sent'), 5,
          '(five unsent deliveries: the email of each notice the kinds mail by default)');
select is((select payload ->> 'title' from public.notification_deliveries
           where user_id = :'coach' and kind = 'session_cancelled' and session_id = :'renamed_appt' and channel = 'email'),
          'Cancelled: Sleep problems', 'a delivery already sent keeps its payload');
select is((select count(*)::int from public.notifications n
           where n.data ->> 'session_id' in (:'long_appt', :'renamed_appt')
             and (n.title || ' ' || coalesce(n.body, '')) ~* 'panic|sleep'), 0,
          'no notification of the appointments carries a topic any more');
select is((select title from public.notifications where data ->> 'session_id' = :'group_session'),
          'Reminder: Sleep problems', 'a group session''s notice is left alone');
select is((select payload ->> 'title' from public.notification_deliveries where session_id = :'group_session'),
          'Reminder: Sleep problems', '... and its delivery');
select is(private.neutralize_one_to_one_notice_titles(), 0, 'a second run changes nothing');

select * from finish();
rollback;
