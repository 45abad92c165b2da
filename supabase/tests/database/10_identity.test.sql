-- Identity and roles: signup trigger (profile + member role), the RLS matrix of profiles,
-- user_roles and coach_applications, role escalation attempts, set_user_role, the coach
-- application flow, the private role helpers and the custom access token hook.
begin;
\ir ../helpers.sql
select plan(123);


-- Actors. Seeds may hold admins: make ada the only one, so the last-admin rule is deterministic.
select tests.create_supabase_user('ada', metadata => '{"display_name":"ada lovelace","company":"Analytical Engines","title":"Countess","timezone":"Europe/London","locale":"en-GB"}');
select tests.create_supabase_user('carl', metadata => '{"display_name":"Carl Coach"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"  mia   van  der berg ","timezone":"Not/AZone"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto"}');
select tests.create_supabase_user('longname', metadata => jsonb_build_object('display_name', repeat('x', 200), 'company', repeat('c', 300), 'timezone', 42));
insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-00000000a001', 'authenticated', 'authenticated',
        'jane.doe@example.com', '{}', now(), now());
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'member' where role = 'admin' and user_id <> tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('carl');
select set_config('tests.profile_count', (select count(*)::text from public.profiles), true);
select set_config('tests.role_count', (select count(*)::text from public.user_roles), true);

-- Structure -----------------------------------------------------------------------------------
select policies_are('public', 'user_roles', array[
  'deactivated accounts read nothing', 'users can read their own role and admins can read every role',
  'auth admin can read roles for the token hook']);
select policies_are('public', 'profiles', array[
  'deactivated accounts read nothing', 'signed-in users can read every profile',
  'users can update their own profile',
  'auth admin can read account status for the token hook']);
select policies_are('public', 'coach_applications', array[
  'deactivated accounts read nothing', 'applicants read their own applications and admins read every application']);
select is(has_table_privilege('authenticated', 'public.user_roles', 'INSERT, UPDATE, DELETE, TRUNCATE'), false,
          'authenticated cannot write user_roles directly');
select is(has_table_privilege('authenticated', 'public.coach_applications', 'INSERT, UPDATE, DELETE, TRUNCATE'), false,
          'authenticated cannot write coach_applications directly');
select is(has_table_privilege('anon', 'public.profiles', 'SELECT, INSERT, UPDATE, DELETE'), false,
          'anon has no privilege on profiles');
select is(has_column_privilege('authenticated', 'public.profiles', 'initials', 'UPDATE'), false,
          'initials is not writable by authenticated');
select is(has_column_privilege('authenticated', 'public.profiles', 'display_name', 'UPDATE'), true,
          'display_name is writable by authenticated');
select is(has_function_privilege('anon', 'public.set_user_role(uuid, public.app_role)', 'execute')
          or has_function_privilege('anon', 'public.apply_as_coach(text)', 'execute')
          or has_function_privilege('anon', 'public.review_coach_application(uuid, boolean, text)', 'execute'), false,
          'anon cannot execute the identity RPCs');
select is(has_function_privilege('authenticated', 'private.is_admin()', 'execute')
          and has_function_privilege('authenticated', 'private.is_coach_or_admin()', 'execute')
          and has_function_privilege('authenticated', 'private.current_app_role()', 'execute'), true,
          'authenticated can execute the role helpers');

-- Hook grants
select is(has_function_privilege('supabase_auth_admin', 'public.custom_access_token_hook(jsonb)', 'execute'), true,
          'supabase_auth_admin can execute the hook');
select is(has_function_privilege('authenticated', 'public.custom_access_token_hook(jsonb)', 'execute'), false,
          'authenticated cannot execute the hook');
select is(has_function_privilege('anon', 'public.custom_access_token_hook(jsonb)', 'execute'), false,
          'anon cannot execute the hook');
select is((select count(*)::int from pg_proc p, aclexplode(p.proacl) a
           where p.oid = 'public.custom_access_token_hook(jsonb)'::regprocedure and a.grantee = 0), 0,
          'PUBLIC has no execute on the hook');
