-- Admin statistics: admin_stats(from, to, bucket, time_zone) reads hourly rollups that triggers
-- keep up to date as the counted rows are written, so its cost depends on the number of hours in
-- the period, never on the number of bookings, messages or votes in it. Hourly UTC buckets group
-- into the days or weeks of any zone whose offset is a whole number of hours (a zone with a
-- half-hour offset gets its day boundaries rounded to the hour). The triggers on the hot paths
-- (a chat message, a vote, a booking) never update a shared counter row, which parallel writers
-- would queue on: they append one row to private.stats_events (no index, no lock on anything
-- shared), and the minute job admin-stats-rollups (private.stats_fold) moves those rows into the
-- hourly rollups (delete ... returning, skip locked: two runs never take the same rows).
-- admin_stats reads the rollups plus the few events not folded yet, so it is exact at once.
-- Attendance (confirmed bookings, attended, no-shows) and engagement are scored once per session
-- when it ends: the trigger queues the session (private.stats_sessions), the same job scores it and
-- adds its numbers to the rollups at the hour it ended; admin_stats scores the few sessions still
-- queued itself, so it never misses one. private.stats_recount() recomputes the same numbers from
-- the base tables (the test compares). All of it is logged (crash-safe): a crash loses no count.
-- Tables: private.stats_hourly, private.stats_events, private.stats_active_days, private.stats_sessions.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table private.stats_hourly (
  hour timestamptz not null,
  metric text not null,
  n bigint not null default 0,
  constraint stats_hourly_pkey primary key (hour, metric),
  constraint stats_hourly_hour_whole check (hour = date_trunc('hour', hour, 'UTC'))
);
comment on table private.stats_hourly is
  'Counters per UTC hour and metric, folded from private.stats_events every minute (private.stats_fold): new_users, '
  'new_users_<role> (users created that hour by their current role), bookings, cancellations, waitlist_promotions, '
  'chat_messages, questions, poll_votes (ballots), tickets_opened, resource_views, resource_downloads, '
  'sessions_<status> (a session reaching that status); and, at the hour a session ended, by private.stats_fold: '
  'attendance_confirmed, attended, no_shows, engagement_score_sum, engagement_attendees. Read by admin_stats().';

create table private.stats_events (
  hour timestamptz not null,
  metric text not null,
  n bigint not null
);
comment on table private.stats_events is
  'Counter increments not folded into private.stats_hourly yet: one row per counted write (hour, metric, n), appended by '
  'the triggers without touching a shared row, moved into the rollups every minute by private.stats_fold. No index: '
  'writers only append, the fold reads the whole (small) table. admin_stats adds what is here to the rollups.';

create table private.stats_active_days (
  day date not null,
  user_id uuid not null,
  constraint stats_active_days_pkey primary key (day, user_id)
);
comment on table private.stats_active_days is
  'One row per user and UTC day with a write by that user (filled with profiles.last_seen_at, at most every 5 '
  'minutes). admin_stats() counts distinct active users from it.';

create table private.stats_sessions (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  ended_at timestamptz not null,
  scored_at timestamptz,
  confirmed int not null default 0,
  attended int not null default 0,
  engagement_score_sum bigint not null default 0,
  engagement_attendees int not null default 0,
  constraint stats_sessions_attended_range check (attended >= 0 and attended <= confirmed),
  constraint stats_sessions_attendees_not_negative check (engagement_attendees >= 0)
);
comment on table private.stats_sessions is
  'One row per ended session: queued (scored_at null) by the sessions trigger when it ends, scored by '
  'private.stats_fold (the admin-stats-rollups job): confirmed bookings, attended (see private.stats_session_numbers), '
  'the sum and count of the engagement scores of its attendance report. Feeds admin_stats'' top sessions.';

