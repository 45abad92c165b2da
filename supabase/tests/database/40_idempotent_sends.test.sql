-- Idempotent sends (issue 19, item 7): send_chat_message, send_direct_message and ask_question take
-- an optional client_id; a retry with the same id returns the first result without a second row,
-- broadcast, notification or rate-limit charge (also at the rate limit, for staff who take no lock,
-- and for a deleted message); an id reused in another session or conversation is conflict (409);
-- ids are per author. The parallel case (20 retries at once) is supabase/tests/concurrency/idempotent_sends.test.ts.
begin;
\ir ../helpers.sql
select plan(32);

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"Mia Member"}');
select tests.create_supabase_user('max', metadata => '{"display_name":"Max Member"}');
select tests.get_supabase_uid('hana') as hana, tests.get_supabase_uid('mia') as mia, tests.get_supabase_uid('max') as max \gset

insert into public.sessions (id, title, status, visibility, starts_at, started_at, chat_rate_limit, created_by) values
  ('00000000-0000-4000-8000-0000000047a1', 'Idempotent', 'live', 'members', now(), now(), 2, :'hana'),
  ('00000000-0000-4000-8000-0000000047a2', 'Other', 'live', 'members', now(), now(), 5, :'hana');
insert into public.bookings (session_id, user_id, status)
select s, u, 'confirmed' from unnest(array['00000000-0000-4000-8000-0000000047a1', '00000000-0000-4000-8000-0000000047a2']::uuid[]) s,
  unnest(array[:'mia', :'max']::uuid[]) u;

create function pg_temp.count_events(event text, topic text) returns int language sql as $$
  select count(*)::int from realtime.messages m where m.event = count_events.event and m.topic = count_events.topic $$;

-- Chat -------------------------------------------------------------------------------------------
select has_column('public', 'chat_messages', 'client_id', 'chat_messages.client_id');
select tests.authenticate_as('mia');
select set_config('tests.m1', (public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello', null, 'message',
                                                        '00000000-0000-4000-8000-0000000047c1')).id::text, true);
select is((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello', null, 'message',
                                     '00000000-0000-4000-8000-0000000047c1')).id::text, current_setting('tests.m1'),
          'a retry with the same client_id returns the first message');
select is((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello again (edited retry)', null, 'message',
                                     '00000000-0000-4000-8000-0000000047c1')).body, 'hello',
          'the retry returns the first result even when its body differs');
-- rate limit 2 per minute: the retries did not count, so a second message goes through ...
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'second', null, 'message',
                                                   '00000000-0000-4000-8000-0000000047c2') $$, 'retries are not charged to the rate limit');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'third', null, 'message',
                                                              '00000000-0000-4000-8000-0000000047c3') $$), 'rate_limited',
          'a new client_id beyond the limit is rate_limited');
select is((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello', null, 'message',
                                     '00000000-0000-4000-8000-0000000047c1')).id::text, current_setting('tests.m1'),
          'at the limit a retry still returns the first message (not 429)');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a2', 'elsewhere', null, 'message',
                                                              '00000000-0000-4000-8000-0000000047c1') $$), 'conflict',
          'a client_id used in another session is conflict');
select is(tests.error_status($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a2', 'elsewhere', null, 'message',
                                                                '00000000-0000-4000-8000-0000000047c1') $$), 409, 'conflict answers 409');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a2', 'no key, twice') $$, 'without a client_id ...');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000047a2', 'no key, twice') $$, '... every call posts');
select tests.authenticate_as('max');
select isnt((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello', null, 'message',
                                       '00000000-0000-4000-8000-0000000047c1')).id::text, current_setting('tests.m1'),
            'client ids are per author: another member''s same id is a new message');
select tests.clear_authentication();
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000047a1' and user_id = :'mia'), 2,
          'one row per client_id');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000047a2' and user_id = :'mia'), 2,
          'two rows without one');
select is((select count(*)::int from realtime.messages m where m.event = 'new_message' and m.payload ->> 'id' = current_setting('tests.m1')), 1,
          'one new_message broadcast for the message and its retries');

-- A deleted message is still the answer to its retry (nothing is posted again).
update public.chat_messages set deleted_at = now(), deleted_by = :'hana' where id = current_setting('tests.m1')::uuid;
select tests.authenticate_as('mia');
select is((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'hello', null, 'message',
                                     '00000000-0000-4000-8000-0000000047c1')).deleted_at is not null, true,
          'a retry of a message deleted since returns it, deleted');

