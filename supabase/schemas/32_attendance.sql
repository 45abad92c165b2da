-- Attendance: presence intervals (join_session, heartbeat, leave_session), the live viewer count
-- (private.viewer_count, throttled `viewer_count` broadcast on session:<id>, peak viewers) and the
-- host's attendance report with engagement scores (its chat, Q&A, poll and survey inputs come from
-- private.engagement_inputs, 54_metrics.sql).
-- Tables: public.attendance_intervals, public.session_viewer_stats, private.session_viewers,
-- private.session_viewer_buckets; a trigger on public.sessions.
--
-- How the viewer count stays O(1) with a large audience (a heartbeat every 30 s from each of 20,000
-- viewers is ~670 heartbeats a second):
--   * private.session_viewers keeps one row per (session, user): seen_at, the latest heartbeat of the
--     user's open intervals (null when none is open). The attendance trigger keeps it for every write
--     of an interval, whichever path makes it (RPCs, the end of the session, service_role edits, a
--     deletion), under that row's lock, so two connections of one user are serialized.
--   * private.session_viewer_buckets counts those rows per 10-second bucket of seen_at, in 16 shards
--     per bucket, one per database connection (backend pid mod 16), so that 670 heartbeats a second
--     do not queue on one row: the API's connections write different rows. A heartbeat moves its user
--     from one bucket to a later one: one decrement and one increment, in bucket order, both in its
--     connection's shard (a shard's count may go negative; the sum over a bucket's shards is exact).
--   * private.viewer_count = the sum of the bucket rows of the current 10-second bucket and the 6
--     before it (at most 7 x 16 rows), nothing else: distinct users with an open interval whose last
--     heartbeat (or join) is at or after the start of the bucket 6 before the current one, i.e. seen
--     in the last 60 to 70 s depending on where now() lies in its bucket (documented in docs/API.md).
--     A whole-bucket window: no read of private.session_viewers, whose rows around the window's
--     start (users who stopped, and every present user's superseded seen_at until vacuum) grow with
--     the audience. Exact under that rule, as a recount over the intervals gives;
--     private.viewer_count_drift() compares the two. No write is needed when a viewer goes silent:
--     their bucket ages out of the window. The minute job (flush_live_counts) deletes aged buckets.
--     Presence itself (attendance intervals, reports) keeps the exact 60 s rule: a connection
--     silent for 60 s has left at its last heartbeat; only the count's window is bucket-aligned.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.attendance_intervals (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  connection_id text not null default 'default',
  joined_at timestamptz not null default now(),
  last_heartbeat_at timestamptz not null default now(),
  left_at timestamptz,
  constraint attendance_intervals_connection_id_length check (char_length(connection_id) between 1 and 100),
  constraint attendance_intervals_heartbeat_after_join check (last_heartbeat_at >= joined_at),
  constraint attendance_intervals_left_after_join check (left_at is null or left_at >= joined_at)
);
comment on table public.attendance_intervals is
  'One row per presence interval of a user''s connection in a session: opened by join_session (or a heartbeat after a '
  'gap), kept alive by heartbeat, closed by leave_session, by the session ending, or implicitly 60 s after the last '
  'heartbeat. Users read their own; hosts and moderators read their session''s. Written only by the RPCs.';
comment on column public.attendance_intervals.connection_id is
  'Client-chosen id of one connection (tab, device); ''default'' when the client passes none.';
comment on column public.attendance_intervals.left_at is
  'When the connection left; null while open. An open interval without a heartbeat for 60 s counts as ended at its last heartbeat.';
alter table public.attendance_intervals enable row level security;

create table public.session_viewer_stats (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  peak_viewers int not null default 0,
  peak_at timestamptz,
  last_broadcast_at timestamptz not null default '-infinity',
  last_broadcast_count int,
  last_checked_at timestamptz not null default '-infinity',
  constraint session_viewer_stats_peak_not_negative check (peak_viewers >= 0)
);
comment on table public.session_viewer_stats is
  'Per session: the peak of the computed viewer count (private.viewer_count) and the state of the viewer_count '
  'broadcast throttle (at most one broadcast per 2 s). Members of the session read it; only triggers write it.';