create index stats_sessions_ended_at_idx on private.stats_sessions (ended_at);
create index stats_sessions_queued_idx on private.stats_sessions (ended_at) where scored_at is null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Adds to a counter of the current hour. Internal: runs inside triggers (security definer).
create function private.stats_add(metric text, amount bigint default 1, at_time timestamptz default null)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  if stats_add.amount = 0 then
    return;
  end if;
  insert into private.stats_events (hour, metric, n)
  values (date_trunc('hour', coalesce(stats_add.at_time, now()), 'UTC'), stats_add.metric, stats_add.amount);
end;
$$;
comment on function private.stats_add(text, bigint, timestamptz) is
  'Appends amount for a metric at the UTC hour of at_time (default now) to private.stats_events (folded into the '
  'rollups by private.stats_fold). Internal.';
revoke execute on function private.stats_add(text, bigint, timestamptz) from public, anon, authenticated, service_role;

-- The attendance numbers of one session from the base tables: its confirmed bookings, how many of
-- them attended (joined the live session: an attendance interval; a one-to-one appointment, often
-- held outside the platform's player, counts as attended unless marked a no-show; a booking marked
-- no-show never attended), and the engagement scores of its attendance report
-- (private.session_attendance, 32_attendance.sql) without its staff. The cost follows the session's
-- size; run once per session by private.stats_fold. Internal.
create function private.stats_session_numbers(session_id uuid)
returns table (confirmed int, attended int, engagement_score_sum bigint, engagement_attendees int)
language sql stable rows 1 set search_path = '' as $$
  select
    (select count(*)::int from public.bookings b
      where b.session_id = stats_session_numbers.session_id and b.status = 'confirmed'),
    (select count(*)::int from public.bookings b
      join public.sessions s on s.id = b.session_id
      where b.session_id = stats_session_numbers.session_id and b.status = 'confirmed' and b.no_show_at is null
        and (s.kind = 'one_to_one'
             or exists (select 1 from public.attendance_intervals a
                        where a.session_id = b.session_id and a.user_id = b.user_id))),
    coalesce(r.score_sum, 0)::bigint,
    coalesce(r.attendees, 0)::int
  from (select sum(x.engagement_score) as score_sum, count(*) as attendees
        from private.session_attendance(stats_session_numbers.session_id) x
        where not exists (select 1 from public.session_staff st
                          where st.session_id = stats_session_numbers.session_id and st.user_id = x.user_id)) r
$$;
comment on function private.stats_session_numbers(uuid) is
  'One session''s confirmed bookings, attended (confirmed, not marked no-show, and joined: an attendance interval, '
  'or any one-to-one appointment), and the sum and count of the engagement scores of its attendance report (staff '
  'excluded). Internal.';
revoke execute on function private.stats_session_numbers(uuid) from public, anon, authenticated, service_role;

-- Moves the appended counter increments into the hourly rollups: deletes them (those not locked by
-- another fold in flight) and adds their sums per hour and metric. Rows of transactions still in
-- flight are invisible here and wait for the next run. Returns how many rows it folded. Internal.
create function private.stats_fold_events(max_rows int default 1000000)
returns bigint
language plpgsql volatile set search_path = '' as $$
declare
  v_rows bigint;
begin
  with batch as (
    select e.ctid as row_id from private.stats_events e
    limit greatest(coalesce(stats_fold_events.max_rows, 1000000), 1)
    for update skip locked
  ), folded as (
    delete from private.stats_events e using batch b where e.ctid = b.row_id
    returning e.hour, e.metric, e.n
  ), summed as (
    select f.hour, f.metric, sum(f.n)::bigint as n, count(*)::bigint as row_count from folded f group by f.hour, f.metric
  ), added as (
    insert into private.stats_hourly as h (hour, metric, n)
    select x.hour, x.metric, x.n from summed x
    on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n
  )
  select coalesce(sum(x.row_count), 0)::bigint into v_rows from summed x;
  return v_rows;
end;
$$;
comment on function private.stats_fold_events(int) is
  'Moves up to max_rows rows of private.stats_events (skip locked) into private.stats_hourly, summed per hour and '
  'metric. Returns how many rows it moved. Internal.';
