-- booking_confirmed: emitted when a booking becomes confirmed by the user's own act (book_session
-- confirmed directly, book_slot for the patient), never for a waitlisted booking nor a promotion
-- (booking_promoted), nor a failed call; its outbox rows follow the recipient's preferences (default
-- email only; in-app and push when turned on; nothing when email is off or there is no address);
-- the coach of a one-to-one gets one_to_one_booked and no confirmation, the patient the
-- reverse; queued confirmations are cancelled with the booking or the session; the helpers are
-- internal; users read only the status of their own deliveries.
begin;
\ir ../helpers.sql
select plan(37);

select tests.create_supabase_user('bc_host');
select tests.create_supabase_user('bc_ann');
select tests.create_supabase_user('bc_ben');
select tests.create_supabase_user('bc_cid');
select tests.create_supabase_user('bc_dan');
select tests.create_supabase_user('bc_nomail');
select tests.create_supabase_user('bc_coach', metadata => '{"timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('bc_patient', metadata => '{"timezone":"America/Sao_Paulo"}');
update auth.users set email = null where id = tests.get_supabase_uid('bc_nomail');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('bc_host'), tests.get_supabase_uid('bc_coach'));
select tests.get_supabase_uid('bc_host') as host, tests.get_supabase_uid('bc_ann') as ann,
       tests.get_supabase_uid('bc_ben') as ben, tests.get_supabase_uid('bc_cid') as cid,
       tests.get_supabase_uid('bc_dan') as dan, tests.get_supabase_uid('bc_nomail') as nomail,
       tests.get_supabase_uid('bc_coach') as coach, tests.get_supabase_uid('bc_patient') as patient \gset

