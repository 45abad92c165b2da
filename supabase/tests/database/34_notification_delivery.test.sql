-- Notification delivery: the registered kinds, effective preferences (my_notification_preferences,
-- set_notification_preference) and their RLS; the outbox (notification_deliveries) follows the
-- preferences and is written in the notification's transaction; its RLS matrix; the dispatcher's
-- claim and record functions (lease, backoff with jitter, attempts and the one-day limit, stale
-- claims); cancelled and rescheduled sessions and cancelled bookings cancel queued reminders;
-- session_rescheduled reaches booked users and staff.
begin;
\ir ../helpers.sql
select plan(94);

select tests.create_supabase_user('host', metadata => '{"timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('cohost');
select tests.create_supabase_user('ann', metadata => '{"timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('ben', metadata => '{"timezone":"America/New_York"}');
select tests.create_supabase_user('nomail');
update auth.users set email = null where id = tests.get_supabase_uid('nomail');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('host'), tests.get_supabase_uid('cohost'));
select tests.get_supabase_uid('host') as host, tests.get_supabase_uid('cohost') as cohost,
       tests.get_supabase_uid('ann') as ann, tests.get_supabase_uid('ben') as ben,
       tests.get_supabase_uid('nomail') as nomail \gset

-- Deliveries that exist before this test (a seeded database) stay out of its claims.
update public.notification_deliveries set next_attempt_at = now() + interval '1 hour' where status in ('queued', 'sending');

-- ann and nomail have a push subscription, ben has none.
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values
  (:'ann', 'https://fcm.googleapis.com/fcm/send/ann', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg'),
  (:'nomail', 'https://fcm.googleapis.com/fcm/send/nomail', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg');

-- Structure -------------------------------------------------------------------------------------
select ok((select bool_and(c.relrowsecurity) from pg_class c
           where c.oid in ('public.notification_kinds'::regclass, 'public.notification_deliveries'::regclass)),
          'RLS is on for notification_kinds and notification_deliveries');
select policies_are('public', 'notification_deliveries', array['deactivated accounts read nothing', 'users can read the status of their own deliveries']);
select policies_are('public', 'notification_kinds', array['everyone can read the notification kinds']);
select set_eq($$ select kind from public.notification_kinds $$,
              array['session_reminder', 'booking_confirmed', 'booking_promoted', 'session_rescheduled',
                    'session_cancelled', 'direct_message', 'coach_application_decided',
                    -- added by later features: counselling, announcements, support tickets
                    'one_to_one_booked', 'announcement', 'support_ticket_reply', 'support_ticket_status',
                    'support_ticket_assigned', 'support_ticket_opened'],
              'the kinds of the issue are registered, session_rescheduled and coach_application_decided included');
select is(array(select c.column_name::text from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = 'notification_deliveries'
                  and has_column_privilege('authenticated', 'public.notification_deliveries', c.column_name, 'SELECT')
                order by 1),
          array['channel', 'created_at', 'id', 'kind', 'notification_id', 'sent_at', 'status'],
          'authenticated may select only the status columns of deliveries (not payload, errors or attempts)');
select is(has_table_privilege('authenticated', 'public.notification_deliveries', 'INSERT, UPDATE, DELETE'), false,
          'authenticated cannot write deliveries');
select is(has_table_privilege('anon', 'public.notification_deliveries', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'anon has no privilege on deliveries');
select is(has_table_privilege('authenticated', 'public.notification_kinds', 'INSERT, UPDATE, DELETE'), false,
          'clients cannot change the kinds');
select is(has_function_privilege('authenticated', 'private.claim_notification_deliveries(int, int, text[])', 'EXECUTE'), false,
          'authenticated cannot claim deliveries');
select is(has_function_privilege('authenticated', 'private.record_notification_deliveries(jsonb)', 'EXECUTE'), false,
          'authenticated cannot record delivery results');
select is(has_function_privilege('service_role', 'private.claim_notification_deliveries(int, int, text[])', 'EXECUTE')
          and has_function_privilege('service_role', 'private.record_notification_deliveries(jsonb)', 'EXECUTE'), true,
          'service_role (the dispatcher) claims and records');

-- Preferences -------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select is((select count(*)::int from public.notification_kinds), 13, 'anon reads the kinds');
select is(tests.error_code($$ select * from public.my_notification_preferences $$), '42501', 'anon has no preferences view');
select is(tests.error_code($$ select public.set_notification_preference('session_reminder', email => false) $$), '42501',
          'anon cannot set preferences');

select tests.authenticate_as('ann');
select results_eq($$ select kind, in_app, email, push, customized from public.my_notification_preferences
                     where kind in ('booking_confirmed', 'coach_application_decided', 'session_reminder') order by kind $$,
                  $$ values ('booking_confirmed', false, true, false, false), ('coach_application_decided', true, true, false, false),
                            ('session_reminder', true, true, true, false) $$,
                  'without rows the view shows each kind''s defaults');
select results_eq($$ select in_app, email, push, customized from public.set_notification_preference('booking_promoted', email => false) $$,
                  $$ values (true, false, true, true) $$, 'set_notification_preference changes one channel and keeps the others');
select results_eq($$ select in_app, email, push from public.set_notification_preference('booking_promoted', push => false) $$,
                  $$ values (true, false, false) $$, 'a second call keeps the earlier change');
select is((select row(in_app, email, push)::text from public.notification_preferences where kind = 'booking_promoted'),
          '(t,f,f)', 'stored as the user''s notification_preferences row');
select is(tests.error_code($$ select public.set_notification_preference('no_such_kind', email => false) $$), 'invalid_input',
          'an unknown kind is invalid_input');
select tests.authenticate_as('ben');
select is((select email from public.my_notification_preferences where kind = 'booking_promoted'), true,
          'another user sees their own defaults, not ann''s choice');
select is((select count(*)::int from public.notification_preferences), 0, 'and none of ann''s rows');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select public.set_notification_preference('booking_promoted', email => false) $$), 'not_authenticated',
          'service_role without a user is not_authenticated');
select tests.clear_authentication();

-- The outbox follows the preferences ---------------------------------------------------------------
-- ann: email + push (subscription). ben: email only (no subscription). nomail: push only (no address).
select private.notify(:'ann', 'session_cancelled', 'Cancelled: T', 'b', '/sessions/x', '{"session_id":"00000000-0000-0000-0000-0000000000e1"}') as ann_n1 \gset
select set_eq(format($$ select channel, status, user_id, notification_id from public.notification_deliveries where notification_id = %L $$, :'ann_n1'),
              format($$ values ('email', 'queued', %L::uuid, %L::uuid), ('push', 'queued', %L::uuid, %L::uuid) $$, :'ann', :'ann_n1', :'ann', :'ann_n1'),
              'a notification queues one email and one push delivery, in its own transaction');
select is((select payload from public.notification_deliveries where notification_id = :'ann_n1' and channel = 'email'),
          '{"body": "b", "data": {"session_id": "00000000-0000-0000-0000-0000000000e1"}, "link": "/sessions/x", "title": "Cancelled: T"}'::jsonb,
          'the payload is the notification''s title, body, link and data');
select is((select session_id from public.notification_deliveries where notification_id = :'ann_n1' and channel = 'email'),
          '00000000-0000-0000-0000-0000000000e1'::uuid, 'session_id is taken from data.session_id');
select private.notify(:'ben', 'session_cancelled', 'Cancelled: T') as ben_n1 \gset
select set_eq(format($$ select channel from public.notification_deliveries where notification_id = %L $$, :'ben_n1'),
              array['email'], 'no push delivery for a user without a subscription');
select private.notify(:'nomail', 'session_cancelled', 'Cancelled: T') as nomail_n1 \gset
select set_eq(format($$ select channel from public.notification_deliveries where notification_id = %L $$, :'nomail_n1'),
              array['push'], 'no email delivery for a user without an address');
-- booking_promoted: ann turned email and push off.
select private.notify(:'ann', 'booking_promoted', 'Seat') as ann_n2 \gset
select is((select count(*)::int from public.notification_deliveries where notification_id = :'ann_n2'), 0,
          'channels turned off queue nothing (the in-app row still exists)');
select isnt(:'ann_n2'::text, ''::text, 'the in-app notification was created');
-- booking_confirmed is email-only by default: no notifications row, one email delivery.
select is(private.notify(:'ben', 'booking_confirmed', 'Booked: T', null, '/sessions/y', '{"session_id":"00000000-0000-0000-0000-0000000000e2"}'),
          null, 'in-app off by default for booking_confirmed: no notifications row');
select results_eq(format($$ select channel, notification_id, payload ->> 'title' from public.notification_deliveries
                            where user_id = %L and kind = 'booking_confirmed' $$, :'ben'),
                  $$ values ('email', null::uuid, 'Booked: T') $$,
                  'but its email is queued, without a notification id');
-- direct messages are mailed as a digest, never one by one.
select private.notify(:'ann', 'direct_message', 'New message') as ann_n3 \gset
select set_eq(format($$ select channel from public.notification_deliveries where notification_id = %L $$, :'ann_n3'),
              array['push'], 'direct_message: push per notification, no email (digest kind)');
-- an unregistered kind: in-app only.
select private.notify(:'ann', 'something_new', 'Hello') as ann_n4 \gset
select is((select count(*)::int from public.notification_deliveries where notification_id = :'ann_n4'), 0,
          'an unregistered kind queues no email or push');
-- a direct insert into notifications (service_role may) queues too.
select tests.authenticate_as_service_role();
insert into public.notifications (user_id, kind, title) values (:'ben', 'session_reminder', 'Direct');
select tests.clear_authentication();
select is((select count(*)::int from public.notification_deliveries d join public.notifications n on n.id = d.notification_id
           where n.title = 'Direct'), 1, 'an insert into notifications by service_role queues its delivery (trigger)');
-- rolled back with the notification.
savepoint before_rollback;
select private.notify(:'ben', 'session_cancelled', 'Gone') as gone \gset
rollback to savepoint before_rollback;
select is((select count(*)::int from public.notification_deliveries where payload ->> 'title' = 'Gone'), 0,
          'a notification rolled back leaves no delivery');
-- turning email back on queues email again
select tests.authenticate_as('ann');
select public.set_notification_preference('booking_promoted', email => true);
select tests.clear_authentication();
select private.notify(:'ann', 'booking_promoted', 'Seat again') as ann_n5 \gset
select set_eq(format($$ select channel from public.notification_deliveries where notification_id = %L $$, :'ann_n5'),
              array['email'], 'the outbox follows a changed preference');

-- RLS on deliveries ------------------------------------------------------------------------------
select tests.authenticate_as('ann');
select is((select count(*)::int from public.notification_deliveries), 4, 'ann reads the status of her own deliveries only');
select is(tests.error_code($$ select user_id from public.notification_deliveries $$), '42501', 'user_id is not client-readable');
select is(tests.error_code($$ select payload from public.notification_deliveries $$), '42501', 'the payload is not client-readable');
select is(tests.error_code($$ select last_error, attempts from public.notification_deliveries $$), '42501',
          'errors and attempts are not client-readable');
select is(tests.error_code($$ update public.notification_deliveries set status = 'sent' where true $$), '42501',
          'users cannot change a delivery');
select is(tests.error_code($$ delete from public.notification_deliveries where true $$), '42501', 'users cannot delete deliveries');
select is(tests.error_code(format($$ insert into public.notification_deliveries (user_id, kind, channel, payload) values (%L, 'x', 'email', '{}') $$, :'ann')),
          '42501', 'users cannot insert deliveries');
select is(tests.error_code($$ select * from private.claim_notification_deliveries(10, 60) $$), '42501', 'users cannot claim');
select tests.authenticate_as('ben');
select is((select count(*)::int from public.notification_deliveries), 3, 'ben reads his three');
select is((select count(*)::int from public.notification_deliveries where id in
           (select d.id from public.notification_deliveries d where d.notification_id = :'ann_n1')), 0, 'none of ann''s');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select id from public.notification_deliveries $$), '42501', 'anon reads nothing');
