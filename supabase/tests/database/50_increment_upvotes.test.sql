-- increment_upvotes (issue 19, item 2): the design card's name for upvoting. Once per user like
-- upvote_question (a repeat is already_upvoted, 409), returns the new count; the same rules for
-- members, bans, pending questions, outsiders, anon and service_role.
begin;
\ir ../helpers.sql
select plan(16);

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"Mia Member"}');
select tests.create_supabase_user('max', metadata => '{"display_name":"Max Member"}');
select tests.create_supabase_user('bea', metadata => '{"display_name":"Bea Banned"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');

insert into public.sessions (id, title, status, visibility, starts_at, started_at, qa_moderation, created_by) values
  ('00000000-0000-4000-8000-0000000051a1', 'Q&A', 'live', 'members', now(), now(), false, tests.get_supabase_uid('hana'));
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid(u), 'confirmed' from unnest(array['mia', 'max', 'bea']) u;
insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid('bea'));
insert into public.questions (id, session_id, user_id, body, status) values
  ('00000000-0000-4000-8000-0000000051b1', '00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid('mia'), 'Published?', 'published'),
  ('00000000-0000-4000-8000-0000000051b2', '00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid('mia'), 'Pending?', 'pending');

select function_returns('public', 'increment_upvotes', array['uuid'], 'integer', 'increment_upvotes(question_id uuid) returns the new count');

select tests.authenticate_as('mia');
select is(public.increment_upvotes('00000000-0000-4000-8000-0000000051b1'), 1, 'the first upvote returns 1');
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$), 'already_upvoted',
          'a repeat is already_upvoted');
select is(tests.error_status($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$), 409, 'already_upvoted answers 409');
select is(tests.error_code($$ select public.upvote_question('00000000-0000-4000-8000-0000000051b1') $$), 'already_upvoted',
          'upvote_question sees the same upvote (one rule, two names)');
select tests.authenticate_as('max');
select is(public.increment_upvotes('00000000-0000-4000-8000-0000000051b1'), 2, 'another member''s upvote returns the new count, 2');
select is((public.withdraw_upvote('00000000-0000-4000-8000-0000000051b1')) ->> 'upvote_count', '1', 'withdraw_upvote undoes it');
select is(public.increment_upvotes('00000000-0000-4000-8000-0000000051b1'), 2, 'and upvoting again counts again');
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b2') $$), 'not_found',
          'a pending question of someone else is not_found');
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051ff') $$), 'not_found',
          'an unknown question is not_found');
select tests.authenticate_as('bea');
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$), 'banned', 'a banned member cannot upvote');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$), 'forbidden',
          'an outsider cannot upvote in a session they can see');
select tests.authenticate_as_anon();
select throws_ok($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$, '42501', null, 'anon cannot call it');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select public.increment_upvotes('00000000-0000-4000-8000-0000000051b1') $$), 'not_authenticated',
          'service_role has no user to upvote as: not_authenticated');
select tests.clear_authentication();
select is((select upvote_count from public.questions where id = '00000000-0000-4000-8000-0000000051b1'), 2, 'the stored count is exact');
select is((select count(*)::int from public.question_upvotes where question_id = '00000000-0000-4000-8000-0000000051b1'), 2,
          'one upvote row per user');

select * from finish();
rollback;
