-- Direct messages: structure and grants; start_conversation (1:1 reuse in both directions, groups up
-- to 10, every error); the RLS matrix of conversations, conversation_members and direct_messages
-- (member, other member, group member, outsider, anon, service_role x select/insert/update/delete);
-- send_direct_message (trimming, membership, body limits, the per-user rate limit across
-- conversations with Retry-After); the `direct_message` broadcasts on user:<id> (not to the sender)
-- and who may read those topics; the coalesced direct_message notifications and in_app preference;
-- my_conversations (titles, members, last message, unread counts) and mark_conversation_read.
begin;
\ir ../helpers.sql
select plan(118);

-- Actors ----------------------------------------------------------------------------------------
select tests.create_supabase_user('ann', metadata => '{"display_name":"Ann Sender"}');
select tests.create_supabase_user('ben', metadata => '{"display_name":"Ben Reader"}');
select tests.create_supabase_user('cat', metadata => '{"display_name":"Cat Group"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
select tests.create_supabase_user('rita', metadata => '{"display_name":"Rita Rapid"}');
select count(tests.create_supabase_user('u' || n)) from generate_series(1, 9) n;

select tests.get_supabase_uid('ann') as ann, tests.get_supabase_uid('ben') as ben, tests.get_supabase_uid('cat') as cat,
       tests.get_supabase_uid('otto') as otto, tests.get_supabase_uid('rita') as rita \gset

-- Structure -------------------------------------------------------------------------------------
select policies_are('public', 'conversations', array['deactivated accounts read nothing', 'members read their conversations']);
select policies_are('public', 'conversation_members', array[
  'deactivated accounts read nothing', 'members read the members of their conversations', 'members mark their own membership read']);
select policies_are('public', 'direct_messages', array['deactivated accounts read nothing', 'members read the messages of their conversations']);
select is(has_table_privilege('authenticated', 'public.conversations', 'INSERT, UPDATE, DELETE, TRUNCATE')
          or has_table_privilege('authenticated', 'public.direct_messages', 'INSERT, UPDATE, DELETE, TRUNCATE')
          or has_table_privilege('authenticated', 'public.conversation_members', 'INSERT, DELETE, TRUNCATE'), false,
          'authenticated cannot insert or delete conversations, members or messages, nor update conversations and messages');
select is(array(select c.column_name::text from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = 'conversation_members'
                  and has_column_privilege('authenticated', 'public.conversation_members', c.column_name, 'UPDATE')
                order by 1), array['last_read_at'],
          'the only column of conversation_members authenticated may update is last_read_at');
select is(has_table_privilege('anon', 'public.conversations', 'SELECT, INSERT, UPDATE, DELETE')
          or has_table_privilege('anon', 'public.conversation_members', 'SELECT, INSERT, UPDATE, DELETE')
          or has_table_privilege('anon', 'public.direct_messages', 'SELECT, INSERT, UPDATE, DELETE')
          or has_table_privilege('anon', 'public.my_conversations', 'SELECT'), false,
          'anon has no privilege on the direct message tables nor my_conversations');
select is(has_table_privilege('authenticated', 'private.direct_pairs', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'clients cannot touch private.direct_pairs');
select is((select bool_or(has_function_privilege('anon', p.oid, 'execute')) from pg_proc p
           where p.oid in ('public.start_conversation(uuid[], text)'::regprocedure,
                           'public.send_direct_message(uuid, text, uuid)'::regprocedure,
                           'public.mark_conversation_read(uuid)'::regprocedure,
                           'private.my_conversation_ids()'::regprocedure)), false,
          'anon cannot execute any direct message RPC or helper');
select is((select count(*)::int from pg_proc p where p.prosecdef and p.proconfig @> array['search_path=""'] and p.oid in (
             'public.start_conversation(uuid[], text)'::regprocedure, 'public.send_direct_message(uuid, text, uuid)'::regprocedure,
             'private.my_conversation_ids()'::regprocedure, 'private.broadcast_new_direct_message()'::regprocedure)), 4,
          'the security definer functions have an empty search_path');
select is((select p.prosecdef from pg_proc p where p.oid = 'public.mark_conversation_read(uuid)'::regprocedure), false,
          'mark_conversation_read is security invoker');
select has_index('public', 'direct_messages', 'direct_messages_conversation_page_idx', array['conversation_id', 'created_at', 'id'],
                 'messages of a conversation are indexed newest first');
select is((select reloptions from pg_class where oid = 'public.my_conversations'::regclass), array['security_invoker=true'],
          'my_conversations is a security invoker view');

-- start_conversation ----------------------------------------------------------------------------
select tests.authenticate_as('ann');
select (public.start_conversation(array[:'ben']::uuid[])).id as dm1 \gset
select is((select row(c.kind, c.title, c.created_by, c.last_message_at)::text from public.conversations c where c.id = :'dm1'),
          row('direct', null::text, :'ann'::uuid, null::timestamptz)::text,
          'a 1:1 conversation is direct, without title, created by the caller');
select results_eq($$ select user_id, role from public.conversation_members where conversation_id = '$$ || :'dm1' || $$' order by role desc $$,
                  $$ values ('$$ || :'ann' || $$'::uuid, 'owner'), ('$$ || :'ben' || $$'::uuid, 'member') $$,
                  'the caller is owner and the other person member');
select is((public.start_conversation(array[:'ben']::uuid[])).id, :'dm1'::uuid, 'starting it again returns the same conversation');
select is((public.start_conversation(array[:'ben', :'ann', :'ben']::uuid[])).id, :'dm1'::uuid,
          'duplicates and the caller''s own id are ignored: still the same 1:1');
select tests.authenticate_as('ben');
select is((public.start_conversation(array[:'ann']::uuid[])).id, :'dm1'::uuid,
          'the other person starting it gets the same conversation too');
select tests.clear_authentication();
select is((select count(*)::int from public.conversations c
           where c.kind = 'direct' and c.id in (select conversation_id from public.conversation_members where user_id = :'ann')
             and c.id in (select conversation_id from public.conversation_members where user_id = :'ben')), 1,
          'exactly one direct conversation exists between the two');

select tests.authenticate_as('ann');
select (public.start_conversation(array[:'ben', :'cat']::uuid[], '  Team  ')).id as grp \gset
select is((select row(c.kind, c.title)::text from public.conversations c where c.id = :'grp'), row('group', 'Team')::text,
          'three people make a group; the title is trimmed');
select is((select count(*)::int from public.conversation_members where conversation_id = :'grp'), 3, 'the group has three members');
select isnt((public.start_conversation(array[:'ben', :'cat']::uuid[])).id, :'grp'::uuid,
            'a group is never reused: starting one again creates a new conversation');
select is((select c.kind from public.start_conversation(
             array(select tests.get_supabase_uid('u' || n) from generate_series(1, 9) n)) c), 'group',
          'a group of 10 people (the caller and 9 others) is allowed');
select is(tests.error_code(format('select public.start_conversation(%L::uuid[])',
            array(select tests.get_supabase_uid('u' || n) from generate_series(1, 9) n) || :'ben'::uuid)), 'invalid_input',
          'eleven people are too many: invalid_input');
select is(tests.error_code(format('select public.start_conversation(array[%L]::uuid[])', :'ann')), 'invalid_input',
          'only the caller: invalid_input');
select is(tests.error_code('select public.start_conversation(array[]::uuid[])'), 'invalid_input', 'no one: invalid_input');
select is(tests.error_code('select public.start_conversation(null)'), 'invalid_input', 'null ids: invalid_input');
select is(tests.error_code(format('select public.start_conversation(array[%L, null]::uuid[])', :'ben')), 'invalid_input',
          'a null id among them: invalid_input');
select is(tests.error_code(format('select public.start_conversation(array[%L]::uuid[], %L)', :'ben', 'Hi')), 'invalid_input',
          'a title on a 1:1 conversation: invalid_input');
select is(tests.error_code(format('select public.start_conversation(array[%L, %L]::uuid[], %L)', :'ben', :'cat', repeat('x', 101))),
          'invalid_input', 'a title of 101 characters: invalid_input');
select is(tests.error_code('select public.start_conversation(array[''00000000-0000-4000-8000-00000000dead'']::uuid[])'), 'not_found',
          'an unknown user: not_found');
select is(tests.error_details(format('select public.start_conversation(array[%L, %L]::uuid[])', :'ben', '00000000-0000-4000-8000-00000000dead')),
          '{"user_ids":["00000000-0000-4000-8000-00000000dead"]}'::jsonb, 'not_found lists the unknown ids');
select tests.authenticate_as_anon();
select throws_ok(format('select public.start_conversation(array[%L]::uuid[])', :'ben'), '42501', null,
                 'anon cannot start a conversation');
select tests.authenticate_as_service_role();
select is(tests.error_code(format('select public.start_conversation(array[%L]::uuid[])', :'ben')), 'not_authenticated',
          'service_role (no user) cannot start a conversation through the RPC: not_authenticated');
select tests.clear_authentication();
select is(tests.error_code(format('select public.start_conversation(array[%L]::uuid[])', :'ben')), 'not_authenticated',
          'without a signed-in user: not_authenticated');
select is((select count(*)::int from public.conversations c
           where c.created_by = :'ann' and c.created_at = now()), 4,
          'the failed calls created nothing (dm1, two groups, the group of 10)');

-- send_direct_message ---------------------------------------------------------------------------
select tests.authenticate_as('ann');
select m.id as m1, m.created_at as m1_at from public.send_direct_message(:'dm1', '   Hi Ben  ') m \gset
select is((select row(m.body, m.user_id, m.conversation_id, m.edited_at, m.deleted_at)::text from public.direct_messages m where m.id = :'m1'),
          row('Hi Ben', :'ann'::uuid, :'dm1'::uuid, null::timestamptz, null::timestamptz)::text,
          'a member sends: body trimmed, own user_id, in the conversation');
select is(tests.error_code(format($$ select public.send_direct_message(%L, E'\n\u00a0\t') $$, :'dm1')), 'invalid_input',
          'a body of Unicode blanks is invalid_input');
savepoint blank_title;
select (public.send_direct_message(:'dm1', E'\u00a0 See you \u200b')).body as cleaned_body \gset
select (public.start_conversation(array[:'ben', :'cat']::uuid[], E'\n\u3000')).title is null as blank_title_is_null \gset
rollback to savepoint blank_title;
select is(:'cleaned_body'::text, 'See you', 'Unicode blanks around a body are trimmed');
select ok(:'blank_title_is_null'::boolean, 'a group title of Unicode blanks is no title');
select is((select last_message_at from public.conversations where id = :'dm1'), :'m1_at'::timestamptz,
          'the conversation''s last_message_at is the message''s time');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r
           where r.topic = 'user:' || :'ben' and r.event = 'direct_message' and r.private and r.extension = 'broadcast'
             and r.payload ->> 'id' = :'m1'), 1, 'direct_message is broadcast privately on user:<other member>');
