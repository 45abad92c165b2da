-- event_attendance_report (issue 19, item 9): per attendee across an event's sessions that went live
-- (sessions attended, minutes, engagement), from the same per-session computation as
-- session_attendance_report; for the event's owner and admins only (a host of one of its sessions,
-- a member, an outsider, anon and service_role are refused).
begin;
\ir ../helpers.sql
select plan(17);

select tests.create_supabase_user('owner', metadata => '{"display_name":"Olivia Owner"}');
select tests.create_supabase_user('host', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('admin', metadata => '{"display_name":"Ada Admin"}');
select tests.create_supabase_user('ann', metadata => '{"display_name":"Ann Attendee"}');
select tests.create_supabase_user('bob', metadata => '{"display_name":"Bob Attendee"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('owner'), tests.get_supabase_uid('host'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
select tests.get_supabase_uid('ann') as ann, tests.get_supabase_uid('bob') as bob \gset

insert into public.programs (id, name, status, created_by) values
  ('00000000-0000-4000-8000-0000000055b1', 'Conference', 'live', tests.get_supabase_uid('owner'));
insert into public.events (id, program_id, title, slug, status, starts_at, ends_at, created_by) values
  ('00000000-0000-4000-8000-0000000055e1', '00000000-0000-4000-8000-0000000055b1', 'Conference day', 'conference-day-55', 'live',
   now() - interval '1 day', now() + interval '1 day', tests.get_supabase_uid('owner')),
  ('00000000-0000-4000-8000-0000000055e2', '00000000-0000-4000-8000-0000000055b1', 'Draft day', 'draft-day-55', 'draft',
   now() + interval '5 days', now() + interval '6 days', tests.get_supabase_uid('owner'));
-- s1 and s2 ran for an hour each (ended); s3 is still to come; s4 belongs to no event.
insert into public.sessions (id, program_id, event_id, title, status, visibility, starts_at, started_at, ended_at, created_by) values
  ('00000000-0000-4000-8000-0000000055a1', '00000000-0000-4000-8000-0000000055b1', '00000000-0000-4000-8000-0000000055e1', 'Keynote',
   'ended', 'public', now() - interval '5 hours', now() - interval '5 hours', now() - interval '4 hours', tests.get_supabase_uid('host')),
  ('00000000-0000-4000-8000-0000000055a2', '00000000-0000-4000-8000-0000000055b1', '00000000-0000-4000-8000-0000000055e1', 'Workshop',
   'ended', 'public', now() - interval '3 hours', now() - interval '3 hours', now() - interval '2 hours', tests.get_supabase_uid('host')),
  ('00000000-0000-4000-8000-0000000055a3', '00000000-0000-4000-8000-0000000055b1', '00000000-0000-4000-8000-0000000055e1', 'Closing',
   'scheduled', 'public', now() + interval '3 hours', null, null, tests.get_supabase_uid('host')),
  ('00000000-0000-4000-8000-0000000055a4', null, null, 'Elsewhere',
   'ended', 'public', now() - interval '3 hours', now() - interval '3 hours', now() - interval '2 hours', tests.get_supabase_uid('host'));
-- ann: 30 min of the keynote, the whole workshop, and a session of no event; bob: the whole keynote.
insert into public.attendance_intervals (session_id, user_id, joined_at, last_heartbeat_at, left_at) values
  ('00000000-0000-4000-8000-0000000055a1', :'ann', now() - interval '5 hours', now() - interval '270 minutes', now() - interval '270 minutes'),
  ('00000000-0000-4000-8000-0000000055a2', :'ann', now() - interval '3 hours', now() - interval '2 hours', now() - interval '2 hours'),
  ('00000000-0000-4000-8000-0000000055a4', :'ann', now() - interval '3 hours', now() - interval '2 hours', now() - interval '2 hours'),
  ('00000000-0000-4000-8000-0000000055a1', :'bob', now() - interval '5 hours 10 minutes', now() - interval '4 hours', now() - interval '4 hours');
insert into public.chat_messages (session_id, user_id, body, created_at) values
  ('00000000-0000-4000-8000-0000000055a2', :'ann', 'Great workshop', now() - interval '150 minutes');

-- Access.
select tests.authenticate_as('host');
select is(tests.error_code($$ select * from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') $$), 'forbidden',
          'a host of the event''s sessions who does not own the event is refused');
select tests.authenticate_as('ann');
select is(tests.error_code($$ select * from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') $$), 'forbidden',
          'an attendee is refused');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select * from public.event_attendance_report('00000000-0000-4000-8000-0000000055e2') $$), 'not_found',
          'someone else''s draft event is not_found');
select is(tests.error_code($$ select * from public.event_attendance_report(gen_random_uuid()) $$), 'not_found', 'an unknown event is not_found');
select is(tests.error_code($$ select * from public.event_attendance_report(null) $$), 'invalid_input', 'a null event is invalid_input');
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') $$, '42501', null, 'anon cannot call it');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select * from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') $$), 'not_authenticated',
          'service_role has no user: not_authenticated');
