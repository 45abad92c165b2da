-- Attendance: join_session / heartbeat / leave_session rules, membership through joining a public
-- session, the computed viewer count, peak, the throttled viewer_count broadcast, closing on end,
-- RLS on attendance_intervals and session_viewer_stats, and session_attendance_report (merged,
-- clipped intervals and the engagement score).
begin;
\ir ../helpers.sql
select plan(87);


select tests.create_supabase_user('host');
select tests.create_supabase_user('moderator');
select tests.create_supabase_user('booked');
select tests.create_supabase_user('walkin');
select tests.create_supabase_user('outsider');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('a');
select tests.create_supabase_user('b');
select tests.create_supabase_user('c');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

-- The report session r1 was live 10:00-11:00 UTC a week ago: pg_temp.r1('09:50') is 09:50 UTC that day.
create function pg_temp.r1(clock text) returns timestamptz language sql stable
  as $$ select ((now() at time zone 'UTC')::date - 7 + clock::time) at time zone 'UTC' $$;
grant execute on function pg_temp.r1(text) to authenticated;

-- l1 live public; l2 live members-only; l3 scheduled in 3 days; r1 ended report session (1 hour live).
insert into public.sessions (id, title, starts_at, status, visibility, started_at, ended_at, created_by) values
  ('00000000-0000-0000-0000-0000000000c1', 'Live public', now() - interval '1 hour', 'live', 'public', now() - interval '1 hour', null, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c2', 'Live members', now() - interval '1 hour', 'live', 'members', now() - interval '1 hour', null, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c3', 'Later', now() + interval '3 days', 'scheduled', 'public', null, null, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c4', 'Report', pg_temp.r1('10:00'), 'ended', 'public', pg_temp.r1('10:00'), pg_temp.r1('11:00'), tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c5', 'Live private', now() - interval '1 hour', 'live', 'private', now() - interval '1 hour', null, tests.get_supabase_uid('host'));
insert into public.session_staff (session_id, user_id, role) values
  ('00000000-0000-0000-0000-0000000000c1', tests.get_supabase_uid('moderator'), 'moderator'),
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('moderator'), 'moderator');
insert into public.bookings (session_id, user_id, status) values
  ('00000000-0000-0000-0000-0000000000c2', tests.get_supabase_uid('booked'), 'confirmed');

-- Who may join ------------------------------------------------------------------------------------
select tests.authenticate_as('walkin');
select is(('00000000-0000-0000-0000-0000000000c1'::uuid in (select private.my_session_ids())), false,
          'before joining, a signed-in user is not a member of a public session');
select is(tests.error_code($$ select count(*) from public.session_viewer_stats $$), null, 'members may query viewer stats');
select results_eq($$ select j ->> 'connection_id', (j ->> 'viewer_count')::int from public.join_session('00000000-0000-0000-0000-0000000000c1') j $$,
                  $$ values ('default'::text, 1) $$, 'any signed-in user may join a live public session');
select is(('00000000-0000-0000-0000-0000000000c1'::uuid in (select private.my_session_ids())), true,
          'after joining they count as a member of the public session');
select is((select peak_viewers from public.session_viewer_stats where session_id = '00000000-0000-0000-0000-0000000000c1'), 1,
          'a member of the session reads its viewer stats');
select is(tests.error_code($$ select public.join_session('00000000-0000-0000-0000-0000000000c2') $$), 'forbidden',
          'a members-only session needs a booking or a staff role');
select is(tests.error_code($$ select public.join_session('00000000-0000-0000-0000-0000000000c3') $$), 'invalid_transition',
          'a session days away is not open yet');
select is(tests.error_code($$ select public.join_session('00000000-0000-0000-0000-0000000000ff') $$), 'not_found',
          'an unknown session is not_found');
select is(tests.error_code(format($$ select public.join_session(%L, %L) $$, '00000000-0000-0000-0000-0000000000c1', repeat('x', 101))),
          'invalid_input', 'a connection id over 100 characters is invalid_input');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select public.join_session('00000000-0000-0000-0000-0000000000c1') $$), '42501', 'anon cannot join');