select tests.clear_authentication();

-- Claim and record ----------------------------------------------------------------------------------
select tests.authenticate_as_service_role();
create temporary table claim1 on commit drop as select * from private.claim_notification_deliveries(3, 120);
grant select on claim1 to service_role;
select is((select count(*)::int from claim1), 3, 'a claim returns at most batch_size rows');
select ok((select bool_and(status = 'sending' and attempts = 1 and next_attempt_at = now() + interval '120 seconds') from claim1),
          'claimed rows are sending, attempt 1, with the lease as next_attempt_at');
create temporary table claim2 on commit drop as select * from private.claim_notification_deliveries(100, 120);
select is((select count(*)::int from claim2), 5, 'a second claim takes the rest, never a row under lease');
select is((select count(*)::int from claim1 join claim2 using (id)), 0, 'no row is claimed twice');
select is((select count(*)::int from private.claim_notification_deliveries(100, 120)), 0, 'nothing is left to claim');

select id as c1 from claim1 order by id limit 1 \gset
select id as c2 from claim1 order by id offset 1 limit 1 \gset
select id as c3 from claim1 order by id offset 2 limit 1 \gset
select id as c4 from claim2 order by id limit 1 \gset
select id as c5 from claim2 order by id offset 1 limit 1 \gset
select is(private.record_notification_deliveries(format('[{"id":"%s","attempt":1,"outcome":"sent","provider_message_id":"m-1"},
                                                         {"id":"%s","attempt":1,"outcome":"retry","error":"421 try later"},
                                                         {"id":"%s","attempt":1,"outcome":"failed","error":"550 no such user"},
                                                         {"id":"%s","attempt":7,"outcome":"sent"}]',
                                                  :'c1', :'c2', :'c3', :'c4')::jsonb), 3,
          'record changes the current claims only (attempt 7 of a row claimed once is stale)');
