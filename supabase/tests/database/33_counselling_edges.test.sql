-- One-to-one counselling, edges found by probing it as a coach, a patient and an admin would: a deactivated
-- coach offers no slots and takes no bookings; an admin's my_appointments lists their own appointments only;
-- an admin is not let into a one-to-one appointment's video room (jitsi_access), while group sessions keep
-- admin powers.
begin;
\ir ../helpers.sql
select plan(15);

select tests.create_supabase_user('ed_coach', metadata => '{"display_name":"Edda Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('ed_patient', metadata => '{"display_name":"Ed Patient"}');
select tests.create_supabase_user('ed_admin', metadata => '{"display_name":"Ed Admin"}');
select tests.create_supabase_user('ed_host');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('ed_coach');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ed_admin');
select tests.get_supabase_uid('ed_coach') as coach, tests.get_supabase_uid('ed_patient') as patient,
       tests.get_supabase_uid('ed_admin') as admin \gset

-- Hourly slots around the clock every day in Amsterdam, no buffer or notice.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;

select ((((now() at time zone 'Europe/Amsterdam')::date + 3) + time '10:00') at time zone 'Europe/Amsterdam') as d1_10,
       ((((now() at time zone 'Europe/Amsterdam')::date + 3) + time '11:00') at time zone 'Europe/Amsterdam') as d1_11,
       ((((now() at time zone 'Europe/Amsterdam')::date + 3) + time '12:00') at time zone 'Europe/Amsterdam') as d1_12 \gset

-- A deactivated coach ------------------------------------------------------------------------------------

select tests.authenticate_as('ed_patient');
select id as bk, session_id as bk_session from public.book_slot(:'coach', :'d1_10', 'Stress') \gset
select tests.clear_authentication();

select tests.authenticate_as('ed_admin');
select public.deactivate_user(:'coach', 'left the practice');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select is(tests.error_code(format('select * from public.available_slots(%L, now(), now() + interval ''7 days'')', :'coach')),
          'not_found', 'a deactivated coach offers no slots: not_found');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach', :'d1_11')), 'not_found',
          'a deactivated coach cannot be booked: not_found');
select is(tests.error_status(format('select public.book_slot(%L, %L)', :'coach', :'d1_11')), 404, '... 404');
select tests.clear_authentication();
select is((select count(*)::int from public.sessions where kind = 'one_to_one' and created_by = :'coach'), 1,
          'nothing was booked with them');

select tests.authenticate_as('ed_admin');
select public.reactivate_user(:'coach');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select ok((select count(*) from public.available_slots(:'coach', now(), now() + interval '7 days')) > 0,
          'reactivated, the coach offers slots again');
select is((select status from public.book_slot(:'coach', :'d1_11')), 'confirmed', '... and can be booked again');
select tests.clear_authentication();

-- An admin's my_appointments -------------------------------------------------------------------------------

select tests.authenticate_as('ed_admin');
select is((select count(*)::int from public.my_appointments()), 0,
          'an admin who holds no appointment sees none of the others'' appointments in my_appointments');
select tests.clear_authentication();
-- An admin can be booked like a coach (private.is_bookable_coach): then they see that one.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes)
values (:'admin', 'Europe/Amsterdam', 60, 0, 0);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'admin'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select tests.authenticate_as('ed_patient');
select session_id as adm_session from public.book_slot(:'admin', :'d1_12') \gset
select tests.clear_authentication();
select tests.authenticate_as('ed_admin');
select is((select array_agg(session_id) from public.my_appointments()), array[:'adm_session'::uuid],
          'an admin who is booked as a coach sees exactly that appointment');
select tests.clear_authentication();
select tests.authenticate_as('ed_coach');
select is((select count(*)::int from public.my_appointments()), 2, 'the coach still sees the appointments they host');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select is((select count(*)::int from public.my_appointments()), 3, 'the patient sees theirs');
select tests.clear_authentication();

-- The video room (jitsi_access) --------------------------------------------------------------------------

-- The appointment opens in 5 minutes (a backend move: no slot rules).
update public.sessions set starts_at = now() + interval '5 minutes' where id = :'bk_session';
select tests.authenticate_as('ed_coach');
select is((public.jitsi_access(:'bk_session') ->> 'moderator')::boolean, true, 'the coach enters the room as moderator');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select is((public.jitsi_access(:'bk_session') ->> 'moderator')::boolean, false, 'the patient enters it');
select tests.clear_authentication();
select tests.authenticate_as('ed_admin');
select is(tests.error_code(format('select public.jitsi_access(%L)', :'bk_session')), 'forbidden',
          'an admin who is not its staff is not let into a one-to-one appointment''s room');
select is(tests.error_details(format('select public.jitsi_access(%L)', :'bk_session')) ->> 'reason', 'not_attendee',
          '... reason not_attendee');
select tests.clear_authentication();
-- A group session in its room window: admin powers still apply there.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Group evening', now() + interval '5 minutes', 60, 'scheduled', 'members', tests.get_supabase_uid('ed_host'))
returning id as group_session \gset
select tests.authenticate_as('ed_admin');
select is((public.jitsi_access(:'group_session') ->> 'moderator')::boolean, true,
          'an admin still enters a group session''s room as moderator');
select tests.clear_authentication();

select * from finish();
rollback;