select is((select prosecdef from pg_proc where oid = 'public.custom_access_token_hook(jsonb)'::regprocedure), false,
          'the hook is security invoker');
select is(has_schema_privilege('supabase_auth_admin', 'public', 'usage'), true, 'supabase_auth_admin has usage on public');

-- Signup trigger --------------------------------------------------------------------------------
select results_eq($$ select display_name, initials, timezone from public.profiles where id = tests.get_supabase_uid('mia') $$,
                  $$ values ('mia van der berg'::text, 'MV'::text, 'UTC'::text) $$,
                  'signup: display name trimmed, initials derived, invalid timezone falls back to UTC');
select results_eq($$ select display_name, initials, company, title, timezone, locale from public.profiles
                     where id = tests.get_supabase_uid('ada') $$,
                  $$ values ('ada lovelace'::text, 'AL'::text, 'Analytical Engines'::text, 'Countess'::text,
                            'Europe/London'::text, 'en-GB'::text) $$,
                  'signup: profile copies display_name, company, title, timezone, locale from metadata');
select results_eq($$ select display_name, initials from public.profiles where id = '00000000-0000-4000-8000-00000000a001' $$,
                  $$ values ('jane.doe'::text, 'J'::text) $$,
                  'signup without a display name: the email local part');
select results_eq($$ select char_length(display_name), char_length(company), timezone from public.profiles
                     where id = tests.get_supabase_uid('longname') $$,
                  $$ values (80, 120, 'UTC'::text) $$,
                  'signup: overlong metadata is truncated, a non-string timezone falls back to UTC');
select results_eq($$ select role::text, granted_by from public.user_roles where user_id = tests.get_supabase_uid('otto') $$,
                  $$ values ('member'::text, null::uuid) $$, 'signup: every new user gets the member role');
select is((select count(*)::int from auth.users u
           where not exists (select 1 from public.profiles p where p.id = u.id)
              or not exists (select 1 from public.user_roles r where r.user_id = u.id)), 0,
          'every auth user (seeded ones included) has a profile and a role');

-- Role helpers ---------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select results_eq($$ select private.current_app_role()::text, private.is_admin(), private.is_coach_or_admin() $$,
                  $$ values ('member'::text, false, false) $$, 'helpers for a member');
select tests.authenticate_as('carl');
select results_eq($$ select private.current_app_role()::text, private.is_admin(), private.is_coach_or_admin() $$,
                  $$ values ('coach'::text, false, true) $$, 'helpers for a coach');
select tests.authenticate_as('ada');
select results_eq($$ select private.current_app_role()::text, private.is_admin(), private.is_coach_or_admin() $$,
                  $$ values ('admin'::text, true, true) $$, 'helpers for an admin');
select tests.authenticate_as_anon();
select throws_ok($$ select private.is_admin() $$, '42501', null, 'anon cannot call the role helpers');
select tests.clear_authentication();
select is(private.current_app_role(), null, 'current_app_role is null without a signed-in user');

-- profiles: RLS matrix ---------------------------------------------------------------------------
update public.profiles set updated_at = now() - interval '1 year' where id = tests.get_supabase_uid('mia');

select tests.authenticate_as('mia');
select is((select count(*) from public.profiles), current_setting('tests.profile_count')::bigint,
          'member reads every profile');
select results_eq($$ update public.profiles set display_name = 'Mia Smith', bio = 'Hi', timezone = 'America/New_York'
                     where id = (select auth.uid()) returning initials, updated_at = now() $$,
                  $$ values ('MS'::text, true) $$,
                  'member updates their own editable columns; initials and updated_at follow');
select is_empty($$ update public.profiles set bio = 'hacked' where id = tests.get_supabase_uid('otto') returning id $$,
                'member updating another profile changes no row');
select throws_ok($$ update public.profiles set initials = 'ZZ' where id = (select auth.uid()) $$, '42501', null,
                 'member cannot write initials');
select throws_ok($$ update public.profiles set id = gen_random_uuid() where id = (select auth.uid()) $$, '42501', null,
                 'member cannot write id');
