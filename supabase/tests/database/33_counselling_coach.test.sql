-- One-to-one counselling, which host is the appointment's coach (private.one_to_one_coach): the session's
-- creator (sessions.created_by: book_slot sets the coach) while they are still a host, else the earliest host.
-- A second host added in the same transaction as the booking has the same created_at (now() is the
-- transaction's start); ordering by created_at then user id picked whichever id sorted first, so the second
-- host became "the coach" (my_appointments, the late-cancel rule, reschedule_booking's settings, account
-- deactivation) whenever their id sorted before the coach's. The whole file is one transaction, so every row
-- written here shares one now().
begin;
\ir ../helpers.sql
select plan(9);

select tests.create_supabase_user('oc_one', metadata => '{"display_name":"Coach One"}');
select tests.create_supabase_user('oc_two', metadata => '{"display_name":"Coach Two"}');
select tests.create_supabase_user('oc_three', metadata => '{"display_name":"Coach Three"}');
select tests.create_supabase_user('oc_patient', metadata => '{"display_name":"Pat Patient"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('oc_one'), tests.get_supabase_uid('oc_two'), tests.get_supabase_uid('oc_three'));
-- The booked coach is the one of the first two whose id sorts last; the second host the one whose id sorts first.
select greatest(tests.get_supabase_uid('oc_one'), tests.get_supabase_uid('oc_two')) as coach,
       least(tests.get_supabase_uid('oc_one'), tests.get_supabase_uid('oc_two')) as second,
       tests.get_supabase_uid('oc_three') as third, tests.get_supabase_uid('oc_patient') as patient \gset
select display_name as coach_name from public.profiles where id = :'coach' \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at \gset

select tests.authenticate_as('oc_patient');
select session_id as appt from public.book_slot(:'coach', :'at', 'Grief') \gset
select tests.clear_authentication();
-- A second host, in the same transaction (an operator's tool, or add_session_staff right after the booking).
insert into public.session_staff (session_id, user_id, role) values (:'appt', :'second', 'host');

select ok(:'second'::uuid < :'coach'::uuid, '(the second host''s id sorts before the coach''s)');
select is((select count(distinct created_at)::int from public.session_staff where session_id = :'appt'), 1,
          '(both host rows have the same created_at)');
select is(private.one_to_one_coach(:'appt'), :'coach'::uuid,
          'the coach is the session''s creator (book_slot''s coach), not the host whose id sorts first');
select tests.authenticate_as('oc_patient');
select is((select coach_id::text || ' ' || coach_name from public.my_appointments() where session_id = :'appt'),
          :'coach' || ' ' || :'coach_name', 'the patient''s my_appointments names that coach');
select tests.clear_authentication();
select is((select (private.coach_settings(private.one_to_one_coach(:'appt'))).late_cancel_minutes), 60,
          'and the rules that apply are that coach''s settings (the second host has none: 1440 by default)');

-- The creator is no longer a host: the earliest host.
insert into public.session_staff (session_id, user_id, role, created_at) values (:'appt', :'third', 'host', now() - interval '1 hour');
select is(private.one_to_one_coach(:'appt'), :'coach'::uuid, 'an earlier host does not displace the creator while they host');
update public.session_staff set role = 'moderator' where session_id = :'appt' and user_id = :'coach';
select is(private.one_to_one_coach(:'appt'), :'third'::uuid,
          'the creator moved to moderator: the earliest host (by created_at)');
delete from public.session_staff where session_id = :'appt' and user_id = :'third';
select is(private.one_to_one_coach(:'appt'), :'second'::uuid, '... then the remaining host');
delete from public.session_staff where session_id = :'appt' and role = 'host';
select is(private.one_to_one_coach(:'appt'), null, 'no host left: no coach');

select * from finish();
rollback;
