-- One-to-one counselling: appointments that overlapped another one of the same patient before the
-- patient's busy time existed (the backfill, *_patient_busy_time_backfill, left their patient row out)
-- must not make unrelated writes fail. A re-sync of such a session that neither books the patient nor
-- changes the appointment's time (start_session, add/remove_session_staff, a co-host's account
-- deactivated) leaves the patient row out as it was; a new time still refuses (schedule_conflict), as
-- confirming a booking does (33_counselling_patient_busy).
begin;
\ir ../helpers.sql
select plan(15);

select tests.create_supabase_user('bg_coach_a', metadata => '{"display_name":"Ada Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('bg_coach_b', metadata => '{"display_name":"Ben Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('bg_cohost', metadata => '{"display_name":"Cid Cohost","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('bg_patient', metadata => '{"display_name":"Pam Patient"}');
select tests.create_supabase_user('bg_admin', metadata => '{"display_name":"Adm In"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('bg_coach_a'), tests.get_supabase_uid('bg_coach_b'), tests.get_supabase_uid('bg_cohost'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('bg_admin');
select tests.get_supabase_uid('bg_coach_a') as coach_a, tests.get_supabase_uid('bg_coach_b') as coach_b,
       tests.get_supabase_uid('bg_cohost') as cohost, tests.get_supabase_uid('bg_patient') as patient,
       tests.get_supabase_uid('bg_admin') as admin \gset

insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
select c, 'Europe/Amsterdam', 60, 0, 0, 60, 1 from unnest(array[:'coach_a', :'coach_b']::uuid[]) c;
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select c, w, time '09:00', time '17:00' from unnest(array[:'coach_a', :'coach_b']::uuid[]) c, generate_series(1, 7) w;

select ((now() at time zone 'Europe/Amsterdam')::date + 3) as day \gset
select (:'day'::date + time '12:00') at time zone 'Europe/Amsterdam' as d_12,
       (:'day'::date + time '12:30') at time zone 'Europe/Amsterdam' as d_1230,
       (:'day'::date + time '15:00') at time zone 'Europe/Amsterdam' as d_15 \gset

-- The state the backfill leaves for a pre-existing double booking: the patient's appointment with A at
-- 12:00 has no busy row of theirs, their appointment with B at 12:00 has one.
select tests.authenticate_as('bg_patient');
select id as a_bk, session_id as a_session from public.book_slot(:'coach_a', :'d_12') \gset
select tests.clear_authentication();
delete from private.coach_busy where session_id = :'a_session' and user_id = :'patient';
select tests.authenticate_as('bg_patient');
select session_id as b_session from public.book_slot(:'coach_b', :'d_12') \gset
select tests.clear_authentication();
select is((select array_agg(session_id) from private.coach_busy where user_id = :'patient'), array[:'b_session'::uuid],
          'setup: the patient is in two appointments at 12:00, only the one with B is busy time of theirs');

-- Staff changes: nothing about the patient's time changes, nothing is refused.
select tests.authenticate_as('bg_coach_a');
select is((select role from public.add_session_staff(:'a_session', :'cohost', 'host')), 'host',
          'add_session_staff on the appointment with the gap succeeds (it used to fail with schedule_conflict)');
select is((select user_id from public.remove_session_staff(:'a_session', :'cohost')), :'cohost'::uuid,
          'remove_session_staff succeeds too');
select public.add_session_staff(:'a_session', :'cohost', 'host');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'a_session' and user_id = :'patient'), 0,
          '... the patient row stays left out');
select is((select count(*)::int from private.coach_busy where session_id = :'a_session'), 2,
          '... the staff rows are there (coach A and the co-host)');

-- A co-host who is not the coach is deactivated: cancel_hosted_one_to_ones removes their staff row.
select tests.authenticate_as('bg_admin');
select is((select status from public.deactivate_user(:'cohost')), 'deactivated',
          'deactivate_user of the appointment''s co-host succeeds (it used to abort with schedule_conflict)');
select tests.clear_authentication();
select is((select array_agg(user_id) from public.session_staff where session_id = :'a_session'), array[:'coach_a'::uuid],
          '... and they left its staff');
select is((select status from public.sessions where id = :'a_session'), 'scheduled', '... the appointment stays');

-- A new time still has to fit the patient (the write books them into it).
select is(tests.error_code(format('update public.sessions set starts_at = %L where id = %L', :'d_1230', :'a_session')),
          'schedule_conflict', 'moving it to another time the patient is busy at: still schedule_conflict');

-- start_session: scheduled -> live does not book anyone into a new time.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, waitlist_enabled, kind, created_by)
values ('One-to-one session', :'d_15', 60, 'scheduled', 'private', 1, false, 'one_to_one', :'coach_a')
returning id as c_session \gset
insert into public.bookings (session_id, user_id, status) values (:'c_session', :'patient', 'confirmed');
-- Make it a gap too: its patient row removed and a second appointment with B at 15:00 in its place.
delete from private.coach_busy where session_id = :'c_session' and user_id = :'patient';
select tests.authenticate_as('bg_patient');
select session_id as d_session from public.book_slot(:'coach_b', :'d_15') \gset
select tests.clear_authentication();
select tests.authenticate_as('bg_coach_a');
select is((select status from public.start_session(:'c_session')), 'live',
          'start_session of an appointment with the gap succeeds (it used to fail with schedule_conflict)');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where session_id = :'c_session' and user_id = :'patient'), 0,
          '... the patient row stays left out');
select is((select count(*)::int from private.coach_busy where session_id = :'d_session' and user_id = :'patient'), 1,
          '... the other appointment keeps its busy row');

-- The README's query for operators lists exactly the appointments without their patient's busy row.
select is((select array_agg(session_id order by session_id) from (
             select s.id as session_id
             from public.sessions s
             join public.bookings b on b.session_id = s.id and b.status = 'confirmed'
             where s.kind = 'one_to_one' and s.status in ('scheduled', 'live')
               and not exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = b.user_id)
               and not exists (select 1 from private.coach_busy cb where cb.session_id = s.id and cb.user_id = b.user_id)
           ) gaps where session_id in (:'a_session', :'b_session', :'c_session', :'d_session')),
          (select array_agg(x order by x) from unnest(array[:'a_session'::uuid, :'c_session'::uuid]) x),
          'the README query lists the appointments left without their patient row');

-- Deleting the patient's account (cancel_future_bookings) goes through as well.
select tests.authenticate_as('bg_admin');
select is((select status from public.deactivate_user(:'patient')), 'deactivated',
          'deactivating the patient succeeds');
select tests.clear_authentication();
select is((select count(*)::int from private.coach_busy where user_id = :'patient'
             and session_id in (:'a_session', :'b_session', :'d_session')), 0,
          '... and their appointments are nobody''s busy time any more');

select * from finish();
rollback;