comment on column public.session_viewer_stats.last_broadcast_at is 'When viewer_count was last broadcast on session:<id>.';
comment on column public.session_viewer_stats.last_broadcast_count is 'The viewer count sent in that broadcast.';
comment on column public.session_viewer_stats.last_checked_at is
  'When a heartbeat last counted the viewers to see whether a broadcast was due (at most every 2 s): heartbeats of '
  'present viewers count only when both this and last_broadcast_at are 2 s old.';
alter table public.session_viewer_stats enable row level security;

create table private.session_viewers (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null,
  seen_at timestamptz,
  primary key (session_id, user_id)
);
comment on table private.session_viewers is
  'Per session and user: seen_at, the latest last_heartbeat_at of the user''s open attendance intervals (null when none '
  'is open). Kept by the attendance trigger; counted per bucket in private.session_viewer_buckets. No foreign key to '
  'auth.users: a user''s deletion reaches it through the deletion of their intervals. Internal.';

create table private.session_viewer_buckets (
  session_id uuid not null references public.sessions (id) on delete cascade,
  bucket bigint not null,
  shard smallint not null,
  viewers int not null default 0,
  primary key (session_id, bucket, shard)
);
comment on table private.session_viewer_buckets is
  'Per session, 10-second bucket of seen_at (private.viewer_bucket) and shard (private.viewer_shard(): the writing '
  'connection''s): how '
  'many private.session_viewers rows have their seen_at in it. Read by private.viewer_count; aged buckets are deleted '
  'by flush_live_counts. Internal.';
comment on column private.session_viewer_buckets.viewers is
  'Users counted in this bucket by this shard''s writes: a user enters a bucket through one connection''s shard and may '
  'leave it through another''s, so a shard may go negative; the sum over the shards of a bucket is exact.';

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index attendance_intervals_session_id_idx on public.attendance_intervals (session_id, user_id);
create index attendance_intervals_user_id_idx on public.attendance_intervals (user_id, session_id);
-- At most one open interval per connection; also the lookup of join/heartbeat/leave.
create unique index attendance_intervals_one_open_per_connection
  on public.attendance_intervals (session_id, user_id, connection_id) where left_at is null;
-- No index on last_heartbeat_at: a heartbeat then updates its interval in place (HOT) instead of
-- adding an entry to every index; the viewer count reads private.session_viewer_buckets. For the
-- same reason private.session_viewers has no index on seen_at (its heartbeat update stays HOT).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.viewer_bucket(at timestamptz)
returns bigint
language sql immutable set search_path = '' as $$
  select floor(extract(epoch from viewer_bucket.at) / 10)::bigint
$$;
comment on function private.viewer_bucket(timestamptz) is
  'The 10-second bucket of an instant (epoch seconds / 10, rounded down), as private.session_viewer_buckets keys it. '
  'Internal (service_role: for private.viewer_count_drift).';
revoke execute on function private.viewer_bucket(timestamptz) from public, anon, authenticated;
grant execute on function private.viewer_bucket(timestamptz) to service_role;

create function private.viewer_shard()
returns smallint
language sql stable set search_path = '' as $$
  select (pg_catalog.pg_backend_pid() & 15)::smallint
$$;
comment on function private.viewer_shard() is
  'The shard (0-15) this connection writes in private.session_viewer_buckets: its backend pid mod 16. Internal.';
revoke execute on function private.viewer_shard() from public, anon, authenticated, service_role;

-- SECURITY DEFINER: reads the private presence tables, which members cannot read.
create function private.viewer_count(session_id uuid)
returns integer
language plpgsql stable security definer set search_path = '' as $$
begin
  -- The window: the current 10-second bucket and the 6 before it (32_attendance.sql header).
  return (select coalesce(sum(b.viewers), 0)::int from private.session_viewer_buckets b
          where b.session_id = viewer_count.session_id and b.bucket >= private.viewer_bucket(now()) - 6);
end;
$$;
comment on function private.viewer_count(uuid) is
  'Current viewers of a session: distinct users with an open interval whose last heartbeat (or join) is in the current '
  '10-second bucket or the 6 before it (at or after to_timestamp((private.viewer_bucket(now()) - 6) * 10): seen in the '
  'last 60 to 70 s). Constant work whatever the audience: at most 7 x 16 bucket rows (see the header of '
  '32_attendance.sql); private.viewer_count_drift() checks it against a recount. Security definer: reads the private '
  'presence tables.';
revoke execute on function private.viewer_count(uuid) from public;
grant execute on function private.viewer_count(uuid) to anon, authenticated, service_role;