select is((select array_agg(k order by k) from realtime.messages r, jsonb_object_keys(r.payload) k
           where r.topic = 'user:' || :'ben' and r.event = 'direct_message' and r.payload ->> 'id' = :'m1'),
          array['body', 'conversation_id', 'created_at', 'id', 'sender_display_name', 'sender_id'],
          'the payload has exactly id, conversation_id, sender_id, sender_display_name, body, created_at');
select is((select row(r.payload ->> 'conversation_id', r.payload ->> 'sender_id', r.payload ->> 'sender_display_name', r.payload ->> 'body')::text
           from realtime.messages r where r.topic = 'user:' || :'ben' and r.event = 'direct_message' and r.payload ->> 'id' = :'m1'),
          row(:'dm1', :'ann', 'Ann Sender', 'Hi Ben')::text, 'the payload carries the conversation, sender, name and body');
select is((select count(*)::int from realtime.messages r where r.event = 'direct_message' and r.payload ->> 'id' = :'m1'
             and r.topic <> 'user:' || :'ben'), 0, 'nothing is broadcast to the sender nor anywhere else');
select is((select count(*)::int from public.notifications n where n.user_id = :'ben' and n.kind = 'direct_message'
             and n.data ->> 'conversation_id' = :'dm1' and n.link = '/messages/' || :'dm1' and n.title = 'New message from Ann Sender'
             and n.body = 'Hi Ben' and n.read_at is null), 1, 'the other member gets one direct_message notification');
