-- Account lifecycle, reads: a deactivated user whose access token is still valid reads nothing
-- private. Every table with a read policy for signed-in users (found in the catalog, so a new table
-- is covered as soon as it gets the restrictive policy), every view, every reading RPC, the Realtime
-- channels and the Storage files that user could read before are refused (account_deactivated,
-- 403) or empty while deactivated, and readable again after reactivation. The guard is one
-- initplan per statement, not a call per row. A table users read without the restrictive policy
-- fails here.
begin;
\ir ../helpers.sql
select plan(18);

select tests.create_supabase_user('ada');
select tests.create_supabase_user('dee');
select tests.create_supabase_user('mo');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('dee');
select tests.get_supabase_uid('dee') as dee, tests.get_supabase_uid('mo') as mo, tests.get_supabase_uid('ada') as ada \gset

-- Something of dee's in every table a signed-in user can read (written as postgres: the writes are
-- not what this file tests).
\set prog   'dddddddd-0000-4000-8000-000000000001'
\set ev     'dddddddd-0000-4000-8000-000000000002'
\set live   'dddddddd-0000-4000-8000-000000000003'
\set other  'dddddddd-0000-4000-8000-000000000004'
\set poll   'dddddddd-0000-4000-8000-000000000005'
\set opt    'dddddddd-0000-4000-8000-000000000006'
\set q      'dddddddd-0000-4000-8000-000000000007'
\set room   'dddddddd-0000-4000-8000-000000000008'
\set survey 'dddddddd-0000-4000-8000-000000000009'
\set res    'dddddddd-0000-4000-8000-00000000000a'
\set conv   'dddddddd-0000-4000-8000-00000000000b'
insert into public.programs (id, name, status, created_by) values (:'prog', 'Dee''s program', 'live', :'dee');
insert into public.events (id, program_id, title, slug, status, starts_at, ends_at, created_by)
values (:'ev', :'prog', 'Dee''s event', 'dee-event', 'live', now() - interval '1 hour', now() + interval '1 day', :'dee');
insert into public.sessions (id, event_id, title, starts_at, started_at, status, visibility, created_by)
values (:'live', :'ev', 'Dee live', now() - interval '10 minutes', now() - interval '10 minutes', 'live', 'public', :'dee');
insert into public.sessions (id, title, starts_at, status, visibility, created_by)
values (:'other', 'Ada''s session', now() + interval '2 days', 'scheduled', 'public', :'ada');
insert into public.bookings (session_id, user_id, status) values (:'other', :'dee', 'confirmed'), (:'live', :'mo', 'confirmed');
insert into public.session_reminders (session_id, user_id, minutes_before) values (:'other', :'dee', 60);
insert into public.attendance_intervals (session_id, user_id) values (:'live', :'dee');
insert into public.session_viewer_stats (session_id) values (:'live') on conflict do nothing;
insert into public.chat_messages (session_id, user_id, body) values (:'live', :'mo', 'Hello Dee');
insert into public.questions (id, session_id, user_id, body, status) values (:'q', :'live', :'mo', 'A question?', 'published');
insert into public.question_upvotes (question_id, user_id) values (:'q', :'dee');
insert into public.polls (id, session_id, question, kind, max_choices, status, opened_at) values (:'poll', :'live', 'Ready?', 'single', 1, 'open', now());
insert into public.poll_options (id, poll_id, label, position) values (:'opt', :'poll', 'Yes', 1);
insert into public.poll_ballots (poll_id, user_id) values (:'poll', :'dee');
insert into public.poll_votes (poll_id, option_id, user_id) values (:'poll', :'opt', :'dee');
insert into public.session_bans (session_id, user_id, reason) values (:'live', :'mo', 'Test ban');
insert into public.rooms (id, session_id, name) values (:'room', :'live', 'Room A');
insert into public.room_assignments (room_id, user_id) values (:'room', :'dee');
insert into public.session_secrets (session_id, meeting_url) values (:'live', 'https://meet.example.org/dee');
insert into public.streams (session_id, source_type, source_url) values (:'live', 'hls', 'https://cdn.example.org/dee.m3u8');
insert into public.surveys (id, session_id, title, status) values (:'survey', :'live', 'Feedback', 'open');
insert into public.survey_fields (survey_id, prompt, kind, position) values (:'survey', 'Rating', 'rating', 1);
insert into public.survey_responses (survey_id, user_id, answers) values (:'survey', :'dee', '{}');
insert into public.session_notes (session_id, author_id, body) values (:'live', :'dee', 'Private note');
insert into public.calendar_feeds (user_id, token_hash) values (:'dee', extensions.digest('dee-feed', 'sha256'));
insert into public.coach_applications (user_id, motivation) values (:'dee', 'I have coached teams for ten years and would like to host sessions here.');
insert into public.coach_availability (coach_id, weekday, start_time, end_time) values (:'dee', 1, '09:00', '17:00');
insert into public.coach_booking_settings (coach_id) values (:'dee') on conflict do nothing;
insert into public.coach_time_off (coach_id, starts_at, ends_at) values (:'dee', now() + interval '10 days', now() + interval '11 days');
insert into public.notification_preferences (user_id, kind, email) values (:'dee', 'booking_confirmed', false);
insert into public.notifications (user_id, kind, title) values (:'dee', 'booking_confirmed', 'Booked');
insert into public.notification_deliveries (notification_id, user_id, kind, channel, payload)
select n.id, n.user_id, n.kind, 'email', '{}' from public.notifications n where n.user_id = :'dee';
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (:'dee', 'https://fcm.googleapis.com/fcm/send/dee-1',
  'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg');
