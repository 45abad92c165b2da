-- Direct message digests: one email delivery per member and conversation once a message of others
-- stays unread for 10 minutes, at most one an hour, each message digested once, only when the
-- member's direct_message email is on; the sender and readers get none; the pg_cron job exists.
begin;
\ir ../helpers.sql
select plan(14);

select tests.create_supabase_user('sender', metadata => '{"display_name":"Sender Sam"}');
select tests.create_supabase_user('reader', metadata => '{"display_name":"Reader Rita"}');
select tests.create_supabase_user('quiet', metadata => '{"display_name":"Quiet Quinn"}');
select tests.get_supabase_uid('sender') as sender, tests.get_supabase_uid('reader') as reader,
       tests.get_supabase_uid('quiet') as quiet \gset

-- quiet turned direct_message email off
select tests.authenticate_as('quiet');
select public.set_notification_preference('direct_message', email => false);
select tests.authenticate_as('sender');
select id as conv from public.start_conversation(array[:'reader', :'quiet']::uuid[], 'Team') \gset
select public.send_direct_message(:'conv', 'First question about the session');
select public.send_direct_message(:'conv', 'And a second one');
select tests.clear_authentication();
-- The messages were sent 11 minutes ago; nobody has read them.
update public.direct_messages set created_at = now() - interval '12 minutes' where conversation_id = :'conv' and body like 'First%';
update public.direct_messages set created_at = now() - interval '11 minutes' where conversation_id = :'conv' and body like 'And%';
update public.conversations set last_message_at = now() - interval '11 minutes' where id = :'conv';
update public.conversation_members set last_read_at = now() - interval '1 hour' where conversation_id = :'conv';
-- Conversations of a seeded database are read, so the counts below are this test's.
update public.conversation_members set last_read_at = now() where conversation_id <> :'conv';

select ok(exists (select 1 from cron.job where jobname = 'direct-message-digests'
                  and command = 'select private.queue_direct_message_digests()' and schedule = '* * * * *'),
          'the pg_cron job direct-message-digests runs every minute');
select is(private.queue_direct_message_digests(), 1, 'one digest: the reader (quiet has email off, the sender has nothing unread)');
select results_eq(format($$ select user_id, kind, channel, status, notification_id from public.notification_deliveries
                            where payload #>> '{data,conversation_id}' = %L $$, :'conv'),
                  format($$ values (%L::uuid, 'direct_message', 'email', 'queued', null::uuid) $$, :'reader'),
                  'a queued email delivery of kind direct_message for the reader');
select results_eq(format($$ select (payload #>> '{data,unread_count}')::int, payload #>> '{data,conversation_title}',
                                   jsonb_path_query_array(payload, '$.data.messages[*].from'),
                                   jsonb_path_query_array(payload, '$.data.messages[*].body'), payload ->> 'link'
                            from public.notification_deliveries where payload #>> '{data,conversation_id}' = %L $$, :'conv'),
                  format($$ values (2, 'Team', '["Sender Sam", "Sender Sam"]'::jsonb,
                                    '["First question about the session", "And a second one"]'::jsonb, '/messages/%s') $$, :'conv'),
                  'the payload: unread count, title, the messages with sender and excerpt, the conversation link');
select is(private.queue_direct_message_digests(), 0, 'a second run queues nothing (once)');

-- A new message, unread for 11 minutes, but within the hour of the last digest: nothing yet.
insert into public.direct_messages (conversation_id, user_id, body, created_at)
values (:'conv', :'sender', 'Third, later', now() - interval '11 minutes' + interval '1 second');
select is(private.queue_direct_message_digests(), 0, 'at most one digest an hour per conversation');
-- An hour later: a digest of the new message only.
update private.direct_message_digests set last_digest_at = now() - interval '61 minutes' where conversation_id = :'conv';
select is(private.queue_direct_message_digests(), 1, 'after the hour, the newer message gets its digest');
select is((select (payload #>> '{data,unread_count}')::int from public.notification_deliveries
           where payload #>> '{data,conversation_id}' = :'conv' order by created_at desc, (payload #>> '{data,unread_count}')::int limit 1),
          1, 'covering only the message not digested before');
select is((select count(*)::int from public.notification_deliveries where payload #>> '{data,conversation_id}' = :'conv'), 2,
          'two digests in all');

-- Too recent: a message of 5 minutes waits.
update private.direct_message_digests set last_digest_at = now() - interval '2 hours' where conversation_id = :'conv';
insert into public.direct_messages (conversation_id, user_id, body, created_at)
values (:'conv', :'sender', 'Fresh', now() - interval '5 minutes');
select is(private.queue_direct_message_digests(), 0, 'a message unread for less than 10 minutes waits');
-- Read: nothing.
update public.direct_messages set created_at = now() - interval '20 minutes' where body = 'Fresh';
select tests.authenticate_as('reader');
select public.mark_conversation_read(:'conv');
select tests.clear_authentication();
select is(private.queue_direct_message_digests(), 0, 'a read conversation gets no digest');

-- Email off for the reader: no digest either.
update public.conversation_members set last_read_at = now() - interval '1 hour' where conversation_id = :'conv' and user_id = :'reader';
select tests.authenticate_as('reader');
select public.set_notification_preference('direct_message', email => false);
select tests.clear_authentication();
select is(private.queue_direct_message_digests(), 0, 'direct_message email off: no digest');

-- Clients cannot run the job or read its state.
select is(has_function_privilege('authenticated', 'private.queue_direct_message_digests()', 'EXECUTE')
          or has_function_privilege('service_role', 'private.queue_direct_message_digests()', 'EXECUTE'), false,
          'only the job (its owner) runs the digest');
select is(has_table_privilege('authenticated', 'private.direct_message_digests', 'SELECT')
          or has_table_privilege('anon', 'private.direct_message_digests', 'SELECT'), false, 'digest state is not client-readable');

select * from finish();
rollback;
