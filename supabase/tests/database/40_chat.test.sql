-- Chat and bans: structure and grants, the RLS matrix of chat_messages and session_bans,
-- send_chat_message (every error, slow mode, rate limit with Retry-After), pin_message,
-- delete_message, chat_history (keyset pages), chat_since, ban_user / unban_user / is_banned,
-- and the broadcasts (new_message, message_pinned, message_deleted, session_banned).
begin;
\ir ../helpers.sql
select plan(128);


-- Actors ----------------------------------------------------------------------------------------
select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('spike', metadata => '{"display_name":"Spike Speaker"}');
select tests.create_supabase_user('mem', metadata => '{"display_name":"Mem Ber"}');
select tests.create_supabase_user('max', metadata => '{"display_name":"Max Member"}');
select tests.create_supabase_user('bill', metadata => '{"display_name":"Bill Banned"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');

-- Sessions: s1 live public (high limit), s2 private, s3 chat disabled, s4 slow mode, s5 ended,
-- s6 default rate limit.
insert into public.sessions (id, title, status, visibility, starts_at, started_at, ended_at, chat_enabled, slow_mode_seconds,
                             chat_rate_limit, created_by)
values ('00000000-0000-4000-8000-0000000000c1', 'Live chat', 'live', 'public', now(), now(), null, true, 0, 1000, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000000c2', 'Private', 'live', 'private', now(), now(), null, true, 0, 1000, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000000c3', 'No chat', 'live', 'public', now(), now(), null, false, 0, 1000, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000000c4', 'Slow', 'live', 'public', now(), now(), null, true, 30, 1000, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000000c5', 'Over', 'ended', 'public', now() - interval '3 hours', now() - interval '3 hours',
        now() - interval '2 hours', true, 0, 1000, tests.get_supabase_uid('hana'));
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000000c6', 'Default limit', 'live', 'public', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role)
select s.id, tests.get_supabase_uid(u.name), u.role
from public.sessions s
cross join (values ('hana', 'host'), ('mo', 'moderator'), ('spike', 'speaker')) as u(name, role)
where s.id::text like '00000000-0000-4000-8000-0000000000c_'
on conflict do nothing;
insert into public.bookings (session_id, user_id, status)
select s.id, tests.get_supabase_uid(u.name), 'confirmed'
from public.sessions s cross join (values ('mem'), ('max'), ('bill')) as u(name)
where s.id::text like '00000000-0000-4000-8000-0000000000c_';
insert into public.rooms (id, session_id, name)
values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1', 'Room A'),
       ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000c2', 'Room of s2');

-- Structure -------------------------------------------------------------------------------------
select policies_are('public', 'chat_messages', array[
  'deactivated accounts read nothing', 'members read the chat of their sessions and staff also read deleted messages']);
select policies_are('public', 'session_bans', array[
  'deactivated accounts read nothing', 'staff read the bans of their sessions and users read their own bans']);
select is(has_table_privilege('authenticated', 'public.chat_messages', 'INSERT, UPDATE, DELETE, TRUNCATE'), false,
          'authenticated cannot write chat_messages directly');
select is(has_table_privilege('authenticated', 'public.session_bans', 'INSERT, UPDATE, DELETE, TRUNCATE'), false,
          'authenticated cannot write session_bans directly');