select is((select count(*)::int from public.notifications n where n.user_id = :'ann' and n.kind = 'direct_message'), 0,
          'the sender gets no notification');

select tests.authenticate_as('ann');
select (public.send_direct_message(:'dm1', 'Are you there?')).id as m2 \gset
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r where r.topic = 'user:' || :'ben' and r.event = 'direct_message'
             and r.payload ->> 'conversation_id' = :'dm1'), 2, 'every message is broadcast');
select is((select count(*)::int from public.notifications n where n.user_id = :'ben' and n.kind = 'direct_message'
             and n.data ->> 'conversation_id' = :'dm1'), 1, 'but notifications are coalesced: one unread per conversation');

-- Group: cat turned in-app direct message notifications off.
insert into public.notification_preferences (user_id, kind, in_app) values (:'cat', 'direct_message', false);
select tests.authenticate_as('cat');
select (public.send_direct_message(:'grp', 'Hello team')).id as g1 \gset
select tests.authenticate_as('ann');
select (public.send_direct_message(:'grp', 'Hi Cat')).id as g2 \gset
select tests.clear_authentication();
select is((select array_agg(r.topic order by r.topic) from realtime.messages r where r.event = 'direct_message' and r.payload ->> 'id' = :'g1'),
          (select array_agg('user:' || u order by 'user:' || u) from unnest(array[:'ann', :'ben']) u),
          'a group message is broadcast to every member but the sender');