select tests.clear_authentication();
select results_eq(format($$ select status, sent_at is not null, provider_message_id from public.notification_deliveries where id = %L $$, :'c1'),
                  $$ values ('sent', true, 'm-1') $$, 'sent: status, sent_at and the provider id');
select results_eq(format($$ select status, last_error, next_attempt_at between now() + interval '15 seconds' and now() + interval '45 seconds'
                            from public.notification_deliveries where id = %L $$, :'c2'),
                  $$ values ('queued', '421 try later', true) $$, 'retry: queued again after 30 s with jitter (15-45 s)');
select results_eq(format($$ select status, last_error, sent_at from public.notification_deliveries where id = %L $$, :'c3'),
                  $$ values ('failed', '550 no such user', null::timestamptz) $$, 'failed (permanent): not retried');
select is((select status from public.notification_deliveries where id = :'c4'), 'sending', 'a stale result changes nothing');
-- the backoff doubles and is capped
select ok((select bool_and(private.delivery_backoff(5) between interval '240 seconds' and interval '720 seconds')
           from generate_series(1, 50)), 'the 5th retry waits 480 s x 0.5-1.5');
select ok((select bool_and(private.delivery_backoff(20) between interval '3 hours' and interval '9 hours')
           from generate_series(1, 50)), 'the delay is capped at 6 h (x jitter)');
