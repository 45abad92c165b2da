-- Audit log: structure and grants, the RLS matrix (admin, member, coach, anon, service_role), rows
-- for role changes (set_user_role, approval, service role) and coach application decisions, the
-- applicant's coach_application_decided notification, changed-field reduction, and append-only:
-- no UPDATE, DELETE or TRUNCATE for anyone, the owner (postgres) included.
begin;
\ir ../helpers.sql
select plan(46);

select tests.create_supabase_user('ada');
select tests.create_supabase_user('carl');
select tests.create_supabase_user('mia');
select tests.create_supabase_user('otto');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('carl');
-- Rows written so far (seed, setup above) are not this test's: count from here.
select set_config('tests.audit_from', (select coalesce(max(id), 0)::text from public.audit_log), true);
select set_config('tests.otto', tests.get_supabase_uid('otto')::text, true);
create view tests.my_audit with (security_invoker = true) as
  select * from public.audit_log where id > current_setting('tests.audit_from')::bigint;
grant select on tests.my_audit to authenticated, anon, service_role;

-- Structure ---------------------------------------------------------------------------------------
select ok((select relrowsecurity from pg_class where oid = 'public.audit_log'::regclass), 'audit_log has RLS');
select policies_are('public', 'audit_log', array[
  'deactivated accounts read nothing', 'admins can read the audit log',
  'the service role can read the audit log']);
select is(has_table_privilege('authenticated', 'public.audit_log', 'INSERT')
          or has_table_privilege('authenticated', 'public.audit_log', 'UPDATE')
          or has_table_privilege('authenticated', 'public.audit_log', 'DELETE')
          or has_table_privilege('authenticated', 'public.audit_log', 'TRUNCATE'), false,
          'authenticated cannot write audit_log');
select is(has_table_privilege('service_role', 'public.audit_log', 'INSERT')
          or has_table_privilege('service_role', 'public.audit_log', 'UPDATE')
          or has_table_privilege('service_role', 'public.audit_log', 'DELETE')
          or has_table_privilege('service_role', 'public.audit_log', 'TRUNCATE'), false,
          'service_role cannot write audit_log');
select is(has_table_privilege('anon', 'public.audit_log', 'SELECT'), false, 'anon has no privilege on audit_log');
select is(has_function_privilege('authenticated', 'private.audit(text, text, uuid, jsonb, jsonb, jsonb)', 'execute')
          or has_function_privilege('anon', 'private.audit(text, text, uuid, jsonb, jsonb, jsonb)', 'execute'), false,
          'clients cannot call private.audit');

-- Role changes ------------------------------------------------------------------------------------
select tests.authenticate_as('ada');
select lives_ok($$ select public.set_user_role(tests.get_supabase_uid('otto'), 'coach') $$, 'an admin makes otto a coach');
select tests.clear_authentication();
select results_eq($$ select actor_id, actor_role, target_type, target_id, before, after from tests.my_audit
                     where action = 'user_role_changed' $$,
                  $$ values (tests.get_supabase_uid('ada'), 'admin'::text, 'user'::text, tests.get_supabase_uid('otto'),
                             '{"role":"member"}'::jsonb, '{"role":"coach"}'::jsonb) $$,
                  'set_user_role is audited: actor, target, role before and after');
select is((select details ->> 'granted_by' from tests.my_audit where action = 'user_role_changed'),
          tests.get_supabase_uid('ada')::text, 'the audit row says who granted the role');

select tests.authenticate_as('ada');
select lives_ok($$ select public.set_user_role(tests.get_supabase_uid('otto'), 'coach') $$, 'setting the same role again');
select tests.clear_authentication();
select is((select count(*)::int from tests.my_audit where action = 'user_role_changed'), 1,
          'setting an unchanged role adds no audit row');

select tests.authenticate_as_service_role();
select lives_ok($$ select public.set_user_role(tests.get_supabase_uid('otto'), 'member') $$, 'the service role demotes otto');
select tests.clear_authentication();
select results_eq($$ select actor_id, actor_role, after from tests.my_audit where action = 'user_role_changed' order by id desc limit 1 $$,
                  $$ values (null::uuid, 'service_role'::text, '{"role":"member"}'::jsonb) $$,
                  'a service-role change is audited as service_role without actor');