select is((select count(*)::int from realtime.messages r where r.event = 'direct_message' and r.payload ->> 'id' = :'g2'
             and r.topic = 'user:' || :'cat'), 1, 'a member with in_app off still receives the broadcast');
select is((select count(*)::int from public.notifications n where n.user_id = :'cat' and n.kind = 'direct_message'), 0,
          'but gets no notification (notification_preferences.in_app = false)');

-- Errors.
select tests.authenticate_as('otto');
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', :'dm1', 'let me in')), 'not_found',
          'an outsider sending to a conversation: not_found');
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', '00000000-0000-4000-8000-00000000dead', 'x')), 'not_found',
          'an unknown conversation: not_found (same answer)');
select tests.authenticate_as('ann');
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', :'dm1', '   ')), 'invalid_input', 'a blank body: invalid_input');
select is(tests.error_code(format('select public.send_direct_message(%L, null)', :'dm1')), 'invalid_input', 'a null body: invalid_input');
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', :'dm1', repeat('x', 2001))), 'invalid_input',
          '2001 characters: invalid_input');
select is(tests.error_details(format('select public.send_direct_message(%L, %L)', :'dm1', repeat('x', 2001))),
          '{"field":"body","min":1,"max":2000}'::jsonb, 'invalid_input names the field and limits');
select is(char_length((public.send_direct_message(:'dm1', ' ' || repeat('y', 2000) || ' ')).body), 2000,
          '2000 characters (after trimming) are fine');
select tests.authenticate_as_anon();
select throws_ok(format('select public.send_direct_message(%L, %L)', :'dm1', 'x'), '42501', null, 'anon cannot send');
select tests.clear_authentication();
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', :'dm1', 'x')), 'not_authenticated',
          'without a signed-in user: not_authenticated');
select is((select count(*)::int from public.direct_messages where conversation_id = :'dm1'), 3, 'failed sends stored nothing');