select throws_ok($$ update public.profiles set created_at = now() - interval '1 year' where id = (select auth.uid()) $$,
                 '42501', null, 'member cannot write created_at');
select throws_ok($$ insert into public.profiles (id, display_name) values (gen_random_uuid(), 'Ghost') $$, '42501', null,
                 'member cannot insert a profile');
select throws_ok($$ delete from public.profiles where id = (select auth.uid()) $$, '42501', null,
                 'member cannot delete a profile');
select throws_ok($$ update public.profiles set timezone = 'Mars/Olympus_Mons' where id = (select auth.uid()) $$,
                 '23514', null, 'an invalid time zone is rejected');
select throws_ok($$ update public.profiles set display_name = '   ' where id = (select auth.uid()) $$,
                 '23514', null, 'a blank display name is rejected');
select throws_ok($$ update public.profiles set display_name = E'\u200b\u00a0\u200b' where id = (select auth.uid()) $$,
                 '23514', null, 'a display name of zero-width and no-break spaces is rejected');
savepoint spaced_name;
update public.profiles set display_name = E'\u00a0ann\u3000\u00a0lee\u200b' where id = (select auth.uid())
returning display_name || '|' || initials as spaced_name \gset
rollback to savepoint spaced_name;
select is(:'spaced_name'::text, 'ann lee|AL', 'Unicode spaces inside collapse to one space and invisible ends are trimmed');
select throws_ok($$ update public.profiles set bio = repeat('b', 2001) where id = (select auth.uid()) $$,
                 '23514', null, 'a bio over 2000 characters is rejected');
select throws_ok($$ update public.profiles set company = repeat('c', 121) where id = (select auth.uid()) $$,
                 '23514', null, 'a company over 120 characters is rejected');

select tests.authenticate_as('otto');
select is((select count(*) from public.profiles), current_setting('tests.profile_count')::bigint,
          'other member reads every profile');
select is((select bio from public.profiles where id = tests.get_supabase_uid('mia')), 'Hi', 'other member sees the update');
select is_empty($$ update public.profiles set bio = 'hacked' where id = tests.get_supabase_uid('mia') returning id $$,
                'other member cannot update mia''s profile');

select tests.authenticate_as('carl');
select is((select count(*) from public.profiles), current_setting('tests.profile_count')::bigint, 'coach reads every profile');
select is_empty($$ update public.profiles set bio = 'hacked' where id = tests.get_supabase_uid('mia') returning id $$,
                'coach cannot update another profile');

select tests.authenticate_as('ada');
select is((select count(*) from public.profiles), current_setting('tests.profile_count')::bigint, 'admin reads every profile');
select is_empty($$ update public.profiles set bio = 'hacked' where id = tests.get_supabase_uid('mia') returning id $$,
                'admin cannot update another profile either');
select throws_ok($$ delete from public.profiles where id = tests.get_supabase_uid('mia') $$, '42501', null,
                 'admin cannot delete a profile');

select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.profiles $$, '42501', null, 'anon cannot read profiles');
select throws_ok($$ update public.profiles set bio = 'x' $$, '42501', null, 'anon cannot update profiles');
select throws_ok($$ insert into public.profiles (id, display_name) values (gen_random_uuid(), 'Ghost') $$, '42501', null,
                 'anon cannot insert profiles');
select throws_ok($$ delete from public.profiles $$, '42501', null, 'anon cannot delete profiles');

select tests.authenticate_as_service_role();
select is((select count(*) from public.profiles), current_setting('tests.profile_count')::bigint,
          'service_role reads every profile');
select results_eq($$ update public.profiles set bio = 'by service', initials = 'QQ' where id = tests.get_supabase_uid('otto')
                     returning bio, initials $$,
                  $$ values ('by service'::text, 'O'::text) $$,
                  'service_role updates any profile; initials stay derived');
select results_eq($$ delete from public.profiles where id = tests.get_supabase_uid('longname') returning 1 $$,
                  $$ values (1) $$, 'service_role deletes a profile');