revoke execute on function private.stats_fold_events(int) from public, anon, authenticated, service_role;

-- Scores the queued ended sessions, adding their numbers at the hour each ended, then folds the
-- appended increments into the rollups. Runs every minute (admin-stats-rollups, 90_cron_jobs.sql);
-- two runs at once take different sessions and rows (skip locked). Returns how many sessions it
-- scored. Internal.
create function private.stats_fold(max_sessions int default 200)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_row private.stats_sessions;
  v_numbers record;
  v_count int := 0;
begin
  for v_row in
    select q.* from private.stats_sessions q
    where q.scored_at is null
    order by q.ended_at
    limit greatest(coalesce(stats_fold.max_sessions, 200), 1)
    for update skip locked
  loop
    select x.* into v_numbers from private.stats_session_numbers(v_row.session_id) x;
    update private.stats_sessions q
       set scored_at = now(), confirmed = v_numbers.confirmed, attended = v_numbers.attended,
           engagement_score_sum = v_numbers.engagement_score_sum, engagement_attendees = v_numbers.engagement_attendees
     where q.session_id = v_row.session_id;
    perform private.stats_add('attendance_confirmed', v_numbers.confirmed, v_row.ended_at);
    perform private.stats_add('attended', v_numbers.attended, v_row.ended_at);
    perform private.stats_add('no_shows', v_numbers.confirmed - v_numbers.attended, v_row.ended_at);
    perform private.stats_add('engagement_score_sum', v_numbers.engagement_score_sum, v_row.ended_at);
    perform private.stats_add('engagement_attendees', v_numbers.engagement_attendees, v_row.ended_at);
    v_count := v_count + 1;
  end loop;
  perform private.stats_fold_events();
  return v_count;
end;
$$;
comment on function private.stats_fold(int) is
  'The admin-stats-rollups job: scores up to max_sessions queued ended sessions (private.stats_sessions), adding '
  'attendance_confirmed, attended, no_shows, engagement_score_sum and engagement_attendees at the hour each session '
  'ended, then folds private.stats_events into the hourly rollups (private.stats_fold_events). Returns how many '
  'sessions it scored. Internal.';
revoke execute on function private.stats_fold(int) from public, anon, authenticated, service_role;

-- The same numbers from the base tables, for the equality test (and repairs). Cost grows with the
-- tables: never called by admin_stats.
create function private.stats_recount(from_hour timestamptz, to_hour timestamptz)
returns table (hour timestamptz, metric text, n bigint)
language sql stable rows 1000 set search_path = '' as $$
  select x.hour, x.metric, sum(x.n)::bigint
  from (
    select date_trunc('hour', p.created_at, 'UTC') as hour, 'new_users' as metric, 1::bigint as n from public.profiles p
    union all
    select date_trunc('hour', p.created_at, 'UTC'), 'new_users_' || coalesce(r.role::text, 'member'), 1
    from public.profiles p left join public.user_roles r on r.user_id = p.id
    union all
    select date_trunc('hour', b.created_at, 'UTC'), 'bookings', 1 from public.bookings b
    union all
    select date_trunc('hour', m.created_at, 'UTC'), 'chat_messages', 1 from public.chat_messages m
    union all
    select date_trunc('hour', q.created_at, 'UTC'), 'questions', 1 from public.questions q
    union all
    select date_trunc('hour', v.created_at, 'UTC'), 'poll_votes', 1 from public.poll_ballots v
    union all
    select date_trunc('hour', t.created_at, 'UTC'), 'tickets_opened', 1 from public.support_tickets t
    union all
    select date_trunc('hour', s.ended_at, 'UTC'), m.metric, m.n
    from public.sessions s
    cross join lateral private.stats_session_numbers(s.id) x
    cross join lateral (values ('attendance_confirmed', x.confirmed::bigint), ('attended', x.attended::bigint),
                               ('no_shows', (x.confirmed - x.attended)::bigint),
                               ('engagement_score_sum', x.engagement_score_sum),
                               ('engagement_attendees', x.engagement_attendees::bigint)) m (metric, n)
    where s.status = 'ended' and s.ended_at >= stats_recount.from_hour and s.ended_at < stats_recount.to_hour
  ) x
  where x.hour >= stats_recount.from_hour and x.hour < stats_recount.to_hour
  group by x.hour, x.metric
  having sum(x.n) <> 0