-- Rate limit: 20 per user per rolling minute, across conversations.
select tests.authenticate_as('rita');
select (public.start_conversation(array[:'ben']::uuid[])).id as r1, (public.start_conversation(array[:'cat']::uuid[])).id as r2 \gset
select lives_ok(format($$ select public.send_direct_message(case when n %% 2 = 0 then %L else %L end::uuid, 'msg ' || n)
                          from generate_series(1, 20) n $$, :'r1', :'r2'),
                '20 messages in a minute over two conversations are fine');
select is(tests.error_code(format('select public.send_direct_message(%L, %L)', :'r2', 'one more')), 'rate_limited',
          'the 21st within the minute, in either conversation: rate_limited');
select is(tests.error_status(format('select public.send_direct_message(%L, %L)', :'r1', 'one more')), 429, 'rate_limited is a 429');
select ok((tests.error_detail(format('select public.send_direct_message(%L, %L)', :'r1', 'one more')) -> 'headers' ->> 'Retry-After')::int
          between 1 and 60, 'with a Retry-After between 1 and 60 seconds');
select is(tests.error_details(format('select public.send_direct_message(%L, %L)', :'r1', 'one more')),
          '{"limit":20,"window_seconds":60}'::jsonb, 'the details give the limit and the window');
select tests.clear_authentication();
update public.direct_messages set created_at = created_at - interval '61 seconds' where user_id = :'rita';
select tests.authenticate_as('rita');
select is((public.send_direct_message(:'r1', 'after a minute')).body, 'after a minute',
          'once the messages left the rolling window, sending works again');
select tests.authenticate_as('ann');
select lives_ok(format('select public.send_direct_message(%L, %L)', :'grp', 'unaffected'),
                'the limit is per user: others are unaffected');

-- Channel authorization of user:<id> -------------------------------------------------------------
select tests.clear_authentication();
select results_eq(format('select can_read, can_write from tests.realtime_access(%L, %L)', 'ben', 'user:' || :'ben'),
                  $$ values (true, false) $$, 'a user receives their own user:<id> topic and cannot broadcast on it');
select results_eq(format('select can_read, can_write from tests.realtime_access(%L, %L)', 'ann', 'user:' || :'ben'),
                  $$ values (false, false) $$, 'a member of the same conversation cannot read the other''s user topic');
select results_eq(format('select can_read, can_write from tests.realtime_access(%L, %L)', 'otto', 'user:' || :'ben'),
                  $$ values (false, false) $$, 'an outsider cannot read it');
select results_eq(format('select can_read, can_write from tests.realtime_access(null, %L)', 'user:' || :'ben'),
                  $$ values (false, false) $$, 'anon cannot read it');

-- RLS matrix ------------------------------------------------------------------------------------
select tests.authenticate_as('ben');
select is((select array_agg(id order by id) from public.conversations where id in (:'dm1', :'grp')),
          (select array_agg(u order by u) from unnest(array[:'dm1', :'grp']::uuid[]) u), 'a member reads their conversations');
select is((select count(*)::int from public.conversation_members where conversation_id = :'grp'), 3,
          'a member reads every member of their conversations');
select is((select count(*)::int from public.direct_messages where conversation_id = :'dm1'), 3,
          'the other member reads the conversation''s messages');
select tests.authenticate_as('cat');
select is((select count(*)::int from public.conversations where id in (:'dm1', :'grp')), 1,
          'a group member does not read the 1:1 of two other members');
select is((select count(*)::int from public.direct_messages where conversation_id = :'dm1'), 0, '... nor its messages');
select is((select count(*)::int from public.conversation_members where conversation_id = :'dm1'), 0, '... nor its members');
select tests.authenticate_as('otto');
select is((select count(*)::int from public.conversations), 0, 'an outsider reads no conversation');
select is((select count(*)::int from public.conversation_members), 0, 'an outsider reads no membership');
select is((select count(*)::int from public.direct_messages), 0, 'an outsider reads no message');
select is((select count(*)::int from public.my_conversations), 0, 'an outsider has no row in my_conversations');
select tests.authenticate_as_anon();
select throws_ok('select * from public.direct_messages', '42501', null, 'anon cannot read messages');
select throws_ok('select * from public.my_conversations', '42501', null, 'anon cannot read my_conversations');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.direct_messages where conversation_id in (:'dm1', :'grp')), 6,
          'service_role reads every message');

