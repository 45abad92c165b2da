-- Test helpers, in the `tests` schema. Included by every pgTAP file inside its transaction
-- (`\ir ../helpers.sql` right after `begin;`), so they exist only for that test and are rolled
-- back with it: nothing of this reaches a real database.
--
--   tests.create_supabase_user(identifier, email, phone, metadata) -> uuid
--   tests.get_supabase_uid(identifier) -> uuid
--   tests.authenticate_as(identifier)      -- role authenticated + claims, as PostgREST does
--   tests.authenticate_as_anon()
--   tests.authenticate_as_service_role()
--   tests.clear_authentication()           -- back to postgres, claims cleared
--   tests.realtime_access(identifier or null, topic) -> (can_read, can_write)
--   tests.error_code(query), tests.error_status(query), tests.error_details(query),
--   tests.error_detail(query), tests.error_message(query): the API error a statement raises
--   tests.rls_enabled_everywhere(schema) -> text[] of tables without RLS

-- On Supabase postgres may create pgTAP; locally scripts/test.sh has created it already.
create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.create_supabase_user(
  identifier text,
  email text default null,
  phone text default null,
  metadata jsonb default null
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  v_id uuid := gen_random_uuid();
  v_email text := coalesce(create_supabase_user.email, identifier || '@test.local');
  v_meta jsonb := coalesce(metadata, '{}'::jsonb) || jsonb_build_object('test_identifier', identifier);
begin
  if not (v_meta ? 'display_name') then
    v_meta := v_meta || jsonb_build_object('display_name', initcap(replace(identifier, '_', ' ')));
  end if;
  insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                          raw_app_meta_data, raw_user_meta_data, created_at, updated_at, phone)
  values ('00000000-0000-0000-0000-000000000000', v_id, 'authenticated', 'authenticated', v_email,
          extensions.crypt('password123', extensions.gen_salt('bf', 4)), now(),
          '{"provider":"email","providers":["email"]}', v_meta, now(), now(), phone);
  insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
  values (v_id::text, v_id, jsonb_build_object('sub', v_id::text, 'email', v_email), 'email', now(), now());
  return v_id;
end;
$$;

create or replace function tests.get_supabase_uid(identifier text) returns uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  select u.id into v_id from auth.users u where u.raw_user_meta_data ->> 'test_identifier' = identifier;
  if v_id is null then
    raise exception 'tests.get_supabase_uid: no user with identifier %', identifier;
  end if;
  return v_id;
end;
$$;

-- The claims Supabase Auth would put in the user's access token: the required ones, then whatever
-- the project's custom access token hook adds (user_role), exactly as GoTrue calls it.
create or replace function tests.user_claims(identifier text) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users;
  v_claims jsonb;
  v_result jsonb;
begin
  select * into v_user from auth.users u where u.id = tests.get_supabase_uid(identifier);
  v_claims := jsonb_build_object(
    'iss', 'http://127.0.0.1:54321/auth/v1', 'aud', 'authenticated',
    'exp', extract(epoch from now() + interval '1 hour')::bigint, 'iat', extract(epoch from now())::bigint,
    'sub', v_user.id::text, 'role', 'authenticated', 'aal', 'aal1',
    'session_id', gen_random_uuid()::text, 'email', v_user.email, 'phone', coalesce(v_user.phone, ''),
    'is_anonymous', false,
    'app_metadata', coalesce(v_user.raw_app_meta_data, '{}'::jsonb),
    'user_metadata', coalesce(v_user.raw_user_meta_data, '{}'::jsonb));
  if to_regprocedure('public.custom_access_token_hook(jsonb)') is not null then
    execute 'select public.custom_access_token_hook($1)'
      into v_result
      using jsonb_build_object('user_id', v_user.id, 'claims', v_claims, 'authentication_method', 'password');
    v_claims := v_result -> 'claims';
  end if;
  return v_claims;
end;
$$;

-- No SET clause on the functions that switch role: it would undo their set_config(..., true) at exit.
-- Like PostgREST: role and claims as transaction-local settings (plus the older per-claim GUCs).
create or replace function tests.authenticate_as(identifier text) returns void
language plpgsql as $$
declare
  v_claims jsonb := tests.user_claims(identifier);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', v_claims::text, true);
  perform set_config('request.jwt.claim.sub', v_claims ->> 'sub', true);
  perform set_config('request.jwt.claim.role', 'authenticated', true);
end;
$$;

create or replace function tests.authenticate_as_anon() returns void
language plpgsql as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', 'anon', true);
end;
$$;