update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('otto');
select results_eq($$ select actor_role, after from tests.my_audit where action = 'user_role_changed' order by id desc limit 1 $$,
                  $$ values ('system'::text, '{"role":"coach"}'::jsonb) $$,
                  'a direct write to user_roles without a JWT is audited as system');
update public.user_roles set role = 'member' where user_id = tests.get_supabase_uid('otto');

select tests.authenticate_as('carl');
select is(tests.error_code($$ select public.set_user_role(tests.get_supabase_uid('otto'), 'admin') $$), 'forbidden',
          'a coach cannot change roles');
select tests.clear_authentication();
select is((select count(*)::int from tests.my_audit where action = 'user_role_changed' and after ->> 'role' = 'admin'), 0,
          'a refused role change leaves no audit row');

-- Coach application decisions -----------------------------------------------------------------------
select tests.authenticate_as('mia');
select set_config('tests.app_mia', (public.apply_as_coach('I have coached teams for ten years.')).id::text, true);
select tests.authenticate_as('otto');
select set_config('tests.app_otto', (public.apply_as_coach('Facilitation is what I do every day.')).id::text, true);
select tests.authenticate_as('ada');
select lives_ok($$ select public.review_coach_application(current_setting('tests.app_mia')::uuid, true, 'Welcome aboard') $$,
                'ada approves mia');
select tests.clear_authentication();
select results_eq($$ select actor_id, target_type, before, after, details from tests.my_audit
                     where action = 'coach_application_decided' and target_id = current_setting('tests.app_mia')::uuid $$,
                  $$ values (tests.get_supabase_uid('ada'), 'coach_application'::text,
                             '{"status":"pending","review_note":null}'::jsonb,
                             '{"status":"approved","review_note":"Welcome aboard"}'::jsonb,
                             jsonb_build_object('applicant_id', tests.get_supabase_uid('mia'))) $$,
                  'the approval is audited with status and note before and after');
select results_eq($$ select actor_id, before, after from tests.my_audit
                     where action = 'user_role_changed' and target_id = tests.get_supabase_uid('mia') $$,
                  $$ values (tests.get_supabase_uid('ada'), '{"role":"member"}'::jsonb, '{"role":"coach"}'::jsonb) $$,
                  'the role the approval grants is audited too');
select results_eq($$ select kind, title, body, data from public.notifications where user_id = tests.get_supabase_uid('mia') $$,
                  $$ values ('coach_application_decided'::text, 'Your coach application was approved'::text, 'Welcome aboard'::text,
                             jsonb_build_object('application_id', current_setting('tests.app_mia'), 'status', 'approved')) $$,
                  'mia is notified of the approval, with the note');

-- otto turned the kind off in-app: no notification, but the decision is still audited.
insert into public.notification_preferences (user_id, kind, in_app) values
  (tests.get_supabase_uid('otto'), 'coach_application_decided', false);
select set_config('tests.otto_role_rows', (select count(*)::text from tests.my_audit
  where action = 'user_role_changed' and target_id = tests.get_supabase_uid('otto')), true);
select tests.authenticate_as('ada');
select lives_ok($$ select public.review_coach_application(current_setting('tests.app_otto')::uuid, false, null) $$,
                'ada rejects otto');
select tests.clear_authentication();
select results_eq($$ select before, after from tests.my_audit
                     where action = 'coach_application_decided' and target_id = current_setting('tests.app_otto')::uuid $$,
                  $$ values ('{"status":"pending"}'::jsonb, '{"status":"rejected"}'::jsonb) $$,
                  'the rejection is audited; the unchanged empty note is not repeated');
select is((select count(*)::text from tests.my_audit where action = 'user_role_changed' and target_id = tests.get_supabase_uid('otto')),
          current_setting('tests.otto_role_rows'),
          'a rejection changes no role');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('otto')), 0,
          'otto, with in_app off for the kind, gets no notification');
delete from public.notification_preferences where user_id = tests.get_supabase_uid('otto');
select tests.authenticate_as('otto');
select set_config('tests.app_otto2', (public.apply_as_coach('Facilitation is still what I do every day.')).id::text, true);
select tests.authenticate_as('ada');
select lives_ok($$ select public.review_coach_application(current_setting('tests.app_otto2')::uuid, false, 'Not yet') $$,
                'ada rejects otto again');
select tests.clear_authentication();
select results_eq($$ select kind, title, data ->> 'status' from public.notifications where user_id = tests.get_supabase_uid('otto') $$,
                  $$ values ('coach_application_decided'::text, 'Your coach application was not approved'::text, 'rejected'::text) $$,
                  'otto is notified of the rejection');
