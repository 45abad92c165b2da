-- Account lifecycle and mail: a deactivated or deleted account receives no email and no push, by one rule
-- (private.receives_notifications) where deliveries are queued (enqueue_notification_deliveries, the
-- direct-message digest job) and where the dispatcher renders them (notification_delivery_context: a
-- delivery queued before the account left reads as wanted on neither channel, so the dispatcher cancels it);
-- deactivate_user cancels what was queued for the account.
begin;
\ir ../helpers.sql
select plan(14);

select tests.create_supabase_user('lm_sender', metadata => '{"display_name":"Sal Sender"}');
select tests.create_supabase_user('lm_reader', metadata => '{"display_name":"Rae Reader"}');
select tests.create_supabase_user('lm_paused', metadata => '{"display_name":"Pat Paused"}');
select tests.create_supabase_user('lm_gone', metadata => '{"display_name":"Gil Gone"}');
select tests.create_supabase_user('lm_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('lm_admin');
select tests.get_supabase_uid('lm_sender') as sender, tests.get_supabase_uid('lm_reader') as reader,
       tests.get_supabase_uid('lm_paused') as paused, tests.get_supabase_uid('lm_gone') as gone \gset
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values
  (:'paused', 'https://fcm.googleapis.com/fcm/send/lm-paused', 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg');

-- A notice queued while the account is active (email and push), then the account is deactivated.
select private.notify(:'paused', 'session_cancelled', 'Cancelled', 'A session was cancelled', '/sessions', '{}'::jsonb);
select is((select array_agg(channel order by channel) from public.notification_deliveries
           where user_id = :'paused' and status = 'queued'), array['email', 'push'],
          'setup: an active account gets its email and push queued');
select array_agg(id) as paused_deliveries from public.notification_deliveries where user_id = :'paused' \gset

-- The dispatcher claimed the push before the deactivation (status sending): the context decides for it.
update public.notification_deliveries set status = 'sending', attempts = 1, next_attempt_at = now() + interval '2 minutes'
 where user_id = :'paused' and channel = 'push';

select tests.authenticate_as('lm_admin');
select public.deactivate_user(:'paused');
select tests.clear_authentication();
select is((select status || ' ' || coalesce(last_error, '') from public.notification_deliveries
           where user_id = :'paused' and channel = 'email'), 'cancelled account deactivated',
          'deactivate_user cancels the email queued before');
select results_eq(format($$ select email_enabled, push_enabled from private.notification_delivery_context(%L::uuid[])
                            order by delivery_id $$, :'paused_deliveries'),
                  $$ values (false, false), (false, false) $$,
                  'the dispatcher''s context wants neither channel of a deactivated account''s deliveries (the claimed push is cancelled)');

-- A delivery written for them afterwards by a backend path (not through enqueue): not wanted either.
insert into public.notification_deliveries (user_id, kind, channel, payload)
values (:'paused', 'support_ticket_status', 'email', '{"title": "Late", "body": null, "link": null, "data": {}}')
returning id as late_delivery \gset
select is((select email_enabled from private.notification_delivery_context(array[:'late_delivery'::uuid])), false,
          'a delivery written after the deactivation: email not wanted');
select is(private.enqueue_notification_deliveries(gen_random_uuid(), :'paused', 'support_ticket_status',
                                                  '{"title": "x", "body": null, "link": null, "data": {}}'), 0,
          'enqueue queues nothing for a deactivated account');

-- Direct message digests: not for a deactivated or deleted member.
select tests.authenticate_as('lm_sender');
select id as conv from public.start_conversation(array[:'reader', :'paused', :'gone']::uuid[], 'Group chat') \gset
select public.send_direct_message(:'conv', 'Hello all');
select tests.clear_authentication();
select tests.authenticate_as('lm_admin');
select public.delete_user(:'gone');
select tests.clear_authentication();
update public.direct_messages set created_at = now() - interval '12 minutes' where conversation_id = :'conv';
update public.conversations set last_message_at = now() - interval '12 minutes' where id = :'conv';
update public.conversation_members set last_read_at = now() - interval '1 hour' where conversation_id = :'conv';
update public.conversation_members set last_read_at = now() where conversation_id <> :'conv';
select is((select count(*)::int from public.conversation_members where conversation_id = :'conv'
             and user_id in (:'paused', :'gone')), 2, 'setup: the deactivated and the deleted account are still members');
select is(private.queue_direct_message_digests(), 1, 'the digest job queues one digest: the active reader''s');
select is((select array_agg(user_id) from public.notification_deliveries where payload #>> '{data,conversation_id}' = :'conv'),
          array[:'reader'::uuid], '... none for the deactivated nor the deleted member');
select is((select count(*)::int from public.notification_deliveries d join auth.users u on u.id = d.user_id
           where u.email like '%@deleted.invalid'), 0, 'nothing is addressed to a deleted account''s placeholder address');

-- Reactivated: mailed again, by the same rule.
select tests.authenticate_as('lm_admin');
select public.reactivate_user(:'paused');
select tests.clear_authentication();
select is((select email_enabled from private.notification_delivery_context(array[:'late_delivery'::uuid])), true,
          'reactivated: a queued delivery is wanted again');
update private.direct_message_digests set last_digest_at = now() - interval '2 hours' where conversation_id = :'conv';
select is(private.queue_direct_message_digests(), 1, 'and the digest job queues theirs (the reader''s messages were digested already)');

-- The rule itself, and who may call it.
select is(private.receives_notifications(:'gone'), false, 'receives_notifications: a deleted account does not');
select is(private.receives_notifications(:'reader'), true, '... an active one does');
select is(has_function_privilege('authenticated', 'private.receives_notifications(uuid)', 'EXECUTE'), false,
          'clients cannot call it');

select * from finish();
rollback;