select is(has_table_privilege('anon', 'public.chat_messages', 'SELECT, INSERT, UPDATE, DELETE')
          or has_table_privilege('anon', 'public.session_bans', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'anon has no privilege on chat_messages nor session_bans');
select is((select bool_or(has_function_privilege('anon', p.oid, 'execute')) from pg_proc p
           where p.oid in ('public.send_chat_message(uuid, text, uuid, text, uuid)'::regprocedure,
                           'public.pin_message(uuid, boolean)'::regprocedure, 'public.delete_message(uuid)'::regprocedure,
                           'public.chat_history(uuid, timestamptz, integer, uuid)'::regprocedure,
                           'public.chat_since(uuid, uuid)'::regprocedure, 'public.ban_user(uuid, uuid, text)'::regprocedure,
                           'public.unban_user(uuid, uuid)'::regprocedure)), false,
          'anon cannot execute any chat RPC');
select has_index('public', 'chat_messages', 'chat_messages_session_page_idx', array['session_id', 'created_at', 'id'],
                 'keyset pagination index on (session_id, created_at desc, id desc)');
select is((select count(*)::int from pg_proc p where p.prosecdef and p.oid in (
             'public.send_chat_message(uuid, text, uuid, text, uuid)'::regprocedure, 'public.pin_message(uuid, boolean)'::regprocedure,
             'public.delete_message(uuid)'::regprocedure, 'public.ban_user(uuid, uuid, text)'::regprocedure,
             'public.unban_user(uuid, uuid)'::regprocedure)
             and p.proconfig @> array['search_path=""']), 5,
          'the writing RPCs are security definer with an empty search_path');

-- send_chat_message: the happy path and the broadcast ---------------------------------------------
select tests.authenticate_as('mem');
select is((select row(m.body, m.kind, m.user_id, m.session_id, m.room_id, m.is_pinned, m.deleted_at)::text
           from public.send_chat_message('00000000-0000-4000-8000-0000000000c1', '   Hello everyone  ') m),
          row('Hello everyone', 'message', tests.get_supabase_uid('mem'), '00000000-0000-4000-8000-0000000000c1'::uuid,
              null::uuid, false, null::timestamptz)::text,
          'a booked member posts: body trimmed, kind message, own user_id');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r
           where r.topic = 'session:00000000-0000-4000-8000-0000000000c1' and r.event = 'new_message' and r.private
             and r.extension = 'broadcast'), 1, 'one private new_message broadcast on session:<id>');
select is((select array_agg(k order by k) from realtime.messages r, jsonb_object_keys(r.payload) k
           where r.topic = 'session:00000000-0000-4000-8000-0000000000c1' and r.event = 'new_message'),
          array['author_role', 'body', 'created_at', 'display_name', 'id', 'kind', 'room_id', 'session_id', 'user_id'],
          'new_message carries exactly the curated keys');
select is((select r.payload ->> 'display_name' || '|' || (r.payload ->> 'body') || '|' || (r.payload ->> 'user_id')
           from realtime.messages r
           where r.topic = 'session:00000000-0000-4000-8000-0000000000c1' and r.event = 'new_message'),
          'Mem Ber|Hello everyone|' || tests.get_supabase_uid('mem'), 'new_message names the author');
select is((select (r.payload ->> 'id')::uuid from realtime.messages r
           where r.topic = 'session:00000000-0000-4000-8000-0000000000c1' and r.event = 'new_message'),
          (select m.id from public.chat_messages m where m.body = 'Hello everyone'), 'new_message id is the message id');

select tests.authenticate_as('mem');
select is((select m.room_id from public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'In room A',
                                                          '00000000-0000-4000-8000-0000000000a1') m),
          '00000000-0000-4000-8000-0000000000a1'::uuid, 'a member posts in a room of the session');
select is((select char_length(m.body) from public.send_chat_message('00000000-0000-4000-8000-0000000000c1', repeat('x', 500)) m),
          500, '500 characters are accepted');

-- send_chat_message: every error ----------------------------------------------------------------
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', '   ') $$),
          'invalid_input', 'a blank body is invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', E'\n\t\u00a0\u200b\u3000') $$),
          'invalid_input', 'a body of other blanks (line breaks, tabs, no-break, zero-width and ideographic spaces) is invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', repeat('y', 501)) $$),
          'invalid_input', '501 characters are invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', null) $$),
          'invalid_input', 'a null body is invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'x',
                                                                '00000000-0000-4000-8000-0000000000a2') $$),
          'invalid_input', 'a room of another session is invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'x', null, 'shout') $$),
          'invalid_input', 'an unknown kind is invalid_input');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'x', null, 'announcement') $$),
          'forbidden', 'a member cannot post an announcement');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c3', 'x') $$),
          'chat_disabled', 'chat_enabled off: chat_disabled');
