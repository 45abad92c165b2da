-- One-to-one counselling, edges found by probing it as a coach, a patient and an admin would: a deactivated
-- coach offers no slots and takes no bookings; an admin's my_appointments lists their own appointments only;
-- an admin is not let into a one-to-one appointment's video room (jitsi_access), while group sessions keep
-- admin powers; working hours as a coach enters them: overlapping and adjacent rules of a day are one window
-- (no overlapping slots, none lost at the seam), a window ending in the hour a fall-back day repeats ends at
-- its first occurrence, times are whole minutes.
begin;
\ir ../helpers.sql
select plan(47);

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
select is((select status || ': ' || cancel_reason from public.sessions where id = :'bk_session'),
          'cancelled: Your counsellor is no longer available.',
          'their upcoming appointment is cancelled with the deactivation, with a reason');
select is((select status from public.bookings where id = :'bk'), 'cancelled', '... its booking too');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'bk_session'), 1, '... and the patient is told once (session_cancelled)');

select tests.authenticate_as('ed_admin');
select public.reactivate_user(:'coach');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select ok((select count(*) from public.available_slots(:'coach', now(), now() + interval '7 days')) > 0,
          'reactivated, the coach offers slots again');
select id as bk2, session_id as bk2_session from public.book_slot(:'coach', :'d1_11') \gset
select is((select status from public.bookings where id = :'bk2'), 'confirmed', '... and can be booked again');
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
update public.sessions set starts_at = now() + interval '5 minutes' where id = :'bk2_session';
\set bk_session :bk2_session
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

-- A coach who deletes their account -----------------------------------------------------------------------

select tests.create_supabase_user('ed_coach_d', metadata => '{"display_name":"Dora Coach"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('ed_coach_d');
select tests.get_supabase_uid('ed_coach_d') as coach_d \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes)
values (:'coach_d', 'Europe/Amsterdam', 60, 0, 0);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach_d'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select tests.authenticate_as('ed_patient');
select session_id as d_session from public.book_slot(:'coach_d', :'d1_10') \gset
select tests.clear_authentication();
select tests.authenticate_as('ed_coach_d');
select public.delete_my_account();
select tests.clear_authentication();
select is((select status || ': ' || cancel_reason from public.sessions where id = :'d_session'),
          'cancelled: Your counsellor is no longer available.',
          'a coach who deletes their account: their upcoming appointment is cancelled');
select is((select count(*)::int from public.notifications where user_id = :'patient' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'d_session'), 1, '... and the patient is told once');
select is((select count(*)::int from public.notifications where user_id = :'coach_d'), 0,
          '... the deleted coach keeps no notification');

-- Working windows -------------------------------------------------------------------------------------------

select tests.create_supabase_user('ed_coach_w', metadata => '{"display_name":"Wim Coach","timezone":"Europe/Amsterdam"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('ed_coach_w');
select tests.get_supabase_uid('ed_coach_w') as coach_w \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach_w', 'Europe/Amsterdam', 60, 0, 0, 730, 60);
-- The next Sunday Amsterdam ends summer time (last Sunday of October), at least two days ahead, and
-- a Monday and a Tuesday a week or more ahead.
select min(s) as autumn
from generate_series(extract(year from now())::int, extract(year from now())::int + 1) y,
     lateral (values (make_date(y, 10, 31) - extract(dow from make_date(y, 10, 31))::int)) v (s)
where s > (now() at time zone 'Europe/Amsterdam')::date + 2 \gset
select d as monday, d + 1 as tuesday
from generate_series((now() at time zone 'Europe/Amsterdam')::date + 7, (now() at time zone 'Europe/Amsterdam')::date + 13, '1 day') g,
     lateral (select g::date as d) x
where extract(isodow from d) = 1 \gset
-- Monday: two overlapping rules; Tuesday: two adjacent ones; Sunday: until 02:00 (and from 22:00).
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
values (:'coach_w', 1, '09:00', '12:00'), (:'coach_w', 1, '09:30', '13:00'),
       (:'coach_w', 2, '13:00', '15:30'), (:'coach_w', 2, '15:30', '17:00'),
       (:'coach_w', 7, '00:00', '02:00'), (:'coach_w', 7, '22:00', '24:00');

create function pg_temp.local_slots(p_coach uuid, p_day date) returns text[]
language sql as $$
  select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') || '-'
                   || to_char(s.ends_at at time zone 'Europe/Amsterdam', 'HH24:MI') order by s.starts_at)
  from public.available_slots(p_coach, (p_day + time '00:00') at time zone 'Europe/Amsterdam',
                              ((p_day + 1) + time '00:00') at time zone 'Europe/Amsterdam') s