select ok((select count(distinct private.delivery_backoff(3)) > 40 from generate_series(1, 50)), 'the delay is jittered');
-- retry_after_seconds is honoured
select tests.authenticate_as_service_role();
select private.record_notification_deliveries(format('[{"id":"%s","attempt":1,"outcome":"retry","retry_after_seconds":600}]', :'c5')::jsonb);
select tests.clear_authentication();
select ok((select next_attempt_at >= now() + interval '600 seconds' from public.notification_deliveries where id = :'c5'),
          'a retry waits at least the provider''s Retry-After');
-- out of attempts, or past a day: failed
update public.notification_deliveries set status = 'sending', attempts = 12 where id = :'c2';
select tests.authenticate_as_service_role();
select private.record_notification_deliveries(format('[{"id":"%s","attempt":12,"outcome":"retry","error":"timeout"}]', :'c2')::jsonb);
select tests.clear_authentication();
select is((select status from public.notification_deliveries where id = :'c2'), 'failed', 'a retry after the 12th attempt fails');
update public.notification_deliveries set status = 'sending', attempts = 2, created_at = now() - interval '23 hours 59 minutes 50 seconds'
 where id = :'c5';
select tests.authenticate_as_service_role();
select private.record_notification_deliveries(format('[{"id":"%s","attempt":2,"outcome":"retry","error":"timeout"}]', :'c5')::jsonb);
select tests.clear_authentication();
select is((select status from public.notification_deliveries where id = :'c5'), 'failed',
          'a retry that would fall more than a day after queueing fails');