select is((tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c3', 'x') $$) ->> 'status')::int,
          403, 'chat_disabled is a 403');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c5', 'x') $$),
          'chat_disabled', 'an ended session''s chat is closed');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-00000000ffff', 'x') $$),
          'not_found', 'an unknown session is not_found');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'hi') $$),
          'forbidden', 'an outsider cannot post in a visible public session');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c2', 'hi') $$),
          'not_found', 'a private session is not_found for an outsider');
select tests.authenticate_as_anon();
select throws_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'hi') $$,
                 '42501', null, 'anon cannot call send_chat_message (401 through PostgREST)');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'hi') $$),
          'not_authenticated', 'service_role has no user to post as: not_authenticated');
select tests.clear_authentication();
select is((select count(*)::int from public.chat_messages m where m.user_id = tests.get_supabase_uid('otto')), 0,
          'no failed call stored anything');

-- Staff: announcements, exemptions --------------------------------------------------------------
select tests.authenticate_as('hana');
select is((select m.kind from public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'Welcome!', null, 'announcement') m),
          'announcement', 'the host posts an announcement');
select tests.authenticate_as('spike');
select is((select m.kind from public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'Speaker here', null, 'announcement') m),
          'announcement', 'a speaker (staff) posts an announcement');
select tests.authenticate_as('mo');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'm' || g) from generate_series(1, 8) g $$,
                'staff are exempt from the rate limit');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 's' || g) from generate_series(1, 3) g $$,
                'staff are exempt from slow mode');

-- Rate limit (default 5 per rolling 60 s) ---------------------------------------------------------
select tests.authenticate_as('max');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'r' || g) from generate_series(1, 5) g $$,
                'five messages in a minute are allowed by default');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'sixth') $$),
          'rate_limited', 'the sixth message within 60 s is rate_limited');
select is((tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'sixth') $$) ->> 'status')::int,
          429, 'rate_limited is a 429');
select ok((tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'sixth') $$)
           -> 'headers' ->> 'Retry-After')::int between 59 and 60,
          'Retry-After counts until the oldest message leaves the window (about 60 s right after posting)');
-- Move max's messages back in time: the oldest leaves the window in 10 s.
select tests.clear_authentication();
update public.chat_messages m
   set created_at = clock_timestamp() - interval '50 seconds' - (g.n * interval '1 second')
  from (select m2.id, row_number() over (order by m2.created_at desc) - 1 as n
        from public.chat_messages m2
        where m2.session_id = '00000000-0000-4000-8000-0000000000c6' and m2.user_id = tests.get_supabase_uid('max')) g
 where m.id = g.id;
select tests.authenticate_as('max');
select is((tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'sixth') $$)
           -> 'headers' ->> 'Retry-After')::int, 6,
          'Retry-After = seconds until the oldest message in the window leaves it, rounded up');
select tests.clear_authentication();
update public.chat_messages m set created_at = m.created_at - interval '6 seconds'
 where m.session_id = '00000000-0000-4000-8000-0000000000c6' and m.user_id = tests.get_supabase_uid('max')
   and m.created_at = (select min(created_at) from public.chat_messages
                       where session_id = '00000000-0000-4000-8000-0000000000c6' and user_id = tests.get_supabase_uid('max'));
select tests.authenticate_as('max');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'back in') $$,
                'once the oldest message left the window one more message is allowed');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'again') $$),
          'rate_limited', 'and the window is full again');
-- Deleting one's own messages does not free the window.
select public.delete_message(m.id) from public.chat_messages m
 where m.session_id = '00000000-0000-4000-8000-0000000000c6' and m.user_id = tests.get_supabase_uid('max');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c6', 'again') $$),
          'rate_limited', 'deleted messages still count towards the rate limit');

