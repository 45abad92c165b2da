-- Push subscriptions: grants and policies, own rows only for the owner, another user, anon and
-- service_role (select/insert/update/delete), the https and key format checks, non-writable columns,
-- and the upsert on endpoint (own row updated, another user's endpoint refused).
begin;
\ir ../helpers.sql
select plan(95);

select tests.create_supabase_user('ann', metadata => '{"display_name":"Ann Device"}');
select tests.create_supabase_user('ben', metadata => '{"display_name":"Ben Device"}');
select tests.get_supabase_uid('ann') as ann, tests.get_supabase_uid('ben') as ben \gset

\set endpoint 'https://fcm.googleapis.com/fcm/send/ann-device-1'
\set p256dh 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM'
\set authkey 'tBHItJI5svbpez7KI4CCXg'

-- Structure -------------------------------------------------------------------------------------
select policies_are('public', 'push_subscriptions', array[
  'deactivated accounts read nothing', 'users read their own push subscriptions', 'users add their own push subscriptions',
  'users update their own push subscriptions', 'users delete their own push subscriptions']);
select is(has_table_privilege('anon', 'public.push_subscriptions', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'anon has no privilege on push_subscriptions');
select is(array(select c.column_name::text from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = 'push_subscriptions'
                  and has_column_privilege('authenticated', 'public.push_subscriptions', c.column_name, 'INSERT') order by 1),
          array['auth', 'endpoint', 'p256dh', 'user_agent', 'user_id'], 'authenticated inserts only the subscription columns');
select is(array(select c.column_name::text from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = 'push_subscriptions'
                  and has_column_privilege('authenticated', 'public.push_subscriptions', c.column_name, 'UPDATE') order by 1),
          array['auth', 'endpoint', 'p256dh', 'user_agent'], 'authenticated updates only endpoint, keys and user agent');
select has_index('public', 'push_subscriptions', 'push_subscriptions_user_id_idx', array['user_id'], 'user_id is indexed for the policies');

-- Owner -----------------------------------------------------------------------------------------
select tests.authenticate_as('ann');
select lives_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth, user_agent) values (%L, %L, %L, %L)',
                       :'endpoint', :'p256dh', :'authkey', 'Firefox on Linux'),
                'a user adds a subscription for their device (user_id defaults to them)');
select is((select row(user_id, user_agent, last_used_at, created_at is not null)::text
           from public.push_subscriptions where endpoint = :'endpoint'),
          row(:'ann'::uuid, 'Firefox on Linux', null::timestamptz, true)::text, 'the row is theirs, never used yet');
select throws_ok(format('insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (%L, %L, %L, %L)',
                        :'ben', 'https://fcm.googleapis.com/fcm/send/ben-by-ann', :'p256dh', :'authkey'),
                 '42501', null, 'a user cannot add a subscription for someone else');
select is(tests.error_code(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                                  'http://fcm.googleapis.com/fcm/send/plain', :'p256dh', :'authkey')),
          'invalid_input', 'the endpoint must be https');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://fcm.googleapis.com/fcm/send/bad-key', 'not a key!', :'authkey'),
                 '23514', null, 'p256dh must be base64url');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://fcm.googleapis.com/fcm/send/short-auth', :'p256dh', 'abc'),
                 '23514', null, 'auth must be a base64url secret of at least 16 characters');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth, created_at) values (%L, %L, %L, now())',
                        'https://fcm.googleapis.com/fcm/send/ts', :'p256dh', :'authkey'),
                 '42501', null, 'created_at is not writable');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth, last_used_at) values (%L, %L, %L, now())',
                        'https://fcm.googleapis.com/fcm/send/ts2', :'p256dh', :'authkey'),
                 '42501', null, 'last_used_at is not writable');

-- Upsert on endpoint, the way PostgREST does it (Prefer: resolution=merge-duplicates).
select lives_ok(format($$ insert into public.push_subscriptions (endpoint, p256dh, auth, user_agent) values (%L, %L, %L, %L)
                          on conflict (endpoint) do update set endpoint = excluded.endpoint, p256dh = excluded.p256dh,
                            auth = excluded.auth, user_agent = excluded.user_agent $$,
                       :'endpoint', :'p256dh', 'rotatedSecret12345678', 'Firefox 140'),
                'the owner upserts the same endpoint with new keys');