-- Direct writes.
select tests.authenticate_as('ann');
select throws_ok(format('insert into public.direct_messages (conversation_id, user_id, body) values (%L, %L, %L)', :'dm1', :'ann', 'x'),
                 '42501', null, 'a member cannot insert a message directly');
select throws_ok(format('insert into public.conversation_members (conversation_id, user_id) values (%L, %L)', :'dm1', :'otto'),
                 '42501', null, 'a member cannot add someone to a conversation directly');
select throws_ok('insert into public.conversations (kind) values (''group'')', '42501', null, 'nor create a conversation directly');
select throws_ok(format('update public.direct_messages set body = %L where id = %L', 'edited', :'m1'), '42501', null,
                 'the author cannot update a message directly');
select throws_ok(format('delete from public.direct_messages where id = %L', :'m1'), '42501', null, 'nor delete it');
select throws_ok(format('update public.conversations set title = %L where id = %L', 'x', :'grp'), '42501', null,
                 'a member cannot rename a conversation directly');
select throws_ok(format('update public.conversation_members set role = %L where conversation_id = %L', 'owner', :'grp'), '42501', null,
                 'a member cannot change roles');
select throws_ok(format('delete from public.conversation_members where conversation_id = %L', :'grp'), '42501', null,
                 'nor remove members');
update public.conversation_members set last_read_at = now() + interval '1 day'
 where conversation_id = :'dm1' and user_id = :'ben';
select tests.authenticate_as('otto');
update public.conversation_members set last_read_at = now() + interval '1 day' where conversation_id = :'dm1';
select tests.clear_authentication();
select is((select count(*)::int from public.conversation_members where conversation_id = :'dm1' and last_read_at > now()), 0,
          'nobody moves another member''s last_read_at (member nor outsider): nothing changed');
select tests.authenticate_as_anon();
select throws_ok(format('insert into public.direct_messages (conversation_id, user_id, body) values (%L, %L, %L)', :'dm1', :'ann', 'x'),
                 '42501', null, 'anon cannot insert messages');
select tests.authenticate_as_service_role();
select lives_ok(format('update public.direct_messages set deleted_at = clock_timestamp() where id = %L', :'m2'),
                'service_role may moderate (soft delete) a message');
-- A deleted message leaves the notifications that showed it; an edited one updates them (rolled back after).
savepoint dm_moderation;
update public.direct_messages set deleted_at = clock_timestamp() where id = :'g1';
select n.title || '|' || n.body || '|' || (n.data ->> 'message_id' = :'g2') as ben_notification from public.notifications n
where n.user_id = :'ben' and n.kind = 'direct_message' and n.data ->> 'conversation_id' = :'grp' \gset
select count(*) as ann_notifications from public.notifications n
where n.user_id = :'ann' and n.kind = 'direct_message' and n.data ->> 'conversation_id' = :'grp' \gset
update public.direct_messages set body = 'Hi Cat, welcome!' where id = :'g2';
select n.body as ben_after_edit from public.notifications n
where n.user_id = :'ben' and n.kind = 'direct_message' and n.data ->> 'conversation_id' = :'grp' \gset
rollback to savepoint dm_moderation;
select is(:'ben_notification'::text, 'New message from Ann Sender|Hi Cat|true',
          'a deleted group message: the notification moves on to the next message (sender, text, message_id)');
select is(:'ann_notifications'::int, 0, 'and is deleted when no other message is left for that member');
select is(:'ben_after_edit'::text, 'Hi Cat, welcome!', 'an edited message updates the notification that shows it');