-- Slow mode (30 s) ----------------------------------------------------------------------------------
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'first') $$,
                'slow mode: the first message passes');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'second') $$),
          'slow_mode', 'slow mode: a second message within 30 s is refused');
select is(tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'second') $$),
          '{"status":429,"headers":{"Retry-After":"30"}}'::jsonb, 'slow_mode: 429 with Retry-After 30 right after posting');
select tests.clear_authentication();
update public.chat_messages m set created_at = m.created_at - interval '21.5 seconds'
 where m.session_id = '00000000-0000-4000-8000-0000000000c4' and m.user_id = tests.get_supabase_uid('max');
select tests.authenticate_as('max');
select is(tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'second') $$) -> 'headers' ->> 'Retry-After',
          '9', 'slow_mode Retry-After is the time left, rounded up');
select tests.clear_authentication();
update public.chat_messages m set created_at = m.created_at - interval '9 seconds'
 where m.session_id = '00000000-0000-4000-8000-0000000000c4' and m.user_id = tests.get_supabase_uid('max');
select tests.authenticate_as('max');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'second') $$,
                'slow mode: allowed again after 30 s');

-- RLS on chat_messages --------------------------------------------------------------------------
select tests.clear_authentication();
select set_config('tests.c1_total', (select count(*)::text from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c1'), true);
select tests.authenticate_as('mem');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c1'),
          current_setting('tests.c1_total')::int, 'a member reads the chat of the session');
select throws_ok($$ insert into public.chat_messages (session_id, user_id, body) values
                    ('00000000-0000-4000-8000-0000000000c1', auth.uid(), 'sneaky') $$, '42501', null,
                 'a member cannot insert directly');
select throws_ok($$ update public.chat_messages set body = 'edited' where user_id = auth.uid() $$, '42501', null,
                 'a member cannot update directly');
select throws_ok($$ delete from public.chat_messages where user_id = auth.uid() $$, '42501', null,
                 'a member cannot delete directly');
select tests.authenticate_as('otto');
select is((select count(*)::int from public.chat_messages), 0, 'an outsider reads no chat');
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.chat_messages $$, '42501', null, 'anon cannot read chat_messages');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c1'),
          current_setting('tests.c1_total')::int, 'service_role reads everything');
select tests.authenticate_as('max');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c6'
             and user_id = tests.get_supabase_uid('max')), 0, 'a member does not read deleted messages, own included');
select tests.authenticate_as('mo');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c6'
             and user_id = tests.get_supabase_uid('max') and deleted_at is not null), 6, 'staff read deleted messages, flagged');
select tests.authenticate_as('spike');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c6'
             and deleted_at is not null), 0, 'a speaker (staff without moderation) does not read deleted messages');

-- pin_message -----------------------------------------------------------------------------------
select tests.clear_authentication();
select set_config('tests.msg', (select id::text from public.chat_messages where body = 'Hello everyone'), true);
select set_config('tests.max_msg', (select m.id::text from public.chat_messages m
                                    where m.session_id = '00000000-0000-4000-8000-0000000000c4'
                                      and m.user_id = tests.get_supabase_uid('max') order by m.created_at limit 1), true);
select tests.authenticate_as('mem');
select is(tests.error_code(format('select public.pin_message(%L, true)', current_setting('tests.msg'))), 'forbidden',
          'a member cannot pin');
select tests.authenticate_as('otto');
select is(tests.error_code(format('select public.pin_message(%L, true)', current_setting('tests.msg'))), 'not_found',
          'an outsider gets not_found when pinning');
select tests.authenticate_as('mo');
select is(tests.error_code($$ select public.pin_message(gen_random_uuid(), true) $$), 'not_found', 'an unknown message is not_found');
select is(tests.error_code(format('select public.pin_message(%L, null)', current_setting('tests.msg'))), 'invalid_input',
          'pinned must be given');