select results_eq($$ insert into public.profiles (id, display_name) values (tests.get_supabase_uid('longname'), 'long name')
                     returning initials $$,
                  $$ values ('LN'::text) $$, 'service_role inserts a profile');

select tests.clear_authentication();
select is((select bio from public.profiles where id = tests.get_supabase_uid('otto')), 'by service',
          'no client update reached otto''s profile');

-- user_roles: RLS matrix and escalation attempts ---------------------------------------------------
select tests.authenticate_as('mia');
select results_eq($$ select user_id, role::text from public.user_roles $$,
                  $$ values (tests.get_supabase_uid('mia'), 'member'::text) $$, 'member reads only their own role');
select throws_ok($$ insert into public.user_roles (user_id, role) values ((select auth.uid()), 'admin')
                    on conflict (user_id) do update set role = 'admin' $$,
                 '42501', null, 'member cannot insert (upsert) a role');
select throws_ok($$ update public.user_roles set role = 'admin' where user_id = (select auth.uid()) $$, '42501', null,
                 'member cannot update their role');
select throws_ok($$ delete from public.user_roles where user_id = (select auth.uid()) $$, '42501', null,
                 'member cannot delete their role');
select is(tests.error_code($$ select public.set_user_role((select auth.uid()), 'admin') $$), 'forbidden',
          'set_user_role by a member: forbidden');
select is(tests.error_status($$ select public.set_user_role((select auth.uid()), 'admin') $$), 403,
          'forbidden is status 403');
select throws_ok($$ select public.set_user_role((select auth.uid()), 'admin') $$, 'PGRST', null,
                 'set_user_role by a member raises PGRST');

select tests.authenticate_as('otto');
select results_eq($$ select user_id from public.user_roles $$, $$ values (tests.get_supabase_uid('otto')) $$,
                  'other member reads only their own role');

select tests.authenticate_as('carl');
select results_eq($$ select role::text from public.user_roles $$, $$ values ('coach'::text) $$, 'coach reads only their own role');
select is(tests.error_code($$ select public.set_user_role(tests.get_supabase_uid('mia'), 'coach') $$), 'forbidden',
          'set_user_role by a coach: forbidden');

select tests.authenticate_as('ada');
select is((select count(*) from public.user_roles), current_setting('tests.role_count')::bigint, 'admin reads every role');
select throws_ok($$ update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('otto') $$,
                 '42501', null, 'even an admin changes roles only through the RPC');
select results_eq($$ select user_id, role::text, granted_by from public.set_user_role(tests.get_supabase_uid('otto'), 'coach') $$,
                  $$ values (tests.get_supabase_uid('otto'), 'coach'::text, tests.get_supabase_uid('ada')) $$,
                  'admin sets a role; the row is returned with granted_by');
select is(tests.error_code($$ select public.set_user_role(gen_random_uuid(), 'coach') $$), 'not_found',
          'set_user_role for an unknown user: not_found');
select is(tests.error_code($$ select public.set_user_role((select auth.uid()), 'member') $$), 'conflict',
          'the last admin cannot demote themselves');
-- The rule holds for every write under one lock (two admins demoting each other at once wait for
-- each other): a service_role update demoting every admin in one statement is refused too.
select tests.authenticate_as_service_role();
select is(tests.error_code($$ update public.user_roles set role = 'member' where role = 'admin' $$), 'conflict',
          'no write may leave the platform without an admin (service_role, several rows at once)');
select is((select count(*)::int from public.user_roles where role = 'admin'), 1, 'the admin stays');

select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.user_roles $$, '42501', null, 'anon cannot read roles');
select throws_ok($$ select public.set_user_role(gen_random_uuid(), 'admin') $$, '42501', null, 'anon cannot call set_user_role');

select tests.clear_authentication();
select is(tests.error_code($$ select public.set_user_role(tests.get_supabase_uid('mia'), 'admin') $$), 'not_authenticated',
          'set_user_role without a user: not_authenticated');
