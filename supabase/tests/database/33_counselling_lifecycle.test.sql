-- One-to-one counselling x the account lifecycle and the late-cancel rule (review of issue 16):
-- a patient can always delete their account (the late-cancel rule does not refuse a lifecycle act, also for
-- a live appointment), and past appointments are history, left as they were; deactivating a coach cancels
-- only the appointments they coach that are live or still ahead, takes them off other coaches' appointments
-- where they were a second staff member, and mails or pushes nothing to the deactivated account; a live
-- appointment is too late for the patient to cancel whatever the notice and the planned start.
begin;
\ir ../helpers.sql
select plan(31);

select tests.create_supabase_user('lc_coach', metadata => '{"display_name":"Lia Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('lc_coach2', metadata => '{"display_name":"Yara Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('lc_patient', metadata => '{"display_name":"Pat Patient"}');
select tests.create_supabase_user('lc_patient2', metadata => '{"display_name":"Quinn Patient"}');
select tests.create_supabase_user('lc_patient3', metadata => '{"display_name":"Rui Patient"}');
select tests.create_supabase_user('lc_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('lc_coach'), tests.get_supabase_uid('lc_coach2'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('lc_admin');
select tests.get_supabase_uid('lc_coach') as coach, tests.get_supabase_uid('lc_coach2') as coach2,
       tests.get_supabase_uid('lc_patient') as patient, tests.get_supabase_uid('lc_patient2') as patient2,
       tests.get_supabase_uid('lc_patient3') as patient3 \gset

-- Hourly slots around the clock, no buffer or notice, a late-cancel notice of a day; coach2 the same
-- with a notice of 0 minutes.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 1440), (:'coach2', 'Europe/Amsterdam', 60, 0, 0, 60, 0);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select c, w, time '00:00', time '24:00' from generate_series(1, 7) w, unnest(array[:'coach'::uuid, :'coach2'::uuid]) c;

-- Whole hours 3, 4, 5 ... days ahead (slots of both coaches).
select date_trunc('hour', now()) + interval '3 days' as h3, date_trunc('hour', now()) + interval '4 days' as h4,
       date_trunc('hour', now()) + interval '5 days' as h5, date_trunc('hour', now()) + interval '6 days' as h6,
       date_trunc('hour', now()) + interval '7 days' as h7, date_trunc('hour', now()) + interval '8 days' as h8 \gset

-- A patient deletes their account -----------------------------------------------------------------------

select tests.authenticate_as('lc_patient');
select id as soon_bk, session_id as soon_session from public.book_slot(:'coach', :'h3') \gset
select id as past_bk, session_id as past_session from public.book_slot(:'coach', :'h4') \gset
select tests.clear_authentication();
select tests.authenticate_as('lc_patient2');
select id as other_bk, session_id as other_session from public.book_slot(:'coach', :'h5') \gset
select tests.clear_authentication();
-- Backend moves (no slot rules): one appointment in 30 minutes (inside the day's notice), one held two
-- hours ago that the coach never completed (nothing closes those automatically), and another patient's
-- in two hours.
update public.sessions set starts_at = now() + interval '30 minutes' where id = :'soon_session';
update public.sessions set starts_at = now() - interval '2 hours' where id = :'past_session';
update public.sessions set starts_at = now() + interval '2 hours' where id = :'other_session';

select tests.authenticate_as('lc_patient');
select is(tests.error_code(format('select public.cancel_booking(%L)', :'soon_session')), 'too_late',
          'inside the notice the patient cannot cancel the appointment themselves');
select is(tests.error_code('select public.delete_my_account()'), null,
          'but they can delete their account: the late-cancel rule does not refuse it');
select tests.clear_authentication();
select is((select status from public.profiles where id = :'patient'), 'deleted'::public.account_status, '... the account is deleted');
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where b.id = :'soon_bk'), 'cancelled/cancelled', '... its upcoming appointment is cancelled');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'soon_session'), 1, '... and the coach told once');
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where b.id = :'past_bk'), 'scheduled/confirmed',
          'a past appointment the coach never completed is history: not cancelled by the deletion');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'past_session'), 0, '... and nobody is told of it');