-- s1: two seats and a waitlist; s2: unlimited.
insert into public.sessions (title, starts_at, status, visibility, capacity, waitlist_enabled, created_by)
values ('Two seats', now() + interval '2 days', 'scheduled', 'public', 2, true, :'host') returning id as s1 \gset
insert into public.sessions (title, starts_at, status, visibility, created_by)
values ('Open talk', now() + interval '3 days', 'scheduled', 'public', :'host') returning id as s2 \gset
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values
  (:'cid', 'https://fcm.googleapis.com/fcm/send/bc_cid', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg');

create function pg_temp.confirmations(uid uuid)
returns text[] language sql as $$
  select coalesce(array_agg(d.channel || ' ' || d.status || ' ' || (d.notification_id is not null)::text
                            order by d.channel, d.status), '{}')
  from public.notification_deliveries d where d.user_id = uid and d.kind = 'booking_confirmed'
$$;
create function pg_temp.in_app(uid uuid, k text)
returns int language sql as $$
  select count(*)::int from public.notifications n where n.user_id = uid and n.kind = k
$$;

-- Defaults: email only -----------------------------------------------------------------------------
select tests.authenticate_as('bc_ann');
create temp table ann_booking as select * from public.book_session(:'s1');
select tests.clear_authentication();
select is((select status from ann_booking), 'confirmed', 'ann''s booking is confirmed');
select is(pg_temp.confirmations(:'ann'), array['email queued false'],
          'a confirmed booking queues one booking_confirmed email (in-app and push off by default)');
select is(pg_temp.in_app(:'ann', 'booking_confirmed'), 0, 'no in-app row by default');
select results_eq(format($$ select d.session_id, d.payload -> 'data' ->> 'booking_id', d.payload ->> 'link',
                                   d.payload ->> 'title', d.payload -> 'data' ->> 'status'
                            from public.notification_deliveries d where d.user_id = %L and d.kind = 'booking_confirmed' $$, :'ann'),
                  format($$ values (%L::uuid, %L, %L, 'Booking confirmed: Two seats', 'confirmed') $$,
                         :'s1', (select id::text from ann_booking), '/sessions/' || :'s1'),
                  'the delivery names the session (for its .ics), the booking and the session link');

-- Email off: nothing -------------------------------------------------------------------------------
select tests.authenticate_as('bc_ben');
select public.set_notification_preference('booking_confirmed', email => false);
select is((select status from public.book_session(:'s1')), 'confirmed', 'ben''s booking is confirmed (the last seat)');
select tests.clear_authentication();
select is(pg_temp.confirmations(:'ben'), '{}'::text[], 'email off for booking_confirmed: no delivery');
select is(pg_temp.in_app(:'ben', 'booking_confirmed'), 0, 'and no in-app row');

-- In-app and push on, with a subscription: all three channels ------------------------------------
select tests.authenticate_as('bc_cid');
select public.set_notification_preference('booking_confirmed', in_app => true, push => true);
select is((select status from public.book_session(:'s2')), 'confirmed', 'cid''s booking is confirmed');
select tests.clear_authentication();
select is(pg_temp.in_app(:'cid', 'booking_confirmed'), 1, 'in-app on: one notification row');
select is(pg_temp.confirmations(:'cid'), array['email queued true', 'push queued true'],
          'in-app, email and push on: one email and one push delivery of that notification');
select is((select count(*)::int from realtime.messages m where m.topic = 'user:' || :'cid' and m.event = 'notification'
             and m.payload ->> 'kind' = 'booking_confirmed'), 1, 'the in-app row is broadcast on user:<id>');

-- A repeat fails and queues nothing more ---------------------------------------------------------
select tests.authenticate_as('bc_cid');
select is(tests.error_code(format('select public.book_session(%L)', :'s2')), 'already_booked', 'booking again: already_booked');
select tests.clear_authentication();
select is(pg_temp.confirmations(:'cid'), array['email queued true', 'push queued true'], 'a failed call adds no delivery');

-- No address: no email, no error -----------------------------------------------------------------
select tests.authenticate_as('bc_nomail');
select is((select status from public.book_session(:'s2')), 'confirmed', 'a user without an address books');
select tests.clear_authentication();
select is(pg_temp.confirmations(:'nomail'), '{}'::text[], 'no email delivery without an address');

-- Waitlisted: no confirmation; promoted: booking_promoted only -----------------------------------
select tests.authenticate_as('bc_dan');
select is((select status from public.book_session(:'s1')), 'waitlisted', 'dan is waitlisted (s1 is full)');
select tests.clear_authentication();
select is(pg_temp.confirmations(:'dan'), '{}'::text[], 'a waitlisted booking queues no booking_confirmed');
select is(pg_temp.in_app(:'dan', 'booking_confirmed'), 0, 'nor an in-app confirmation');
select tests.authenticate_as('bc_ann');
select is((select status from public.cancel_booking(:'s1')), 'cancelled', 'ann cancels: dan moves up');
select tests.clear_authentication();
select is((select status from public.bookings where session_id = :'s1' and user_id = :'dan' and status <> 'cancelled'),
          'confirmed', 'dan''s booking is now confirmed');
select is(pg_temp.confirmations(:'dan'), '{}'::text[], 'a promotion is not a booking_confirmed');
select is((select array_agg(d.channel order by d.channel) from public.notification_deliveries d
           where d.user_id = :'dan' and d.kind = 'booking_promoted'), array['email'],
          'the promoted user gets booking_promoted (email; no push subscription)');
select is((select d.status || ' ' || d.last_error from public.notification_deliveries d
           where d.user_id = :'ann' and d.kind = 'booking_confirmed'), 'cancelled booking cancelled',
          'ann''s queued confirmation is cancelled with her booking');

-- A cancelled session cancels its queued confirmations ------------------------------------------
update public.sessions set status = 'cancelled', cancel_reason = 'Ill' where id = :'s2';
select is(pg_temp.confirmations(:'cid'), array['email cancelled true', 'push cancelled true'],
          'a cancelled session cancels the queued confirmations (session_cancelled tells them)');

-- book_slot: the patient gets booking_confirmed, the coach one_to_one_booked -----------------------
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '09:00', time '12:00' from generate_series(1, 7) w;
select (((now() at time zone 'Europe/Amsterdam')::date + 3) + time '10:00') at time zone 'Europe/Amsterdam' as slot \gset
select tests.authenticate_as('bc_patient');
create temp table slot_booking as select * from public.book_slot(:'coach', :'slot', 'Career');
select tests.clear_authentication();
select is((select status from slot_booking), 'confirmed', 'the patient booked a slot');
select results_eq(format($$ select d.channel, d.session_id from public.notification_deliveries d
                            where d.user_id = %L and d.kind = 'booking_confirmed' $$, :'patient'),
                  format($$ values ('email', %L::uuid) $$, (select session_id from slot_booking)),
                  'the patient gets one booking_confirmed email for the one-to-one session');
select is((select count(*)::int from public.notification_deliveries d
           where d.user_id = :'patient' and d.kind <> 'booking_confirmed'), 0, 'and nothing else (no one_to_one_booked)');
select is((select array_agg(d.kind || ' ' || d.channel order by d.channel) from public.notification_deliveries d
           where d.user_id = :'coach'), array['one_to_one_booked email'],
          'the coach gets one_to_one_booked (email), no booking_confirmed: one mail each');
select is(pg_temp.in_app(:'coach', 'one_to_one_booked'), 1, 'and the coach''s in-app notification');

-- Internal helpers, and RLS of the outbox rows ----------------------------------------------------
select is(has_function_privilege('authenticated', 'private.notify_booking_confirmed(uuid, uuid, uuid, text)', 'execute')
          or has_function_privilege('anon', 'private.notify_booking_confirmed(uuid, uuid, uuid, text)', 'execute')
          or has_function_privilege('service_role', 'private.notify_booking_confirmed(uuid, uuid, uuid, text)', 'execute'),
          false, 'nobody but the owner may call notify_booking_confirmed');
select is(has_function_privilege('authenticated', 'private.withdraw_booking_confirmed(uuid, uuid, uuid)', 'execute')
          or has_function_privilege('service_role', 'private.withdraw_booking_confirmed(uuid, uuid, uuid)', 'execute'),
          false, 'nor withdraw_booking_confirmed');
-- The withdrawal (book_session's race: guessed confirmed, claimed waitlisted) takes back both rows,
-- and only those of that booking.
select private.notify_booking_confirmed(:'cid', :'s1', gen_random_uuid(), 'Race') as race_n \gset
select private.notify_booking_confirmed(:'cid', :'s1', gen_random_uuid(), 'Other') as other_n \gset
select is((select count(*)::int from public.notification_deliveries where notification_id = :'race_n'), 2,
          'in-app, email and push (cid''s choice) before the withdrawal');
select private.withdraw_booking_confirmed(:'cid', (select (data ->> 'booking_id')::uuid from public.notifications
                                                   where id = :'race_n'), :'race_n');
select is((select count(*)::int from public.notification_deliveries where notification_id = :'race_n'), 0,
          'withdraw_booking_confirmed deletes the queued deliveries');
select is((select count(*)::int from public.notifications where id = :'race_n'), 0, 'and the in-app row');
select is((select count(*)::int from public.notification_deliveries where notification_id = :'other_n'), 2,
          'another booking''s confirmation stays');
select tests.authenticate_as('bc_patient');
select is((select array_agg(kind || ' ' || channel || ' ' || status) from public.notification_deliveries),
          array['booking_confirmed email queued'], 'the patient reads the status of their own confirmation only');
select tests.authenticate_as_anon();
select is(tests.error_code('select count(*) from public.notification_deliveries'), '42501', 'anon reads no deliveries');

select * from finish();
rollback;