insert into public.resources (id, title, kind, body, visibility, status, author_id) values (:'res', 'Dee''s article', 'article', 'Text', 'members', 'published', :'dee');
insert into public.resource_links (resource_id, session_id) values (:'res', :'live');
insert into public.resource_activity (resource_id, user_id, kind) values (:'res', :'dee', 'view');
insert into public.resource_daily_stats (resource_id, day, views) values (:'res', (now() at time zone 'utc')::date, 1);
insert into storage.objects (bucket_id, name, owner, version) values ('resources', :'dee' || '/' || :'res' || '/notes.pdf', :'dee', '1');
select tests.authenticate_as('dee');
select public.open_support_ticket('Help please', 'The details of my question.') is not null as opened;
select tests.clear_authentication();
insert into public.conversations (id, kind, created_by) values (:'conv', 'direct', :'dee');
insert into public.conversation_members (conversation_id, user_id) values (:'conv', :'dee'), (:'conv', :'mo');
insert into public.direct_messages (conversation_id, user_id, body) values (:'conv', :'mo', 'Hi Dee');
insert into public.announcements (scope, program_id, title, body, created_by) values ('program', :'prog', 'News', 'Body', :'dee');

-- What dee reads: every table with the restrictive policy, every view, the reading RPCs.
create table tests.reads (what text primary key, query text not null, kind text not null,
                          before text, during text, after text);
insert into tests.reads (what, query, kind)
select distinct 'table ' || p.tablename, format('select 1 from public.%I', p.tablename), 'table'
from pg_policies p
where p.schemaname = 'public' and p.permissive = 'PERMISSIVE' and p.cmd in ('SELECT', 'ALL')
  and 'authenticated' = any (p.roles) and p.tablename <> 'notification_kinds';  -- the kinds are no one's data
insert into tests.reads (what, query, kind)
select 'view ' || c.relname, format('select * from public.%I', c.relname), 'view'
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'v' and has_table_privilege('authenticated', c.oid, 'select');
insert into tests.reads (what, query, kind) values
  ('storage.objects', 'select 1 from storage.objects', 'table'),
  ('rpc chat_history', format('select * from public.chat_history(%L)', :'live'), 'rpc'),
  ('rpc chat_since', format('select * from public.chat_since(%L, (select id from public.chat_messages where session_id = %L))', :'live', :'live'), 'rpc'),
  ('rpc poll_results', format('select public.poll_results(%L)', :'poll'), 'rpc'),
  ('rpc survey_results', format('select public.survey_results(%L)', :'survey'), 'rpc'),
  ('rpc session_metrics', format('select public.session_metrics(%L)', :'live'), 'rpc'),
  ('rpc session_attendance_report', format('select * from public.session_attendance_report(%L)', :'live'), 'rpc'),
  ('rpc event_attendance_report', format('select * from public.event_attendance_report(%L)', :'ev'), 'rpc'),
  ('rpc session_meeting_details', format('select public.session_meeting_details(%L)', :'live'), 'rpc'),
  ('rpc resource_stats', format('select public.resource_stats(%L, 30)', :'res'), 'rpc'),
  ('rpc my_appointments', 'select * from public.my_appointments()', 'rpc'),
  ('rpc jitsi_access', format('select public.jitsi_access(%L)', :'live'), 'rpc'),
  ('rpc available_slots', format('select * from public.available_slots(%L, now(), now() + interval ''14 days'')', :'dee'), 'rpc'),
  ('rpc search_resources', 'select * from public.search_resources(''article'', null, null, null, 20, 0)', 'rpc'),
  ('rpc recommended_resources', 'select * from public.recommended_resources(10)', 'rpc');
grant select, update on tests.reads to authenticated;
select is((select array_agg(r.what order by r.what) from tests.reads r
           where r.kind = 'table' and r.what <> 'storage.objects'
             and not exists (select 1 from pg_policies p where p.schemaname = 'public' and 'table ' || p.tablename = r.what
                               and p.policyname = 'deactivated accounts read nothing' and p.permissive = 'RESTRICTIVE')),
          null, 'every table signed-in users read has the restrictive policy');