-- an expired lease: claimable again, attempt 2; a lease expired on attempt 12: failed
update public.notification_deliveries set next_attempt_at = now() - interval '1 second' where id = :'c4';
select tests.authenticate_as_service_role();
select results_eq($$ select id, attempts, status from private.claim_notification_deliveries(100, 60) $$,
                  format($$ values (%L::uuid, 2, 'sending') $$, :'c4'),
                  'a delivery whose lease expired (dispatcher crashed) is claimed again as attempt 2');
select tests.clear_authentication();
update public.notification_deliveries set next_attempt_at = now() - interval '1 second', attempts = 12 where id = :'c4';
select tests.authenticate_as_service_role();
select is((select count(*)::int from private.claim_notification_deliveries(100, 60)), 0, 'not when it was the last attempt');
select tests.clear_authentication();
select results_eq(format($$ select status, last_error from public.notification_deliveries where id = %L $$, :'c4'),
                  $$ values ('failed', 'lease expired on the last attempt') $$, 'it fails instead');
-- bad input
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select * from private.claim_notification_deliveries(0, 60) $$), 'invalid_input', 'batch_size 0 is invalid_input');
select is(tests.error_code($$ select * from private.claim_notification_deliveries(10, 1) $$), 'invalid_input', 'a lease under 5 s is invalid_input');
select is(tests.error_code($$ select private.record_notification_deliveries('{"id":1}') $$), 'invalid_input', 'results must be an array');
select is(tests.error_code($$ select private.record_notification_deliveries('[{"id":"00000000-0000-0000-0000-000000000000","attempt":1,"outcome":"delivered"}]') $$),
          'invalid_input', 'an unknown outcome is invalid_input');
select is(tests.error_code($$ select private.record_notification_deliveries('[{"id":"nope","attempt":1,"outcome":"sent"}]') $$),
          'invalid_input', 'a bad id is invalid_input');
select tests.clear_authentication();

-- Cancellations -------------------------------------------------------------------------------------
insert into public.sessions (id, title, starts_at, status, visibility, created_by) values
  ('00000000-0000-0000-0000-0000000000f1', 'Soon', now() + interval '20 minutes', 'scheduled', 'public', :'host'),
  ('00000000-0000-0000-0000-0000000000f2', 'Other', now() + interval '20 minutes', 'scheduled', 'public', :'host'),
  ('00000000-0000-0000-0000-0000000000f3', 'Moved', now() + interval '20 minutes', 'scheduled', 'public', :'host');
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-0000-0000-0000000000f3', :'cohost', 'moderator');
select tests.authenticate_as('ann');
select public.book_session('00000000-0000-0000-0000-0000000000f1');
select public.book_session('00000000-0000-0000-0000-0000000000f2');
select public.book_session('00000000-0000-0000-0000-0000000000f3');
select tests.authenticate_as('ben');
select public.book_session('00000000-0000-0000-0000-0000000000f1');
select public.book_session('00000000-0000-0000-0000-0000000000f2');
select public.book_session('00000000-0000-0000-0000-0000000000f3');
select tests.clear_authentication();
-- a 30 minute reminder each, due now
insert into public.session_reminders (session_id, user_id, minutes_before)
select s.id, u.id, 30 from unnest(array['00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000f2',
                                        '00000000-0000-0000-0000-0000000000f3']::uuid[]) s (id)
