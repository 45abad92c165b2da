-- One-to-one counselling, the coach's name wherever a one-to-one shows its host: private.first_host is the one
-- definition (a one-to-one's coach, private.one_to_one_coach; else the first host by created_at, then user id)
-- behind session_seats/session_cards (and so a session's .ics), calendar_feed_events (the feed's ORGANIZER),
-- private.notification_delivery_context (the patient's confirmation and reminders: "with <coach>") and replays.
-- A second host added in the booking's transaction has the same created_at; the readers that ordered by
-- created_at (and the notification context, without a tie-breaker) named whichever host's id sorted first.
-- The whole file is one transaction, so every row written here shares one now().
begin;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('hn_one', metadata => '{"display_name":"Coach One"}');
select tests.create_supabase_user('hn_two', metadata => '{"display_name":"Coach Two"}');
select tests.create_supabase_user('hn_patient', metadata => '{"display_name":"Pat Patient"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('hn_one'), tests.get_supabase_uid('hn_two'));
-- The booked coach is the one whose id sorts last; the second host the one whose id sorts first.
select greatest(tests.get_supabase_uid('hn_one'), tests.get_supabase_uid('hn_two')) as coach,
       least(tests.get_supabase_uid('hn_one'), tests.get_supabase_uid('hn_two')) as second,
       tests.get_supabase_uid('hn_patient') as patient \gset
select display_name as coach_name from public.profiles where id = :'coach' \gset
select display_name as second_name from public.profiles where id = :'second' \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'UTC', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at \gset

select tests.authenticate_as('hn_patient');
select session_id as appt from public.book_slot(:'coach', :'at') \gset
select tests.clear_authentication();
-- A second host, in the same transaction (an operator's tool, or add_session_staff right after the booking).
insert into public.session_staff (session_id, user_id, role) values (:'appt', :'second', 'host');

select ok(:'second'::uuid < :'coach'::uuid, '(the second host''s id sorts before the coach''s)');
select is((select count(distinct created_at)::int from public.session_staff where session_id = :'appt'), 1,
          '(both host rows have the same created_at)');
select is((select h.user_id from private.first_host(:'appt') h), :'coach'::uuid,
          'private.first_host of a one-to-one is its coach (private.one_to_one_coach)');

select tests.authenticate_as('hn_patient');
select is((select host_name from public.session_cards where id = :'appt'), :'coach_name',
          'the patient''s session_cards names the coach (the seat row; a session''s .ics reads it)');
select public.create_calendar_feed() ->> 'token' as feed_token \gset
select tests.clear_authentication();
select is((select host_name from private.session_seats where session_id = :'appt'), :'coach_name',
          'session_seats.host_name: the coach');

select tests.authenticate_as_service_role();
select is((select host_name from public.calendar_feed_events(:'feed_token') where session_id = :'appt'), :'coach_name',
          'the patient''s calendar feed names the coach (ORGANIZER)');
select is((select c.host_name from private.notification_delivery_context(
             array(select d.id from public.notification_deliveries d
                   where d.user_id = :'patient' and d.kind = 'booking_confirmed' and d.session_id = :'appt')) c),
          :'coach_name', 'the patient''s confirmation names the coach (notification_delivery_context.host_name)');
select tests.clear_authentication();

-- Replays of the appointment (its participants read them).
update public.sessions set status = 'ended', started_at = starts_at, ended_at = starts_at + interval '1 hour',
                           replay_url = 'https://example.com/replay.mp4'
 where id = :'appt';
select tests.authenticate_as('hn_patient');
select is((select host_name from public.replays where session_id = :'appt'), :'coach_name', 'replays name the coach');
select tests.clear_authentication();

-- The coach stops hosting it: the remaining host everywhere.
update public.session_staff set role = 'moderator' where session_id = :'appt' and user_id = :'coach';
select is((select host_name from private.session_seats where session_id = :'appt'), :'second_name',
          'the coach moved to moderator: the seat row names the remaining host');

-- A group session with two hosts added at the same instant: the first by user id, the same in every reader.
insert into public.sessions (title, starts_at, duration_minutes, timezone, status, visibility, kind, created_by)
values ('Group talk', :'at'::timestamptz + interval '1 day', 60, 'UTC', 'scheduled', 'public', 'group', :'coach')
returning id as group_session \gset
insert into public.session_staff (session_id, user_id, role) values (:'group_session', :'second', 'host');
select is((select h.user_id from private.first_host(:'group_session') h), :'second'::uuid,
          'a group session: the first host by created_at, then user id (not the creator rule)');
select is((select host_name from private.session_seats where session_id = :'group_session'), :'second_name',
          '... its seat row names them');
select private.notify(:'patient', 'session_reminder', 'Reminder: Group talk', 'Starts soon.', '/sessions/' || :'group_session',
                      jsonb_build_object('session_id', :'group_session'));
select is((select c.host_name from private.notification_delivery_context(
             array(select d.id from public.notification_deliveries d
                   where d.user_id = :'patient' and d.kind = 'session_reminder' and d.session_id = :'group_session')) c),
          :'second_name', '... and so does its notification context');

select * from finish();
rollback;
