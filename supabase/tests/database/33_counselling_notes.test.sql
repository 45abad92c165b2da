-- Private session notes: written by a host of the session, readable, editable and deletable by their
-- author only (not the patient, another patient, a co-host, another coach, an admin or anon); never
-- broadcast or notified; deleted with the author's account.
begin;
\ir ../helpers.sql
select plan(37);

select tests.create_supabase_user('sn_coach');
select tests.create_supabase_user('sn_cohost');
select tests.create_supabase_user('sn_coach_b');
select tests.create_supabase_user('sn_patient');
select tests.create_supabase_user('sn_patient_q');
select tests.create_supabase_user('sn_admin');
update public.user_roles set role = 'coach'
where user_id in (tests.get_supabase_uid('sn_coach'), tests.get_supabase_uid('sn_cohost'), tests.get_supabase_uid('sn_coach_b'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('sn_admin');
select tests.get_supabase_uid('sn_coach') as coach, tests.get_supabase_uid('sn_cohost') as cohost,
       tests.get_supabase_uid('sn_patient') as patient \gset

-- A one-to-one session of the coach with the patient (co-hosted, to show that staff do not share notes),
-- and a group session of coach_b.
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, kind, created_by)
values ('Appointment', now() + interval '5 days', 50, 'scheduled', 'private', 1, 'one_to_one', :'coach')
returning id as appt \gset
insert into public.session_staff (session_id, user_id, role) values (:'appt', :'cohost', 'host');
insert into public.bookings (session_id, user_id, status) values (:'appt', :'patient', 'confirmed');
insert into public.sessions (title, starts_at, status, visibility, created_by)
values ('Group of coach b', now() + interval '6 days', 'scheduled', 'public', tests.get_supabase_uid('sn_coach_b'))
returning id as other \gset
select count(*) as messages_before from realtime.messages \gset
select count(*) as notifications_before from public.notifications \gset

select is((select relrowsecurity from pg_class where oid = 'public.session_notes'::regclass), true, 'RLS on session_notes');
select policies_are('public', 'session_notes', array['deactivated accounts read nothing', 'authors read their own session notes',
  'hosts write notes on their sessions', 'authors update their own session notes', 'authors delete their own session notes'],
  'four policies, every one bound to the author');
select is(has_table_privilege('anon', 'public.session_notes', 'select'), false, 'anon has no privilege');
select is(has_column_privilege('authenticated', 'public.session_notes', 'author_id', 'update'), false, 'author_id cannot be changed');
select is(has_column_privilege('authenticated', 'public.session_notes', 'session_id', 'update'), false, 'nor moved to another session');

-- The coach writes.
select tests.authenticate_as('sn_coach');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, '  Anxious about work; follow up on sleep.  ')$$, :'appt')),
          null, 'the host writes a note');
select is((select body from public.session_notes), 'Anxious about work; follow up on sleep.', 'trimmed, and readable by its author');
select is((select author_id from public.session_notes), :'coach'::uuid, 'the author is the caller');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, ' ')$$, :'appt')),
          'invalid_input', 'an empty note: invalid_input');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, %L)$$, :'appt', repeat('x', 20001))),
          '23514', 'over 20000 characters: refused');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, 'x')$$, :'other')),
          '42501', 'not on a session they do not host');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body, author_id) values (%L, 'x', %L)$$, :'appt', :'cohost')),
          '42501', 'author_id cannot be chosen');
with u as (update public.session_notes set body = 'Follow up on sleep and work.' returning 1)
select is(count(*)::int, 1, 'the author edits it') from u;
select tests.clear_authentication();
select id as note from public.session_notes where author_id = :'coach' \gset

-- The co-host writes their own; neither reads the other's.
select tests.authenticate_as('sn_cohost');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, 'Co-host observation')$$, :'appt')),
          null, 'a co-host writes their own note');
select is((select array_agg(body) from public.session_notes), array['Co-host observation'], 'and reads only their own');
with u as (update public.session_notes set body = 'changed' where id = :'note' returning 1)
select is(count(*)::int, 0, 'a co-host cannot edit the coach''s note') from u;
with d as (delete from public.session_notes where id = :'note' returning 1)
select is(count(*)::int, 0, 'nor delete it') from d;
select tests.clear_authentication();

-- Nobody else reads anything.
select tests.authenticate_as('sn_patient');
select is((select count(*)::int from public.session_notes), 0, 'the patient reads no note of their session');
select is(tests.error_code(format($$insert into public.session_notes (session_id, body) values (%L, 'x')$$, :'appt')),
          '42501', 'the patient cannot write one');
with u as (update public.session_notes set body = 'x' returning 1)
select is(count(*)::int, 0, 'nor change one') from u;
select tests.clear_authentication();
select tests.authenticate_as('sn_patient_q');
select is((select count(*)::int from public.session_notes), 0, 'another patient reads none');
select tests.clear_authentication();
select tests.authenticate_as('sn_coach_b');
select is((select count(*)::int from public.session_notes), 0, 'another coach reads none');
with d as (delete from public.session_notes returning 1)
select is(count(*)::int, 0, 'nor deletes any') from d;
select tests.clear_authentication();
select tests.authenticate_as('sn_admin');
select is((select count(*)::int from public.session_notes), 0, 'an admin reads none (no admin path, by decision)');
with u as (update public.session_notes set body = 'x' returning 1)
select is(count(*)::int, 0, 'nor changes any') from u;
with d as (delete from public.session_notes returning 1)
select is(count(*)::int, 0, 'nor deletes any') from d;
select is((select count(*)::int from pg_proc p where p.pronamespace = 'public'::regnamespace
           and p.prosrc ilike '%session_notes%'), 0, 'no RPC in public reads the notes');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select is(tests.error_code('select 1 from public.session_notes'), '42501', 'anon: permission denied');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.session_notes where session_id = :'appt'), 2, 'service_role (operators) reads them');
select tests.clear_authentication();

-- Never broadcast or notified.
select is((select count(*) from realtime.messages), :'messages_before'::bigint, 'writing notes broadcast nothing');
select is((select count(*) from public.notifications), :'notifications_before'::bigint, 'and notified nobody');
select is((select count(*)::int from realtime.messages where payload::text ilike '%follow up on sleep%'), 0,
          'the text is in no realtime message');

-- The author deletes; the account's deletion takes the rest.
select tests.authenticate_as('sn_coach');
with d as (delete from public.session_notes where id = :'note' returning 1)
select is(count(*)::int, 1, 'the author deletes their note') from d;
select tests.clear_authentication();
delete from auth.users where id = :'cohost';
select is((select count(*)::int from public.session_notes where session_id = :'appt'), 0,
          'a deleted account''s notes go with it');
select is((select count(*)::int from public.session_notes where author_id in (:'coach', :'cohost')), 0, 'no note of theirs is left');
delete from public.sessions where id = :'appt';
select is((select count(*)::int from public.sessions where id = :'appt'), 0, 'the session can still be deleted');
select tests.authenticate_as('sn_coach');
select is((select count(*)::int from public.session_notes), 0, 'the coach has none left');
select tests.clear_authentication();

select * from finish();
rollback;