select is((select role::text from public.user_roles where user_id = tests.get_supabase_uid('mia')), 'member',
          'no escalation attempt changed mia''s role');

select tests.authenticate_as_service_role();
select is((select count(*) from public.user_roles), current_setting('tests.role_count')::bigint, 'service_role reads every role');
select results_eq($$ select role::text, granted_by from public.set_user_role(tests.get_supabase_uid('otto'), 'member') $$,
                  $$ values ('member'::text, null::uuid) $$, 'service_role may set roles (bootstrap of the first admin)');
select results_eq($$ update public.user_roles set role = 'member' where user_id = tests.get_supabase_uid('otto') returning 1 $$,
                  $$ values (1) $$, 'service_role writes user_roles directly');

-- Coach applications -----------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is(tests.error_code($$ select public.apply_as_coach('too short') $$), 'invalid_input',
          'a motivation under 20 characters: invalid_input');
select is(tests.error_code($$ select public.apply_as_coach(repeat('m', 2001)) $$), 'invalid_input',
          'a motivation over 2000 characters: invalid_input');
select results_eq($$ select status::text, user_id, motivation from public.apply_as_coach('  I have coached teams for ten years.  ') $$,
                  $$ values ('pending'::text, tests.get_supabase_uid('mia'), 'I have coached teams for ten years.'::text) $$,
                  'a member applies: pending application, motivation trimmed');
select is(tests.error_code($$ select public.apply_as_coach('I really want to coach, twice.') $$), 'conflict',
          'a second pending application: conflict');
select is(tests.error_status($$ select public.apply_as_coach('I really want to coach, twice.') $$), 409,
          'conflict is status 409');
select throws_ok($$ insert into public.coach_applications (user_id, motivation)
                    values ((select auth.uid()), 'Direct insert of an application') $$,
                 '42501', null, 'applicant cannot insert an application directly');
select throws_ok($$ update public.coach_applications set status = 'approved' $$, '42501', null,
                 'applicant cannot approve their own application');
select throws_ok($$ delete from public.coach_applications $$, '42501', null, 'applicant cannot delete applications');
select is((select count(*)::int from public.coach_applications), 1, 'applicant reads their own application');
select is(tests.error_code($$ select public.review_coach_application(
            (select id from public.coach_applications limit 1), true) $$), 'forbidden',
          'a member cannot review applications');
select set_config('tests.mia_application', (select id::text from public.coach_applications), true);

select tests.authenticate_as('otto');
select is((select count(*)::int from public.coach_applications), 0, 'other member reads no one else''s application');
select is(tests.error_code(format($$ select public.review_coach_application(%L, true) $$,
                                    current_setting('tests.mia_application'))), 'forbidden',
          'other member cannot review');
select lives_ok($$ select public.apply_as_coach('Otto wants to coach the morning sessions.') $$, 'another member applies');

select tests.authenticate_as('carl');
select is(tests.error_code($$ select public.apply_as_coach('I am already a coach, let me in.') $$), 'forbidden',
          'a coach cannot apply');
select is((select count(*)::int from public.coach_applications), 0, 'coach reads no one else''s application');
select is(tests.error_code(format($$ select public.review_coach_application(%L, true) $$,
                                    current_setting('tests.mia_application'))), 'forbidden',
          'a coach cannot review');

select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.coach_applications $$, '42501', null, 'anon cannot read applications');
select throws_ok($$ select public.apply_as_coach('Anonymous wants to coach people.') $$, '42501', null,
                 'anon cannot apply');

select tests.authenticate_as('ada');
select is((select count(*)::int from public.coach_applications
           where user_id in (tests.get_supabase_uid('mia'), tests.get_supabase_uid('otto'))), 2,
          'admin reads every application');
select throws_ok($$ update public.coach_applications set status = 'approved' $$, '42501', null,
                 'admin decides only through the RPC');
select is(tests.error_code($$ select public.review_coach_application(gen_random_uuid(), true) $$), 'not_found',
          'reviewing an unknown application: not_found');