create or replace function tests.authenticate_as_service_role() returns void
language plpgsql as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role":"service_role","iss":"supabase"}', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', 'service_role', true);
end;
$$;

create or replace function tests.clear_authentication() returns void
language plpgsql as $$
begin
  perform set_config('role', 'postgres', true);
  perform set_config('request.jwt.claims', '', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', '', true);
end;
$$;

-- Replays the Realtime server's private-channel authorization (PLATFORM.md): a read check (probe
-- rows inserted without RLS, then one set_config statement, then the probes selected back) and a
-- write check (the same set_config, then one insert per extension in a savepoint, 42501 = denied),
-- each rolled back. Call it as postgres (after tests.clear_authentication()); identifier null = anon.
create or replace function tests.realtime_access(identifier text, topic text,
  out can_read boolean, out can_write boolean)
language plpgsql as $$
declare
  v_role text := case when identifier is null then 'anon' else 'authenticated' end;
  v_claims jsonb := case when identifier is null then '{"role":"anon"}'::jsonb else tests.user_claims(identifier) end;
  v_probe uuid := gen_random_uuid();
  v_seen int;
begin
  if current_user <> 'postgres' then
    raise exception 'tests.realtime_access must run as postgres, not %', current_user;
  end if;
  can_read := false;
  can_write := false;
  -- Read check.
  begin
    insert into realtime.messages (id, topic, extension, private, payload, event, inserted_at, updated_at)
    values (v_probe, topic, 'broadcast', true, '{}', null, now() at time zone 'utc', now() at time zone 'utc');
    perform set_config('role', v_role, true), set_config('realtime.topic', topic, true),
            set_config('request.jwt.claims', v_claims::text, true),
            set_config('request.jwt.claim.sub', coalesce(v_claims ->> 'sub', ''), true),
            set_config('request.jwt.claim.role', v_role, true),
            set_config('request.headers', '{}', true);
    select count(*) into v_seen from realtime.messages m where m.id = v_probe;
    can_read := v_seen = 1;
    raise exception using errcode = 'P0004', message = 'rollback read check';
  exception when sqlstate 'P0004' then null;
  end;
  -- Write check.
  begin
    perform set_config('role', v_role, true), set_config('realtime.topic', topic, true),
            set_config('request.jwt.claims', v_claims::text, true),
            set_config('request.jwt.claim.sub', coalesce(v_claims ->> 'sub', ''), true),
            set_config('request.jwt.claim.role', v_role, true),
            set_config('request.headers', '{}', true);
    begin
      insert into realtime.messages (topic, extension, private, payload, event)
      values (topic, 'broadcast', true, '{}', 'probe');
      can_write := true;
    exception when insufficient_privilege then
      can_write := false;
    end;
    raise exception using errcode = 'P0004', message = 'rollback write check';
  exception when sqlstate 'P0004' then null;
  end;
end;
$$;

-- API errors of a statement, run as the current role (its effects are kept when it succeeds).
-- tests.error_code: the API code of a PGRST error, else the SQLSTATE, null on success.
create or replace function tests.error_code(query text) returns text
language plpgsql as $$
declare
  v_message text;
begin
  execute query;
  return null;
exception
  when sqlstate 'PGRST' then
    get stacked diagnostics v_message = message_text;
    return v_message::jsonb ->> 'code';
  when others then
    return sqlstate;
end;
$$;

-- tests.error_details: the `details` of the API error's MESSAGE; tests.error_detail: its DETAIL
-- ({status, headers}); tests.error_status: the HTTP status. Null on success; other errors propagate.
create or replace function tests.error_message(query text) returns jsonb
language plpgsql as $$
declare
  v_message text;
begin
  execute query;
  return null;
exception when sqlstate 'PGRST' then
  get stacked diagnostics v_message = message_text;
  return v_message::jsonb;
end;
$$;

create or replace function tests.error_detail(query text) returns jsonb
language plpgsql as $$
declare
  v_detail text;
begin
  execute query;
  return null;
exception when sqlstate 'PGRST' then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end;
$$;

create or replace function tests.error_details(query text) returns jsonb
language sql as $$ select tests.error_message(query) -> 'details' $$;

create or replace function tests.error_status(query text) returns int
language sql as $$ select (tests.error_detail(query) ->> 'status')::int $$;

-- Names of the tables in a schema that do not have row level security enabled.
create or replace function tests.tables_without_rls(schema_name text default 'public') returns text[]
language sql stable set search_path = '' as $$
  select coalesce(array_agg(c.relname::text order by c.relname), '{}')
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = schema_name and c.relkind in ('r', 'p') and not c.relrowsecurity;
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
