-- session_secrets (issue 19, item 3): the meeting URL and password live outside public.sessions,
-- so select * on sessions works for every role that may read a session; the secrets are read by
-- staff (any role) and confirmed bookings that are not banned, written by hosts only; the RLS matrix
-- (host, moderator, speaker, confirmed, waitlisted, banned, walk-in, outsider, admin, anon,
-- service_role) and session_meeting_details on top of the table.
begin;
\ir ../helpers.sql
select plan(42);

select tests.create_supabase_user('host', metadata => '{"display_name":"Hanna Host"}');
select tests.create_supabase_user('moderator');
select tests.create_supabase_user('speaker');
select tests.create_supabase_user('booked');
select tests.create_supabase_user('waitlisted');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('walkin');
select tests.create_supabase_user('outsider');
select tests.create_supabase_user('admin');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

insert into public.sessions (id, title, starts_at, status, started_at, visibility, capacity, waitlist_enabled, created_by) values
  ('cccccccc-0000-4000-8000-000000000101', 'Live public', now() - interval '5 minutes', 'live', now() - interval '5 minutes',
   'public', 3, true, tests.get_supabase_uid('host')),
  ('cccccccc-0000-4000-8000-000000000102', 'Private', now() + interval '2 days', 'scheduled', null, 'private', null, false,
   tests.get_supabase_uid('host')),
  ('cccccccc-0000-4000-8000-000000000103', 'No details yet', now() + interval '3 days', 'scheduled', null, 'public', null, false,
   tests.get_supabase_uid('host'));
insert into public.session_staff (session_id, user_id, role) values
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('moderator'), 'moderator'),
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('speaker'), 'speaker');
insert into public.bookings (session_id, user_id, status, waitlist_position) values
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('booked'), 'confirmed', null),
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('banned'), 'confirmed', null),
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('waitlisted'), 'waitlisted', 1),
  ('cccccccc-0000-4000-8000-000000000103', tests.get_supabase_uid('booked'), 'confirmed', null);
insert into public.session_bans (session_id, user_id, banned_by) values
  ('cccccccc-0000-4000-8000-000000000101', tests.get_supabase_uid('banned'), tests.get_supabase_uid('host'));
insert into public.session_secrets (session_id, meeting_url, meeting_password) values
  ('cccccccc-0000-4000-8000-000000000101', 'https://meet.example.com/live', 'pw-live'),
  ('cccccccc-0000-4000-8000-000000000102', 'https://meet.example.com/private', 'pw-private');

-- Structure ---------------------------------------------------------------------------------------
select hasnt_column('public', 'sessions', 'meeting_url', 'sessions has no meeting_url column any more');
select hasnt_column('public', 'sessions', 'meeting_password', 'sessions has no meeting_password column any more');
select policies_are('public', 'session_secrets', array['deactivated accounts read nothing', 'staff and confirmed bookings read the meeting details',
  'hosts add the meeting details', 'hosts update the meeting details', 'hosts delete the meeting details']);
select is(tests.tables_without_rls('public'), '{}'::text[], 'every public table has RLS');
select is(has_table_privilege('anon', 'public.session_secrets', 'select') or has_table_privilege('anon', 'public.session_secrets', 'insert'),
          false, 'anon has no privilege on session_secrets');
select is(has_column_privilege('authenticated', 'public.session_secrets', 'session_id', 'update'), false,
          'clients cannot move meeting details to another session');

-- select * on sessions: every role that may read a session -----------------------------------------
select tests.authenticate_as_anon();
select is((select count(*)::int from public.sessions where id::text like 'cccccccc-%'), 2, 'anon: select * on sessions works (public ones)');
select throws_ok($$ select * from public.session_secrets $$, '42501', null, 'anon cannot read session_secrets');
select tests.authenticate_as('outsider');
select is((select count(*)::int from public.sessions where id::text like 'cccccccc-%'), 2, 'an outsider: select * on sessions works');
select is((select count(*)::int from public.session_secrets), 0, 'an outsider reads no meeting details');
select is(tests.error_code($$ select public.session_meeting_details('cccccccc-0000-4000-8000-000000000101') $$), 'forbidden',
          'session_meeting_details: forbidden for an outsider');

-- Readers -----------------------------------------------------------------------------------------
select tests.authenticate_as('host');
select is((select count(*)::int from public.sessions s where s.id::text like 'cccccccc-%'), 3, 'the host: select * on sessions works');
select is((select count(*)::int from public.session_secrets), 2, 'the host reads the meeting details of their sessions');
select tests.authenticate_as('moderator');
select is((select meeting_password from public.session_secrets), 'pw-live', 'a moderator reads them');
select tests.authenticate_as('speaker');
select is((select meeting_url from public.session_secrets), 'https://meet.example.com/live', 'a speaker reads them');
select tests.authenticate_as('booked');
select is((select meeting_url from public.session_secrets), 'https://meet.example.com/live', 'a confirmed booking reads them');
select is(public.session_meeting_details('cccccccc-0000-4000-8000-000000000103'),
          '{"session_id": "cccccccc-0000-4000-8000-000000000103", "meeting_url": null, "meeting_password": null}'::jsonb,
          'session_meeting_details answers nulls while no details are set');
