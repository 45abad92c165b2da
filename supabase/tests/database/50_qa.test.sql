-- Q&A: ask_question, upvote_question, withdraw_upvote, moderate_question, the session_questions
-- view, the RLS matrix of questions and question_upvotes, anonymity (author invisible to other
-- members in rows, view, RPC answers and broadcasts), moderation visibility, exact upvote counts
-- and the question_updated broadcast.
begin;
\ir ../helpers.sql
select plan(81);


-- Actors: hana hosts, mo moderates, mia and max are booked members, bea is booked but banned,
-- otto is signed in but not a member.
select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"Mia Member"}');
select tests.create_supabase_user('max', metadata => '{"display_name":"Max Member"}');
select tests.create_supabase_user('bea', metadata => '{"display_name":"Bea Banned"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');

-- q1: members-only, open Q&A; q2: moderated; q3: private, no anonymous questions; q4: ended.
insert into public.sessions (id, title, status, visibility, starts_at, started_at, ended_at, qa_moderation,
                             allow_anonymous_questions, created_by)
values ('00000000-0000-4000-8000-0000000050a1', 'Open Q&A', 'live', 'members', now(), now(), null, false, true, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000050a2', 'Moderated', 'live', 'members', now(), now(), null, true, true, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000050a3', 'Private', 'live', 'private', now(), now(), null, false, false, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000050a4', 'Over', 'ended', 'members', now() - interval '2 hours',
        now() - interval '2 hours', now() - interval '1 hour', false, true, tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role)
select s.id, tests.get_supabase_uid('mo'), 'moderator' from public.sessions s where s.id::text like '00000000-0000-4000-8000-0000000050a_';
insert into public.bookings (session_id, user_id, status)
select s.id, tests.get_supabase_uid(u), 'confirmed'
from public.sessions s cross join unnest(array['mia', 'max', 'bea']) u
where s.id::text like '00000000-0000-4000-8000-0000000050a_';
insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000050a1', tests.get_supabase_uid('bea'));

-- Structure ---------------------------------------------------------------------------------------
select policies_are('public', 'questions', array['deactivated accounts read nothing', 'members read published questions, authors their own and staff all']);
select policies_are('public', 'question_upvotes', array['deactivated accounts read nothing', 'users read their own upvotes']);
select is(has_column_privilege('authenticated', 'public.questions', 'user_id', 'select'), false,
          'clients cannot select questions.user_id (anonymity)');
select is(has_table_privilege('authenticated', 'public.questions', 'insert') or has_table_privilege('authenticated', 'public.questions', 'update')
          or has_table_privilege('authenticated', 'public.questions', 'delete'), false, 'clients cannot write questions directly');
select is(has_table_privilege('authenticated', 'public.question_upvotes', 'insert') or has_table_privilege('authenticated', 'public.question_upvotes', 'delete'),
          false, 'clients cannot write upvotes directly');
select is(has_table_privilege('anon', 'public.session_questions', 'select'), false, 'anon cannot read the questions view');

-- ask_question ------------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is((public.ask_question('00000000-0000-4000-8000-0000000050a1', '  What is the plan?  ')) ->> 'status', 'published',
          'a member asks; without moderation the question is published');
select set_config('tests.q_named', (select id::text from public.questions where body = 'What is the plan?'), true);
select is((select body from public.questions where id = current_setting('tests.q_named')::uuid), 'What is the plan?', 'the body is stored trimmed');
select set_config('tests.q_anon', (public.ask_question('00000000-0000-4000-8000-0000000050a1', 'Who pays for lunch?', true)) ->> 'id', true);
select is((select author_id from public.session_questions where id = current_setting('tests.q_anon')::uuid), tests.get_supabase_uid('mia'),
          'the author of an anonymous question sees themself as its author');
select is((select is_mine from public.session_questions where id = current_setting('tests.q_anon')::uuid), true, 'is_mine is true for the author');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', '   ') $$), 'invalid_input', 'an empty body is invalid_input');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', E'\u00a0\n\u200b') $$), 'invalid_input',
          'a body of Unicode blanks is invalid_input');