$$;
comment on function private.stats_recount(timestamptz, timestamptz) is
  'Recounts from the base tables, per UTC hour in [from_hour, to_hour), the metrics of private.stats_hourly that '
  'rows determine: new_users, new_users_<role>, bookings, chat_messages, questions, poll_votes, tickets_opened, and '
  'the attendance metrics of the sessions that ended (attendance_confirmed, attended, no_shows, '
  'engagement_score_sum, engagement_attendees). For tests and repairs only: its cost grows with the tables.';
revoke execute on function private.stats_recount(timestamptz, timestamptz) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

revoke all on table private.stats_hourly from public, anon, authenticated, service_role;
revoke all on table private.stats_active_days from public, anon, authenticated, service_role;
revoke all on table private.stats_sessions from public, anon, authenticated, service_role;
revoke all on table private.stats_events from public, anon, authenticated, service_role;
grant select on table private.stats_hourly, private.stats_events, private.stats_active_days, private.stats_sessions to service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- Adds the two rates admin_stats derives from its counters: attendance_rate = attended /
-- attendance_confirmed (null without confirmed bookings of ended sessions) and
-- average_engagement_score = engagement_score_sum / engagement_attendees (null without attendees).
create function private.stats_with_rates(metrics jsonb)
returns jsonb
language sql immutable set search_path = '' as $$
  select stats_with_rates.metrics || jsonb_build_object(
    'attendance_rate',
      case when coalesce((stats_with_rates.metrics ->> 'attendance_confirmed')::numeric, 0) > 0
           then round(coalesce((stats_with_rates.metrics ->> 'attended')::numeric, 0)
                      / (stats_with_rates.metrics ->> 'attendance_confirmed')::numeric, 4) end,
    'average_engagement_score',
      case when coalesce((stats_with_rates.metrics ->> 'engagement_attendees')::numeric, 0) > 0
           then round(coalesce((stats_with_rates.metrics ->> 'engagement_score_sum')::numeric, 0)
                      / (stats_with_rates.metrics ->> 'engagement_attendees')::numeric, 1) end)
$$;
comment on function private.stats_with_rates(jsonb) is
  'A metrics object of admin_stats plus attendance_rate and average_engagement_score derived from its counters. Internal.';