select is(tests.error_code($$ select public.heartbeat('00000000-0000-0000-0000-0000000000c1') $$), '42501', 'anon cannot heartbeat');
select is(tests.error_code($$ select public.leave_session('00000000-0000-0000-0000-0000000000c1') $$), '42501', 'anon cannot leave');
select is(tests.error_code($$ select count(*) from public.attendance_intervals $$), '42501', 'anon cannot read attendance');
select tests.authenticate_as('booked');
select is((select (j ->> 'viewer_count')::int from public.join_session('00000000-0000-0000-0000-0000000000c2') j), 1,
          'a booked member joins a members-only live session');

-- Viewer count and throttled broadcast -----------------------------------------------------------------
-- Two more joins in the same instant (same transaction): the first broadcast stands, no second one.
select tests.authenticate_as('booked');
select 1 from public.join_session('00000000-0000-0000-0000-0000000000c1', 'tab-1');
select 1 from public.join_session('00000000-0000-0000-0000-0000000000c1', 'tab-2');
select tests.authenticate_as('moderator');
select is((select (j ->> 'viewer_count')::int from public.join_session('00000000-0000-0000-0000-0000000000c1') j), 3,
          'viewer count is distinct users: two connections of one user count once');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages where topic = 'session:00000000-0000-0000-0000-0000000000c1'
           and event = 'viewer_count' and private), 1, 'joins within 2 s produce a single viewer_count broadcast');
select is((select array_agg(k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.topic = 'session:00000000-0000-0000-0000-0000000000c1' and m.event = 'viewer_count'),
          array['id', 'session_id', 'viewer_count'], 'viewer_count carries only the session id and the count');
select is((select peak_viewers from public.session_viewer_stats where session_id = '00000000-0000-0000-0000-0000000000c1'), 3,
          'the peak follows the computed count');
-- 3 s later the throttle lets the next change through.
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds'
where session_id = '00000000-0000-0000-0000-0000000000c1';
select tests.authenticate_as('host');
select 1 from public.join_session('00000000-0000-0000-0000-0000000000c1');
select tests.clear_authentication();
select results_eq($$ select (payload ->> 'viewer_count')::int from realtime.messages where topic = 'session:00000000-0000-0000-0000-0000000000c1'
                     and event = 'viewer_count' order by (payload ->> 'viewer_count')::int $$,
                  $$ values (1), (4) $$, 'after 2 s the next change is broadcast with the current count');
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c1'), 4, 'private.viewer_count computes the current viewers');

-- Leaving, heartbeats, staleness ---------------------------------------------------------------------
select tests.authenticate_as('booked');
select results_eq($$ select (j ->> 'closed')::int, (j ->> 'viewer_count')::int from public.leave_session('00000000-0000-0000-0000-0000000000c1', 'tab-1') j $$,
                  $$ values (1, 4) $$, 'leaving one connection keeps the user counted while another is open');
select results_eq($$ select (j ->> 'closed')::int, (j ->> 'viewer_count')::int from public.leave_session('00000000-0000-0000-0000-0000000000c1') j $$,
                  $$ values (1, 3) $$, 'leaving without a connection id closes all of the user''s connections');
select is((select (j ->> 'closed')::int from public.leave_session('00000000-0000-0000-0000-0000000000c1') j), 0, 'leaving again is a no-op');
select tests.clear_authentication();
select is((select peak_viewers from public.session_viewer_stats where session_id = '00000000-0000-0000-0000-0000000000c1'), 4,
          'the peak is kept when viewers leave');
-- The walk-in's connection goes silent for 90 s: no longer counted; their heartbeat re-joins.
update public.attendance_intervals set joined_at = now() - interval '5 minutes', last_heartbeat_at = now() - interval '90 seconds'
where user_id = tests.get_supabase_uid('walkin');
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c1'), 2, 'a connection without a heartbeat for 60 s is not counted');
select tests.authenticate_as('walkin');
select is((select (j ->> 'viewer_count')::int from public.heartbeat('00000000-0000-0000-0000-0000000000c1') j), 3,
          'a heartbeat after the gap brings the user back');
select tests.clear_authentication();
select results_eq($$ select left_at = now() - interval '90 seconds', left_at is null from public.attendance_intervals
                     where user_id = tests.get_supabase_uid('walkin') order by joined_at $$,
                  $$ values (true, false), (null, true) $$,
                  'the stale interval ends at its last heartbeat and a new one opens (reconnect gap)');
select tests.authenticate_as('walkin');
select 1 from public.heartbeat('00000000-0000-0000-0000-0000000000c1');
select tests.clear_authentication();
select is((select count(*)::int from public.attendance_intervals where user_id = tests.get_supabase_uid('walkin')), 2,
          'a heartbeat on a fresh connection only refreshes it');
-- The walk-in goes silent again while clients were last told 3: the heartbeat that closes the gap
-- does not broadcast the count without them (2), and the count is 3 again, so nothing new is sent.
update public.attendance_intervals set joined_at = now() - interval '90 seconds', last_heartbeat_at = now() - interval '90 seconds'
where user_id = tests.get_supabase_uid('walkin') and left_at is null;
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds', last_broadcast_count = 3
where session_id = '00000000-0000-0000-0000-0000000000c1';
select tests.authenticate_as('walkin');
select 1 from public.heartbeat('00000000-0000-0000-0000-0000000000c1');
select tests.clear_authentication();
select results_eq($$ select (payload ->> 'viewer_count')::int from realtime.messages where topic = 'session:00000000-0000-0000-0000-0000000000c1'
                     and event = 'viewer_count' order by (payload ->> 'viewer_count')::int $$,
                  $$ values (1), (4) $$, 'closing a silent connection broadcasts no count that misses its user');
-- A blank connection id is the connection 'default' for leaving too, not every connection.
select tests.authenticate_as('walkin');
select 1 from public.join_session('00000000-0000-0000-0000-0000000000c1', 'tab-x');
select is((select (j ->> 'closed')::int from public.leave_session('00000000-0000-0000-0000-0000000000c1', ' ') j), 1,
          'leaving with a blank connection id closes the connection ''default'' only');
select is((select array_agg(connection_id) from public.attendance_intervals
           where user_id = tests.get_supabase_uid('walkin') and left_at is null), array['tab-x'], 'the other tab stays open');
-- leave_session tells nothing about sessions the caller cannot see.
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.leave_session('00000000-0000-0000-0000-0000000000c5') $$), 'not_found',
          'leaving a private session one cannot see is not_found (no viewer count leaks)');
