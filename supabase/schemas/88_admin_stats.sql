-- Admin statistics: admin_stats(from, to, bucket, time_zone) reads hourly rollups that triggers
-- keep up to date as the counted rows are written, so its cost depends on the number of hours in
-- the period, never on the number of bookings, messages or votes in it. Hourly UTC buckets group
-- into the days or weeks of any zone whose offset is a whole number of hours (a zone with a
-- half-hour offset gets its day boundaries rounded to the hour). Each counter row is split into 8
-- shards (by backend) so that parallel writers rarely wait for one another; a reader sums them.
-- private.stats_recount() recomputes the same numbers from the base tables (the test compares).
-- Tables: private.stats_hourly, private.stats_active_days.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table private.stats_hourly (
  hour timestamptz not null,
  metric text not null,
  shard smallint not null,
  n bigint not null default 0,
  constraint stats_hourly_pkey primary key (hour, metric, shard),
  constraint stats_hourly_hour_whole check (hour = date_trunc('hour', hour, 'UTC')),
  constraint stats_hourly_shard_range check (shard between 0 and 7)
);
comment on table private.stats_hourly is
  'Counters per UTC hour and metric (8 shards each, summed by readers), kept by triggers: new_users, bookings, '
  'cancellations, waitlist_promotions, chat_messages, questions, poll_votes (ballots), tickets_opened, '
  'sessions_<status> (a session reaching that status). Read by admin_stats().';

create table private.stats_active_days (
  day date not null,
  user_id uuid not null,
  constraint stats_active_days_pkey primary key (day, user_id)
);
comment on table private.stats_active_days is
  'One row per user and UTC day with a write by that user (filled with profiles.last_seen_at, at most every 5 '
  'minutes). admin_stats() counts distinct active users from it.';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Adds to a counter of the current hour. Internal: runs inside triggers (security definer).
create function private.stats_add(metric text, amount bigint default 1)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  insert into private.stats_hourly as h (hour, metric, shard, n)
  values (date_trunc('hour', now(), 'UTC'), stats_add.metric, (pg_catalog.pg_backend_pid() % 8)::smallint, stats_add.amount)
  on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;
end;
$$;
comment on function private.stats_add(text, bigint) is 'Adds amount to the current UTC hour''s counter of a metric (one shard). Internal.';
revoke execute on function private.stats_add(text, bigint) from public, anon, authenticated, service_role;

-- The same numbers from the base tables, for the equality test (and repairs). Cost grows with the
-- tables: never called by admin_stats.
create function private.stats_recount(from_hour timestamptz, to_hour timestamptz)
returns table (hour timestamptz, metric text, n bigint)
language sql stable rows 1000 set search_path = '' as $$
  select x.hour, x.metric, count(*)::bigint
  from (
    select date_trunc('hour', p.created_at, 'UTC') as hour, 'new_users' as metric from public.profiles p
    union all
    select date_trunc('hour', b.created_at, 'UTC'), 'bookings' from public.bookings b
    union all
    select date_trunc('hour', m.created_at, 'UTC'), 'chat_messages' from public.chat_messages m
    union all
    select date_trunc('hour', q.created_at, 'UTC'), 'questions' from public.questions q
    union all
    select date_trunc('hour', v.created_at, 'UTC'), 'poll_votes' from public.poll_ballots v
    union all
    select date_trunc('hour', t.created_at, 'UTC'), 'tickets_opened' from public.support_tickets t
  ) x
  where x.hour >= stats_recount.from_hour and x.hour < stats_recount.to_hour
  group by x.hour, x.metric
$$;
comment on function private.stats_recount(timestamptz, timestamptz) is
  'Recounts from the base tables the creation metrics of private.stats_hourly (new_users, bookings, chat_messages, '
  'questions, poll_votes, tickets_opened) per UTC hour in [from_hour, to_hour). For tests and repairs only.';
revoke execute on function private.stats_recount(timestamptz, timestamptz) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

revoke all on table private.stats_hourly from public, anon, authenticated, service_role;
revoke all on table private.stats_active_days from public, anon, authenticated, service_role;
grant select on table private.stats_hourly, private.stats_active_days to service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

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

  with hourly as (
    select h.hour, h.metric, sum(h.n)::bigint as n
    from private.stats_hourly h
    where h.hour >= v_from and h.hour < v_to
    group by h.hour, h.metric
  ), bucketed as (
    select date_trunc(v_bucket, h.hour, v_tz) as bucket_start, h.metric, sum(h.n)::bigint as n
    from hourly h group by 1, 2
  )
  select
    coalesce((select jsonb_object_agg(t.metric, t.n) from (select metric, sum(n)::bigint as n from bucketed group by metric) t), '{}'::jsonb),
    coalesce((select jsonb_agg(jsonb_build_object('start', b.bucket_start, 'metrics', b.metrics) order by b.bucket_start)
              from (select bucket_start, jsonb_object_agg(metric, n) as metrics from bucketed group by bucket_start) b), '[]'::jsonb)
  into v_totals, v_series;

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
    'tickets', v_tickets);
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
  'week (bucket) in time_zone of new_users, bookings, cancellations, waitlist_promotions, chat_messages, questions, '
  'poll_votes, tickets_opened and sessions_<status> (sessions reaching scheduled, live, ended, cancelled); '
  'active_users (distinct users with a write, by UTC day); tickets open, pending and overdue now. Reads hourly '
  'rollups: its cost follows the period''s length, not the tables'' sizes. Errors: not_authenticated, forbidden, '
  'invalid_input.';
revoke execute on function public.admin_stats(timestamptz, timestamptz, text, text) from public, anon;
grant execute on function public.admin_stats(timestamptz, timestamptz, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: writes the private rollups whoever writes the row.
create function private.stats_count_row()
returns trigger
language plpgsql security definer set search_path = '' as $$
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
  elsif tg_table_name = 'sessions' then
    if tg_op = 'INSERT' or new.status is distinct from old.status then
      perform private.stats_add('sessions_' || new.status::text);
    end if;
  else
    perform private.stats_add(tg_argv[0]);
  end if;
  return null;
end;
$$;
comment on function private.stats_count_row() is
  'Trigger after a counted write: adds to the current hour''s counters in private.stats_hourly. Internal.';
revoke execute on function private.stats_count_row() from public, anon, authenticated, service_role;

create trigger profiles_stats after insert on public.profiles
  for each row execute function private.stats_count_row('new_users');
create trigger bookings_stats after insert or update of status on public.bookings
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
