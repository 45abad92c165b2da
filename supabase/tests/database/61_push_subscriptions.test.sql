-- Push subscriptions: grants and policies, own rows only for the owner, another user, anon and
-- service_role (select/insert/update/delete), the https and key format checks, non-writable columns,
-- and the upsert on endpoint (own row updated, another user's endpoint refused).
begin;
\ir ../helpers.sql
select plan(41);

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
                        :'ben', 'https://push.example/ben-by-ann', :'p256dh', :'authkey'),
                 '42501', null, 'a user cannot add a subscription for someone else');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'http://push.example/plain', :'p256dh', :'authkey'),
                 '23514', null, 'the endpoint must be https');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://push.example/bad-key', 'not a key!', :'authkey'),
                 '23514', null, 'p256dh must be base64url');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://push.example/short-auth', :'p256dh', 'abc'),
                 '23514', null, 'auth must be a base64url secret of at least 16 characters');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth, created_at) values (%L, %L, %L, now())',
                        'https://push.example/ts', :'p256dh', :'authkey'),
                 '42501', null, 'created_at is not writable');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth, last_used_at) values (%L, %L, %L, now())',
                        'https://push.example/ts2', :'p256dh', :'authkey'),
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
                       'https://push.example/ben-phone', :'p256dh', :'authkey'), 'another user adds their own device');
select tests.clear_authentication();
select is((select row(user_id, auth, user_agent)::text from public.push_subscriptions where endpoint = :'endpoint'),
          row(:'ann'::uuid, 'rotatedSecret12345678', 'Firefox 141')::text,
          'another user''s update, delete and upsert changed nothing');

-- anon ------------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select throws_ok('select * from public.push_subscriptions', '42501', null, 'anon cannot read subscriptions');
select throws_ok(format('insert into public.push_subscriptions (endpoint, p256dh, auth) values (%L, %L, %L)',
                        'https://push.example/anon', :'p256dh', :'authkey'), '42501', null, 'anon cannot add one');
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
select is((select count(*)::int from public.push_subscriptions where endpoint = 'https://push.example/ben-phone'), 0,
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
select is(tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', 'http://push.example/plain', :'p256dh', :'authkey')),
          'invalid_input', 'an endpoint that is not https is invalid_input');
select is(tests.error_code(format('select public.register_push_subscription(%L, %L, %L)', :'shared', :'p256dh', 'abc')),
          'invalid_input', 'a short auth key is invalid_input');
select tests.authenticate_as('ann');
select is((select count(*)::int from public.push_subscriptions where endpoint = :'shared'), 0,
          'the previous user no longer has it: their notifications stop going to that browser');
select tests.clear_authentication();
select is((select user_id from public.push_subscriptions where endpoint = :'shared'), :'cat'::uuid, 'it is the new user''s');

select * from finish();
rollback;