select is(tests.error_code($$ select public.leave_session('00000000-0000-0000-0000-0000000000ff') $$), 'not_found',
          'leaving an unknown session is not_found');
select tests.clear_authentication();
-- The minute job (flush-live-counts) corrects a viewer count the last broadcast got wrong or that
-- changed without a write (viewers whose heartbeat stopped), once.
create function pg_temp.c1_counts_sent() returns int language sql as $$
  select count(*)::int from realtime.messages where topic = 'session:00000000-0000-0000-0000-0000000000c1' and event = 'viewer_count'
    and (payload ->> 'viewer_count')::int = private.viewer_count('00000000-0000-0000-0000-0000000000c1') $$;
select set_config('tests.c1_sent', pg_temp.c1_counts_sent()::text, true);
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds', last_broadcast_count = 99
where session_id = '00000000-0000-0000-0000-0000000000c1';
select private.flush_live_counts();
select is(pg_temp.c1_counts_sent(), current_setting('tests.c1_sent')::int + 1, 'the job broadcasts the current viewer count');
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds'
where session_id = '00000000-0000-0000-0000-0000000000c1';
select private.flush_live_counts();
select is(pg_temp.c1_counts_sent(), current_setting('tests.c1_sent')::int + 1, 'and nothing more while it is current');
-- session_cards.can_join follows join_session for a banned user.
select tests.authenticate_as('host');
select public.ban_user('00000000-0000-0000-0000-0000000000c1', tests.get_supabase_uid('banned'), 'spam') is not null as banned;
select tests.authenticate_as('banned');
select is((select can_join from public.session_cards where id = '00000000-0000-0000-0000-0000000000c1'), false,
          'session_cards.can_join is false for a user banned from the session');
select is(tests.error_code($$ select public.join_session('00000000-0000-0000-0000-0000000000c1') $$), 'forbidden',
          'as join_session answers them');
select tests.authenticate_as('outsider');
select is((select can_join from public.session_cards where id = '00000000-0000-0000-0000-0000000000c1'), true,
          'anyone else signed in can still join the live public session');
select tests.clear_authentication();

-- RLS on attendance_intervals ------------------------------------------------------------------------
select tests.authenticate_as('walkin');
select is((select count(*)::int from public.attendance_intervals where user_id <> tests.get_supabase_uid('walkin')), 0,
          'a member reads only their own intervals');