select is((select row(count(*), max(auth), max(user_agent))::text from public.push_subscriptions where endpoint = :'endpoint'),
          row(1, 'rotatedSecret12345678', 'Firefox 140')::text, 'the upsert updated the one row');
select lives_ok(format('update public.push_subscriptions set user_agent = %L where endpoint = %L', 'Firefox 141', :'endpoint'),
                'the owner updates their own row');
select throws_ok(format('update public.push_subscriptions set user_id = %L where endpoint = %L', :'ben', :'endpoint'),
                 '42501', null, 'the owner cannot hand the row to someone else');
select throws_ok(format('update public.push_subscriptions set last_used_at = now() where endpoint = %L', :'endpoint'),
                 '42501', null, 'the owner cannot write last_used_at');

-- Another user ----------------------------------------------------------------------------------
select tests.authenticate_as('ben');
select is((select count(*)::int from public.push_subscriptions), 0, 'another user reads none of them');
select throws_ok(format($$ insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)
                           on conflict (endpoint) do update set p256dh = excluded.p256dh, auth = excluded.auth $$,
                        :'endpoint', :'p256dh', 'benbenbenbenbenben12'),
                 '42501', null, 'upserting another user''s endpoint is refused');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        :'endpoint', :'p256dh', :'authkey'),
                 '23505', null, 'a plain insert of a taken endpoint is a conflict');
update public.push_subscriptions set auth = 'benbenbenbenbenben12' where endpoint = :'endpoint';
delete from public.push_subscriptions where endpoint = :'endpoint';
select lives_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                       'https://fcm.googleapis.com/fcm/send/ben-phone', :'p256dh', :'authkey'), 'another user adds their own device');
select tests.clear_authentication();
select is((select row(user_id, auth, user_agent)::text from public.push_subscriptions where endpoint = :'endpoint'),
          row(:'ann'::uuid, 'rotatedSecret12345678', 'Firefox 141')::text,
          'another user''s update, delete and upsert changed nothing');

-- anon ------------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select throws_ok('select * from public.push_subscriptions', '42501', null, 'anon cannot read subscriptions');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://fcm.googleapis.com/fcm/send/anon', :'p256dh', :'authkey'), '42501', null, 'anon cannot add one');
select throws_ok(format('delete from public.push_subscriptions where endpoint = %L', :'endpoint'), '42501', null,
                 'anon cannot delete one');

-- service_role (the push sender) ------------------------------------------------------------------
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.push_subscriptions where user_id in (:'ann', :'ben')), 2,
          'service_role reads every subscription');
select lives_ok(format('update public.push_subscriptions set last_used_at = now() where endpoint = %L', :'endpoint'),
                'service_role records a delivery');
select tests.authenticate_as('ann');
select isnt((select last_used_at from public.push_subscriptions where endpoint = :'endpoint'), null,
            'the owner sees when their device was last used');

-- Delete and cascade ----------------------------------------------------------------------------
select lives_ok(format('delete from public.push_subscriptions where endpoint = %L', :'endpoint'), 'the owner deletes their device');
select is((select count(*)::int from public.push_subscriptions), 0, 'and it is gone');
select tests.clear_authentication();
delete from auth.users where id = :'ben';
select is((select count(*)::int from public.push_subscriptions where endpoint = 'https://fcm.googleapis.com/fcm/send/ben-phone'), 0,
          'deleting a user deletes their subscriptions');

-- register_push_subscription: one browser, two people in turn -------------------------------------
select tests.create_supabase_user('cat');
select tests.get_supabase_uid('cat') as cat \gset
\set shared 'https://updates.push.services.mozilla.com/wpush/v2/shared-laptop'
select tests.authenticate_as_anon();
select throws_ok(format('select public.register_push_subscription(%L, %L, %L)', :'shared', :'p256dh', :'authkey'),
                 '42501', null, 'anon cannot register a device');