select is(tests.error_code(format($$ select public.review_coach_application(%L, null) $$,
                                    current_setting('tests.mia_application'))), 'invalid_input',
          'approve must be given');
select results_eq(format($$ select status::text, review_note, reviewed_by, reviewed_at is not null
                            from public.review_coach_application(%L, true, 'Welcome aboard') $$,
                         current_setting('tests.mia_application')),
                  $$ values ('approved'::text, 'Welcome aboard'::text, tests.get_supabase_uid('ada'), true) $$,
                  'admin approves with a note');
select is(tests.error_code(format($$ select public.review_coach_application(%L, false) $$,
                                    current_setting('tests.mia_application'))), 'invalid_transition',
          'reviewing a decided application: invalid_transition');
select results_eq($$ select status::text from public.review_coach_application(
                       (select id from public.coach_applications
                        where user_id = tests.get_supabase_uid('otto') and status = 'pending'), false, 'Not yet') $$,
                  $$ values ('rejected'::text) $$, 'admin rejects an application');

select tests.clear_authentication();
select results_eq($$ select role::text, granted_by from public.user_roles where user_id = tests.get_supabase_uid('mia') $$,
                  $$ values ('coach'::text, tests.get_supabase_uid('ada')) $$, 'approval grants the coach role');
select is((select role::text from public.user_roles where user_id = tests.get_supabase_uid('otto')), 'member',
          'rejection leaves the member role');
select throws_ok(format($$ insert into public.coach_applications (user_id, motivation) values (%L, 'A second pending one, directly.'),
                                  (%L, 'A third pending one, directly.....') $$,
                        tests.get_supabase_uid('otto'), tests.get_supabase_uid('otto')),
                 '23505', null, 'the partial unique index forbids two pending applications of one user');

select tests.authenticate_as('mia');
select results_eq($$ select status::text, review_note, reviewed_at is not null from public.coach_applications $$,
                  $$ values ('approved'::text, 'Welcome aboard'::text, true) $$,
                  'the applicant reads the decision and the note on their row');
select is(tests.error_code($$ select public.apply_as_coach('I want to coach even more than before.') $$), 'forbidden',
          'an approved coach cannot apply again');
select is(private.is_coach_or_admin(), true, 'the helpers see the new role at once');

select tests.authenticate_as('otto');
select results_eq($$ select status::text, review_note from public.coach_applications $$,
                  $$ values ('rejected'::text, 'Not yet'::text) $$, 'a rejected applicant reads the decision');
select lives_ok($$ select public.apply_as_coach('Trying again with more experience now.') $$,
                'after a rejection the member may apply again');

select tests.clear_authentication();
select is(tests.error_code($$ select public.apply_as_coach('No user in this call at all.') $$), 'not_authenticated',
          'apply_as_coach without a user: not_authenticated');
select is(tests.error_status($$ select public.apply_as_coach('No user in this call at all.') $$), 401,
          'not_authenticated is status 401');
select is(tests.error_code(format($$ select public.review_coach_application(%L, true) $$, gen_random_uuid())),
          'not_authenticated', 'review_coach_application without a user: not_authenticated');

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.coach_applications
           where user_id in (tests.get_supabase_uid('mia'), tests.get_supabase_uid('otto'))), 3,
          'service_role reads every application');

-- Custom access token hook: run as supabase_auth_admin in
-- supabase/tests/as_supabase_admin/10_access_token_hook.test.sql (postgres cannot switch to that role on
-- today's platform). Here: the token as tests.user_claims builds it through the hook.
select is(tests.user_claims('mia') ->> 'user_role', 'coach', 'the token reflects the role after approval');
select is(tests.user_claims('otto') ->> 'user_role', 'member', 'a member''s token says member');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('otto');
select is(tests.user_claims('otto') ->> 'user_role', 'admin', 'the token reflects a role change');

select tests.authenticate_as('mia');
select throws_ok($$ select public.custom_access_token_hook('{}'::jsonb) $$, '42501', null,
                 'authenticated cannot call the hook');

select * from finish();
rollback;