-- my_conversations and mark_conversation_read ---------------------------------------------------
select tests.authenticate_as('ben');
select is((select row(kind, title, member_count, other_members, last_message_user_id, last_message_display_name, my_role)::text
           from public.my_conversations where id = :'dm1'),
          row('direct', 'Ann Sender', 2, jsonb_build_array(jsonb_build_object('user_id', :'ann', 'display_name', 'Ann Sender')),
              :'ann'::uuid, 'Ann Sender', 'member')::text,
          'a 1:1 shows the other person''s name, two members, the other member, the last sender');
select is((select char_length(last_message_body) from public.my_conversations where id = :'dm1'), 2000,
          'the last message is the newest one');
select is((select unread_count from public.my_conversations where id = :'dm1'), 2,
          'unread: the other''s messages after last_read_at, not the deleted one');
select is((select row(title, member_count, unread_count)::text from public.my_conversations where id = :'grp'),
          row('Team', 3, 3)::text, 'the group shows its title, three members and three unread messages');
select is((select title from public.my_conversations c where c.kind = 'group' and c.id <> :'grp' and c.member_count = 3),
          'Ann Sender, Cat Group', 'a group without a title is named after the other members');
select tests.authenticate_as('ann');
select is((select unread_count from public.my_conversations where id = :'dm1'), 0, 'the sender''s own messages are never unread');
select is((select unread_count from public.my_conversations where id = :'grp'), 1, 'the sender sees the others'' messages unread');
select is((select my_role from public.my_conversations where id = :'dm1'), 'owner', 'the starter is owner');

select tests.authenticate_as('ben');
select is((public.mark_conversation_read(:'dm1')).user_id, :'ben'::uuid, 'mark_conversation_read returns the caller''s membership');
select is((select unread_count from public.my_conversations where id = :'dm1'), 0, 'after reading, nothing is unread');
select is((select count(*)::int from public.notifications n where n.kind = 'direct_message' and n.data ->> 'conversation_id' = :'dm1'
             and n.read_at is null), 0, 'the conversation''s notifications are marked read too');
select is((select unread_count from public.my_conversations where id = :'grp'), 3, 'other conversations stay unread');
-- A message stamped before the mark but committed after it (simulated: inserted now with a created_at just
-- after the newest message ben could see) still counts as unread (rolled back after).
savepoint late_message;
select tests.clear_authentication();
insert into public.direct_messages (conversation_id, user_id, body, created_at)
select :'dm1', :'ann', 'still committing', max(m.created_at) + interval '1 microsecond'
from public.direct_messages m where m.conversation_id = :'dm1' and m.deleted_at is null;
select tests.authenticate_as('ben');
select unread_count as late_unread from public.my_conversations where id = :'dm1' \gset
rollback to savepoint late_message;
select is(:'late_unread'::int, 1, 'a message committed after marking read, stamped before it, counts as unread');
select tests.authenticate_as('ann');
select (public.send_direct_message(:'dm1', 'new after read')).id as m3 \gset
select tests.authenticate_as('ben');
select is((select row(unread_count, last_message_id)::text from public.my_conversations where id = :'dm1'),
          row(1, :'m3'::uuid)::text, 'a new message is unread again and is the last message');
select is((select count(*)::int from public.notifications n where n.kind = 'direct_message' and n.data ->> 'conversation_id' = :'dm1'
             and n.read_at is null), 1, 'and brings a new notification once the previous one was read');
select is((select count(*)::int from public.direct_messages where id = :'m2'), 0, 'members no longer read a deleted message');
select tests.authenticate_as('otto');
select is(tests.error_code(format('select public.mark_conversation_read(%L)', :'dm1')), 'not_found',
          'an outsider marking a conversation read: not_found');
select tests.authenticate_as_anon();
select throws_ok(format('select public.mark_conversation_read(%L)', :'dm1'), '42501', null, 'anon cannot mark read');
select tests.clear_authentication();
select is(tests.error_code(format('select public.mark_conversation_read(%L)', :'dm1')), 'not_authenticated',
          'without a signed-in user: not_authenticated');

select * from finish();
rollback;