-- Tests and operators: the presence rows, the buckets and the count must always equal a recount over
-- the intervals.
create function private.viewer_count_drift()
returns table (session_id uuid, user_id uuid, what text, stored text, recounted text)
language sql stable set search_path = '' rows 1 as $$
  with truth as (
    select a.session_id, a.user_id, max(a.last_heartbeat_at) filter (where a.left_at is null) as seen_at
    from public.attendance_intervals a group by a.session_id, a.user_id
  ),
  recount as (
    select a.session_id, count(distinct a.user_id)::int as viewers
    from public.attendance_intervals a
    where a.left_at is null and a.last_heartbeat_at >= pg_catalog.to_timestamp((private.viewer_bucket(now()) - 6) * 10)
    group by a.session_id
  ),
  stored_buckets as (
    select b.session_id, b.bucket, sum(b.viewers)::int as viewers
    from private.session_viewer_buckets b
    where b.bucket >= private.viewer_bucket(now()) - 6
    group by b.session_id, b.bucket
  ),
  counted_buckets as (
    select v.session_id, private.viewer_bucket(v.seen_at) as bucket, count(*)::int as viewers
    from private.session_viewers v
    where v.seen_at is not null and private.viewer_bucket(v.seen_at) >= private.viewer_bucket(now()) - 6
    group by v.session_id, private.viewer_bucket(v.seen_at)
  )
  select coalesce(t.session_id, v.session_id), coalesce(t.user_id, v.user_id), 'seen_at', v.seen_at::text, t.seen_at::text
  from truth t
  full join private.session_viewers v on v.session_id = t.session_id and v.user_id = t.user_id
  where v.seen_at is distinct from t.seen_at
  union all
  select coalesce(c.session_id, sb.session_id), null, 'bucket ' || coalesce(c.bucket, sb.bucket),
         coalesce(sb.viewers, 0)::text, coalesce(c.viewers, 0)::text
  from counted_buckets c
  full join stored_buckets sb on sb.session_id = c.session_id and sb.bucket = c.bucket
  where coalesce(sb.viewers, 0) <> coalesce(c.viewers, 0)
  union all
  select s.id, null, 'viewer_count', private.viewer_count(s.id)::text, coalesce(r.viewers, 0)::text
  from public.sessions s
  left join recount r on r.session_id = s.id
  where (r.session_id is not null or exists (select 1 from private.session_viewers v where v.session_id = s.id))
    and private.viewer_count(s.id) <> coalesce(r.viewers, 0);
$$;
comment on function private.viewer_count_drift() is
  'Differences between the viewer count''s structures and a recount over attendance_intervals: presence rows whose '
  'seen_at differs from the user''s open intervals, buckets (those the count reads) whose sum differs from their '
  'presence rows, sessions whose private.viewer_count differs from the recount. Empty when all is well; for tests and '
  'operators (service_role).';
revoke execute on function private.viewer_count_drift() from public, anon, authenticated;
grant execute on function private.viewer_count_drift() to service_role;

-- A join racing the end of a session must not leave an interval open on the ended session (the
-- end closes the intervals that exist when its trigger runs). Joins and heartbeats of a session
-- hold a shared transaction-level advisory lock on it (shared: they never wait for each other),
-- taken before they read the session; ending or cancelling it takes the same lock exclusively
-- before the update (sessions_lock_attendance). So the end waits for joins in flight and its close
-- sees their intervals, and a join or heartbeat that comes while the end is in flight is answered
-- invalid_transition at once: with thousands of viewers, waiting requests would hold the API's
-- connections for the end's whole transaction.
create function private.attendance_lock_key(session_id uuid)
returns bigint
language sql immutable set search_path = '' as $$
  select pg_catalog.hashtextextended('attendance:' || session_id::text, 0)
$$;
comment on function private.attendance_lock_key(uuid) is
  'Advisory lock key of a session''s attendance: shared by join_session/heartbeat (which do not wait for it) and '
  'leave_session (which does), exclusive when the session ends or is cancelled. Internal.';
revoke execute on function private.attendance_lock_key(uuid) from public, anon, authenticated, service_role;

-- Records presence of the caller's connection: refreshes an open, fresh interval or opens a new one
-- (closing a stale one at its last heartbeat). Internal: called by join_session and heartbeat.
create function private.touch_attendance(session_id uuid, connection_id text)
returns jsonb
language plpgsql volatile set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := (select auth.uid());
  v_conn text := coalesce(nullif(btrim(touch_attendance.connection_id), ''), 'default');
  v_session public.sessions;
  v_interval public.attendance_intervals;
  v_count int;