select is((select row(m.is_pinned, m.pinned_at is not null)::text from public.pin_message(current_setting('tests.msg')::uuid, true) m),
          '(t,t)', 'a moderator pins a message');
select public.pin_message(current_setting('tests.msg')::uuid, true);
select tests.clear_authentication();
select is((select array_agg(r.payload order by r.inserted_at) from realtime.messages r where r.event = 'message_pinned'),
          array[jsonb_build_object('id', current_setting('tests.msg')::uuid, 'is_pinned', true)],
          'one message_pinned {id, is_pinned} (a repeated pin changes nothing)');
select is((select r.topic from realtime.messages r where r.event = 'message_pinned'),
          'session:00000000-0000-4000-8000-0000000000c1', 'message_pinned goes to the session topic');
select tests.authenticate_as('hana');
select is((select row(m.is_pinned, m.pinned_at)::text from public.pin_message(current_setting('tests.msg')::uuid, false) m),
          '(f,)', 'the host unpins');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r where r.event = 'message_pinned' and r.payload = jsonb_build_object(
            'id', current_setting('tests.msg')::uuid, 'is_pinned', false)), 1, 'unpinning broadcasts is_pinned false');

-- delete_message --------------------------------------------------------------------------------
select tests.authenticate_as('mem');
select is(tests.error_code(format('select public.delete_message(%L)', current_setting('tests.max_msg'))), 'forbidden',
          'a member cannot delete another member''s message');
select tests.clear_authentication();
select is((select deleted_at from public.chat_messages where id = current_setting('tests.max_msg')::uuid), null,
          'the refused delete changed nothing');
select tests.authenticate_as('otto');
select is(tests.error_code(format('select public.delete_message(%L)', current_setting('tests.msg'))), 'not_found',
          'an outsider gets not_found when deleting');
select tests.authenticate_as('max');
select is((select m.deleted_by from public.delete_message(current_setting('tests.max_msg')::uuid) m),
          tests.get_supabase_uid('max'), 'an author deletes their own message');
select tests.authenticate_as('hana');
select public.pin_message(current_setting('tests.msg')::uuid, true);
select tests.authenticate_as('mo');
select is((select row(m.deleted_by = auth.uid(), m.deleted_at is not null, m.is_pinned)::text
           from public.delete_message(current_setting('tests.msg')::uuid) m),
          '(t,t,f)', 'a moderator deletes a pinned message, which unpins it');
select is(tests.error_code(format('select public.pin_message(%L, true)', current_setting('tests.msg'))), 'invalid_transition',
          'a deleted message cannot be pinned');
select is((select m.deleted_by from public.delete_message(current_setting('tests.msg')::uuid) m), tests.get_supabase_uid('mo'),
          'deleting again returns the message unchanged');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r where r.event = 'message_deleted'
             and r.payload = jsonb_build_object('id', current_setting('tests.msg')::uuid)
             and r.topic = 'session:00000000-0000-4000-8000-0000000000c1'), 1,
          'exactly one message_deleted {id} on the session topic');
select is((select count(*)::int from realtime.messages r where r.event = 'message_pinned' and r.payload ->> 'id' = current_setting('tests.msg')),
          3, 'the unpin caused by a delete is not broadcast as message_pinned');

-- chat_history ----------------------------------------------------------------------------------
-- s2: 7 messages, three of them at the same instant (ties broken by id), from chat_t0 (10 days ago) on.
select tests.clear_authentication();
select date_trunc('minute', now()) - interval '10 days' as chat_t0 \gset
insert into public.chat_messages (id, session_id, user_id, body, created_at)
select ('00000000-0000-4000-9000-00000000000' || g)::uuid, '00000000-0000-4000-8000-0000000000c2',
       tests.get_supabase_uid('mem'), 'h' || g,
       case when g between 3 and 5 then :'chat_t0'::timestamptz + interval '3 seconds'
            else :'chat_t0'::timestamptz + g * interval '1 second' end
