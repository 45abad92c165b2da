-- A join racing the end of a session can no longer leave an interval open on the ended session.
--
-- Why: join_session and heartbeat read the session without a lock, and ending or cancelling a
-- session closes the intervals that exist when its trigger runs. A join that had read the session as
-- live but inserted its interval after the end's close statement kept an interval open on an ended
-- session forever: session_metrics counted a viewer on it for a minute, and the attendance report
-- showed that user with no last_left_at, as if still present.
--
-- Now joins and heartbeats of a session hold a shared transaction-level advisory lock on it (shared:
-- they never wait for each other), taken before they read the session, and a status change to ended
-- or cancelled takes the same lock exclusively before the update (BEFORE trigger). So the end waits
-- for joins in flight and its close sees their intervals, and a join or heartbeat that comes while
-- the end is in flight is answered invalid_transition at once (it does not wait: with thousands of
-- viewers, waiting requests would hold the API's connections for the end's whole transaction).

create function private.attendance_lock_key(session_id uuid)
returns bigint
language sql immutable set search_path = '' as $$
  select pg_catalog.hashtextextended('attendance:' || session_id::text, 0)
$$;
comment on function private.attendance_lock_key(uuid) is
  'Advisory lock key of a session''s attendance: shared by join_session/heartbeat, exclusive when the session ends or '
  'is cancelled. Internal.';
revoke execute on function private.attendance_lock_key(uuid) from public, anon, authenticated;

create or replace function private.touch_attendance(session_id uuid, connection_id text)
returns jsonb
language plpgsql volatile set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := (select auth.uid());
  v_conn text := coalesce(nullif(btrim(touch_attendance.connection_id), ''), 'default');
  v_session public.sessions;
  v_interval public.attendance_intervals;
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
  if v_session.id not in (select m.id from private.my_session_ids() as m (id)) and v_session.visibility <> 'public' then
    perform private.raise_error('forbidden', 'Only members of the session can join it.',
      jsonb_build_object('session_id', v_session.id));
  end if;

  -- A connection silent for 60 s has left at its last heartbeat (reconnect gap).
  update public.attendance_intervals a
     set left_at = a.last_heartbeat_at
   where a.session_id = v_session.id and a.user_id = v_uid and a.connection_id = v_conn
     and a.left_at is null and a.last_heartbeat_at <= now() - interval '60 seconds';

  insert into public.attendance_intervals as a (session_id, user_id, connection_id, joined_at, last_heartbeat_at)
  values (v_session.id, v_uid, v_conn, now(), now())
  on conflict (session_id, user_id, connection_id) where left_at is null
  do update set last_heartbeat_at = greatest(a.last_heartbeat_at, excluded.last_heartbeat_at)
  returning a.* into v_interval;

  return jsonb_build_object('session_id', v_session.id, 'connection_id', v_conn, 'interval_id', v_interval.id,
                            'joined_at', v_interval.joined_at, 'viewer_count', private.viewer_count(v_session.id));
end;
$$;
comment on function private.touch_attendance(uuid, text) is
  'join_session/heartbeat body: under the session''s shared attendance lock, checks, closes a stale interval of the '
  'connection, opens or refreshes its interval. Internal.';

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
revoke execute on function private.sessions_lock_attendance() from public, anon, authenticated;

create trigger sessions_lock_attendance before update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.sessions_lock_attendance();