select is(public.session_meeting_details('cccccccc-0000-4000-8000-000000000101') ->> 'meeting_password', 'pw-live',
          'session_meeting_details reads the table');
select tests.authenticate_as('waitlisted');
select is((select count(*)::int from public.session_secrets), 0, 'a waitlisted booking reads none');
select tests.authenticate_as('banned');
select is((select count(*)::int from public.session_secrets), 0, 'a banned confirmed booking reads none');
select is(tests.error_code($$ select public.session_meeting_details('cccccccc-0000-4000-8000-000000000101') $$), 'banned',
          'session_meeting_details: banned');
select tests.authenticate_as('walkin');
select ok(public.join_session('cccccccc-0000-4000-8000-000000000101') is not null, 'a walk-in joins the public live session');
select is((select count(*)::int from public.session_secrets), 0, 'a walk-in viewer without a seat reads none');
select tests.authenticate_as('admin');
select is((select count(*)::int from public.sessions where id::text like 'cccccccc-%'), 3, 'an admin reads every session with select *');
select is((select count(*)::int from public.session_secrets), 0, 'an admin who is not staff reads no meeting details');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.session_secrets where session_id::text like 'cccccccc-%'), 2, 'service_role reads them all');

-- Writers -----------------------------------------------------------------------------------------
select tests.authenticate_as('moderator');
select throws_ok($$ insert into public.session_secrets (session_id, meeting_url) values ('cccccccc-0000-4000-8000-000000000103', 'https://x.example/m') $$,
                 '42501', null, 'a moderator cannot add meeting details');
update public.session_secrets set meeting_password = 'hijacked' where session_id = 'cccccccc-0000-4000-8000-000000000101';
delete from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000101';
select tests.authenticate_as('booked');
select throws_ok($$ insert into public.session_secrets (session_id, meeting_url) values ('cccccccc-0000-4000-8000-000000000103', 'https://x.example/m') $$,
                 '42501', null, 'a booked member cannot add meeting details');
update public.session_secrets set meeting_password = 'hijacked' where session_id = 'cccccccc-0000-4000-8000-000000000101';
delete from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000101';
select tests.authenticate_as('outsider');
update public.session_secrets set meeting_password = 'hijacked' where session_id = 'cccccccc-0000-4000-8000-000000000101';
select tests.clear_authentication();
select is((select meeting_password from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000101'), 'pw-live',
          'updates and deletes by a moderator, a member and an outsider change nothing');

select tests.authenticate_as('host');
select lives_ok($$ insert into public.session_secrets (session_id, meeting_url, meeting_password)
                   values ('cccccccc-0000-4000-8000-000000000103', 'https://meet.example.com/later', 'pw-later') $$,
                'a host adds meeting details to their session');
select throws_ok($$ insert into public.session_secrets (session_id, meeting_url) values ('cccccccc-0000-4000-8000-000000000103', 'https://meet.example.com/again') $$,
                 '23505', null, 'one row per session');
select throws_ok($$ update public.session_secrets set meeting_url = 'http://insecure.example.com/x' where session_id = 'cccccccc-0000-4000-8000-000000000103' $$,
                 '23514', null, 'the meeting URL must be https');
select throws_ok($$ update public.session_secrets set meeting_password = '' where session_id = 'cccccccc-0000-4000-8000-000000000103' $$,
                 '23514', null, 'an empty password is refused (null means none)');
select lives_ok($$ update public.session_secrets set meeting_password = 'pw-new' where session_id = 'cccccccc-0000-4000-8000-000000000103' $$,
                'a host changes the password');
select throws_ok($$ update public.session_secrets set session_id = 'cccccccc-0000-4000-8000-000000000101' where session_id = 'cccccccc-0000-4000-8000-000000000103' $$,
                 '42501', null, 'a host cannot move details to another session');
select tests.authenticate_as('booked');
select is(public.session_meeting_details('cccccccc-0000-4000-8000-000000000103') ->> 'meeting_password', 'pw-new',
          'the confirmed booking sees the new password');
select tests.authenticate_as('outsider');
select throws_ok($$ insert into public.session_secrets (session_id, meeting_url) values ('cccccccc-0000-4000-8000-000000000101', 'https://evil.example/x') $$,
                 '42501', null, 'an outsider cannot add meeting details');
select tests.authenticate_as_anon();
select throws_ok($$ update public.session_secrets set meeting_url = null $$, '42501', null, 'anon cannot write session_secrets');
select tests.authenticate_as('host');
select lives_ok($$ delete from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000103' $$, 'a host deletes meeting details');
select tests.clear_authentication();
select is((select count(*)::int from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000103'), 0, 'and they are gone');
select ok((select updated_at >= created_at from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000101'),
          'updated_at is kept');

-- Deleting a session deletes its secrets.
delete from public.sessions where id = 'cccccccc-0000-4000-8000-000000000102';
select is((select count(*)::int from public.session_secrets where session_id = 'cccccccc-0000-4000-8000-000000000102'), 0,
          'the secrets go with their session');

select * from finish();
rollback;