cross join unnest(array[:'ann', :'ben']::uuid[]) u (id);
select private.send_due_reminders();
select is((select count(*)::int from public.notification_deliveries where kind = 'session_reminder' and status = 'queued'
           and session_id in ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000f3')),
          9, 'the reminder job queues the reminders: ann email + push, ben email, three sessions');
-- one of f2's is already sent: it stays sent
update public.notification_deliveries set status = 'sent', sent_at = now()
 where session_id = '00000000-0000-0000-0000-0000000000f2' and user_id = :'ben' and kind = 'session_reminder';
select tests.authenticate_as('host');
select public.cancel_session('00000000-0000-0000-0000-0000000000f2', 'ill');
select tests.clear_authentication();
select results_eq($$ select status, last_error, count(*)::int from public.notification_deliveries
                     where session_id = '00000000-0000-0000-0000-0000000000f2' and kind = 'session_reminder'
                     group by 1, 2 order by 1 $$,
                  $$ values ('cancelled', 'session cancelled', 2), ('sent', null, 1) $$,
                  'cancelling a session cancels its queued reminders; a sent one stays sent');
select is((select count(*)::int from public.notification_deliveries
           where session_id = '00000000-0000-0000-0000-0000000000f2' and kind = 'session_cancelled' and status = 'queued'), 3,
          'while the session_cancelled deliveries are queued');
select tests.authenticate_as('ben');
select public.cancel_booking('00000000-0000-0000-0000-0000000000f1');
select tests.clear_authentication();
select results_eq($$ select user_id, status from public.notification_deliveries
                     where session_id = '00000000-0000-0000-0000-0000000000f1' and kind = 'session_reminder' order by 1, 2 $$,
                  format($$ select * from (values (%L::uuid, 'queued'), (%L::uuid, 'queued'), (%L::uuid, 'cancelled')) v order by 1, 2 $$,
                         :'ann', :'ann', :'ben'),
                  'cancelling a booking cancels that user''s queued reminders only');
-- reschedule: queued reminders cancelled, everyone booked and the staff learn the new time
select tests.authenticate_as('host');
select public.reschedule_session('00000000-0000-0000-0000-0000000000f3', now() + interval '2 days');
select tests.clear_authentication();
select is((select count(*)::int from public.notification_deliveries
           where session_id = '00000000-0000-0000-0000-0000000000f3' and kind = 'session_reminder' and status = 'queued'), 0,
          'rescheduling cancels the queued reminders (they are re-armed for the new time)');
select set_eq($$ select user_id from public.notifications where kind = 'session_rescheduled'
                 and data ->> 'session_id' = '00000000-0000-0000-0000-0000000000f3' $$,
              format($$ values (%L::uuid), (%L::uuid), (%L::uuid) $$, :'ann', :'ben', :'cohost'),
              'session_rescheduled reaches the booked users and the other staff, not the host who moved it');
select is((select body from public.notifications where kind = 'session_rescheduled' and user_id = :'ben'),
          'Now starts ' || private.format_local_time(now() + interval '2 days', 'America/New_York') || '.',
          'in the reader''s own time zone, with its abbreviation');
select is((select count(*)::int from public.notification_deliveries where kind = 'session_rescheduled' and status = 'queued'
           and session_id = '00000000-0000-0000-0000-0000000000f3'), 4,
          'and its email and push deliveries are queued (ann 2, ben 1, cohost 1)');

-- Dispatcher helpers ---------------------------------------------------------------------------------
select is(has_function_privilege('authenticated', 'private.notification_delivery_context(uuid[])', 'EXECUTE')
          or has_function_privilege('authenticated', 'private.unsubscribe_email(uuid, text)', 'EXECUTE')
          or has_function_privilege('authenticated', 'private.suppress_email(text, text, text)', 'EXECUTE')
          or has_function_privilege('anon', 'private.unsubscribe_email(uuid, text)', 'EXECUTE'), false,
          'clients cannot read delivery context, unsubscribe others or suppress addresses');
select is(private.zone_abbreviation('2026-07-15 12:00Z', 'Europe/Amsterdam'), 'CEST', 'zone_abbreviation: CEST in summer');
select is(private.zone_abbreviation('2026-01-15 12:00Z', 'Europe/Amsterdam'), 'CET', 'CET in winter');
select is(private.zone_abbreviation('2026-01-15 12:00Z', 'Asia/Dubai'), 'UTC+04', 'an offset where the zone has no abbreviation');
-- channels: a dispatcher that sends only email never claims push
update public.notification_deliveries set status = 'cancelled' where status in ('queued', 'sending') and next_attempt_at <= now();
select private.notify(:'ann', 'session_cancelled', 'Channels', null, null, '{"session_id":"00000000-0000-0000-0000-0000000000f1"}') as ann_n6 \gset
select tests.authenticate_as_service_role();
select results_eq($$ select channel from private.claim_notification_deliveries(100, 60, array['email']) $$,
                  $$ values ('email') $$, 'a claim limited to email leaves the push delivery queued');
select results_eq(format($$ select email, email_enabled, push_enabled, attach_ics, locale, timezone, session_title, starts_at,
                                   zone_abbreviation, booking_status, reminder_minutes
                            from private.notification_delivery_context(array(select id from public.notification_deliveries
                                                                             where notification_id = %L and channel = 'email')) $$, :'ann_n6'),
                  $$ select 'ann@test.local', true, true, true, 'en', 'Europe/Amsterdam', 'Soon', s.starts_at,
                            private.zone_abbreviation(s.starts_at, 'Europe/Amsterdam'), 'confirmed', array[15, 30]
                     from public.sessions s where s.id = '00000000-0000-0000-0000-0000000000f1' $$,
                  'the delivery context: address, channels, language, zone, session, booking and reminders of the reader');
select is(private.unsubscribe_email(:'ann', 'session_cancelled'), true, 'unsubscribe_email turns a kind''s email off');
select tests.clear_authentication();
select results_eq(format($$ select in_app, email, push from private.notification_channels(%L, 'session_cancelled') $$, :'ann'),
                  $$ values (true, false, true) $$, 'only email, in_app and push stay on');
select is((select count(*)::int from public.notification_deliveries
           where user_id = :'ann' and kind = 'session_cancelled' and channel = 'email' and status = 'queued'), 0,
          'and that kind''s queued emails are cancelled');
select is(private.unsubscribe_email(gen_random_uuid(), 'session_cancelled'), false, 'an unknown user: false, nothing written');
select private.suppress_email('  Ben@Test.Local ', 'bounce', '550 no such user');
select is((select reason from private.email_suppressions where email = 'ben@test.local'), 'bounce', 'suppress_email stores the address in lower case');
select private.notify(:'ben', 'session_cancelled', 'Suppressed') as ben_n7 \gset
select is((select count(*)::int from public.notification_deliveries where notification_id = :'ben_n7'), 0,
          'a suppressed address gets no email delivery');

select is(private.dispatch_notifications_via_http(), null,
          'without pg_net (or its Vault secrets) the HTTP dispatch job does nothing (npm start dispatches locally)');
select is(exists (select 1 from cron.job where jobname = 'dispatch-notifications'),
          exists (select 1 from pg_available_extensions where name = 'pg_net'),
          'the dispatch-notifications cron job exists exactly where pg_net does');

-- Every kind a function notifies with is registered: an unregistered kind would reach people in-app
-- only, whatever channels they chose (announcements, tickets and appointments once were).
select is((select coalesce(array_agg(distinct m[1] order by m[1]), '{}')
           from pg_proc p cross join lateral regexp_matches(p.prosrc, $re$notify[a-z_]*\([^,;]+?,\s*'([a-z_]+)'$re$, 'g') m
           where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
             and m[1] not in (select kind from public.notification_kinds)), '{}'::text[],
          'every notification kind used by a function is registered in notification_kinds');

select * from finish();
rollback;