from generate_series(1, 7) g;
update public.chat_messages set deleted_at = now(), deleted_by = tests.get_supabase_uid('mo')
 where id = '00000000-0000-4000-9000-000000000006';
create function pg_temp.all_pages(page_size int) returns text language plpgsql as $$
declare
  v_page jsonb;
  v_out text := '';
  v_guard int := 0;
begin
  v_page := public.chat_history('00000000-0000-4000-8000-0000000000c2', null, page_size);
  loop
    v_out := v_out || coalesce((select string_agg(e ->> 'body', ',' order by o) from jsonb_array_elements(v_page -> 'messages') with ordinality x(e, o)), '') || '/';
    exit when not (v_page ->> 'has_more')::boolean;
    v_guard := v_guard + 1;
    exit when v_guard > 20;
    v_page := public.chat_history('00000000-0000-4000-8000-0000000000c2', (v_page ->> 'next_before')::timestamptz, page_size,
                                  (v_page ->> 'next_before_id')::uuid);
  end loop;
  return v_out;
end $$;
grant execute on function pg_temp.all_pages(int) to authenticated;
select tests.authenticate_as('mem');
select is(pg_temp.all_pages(2), 'h7,h5/h4,h3/h2,h1/', 'a member pages newest first, ties by id, deleted hidden');
select is(pg_temp.all_pages(1), 'h7/h5/h4/h3/h2/h1/', 'pages of one through equal timestamps lose nothing');
select is(pg_temp.all_pages(50), 'h7,h5,h4,h3,h2,h1/', 'one page when everything fits');
select tests.authenticate_as('hana');
select is(pg_temp.all_pages(3), 'h7,h6,h5/h4,h3,h2/h1/', 'staff page through deleted messages too');
select is((select e -> 'is_deleted' from jsonb_array_elements(public.chat_history('00000000-0000-4000-8000-0000000000c2') -> 'messages') e
           where e ->> 'body' = 'h6'), 'true'::jsonb, 'deleted messages are flagged for staff');
select tests.authenticate_as('mem');
select is((select array_agg(k order by k) from jsonb_object_keys(public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 1) -> 'messages' -> 0) k),
          array['author_role', 'body', 'created_at', 'deleted_at', 'deleted_by', 'display_name', 'id', 'initials', 'is_deleted', 'is_pinned',
                'kind', 'pinned_at', 'room_id', 'session_id', 'user_id'], 'a message carries the author and the flags');
select is((select (p -> 'messages' -> 0 ->> 'display_name') || '|' || (p -> 'messages' -> 0 ->> 'initials')
           from public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 1) p), 'Mem Ber|MB',
          'display name and initials from the profile');
-- A page cursor stays valid while new messages arrive.
select set_config('tests.page1', public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 2)::text, true);
select public.send_chat_message('00000000-0000-4000-8000-0000000000c2', 'newer');
select is((select string_agg(e ->> 'body', ',') from jsonb_array_elements(public.chat_history('00000000-0000-4000-8000-0000000000c2',
             (current_setting('tests.page1')::jsonb ->> 'next_before')::timestamptz, 2,
             (current_setting('tests.page1')::jsonb ->> 'next_before_id')::uuid) -> 'messages') e),
          'h4,h3', 'the next page is the same after a new message arrived');
select is((select p - 'messages' from public.chat_history('00000000-0000-4000-8000-0000000000c2', :'chat_t0'::timestamptz + interval '2 seconds', 5) p),
          '{"has_more":false,"next_before":null,"next_before_id":null}'::jsonb, 'before alone excludes that instant; the last page has no cursor');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 0) $$), 'invalid_input', 'limit 0 is invalid_input');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 201) $$), 'invalid_input', 'limit 201 is invalid_input');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c2', null, 10, gen_random_uuid()) $$),
          'invalid_input', 'before_id without before is invalid_input');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c2') $$), 'not_found', 'a private session''s history is not_found for an outsider');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c1') $$), 'forbidden', 'a public session''s history is forbidden to a non-member');
