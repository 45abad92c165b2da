-- Foundation: the platform emulation behaves as the platform does (auth.*() semantics, realtime.send,
-- channel authorization replay), the error helper's format, and the structural guards.
begin;
\ir ../helpers.sql
select plan(23);

select tests.create_supabase_user('alice', metadata => '{"display_name":"Alice"}');
select tests.create_supabase_user('bob');

-- auth.uid(), auth.role(), auth.email(), auth.jwt() read the claims PostgREST sets.
select tests.authenticate_as('alice');
select is(auth.uid(), tests.get_supabase_uid('alice'), 'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.email(), 'alice@test.local', 'auth.email() is the email claim');
select is(auth.jwt() ->> 'aud', 'authenticated', 'auth.jwt() returns the whole claims object');
select is(current_user::text, 'authenticated', 'authenticate_as switches the role like PostgREST');
select tests.authenticate_as_anon();
select is(auth.uid(), null, 'anon has no uid');
select is(auth.role(), 'anon', 'anon role claim');
select tests.authenticate_as_service_role();
select is(auth.role(), 'service_role', 'service_role claim');
select tests.clear_authentication();
select is(current_user::text, 'postgres', 'clear_authentication returns to postgres');
select is(auth.uid(), null, 'no claims after clearing');

-- postgres is the platform's postgres: not superuser, bypasses RLS.
select is((select rolsuper from pg_roles where rolname = 'postgres'), false, 'postgres is not a superuser');
select is((select rolbypassrls from pg_roles where rolname = 'postgres'), true, 'postgres bypasses RLS');

-- realtime.send: inserts a private broadcast row with the topic set, swallows errors as warnings.
select realtime.send('{"hello":"world"}', 'greeting', 'session:test-topic');
select is((select count(*)::int from realtime.messages where topic = 'session:test-topic' and event = 'greeting'
           and private and extension = 'broadcast' and payload ->> 'hello' = 'world' and payload ? 'id'), 1,
          'realtime.send inserts one private broadcast row with an id');
select tests.authenticate_as('alice');
select lives_ok($$ select realtime.send('{}', 'denied', 'session:rls-denied') $$,
                'realtime.send never raises, even when RLS rejects the insert');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages where topic = 'session:rls-denied'), 0,
          'a send rejected by RLS leaves no row');
select throws_ok($$ select realtime.broadcast_changes('t', 'e', 'INSERT', 'x', 'public', null, null, 'STATEMENT') $$,
                 'P0001', null, 'broadcast_changes rejects statement level');

-- Without policies on realtime.messages nobody may read or write a private channel.
select results_eq($$ select can_read, can_write from tests.realtime_access('alice', 'session:any') $$,
                  $$ values (false, false) $$, 'no policy: a user can neither read nor write');
select results_eq($$ select can_read, can_write from tests.realtime_access(null, 'session:any') $$,
                  $$ values (false, false) $$, 'no policy: anon can neither read nor write');

-- The error helper produces exactly the PGRST format PostgREST needs.
create function pg_temp.error_parts(out msg jsonb, out det jsonb) language plpgsql as $$
begin
  perform private.raise_error('rate_limited', 'Slow down', '{"limit":5}', 12);
exception when sqlstate 'PGRST' then
  declare m text; d text;
  begin
    get stacked diagnostics m = message_text, d = pg_exception_detail;
    msg := m::jsonb; det := d::jsonb;
  end;
end $$;
select is((select msg from pg_temp.error_parts()), '{"code":"rate_limited","message":"Slow down","details":{"limit":5},"hint":null}'::jsonb,
          'error MESSAGE is the JSON PostgREST expects');
select is((select det from pg_temp.error_parts()), '{"status":429,"headers":{"Retry-After":"12"}}'::jsonb,
          'error DETAIL carries the status and string headers');
select throws_ok($$ select private.raise_error('not_found', 'nope') $$, 'PGRST', null, 'raise_error raises sqlstate PGRST');

-- Structural guards.
select is(tests.tables_without_rls('public'), '{}'::text[], 'every table in public has RLS enabled');
-- Listed on purpose: the helpers behind session_cards for visitors (public event pages). Each
-- answers for one session the caller can already read and returns only what the card shows
-- (am_banned answers for the caller only: always false for anon).
select is((select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname in ('public', 'private') and p.prosecdef
             and has_function_privilege('anon', p.oid, 'execute')
             and p.oid::regprocedure::text <> all (array[
               'private.session_host(uuid)', 'private.my_session_relation(uuid)',
               'private.session_booked_count(uuid)', 'private.viewer_count(uuid)', 'private.am_banned(uuid)'])), '{}'::text[],
          'no security definer function in public or private is executable by anon, except those listed on purpose');

select * from finish();
rollback;
