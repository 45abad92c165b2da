-- Account lifecycle: deactivate_user / reactivate_user (admins only, audited, future bookings
-- cancelled with the waitlist promoted, no new token), every write of a deactivated user refused
-- with account_deactivated (403) whatever the path, the account_status claim, last_seen_at updated
-- at most once per 5 minutes, and delete_my_account / delete_user: personal data erased, public
-- contributions kept under "Deleted user", counts unchanged.
begin;
\ir ../helpers.sql
select plan(54);

select tests.create_supabase_user('ada');
select tests.create_supabase_user('hank');
select tests.create_supabase_user('dora');   -- will be deactivated
select tests.create_supabase_user('will');   -- waitlisted behind dora
select tests.create_supabase_user('xena');   -- deletes her account
select tests.create_supabase_user('otto');   -- deleted by an admin
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hank');
select set_config('tests.audit_from', (select coalesce(max(id), 0)::text from public.audit_log), true);
select set_config('tests.dora', tests.get_supabase_uid('dora')::text, true);
select set_config('tests.xena', tests.get_supabase_uid('xena')::text, true);

insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by, started_at) values
  ('eeeeeeee-0000-4000-8000-000000000001', 'Full workshop', now() + interval '2 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('hank'), null),
  ('eeeeeeee-0000-4000-8000-000000000002', 'Open workshop', now() + interval '3 days', 'scheduled', 'public', null, false, tests.get_supabase_uid('hank'), null),
  ('eeeeeeee-0000-4000-8000-000000000003', 'Live now', now() - interval '5 minutes', 'live', 'public', null, false, tests.get_supabase_uid('hank'), now() - interval '5 minutes');
select tests.authenticate_as('dora');
select is((public.book_session('eeeeeeee-0000-4000-8000-000000000001')).status, 'confirmed', 'dora takes the only seat');
select tests.authenticate_as('will');
select is((public.book_session('eeeeeeee-0000-4000-8000-000000000001')).status, 'waitlisted', 'will waits behind her');
select tests.authenticate_as('xena');
select lives_ok($$ select public.book_session('eeeeeeee-0000-4000-8000-000000000003') $$, 'xena books the live session');
select lives_ok($$ select public.send_chat_message('eeeeeeee-0000-4000-8000-000000000003', 'Hello from Xena') $$, 'xena chats');
select lives_ok($$ select public.ask_question('eeeeeeee-0000-4000-8000-000000000003', 'Will there be slides?') $$, 'xena asks');
select lives_ok($$ select public.create_calendar_feed() $$, 'xena has a calendar feed');
select lives_ok($$ select public.open_support_ticket('Invoice please', 'Please send me an invoice.') $$, 'xena has a support ticket');
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
  values (tests.get_supabase_uid('xena'), 'https://fcm.googleapis.com/fcm/send/xena', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg')
  on conflict do nothing;
insert into public.notification_preferences (user_id, kind, email) values (tests.get_supabase_uid('xena'), 'direct_message', false);

-- last_seen_at --------------------------------------------------------------------------------------
select tests.clear_authentication();
select ok((select last_seen_at is not null from public.profiles where id = tests.get_supabase_uid('xena')), 'a write sets last_seen_at');
update public.profiles set last_seen_at = now() - interval '2 minutes' where id = tests.get_supabase_uid('hank');
select tests.authenticate_as('hank');
select lives_ok($$ select public.send_chat_message('eeeeeeee-0000-4000-8000-000000000003', 'Welcome all') $$, 'hank chats');
select tests.clear_authentication();
select is((select now() - last_seen_at from public.profiles where id = tests.get_supabase_uid('hank')), interval '2 minutes',
          'within 5 minutes of the last mark, last_seen_at is not written again');
update public.profiles set last_seen_at = now() - interval '6 minutes' where id = tests.get_supabase_uid('hank');
select tests.authenticate_as('hank');
select lives_ok($$ select public.send_chat_message('eeeeeeee-0000-4000-8000-000000000003', 'Starting now') $$, 'hank chats again');
select tests.clear_authentication();
select is((select last_seen_at from public.profiles where id = tests.get_supabase_uid('hank')), now(),
          'after 5 minutes the next write marks last_seen_at again');

-- Deactivation --------------------------------------------------------------------------------------
select tests.authenticate_as('hank');
select is(tests.error_code($$ select public.deactivate_user(current_setting('tests.dora')::uuid, 'spam') $$), 'forbidden',
          'a coach cannot deactivate users');
select tests.authenticate_as_anon();
select throws_ok($$ select public.deactivate_user(current_setting('tests.dora')::uuid, 'spam') $$, '42501', null,
                 'anon cannot deactivate users');
select tests.authenticate_as('ada');
select is(tests.error_code($$ select public.deactivate_user((select auth.uid()), 'me') $$), 'conflict', 'an admin account cannot be deactivated');
select is(tests.error_code($$ select public.deactivate_user(gen_random_uuid(), 'who') $$), 'not_found', 'an unknown user is not_found');
select is((public.deactivate_user(current_setting('tests.dora')::uuid, '  Repeated spam  ')).status::text, 'deactivated',
          'ada deactivates dora');
select is(tests.error_code($$ select public.deactivate_user(current_setting('tests.dora')::uuid, 'again') $$), 'invalid_transition',
          'deactivating twice is invalid_transition');
select tests.clear_authentication();
select is((select banned_until from auth.users where id = tests.get_supabase_uid('dora')), 'infinity'::timestamptz,
          'Supabase Auth issues dora no new token');
select results_eq($$ select user_id = tests.get_supabase_uid('dora'), status from public.bookings
                     where session_id = 'eeeeeeee-0000-4000-8000-000000000001' order by user_id = tests.get_supabase_uid('dora') $$,
                  $$ values (false, 'confirmed'::text), (true, 'cancelled'::text) $$,
                  'dora''s booking is cancelled and will is promoted to the seat');
select is((select count(*)::int from private.session_seat_drift()), 0, 'the seat counts still match the bookings');
select results_eq($$ select actor_id, before, after, details ->> 'reason', (details ->> 'bookings_cancelled')::int from public.audit_log
                     where id > current_setting('tests.audit_from')::bigint and action = 'user_deactivated' $$,
                  $$ values (tests.get_supabase_uid('ada'), '{"status":"active"}'::jsonb, '{"status":"deactivated"}'::jsonb,
                             'Repeated spam'::text, 1) $$,
                  'the deactivation is audited with its reason');
select is(tests.user_claims('dora') ->> 'account_status', 'deactivated', 'the access token hook adds account_status');
select is(tests.user_claims('hank') ->> 'account_status', 'active', 'active for everyone else');

-- A deactivated user writes nothing ----------------------------------------------------------------
select tests.authenticate_as('dora');
select is(tests.error_code($$ select public.book_session('eeeeeeee-0000-4000-8000-000000000002') $$), 'account_deactivated',
          'booking is refused with account_deactivated');
select is(tests.error_status($$ select public.book_session('eeeeeeee-0000-4000-8000-000000000002') $$), 403, 'status 403');
select is(tests.error_code($$ select public.join_session('eeeeeeee-0000-4000-8000-000000000003') $$), 'account_deactivated',
          'joining a live session is refused');
select is(tests.error_code($$ select public.set_reminder('eeeeeeee-0000-4000-8000-000000000002', 30) $$), 'account_deactivated',
          'setting a reminder is refused');
select is(tests.error_code($$ select public.open_support_ticket('Let me back in', 'Why was I deactivated?') $$), 'account_deactivated',
          'opening a ticket is refused');
select is(tests.error_code($$ select public.start_conversation(array[tests.get_supabase_uid('will')]) $$), 'account_deactivated',
          'starting a conversation is refused');
select is(tests.error_code($$ select public.apply_as_coach('I would like to coach people here, really.') $$), 'account_deactivated',
          'applying as coach is refused');
select is(tests.error_code($$ update public.profiles set bio = 'still here' where id = (select auth.uid()) $$), 'account_deactivated',
          'editing the profile is refused');
select is(tests.error_code($$ insert into public.notification_preferences (kind, push) values ('session_reminder', false) $$),
          'account_deactivated', 'writing preferences through the table is refused');
select is(tests.error_code($$ select public.create_calendar_feed() $$), 'account_deactivated', 'creating a calendar feed is refused');

-- Reactivation ----------------------------------------------------------------------------------------
select tests.authenticate_as('ada');
select is((public.reactivate_user(current_setting('tests.dora')::uuid)).status::text, 'active', 'ada reactivates dora');
select is(tests.error_code($$ select public.reactivate_user(current_setting('tests.dora')::uuid) $$), 'invalid_transition',
          'reactivating an active account is invalid_transition');
select tests.authenticate_as('dora');
select lives_ok($$ select public.book_session('eeeeeeee-0000-4000-8000-000000000002') $$, 'dora books again');
select tests.clear_authentication();
select is((select banned_until from auth.users where id = tests.get_supabase_uid('dora')), null, 'and may sign in again');
select is((select count(*)::int from public.audit_log where id > current_setting('tests.audit_from')::bigint
           and action = 'user_reactivated' and actor_id = tests.get_supabase_uid('ada')), 1, 'the reactivation is audited');

-- delete_my_account ------------------------------------------------------------------------------------
select set_config('tests.messages_before', (select count(*)::text from public.chat_messages where session_id = 'eeeeeeee-0000-4000-8000-000000000003'), true);
select set_config('tests.questions_before', (select count(*)::text from public.questions where session_id = 'eeeeeeee-0000-4000-8000-000000000003'), true);
select set_config('tests.bookings_before', (select count(*)::text from public.bookings where session_id = 'eeeeeeee-0000-4000-8000-000000000003'), true);
select tests.authenticate_as('xena');
select is((public.delete_my_account()).status::text, 'deleted', 'xena deletes her account');
select tests.clear_authentication();
select results_eq($$ select display_name, avatar_url, company, title, bio, last_seen_at from public.profiles where id = current_setting('tests.xena')::uuid $$,
                  $$ values ('Deleted user'::text, null::text, null::text, null::text, null::text, null::timestamptz) $$,
                  'her profile keeps no personal data');
select results_eq($$ select email like 'deleted-%@deleted.invalid', phone, raw_user_meta_data, banned_until
                     from auth.users where id = current_setting('tests.xena')::uuid $$,
                  $$ values (true, null::text, '{}'::jsonb, 'infinity'::timestamptz) $$,
                  'no email, phone or metadata remains, and no sign-in');
select is((select count(*)::int from auth.identities where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.push_subscriptions where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.notification_preferences where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.notifications where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.calendar_feeds where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.session_reminders where user_id = current_setting('tests.xena')::uuid)
          + (select count(*)::int from public.support_tickets where user_id = current_setting('tests.xena')::uuid), 0,
          'identities, push subscriptions, preferences, notifications, feeds, reminders and tickets are erased');
select results_eq($$ select (select count(*)::text from public.chat_messages where session_id = 'eeeeeeee-0000-4000-8000-000000000003'),
                            (select count(*)::text from public.questions where session_id = 'eeeeeeee-0000-4000-8000-000000000003'),
                            (select count(*)::text from public.bookings where session_id = 'eeeeeeee-0000-4000-8000-000000000003') $$,
                  $$ values (current_setting('tests.messages_before'), current_setting('tests.questions_before'),
                             current_setting('tests.bookings_before')) $$,
                  'her messages, questions and booking rows remain: counts and reports do not change');
select is((select p.display_name from public.chat_messages m join public.profiles p on p.id = m.user_id
           where m.body = 'Hello from Xena'), 'Deleted user', 'her public message now reads as from "Deleted user"');
select is((select count(*)::int from private.session_seat_drift()), 0, 'the seat counts still match the bookings');
-- Her metadata (and the tests' identifier in it) is gone: a token she still holds, by hand.
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', jsonb_build_object('sub', current_setting('tests.xena'), 'role', 'authenticated')::text, true);
select is(tests.error_code($$ select public.open_support_ticket('Ghost ticket', 'Still here?') $$), 'account_deactivated',
          'a deleted account writes nothing');
select is(tests.error_code($$ select public.send_chat_message('eeeeeeee-0000-4000-8000-000000000003', 'Ghost') $$), 'forbidden',
          'nor chats: her booking went with the account');
select is(tests.error_code($$ select public.delete_my_account() $$), 'invalid_transition', 'and cannot be deleted twice');

-- delete_user ----------------------------------------------------------------------------------------
select tests.authenticate_as('hank');
select is(tests.error_code($$ select public.delete_user(tests.get_supabase_uid('otto')) $$), 'forbidden', 'a coach cannot delete users');
select tests.authenticate_as('ada');
select is((public.delete_user(tests.get_supabase_uid('otto'))).display_name, 'Deleted user', 'an admin deletes otto');
select tests.clear_authentication();
select results_eq($$ select action, actor_id from public.audit_log where id > current_setting('tests.audit_from')::bigint
                     and action in ('user_deleted', 'account_deleted') order by action $$,
                  $$ values ('account_deleted'::text, current_setting('tests.xena')::uuid), ('user_deleted', tests.get_supabase_uid('ada')) $$,
                  'both deletions are audited, with who did them');

-- Private notes (33_counselling.sql) are personal data of their author: erased with the account.
insert into public.session_notes (session_id, body, author_id)
values ('eeeeeeee-0000-4000-8000-000000000003', 'Private: seems anxious about the move.', tests.get_supabase_uid('hank'));
select set_config('tests.hank', tests.get_supabase_uid('hank')::text, true);  -- his email goes with the account
select tests.authenticate_as('ada');
select is((public.delete_user(current_setting('tests.hank')::uuid)).status::text, 'deleted', 'an admin deletes hank, who wrote a private note');
select tests.clear_authentication();
select is((select count(*)::int from public.session_notes where author_id = current_setting('tests.hank')::uuid), 0,
          'the private notes he wrote are erased with his account');

select * from finish();
rollback;
