-- Deactivation and deletion sign the user out everywhere: their Supabase Auth sessions are deleted
-- (refresh tokens cascade), others' stay. The platform emulation has no auth.sessions, so this file
-- (run as supabase_admin, who may create tables in the auth schema) adds the two tables with the
-- platform's keys for the test, inside its transaction. Without the table, or without the right to
-- delete from it, the acts still complete and the audit row says sessions_revoked null.
begin;
set local role postgres;
set local search_path = "$user", public, extensions;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('ada');
select tests.create_supabase_user('dee');
select tests.create_supabase_user('mo');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');

-- Without auth.sessions (the emulation): deactivation completes, nothing to revoke.
select tests.authenticate_as('ada');
select lives_ok(format('select public.deactivate_user(%L)', tests.get_supabase_uid('dee')), 'without auth.sessions, deactivation completes');
select lives_ok(format('select public.reactivate_user(%L)', tests.get_supabase_uid('dee')), 'and reactivation');
select tests.clear_authentication();
select is((select details -> 'sessions_revoked' from public.audit_log where action = 'user_deactivated'
             and target_id = tests.get_supabase_uid('dee') order by id desc limit 1),
          'null'::jsonb, 'the audit row says nothing was revoked');

-- The platform's tables (the columns that matter), as supabase_admin.
reset role;
create table auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now()
);
create table auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255),
  user_id varchar(255),
  revoked boolean,
  session_id uuid references auth.sessions (id) on delete cascade
);
grant all on auth.sessions, auth.refresh_tokens, auth.refresh_tokens_id_seq to postgres;
set local role postgres;
insert into auth.sessions (id, user_id) values
  ('5e550000-0000-4000-8000-000000000001', tests.get_supabase_uid('dee')),
  ('5e550000-0000-4000-8000-000000000002', tests.get_supabase_uid('dee')),
  ('5e550000-0000-4000-8000-000000000003', tests.get_supabase_uid('mo'));
insert into auth.refresh_tokens (token, user_id, revoked, session_id) values
  ('dee-1', tests.get_supabase_uid('dee')::text, false, '5e550000-0000-4000-8000-000000000001'),
  ('dee-2', tests.get_supabase_uid('dee')::text, false, '5e550000-0000-4000-8000-000000000002'),
  ('mo-1', tests.get_supabase_uid('mo')::text, false, '5e550000-0000-4000-8000-000000000003');

select tests.authenticate_as('ada');
select lives_ok(format('select public.deactivate_user(%L, %L)', tests.get_supabase_uid('dee'), 'Signed out'), 'ada deactivates dee');
select tests.clear_authentication();
select is((select count(*)::int from auth.sessions where user_id = tests.get_supabase_uid('dee')), 0, 'dee''s sessions are gone');
select is((select count(*)::int from auth.refresh_tokens where user_id = tests.get_supabase_uid('dee')::text), 0,
          'and with them her refresh tokens');
select is((select count(*)::int from auth.sessions where user_id = tests.get_supabase_uid('mo')), 1, 'mo''s session stays');
select is((select details -> 'sessions_revoked' from public.audit_log where action = 'user_deactivated'
             and target_id = tests.get_supabase_uid('dee') order by id desc limit 1),
          '2'::jsonb, 'the audit row counts the revoked sessions');

-- Deleting an account signs it out too (and erases the test identifier with the metadata).
select set_config('tests.mo', tests.get_supabase_uid('mo')::text, true);
select tests.authenticate_as('mo');
select public.delete_my_account() is not null as deleted;
select tests.clear_authentication();
select is((select count(*)::int from auth.sessions where user_id = current_setting('tests.mo')::uuid), 0,
          'a deleted account has no session left');

-- Where the owner of the RPCs may not delete sessions, deactivation still completes.
select tests.create_supabase_user('zed');
insert into auth.sessions (id, user_id) values ('5e550000-0000-4000-8000-000000000004', tests.get_supabase_uid('zed'));
reset role;
revoke all on auth.sessions from postgres;
grant select on auth.sessions to postgres;
set local role postgres;
select tests.authenticate_as('ada');
select lives_ok(format('select public.deactivate_user(%L)', tests.get_supabase_uid('zed')),
                'without the right to delete sessions, deactivation still completes');
select tests.clear_authentication();
select is((select status::text from public.profiles where id = tests.get_supabase_uid('zed')), 'deactivated', 'zed is deactivated');
select is((select details -> 'sessions_revoked' from public.audit_log where action = 'user_deactivated'
             and target_id = tests.get_supabase_uid('zed') order by id desc limit 1),
          'null'::jsonb, 'and the audit row says no session was revoked');

select * from finish();
rollback;