select tests.authenticate_as('owner');
select is((select count(*)::int from public.event_attendance_report('00000000-0000-4000-8000-0000000055e2')), 0,
          'the owner reads their draft event''s (empty) report');

-- The roll-up.
select results_eq($$ select display_name, sessions_attended, sessions_live, attended_seconds, attended_minutes
                     from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') order by display_name $$,
                  $$ values ('Ann Attendee'::text, 2, 2, 5400, 90), ('Bob Attendee', 1, 2, 3600, 60) $$,
                  'per attendee: sessions attended of the live ones, seconds and minutes clipped to each live window');
select is((select jsonb_agg(x ->> 'session_id' order by x ->> 'title') from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') r,
                                                    jsonb_array_elements(r.sessions) x where r.user_id = :'ann'),
          '["00000000-0000-4000-8000-0000000055a1", "00000000-0000-4000-8000-0000000055a2"]'::jsonb,
          'the per-session breakdown lists the event''s sessions only (not the one of no event)');
select tests.authenticate_as('host');
select sum(engagement_score) as ann_keynote from public.session_attendance_report('00000000-0000-4000-8000-0000000055a1') where user_id = :'ann' \gset
select sum(engagement_score) as ann_workshop from public.session_attendance_report('00000000-0000-4000-8000-0000000055a2') where user_id = :'ann' \gset
select sum(engagement_score) as bob_keynote from public.session_attendance_report('00000000-0000-4000-8000-0000000055a1') where user_id = :'bob' \gset
select tests.authenticate_as('owner');
select is((select engagement_score from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') where user_id = :'ann'),
          round((:'ann_keynote'::numeric + :'ann_workshop'::numeric) / 2)::int,
          'engagement: the mean of the per-session scores of session_attendance_report');
select is((select engagement_score from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') where user_id = :'bob'),
          round(:'bob_keynote'::numeric / 2)::int, 'a live session missed counts 0');
select ok(:'ann_workshop'::int > :'ann_keynote'::int, 'the chat message and the full hour raise the workshop score (the formula is the session report''s)');
select is((select last_left_at from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') where user_id = :'bob'),
          now() - interval '4 hours', 'last_left_at across the event');

-- Admins too; the scheduled session adds to sessions_live once it goes live.
select tests.authenticate_as('admin');
select is((select count(*)::int from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1')), 2, 'an admin reads the report');
select tests.clear_authentication();
update public.sessions set status = 'live', started_at = now() - interval '10 minutes' where id = '00000000-0000-4000-8000-0000000055a3';
insert into public.attendance_intervals (session_id, user_id, joined_at, last_heartbeat_at) values
  ('00000000-0000-4000-8000-0000000055a3', :'bob', now() - interval '10 minutes', now());
select tests.authenticate_as('owner');
select results_eq($$ select display_name, sessions_attended, sessions_live, last_left_at is null
                     from public.event_attendance_report('00000000-0000-4000-8000-0000000055e1') order by display_name $$,
                  $$ values ('Ann Attendee'::text, 2, 3, false), ('Bob Attendee', 2, 3, true) $$,
                  'a session going live counts for everyone; someone still present has no last_left_at');
select is((select prorows from pg_proc where oid = 'public.event_attendance_report(uuid)'::regprocedure), 100::real,
          'an honest rows estimate');

select * from finish();
rollback;