-- The setting is the deletion's own: the rule still holds for everyone else in this transaction.
select tests.authenticate_as('lc_patient2');
select is(tests.error_code(format('select public.cancel_booking(%L)', :'other_session')), 'too_late',
          'after a deletion in the same transaction the late-cancel rule still holds for another patient');
select tests.clear_authentication();

-- A patient deletes their account during a live appointment.
select tests.authenticate_as('lc_patient3');
select id as live_bk, session_id as live_session from public.book_slot(:'coach', :'h6') \gset
select tests.clear_authentication();
update public.sessions set starts_at = now() - interval '5 minutes', status = 'live', started_at = now() - interval '5 minutes'
 where id = :'live_session';
select tests.authenticate_as('lc_patient3');
select is(tests.error_code('select public.delete_my_account()'), null,
          'a patient can delete their account during a live appointment');
select tests.clear_authentication();
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where b.id = :'live_bk'), 'cancelled/cancelled', '... which ends it (the coach is told)');

-- A live appointment is too late for the patient, whatever the notice -------------------------------------

select tests.authenticate_as('lc_patient2');
select id as early_bk, session_id as early_session from public.book_slot(:'coach2', :'h3') \gset
select tests.clear_authentication();
-- coach2's notice is 0 minutes and they started four hours before the planned start.
update public.sessions set starts_at = now() + interval '4 hours', status = 'live', started_at = now()
 where id = :'early_session';
select tests.authenticate_as('lc_patient2');
select is(tests.error_code(format('select public.cancel_booking(%L)', :'early_session')), 'too_late',
          'a live appointment started early, with a notice of 0 minutes: the patient cannot cancel it (too_late)');
select is(tests.error_status(format('select public.cancel_booking(%L)', :'early_session')), 409, '... 409');
select tests.clear_authentication();
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where b.id = :'early_bk'), 'live/confirmed', '... the appointment goes on');
-- Before it starts, notice 0: the patient may cancel.
select tests.authenticate_as('lc_patient2');
select id as later_bk, session_id as later_session from public.book_slot(:'coach2', :'h4') \gset
select is((select status from public.cancel_booking(:'later_session')), 'cancelled',
          'a scheduled appointment with a notice of 0 minutes: the patient may cancel it');
select tests.clear_authentication();

-- A coach is deactivated ----------------------------------------------------------------------------------