select tests.authenticate_as('ann');
select is((select row(user_id, endpoint, auth, user_agent)::text
           from public.register_push_subscription(:'shared', :'p256dh', :'authkey', 'Firefox on the shared laptop')),
          row(:'ann'::uuid, :'shared', :'authkey', 'Firefox on the shared laptop')::text, 'a user registers their browser');
select is((select row(user_id, auth)::text from public.register_push_subscription(:'shared', :'p256dh', 'rotatedSecret12345678')),
          row(:'ann'::uuid, 'rotatedSecret12345678')::text, 'registering again updates the keys (idempotent)');
select is((select count(*)::int from public.push_subscriptions where endpoint = :'shared'), 1, 'one row for the endpoint');
select tests.clear_authentication();
update public.push_subscriptions set last_used_at = now(), created_at = now() - interval '1 day' where endpoint = :'shared';
select tests.authenticate_as('cat');
select is((select row(user_id, auth, last_used_at, created_at = now())::text
           from public.register_push_subscription(:'shared', :'p256dh', 'catcatcatcatcatcat12', null)),
          row(:'cat'::uuid, 'catcatcatcatcatcat12', null::timestamptz, true)::text,
          'the next person signed in on that browser takes the endpoint over (a fresh row: never used, created now)');
select is(tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', 'http://fcm.googleapis.com/fcm/send/plain', :'p256dh', :'authkey')),
          'invalid_input', 'an endpoint that is not https is invalid_input');
select is(tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', :'shared', :'p256dh', 'abc')),
          'invalid_input', 'a short auth key is invalid_input');
select tests.authenticate_as('ann');
select is((select count(*)::int from public.push_subscriptions where endpoint = :'shared'), 0,
          'the previous user no longer has it: their notifications stop going to that browser');
select tests.clear_authentication();
select is((select user_id from public.push_subscriptions where endpoint = :'shared'), :'cat'::uuid, 'it is the new user''s');

-- Endpoint allow-list: only push service hosts ---------------------------------------------------
-- The server POSTs to every endpoint, so a user must not be able to point it anywhere (SSRF).
create temporary table endpoint_cases (endpoint text, allowed boolean, why text) on commit drop;
grant select on endpoint_cases to authenticated;
insert into endpoint_cases values
  ('https://fcm.googleapis.com/fcm/send/c1', true, 'Chrome (FCM)'),
  ('https://fcm.googleapis.com/wp/c2', true, 'Chrome web push path'),
  ('https://android.googleapis.com/gcm/send/c3', true, 'legacy Chrome endpoint'),
  ('https://updates.push.services.mozilla.com/wpush/v2/c4', true, 'Firefox'),
  ('https://updates-eu.push.services.mozilla.com/wpush/v2/c5', true, 'a Mozilla push host below push.services.mozilla.com'),
  ('https://web.push.apple.com/c6', true, 'Safari'),
  ('https://wns2-by3p.notify.windows.com/w/?token=c7', true, 'Edge on Windows (WNS)'),
  ('https://FCM.GoogleAPIs.com/fcm/send/c8', true, 'the host matches case-insensitively'),
  ('https://fcm.googleapis.com:443/fcm/send/c9', true, 'the explicit default port'),
  ('http://fcm.googleapis.com/fcm/send/x', false, 'http://'),
  ('HTTPS://fcm.googleapis.com/fcm/send/x', false, 'an upper-case scheme (browsers give https://)'),
  ('https://localhost/x', false, 'localhost'),
  ('https://localhost:54321/functions/v1/x', false, 'localhost with a port'),
  ('https://169.254.169.254/latest/meta-data/', false, 'the cloud metadata address'),
  ('https://127.0.0.1/x', false, 'an IPv4 literal'),
  ('https://2130706433/x', false, 'a decimal IPv4 literal'),
  ('https://0x7f000001/x', false, 'a hex IPv4 literal'),
  ('https://[::1]/x', false, 'an IPv6 literal'),
  ('https://fcm.googleapis.com@evil.example/x', false, 'user information: the real host is evil.example'),
  ('https://user:pw@fcm.googleapis.com/x', false, 'user information before a push host'),
  ('https://evil.example\@fcm.googleapis.com/x', false, 'a backslash (WHATWG reads it as a slash)'),
  ('https://evil.example?.fcm.googleapis.com/x', false, 'a query before the path'),
  ('https://evil.example#.fcm.googleapis.com/x', false, 'a fragment before the path'),
  ('https://fcm.googleapis.com./fcm/send/x', false, 'a trailing dot'),
  ('https://fcm.googleapis.com:8443/fcm/send/x', false, 'another port'),
  ('https://fcm.googleapis.com.evil.example/x', false, 'a push host as a prefix of another domain'),
  ('https://evilfcm.googleapis.com/x', false, 'a look-alike name (only the exact host, not *.googleapis.com)'),
  ('https://push.apple.com/x', false, '*.push.apple.com needs a name below it'),
  ('https://xpush.apple.com/x', false, 'a name ending in push.apple.com without the dot'),
  ('https://notify.windows.com.evil.example/x', false, 'a wildcard domain followed by another'),
  ('https://evil.example/fcm.googleapis.com/x', false, 'a push host in the path'),
  ('https://push.example/x', false, 'an unknown host'),
  ('https://fcm.googleapis.com', false, 'no path'),
  ('https://fcm.googleapis.com/a b', false, 'a space in the path');