select is(tests.error_code($$ update public.attendance_intervals set left_at = null $$), '42501', 'members cannot write intervals');
select is(tests.error_code($$ delete from public.attendance_intervals $$), '42501', 'members cannot delete intervals');
select tests.authenticate_as('moderator');
select is((select count(distinct user_id)::int from public.attendance_intervals where session_id = '00000000-0000-0000-0000-0000000000c1'), 4,
          'moderators read every interval of their session');
select tests.authenticate_as('outsider');
select is((select count(*)::int from public.attendance_intervals), 0, 'outsiders read no intervals');
select is((select count(*)::int from public.session_viewer_stats where session_id = '00000000-0000-0000-0000-0000000000c1'), 0,
          'outsiders read no viewer stats');
select tests.authenticate_as('walkin');
select is((select viewer_count from public.session_cards where id = '00000000-0000-0000-0000-0000000000c1'), 3,
          'session_cards shows the live viewer count');

-- Ending a session closes open intervals.
select tests.authenticate_as('host');
select 1 from public.end_session('00000000-0000-0000-0000-0000000000c1');
select tests.clear_authentication();
select is((select count(*)::int from public.attendance_intervals where session_id = '00000000-0000-0000-0000-0000000000c1' and left_at is null), 0,
          'ending the session closes every open interval');
select tests.authenticate_as('walkin');
select is(tests.error_code($$ select public.heartbeat('00000000-0000-0000-0000-0000000000c1') $$), 'invalid_transition',
          'an ended session cannot be joined');

-- session_attendance_report ---------------------------------------------------------------------------
-- Live window 10:00-11:00. a: two overlapping connections 09:50-10:30 and 10:20-10:40 -> 10:00-10:40 = 2400 s.
-- b: 10:10-10:20, then after a gap 10:25-10:35 -> 1200 s. c: 10:50-11:30, clipped to 11:00 -> 600 s.
select tests.clear_authentication();
insert into public.attendance_intervals (session_id, user_id, connection_id, joined_at, last_heartbeat_at, left_at) values
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('a'), 'phone', pg_temp.r1('09:50'), pg_temp.r1('10:30'), pg_temp.r1('10:30')),
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('a'), 'laptop', pg_temp.r1('10:20'), pg_temp.r1('10:40'), pg_temp.r1('10:40')),
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('b'), 'default', pg_temp.r1('10:10'), pg_temp.r1('10:20'), pg_temp.r1('10:20')),
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('b'), 'default', pg_temp.r1('10:25'), pg_temp.r1('10:35'), pg_temp.r1('10:35')),
  ('00000000-0000-0000-0000-0000000000c4', tests.get_supabase_uid('c'), 'default', pg_temp.r1('10:50'), pg_temp.r1('11:30'), pg_temp.r1('11:30'));
select tests.authenticate_as('host');
select results_eq(
  $$ select display_name, first_joined_at, last_left_at, attended_seconds, messages, questions, upvotes, poll_answers, survey_done, engagement_score
     from public.session_attendance_report('00000000-0000-0000-0000-0000000000c4') $$,
  $$ values ('A'::text, pg_temp.r1('09:50'), pg_temp.r1('10:40'), 2400, 0, 0, 0, 0, false, 33),
            ('B', pg_temp.r1('10:10'), pg_temp.r1('10:35'), 1200, 0, 0, 0, 0, false, 17),
            ('C', pg_temp.r1('10:50'), pg_temp.r1('11:30'), 600, 0, 0, 0, 0, false, 8) $$,
  'overlapping connections count once, gaps are not attended, intervals are clipped to the live window');
select is((select attended_seconds from public.session_attendance_report('00000000-0000-0000-0000-0000000000c1')
           where user_id = tests.get_supabase_uid('walkin')), 210,
          'a stale interval counts until its last heartbeat (5 min ago to 90 s ago = 210 s)');
-- Cancelling the live session ends its live window: the report stops counting at the cancellation.
select is((select ended_at from public.cancel_session('00000000-0000-0000-0000-0000000000c2', 'Power cut')), now(),
          'cancelling a live session sets ended_at, as ending it does');
select is((select ended_at from public.sessions where id = '00000000-0000-0000-0000-0000000000c3'), null,
          'a scheduled session has no ended_at');