-- The coach has a device for push (and an address: email).
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
values (:'coach', 'https://fcm.googleapis.com/fcm/send/lc-coach', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg');
-- coach: an appointment ahead, a live one, a past one never completed; and a second staff member
-- (a supervisor) of coach2's upcoming appointment.
select tests.authenticate_as('lc_patient2');
select id as c_ahead_bk, session_id as c_ahead from public.book_slot(:'coach', :'h7') \gset
select id as c_live_bk, session_id as c_live from public.book_slot(:'coach', :'h8') \gset
select id as c_past_bk, session_id as c_past from public.book_slot(:'coach', :'h8'::timestamptz + interval '1 hour') \gset
select id as y_bk, session_id as y_session from public.book_slot(:'coach2', :'h7'::timestamptz + interval '2 hours') \gset
select tests.clear_authentication();
update public.sessions set starts_at = now() - interval '30 minutes', status = 'live', started_at = now() - interval '30 minutes'
 where id = :'c_live';
update public.sessions set starts_at = now() - interval '3 hours' where id = :'c_past';
select tests.authenticate_as('lc_coach2');
select public.add_session_staff(:'y_session', :'coach', 'host');
select tests.clear_authentication();
-- (one transaction: now() is one instant; the coach's own row was written first, as it is outside a test)
update public.session_staff set created_at = now() - interval '1 minute' where session_id = :'y_session' and user_id = :'coach2';
select is((select array_agg(distinct channel order by channel) from public.notification_deliveries
           where user_id = :'coach' and kind = 'one_to_one_booked' and session_id = :'c_ahead'), array['email', 'push'],
          'setup: the active coach is mailed and pushed (one_to_one_booked)');

-- What was queued for the coach so far (the setup's notices) is not sent once they are deactivated.
select count(*)::int as coach_queued from public.notification_deliveries where user_id = :'coach' and status = 'queued' \gset
select tests.authenticate_as('lc_admin');
select public.deactivate_user(:'coach', 'left the practice');
select tests.clear_authentication();
select is((select status || ': ' || cancel_reason from public.sessions where id = :'c_ahead'),
          'cancelled: Your counsellor is no longer available.', 'deactivated: their appointment ahead is cancelled');
select is((select status from public.sessions where id = :'c_live'), 'cancelled', '... their live one too');
select is((select count(*)::int from public.notifications where user_id = :'patient2' and kind = 'session_cancelled'
             and data ->> 'session_id' in (:'c_ahead', :'c_live')), 2, '... and their patient is told of each');
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where s.id = :'c_past'), 'scheduled/confirmed',
          'a past appointment they never completed stays as it was (history)');
select is((select count(*)::int from public.notifications where user_id = :'patient2' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'c_past'), 0, '... and its former patient gets no session_cancelled');
select is((select s.status || '/' || b.status from public.sessions s join public.bookings b on b.session_id = s.id
           where s.id = :'y_session'), 'scheduled/confirmed',
          'another coach''s appointment where they were a second host is not cancelled');
select is((select array_agg(user_id) from public.session_staff where session_id = :'y_session'), array[:'coach2'::uuid],
          '... they leave its staff, its coach stays');
select is((select count(*)::int from private.coach_busy where session_id = :'y_session' and user_id = :'coach'), 0,
          '... and its time is no longer theirs');
-- (the third: patient2's appointment in two hours from the first part)
select is((select status from public.sessions where id = :'other_session'), 'cancelled',
          'their appointment in two hours is cancelled too (inside the notice: the rule is the patient''s)');
select is((select (details ->> 'appointments_cancelled')::int from public.audit_log
           where action = 'user_deactivated' and target_id = :'coach'), 3, 'the audit counts the three cancelled appointments');
select ok((select count(*) from public.notifications where user_id = :'coach' and kind = 'session_cancelled') > 0,
          'the deactivated coach''s in-app notices are written (they read them if reactivated)');
select is((select count(*)::int from public.notification_deliveries where user_id = :'coach' and status <> 'cancelled'), 0,
          '... but a deactivated account is neither mailed nor pushed');
select is((select count(*)::int from public.notification_deliveries where user_id = :'coach' and status = 'cancelled'
             and last_error = 'account deactivated'), :'coach_queued',
          '... what was queued for them before (the setup''s notices) is cancelled');
select ok(:'coach_queued'::int >= 2, '(there were such deliveries: email and push of one_to_one_booked)');
select ok((select count(*) from public.notification_deliveries where user_id = :'patient2' and kind = 'session_cancelled') > 0,
          'while their patient is mailed');

-- Reactivated, the coach is mailed again (the rule is the account's status, not a mark on the user).
select tests.authenticate_as('lc_admin');
select public.reactivate_user(:'coach');
select tests.clear_authentication();
select tests.authenticate_as('lc_patient2');
select session_id as again_session from public.book_slot(:'coach', :'h7'::timestamptz + interval '4 hours') \gset
select tests.clear_authentication();
select is((select array_agg(channel order by channel) from public.notification_deliveries
           where user_id = :'coach' and kind = 'one_to_one_booked' and session_id = :'again_session'),
          array['email', 'push'], 'reactivated, the coach is mailed and pushed again');

select * from finish();
rollback;
