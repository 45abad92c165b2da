-- Peak viewers no longer miss viewers who join at the same moment.
--
-- Why: private.attendance_changed counted the viewers before it updated peak_viewers. Two users
-- joining at once each counted without the other (neither join was committed yet), so both wrote
-- the same peak, one too low; it stayed too low unless a later heartbeat counted again while both
-- were still there, so a short burst of joins was never recorded as the peak.
--
-- Now a join (a new interval) locks the session's stats row before it counts: joins racing each
-- other queue there, and each counts after the ones before it committed, so the last one counts
-- them all. Heartbeats and leaves take no lock, as before. Same body otherwise (as landed in
-- 20261121223000).

create or replace function private.attendance_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count int;
  v_broadcast boolean;
begin
  insert into public.session_viewer_stats (session_id) values (new.session_id)
  on conflict (session_id) do nothing;
  if tg_op = 'INSERT' then
    -- A join: viewers joining at the same moment cannot see each other's uncommitted intervals, so
    -- joins queue on the session's stats row and each counts once those ahead of it committed.
    perform 1 from public.session_viewer_stats v where v.session_id = new.session_id for update;
  end if;
  v_count := private.viewer_count(new.session_id);
  update public.session_viewer_stats v set peak_viewers = v_count, peak_at = now()
  where v.session_id = new.session_id and v.peak_viewers < v_count;
  -- Throttle: only the transaction that moves last_broadcast_at sends (at most once per 2 s).
  update public.session_viewer_stats v set last_broadcast_at = now(), last_broadcast_count = v_count
  where v.session_id = new.session_id
    and v.last_broadcast_at < now() - interval '2 seconds'
    and v.last_broadcast_count is distinct from v_count
  returning true into v_broadcast;
  if v_broadcast then
    perform realtime.send(jsonb_build_object('session_id', new.session_id, 'viewer_count', v_count),
      'viewer_count', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