select is((select ended_at from public.cancel_session('00000000-0000-0000-0000-0000000000c3', null)), null,
          'cancelling a session that never went live leaves ended_at null');
select is(tests.error_code($$ select * from public.session_attendance_report(null) $$), 'invalid_input',
          'a missing session id is invalid input');
select tests.authenticate_as('moderator');
select is(tests.error_code($$ select * from public.session_attendance_report('00000000-0000-0000-0000-0000000000c4') $$), 'forbidden',
          'moderators do not get the report: hosts only');
select tests.authenticate_as('a');
select is(tests.error_code($$ select * from public.session_attendance_report('00000000-0000-0000-0000-0000000000c4') $$), 'forbidden',
          'attendees do not get the report');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select * from public.session_attendance_report('00000000-0000-0000-0000-0000000000c4') $$), '42501',
          'anon cannot call the report');

-- The O(1) viewer count: presence rows and 10-second buckets ---------------------------------------------
select tests.clear_authentication();
select is_empty($$ select * from private.viewer_count_drift() $$,
                'after joins, heartbeats, leaves, gaps, an end and a cancel, presence rows, buckets and counts equal a recount');
-- c6: a live crowd of 40 users with one to three connections each, heartbeats spread over the last
-- 150 s (inside and outside the window, across many buckets), some connections closed.
insert into public.sessions (id, title, starts_at, status, visibility, started_at, created_by) values
  ('00000000-0000-0000-0000-0000000000c6', 'Live crowd', now() - interval '1 hour', 'live', 'public', now() - interval '1 hour',
   tests.get_supabase_uid('host'));
create temp table crowd as
  select gen_random_uuid() as id, g from generate_series(1, 40) g;
insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
select c.id, 'crowd-' || c.g || '@example.test', '{"display_name": "Crowd"}', 'authenticated', 'authenticated', now() from crowd c;
select setseed(0.32);
insert into public.attendance_intervals (session_id, user_id, connection_id, joined_at, last_heartbeat_at, left_at)
select '00000000-0000-0000-0000-0000000000c6', c.id, 'conn-' || k, h - interval '10 minutes', h,
       case when random() < 0.25 then h end
from crowd c
cross join lateral generate_series(1, 1 + (c.g % 3)) k
cross join lateral (select now() - random() * interval '150 seconds' as h where k > 0 and c.g > 0) t; -- per row
-- The count's documented window, written out independently of private.viewer_bucket: a last heartbeat at
-- or after the start of the 10-second bucket (of the epoch) 6 before the one now() is in.
create function pg_temp.window_start() returns timestamptz language sql as $$
  select to_timestamp((floor(extract(epoch from now()) / 10) - 6) * 10) $$;
create function pg_temp.c6_recount() returns int language sql as $$
  select count(distinct a.user_id)::int from public.attendance_intervals a
  where a.session_id = '00000000-0000-0000-0000-0000000000c6' and a.left_at is null
    and a.last_heartbeat_at >= pg_temp.window_start() $$;
select ok(pg_temp.c6_recount() between 5 and 35, 'the crowd has viewers inside and outside the window');
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(),
          'viewer_count of a crowd equals the recount over its intervals');
-- Heartbeats move users forward, connections close, some intervals are deleted outright.
update public.attendance_intervals a set last_heartbeat_at = greatest(a.last_heartbeat_at, now() - random() * interval '100 seconds')
where a.session_id = '00000000-0000-0000-0000-0000000000c6' and a.left_at is null and random() < 0.6;
update public.attendance_intervals a set left_at = a.last_heartbeat_at
where a.session_id = '00000000-0000-0000-0000-0000000000c6' and a.left_at is null and random() < 0.2;
delete from public.attendance_intervals a
where a.session_id = '00000000-0000-0000-0000-0000000000c6' and a.connection_id = 'conn-2' and random() < 0.5;
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(),
          'and after heartbeats, closes and deletions');