select is(tests.error_code(format($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', %L) $$, repeat('x', 501))), 'invalid_input',
          'a 501-character body is invalid_input');
select is(tests.error_status($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', null) $$), 400, 'invalid_input answers 400');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a3', 'Anonymous?', true) $$), 'forbidden',
          'anonymous questions are forbidden when the session does not allow them');
select is((public.ask_question('00000000-0000-4000-8000-0000000050a3', 'Named is fine')) ->> 'is_anonymous', 'false',
          'the same session accepts a named question');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a4', 'Too late?') $$), 'invalid_transition',
          'no questions in an ended session');
select set_config('tests.q_pending', (public.ask_question('00000000-0000-4000-8000-0000000050a2', 'Moderated question')) ->> 'id', true);
select is((select status from public.questions where id = current_setting('tests.q_pending')::uuid), 'pending',
          'with qa_moderation a new question is pending');
select tests.authenticate_as('bea');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', 'Let me in') $$), 'banned', 'a banned member cannot ask');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', 'Hello?') $$), 'forbidden',
          'an outsider cannot ask in a session they can see');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a3', 'Hello?') $$), 'not_found',
          'an outsider gets not_found for a private session');
select tests.authenticate_as_anon();
select throws_ok($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', 'anon') $$, '42501', null, 'anon cannot call ask_question');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000050a1', 'service') $$), 'not_authenticated',
          'the service role cannot ask (a question needs a user)');

-- Anonymity: another member, the view, the table, RPC answers and broadcasts ----------------------
select tests.authenticate_as('max');
select is((select author_id from public.session_questions where id = current_setting('tests.q_anon')::uuid), null,
          'another member does not see the author of an anonymous question in the view');
select is((select author_name from public.session_questions where id = current_setting('tests.q_anon')::uuid), null,
          'nor its author name');
select is((select author_name from public.session_questions where id = current_setting('tests.q_named')::uuid), 'Mia Member',
          'a named question shows its author name');
select throws_ok($$ select user_id from public.questions $$, '42501', null, 'a member cannot select questions.user_id');
select throws_ok($$ select * from public.questions $$, '42501', null, 'select * on questions is refused (it includes user_id)');
select is((select count(*)::int from public.questions where id = current_setting('tests.q_anon')::uuid), 1,
          'the anonymous question itself is readable without its author');
select is(position(tests.get_supabase_uid('mia')::text in public.upvote_question(current_setting('tests.q_anon')::uuid)::text), 0,
          'the upvote answer does not contain the author');
select is(position(tests.get_supabase_uid('mia')::text in (select jsonb_agg(to_jsonb(v))::text from public.session_questions v
                                                          where v.id = current_setting('tests.q_anon')::uuid)), 0,
          'no column of the view row carries the author id');
select tests.authenticate_as('hana');
select is((select author_id from public.session_questions where id = current_setting('tests.q_anon')::uuid), tests.get_supabase_uid('mia'),
          'the host sees the author of an anonymous question');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m
           where m.topic = 'session:00000000-0000-4000-8000-0000000050a1' and m.event = 'question_updated'
             and m.payload ->> 'id' = current_setting('tests.q_anon') and m.private
             and m.payload ->> 'author_name' is null
             and position(tests.get_supabase_uid('mia')::text in m.payload::text) = 0
             and position('Mia' in m.payload::text) = 0), 2,
          'both broadcasts of the anonymous question (asked, upvoted) carry no author id or name');