$$;
grant execute on function pg_temp.local_slots(uuid, date) to authenticated;

select tests.authenticate_as('ed_patient');
select is(pg_temp.local_slots(:'coach_w', :'monday'), array['09:00-10:00', '10:00-11:00', '11:00-12:00', '12:00-13:00'],
          'overlapping rules 09:00-12:00 and 09:30-13:00 are one window: four hourly slots, none overlapping another');
select is(pg_temp.local_slots(:'coach_w', :'tuesday'), array['13:00-14:00', '14:00-15:00', '15:00-16:00', '16:00-17:00'],
          'adjacent rules 13:00-15:30 and 15:30-17:00 are one window: the 15:00 slot runs across the seam');
select is((select status from public.book_slot(:'coach_w', (:'tuesday'::date + time '15:00') at time zone 'Europe/Amsterdam')),
          'confirmed', 'book_slot takes the slot across the seam');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_w',
            (:'monday'::date + time '09:30') at time zone 'Europe/Amsterdam')),
          'slot_unavailable', 'a start off the merged window''s grid (09:30) is not a slot');
select is((select array_agg(s.starts_at order by s.starts_at)
           from public.available_slots(:'coach_w', (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                       (:'autumn'::date + time '04:00') at time zone 'Europe/Amsterdam') s),
          array[(:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam',
                (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam' + interval '1 hour'],
          'fall back (' || :'autumn' || '): a window until 02:00 ends at the first 02:00: two slots, not a third from 02:00 summer time');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_w',
            (:'autumn'::date + time '00:00') at time zone 'Europe/Amsterdam' + interval '2 hours')),
          'slot_unavailable', '... and book_slot refuses 02:00 summer time');
select is((select count(*)::int from public.available_slots(:'coach_w', (:'autumn'::date + time '20:00') at time zone 'Europe/Amsterdam',
                                       ((:'autumn'::date + 1) + time '00:00') at time zone 'Europe/Amsterdam')),
          2, 'the evening window of that day (22:00-24:00) keeps its two slots');
select tests.clear_authentication();

-- The conversion itself, at fixed instants (a pure function).
select is(private.local_instant('Europe/Amsterdam', '2027-10-31 02:00'), '2027-10-31 00:00+00'::timestamptz,
          'local_instant: 02:00 on 2027-10-31 in Amsterdam is its first occurrence (summer time)');
select is(private.local_instant('Europe/Amsterdam', '2027-10-31 03:00'), '2027-10-31 02:00+00'::timestamptz,
          'local_instant: 03:00 that day is winter time');
select is(private.local_instant('Europe/Amsterdam', '2027-03-28 02:30'), '2027-03-28 01:00+00'::timestamptz,
          'local_instant: 02:30 on 2027-03-28 does not exist: the transition, 03:00 summer time (33_counselling_spring_gap)');
select is(private.local_instant('America/Sao_Paulo', '2018-11-04 00:30'), '2018-11-04 03:00+00'::timestamptz,
          'local_instant: Sao Paulo''s last spring-forward gap (2018-11-04 00:00-01:00): the transition too');
select is(private.local_instant('America/Sao_Paulo', '2019-02-16 23:30'), '2019-02-17 01:30+00'::timestamptz,
          'local_instant: Sao Paulo''s last fall back (2019-02-16 23:00-24:00 twice): the first 23:30');

select tests.authenticate_as('ed_coach_w');
select is(tests.error_code($$insert into public.coach_availability (weekday, start_time, end_time) values (3, '10:00:30', '11:00')$$),
          '23514', 'working hours are whole minutes: 10:00:30 is refused');
select tests.clear_authentication();

-- Booking settings without a time zone --------------------------------------------------------------------

select tests.create_supabase_user('ed_coach_tz', metadata => '{"display_name":"Tess Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('ed_coach_sp', metadata => '{"display_name":"Sergio Coach","timezone":"America/Sao_Paulo"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('ed_coach_tz'), tests.get_supabase_uid('ed_coach_sp'));
select tests.get_supabase_uid('ed_coach_tz') as coach_tz, tests.get_supabase_uid('ed_coach_sp') as coach_sp \gset
select tests.authenticate_as('ed_coach_tz');
with x as (insert into public.coach_booking_settings (slot_minutes, min_notice_minutes) values (60, 0) returning timezone)
select is((select timezone from x), 'Europe/Amsterdam',
          'a coach who saves settings without a time zone keeps their profile''s (Amsterdam), not UTC');
insert into public.coach_availability (weekday, start_time, end_time) select w, '09:00', '10:00' from generate_series(1, 7) w;
select is((select array_agg(distinct to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI'))
           from public.available_slots(:'coach_tz', now() + interval '2 days', now() + interval '9 days') s),
          array['09:00'], '... so their 09:00-10:00 hours are 09:00 in Amsterdam');
with x as (update public.coach_booking_settings set timezone = 'UTC' where coach_id = :'coach_tz' returning timezone)
select is((select timezone from x), 'UTC', 'an explicit UTC is kept');
with x as (update public.coach_booking_settings set timezone = null where coach_id = :'coach_tz' returning timezone)
select is((select timezone from x), 'Europe/Amsterdam', 'setting it to null goes back to the profile''s zone');
select tests.clear_authentication();
select tests.authenticate_as('ed_admin');
with x as (insert into public.coach_booking_settings (coach_id, slot_minutes) values (:'coach_sp', 45) returning timezone)
select is((select timezone from x), 'America/Sao_Paulo',
          'an admin saving another coach''s settings without a zone gives that coach''s profile zone');
select tests.clear_authentication();

-- A started appointment: the patient cannot cancel it ---------------------------------------------------

select tests.authenticate_as('ed_patient');
select id as live_bk, session_id as live_session
from public.book_slot(:'coach_tz', :'d1_10'::timestamptz - interval '1 hour') \gset
select tests.clear_authentication();
-- The patient's other appointment opens in 5 minutes (the room tests above): a move into it is refused
-- (their busy time, 33_counselling_patient_busy), so that one moves out of the way first.
select is(tests.error_code(format($$update public.sessions set starts_at = now() - interval '1 minute' where id = %L$$,
                                  :'live_session')), 'schedule_conflict',
          'a backend move of an appointment into the patient''s other one is refused');
update public.sessions set starts_at = now() + interval '20 days' where id = :'bk2_session';
update public.sessions set starts_at = now() - interval '1 minute' where id = :'live_session';
select tests.authenticate_as('ed_coach_tz');
select is((select status from public.start_session(:'live_session')), 'live', 'the coach starts the appointment');
select tests.clear_authentication();
select tests.authenticate_as('ed_patient');
select is(tests.error_code(format('select public.cancel_booking(%L)', :'live_session')), 'too_late',
          'the patient cannot cancel a live appointment (too_late), inside any notice');
select tests.clear_authentication();
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where s.id = :'live_session'), 'live/confirmed', 'the appointment goes on, its booking confirmed');
select tests.authenticate_as('ed_coach_tz');
select is((select status from public.complete_session(:'live_session')), 'ended', '... and the coach completes it');
select tests.clear_authentication();

-- The coach's notice of a new appointment says when ----------------------------------------------------

select is((select title || ' | ' || body from public.notifications
           where user_id = :'coach' and kind = 'one_to_one_booked' and data ->> 'session_id' = :'bk2_session'),
          'New appointment | A patient booked a one-to-one session with you for '
            || private.format_local_time(:'d1_11'::timestamptz, 'Europe/Amsterdam') || '.',
          'one_to_one_booked tells the coach the time, in their zone');

-- Notes: only a host of the session writes them (an admin is not one) ---------------------------------

select tests.authenticate_as('ed_admin');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, 'admin note')$$, :'bk2_session')),
          '42501', 'an admin who is not its host cannot write a note on a one-to-one appointment');
select tests.clear_authentication();
select tests.authenticate_as('ed_coach');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, 'Slept better')$$, :'bk2_session')),
          null, 'its coach can');
select tests.clear_authentication();

select * from finish();
rollback;