-- session_cards counts the viewers in its own statement (private.session_card): the same rule.
select is((select viewer_count from public.session_cards where id = '00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(),
          'session_cards shows the crowd''s viewer count, as the recount');
select is_empty($$ select * from private.viewer_count_drift() $$, 'no drift after those writes');
-- The window is whole buckets: the current one and the 6 before it, 60 to 70 s long.
select ok(now() - pg_temp.window_start() >= interval '60 seconds' and now() - pg_temp.window_start() < interval '70 seconds',
          'the window starts 60 to 70 s ago');
-- Its edge is exact: a heartbeat at the window's first instant counts, one a microsecond earlier does not.
update public.attendance_intervals a set left_at = null, last_heartbeat_at = pg_temp.window_start(),
       joined_at = now() - interval '10 minutes'
where a.user_id = (select id from crowd where g = 1) and a.session_id = '00000000-0000-0000-0000-0000000000c6';
select set_config('tests.c6_edge_in', pg_temp.c6_recount()::text, true);
select results_eq($$ select private.viewer_count('00000000-0000-0000-0000-0000000000c6'),
                            (select seen_at = pg_temp.window_start() from private.session_viewers
                             where user_id = (select id from crowd where g = 1)) $$,
                  $$ select current_setting('tests.c6_edge_in')::int, true $$,
                  'a heartbeat at the first instant of the bucket 6 before now''s counts');
update public.attendance_intervals a set last_heartbeat_at = pg_temp.window_start() - interval '1 microsecond'
where a.user_id = (select id from crowd where g = 1) and a.session_id = '00000000-0000-0000-0000-0000000000c6';
select results_eq($$ select private.viewer_count('00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount() $$,
                  $$ select current_setting('tests.c6_edge_in')::int - 1, current_setting('tests.c6_edge_in')::int - 1 $$,
                  'one a microsecond earlier does not');
select is((select viewer_count from public.session_cards where id = '00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(),
          'session_cards agrees at the window''s edge');
-- Whatever now()'s place in its bucket: 59.9 s old always counts, 70 s old never does.
update public.attendance_intervals a set last_heartbeat_at = now() - interval '59.9 seconds'
where a.user_id = (select id from crowd where g = 1) and a.session_id = '00000000-0000-0000-0000-0000000000c6';
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c6'), current_setting('tests.c6_edge_in')::int,
          'a heartbeat 59.9 s old counts');
update public.attendance_intervals a set last_heartbeat_at = now() - interval '70 seconds'
where a.user_id = (select id from crowd where g = 1) and a.session_id = '00000000-0000-0000-0000-0000000000c6';
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c6'), current_setting('tests.c6_edge_in')::int - 1,
          'one 70 s old does not');
select is((select viewer_count from public.session_cards where id = '00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(),
          'session_cards agrees');
-- A heartbeat through the RPC moves its user to the bucket of now.
select tests.authenticate_as('walkin');
select 1 from public.heartbeat('00000000-0000-0000-0000-0000000000c6', 'tab-1');
select tests.clear_authentication();
select results_eq(
  $$ select v.seen_at = now(), exists (select 1 from private.session_viewer_buckets b
                                       where b.session_id = v.session_id and b.bucket = private.viewer_bucket(now())
                                         and b.shard = private.viewer_shard() and b.viewers >= 1)
     from private.session_viewers v
     where v.session_id = '00000000-0000-0000-0000-0000000000c6' and v.user_id = tests.get_supabase_uid('walkin') $$,
  $$ values (true, true) $$, 'a heartbeat sets the user''s seen_at and counts them in the bucket of now');
-- A present viewer's heartbeat changes no count: it counts, and broadcasts, only when the throttle is due.
create function pg_temp.c6_sent() returns int language sql as $$
  select count(*)::int from realtime.messages where topic = 'session:00000000-0000-0000-0000-0000000000c6' and event = 'viewer_count' $$;
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds', last_checked_at = now(), last_broadcast_count = -1
where session_id = '00000000-0000-0000-0000-0000000000c6';
select set_config('tests.c6_sent', pg_temp.c6_sent()::text, true);
select tests.authenticate_as('walkin');
select 1 from public.heartbeat('00000000-0000-0000-0000-0000000000c6', 'tab-1');
select tests.clear_authentication();
select is(pg_temp.c6_sent(), current_setting('tests.c6_sent')::int, 'a present viewer''s heartbeat within 2 s of the last check sends nothing, even when the count is stale');
-- (The walk-in's last heartbeat was 5 s ago: now() does not move inside this test's transaction.)
update public.attendance_intervals set joined_at = now() - interval '5 seconds', last_heartbeat_at = now() - interval '5 seconds'
where session_id = '00000000-0000-0000-0000-0000000000c6' and user_id = tests.get_supabase_uid('walkin') and left_at is null;
update public.session_viewer_stats set last_broadcast_at = now() - interval '3 seconds', last_checked_at = now() - interval '3 seconds'
where session_id = '00000000-0000-0000-0000-0000000000c6';
select tests.authenticate_as('walkin');
select 1 from public.heartbeat('00000000-0000-0000-0000-0000000000c6', 'tab-1');
select tests.clear_authentication();
select results_eq($$ select pg_temp.c6_sent(), (select last_broadcast_count from public.session_viewer_stats
                                                where session_id = '00000000-0000-0000-0000-0000000000c6') $$,
                  $$ select current_setting('tests.c6_sent')::int + 1, private.viewer_count('00000000-0000-0000-0000-0000000000c6') $$,
                  'once it is due, the next heartbeat sends the current count (viewers who left silently included)');
-- A user's deletion cascades to their intervals; the structures follow.
delete from auth.users where id = (select id from crowd where g = 2);
select is_empty($$ select * from private.viewer_count_drift() $$, 'a user''s deletion leaves no drift');
select is(private.viewer_count('00000000-0000-0000-0000-0000000000c6'), pg_temp.c6_recount(), 'and the count follows it');
-- The minute job deletes buckets older than 2 minutes, and only those.
insert into private.session_viewer_buckets (session_id, bucket, shard, viewers)
values ('00000000-0000-0000-0000-0000000000c6', private.viewer_bucket(now() - interval '3 minutes'), 0, 1);
select private.flush_live_counts();
select is((select count(*)::int from private.session_viewer_buckets
           where bucket < private.viewer_bucket(now() - interval '2 minutes')), 0, 'flush_live_counts deletes aged buckets');
select is_empty($$ select * from private.viewer_count_drift() $$, 'and keeps those the count reads');
-- A drift is found: a bucket that lost a viewer.
update private.session_viewer_buckets set viewers = viewers + 1
where session_id = '00000000-0000-0000-0000-0000000000c6' and bucket = private.viewer_bucket(now()) and shard = private.viewer_shard();
select is((select array_agg(what order by what) from private.viewer_count_drift()), array['bucket ' || private.viewer_bucket(now()), 'viewer_count'],
          'viewer_count_drift reports a wrong bucket and the count it makes wrong');
update private.session_viewer_buckets set viewers = viewers - 1
where session_id = '00000000-0000-0000-0000-0000000000c6' and bucket = private.viewer_bucket(now()) and shard = private.viewer_shard();
-- Deleting the session removes its presence rows and buckets with it.
delete from public.sessions where id = '00000000-0000-0000-0000-0000000000c6';
select is((select count(*)::int from private.session_viewers where session_id = '00000000-0000-0000-0000-0000000000c6')
          + (select count(*)::int from private.session_viewer_buckets where session_id = '00000000-0000-0000-0000-0000000000c6'), 0,
          'a deleted session leaves no presence rows or buckets');
-- Clients reach the structures only through viewer_count.
select tests.authenticate_as('walkin');
select is(tests.error_code($$ select * from private.session_viewers $$), '42501', 'members cannot read the presence rows');
select is(tests.error_code($$ select * from private.session_viewer_buckets $$), '42501', 'nor the buckets');
select is(tests.error_code($$ select * from private.viewer_count_drift() $$), '42501', 'nor run the drift check');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select * from private.session_viewer_buckets $$), '42501', 'anon cannot read the buckets');
select is(tests.error_code($$ select * from private.viewer_count_drift() $$), '42501', 'nor run the drift check');
select tests.authenticate_as_service_role();
select is_empty($$ select * from private.viewer_count_drift() $$, 'service_role runs the drift check');
select is(tests.error_code($$ update private.session_viewer_buckets set viewers = 0 where shard = 0 $$), '42501',
          'service_role reads the buckets but does not write them');

select tests.clear_authentication();
select policies_are('public', 'attendance_intervals', array['deactivated accounts read nothing', 'users and session hosts and moderators can read attendance'],
                    'attendance_intervals policies');
select policies_are('public', 'session_viewer_stats', array['deactivated accounts read nothing', 'members can read the viewer stats of their sessions'],
                    'session_viewer_stats policies');

select * from finish();
rollback;