select is((select array_agg(k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.event = 'question_updated' and m.payload ->> 'id' = current_setting('tests.q_named')),
          array['answer', 'author_name', 'body', 'created_at', 'id', 'is_anonymous', 'session_id', 'status', 'upvote_count'],
          'question_updated carries exactly the curated keys');
select is((select m.payload ->> 'author_name' from realtime.messages m
           where m.event = 'question_updated' and m.payload ->> 'id' = current_setting('tests.q_named')), 'Mia Member',
          'a named question is broadcast with its author name');

-- Moderation visibility --------------------------------------------------------------------------
select is((select count(*)::int from realtime.messages m where m.payload ->> 'id' = current_setting('tests.q_pending')), 0,
          'a pending question is not broadcast to the session');
select tests.authenticate_as('max');
select is((select count(*)::int from public.session_questions where id = current_setting('tests.q_pending')::uuid), 0,
          'another member does not see a pending question');
select is(tests.error_code(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_pending'))), 'not_found',
          'nor can they upvote it (not_found)');
select is(tests.error_code(format($$ select public.moderate_question(%L, 'published') $$, current_setting('tests.q_pending'))), 'forbidden',
          'a member cannot moderate');
select tests.authenticate_as('mia');
select is((select status from public.session_questions where id = current_setting('tests.q_pending')::uuid), 'pending',
          'the author sees their pending question');
select is(tests.error_code(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_pending'))), 'invalid_transition',
          'a pending question cannot be upvoted');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.moderate_question(%L, 'published') $$, current_setting('tests.q_pending'))), 'forbidden',
          'an outsider cannot moderate');
select tests.authenticate_as('mo');
select is((select count(*)::int from public.session_questions where id = current_setting('tests.q_pending')::uuid), 1,
          'the moderator sees the pending question');
select is(tests.error_code(format($$ select public.moderate_question(%L, 'bogus') $$, current_setting('tests.q_pending'))), 'invalid_input',
          'an unknown status is invalid_input');
select is(tests.error_code(format($$ select public.moderate_question(%L, 'dismissed', 'an answer') $$, current_setting('tests.q_pending'))),
          'invalid_input', 'an answer goes only with answered');
select is((public.moderate_question(current_setting('tests.q_pending')::uuid, 'published')) ->> 'status', 'published', 'the moderator publishes it');
select is(tests.error_code(format($$ select public.moderate_question(%L, 'published') $$, current_setting('tests.q_pending'))),
          'invalid_transition', 'published -> published is not a transition');
select is(tests.error_status(format($$ select public.moderate_question(%L, 'pending') $$, current_setting('tests.q_pending'))), 409,
          'published -> pending is invalid_transition (409)');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m where m.payload ->> 'id' = current_setting('tests.q_pending')
           and m.topic = 'session:00000000-0000-4000-8000-0000000050a2' and m.event = 'question_updated'
           and m.payload ->> 'status' = 'published'), 1, 'publishing broadcasts question_updated');
select tests.authenticate_as('max');
select is((select count(*)::int from public.session_questions where id = current_setting('tests.q_pending')::uuid), 1,
          'members see the question once published');
select tests.authenticate_as('mo');
select is((select (r ->> 'status') || '/' || (r ->> 'answer') from public.moderate_question(current_setting('tests.q_pending')::uuid, 'answered', ' Yes. ') r),
          'answered/Yes.', 'answered with a trimmed answer');
select tests.clear_authentication();
select is((select answered_by from public.questions where id = current_setting('tests.q_pending')::uuid), tests.get_supabase_uid('mo'),
          'answered_by and answered_at are set');
select tests.authenticate_as('hana');
select is((public.moderate_question(current_setting('tests.q_pending')::uuid, 'dismissed')) ->> 'answer', null, 'dismissing clears the answer');
select tests.authenticate_as('max');
select is((select count(*)::int from public.questions where id = current_setting('tests.q_pending')::uuid), 0, 'members no longer see a dismissed question');
select tests.clear_authentication();
select is((select m.payload ->> 'body' from realtime.messages m where m.payload ->> 'id' = current_setting('tests.q_pending')
           and m.payload ->> 'status' = 'dismissed'), null, 'the dismissal is broadcast without the body');
select tests.authenticate_as('hana');
select is((public.moderate_question(current_setting('tests.q_pending')::uuid, 'published')) ->> 'status', 'published', 'dismissed -> published restores it');
select tests.authenticate_as_service_role();
select is((public.moderate_question(current_setting('tests.q_pending')::uuid, 'answered')) ->> 'status', 'answered', 'the service role can moderate');