select tests.authenticate_as_anon();
select throws_ok($$ select public.chat_history('00000000-0000-4000-8000-0000000000c1') $$, '42501', null, 'anon cannot read the history');

-- chat_since ------------------------------------------------------------------------------------
select tests.authenticate_as('mem');
select is((select string_agg(e ->> 'body', ',' order by o) from jsonb_array_elements(
             public.chat_since('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-9000-000000000003') -> 'messages')
             with ordinality x(e, o)), 'h4,h5,h7,newer', 'chat_since: later messages, oldest first, ties by id');
select is((select string_agg(e ->> 'body', ',') from jsonb_array_elements(
             public.chat_since('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-9000-000000000006') -> 'messages') e),
          'h7,newer', 'the anchor may be a message deleted meanwhile');
select is(tests.error_code($$ select public.chat_since('00000000-0000-4000-8000-0000000000c2', gen_random_uuid()) $$),
          'invalid_input', 'an unknown anchor is invalid_input');
select is(tests.error_code(format('select public.chat_since(%L, %L)', '00000000-0000-4000-8000-0000000000c2',
                                    current_setting('tests.max_msg'))), 'invalid_input', 'an anchor of another session is invalid_input');
select tests.clear_authentication();
insert into public.chat_messages (session_id, user_id, body, created_at)
select '00000000-0000-4000-8000-0000000000c2', tests.get_supabase_uid('max'), 'bulk' || g, :'chat_t0'::timestamptz + interval '1 day' + g * interval '1 ms'
from generate_series(1, 600) g;
select tests.authenticate_as('mem');
select is((select jsonb_array_length(p -> 'messages') || '|' || (p ->> 'has_more') || '|' || (p -> 'messages' -> 499 ->> 'body')
           from public.chat_since('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-9000-000000000007') p),
          '500|true|bulk500', 'chat_since returns at most 500 and says there is more');
-- A message stamped just before the anchor but committed after it was read comes back in overlap.
select tests.clear_authentication();
insert into public.chat_messages (id, session_id, user_id, body, created_at) values
  ('00000000-0000-4000-9000-0000000000b2', '00000000-0000-4000-8000-0000000000c2', tests.get_supabase_uid('max'), 'seen', :'chat_t0'::timestamptz + interval '2 days'),
  ('00000000-0000-4000-9000-0000000000b1', '00000000-0000-4000-8000-0000000000c2', tests.get_supabase_uid('max'), 'late', :'chat_t0'::timestamptz + interval '2 days' - interval '2 ms'),
  ('00000000-0000-4000-9000-0000000000b0', '00000000-0000-4000-8000-0000000000c2', tests.get_supabase_uid('max'), 'old', :'chat_t0'::timestamptz + interval '2 days' - interval '10 seconds');
select tests.authenticate_as('mem');
select is((select string_agg(e ->> 'body', ',') from jsonb_array_elements(
             public.chat_since('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-9000-0000000000b2') -> 'overlap') e),
          'late', 'overlap: the messages of the 5 seconds before the anchor (not the anchor, not older ones)');
select ok(not exists (select 1 from jsonb_array_elements(
             public.chat_since('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-9000-0000000000b2') -> 'messages') e
           where e ->> 'body' in ('late', 'seen', 'old')), 'messages still starts after the anchor');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.chat_since('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-9000-000000000001') $$),
          'forbidden', 'chat_since is for members only');

-- Bans ------------------------------------------------------------------------------------------
select tests.clear_authentication();
select is(private.is_banned('00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill')), false, 'not banned yet');
select tests.authenticate_as('mem');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill'))),
          'forbidden', 'a member cannot ban');