select tests.authenticate_as('ada');
select is(tests.error_code($$ select public.review_coach_application(current_setting('tests.app_otto2')::uuid, true, null) $$),
          'invalid_transition', 'a decided application cannot be decided again');
select tests.clear_authentication();
select is((select count(*)::int from tests.my_audit where action = 'coach_application_decided'), 3,
          'a refused review leaves no audit row');

-- Changed fields only ---------------------------------------------------------------------------------
select set_config('tests.probe_id', private.audit('probe_action', 'probe', gen_random_uuid(),
  '{"a":1,"b":"same","c":null}', '{"a":2,"b":"same","d":true}', '{"why":"test"}')::text, true);
select results_eq($$ select actor_role, before, after, details from public.audit_log where id = current_setting('tests.probe_id')::bigint $$,
                  $$ values ('system'::text, '{"a":1,"c":null}'::jsonb, '{"a":2,"d":true}'::jsonb, '{"why":"test"}'::jsonb) $$,
                  'before and after keep only the fields that differ');

-- RLS matrix ------------------------------------------------------------------------------------------
select set_config('tests.mine', (select count(*)::text from tests.my_audit), true);
select tests.authenticate_as('ada');
select is((select count(*)::text from tests.my_audit), current_setting('tests.mine'), 'an admin reads every audit row');
select tests.authenticate_as('carl');
select is((select count(*)::int from public.audit_log), 0, 'a coach reads no audit row');
select tests.authenticate_as('mia');
select is((select count(*)::int from public.audit_log), 0, 'a member reads no audit row, not even about themselves');
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.audit_log $$, '42501', null, 'anon cannot read the audit log');
select tests.authenticate_as_service_role();
select is((select count(*)::text from tests.my_audit), current_setting('tests.mine'), 'the service role reads every audit row');

-- Append-only ---------------------------------------------------------------------------------------
select tests.authenticate_as('ada');
select throws_ok($$ insert into public.audit_log (actor_role, action, target_type) values ('admin', 'forged', 'user') $$,
                 '42501', null, 'an admin cannot insert audit rows');
select throws_ok($$ update public.audit_log set action = 'nothing' where id = current_setting('tests.probe_id')::bigint $$,
                 '42501', null, 'an admin cannot update audit rows');
select throws_ok($$ delete from public.audit_log where id = current_setting('tests.probe_id')::bigint $$,
                 '42501', null, 'an admin cannot delete audit rows');
select tests.authenticate_as_service_role();
select throws_ok($$ update public.audit_log set action = 'nothing' where id = current_setting('tests.probe_id')::bigint $$,
                 '42501', null, 'the service role cannot update audit rows');
select throws_ok($$ delete from public.audit_log where id = current_setting('tests.probe_id')::bigint $$,
                 '42501', null, 'the service role cannot delete audit rows');
select throws_ok($$ truncate public.audit_log $$, '42501', null, 'the service role cannot truncate the audit log');
select tests.clear_authentication();
select is(tests.error_code($$ update public.audit_log set action = 'nothing' where id = current_setting('tests.probe_id')::bigint $$),
          'forbidden', 'the owner (postgres) cannot update audit rows');
select is(tests.error_code($$ delete from public.audit_log where id = current_setting('tests.probe_id')::bigint $$),
          'forbidden', 'the owner (postgres) cannot delete audit rows');
select is(tests.error_code($$ truncate public.audit_log $$), 'forbidden', 'the owner (postgres) cannot truncate the audit log');
select is((select action from public.audit_log where id = current_setting('tests.probe_id')::bigint), 'probe_action',
          'the probe row is unchanged');
-- Deleting a user whose id the log names changes nothing in the log (no foreign key to cascade).
select set_config('tests.about_otto', (select count(*)::text from public.audit_log
  where target_id = current_setting('tests.otto')::uuid or details ->> 'applicant_id' = current_setting('tests.otto')), true);
select lives_ok($$ delete from auth.users where id = current_setting('tests.otto')::uuid $$, 'otto''s account is deleted');
select is((select count(*)::text from public.audit_log
           where target_id = current_setting('tests.otto')::uuid or details ->> 'applicant_id' = current_setting('tests.otto')),
          current_setting('tests.about_otto'), 'the audit rows about a deleted user remain, unchanged');

select * from finish();
rollback;