-- Upvotes ----------------------------------------------------------------------------------------
select tests.authenticate_as('max');
select is((public.upvote_question(current_setting('tests.q_named')::uuid)) ->> 'upvote_count', '1', 'a member upvotes: count 1');
select is(tests.error_code(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_named'))), 'already_upvoted',
          'a second upvote is already_upvoted');
select is(tests.error_status(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_named'))), 409, 'already_upvoted is 409');
select tests.authenticate_as('mia');
select is((public.upvote_question(current_setting('tests.q_named')::uuid)) ->> 'upvote_count', '2', 'another member upvotes: count 2');
select tests.authenticate_as('bea');
select is(tests.error_code(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_named'))), 'banned', 'a banned member cannot upvote');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_named'))), 'forbidden', 'an outsider cannot upvote');
select is((select count(*)::int from public.session_questions), 0, 'an outsider reads no questions');
select is((select count(*)::int from public.question_upvotes), 0, 'an outsider reads no upvotes');
select tests.authenticate_as('max');
select is((select count(*)::int from public.question_upvotes), 2, 'a member reads only their own upvotes (named + anonymous question)');
select is((select has_upvoted from public.session_questions where id = current_setting('tests.q_named')::uuid), true, 'has_upvoted for the caller');
select is((select id from public.session_questions where session_id = '00000000-0000-4000-8000-0000000050a1' limit 1),
          current_setting('tests.q_named')::uuid, 'the view orders by upvotes first');
select throws_ok(format($$ update public.questions set upvote_count = 100 where id = %L $$, current_setting('tests.q_named')), '42501', null,
                 'a member cannot update a question');
select throws_ok(format($$ insert into public.question_upvotes (question_id, user_id) values (%L, %L) $$,
                        current_setting('tests.q_named'), tests.get_supabase_uid('max')), '42501', null, 'a member cannot insert an upvote row');
select throws_ok(format($$ delete from public.questions where id = %L $$, current_setting('tests.q_named')), '42501', null,
                 'a member cannot delete a question');
select is((public.withdraw_upvote(current_setting('tests.q_named')::uuid)) ->> 'upvote_count', '1', 'withdrawing an upvote decrements the count');
select is(tests.error_code(format($$ select public.withdraw_upvote(%L) $$, current_setting('tests.q_named'))), 'not_found',
          'withdrawing a missing upvote is not_found');
select tests.authenticate_as('hana');
select is((select has_upvoted from public.session_questions where id = current_setting('tests.q_named')::uuid), false, 'the host has not upvoted');
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.session_questions $$, '42501', null, 'anon cannot read questions');
select throws_ok(format($$ select public.upvote_question(%L) $$, current_setting('tests.q_named')), '42501', null, 'anon cannot upvote');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.questions where user_id = tests.get_supabase_uid('mia')), 4, 'the service role reads authors');
delete from public.question_upvotes where question_id = current_setting('tests.q_named')::uuid;
select tests.clear_authentication();
select is((select upvote_count from public.questions where id = current_setting('tests.q_named')::uuid), 0,
          'deleting upvote rows (service role) keeps the counter exact');
select is((select count(*)::int from public.questions q
           where q.upvote_count <> (select count(*) from public.question_upvotes u where u.question_id = q.id)), 0,
          'every upvote_count equals its number of upvote rows');

-- Drift check (private.question_upvote_drift) ------------------------------------------------------
select tests.clear_authentication();
select is((select count(*) from private.question_upvote_drift()), 0::bigint,
          'question_upvote_drift: every upvote_count equals its rows');
update public.questions set upvote_count = upvote_count + 2 where id = (select id from public.questions order by created_at limit 1);
select is((select count(*) from private.question_upvote_drift()), 1::bigint,
          'question_upvote_drift: a counter off by two is listed');

select * from finish();
rollback;