select tests.authenticate_as('ann');
select is(array(select c.endpoint || ' (' || c.why || ')' from endpoint_cases c
                where (tests.error_code(format('select public.register_push_subscription(%L, %L, %L)',
                                               c.endpoint, :'p256dh', :'authkey')) is null) <> c.allowed),
          '{}'::text[], 'register_push_subscription accepts exactly the push service endpoints');
select is(array(select c.endpoint || ' (' || c.why || ')' from endpoint_cases c where not c.allowed
                  and tests.error_code(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                                              c.endpoint || '-direct', :'p256dh', :'authkey')) is distinct from 'invalid_input'),
          '{}'::text[], 'a direct insert of any refused endpoint is invalid_input too (the trigger)');
-- README "Web Push endpoints": the query operators run before deploying (without private.push_endpoint_problem)
-- counts exactly what the check refuses (the operator's list is empty here).
select is(array(select c.endpoint || ' (' || c.why || ')' from endpoint_cases c
                where (coalesce(lower(substring(c.endpoint from '^https://([^/?#\\]*)')), '') !~
                         '^(fcm\.googleapis\.com|android\.googleapis\.com|updates\.push\.services\.mozilla\.com|([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+(push\.services\.mozilla\.com|push\.apple\.com|notify\.windows\.com))(:443)?$'
                       or c.endpoint !~ '^https://[^/?#\\]*/\S*$') = c.allowed),
          '{}'::text[], 'the README''s pre-deploy query counts exactly the endpoints the check refuses');
select is(tests.error_details(format('select public.register_push_subscription(%L, %L, %L)',
                                     'https://169.254.169.254/latest/meta-data/', :'p256dh', :'authkey')),
          '{"field": "endpoint"}'::jsonb, 'the error names the field');
select is(tests.error_message(format('select public.register_push_subscription(%L, %L, %L)',
                                     'https://fcm.googleapis.com@evil.example/x', :'p256dh', :'authkey')) ->> 'message',
          'endpoint must not carry user information (user@host).', 'and says why');
select is(tests.error_message(format('select public.register_push_subscription(%L, %L, %L)',
                                     'https://evil.example:8443/x', :'p256dh', :'authkey')) ->> 'message',
          'endpoint host evil.example:8443 is not a known push service.', 'naming the refused host');
select is(tests.error_status(format('update public.push_subscriptions set endpoint = %L where endpoint = %L',
                                    'https://169.254.169.254/x', 'https://fcm.googleapis.com/fcm/send/c1')),
          400, 'moving an endpoint elsewhere by update is refused (400)');
select tests.clear_authentication();
select is(tests.error_code(format('insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (%L, %L, %L, %L)',
                                  :'ann', 'https://127.0.0.1:8443/push/x', :'p256dh', :'authkey')),
          'invalid_input', 'the owner role is refused too: a local push service is not allowed by default');

-- An operator adds a self-hosted push service (or a test receiver): host[:port] or *.domain[:port].
insert into private.push_service_hosts (host, note) values ('127.0.0.1:8443', 'local receiver'), ('*.push.example.org', null);
select tests.authenticate_as('ann');
select is(array(select e from unnest(array['https://127.0.0.1:8443/push/a', 'https://eu.push.example.org/b',
                                           'https://a.b.push.example.org/c']) e
                where tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', e, :'p256dh', :'authkey')) is not null),
          '{}'::text[], 'a listed host (with its port) and names below a listed *.domain are accepted');
select is(array(select e from unnest(array['https://127.0.0.1/push/a', 'https://127.0.0.1:8444/push/a', 'https://push.example.org/b',
                                           'https://eu.push.example.org:8443/b', 'https://127.0.0.2:8443/x']) e
                where tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', e, :'p256dh', :'authkey')) is null),
          '{}'::text[], 'another port, the wildcard''s own domain, another address are still refused');
select tests.clear_authentication();
select throws_ok($$insert into private.push_service_hosts (host) values ('https://evil.example/')$$, '23514', null,
                 'the list holds host names, not URLs');
select throws_ok($$insert into private.push_service_hosts (host) values ('Evil.Example')$$, '23514', null,
                 'in lower case');
select is(private.push_endpoint_problem('https://127.0.0.1:8443/push/a'), null, 'the dispatcher''s check agrees');
delete from private.push_service_hosts where host = '127.0.0.1:8443';
select is(private.push_endpoint_problem('https://127.0.0.1:8443/push/a'), 'endpoint host 127.0.0.1:8443 is not a known push service',
          'and follows the list: once removed, the host is refused at the next send');
select is(has_table_privilege('authenticated', 'private.push_service_hosts', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'users cannot read or change the list');
select is(has_table_privilege('service_role', 'private.push_service_hosts', 'INSERT, UPDATE, DELETE'), false,
          'the service role reads it only');
select is(has_function_privilege('authenticated', 'private.push_endpoint_problem(text)', 'EXECUTE'), false,
          'the check is not callable by clients');

-- Per-device outcome of push deliveries ------------------------------------------------------------
select is(has_table_privilege('authenticated', 'private.push_delivery_devices', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'users have no privilege on the per-device records');
select is(has_table_privilege('anon', 'private.push_delivery_devices', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'nor does anon');
select is(has_table_privilege('service_role', 'private.push_delivery_devices', 'SELECT, INSERT, UPDATE'), true,
          'the dispatcher (service role) reads and writes them');
select is(has_table_privilege('service_role', 'private.push_delivery_devices', 'DELETE'), false,
          'and never deletes them (they go with their delivery)');
-- Three push deliveries on their last attempt and one email: the retries run out.
insert into public.notification_deliveries (id, user_id, kind, channel, payload, status, attempts, next_attempt_at) values
  ('00000000-0000-4000-8000-0000000000a1', :'ann', 'session_cancelled', 'push', '{}', 'sending', 12, now() + interval '1 minute'),
  ('00000000-0000-4000-8000-0000000000a2', :'ann', 'session_cancelled', 'push', '{}', 'sending', 12, now() + interval '1 minute'),
  ('00000000-0000-4000-8000-0000000000a3', :'ann', 'session_cancelled', 'push', '{}', 'sending', 3, now() + interval '1 minute'),
  ('00000000-0000-4000-8000-0000000000a4', :'ann', 'session_cancelled', 'email', '{}', 'sending', 12, now() + interval '1 minute');
insert into private.push_delivery_devices (delivery_id, subscription_id, endpoint_host, status, attempts, http_status, error) values
  ('00000000-0000-4000-8000-0000000000a1', gen_random_uuid(), 'fcm.googleapis.com', 'sent', 1, 201, null),
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', 'web.push.apple.com', 'retry', 12, 503, '503 busy'),
  ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000b2', 'web.push.apple.com', 'retry', 12, 503, '503 busy'),
  ('00000000-0000-4000-8000-0000000000a3', gen_random_uuid(), 'fcm.googleapis.com', 'sent', 1, 201, null),
  ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000b3', 'web.push.apple.com', 'retry', 3, 503, '503 busy');
select is(private.record_notification_deliveries(jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a1', 'attempt', 12, 'outcome', 'retry', 'error', 'apple: 503'),
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a2', 'attempt', 12, 'outcome', 'retry', 'error', 'apple: 503'),
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a3', 'attempt', 3, 'outcome', 'retry', 'error', 'apple: 503'),
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a4', 'attempt', 12, 'outcome', 'retry', 'error', 'smtp down'))),
          4, 'the four results are recorded');
select results_eq($$ select id::text, status, sent_at is not null, last_error from public.notification_deliveries
                     where id::text like '00000000-0000-4000-8000-0000000000a_' order by id $$,
                  $$ values ('00000000-0000-4000-8000-0000000000a1', 'sent', true, 'apple: 503'),
                            ('00000000-0000-4000-8000-0000000000a2', 'failed', false, 'apple: 503'),
                            ('00000000-0000-4000-8000-0000000000a3', 'queued', false, 'apple: 503'),
                            ('00000000-0000-4000-8000-0000000000a4', 'failed', false, 'smtp down') $$,
                  'retries run out: a push that reached a device is sent (the error kept), one that reached none failed; '
                  'a push with retries left is queued again; email is untouched');
select results_eq($$ select subscription_id::text, status, error from private.push_delivery_devices
                     where subscription_id::text like '00000000-0000-4000-8000-0000000000b_' order by 1 $$,
                  $$ values ('00000000-0000-4000-8000-0000000000b1', 'failed', 'given up: 503 busy'),
                            ('00000000-0000-4000-8000-0000000000b2', 'failed', 'given up: 503 busy'),
                            ('00000000-0000-4000-8000-0000000000b3', 'retry', '503 busy') $$,
                  'the devices still waiting are marked given up; those with retries left keep waiting');
update public.notification_deliveries set status = 'sending', next_attempt_at = now() - interval '1 second'
 where id = '00000000-0000-4000-8000-0000000000a3';
update public.notification_deliveries set attempts = 12 where id = '00000000-0000-4000-8000-0000000000a3';
select is((select count(*)::int from private.claim_notification_deliveries(10, 60, array['push'])
           where id = '00000000-0000-4000-8000-0000000000a3'), 0, 'a lease that ran out on the last attempt is not claimed');
select is((select status from public.notification_deliveries where id = '00000000-0000-4000-8000-0000000000a3'), 'sent',
          'and the delivery the claim gives up on is sent too, since a device got it');
delete from public.notification_deliveries where id = '00000000-0000-4000-8000-0000000000a1';
select is((select count(*)::int from private.push_delivery_devices where delivery_id = '00000000-0000-4000-8000-0000000000a1'), 0,
          'the per-device records go with their delivery');

-- Refused at send time: disabled, not deleted; re-enabled when allowed again -------------------------
select is(has_column_privilege('authenticated', 'public.push_subscriptions', 'disabled_at', 'INSERT')
          or has_column_privilege('authenticated', 'public.push_subscriptions', 'disabled_at', 'UPDATE')
          or has_column_privilege('authenticated', 'public.push_subscriptions', 'disabled_reason', 'UPDATE'), false,
          'users cannot write the disabled mark');
select is(has_function_privilege('service_role', 'private.reenable_push_subscriptions()', 'EXECUTE')
          or has_function_privilege('authenticated', 'private.reenable_push_subscriptions()', 'EXECUTE'), false,
          'the re-enabling is the operator''s (and the list''s trigger)');
insert into private.push_service_hosts (host, note) values ('push.example.net', 'test'), ('other.example.net', 'test');
insert into public.push_subscriptions (id, user_id, endpoint, p256dh, auth) values
  ('00000000-0000-4000-8000-0000000000c1', :'ann', 'https://push.example.net/ann-1', :'p256dh', :'authkey'),
  ('00000000-0000-4000-8000-0000000000c2', :'ann', 'https://other.example.net/ann-2', :'p256dh', :'authkey'),
  ('00000000-0000-4000-8000-0000000000c3', :'cat', 'https://push.example.net/cat-1', :'p256dh', :'authkey');
-- The operator removes both hosts; the dispatcher (service role) marks what it refuses.
delete from private.push_service_hosts where host in ('push.example.net', 'other.example.net');
delete from public.push_subscriptions where user_id in (:'ann', :'cat') and id::text not like '00000000-0000-4000-8000-0000000000c_';
select tests.authenticate_as_service_role();
update public.push_subscriptions set disabled_at = now() - interval '1 hour', disabled_reason = private.push_endpoint_problem(endpoint)
 where id::text like '00000000-0000-4000-8000-0000000000c_';
select tests.clear_authentication();
select is((select count(*)::int from public.push_subscriptions where user_id in (:'ann', :'cat') and disabled_at is null), 0,
          'all three are disabled (kept, with the reason)');
select is((select private.notify(:'cat', 'session_cancelled', 'Cancelled', null, null, '{}'::jsonb) is not null), true, 'cat is notified');
select is((select count(*)::int from public.notification_deliveries where user_id = :'cat' and channel = 'push'), 0,
          'no push is queued for a user whose every subscription is disabled');
select tests.authenticate_as('ann');
select is((select row(disabled_at is not null, disabled_reason)::text from public.push_subscriptions
           where id = '00000000-0000-4000-8000-0000000000c1'),
          row(true, 'endpoint host push.example.net is not a known push service')::text,
          'the owner sees that (and why) their device is disabled');
select tests.clear_authentication();
insert into private.push_service_hosts (host, note) values ('push.example.net', 'back');
select is(array(select id::text from public.push_subscriptions
                 where id::text like '00000000-0000-4000-8000-0000000000c_' and disabled_at is null order by 1),
          array['00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000c3'],
          'listing the host again re-enables exactly the subscriptions on it (trigger)');
select is((select count(*)::int from public.push_subscriptions
           where id = '00000000-0000-4000-8000-0000000000c3' and disabled_reason is null), 1, 'and clears the reason');
select is((select private.notify(:'cat', 'session_cancelled', 'Cancelled again', null, null, '{}'::jsonb) is not null), true,
          'cat is notified again');
select is((select count(*)::int from public.notification_deliveries where user_id = :'cat' and channel = 'push'), 1,
          'a push is queued again for her');
-- The built-in list changing (a migration) is not a change of the table: the function does it by hand.
update public.push_subscriptions set endpoint = 'https://push.example.net/ann-2-moved' where id = '00000000-0000-4000-8000-0000000000c1';
select tests.authenticate_as_service_role();
update public.push_subscriptions set disabled_at = now(), disabled_reason = 'test' where id = '00000000-0000-4000-8000-0000000000c1';
select tests.clear_authentication();
select is(private.reenable_push_subscriptions(), 1, 'private.reenable_push_subscriptions() re-enables what is allowed now and counts it');
select isnt((select disabled_at from public.push_subscriptions where id = '00000000-0000-4000-8000-0000000000c2'), null,
            'a subscription whose host is still refused stays disabled');
-- Writing the endpoint (or registering it) again clears the mark: the check ran and passed.
select tests.authenticate_as_service_role();
update public.push_subscriptions set disabled_at = now(), disabled_reason = 'test' where id = '00000000-0000-4000-8000-0000000000c1';
select tests.authenticate_as('ann');
select lives_ok($$update public.push_subscriptions set endpoint = 'https://push.example.net/ann-1-new'
                  where id = '00000000-0000-4000-8000-0000000000c1'$$, 'the owner writes a new endpoint');
select is((select disabled_at from public.push_subscriptions where id = '00000000-0000-4000-8000-0000000000c1'), null,
          'a new allowed endpoint is enabled');
select tests.clear_authentication();
update public.push_subscriptions set disabled_at = now(), disabled_reason = 'test' where id = '00000000-0000-4000-8000-0000000000c1';
select tests.authenticate_as('ann');
select is((select disabled_at from public.register_push_subscription('https://push.example.net/ann-1-new', :'p256dh', :'authkey')),
          null, 'registering the device again enables it');
select tests.clear_authentication();

-- The dispatcher's write-back (private.record_push_subscription_states) ---------------------------------------
select is(has_column_privilege('authenticated', 'public.push_subscriptions', 'disabled_cause', 'INSERT')
          or has_column_privilege('authenticated', 'public.push_subscriptions', 'disabled_cause', 'UPDATE'), false,
          'users cannot write disabled_cause');
select is(array(select r from unnest(array['anon', 'authenticated', 'service_role']) r
                where has_function_privilege(r, 'private.record_push_subscription_states(uuid, jsonb)', 'EXECUTE')),
          array['service_role'], 'only service_role (the dispatcher) runs the write-back');
select tests.authenticate_as_service_role();
-- c1 (push.example.net, listed) reported refused: the list allows it now, so it stays enabled.
select is(private.record_push_subscription_states(:'ann', jsonb_build_array(jsonb_build_object(
            'id', '00000000-0000-4000-8000-0000000000c1', 'endpoint', 'https://push.example.net/ann-1-new', 'state', 'refused'))),
          0, 'an endpoint reported refused but allowed at write-back is not disabled');
-- c2 (other.example.net, not listed) reported refused: disabled, cause endpoint, the reason of now.
select is(private.record_push_subscription_states(:'ann', jsonb_build_array(jsonb_build_object(
            'id', '00000000-0000-4000-8000-0000000000c2', 'endpoint', 'https://other.example.net/ann-2', 'state', 'refused'))),
          1, 'an endpoint still refused is disabled');
select is((select disabled_cause || ' | ' || disabled_reason from public.push_subscriptions where id = '00000000-0000-4000-8000-0000000000c2'),
          'endpoint | endpoint host other.example.net is not a known push service', '... cause endpoint, with the reason');
-- Another user's id, or a stale endpoint: nothing.
select is(private.record_push_subscription_states(:'ben', jsonb_build_array(jsonb_build_object(
            'id', '00000000-0000-4000-8000-0000000000c1', 'endpoint', 'https://push.example.net/ann-1-new', 'state', 'unusable_keys',
            'p256dh', :'p256dh', 'auth', :'authkey', 'reason', 'x'))),
          0, 'a row that is not the given user''s is never touched');
select is(private.record_push_subscription_states(:'ann', jsonb_build_array(jsonb_build_object(
            'id', '00000000-0000-4000-8000-0000000000c1', 'endpoint', 'https://push.example.net/ann-1-new', 'state', 'unusable_keys',
            'p256dh', 'BOther', 'auth', :'authkey', 'reason', 'x'))),
          0, 'nor one whose keys changed since the send');
select is(private.record_push_subscription_states(:'ann', jsonb_build_array(jsonb_build_object(
            'id', '00000000-0000-4000-8000-0000000000c1', 'endpoint', 'https://push.example.net/ann-1-new', 'state', 'unusable_keys',
            'p256dh', :'p256dh', 'auth', :'authkey', 'reason', 'the subscription''s keys are unusable: bad point'))),
          1, 'unusable keys: disabled');
select is((select disabled_cause || ' | ' || disabled_reason from public.push_subscriptions where id = '00000000-0000-4000-8000-0000000000c1'),
          'keys | the subscription''s keys are unusable: bad point', '... cause keys, with the reason');
select tests.clear_authentication();
select is(private.reenable_push_subscriptions(), 0, 're-enabling by the host list leaves a row disabled for its keys');
select tests.authenticate_as('ann');
update public.push_subscriptions set auth = 'uBHItJI5svbpez7KI4CCXg' where id = '00000000-0000-4000-8000-0000000000c1';
select is((select row(disabled_at, disabled_cause, disabled_reason)::text from public.push_subscriptions
           where id = '00000000-0000-4000-8000-0000000000c1'), row(null, null, null)::text,
          'the owner writes new keys: enabled again');
select tests.clear_authentication();
select is(tests.error_code($$select private.record_push_subscription_states(gen_random_uuid(), '{}'::jsonb)$$), 'invalid_input',
          'changes that are not an array: invalid_input');

select * from finish();
rollback;
