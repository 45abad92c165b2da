-- The custom access token hook as Supabase Auth runs it: as supabase_auth_admin (NOINHERIT, no
-- BYPASSRLS), through the hook's own grants and policy. On today's platform postgres is not a member
-- of supabase_auth_admin and cannot switch to it, so scripts/test.sh runs this directory with
-- pg_prove as supabase_admin. Fixtures are written as postgres (as the migrations and the other
-- tests are); only the hook calls switch to supabase_auth_admin.
begin;
set local role postgres;
set local search_path = "$user", public, extensions; -- postgres's own setting (supabase_admin logged in)
\ir ../helpers.sql
select plan(18);

select tests.create_supabase_user('ada', metadata => '{"display_name":"Ada"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto"}');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
select set_config('tests.hook_event', jsonb_build_object(
  'user_id', tests.get_supabase_uid('ada'),
  'authentication_method', 'password',
  'claims', jsonb_build_object(
    'iss', 'http://127.0.0.1:54321/auth/v1', 'aud', 'authenticated',
    'exp', extract(epoch from now() + interval '1 hour')::bigint, 'iat', extract(epoch from now())::bigint,
    'sub', tests.get_supabase_uid('ada'), 'role', 'authenticated', 'aal', 'aal1',
    'session_id', '11111111-1111-4111-8111-111111111111', 'email', 'ada@test.local', 'phone', '',
    'is_anonymous', false, 'app_metadata', '{"provider":"email"}'::jsonb,
    'user_metadata', '{"display_name":"Ada","user_role":"admin-from-metadata"}'::jsonb))::text, true);
select set_config('tests.otto', tests.get_supabase_uid('otto')::text, true);
update public.profiles set status = 'deactivated' where id = tests.get_supabase_uid('otto');

select is(pg_has_role('postgres', 'supabase_auth_admin', 'member'), false,
          'postgres is not a member of supabase_auth_admin (today''s platform)');

-- As GoTrue runs it. supabase_auth_admin cannot see pgTAP (schema extensions): outputs and errors
-- are kept in settings and asserted after the role is reset.
reset role;
set local role supabase_auth_admin;
set local search_path = auth; -- GoTrue's connection
select set_config('tests.hook_out', public.custom_access_token_hook(current_setting('tests.hook_event')::jsonb)::text, true);
select set_config('tests.hook_out_otto', public.custom_access_token_hook(jsonb_build_object(
  'user_id', current_setting('tests.otto'), 'claims', '{"sub":"otto"}'::jsonb))::text, true);
select set_config('tests.hook_out_unknown', public.custom_access_token_hook(
  jsonb_build_object('user_id', gen_random_uuid(), 'claims', '{"sub":"x"}'::jsonb))::text, true);
select set_config('tests.roles_seen', (select count(*)::text from public.user_roles), true);
-- What the hook's grants refuse: every other table and RPC of the API.
do $$
declare
  v_statement text;
  v_refused text := '';
begin
  foreach v_statement in array array[
    'select display_name, company, bio from public.profiles',
    'select count(*) from public.sessions',
    'select count(*) from public.bookings',
    'insert into public.user_roles (user_id, role) values (gen_random_uuid(), ''admin'')',
    'update public.user_roles set role = ''admin'' where user_id = gen_random_uuid()',
    'select public.book_session(gen_random_uuid())',
    'select public.set_user_role(gen_random_uuid(), ''admin'')']
  loop
    begin
      execute v_statement;
      v_refused := v_refused || '|allowed';
    exception when insufficient_privilege then
      v_refused := v_refused || '|42501';
    when others then
      v_refused := v_refused || '|' || sqlstate;
    end;
  end loop;
  perform set_config('tests.refused', v_refused, true);
end
$$;
reset role;
set local role postgres;
set local search_path = "$user", public, extensions;

select is(current_setting('tests.hook_out')::jsonb -> 'claims' ->> 'user_role', 'admin',
          'hook adds user_role from user_roles, not from user metadata');
select is((current_setting('tests.hook_out')::jsonb -> 'claims') - 'user_role' - 'account_status',
          current_setting('tests.hook_event')::jsonb -> 'claims', 'hook keeps every other claim unchanged');
select ok((current_setting('tests.hook_out')::jsonb -> 'claims')
          ?& array['iss', 'aud', 'exp', 'iat', 'sub', 'role', 'aal', 'session_id', 'email', 'phone', 'is_anonymous'],
          'hook output has every required claim');
select is(current_setting('tests.hook_out')::jsonb - 'claims', current_setting('tests.hook_event')::jsonb - 'claims',
          'hook keeps the rest of the event');
select is(current_setting('tests.hook_out')::jsonb -> 'claims' ->> 'account_status', 'active',
          'hook adds account_status from profiles');
select is(current_setting('tests.hook_out_otto')::jsonb -> 'claims' ->> 'account_status', 'deactivated',
          'a deactivated user''s token says deactivated');
select is(current_setting('tests.hook_out_unknown')::jsonb -> 'claims' ->> 'account_status', 'active',
          'hook defaults to active for a user without a profile');
select is(current_setting('tests.hook_out_otto')::jsonb -> 'claims' ->> 'user_role', 'member',
          'a member''s token says member');
select is(current_setting('tests.hook_out_unknown')::jsonb -> 'claims' ->> 'user_role', 'member',
          'hook defaults to member for a user without a role row');
select is(current_setting('tests.roles_seen')::int, (select count(*)::int from public.user_roles),
          'supabase_auth_admin reads every role row through its policy');
select is(split_part(current_setting('tests.refused'), '|', 2), '42501', 'supabase_auth_admin cannot read profiles beyond id and status');
select is(split_part(current_setting('tests.refused'), '|', 3), '42501', 'supabase_auth_admin cannot read sessions');
select is(split_part(current_setting('tests.refused'), '|', 4), '42501', 'supabase_auth_admin cannot read bookings');
select is(split_part(current_setting('tests.refused'), '|', 5), '42501', 'supabase_auth_admin cannot insert roles');
select is(split_part(current_setting('tests.refused'), '|', 6), '42501', 'supabase_auth_admin cannot update roles');
select is(split_part(current_setting('tests.refused'), '|', 7), '42501', 'supabase_auth_admin cannot book');
select is(split_part(current_setting('tests.refused'), '|', 8), '42501', 'supabase_auth_admin cannot change roles');

select * from finish();
rollback;