select tests.authenticate_as('otto');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill'))),
          'forbidden', 'an outsider of a visible session is forbidden to ban');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c2', tests.get_supabase_uid('bill'))),
          'not_found', 'a private session is not_found for an outsider');
select tests.authenticate_as('spike');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill'))),
          'forbidden', 'a speaker cannot ban');
select tests.authenticate_as('mo');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('hana'))),
          'forbidden', 'staff cannot be banned');
select is(tests.error_code(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', gen_random_uuid())),
          'not_found', 'an unknown user is not_found');
select is(tests.error_code(format('select public.ban_user(%L, %L, %L)', '00000000-0000-4000-8000-0000000000c1',
                                    tests.get_supabase_uid('bill'), repeat('r', 501))), 'invalid_input', 'a reason over 500 characters is invalid_input');
select is((select row(b.user_id, b.reason, b.banned_by)::text from public.ban_user('00000000-0000-4000-8000-0000000000c1',
             tests.get_supabase_uid('bill'), '  spam  ') b),
          row(tests.get_supabase_uid('bill'), 'spam', tests.get_supabase_uid('mo'))::text, 'a moderator bans a member');
select tests.authenticate_as('hana');
select is((select b.reason from public.ban_user('00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill'), 'abuse') b),
          'abuse', 'banning again updates the reason');
select tests.clear_authentication();
select is(private.is_banned('00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill')), true, 'is_banned reads session_bans');
select is(private.is_banned('00000000-0000-4000-8000-0000000000c4', tests.get_supabase_uid('bill')), false, 'a ban is per session');
select is((select array_agg(r.payload - 'id') from realtime.messages r where r.topic = 'user:' || tests.get_supabase_uid('bill')
             and r.event = 'session_banned' and r.private),
          array['{"session_id":"00000000-0000-4000-8000-0000000000c1"}'::jsonb], 'the banned user is told once on user:<id> (realtime.send adds the broadcast id)');
select tests.authenticate_as('bill');
select is(tests.error_code($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'let me in') $$), 'banned',
          'a banned member cannot post');
select is((tests.error_detail($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'x') $$) ->> 'status')::int,
          403, 'banned is a 403');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000000c1') $$), 'banned',
          'a banned member cannot read the history');
select is((select count(*)::int from public.chat_messages where session_id = '00000000-0000-4000-8000-0000000000c1'), 0,
          'a banned member reads no chat rows');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c4', 'elsewhere') $$,
                'a banned member still posts in other sessions');
select is((select count(*)::int from public.session_bans), 1, 'the banned user reads their own ban');
select throws_ok(format($$ insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000000c1', %L) $$,
                        tests.get_supabase_uid('max')), '42501', null, 'nobody inserts bans directly');
select tests.authenticate_as('mem');
select is((select count(*)::int from public.session_bans), 0, 'other members do not read bans');
select throws_ok($$ delete from public.session_bans $$, '42501', null, 'a member cannot delete bans directly');
select tests.authenticate_as('mo');
select is((select count(*)::int from public.session_bans), 1, 'staff read the bans of their sessions');
select tests.authenticate_as('spike');
select is((select count(*)::int from public.session_bans), 0, 'a speaker does not read the bans');
select tests.authenticate_as('mem');
select is(tests.error_code(format('select public.unban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill'))),
          'forbidden', 'a member cannot unban');
select tests.authenticate_as('hana');
select is(public.unban_user('00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill')), true, 'the host lifts the ban');
select is(public.unban_user('00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill')), false, 'lifting it again finds nothing');
select tests.authenticate_as('bill');
select lives_ok($$ select public.send_chat_message('00000000-0000-4000-8000-0000000000c1', 'I will behave') $$,
                'an unbanned member posts again');
select tests.authenticate_as_anon();
select throws_ok(format('select public.ban_user(%L, %L)', '00000000-0000-4000-8000-0000000000c1', tests.get_supabase_uid('bill')),
                 '42501', null, 'anon cannot ban');

select * from finish();
rollback;