revoke execute on function private.stats_with_rates(jsonb) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: reads the private rollups and every ticket; the admin check is here. The body
-- of public.admin_stats, whose binding parameter names (from, to) are reserved words PL/pgSQL
-- code should not use.
create function private.admin_stats_report(from_at timestamptz, to_at timestamptz, bucket text, time_zone text)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_from timestamptz := date_trunc('hour', admin_stats_report.from_at, 'UTC');
  v_to timestamptz := admin_stats_report.to_at;
  v_bucket text := lower(coalesce(admin_stats_report.bucket, 'day'));
  v_tz text := coalesce(admin_stats_report.time_zone, 'UTC');
  v_totals jsonb;
  v_series jsonb;
  v_active int;
  v_tickets jsonb;
  v_top jsonb;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'admin_stats'));
  end if;
  if (select auth.uid()) is not null and not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins read the statistics.', jsonb_build_object('required_role', 'admin'));
  end if;
  if v_from is null or v_to is null or v_to <= admin_stats_report.from_at then
    perform private.raise_error('invalid_input', 'from and to are required, from before to.',
      jsonb_build_object('fields', jsonb_build_array('from', 'to')));
  end if;
  if v_to - v_from > interval '400 days' then
    perform private.raise_error('invalid_input', 'The period is at most 400 days.', jsonb_build_object('max_days', 400));
  end if;
  if v_bucket not in ('day', 'week') then
    perform private.raise_error('invalid_input', 'bucket is day or week.', jsonb_build_object('field', 'bucket'));
  end if;
  if not private.is_valid_timezone(v_tz) then
    perform private.raise_error('invalid_input', 'Unknown time zone.', jsonb_build_object('field', 'time_zone'));
  end if;

  -- Sessions still queued for scoring (ended within the last minute, unless the job is behind) are
  -- scored here, with the job's function: the answer never misses one.
  with queued as (
    select q.session_id, q.ended_at, x.*
    from private.stats_sessions q
    cross join lateral private.stats_session_numbers(q.session_id) x
    where q.scored_at is null and q.ended_at >= v_from and q.ended_at < v_to
  ), hourly as (
    select h.hour, h.metric, sum(h.n)::bigint as n
    from (
      select r.hour, r.metric, r.n from private.stats_hourly r where r.hour >= v_from and r.hour < v_to
      union all
      -- The increments not folded yet (about a minute's worth).
      select e.hour, e.metric, e.n from private.stats_events e where e.hour >= v_from and e.hour < v_to
      union all
      select date_trunc('hour', q.ended_at, 'UTC'), m.metric, m.n
      from queued q
      cross join lateral (values ('attendance_confirmed', q.confirmed::bigint), ('attended', q.attended::bigint),
                                 ('no_shows', (q.confirmed - q.attended)::bigint),
                                 ('engagement_score_sum', q.engagement_score_sum),
                                 ('engagement_attendees', q.engagement_attendees::bigint)) m (metric, n)
    ) h
    group by h.hour, h.metric
  ), bucketed as (
    select date_trunc(v_bucket, h.hour, v_tz) as bucket_start, h.metric, sum(h.n)::bigint as n
    from hourly h group by 1, 2
  ), top as (
    select t.session_id, t.ended_at, t.confirmed, t.attended, t.engagement_score_sum, t.engagement_attendees
    from (
      select q.session_id, q.ended_at, q.confirmed, q.attended, q.engagement_score_sum, q.engagement_attendees
      from private.stats_sessions q
      where q.scored_at is not null and q.ended_at >= v_from and q.ended_at < v_to
      union all
      select q.session_id, q.ended_at, q.confirmed, q.attended, q.engagement_score_sum, q.engagement_attendees
      from queued q
    ) t
    order by t.attended desc, t.ended_at desc, t.session_id
    limit 10
  )
  select
    coalesce((select private.stats_with_rates(jsonb_object_agg(t.metric, t.n))
              from (select metric, sum(n)::bigint as n from bucketed group by metric) t), private.stats_with_rates('{}'::jsonb)),
    coalesce((select jsonb_agg(jsonb_build_object('start', b.bucket_start, 'metrics', private.stats_with_rates(b.metrics))
                               order by b.bucket_start)
              from (select bucket_start, jsonb_object_agg(metric, n) as metrics from bucketed group by bucket_start) b), '[]'::jsonb),
    coalesce((select jsonb_agg(jsonb_build_object(
                       'session_id', t.session_id, 'title', s.title, 'starts_at', s.starts_at, 'ended_at', t.ended_at,
                       'kind', s.kind, 'confirmed', t.confirmed, 'attended', t.attended,
                       'no_shows', t.confirmed - t.attended,
                       'attendance_rate', case when t.confirmed > 0 then round(t.attended::numeric / t.confirmed, 4) end,
                       'average_engagement_score',
                         case when t.engagement_attendees > 0 then round(t.engagement_score_sum::numeric / t.engagement_attendees, 1) end)
                     order by t.attended desc, t.ended_at desc, t.session_id)
              from top t join public.sessions s on s.id = t.session_id), '[]'::jsonb)
  into v_totals, v_series, v_top;

  select count(distinct a.user_id)::int into v_active
  from private.stats_active_days a
  where a.day >= (v_from at time zone 'UTC')::date
    and a.day <= ((v_to - interval '1 microsecond') at time zone 'UTC')::date;

  select jsonb_build_object(
           'open', count(*) filter (where t.status = 'open'),
           'pending', count(*) filter (where t.status = 'pending'),
           'overdue', count(*) filter (where t.response_due_at < now()))
    into v_tickets
  from public.support_tickets t
  where t.status in ('open', 'pending');

  return jsonb_build_object(
    'from', v_from, 'to', v_to, 'bucket', v_bucket, 'time_zone', v_tz,
    'totals', v_totals || jsonb_build_object('active_users', v_active),
    'series', v_series,
    'tickets', v_tickets,
    'top_sessions', v_top);
end;
$$;
comment on function private.admin_stats_report(timestamptz, timestamptz, text, text) is
  'The body of public.admin_stats (see there). Checks the caller itself.';
revoke execute on function private.admin_stats_report(timestamptz, timestamptz, text, text) from public, anon;
grant execute on function private.admin_stats_report(timestamptz, timestamptz, text, text) to authenticated, service_role;

-- SECURITY INVOKER: private.admin_stats_report checks the caller.
create function public.admin_stats(
  "from" timestamptz,
  "to" timestamptz,
  bucket text default 'day',
  time_zone text default 'UTC'
) returns jsonb
language sql stable set search_path = '' as $$
  select private.admin_stats_report($1, $2, $3, $4)
$$;
comment on function public.admin_stats(timestamptz, timestamptz, text, text) is
  'Admins (and service_role): platform statistics for [from, to) (at most 400 days): totals and a series per day or '
  'week (bucket) in time_zone of new_users, new_users_<role> (admin, coach, member: current role), bookings, '
  'cancellations, waitlist_promotions, chat_messages, questions, poll_votes, tickets_opened, resource_views, '
  'resource_downloads, sessions_<status> (sessions reaching scheduled, live, ended, cancelled), and of the sessions '
  'that ended: attendance_confirmed, attended, no_shows, attendance_rate (attended / attendance_confirmed), '
  'engagement_score_sum, engagement_attendees, average_engagement_score; active_users (distinct users with a write, '
  'by UTC day); tickets open, pending and overdue now; top_sessions (up to 10 ended in the period, by attended). '
  'Reads hourly rollups: its cost follows the period''s length, not the tables'' sizes. Errors: not_authenticated, '
  'forbidden, invalid_input.';
revoke execute on function public.admin_stats(timestamptz, timestamptz, text, text) from public, anon;
grant execute on function public.admin_stats(timestamptz, timestamptz, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: writes the private rollups whoever writes the row.
create function private.stats_count_row()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_created timestamptz;
  v_ended timestamptz;
begin
  if tg_table_name = 'bookings' then
    if tg_op = 'INSERT' then
      perform private.stats_add('bookings');
      if new.status = 'cancelled' then
        perform private.stats_add('cancellations');
      end if;
    elsif new.status is distinct from old.status then
      if new.status = 'cancelled' then
        perform private.stats_add('cancellations');
      elsif old.status = 'waitlisted' and new.status = 'confirmed' then
        perform private.stats_add('waitlist_promotions');
      end if;
    end if;
    -- A confirmed booking marked no-show after its session was scored: it had counted as attended.
    -- The lock waits for a scoring in flight (which then counted it, or skipped the session).
    if tg_op = 'UPDATE' and new.no_show_at is not null and old.no_show_at is null and new.status = 'confirmed' then
      select q.ended_at into v_ended from private.stats_sessions q
       where q.session_id = new.session_id and q.scored_at is not null for update;
      if v_ended is not null then
        update private.stats_sessions q set attended = q.attended - 1
         where q.session_id = new.session_id and q.attended > 0;
        if found then
          perform private.stats_add('attended', -1, v_ended);
          perform private.stats_add('no_shows', 1, v_ended);
        end if;
      end if;
    end if;
  elsif tg_table_name = 'sessions' then
    if tg_op = 'INSERT' or new.status is distinct from old.status then
      perform private.stats_add('sessions_' || new.status::text);
      if new.status = 'ended' then
        insert into private.stats_sessions (session_id, ended_at)
        values (new.id, coalesce(new.ended_at, now()))
        on conflict (session_id) do nothing;
      end if;
    end if;
  elsif tg_table_name = 'profiles' then
    perform private.stats_add('new_users');
    perform private.stats_add('new_users_' || coalesce((select r.role::text from public.user_roles r where r.user_id = new.id), 'member'));
  elsif tg_table_name = 'user_roles' then
    -- new_users_<role> counts users by their current role at the hour they were created.
    select p.created_at into v_created from public.profiles p where p.id = new.user_id;
    if v_created is not null then
      if tg_op = 'INSERT' then
        if new.role <> 'member' then
          perform private.stats_add('new_users_member', -1, v_created);
          perform private.stats_add('new_users_' || new.role::text, 1, v_created);
        end if;
      elsif new.role is distinct from old.role then
        perform private.stats_add('new_users_' || old.role::text, -1, v_created);
        perform private.stats_add('new_users_' || new.role::text, 1, v_created);
      end if;
    end if;
  elsif tg_table_name = 'resource_daily_stats' then
    if tg_op = 'INSERT' then
      perform private.stats_add('resource_views', new.views);
      perform private.stats_add('resource_downloads', new.downloads);
    else
      perform private.stats_add('resource_views', new.views - old.views);
      perform private.stats_add('resource_downloads', new.downloads - old.downloads);
    end if;
  else
    perform private.stats_add(tg_argv[0]);
  end if;
  return null;
end;
$$;
comment on function private.stats_count_row() is
  'Trigger after a counted write: appends the increments to private.stats_events (the current hour, or the hour a '
  'user was created or a session ended; folded into the rollups every minute) and queues ended sessions for '
  'scoring. Internal.';
revoke execute on function private.stats_count_row() from public, anon, authenticated, service_role;

create trigger profiles_stats after insert on public.profiles
  for each row execute function private.stats_count_row();
create trigger user_roles_stats after insert or update of role on public.user_roles
  for each row execute function private.stats_count_row();
create trigger bookings_stats after insert or update of status, no_show_at on public.bookings
  for each row execute function private.stats_count_row();
create trigger chat_messages_stats after insert on public.chat_messages
  for each row execute function private.stats_count_row('chat_messages');
create trigger questions_stats after insert on public.questions
  for each row execute function private.stats_count_row('questions');
create trigger poll_ballots_stats after insert on public.poll_ballots
  for each row execute function private.stats_count_row('poll_votes');
create trigger support_tickets_stats after insert on public.support_tickets
  for each row execute function private.stats_count_row('tickets_opened');
create trigger sessions_stats after insert or update of status on public.sessions
  for each row execute function private.stats_count_row();
create trigger resource_daily_stats_stats after insert or update of views, downloads on public.resource_daily_stats
  for each row execute function private.stats_count_row();

-- Active users: one row per user and day, written when last_seen_at moves (at most every 5 minutes).
create function private.stats_mark_active()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.stats_active_days (day, user_id)
  values ((new.last_seen_at at time zone 'UTC')::date, new.id)
  on conflict on constraint stats_active_days_pkey do nothing;
  return null;
end;
$$;
comment on function private.stats_mark_active() is
  'Trigger after profiles.last_seen_at moves: records the user as active on that UTC day. Internal.';
revoke execute on function private.stats_mark_active() from public, anon, authenticated, service_role;
create trigger profiles_stats_active after update of last_seen_at on public.profiles
  for each row
  when (new.last_seen_at is not null and new.last_seen_at is distinct from old.last_seen_at)
  execute function private.stats_mark_active();
