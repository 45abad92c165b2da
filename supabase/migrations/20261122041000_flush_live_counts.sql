-- Live poll results and viewer counts catch up within a minute when their throttle held back the
-- last change.
--
-- Why: poll_updated (at most every 500 ms per poll) and viewer_count (at most every 2 s per session)
-- are sent by the transaction that changes them, leading edge only. Votes that arrived inside the
-- window were never sent: subscribers kept showing fewer votes than poll_results until someone else
-- voted or the poll closed. Likewise the viewer count never went down when viewers closed their tab
-- without leave_session (their heartbeat just stops), since no write happens then. A trailing send
-- per window needs a job every second, which the local pg_cron (1.4) cannot schedule.
--
-- Now a pg_cron job every minute (flush-live-counts, private.flush_live_counts) sends poll_updated
-- for every open live-results poll whose voter count differs from the last one sent, and
-- viewer_count for every live session whose count differs from the last one sent, under the same
-- throttles (rows taken with skip locked). The poll throttle row remembers the voters it last sent.

alter table private.poll_broadcast_throttle add column last_voters bigint;
comment on column private.poll_broadcast_throttle.last_voters is
  'The voter count of the last poll_updated sent with counts (null: none yet), for private.flush_live_counts.';

create or replace function private.broadcast_poll_votes()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_poll record;
  v_taken uuid;
  v_payload jsonb;
begin
  for v_poll in
    select distinct c.poll_id, p.session_id from changed_votes c
    join public.polls p on p.id = c.poll_id
    where p.results_visibility = 'live' and p.status = 'open'
  loop
    select t.poll_id into v_taken from private.poll_broadcast_throttle t
    where t.poll_id = v_poll.poll_id and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
    for update skip locked;
    if v_taken is not null then
      v_payload := private.poll_payload(v_poll.poll_id, true);
      update private.poll_broadcast_throttle t
         set last_broadcast_at = clock_timestamp(), last_voters = (v_payload ->> 'voters')::bigint
       where t.poll_id = v_taken;
      perform realtime.send(v_payload, 'poll_updated', 'session:' || v_poll.session_id::text, true);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_poll_votes() is
  'Statement trigger on poll_votes: poll_updated with aggregates for live-results polls, at most every 500 ms per poll '
  '(leading edge; private.flush_live_counts sends what the window held back).';

create function private.flush_live_counts()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sent int := 0;
  v_poll record;
  v_payload jsonb;
  v_session record;
  v_count int;
begin
  for v_poll in
    select p.id, p.session_id, t.last_voters
    from public.polls p
    join private.poll_broadcast_throttle t on t.poll_id = p.id
    where p.status = 'open' and p.results_visibility = 'live'
      and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
    for update of t skip locked
  loop
    v_payload := private.poll_payload(v_poll.id, true);
    if (v_payload ->> 'voters')::bigint is distinct from coalesce(v_poll.last_voters, 0) then
      update private.poll_broadcast_throttle t
         set last_broadcast_at = clock_timestamp(), last_voters = (v_payload ->> 'voters')::bigint
       where t.poll_id = v_poll.id;
      perform realtime.send(v_payload, 'poll_updated', 'session:' || v_poll.session_id::text, true);
      v_sent := v_sent + 1;
    end if;
  end loop;

  for v_session in
    select v.session_id, v.last_broadcast_count
    from public.session_viewer_stats v
    join public.sessions s on s.id = v.session_id
    where s.status = 'live' and v.last_broadcast_at < now() - interval '2 seconds'
    for update of v skip locked
  loop
    v_count := private.viewer_count(v_session.session_id);
    if v_count is distinct from v_session.last_broadcast_count then
      update public.session_viewer_stats v set last_broadcast_at = now(), last_broadcast_count = v_count
      where v.session_id = v_session.session_id;
      perform realtime.send(jsonb_build_object('session_id', v_session.session_id, 'viewer_count', v_count),
        'viewer_count', 'session:' || v_session.session_id::text, true);
      v_sent := v_sent + 1;
    end if;
  end loop;
  return v_sent;
end;
$$;
comment on function private.flush_live_counts() is
  'The flush-live-counts pg_cron job (every minute): sends poll_updated for open live-results polls and viewer_count '
  'for live sessions whose last broadcast is out of date (votes held back by the throttle, viewers whose heartbeat '
  'stopped). Returns the number of broadcasts sent.';
revoke execute on function private.flush_live_counts() from public, anon, authenticated;

select cron.schedule('flush-live-counts', '* * * * *', 'select private.flush_live_counts()');