-- Staff take no lock: the unique index decides.
select tests.authenticate_as('hana');
select set_config('tests.h1', (public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'announcement', null, 'announcement',
                                                        '00000000-0000-4000-8000-0000000047c9')).id::text, true);
select is((public.send_chat_message('00000000-0000-4000-8000-0000000047a1', 'announcement', null, 'announcement',
                                     '00000000-0000-4000-8000-0000000047c9')).id::text, current_setting('tests.h1'),
          'a host''s retry returns the first announcement');
select tests.clear_authentication();
select is((select count(*)::int from public.chat_messages where client_id = '00000000-0000-4000-8000-0000000047c9'), 1, 'one row for the host');
select throws_ok($$ insert into public.chat_messages (session_id, user_id, body, client_id)
                    values ('00000000-0000-4000-8000-0000000047a1', tests.get_supabase_uid('hana'), 'dup', '00000000-0000-4000-8000-0000000047c9') $$,
                 '23505', null, 'the database refuses a second row with the same author and client_id');

-- Direct messages --------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select set_config('tests.conv', (public.start_conversation(array[:'max']::uuid[])).id::text, true);
select set_config('tests.d1', (public.send_direct_message(current_setting('tests.conv')::uuid, 'hi Max',
                                                          '00000000-0000-4000-8000-0000000047d1')).id::text, true);
select is((public.send_direct_message(current_setting('tests.conv')::uuid, 'hi Max', '00000000-0000-4000-8000-0000000047d1')).id::text,
          current_setting('tests.d1'), 'a direct message retry returns the first message');
select is((public.send_direct_message(current_setting('tests.conv')::uuid, 'hi Max', '00000000-0000-4000-8000-0000000047d1')).id::text,
          current_setting('tests.d1'), 'and again');
select tests.clear_authentication();
select is((select count(*)::int from public.direct_messages where conversation_id = current_setting('tests.conv')::uuid), 1, 'one direct message row');
select is(pg_temp.count_events('direct_message', 'user:' || :'max'), 1, 'one direct_message broadcast to the recipient');
select is((select count(*)::int from public.notifications where user_id = :'max' and kind = 'direct_message'), 1, 'one notification');
select tests.authenticate_as('mia');
select set_config('tests.conv2', (public.start_conversation(array[:'hana']::uuid[])).id::text, true);
select is(tests.error_code(format($$ select public.send_direct_message(%L, 'hi', '00000000-0000-4000-8000-0000000047d1') $$, current_setting('tests.conv2'))),
          'conflict', 'a client_id used in another conversation is conflict');
select tests.authenticate_as('max');
select is(tests.error_code(format($$ select public.send_direct_message(%L, 'hi', '00000000-0000-4000-8000-0000000047d1') $$, current_setting('tests.conv2'))),
          'not_found', 'a non-member cannot probe someone else''s client_id (not_found first)');
-- 20 per minute: 25 retries of one id are one message and never rate limited.
select tests.authenticate_as('mia');
select is((select count(distinct (public.send_direct_message(current_setting('tests.conv')::uuid, 'burst', '00000000-0000-4000-8000-0000000047d2')).id)::int
           from generate_series(1, 25)), 1, '25 retries of one client_id: one message, none rate limited');

-- Questions --------------------------------------------------------------------------------------
select has_column('public', 'questions', 'client_id', 'questions.client_id');
select set_config('tests.q1', (public.ask_question('00000000-0000-4000-8000-0000000047a2', 'Will slides be shared?', false,
                                                   '00000000-0000-4000-8000-0000000047e1')) ->> 'id', true);
select is((public.ask_question('00000000-0000-4000-8000-0000000047a2', 'Will slides be shared?', false,
                               '00000000-0000-4000-8000-0000000047e1')) ->> 'id', current_setting('tests.q1'),
          'a question retry returns the first question');
select is(tests.error_code($$ select public.ask_question('00000000-0000-4000-8000-0000000047a1', 'elsewhere', false,
                                                        '00000000-0000-4000-8000-0000000047e1') $$), 'conflict',
          'a question client_id used in another session is conflict');
select tests.clear_authentication();
select is((select count(*)::int from public.questions where user_id = :'mia'), 1, 'one question row');
select is((select count(*)::int from realtime.messages m where m.event = 'question_updated' and m.payload ->> 'id' = current_setting('tests.q1')), 1,
          'one question_updated broadcast');
select is(has_column_privilege('authenticated', 'public.questions', 'client_id', 'select'), false,
          'clients cannot select questions.client_id (it would tie anonymous questions to their authors'' devices)');

select * from finish();
rollback;