begin
  -- Before reading the session: an end in flight holds the lock exclusively, and this answers at once
  -- (the end is final; waiting would hold a connection for the end's whole transaction); otherwise the
  -- end waits for this interval and closes it.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(private.attendance_lock_key(touch_attendance.session_id)) then
    perform private.raise_error('invalid_transition', 'The session is ending.',
      jsonb_build_object('session_id', touch_attendance.session_id));
  end if;
  v_session := private.session_for_member_action(touch_attendance.session_id);
  if char_length(v_conn) > 100 then
    perform private.raise_error('invalid_input', 'connection_id is at most 100 characters.',
      jsonb_build_object('field', 'connection_id', 'max', 100));
  end if;
  if not (v_session.status = 'live'
          or (v_session.status = 'scheduled' and now() >= v_session.starts_at - interval '15 minutes')) then
    perform private.raise_error('invalid_transition', 'The session is not open: it opens 15 minutes before it starts.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.visibility <> 'public' and not private.is_session_member(v_session.id) then
    perform private.raise_error('forbidden', 'Only members of the session can join it.',
      jsonb_build_object('session_id', v_session.id));
  end if;

  -- The answer's viewer count, taken before the refresh: the refresh moves the caller between two
  -- bucket rows of this connection's shard, row locks held until commit, which another connection
  -- of the same shard may be waiting for; counting after them held those locks for the count too.
  -- A fresh interval's user is counted before as after (their seen_at, less than 60 s old, is inside
  -- the 60-70 s window either way); a new interval is counted again below.
  v_count := private.viewer_count(v_session.id);

  -- The common case, most of a live event's calls: the connection's open interval is fresh, and one
  -- UPDATE refreshes it. Every statement on attendance_intervals runs its statement trigger
  -- (attendance_counted) even when it changes nothing, and an insert ... on conflict do update runs
  -- both the insert and the update one: this path runs one instead of three.
  update public.attendance_intervals a
     set last_heartbeat_at = greatest(a.last_heartbeat_at, now())
   where a.session_id = v_session.id and a.user_id = v_uid and a.connection_id = v_conn
     and a.left_at is null and a.last_heartbeat_at > now() - interval '60 seconds'
  returning a.* into v_interval;

  if v_interval.id is null then
    -- A connection silent for 60 s has left at its last heartbeat (reconnect gap).
    update public.attendance_intervals a
       set left_at = a.last_heartbeat_at
     where a.session_id = v_session.id and a.user_id = v_uid and a.connection_id = v_conn
       and a.left_at is null and a.last_heartbeat_at <= now() - interval '60 seconds';

    -- A new interval; on conflict, another call of this connection opened it in the meantime.
    insert into public.attendance_intervals as a (session_id, user_id, connection_id, joined_at, last_heartbeat_at)
    values (v_session.id, v_uid, v_conn, now(), now())
    on conflict (session_id, user_id, connection_id) where left_at is null
    do update set last_heartbeat_at = greatest(a.last_heartbeat_at, excluded.last_heartbeat_at)
    returning a.* into v_interval;
    v_count := private.viewer_count(v_session.id);
  end if;

  return jsonb_build_object('session_id', v_session.id, 'connection_id', v_conn, 'interval_id', v_interval.id,
                            'joined_at', v_interval.joined_at, 'viewer_count', v_count);
end;
$$;
comment on function private.touch_attendance(uuid, text) is
  'join_session/heartbeat body: under the session''s shared attendance lock, checks, then refreshes the connection''s '
  'fresh open interval, or closes a stale one and opens a new one. Internal.';
revoke execute on function private.touch_attendance(uuid, text)
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.attendance_intervals from public, anon, authenticated, service_role;
grant select on table public.attendance_intervals to authenticated;
grant all on table public.attendance_intervals to service_role;
create policy "users and session hosts and moderators can read attendance" on public.attendance_intervals
  for select to authenticated
  using (user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table private.session_viewers from public, anon, authenticated, service_role;
grant select on table private.session_viewers to service_role;
revoke all on table private.session_viewer_buckets from public, anon, authenticated, service_role;
grant select on table private.session_viewer_buckets to service_role;

revoke all on table public.session_viewer_stats from public, anon, authenticated, service_role;
grant select on table public.session_viewer_stats to authenticated;
grant all on table public.session_viewer_stats to service_role;
create policy "members can read the viewer stats of their sessions" on public.session_viewer_stats
  for select to authenticated
  using (session_id in (select private.my_session_ids()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.join_session(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
begin
  return private.touch_attendance(join_session.session_id, join_session.connection_id);
end;
$$;
comment on function public.join_session(uuid, text) is
  'Marks the caller present in a live session (or a scheduled one from 15 minutes before its start) on one connection '
  '(connection_id, default ''default''). Members only; for a public session any signed-in user may join and then counts '
  'as a member. Idempotent while the connection is fresh. Returns {session_id, connection_id, interval_id, joined_at, '
  'viewer_count}. Errors: not_authenticated, invalid_input, not_found, forbidden (not a member, or banned), '
  'invalid_transition (session not open).';
revoke execute on function public.join_session(uuid, text) from public, anon;
grant execute on function public.join_session(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write attendance_intervals. PL/pgSQL, not SQL: a SQL function with
-- SET is planned again on every call, and heartbeats are most of a live event's calls.
create function public.heartbeat(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
begin
  return private.touch_attendance(heartbeat.session_id, heartbeat.connection_id);
end;
$$;
comment on function public.heartbeat(uuid, text) is
  'Keeps the caller''s connection present (send every 20-30 s; 60 s without one ends the interval at the last heartbeat). '
  'After a gap it opens a new interval, so it also works as a re-join. Same answer and errors as join_session.';
revoke execute on function public.heartbeat(uuid, text) from public, anon;
grant execute on function public.heartbeat(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.leave_session(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  -- null: every connection; blank: 'default', as join_session and heartbeat read it.
  v_conn text := case when leave_session.connection_id is not null
                      then coalesce(nullif(btrim(leave_session.connection_id), ''), 'default') end;
  v_closed int;
  v_visible boolean;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if leave_session.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- Never at the same time as the end of the session (it waits for an end in flight, and the end
  -- waits for it): both close intervals and move their users between viewer buckets, the end many
  -- users in one statement, and the two could otherwise wait for each other's rows.
  perform pg_catalog.pg_advisory_xact_lock_shared(private.attendance_lock_key(leave_session.session_id));
  -- Stale intervals end at their last heartbeat, fresh ones now.
  update public.attendance_intervals a
     set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                        else a.last_heartbeat_at end
   where a.session_id = leave_session.session_id and a.user_id = v_uid and a.left_at is null
     and (v_conn is null or a.connection_id = v_conn);
  get diagnostics v_closed = row_count;
  v_visible := private.can_see_session(leave_session.session_id);
  if not v_visible and v_closed = 0 then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', leave_session.session_id));
  end if;
  return jsonb_build_object('session_id', leave_session.session_id, 'closed', v_closed,
                            'viewer_count', case when v_visible then private.viewer_count(leave_session.session_id) end);
end;
$$;
comment on function public.leave_session(uuid, text) is
  'Ends the caller''s presence on one connection (blank = ''default'', as join_session reads it), or on all their '
  'connections of the session when connection_id is null. Idempotent (closed = 0 when nothing was open). Returns '
  '{session_id, closed, viewer_count}; viewer_count is null when the caller can no longer see the session. Errors: '
  'not_authenticated, invalid_input, not_found (a session the caller cannot see, with nothing of theirs open).';
revoke execute on function public.leave_session(uuid, text) from public, anon;
grant execute on function public.leave_session(uuid, text) to authenticated, service_role;

-- The attendance report of one session, without any access check: session_attendance_report (hosts)
-- and event_attendance_report (55_event_reports.sql: the event's owner, admins) answer with it, so the
-- engagement formula exists once. Internal: runs inside those security definer functions.
create function private.session_attendance(session_id uuid)
returns table (user_id uuid, display_name text, first_joined_at timestamptz, last_left_at timestamptz,
               attended_seconds int, messages int, questions int, upvotes int, poll_answers int,
               survey_done boolean, engagement_score int)
language plpgsql stable rows 100 set search_path = '' as $$
declare
  v_session public.sessions;
  v_window_start timestamptz;
  v_window_end timestamptz;
  v_window_seconds numeric;
begin
  select s.* into v_session from public.sessions s where s.id = session_attendance.session_id;
  if v_session.id is null then
    return;
  end if;
  v_window_start := v_session.started_at;
  v_window_end := coalesce(v_session.ended_at, now());
  v_window_seconds := greatest(extract(epoch from v_window_end - v_window_start), 0);

  return query
  with raw as (
    select a.user_id, a.joined_at,
           -- effective end: left_at, else now while fresh, else the last heartbeat
           coalesce(a.left_at, case when a.last_heartbeat_at > now() - interval '60 seconds' then now()
                                    else a.last_heartbeat_at end) as ended_at,
           a.left_at is null and a.last_heartbeat_at > now() - interval '60 seconds' as is_open
    from public.attendance_intervals a
    where a.session_id = v_session.id
  ),
  clipped as (
    select r.user_id, greatest(r.joined_at, v_window_start) as s, least(r.ended_at, v_window_end) as e
    from raw r
    where v_window_start is not null
      and least(r.ended_at, v_window_end) > greatest(r.joined_at, v_window_start)
  ),
  marked as (
    select c.user_id, c.s, c.e,
           max(c.e) over (partition by c.user_id order by c.s, c.e
                          rows between unbounded preceding and 1 preceding) as prev_end
    from clipped c
  ),
  grouped as (
    select m.user_id, m.s, m.e,
           sum(case when m.prev_end is null or m.s > m.prev_end then 1 else 0 end)
             over (partition by m.user_id order by m.s, m.e) as island
    from marked m
  ),
  attended as (
    select i.user_id, sum(extract(epoch from i.e - i.s))::numeric as seconds
    from (select g.user_id, g.island, min(g.s) as s, max(g.e) as e from grouped g group by g.user_id, g.island) i
    group by i.user_id
  ),
  people as (
    select r.user_id, min(r.joined_at) as first_joined_at,
           case when bool_or(r.is_open) then null else max(r.ended_at) end as last_left_at
    from raw r group by r.user_id
  )
  select pe.user_id, pr.display_name, pe.first_joined_at, pe.last_left_at,
         coalesce(round(att.seconds), 0)::int,
         coalesce(ei.messages, 0), coalesce(ei.questions, 0), coalesce(ei.upvotes, 0),
         coalesce(ei.poll_answers, 0), coalesce(ei.survey_done, false),
         round(
           50 * case when v_window_seconds > 0 then least(coalesce(att.seconds, 0) / v_window_seconds, 1) else 0 end
           + 15 * least(coalesce(ei.messages, 0), 5) / 5.0
           + 15 * least(coalesce(ei.questions, 0) + coalesce(ei.upvotes, 0), 5) / 5.0
           + 10 * case when coalesce(ei.polls_total, 0) > 0
                       then least(coalesce(ei.poll_answers, 0)::numeric / ei.polls_total, 1) else 0 end
           + 10 * case when coalesce(ei.survey_done, false) then 1 else 0 end
         )::int
  from people pe
  left join attended att on att.user_id = pe.user_id
  left join private.engagement_inputs(v_session.id) ei on ei.user_id = pe.user_id
  left join public.profiles pr on pr.id = pe.user_id
  order by pe.first_joined_at, pe.user_id;
end;
$$;
comment on function private.session_attendance(uuid) is
  'The rows of session_attendance_report for one session (see its comment for the columns and the engagement '
  'formula), without access checks. Internal.';
revoke execute on function private.session_attendance(uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: hosts read every attendee's intervals and engagement inputs (chat, Q&A, polls).
create function public.session_attendance_report(session_id uuid)
returns table (user_id uuid, display_name text, first_joined_at timestamptz, last_left_at timestamptz,
               attended_seconds int, messages int, questions int, upvotes int, poll_answers int,
               survey_done boolean, engagement_score int)
language plpgsql stable security definer rows 100 set search_path = '' as $$
declare
  v_session public.sessions;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if session_attendance_report.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_attendance_report.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_attendance_report.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only hosts of the session see its attendance report.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  return query select * from private.session_attendance(v_session.id);
end;
$$;
comment on function public.session_attendance_report(uuid) is
  'Hosts only: one row per attendee with first_joined_at, last_left_at (null while still present), attended_seconds '
  '(all the user''s connections'' intervals merged where they overlap, each clipped to the live window '
  'started_at .. coalesce(ended_at, now()); 0 if the session never went live), messages, questions, upvotes, '
  'poll_answers, survey_done (from private.engagement_inputs) and engagement_score 0-100 = round(50 x attended share of '
  'the live window + 15 x min(messages, 5)/5 + 15 x min(questions + upvotes, 5)/5 + 10 x polls answered / polls of the '
  'session + 10 x survey done). Errors: not_authenticated, invalid_input (no session_id), not_found, forbidden (not a host).';
revoke execute on function public.session_attendance_report(uuid) from public, anon;
grant execute on function public.session_attendance_report(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Security definer: reads the user's intervals and writes the private presence tables.
create function private.attendance_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_session_id uuid := coalesce(new.session_id, old.session_id);
  v_user_id uuid := coalesce(new.user_id, old.user_id);
  v_shard smallint := private.viewer_shard();
  v_old timestamptz;
  v_new timestamptz;
  v_old_bucket bigint;
  v_new_bucket bigint;
begin
  -- A deletion cascading from its session's deletion: the presence rows go with the session.
  if tg_op = 'DELETE' and not exists (select 1 from public.sessions s where s.id = v_session_id) then
    return null;
  end if;
  -- The user's presence row, locked: their connections' writes are counted one after the other.
  loop
    select v.seen_at into v_old from private.session_viewers v
    where v.session_id = v_session_id and v.user_id = v_user_id
    for update;
    exit when found;
    insert into private.session_viewers (session_id, user_id) values (v_session_id, v_user_id)
    on conflict do nothing;
  end loop;
  -- Read after the lock: a concurrent write of another connection of this user has committed.
  select max(a.last_heartbeat_at) into v_new from public.attendance_intervals a
  where a.session_id = v_session_id and a.user_id = v_user_id and a.left_at is null;
  if v_new is distinct from v_old then
    update private.session_viewers v set seen_at = v_new
    where v.session_id = v_session_id and v.user_id = v_user_id;
    v_old_bucket := private.viewer_bucket(v_old);
    v_new_bucket := private.viewer_bucket(v_new);
    -- Bucket rows are locked in ascending order by every writer: no deadlock between two moves.
    if v_old_bucket > v_new_bucket then
      insert into private.session_viewer_buckets as b (session_id, bucket, shard, viewers)
      values (v_session_id, v_new_bucket, v_shard, 1)
      on conflict (session_id, bucket, shard) do update set viewers = b.viewers + 1;
      insert into private.session_viewer_buckets as b (session_id, bucket, shard, viewers)
      values (v_session_id, v_old_bucket, v_shard, -1)
      on conflict (session_id, bucket, shard) do update set viewers = b.viewers - 1;
    elsif v_old_bucket is distinct from v_new_bucket then
      if v_old_bucket is not null then
        insert into private.session_viewer_buckets as b (session_id, bucket, shard, viewers)
        values (v_session_id, v_old_bucket, v_shard, -1)
        on conflict (session_id, bucket, shard) do update set viewers = b.viewers - 1;
      end if;
      if v_new_bucket is not null then
        insert into private.session_viewer_buckets as b (session_id, bucket, shard, viewers)
        values (v_session_id, v_new_bucket, v_shard, 1)
        on conflict (session_id, bucket, shard) do update set viewers = b.viewers + 1;
      end if;
    end if;
  end if;

  return null;
end;
$$;
comment on function private.attendance_changed() is
  'Row trigger on attendance intervals (insert, update of last_heartbeat_at or left_at, delete): keeps the user''s '
  'presence row (private.session_viewers) and its bucket count (private.session_viewer_buckets) equal to their open '
  'intervals, under the presence row''s lock. Internal.';
revoke execute on function private.attendance_changed() from public, anon, authenticated, service_role;
create trigger attendance_changed after insert or update of last_heartbeat_at, left_at or delete on public.attendance_intervals
  for each row execute function private.attendance_changed();

-- Statement level, after the row triggers: the session_viewer_stats row is the last lock a statement
-- takes (after every presence and bucket row), so two transactions never wait for each other in
-- opposite orders, and a statement closing many intervals (end_session, leave_session) counts once.
-- Security definer: writes session_viewer_stats and broadcasts.
create function private.attendance_counted()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_sessions uuid[];
  v_session_id uuid;
  v_count int;
  v_broadcast boolean;
begin
  -- Sessions whose count may have changed: a new interval, or one that was not a counted, fresh and
  -- open interval before the update or is not after it. A heartbeat of a present connection (most of
  -- a live event's writes) changes no count: it counts only when the broadcast throttle is due, to
  -- send the viewers that left silently.
  if tg_op = 'INSERT' then
    v_sessions := array(select distinct n.session_id from changed_rows n);
  else
    v_sessions := array(
      select distinct n.session_id from changed_rows n join previous_rows o on o.id = n.id
      where (n.last_heartbeat_at is distinct from o.last_heartbeat_at or n.left_at is distinct from o.left_at)
        -- An interval whose last heartbeat is before viewer_count's window (the current 10-second
        -- bucket and the 6 before it) is no longer counted: closing it changes nothing (the heartbeat
        -- that follows a reconnect gap opens the new interval right after).
        and not (o.left_at is null and n.left_at is not null
                 and o.last_heartbeat_at < pg_catalog.to_timestamp((private.viewer_bucket(now()) - 6) * 10))
        and (not (o.left_at is null and o.last_heartbeat_at > now() - interval '60 seconds'
                  and n.left_at is null and n.last_heartbeat_at >= o.last_heartbeat_at)
             or not exists (select 1 from public.session_viewer_stats v
                            where v.session_id = n.session_id
                              and (v.last_broadcast_at >= now() - interval '2 seconds'
                                   or v.last_checked_at >= now() - interval '2 seconds'))));
  end if;
  foreach v_session_id in array v_sessions loop
    v_count := private.viewer_count(v_session_id);
    -- Inserted once per session. Read first: an insert ... on conflict finding the row while another
    -- transaction updates it (the throttle's or the peak's update) waits for that transaction to end,
    -- and every join and every heartbeat that found the throttle due queued behind it.
    if not exists (select 1 from public.session_viewer_stats v where v.session_id = v_session_id) then
      insert into public.session_viewer_stats (session_id) values (v_session_id)
      on conflict (session_id) do nothing;
    end if;
    update public.session_viewer_stats v set peak_viewers = v_count, peak_at = now()
    where v.session_id = v_session_id and v.peak_viewers < v_count;
    -- Throttle: only the transaction that moves last_broadcast_at sends (at most once per 2 s). Skip
    -- locked: while one transaction takes the row, the others neither wait nor send.
    with taken as (
      select v.session_id,
             v.last_broadcast_at < now() - interval '2 seconds' and v.last_broadcast_count is distinct from v_count as send
      from public.session_viewer_stats v
      where v.session_id = v_session_id
        and (v.last_broadcast_at < now() - interval '2 seconds' or v.last_checked_at < now() - interval '2 seconds')
      for update skip locked
    )
    update public.session_viewer_stats v
       set last_checked_at = now(),
           last_broadcast_at = case when t.send then now() else v.last_broadcast_at end,
           last_broadcast_count = case when t.send then v_count else v.last_broadcast_count end
      from taken t
     where v.session_id = t.session_id
    returning t.send into v_broadcast;
    if v_broadcast then
      perform realtime.send(jsonb_build_object('session_id', v_session_id, 'viewer_count', v_count),
        'viewer_count', 'session:' || v_session_id::text, true);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.attendance_counted() is
  'Statement trigger on attendance intervals (insert, update): per session written, keeps session_viewer_stats.peak_viewers '
  'and broadcasts `viewer_count` {session_id, viewer_count} on session:<id> when the count changed, at most once per 2 s '
  'per session. Closing an interval whose last heartbeat is before viewer_count''s window does not broadcast: it was '
  'not counted.';
revoke execute on function private.attendance_counted() from public, anon, authenticated, service_role;
create trigger attendance_counted_insert after insert on public.attendance_intervals
  referencing new table as changed_rows
  for each statement execute function private.attendance_counted();
create trigger attendance_counted_update after update on public.attendance_intervals
  referencing old table as previous_rows new table as changed_rows
  for each statement execute function private.attendance_counted();

-- Security definer: service_role may end a session by a direct update; the key function is internal.
create function private.sessions_lock_attendance()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(private.attendance_lock_key(new.id));
  return new;
end;
$$;
comment on function private.sessions_lock_attendance() is
  'Trigger before a session ends or is cancelled: takes its attendance lock exclusively, so joins in flight finish '
  'before its intervals are closed and later ones see the new status. Internal.';
revoke execute on function private.sessions_lock_attendance() from public, anon, authenticated, service_role;
create trigger sessions_lock_attendance before update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.sessions_lock_attendance();
