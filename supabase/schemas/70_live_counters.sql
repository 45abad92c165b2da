-- Live counters catch up: poll_updated (at most every 500 ms per poll, 51_polls.sql) and
-- viewer_count (at most every 2 s per session, 32_attendance.sql) are sent by the transaction that
-- changes them, leading edge only. A change inside the window, or viewers whose heartbeat just
-- stopped (no write happens then), would never be sent. A trailing send per window needs a job
-- every second, which the local pg_cron (1.4) cannot schedule; so a job every minute
-- (90_cron_jobs.sql: flush-live-counts) sends what is out of date, under the same throttles.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.flush_live_counts()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sent int := 0;
  v_row record;
begin
  -- Counts are computed without locks; one short set-based update per kind then takes only the
  -- throttle rows that are out of date and not being written right now (skip locked), so voters
  -- and heartbeats never wait for this job.
  for v_row in
    with due as (
      select p.id as poll_id, p.session_id, private.poll_payload(p.id, true) as payload
      from public.polls p
      join private.poll_broadcast_throttle t on t.poll_id = p.id
      where p.status = 'open' and p.results_visibility = 'live'
        and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
        and (select coalesce(sum(vt.voters), 0) from private.poll_voter_tallies vt where vt.poll_id = p.id)
            is distinct from coalesce(t.last_voters, 0)
    ),
    taken as (
      select t.poll_id from private.poll_broadcast_throttle t
      where t.poll_id in (select d.poll_id from due d)
      for update skip locked
    )
    update private.poll_broadcast_throttle t
       set last_broadcast_at = clock_timestamp(), last_voters = (d.payload ->> 'voters')::bigint
      from due d
     where t.poll_id = d.poll_id and t.poll_id in (select k.poll_id from taken k)
    returning d.session_id, d.payload
  loop
    perform realtime.send(v_row.payload, 'poll_updated', 'session:' || v_row.session_id::text, true);
    v_sent := v_sent + 1;
  end loop;

  -- Live sessions, and scheduled ones in their 15 minutes before the start (joins are open).
  for v_row in
    with due as (
      select v.session_id, private.viewer_count(v.session_id) as viewer_count
      from public.session_viewer_stats v
      join public.sessions s on s.id = v.session_id
      where (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes'))
        and v.last_broadcast_at < now() - interval '2 seconds'
    ),
    taken as (
      select v.session_id from public.session_viewer_stats v
      join due d on d.session_id = v.session_id
      where v.last_broadcast_count is distinct from d.viewer_count
      for update of v skip locked
    )
    update public.session_viewer_stats v
       set last_broadcast_at = now(), last_broadcast_count = d.viewer_count
      from due d
     where v.session_id = d.session_id and v.session_id in (select k.session_id from taken k)
    returning d.session_id, d.viewer_count
  loop
    perform realtime.send(jsonb_build_object('session_id', v_row.session_id, 'viewer_count', v_row.viewer_count),
      'viewer_count', 'session:' || v_row.session_id::text, true);
    v_sent := v_sent + 1;
  end loop;

  -- Viewer buckets older than the count's window are never read again (32_attendance.sql). Skip
  -- locked: a transaction moving a user out of an old bucket (a silent user's return, the end of the
  -- session closing many intervals) may hold some of these rows; waiting for it while holding others
  -- could deadlock with it. What is skipped goes at the next run.
  delete from private.session_viewer_buckets b
  where (b.session_id, b.bucket, b.shard) in (
    select o.session_id, o.bucket, o.shard from private.session_viewer_buckets o
    where o.bucket < private.viewer_bucket(now() - interval '2 minutes')
    for update skip locked);
  return v_sent;
end;
$$;
comment on function private.flush_live_counts() is
  'The flush-live-counts pg_cron job (every minute): sends poll_updated for open live-results polls and viewer_count '
  'for live (or about to start) sessions whose last broadcast is out of date (votes held back by the throttle, '
  'viewers whose heartbeat stopped), and deletes the viewer buckets older than 2 minutes. Never waits for voters or '
  'heartbeats (skip locked). Returns the broadcasts sent.';
revoke execute on function private.flush_live_counts() from public, anon, authenticated, service_role;
