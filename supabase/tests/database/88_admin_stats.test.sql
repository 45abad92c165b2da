-- Admin statistics: the hourly rollups equal a recount from the base tables after a randomized
-- sequence of writes by many users through the RPCs (bookings, cancellations, chat, questions,
-- votes, tickets, joins, resource views), the sessions ending and being scored (attendance,
-- no-shows, engagement) and a no-show marked after scoring; new users by role follow role changes;
-- waitlist promotions and session transitions are counted, admin_stats answers admins (and
-- service_role) only, validates its input, groups by day or week in a zone, includes the sessions
-- not scored yet and lists the top sessions by attendance.
begin;
\ir ../helpers.sql
select plan(45);

-- Every write of this transaction lands in the current hour (now() is the transaction's start).
-- The rollups: folded, plus the increments not folded yet (as admin_stats reads them).
create view tests.rollups as
  select hour, metric, n from private.stats_hourly
  union all
  select hour, metric, n from private.stats_events;
-- The rollups of the hour: folded, plus the increments not folded yet (as admin_stats reads them).
create view tests.rollup_now as
  select metric, sum(n)::bigint as n
  from (select metric, n from private.stats_hourly where hour = date_trunc('hour', now(), 'UTC')
        union all
        select metric, n from private.stats_events where hour = date_trunc('hour', now(), 'UTC')) x
  group by metric;
create view tests.recount_now as
  select metric, n from private.stats_recount(date_trunc('hour', now(), 'UTC'), date_trunc('hour', now(), 'UTC') + interval '1 hour');
create table tests.before_rollup as select * from tests.rollup_now;
create table tests.before_recount as select * from tests.recount_now;
create table tests.before_resource_views as
  select coalesce(sum(views), 0)::bigint as views from public.resource_daily_stats where day = (now() at time zone 'UTC')::date;
-- Every metric the recount covers.
create table tests.recounted (metric text primary key);
insert into tests.recounted values ('new_users'), ('new_users_admin'), ('new_users_coach'), ('new_users_member'), ('bookings'),
  ('chat_messages'), ('questions'), ('poll_votes'), ('tickets_opened'), ('attendance_confirmed'), ('attended'),
  ('no_shows'), ('engagement_score_sum'), ('engagement_attendees');
grant select on tests.recounted, tests.before_rollup, tests.before_recount to authenticated, service_role;
create view tests.rollup_vs_recount as
  select m.metric,
         coalesce((select n from tests.rollup_now r where r.metric = m.metric), 0) - coalesce((select n from tests.before_rollup b where b.metric = m.metric), 0) as rollup,
         coalesce((select n from tests.recount_now r where r.metric = m.metric), 0) - coalesce((select n from tests.before_recount b where b.metric = m.metric), 0) as recount
  from tests.recounted m;
grant select on tests.rollup_now, tests.recount_now to authenticated, service_role;

select tests.create_supabase_user('ada');
select tests.create_supabase_user('hank');
select tests.create_supabase_user('mia');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hank');
select tests.create_supabase_user('user_' || g) from generate_series(1, 12) g;
select tests.create_supabase_user('coach_2');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('coach_2');
update public.user_roles set role = 'member' where user_id = tests.get_supabase_uid('coach_2');  -- and back
insert into public.resources (id, title, kind, body, visibility, status, author_id)
values ('ffffffff-0000-4000-8000-0000000000aa', 'Stats article', 'article', 'Text', 'public', 'published', tests.get_supabase_uid('hank'));


insert into public.sessions (id, title, starts_at, status, started_at, visibility, capacity, waitlist_enabled, created_by)
select ('ffffffff-0000-4000-8000-00000000000' || g)::uuid, 'Stats session ' || g,
       case when g <= 2 then now() - interval '10 minutes' else now() + interval '2 days' end,
       case when g <= 2 then 'live' else 'scheduled' end,
       case when g <= 2 then now() - interval '10 minutes' end,
       'public', case when g = 4 then 2 end, g = 4, tests.get_supabase_uid('hank')
from generate_series(1, 4) g;
select tests.authenticate_as('hank');
select set_config('tests.poll', (public.create_poll('ffffffff-0000-4000-8000-000000000001', 'Ready?', array['Yes', 'No']) ->> 'id'), true);
select public.open_poll(current_setting('tests.poll')::uuid);
select tests.clear_authentication();

-- A randomized sequence of writes (fixed seed, so a failure replays), refusals included.
select setseed(0.18);
do $$
declare
  v_user text;
  v_session uuid;
  v_roll float8;
begin
  for i in 1 .. 400 loop
    v_user := 'user_' || (1 + floor(random() * 12))::int;
    v_session := ('ffffffff-0000-4000-8000-00000000000' || (1 + floor(random() * 4))::int)::uuid;
    v_roll := random() * 1.06 - 0.06;
    perform tests.authenticate_as(v_user);
    begin
      if v_roll < 0 then
        perform public.upvote_question((select q.id from public.questions q where q.session_id = v_session
                                        order by q.created_at, q.id limit 1));
      elsif v_roll < 0.25 then
        perform public.book_session(v_session);
      elsif v_roll < 0.35 then
        perform public.cancel_booking(v_session);
      elsif v_roll < 0.60 then
        perform public.send_chat_message(v_session, 'message ' || i);
      elsif v_roll < 0.70 then
        perform public.ask_question(v_session, 'question ' || i || '?');
      elsif v_roll < 0.86 then
        perform public.join_session(v_session, 'c' || (i % 2));
      elsif v_roll < 0.90 then
        perform public.track_resource_view('ffffffff-0000-4000-8000-0000000000aa');
      elsif v_roll < 0.95 then
        perform public.vote_poll(current_setting('tests.poll')::uuid,
          array[(select o.id from public.poll_options o where o.poll_id = current_setting('tests.poll')::uuid
                 order by o.position limit 1)]);
      else
        perform public.open_support_ticket('Ticket ' || i, 'Body ' || i);
      end if;
    exception when others then
      null;  -- refused writes (already booked, not a member, rate limits ...) count nothing
    end;
    perform tests.clear_authentication();
  end loop;
end
$$;

-- The live sessions end; two one-to-one appointments are held (one of them later marked a no-show).
select tests.authenticate_as('hank');
select lives_ok($$ select public.end_session('ffffffff-0000-4000-8000-000000000001') $$, 'hank ends session 1');
select lives_ok($$ select public.end_session('ffffffff-0000-4000-8000-000000000002') $$, 'hank ends session 2');
select tests.clear_authentication();
insert into public.sessions (id, title, starts_at, duration_minutes, status, visibility, capacity, kind, timezone, created_by)
select ('ffffffff-0000-4000-8000-00000000001' || g)::uuid, 'Appointment ' || g, now() - interval '65 minutes' - g * interval '2 hours', 60,
       'scheduled', 'private', 1, 'one_to_one', 'UTC', tests.get_supabase_uid('hank')
from generate_series(1, 2) g;
insert into public.bookings (session_id, user_id, status)
values ('ffffffff-0000-4000-8000-000000000011', tests.get_supabase_uid('user_1'), 'confirmed'),
       ('ffffffff-0000-4000-8000-000000000012', tests.get_supabase_uid('user_2'), 'confirmed');
select tests.authenticate_as('hank');
select lives_ok($$ select public.complete_session('ffffffff-0000-4000-8000-000000000011') $$, 'hank completes appointment 1');
select lives_ok($$ select public.complete_session('ffffffff-0000-4000-8000-000000000012') $$, 'hank completes appointment 2');
select tests.clear_authentication();

-- Before the job scores them, admin_stats scores the queued sessions itself.
select is((select count(*)::int from private.stats_sessions where scored_at is null
           and session_id in ('ffffffff-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-000000000002',
                              'ffffffff-0000-4000-8000-000000000011', 'ffffffff-0000-4000-8000-000000000012')), 4,
          'the four ended sessions are queued for scoring');
select tests.authenticate_as('ada');
select set_config('tests.before_fold', public.admin_stats(now() - interval '1 day', now() + interval '1 hour')::text, true);
select tests.clear_authentication();
select ok(private.stats_fold() >= 4, 'the job scores the queued sessions');
select tests.authenticate_as('ada');
select is(public.admin_stats(now() - interval '1 day', now() + interval '1 hour') - 'top_sessions',
          current_setting('tests.before_fold')::jsonb - 'top_sessions',
          'admin_stats answers the same before and after the job scored them');
select is(public.admin_stats(now() - interval '1 day', now() + interval '1 hour') -> 'top_sessions',
          current_setting('tests.before_fold')::jsonb -> 'top_sessions', 'and the same top sessions');
select tests.clear_authentication();
select is(private.stats_fold(), 0, 'a second run finds nothing to score');

-- A no-show marked after the scoring moves the appointment from attended to no_shows.
select tests.authenticate_as('hank');
select lives_ok($$ select public.mark_no_show((select id from public.bookings where session_id = 'ffffffff-0000-4000-8000-000000000012')) $$,
                'hank marks appointment 2 a no-show after it was scored');
select tests.clear_authentication();
select is((select attended from private.stats_sessions where session_id = 'ffffffff-0000-4000-8000-000000000012'), 0,
          'its scored row no longer counts it as attended');

-- Rollups = recount ------------------------------------------------------------------------------
select results_eq(
  $$ select metric, recount from tests.rollup_vs_recount order by 1 $$,
  $$ select metric, rollup from tests.rollup_vs_recount order by 1 $$,
  'after 400 random writes, sessions ending and a late no-show, the hourly rollups equal a recount of every metric it covers');
select is((select array_agg(metric order by metric) from tests.rollup_vs_recount where recount = 0), null,
          'the sequence moved every metric (the comparison is not vacuous)');
select ok((select recount from tests.rollup_vs_recount where metric = 'no_shows') > 0
          and (select recount from tests.rollup_vs_recount where metric = 'attended') > 0
          and (select recount from tests.rollup_vs_recount where metric = 'engagement_score_sum') > 0,
          'attended, no-shows and engagement scores all occur');
select is(coalesce((select n from tests.rollup_now where metric = 'resource_views'), 0)
          - coalesce((select n from tests.before_rollup where metric = 'resource_views'), 0),
          (select coalesce(sum(views), 0)::bigint from public.resource_daily_stats where day = (now() at time zone 'UTC')::date)
          - (select views from tests.before_resource_views),
          'resource views in the rollups equal the views the resource tracking counted');
select ok((select views from public.resource_daily_stats where resource_id = 'ffffffff-0000-4000-8000-0000000000aa') > 0,
          'some resource views were counted');
select is((select coalesce(r.n, 0) - coalesce(b.n, 0) from tests.rollup_now r left join tests.before_rollup b using (metric)
           where r.metric = 'cancellations'),
          (select count(*)::bigint from public.bookings where cancelled_at = now()),
          'cancellations equal the bookings cancelled in the period');
select is((select coalesce(r.n, 0) - coalesce(b.n, 0) from tests.rollup_now r left join tests.before_rollup b using (metric)
           where r.metric = 'new_users'),
          (select count(*)::bigint from public.profiles where created_at = now()), 'new users equal the profiles created');

-- Waitlist promotions and session transitions ---------------------------------------------------------
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('ffffffff-0000-4000-8000-000000000099', 'One seat', now() + interval '4 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('hank'));
select set_config('tests.promotions', coalesce((select n::text from tests.rollup_now where metric = 'waitlist_promotions'), '0'), true);
select set_config('tests.cancelled_sessions', coalesce((select n::text from tests.rollup_now where metric = 'sessions_cancelled'), '0'), true);
select tests.authenticate_as('mia');
select is((public.book_session('ffffffff-0000-4000-8000-000000000099')).status, 'confirmed', 'mia takes the seat');
select tests.authenticate_as('ada');
select is((public.book_session('ffffffff-0000-4000-8000-000000000099')).status, 'waitlisted', 'ada waits');
select tests.authenticate_as('mia');
select lives_ok($$ select public.cancel_booking('ffffffff-0000-4000-8000-000000000099') $$, 'mia cancels');
select tests.clear_authentication();
select is((select n from tests.rollup_now where metric = 'waitlist_promotions'), current_setting('tests.promotions')::bigint + 1,
          'ada''s promotion is counted');
select tests.authenticate_as('hank');
select lives_ok($$ select public.cancel_session('ffffffff-0000-4000-8000-000000000099', 'Stats test') $$, 'hank cancels the session');
select tests.clear_authentication();
select is((select n from tests.rollup_now where metric = 'sessions_cancelled'), current_setting('tests.cancelled_sessions')::bigint + 1,
          'the cancelled session is counted');

-- The hot path appends, the job folds ---------------------------------------------------------------
create table tests.hourly_before as select * from private.stats_hourly;
select set_config('tests.events_before', (select count(*)::text from private.stats_events), true);
select tests.authenticate_as('mia');
select lives_ok($$ select public.book_session('ffffffff-0000-4000-8000-000000000003') $$, 'mia books a session');
select tests.clear_authentication();
select ok((select count(*) from private.stats_events)::int = current_setting('tests.events_before')::int + 1
          and not exists (select * from private.stats_hourly except select * from tests.hourly_before)
          and not exists (select * from tests.hourly_before except select * from private.stats_hourly),
          'a write appends one increment and touches no rollup row (no shared row for parallel writers to queue on)');
create table tests.sums_before as select hour, metric, sum(n)::bigint as n from tests.rollups group by 1, 2;
select ok(private.stats_fold_events() > 0, 'the job folds the appended increments');
select is((select count(*)::int from private.stats_events), 0, 'none is left');
select results_eq($$ select hour, metric, sum(n)::bigint from tests.rollups group by 1, 2 order by 1, 2 $$,
                  $$ select hour, metric, n from tests.sums_before order by 1, 2 $$,
                  'folding changes no number: the rollups now hold exactly what rollups and increments held');

-- admin_stats ------------------------------------------------------------------------------------------
select set_config('tests.expected_messages', (select sum(n)::text from tests.rollups where metric = 'chat_messages'
  and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour'), true);
select tests.authenticate_as('ada');
select set_config('tests.stats', public.admin_stats(now() - interval '1 day', now() + interval '1 hour', 'day', 'Europe/Amsterdam')::text, true);
select is(current_setting('tests.stats')::jsonb -> 'totals' ->> 'chat_messages', current_setting('tests.expected_messages'),
          'admin_stats totals are the rollups of the period');
select is((select sum((s -> 'metrics' ->> 'bookings')::bigint)::bigint from jsonb_array_elements(current_setting('tests.stats')::jsonb -> 'series') s),
          (current_setting('tests.stats')::jsonb -> 'totals' ->> 'bookings')::bigint, 'the daily series adds up to the totals');
select ok((select bool_and(to_char((s ->> 'start')::timestamptz at time zone 'Europe/Amsterdam', 'HH24:MI') = '00:00')
           from jsonb_array_elements(current_setting('tests.stats')::jsonb -> 'series') s),
          'each day starts at midnight in the requested zone');
select ok((current_setting('tests.stats')::jsonb -> 'totals' ->> 'active_users')::int >= 12, 'the active users of the day are counted');
select ok((current_setting('tests.stats')::jsonb -> 'tickets') ?& array['open', 'pending', 'overdue'], 'open, pending and overdue tickets');
select tests.clear_authentication();
select is((current_setting('tests.stats')::jsonb -> 'totals' ->> 'attendance_rate')::numeric,
          round((select sum(n) from tests.rollups where metric = 'attended' and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour')
                / (select sum(n) from tests.rollups where metric = 'attendance_confirmed' and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour'), 4),
          'attendance_rate is attended / confirmed of the sessions that ended');
select is((current_setting('tests.stats')::jsonb -> 'totals' ->> 'average_engagement_score')::numeric,
          round((select sum(n) from tests.rollups where metric = 'engagement_score_sum' and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour')
                / (select sum(n) from tests.rollups where metric = 'engagement_attendees' and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour'), 1),
          'average_engagement_score is the mean engagement score of the attendees');
select ok((current_setting('tests.stats')::jsonb -> 'totals') ?& array['new_users_admin', 'new_users_coach', 'new_users_member', 'no_shows', 'resource_views'],
          'new users by role, no-shows and resource views are in the totals');
select is((select jsonb_agg(t -> 'attended') from jsonb_array_elements(current_setting('tests.stats')::jsonb -> 'top_sessions') t),
          (select jsonb_agg(to_jsonb(q.attended) order by q.attended desc, q.ended_at desc, q.session_id) from (
             select * from private.stats_sessions where ended_at >= date_trunc('hour', now() - interval '1 day', 'UTC')
             order by attended desc, ended_at desc, session_id limit 10) q),
          'top_sessions are the sessions of the period with the most attendees, in order');
select tests.authenticate_as('ada');
select is(jsonb_array_length(public.admin_stats(now() - interval '90 days', now(), 'week', 'UTC') -> 'series') <= 14, true,
          'weekly buckets over 90 days');
select is(tests.error_code($$ select public.admin_stats(now(), now() - interval '1 day') $$), 'invalid_input', 'from after to is invalid_input');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now(), 'month') $$), 'invalid_input', 'an unknown bucket is invalid_input');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now(), 'day', 'Mars/Base') $$), 'invalid_input',
          'an unknown zone is invalid_input');
select tests.authenticate_as('hank');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now()) $$), 'forbidden', 'a coach is refused');
select tests.authenticate_as_anon();
select throws_ok($$ select public.admin_stats(now() - interval '1 day', now()) $$, '42501', null, 'anon is refused');
select tests.authenticate_as_service_role();
select ok(public.admin_stats(now() - interval '1 day', now()) ? 'totals', 'the service role reads the statistics');

select * from finish();
rollback;