-- The plan of a read, as the current role.
create function tests.plan_text(query text) returns text
language plpgsql as $$
declare
  v_line record;
  v_plan text := '';
begin
  for v_line in execute 'explain (verbose, costs off) ' || query loop
    v_plan := v_plan || v_line."QUERY PLAN" || E'\n';
  end loop;
  return v_plan;
end;
$$;
grant execute on function tests.plan_text(text) to authenticated;

-- Row count of a query as the current role, or the API error code it raised.
create function tests.read_result(query text) returns text
language plpgsql as $$
declare
  v_count bigint;
begin
  -- x::text uses every column: nothing is optimized away (a left join removed, a function not called).
  execute format('select count(*) from (%s) x where x::text is not null', query) into v_count;
  return v_count::text;
exception when others then
  if sqlstate = 'PGRST' then
    return sqlerrm::jsonb ->> 'code';
  end if;
  return sqlstate;
end;
$$;
grant execute on function tests.read_result(text) to authenticated;

select tests.authenticate_as('dee');
update tests.reads set before = tests.read_result(query);
select tests.clear_authentication();
select is((select array_agg(what order by what) from tests.reads where kind in ('table', 'view') and before !~ '^[1-9][0-9]*$'
             and what not in ('table audit_log')),
          null, 'while active, dee reads rows of every table and view (audit_log: admins only, who cannot be deactivated)');
select is((select array_agg(what || ': ' || before order by what) from tests.reads where kind = 'rpc' and before !~ '^[0-9]+$'),
          null, 'while active, every reading RPC answers dee');
select ok((select count(*) from tests.reads where kind = 'table') >= 47, 'every table users read is in the list');
select tests.authenticate_as('dee');
select ok(tests.plan_text('select id from public.chat_messages') ~ 'InitPlan \d+ \(returns \$\d+\)\n\s+->  Result\n\s+Output: private\.account_read_guard\(\)'
          and tests.plan_text('select id from public.chat_messages') !~ 'Filter: [^\n]*account_read_guard',
          'the guard is an initplan: one call per statement, not one per row');
select tests.clear_authentication();
select is((tests.realtime_access('dee', 'session:' || :'live')).can_read, true, 'while active, dee receives the session channel');
select is((tests.realtime_access('dee', 'user:' || :'dee')).can_read, true, 'and her own channel');

-- Deactivated, with the same still-valid token ---------------------------------------------------------
select tests.authenticate_as('ada');
select lives_ok(format('select public.deactivate_user(%L, %L)', :'dee', 'Test'), 'ada deactivates dee');
select tests.authenticate_as('dee');
update tests.reads set during = tests.read_result(query);
select tests.clear_authentication();
select is((select array_agg(what || ': ' || during order by what) from tests.reads
           where kind in ('table', 'view') and during not in ('0', 'account_deactivated')),
          null, 'deactivated, dee reads no row of any table or view');
select ok((select count(*) from tests.reads where kind = 'table' and during = 'account_deactivated') >= 45,
          'the tables say why: account_deactivated');
select is((select array_agg(what || ': ' || during order by what) from tests.reads where kind = 'rpc' and during <> 'account_deactivated'),
          null, 'every reading RPC refuses dee with account_deactivated');
select is(tests.error_code(format('select tests.realtime_access(%L, %L)', 'dee', 'session:' || :'live')), 'account_deactivated',
          'deactivated, dee is refused the session channel (Realtime denies a join whose authorization fails)');
select is(tests.error_code(format('select tests.realtime_access(%L, %L)', 'dee', 'user:' || :'dee')), 'account_deactivated',
          'and her own channel');
select tests.authenticate_as('dee');
select is(tests.error_code('select count(*) from public.profiles'), 'account_deactivated', 'a direct read says account_deactivated');
select is(tests.error_status('select count(*) from public.profiles'), 403, 'with status 403');
select tests.clear_authentication();

-- Others are unaffected; reactivation restores access ------------------------------------------------
select tests.authenticate_as('mo');
select is(tests.read_result('select * from public.direct_messages'), '1', 'mo still reads the conversation with dee');
select tests.authenticate_as('ada');
select lives_ok(format('select public.reactivate_user(%L)', :'dee'), 'ada reactivates dee');
select tests.authenticate_as('dee');
update tests.reads set after = tests.read_result(query);
select tests.clear_authentication();
select is((select array_agg(what || ': ' || coalesce(after, 'null') order by what) from tests.reads
           where (before ~ '^[1-9][0-9]*$' and after !~ '^[1-9][0-9]*$' and what <> 'table session_reminders')
              or (kind = 'rpc' and after !~ '^[0-9]+$')),
          null, 'reactivated, dee reads again everything she read before (her bookings were cancelled, so their reminders are gone)');

select * from finish();
rollback;
