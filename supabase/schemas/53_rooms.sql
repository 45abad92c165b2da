-- Breakout rooms of a live session: opening rooms, assigning members (by hand, at random and
-- balanced, or by self-selection), joining, closing with the session and at closes_at, and the
-- `room_updated` broadcast. The tables rooms and room_assignments are part of the catalogue
-- (20_sessions.sql: chat messages can belong to a room); clients write assignments only through
-- these RPCs. One room per user and session, also when two joins or assignments race.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Whether a room is open now: status open and closes_at not passed (rooms close lazily in reads and
-- by the minute job, private.close_expired_rooms).
create function private.room_is_open(room public.rooms)
returns boolean
language sql stable set search_path = '' as $$
  select room.status = 'open' and (room.closes_at is null or room.closes_at > now());
$$;
comment on function private.room_is_open(public.rooms) is 'True when a room is open now: status open and closes_at (if any) still ahead.';
revoke execute on function private.room_is_open(public.rooms) from public, anon;
grant execute on function private.room_is_open(public.rooms) to authenticated, service_role;

-- Broadcasts room_updated for a room: no member lists, just the counts.
create function private.broadcast_room(room_id uuid)
returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  select r.* into v_room from public.rooms r where r.id = broadcast_room.room_id;
  if v_room.id is null then
    return;
  end if;
  perform realtime.send(
    jsonb_build_object('room_id', v_room.id, 'session_id', v_room.session_id, 'name', v_room.name,
      'status', case when private.room_is_open(v_room) then 'open' else 'closed' end,
      'closes_at', v_room.closes_at, 'capacity', v_room.capacity, 'self_select', v_room.self_select,
      'assigned_count', (select count(*) from public.room_assignments a where a.room_id = v_room.id)),
    'room_updated', 'session:' || v_room.session_id::text, true);
end;
$$;
comment on function private.broadcast_room(uuid) is
  'Sends room_updated {room_id, session_id, name, status, closes_at, capacity, self_select, assigned_count} on session:<id>. '
  'Security definer: realtime.send runs as the caller and realtime.messages has RLS.';
revoke execute on function private.broadcast_room(uuid) from public, anon, authenticated, service_role;

-- Closes the rooms whose closes_at has passed (pg_cron, every minute: 90_cron_jobs.sql).
create function private.close_expired_rooms()
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  update public.rooms r set status = 'closed'
  where r.status = 'open' and r.closes_at is not null and r.closes_at <= now();
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.close_expired_rooms() is
  'Closes open rooms whose closes_at has passed; returns how many. Run every minute by pg_cron. Security definer: cron job.';
revoke execute on function private.close_expired_rooms() from public, anon, authenticated, service_role;

-- Locks a room of a session for staff and checks it is open.
create function private.open_room_for_staff(room_id uuid)
returns public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = open_room_for_staff.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  return v_room;
end;
$$;
comment on function private.open_room_for_staff(uuid) is 'Locks and returns an open room for staff; not_authenticated, not_found, forbidden, invalid_transition (closed).';
revoke execute on function private.open_room_for_staff(uuid) from public, anon, authenticated, service_role;

-- join_room and assign_room lock only the room they put the user in, then delete the user's other
-- assignments in the session: two calls for two rooms of one session (a double click, or a member
-- joining while staff assign them) would each lock a different room and both commit. This lock per
-- session and user makes the second call wait for the first and then move the user out of the
-- room the first one chose.
create function private.lock_room_assignment(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('room:' || lock_room_assignment.session_id::text || ':' || lock_room_assignment.user_id::text, 0));
$$;
comment on function private.lock_room_assignment(uuid, uuid) is
  'Serialises the room changes of one user in one session (join_room, assign_room) until commit. Internal.';
revoke execute on function private.lock_room_assignment(uuid, uuid)
  from public, anon, authenticated, service_role;

-- A user who stops being a member leaves the session's breakout rooms (also used by bans).
create function private.leave_rooms(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  -- Under join_room's and assign_room's per-session-and-user lock: a join in flight commits first.
  select private.lock_room_assignment(leave_rooms.session_id, leave_rooms.user_id);
  delete from public.room_assignments ra
  using public.rooms r
  where r.id = ra.room_id and r.session_id = leave_rooms.session_id and ra.user_id = leave_rooms.user_id;
$$;
comment on function private.leave_rooms(uuid, uuid) is
  'Removes a user from the breakout rooms of a session (room_updated follows from the assignment triggers), under '
  'private.lock_room_assignment. Internal: callers are security definer triggers.';
revoke execute on function private.leave_rooms(uuid, uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: inserts rooms after the staff check (moderators cannot write rooms directly).
create function public.open_breakout_rooms(
  session_id uuid,
  names text[],
  closes_at timestamptz default null,
  capacity int default null,
  self_select boolean default false
) returns setof public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_end timestamptz;
  v_closes_at timestamptz;
  v_names text[];
begin
  perform private.require_session_access(open_breakout_rooms.session_id, 'staff');
  select s.* into v_session from public.sessions s where s.id = open_breakout_rooms.session_id;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Rooms open only in a scheduled or live session.',
      jsonb_build_object('session_status', v_session.status));
  end if;
  v_end := v_session.starts_at + make_interval(mins => v_session.duration_minutes);
  v_closes_at := coalesce(open_breakout_rooms.closes_at, v_end);
  if v_closes_at <= now() or v_closes_at > v_end then
    perform private.raise_error('invalid_input', 'closes_at must be in the future and no later than the end of the session.',
      jsonb_build_object('field', 'closes_at', 'session_ends_at', v_end));
  end if;
  perform private.require_flat_array(open_breakout_rooms.names, 'names');
  select array_agg(btrim(n.name) order by n.i) into v_names
  from unnest(open_breakout_rooms.names) with ordinality as n (name, i);
  if coalesce(cardinality(v_names), 0) not between 1 and 50
     or exists (select 1 from unnest(v_names) n where n is null or char_length(n) not between 1 and 100)
     or (select count(distinct lower(n)) from unnest(v_names) n) <> cardinality(v_names) then
    perform private.raise_error('invalid_input', 'names: 1 to 50 distinct names of 1 to 100 characters.', jsonb_build_object('field', 'names'));
  end if;
  if open_breakout_rooms.capacity is not null and open_breakout_rooms.capacity not between 1 and 10000 then
    perform private.raise_error('invalid_input', 'capacity is 1 to 10000 (or null for unlimited).', jsonb_build_object('field', 'capacity'));
  end if;
  return query
  insert into public.rooms (session_id, name, capacity, closes_at, status, self_select)
  select v_session.id, n.name, open_breakout_rooms.capacity, v_closes_at, 'open', coalesce(open_breakout_rooms.self_select, false)
  from unnest(v_names) with ordinality as n (name, i)
  order by n.i
  returning *;
end;
$$;
comment on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean) is
  'Staff open breakout rooms in a scheduled or live session: 1-50 distinct names, closes_at (default: the session''s '
  'end; never later than starts_at + duration, always in the future), capacity (null = unlimited; limits self-selection), '
  'self_select (members may join with join_room). Broadcasts room_updated per room. Returns the rooms.';
revoke execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean)
  from public, anon;
grant execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean)
  to authenticated, service_role;

-- SECURITY DEFINER: moves the user's assignment (one room per user and session) across RLS.
create function public.assign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms := private.open_room_for_staff(assign_room.room_id);
  v_row public.room_assignments;
begin
  -- Members as private.is_session_member counts them: confirmed booking, staff, or joined a public session.
  if not exists (select 1 from public.bookings b
                 where b.session_id = v_room.session_id and b.user_id = assign_room.user_id and b.status = 'confirmed')
     and not exists (select 1 from public.session_staff st
                     where st.session_id = v_room.session_id and st.user_id = assign_room.user_id)
     and not exists (select 1 from public.attendance_intervals a
                     join public.sessions s on s.id = a.session_id
                     where a.session_id = v_room.session_id and a.user_id = assign_room.user_id
                       and s.visibility = 'public') then
    perform private.raise_error('invalid_input', 'Only members of the session can be assigned.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  if private.is_banned(v_room.session_id, assign_room.user_id) then
    perform private.raise_error('banned', 'This user is banned from the session.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  perform private.lock_room_assignment(v_room.session_id, assign_room.user_id);
  delete from public.room_assignments a
  where a.user_id = assign_room.user_id and a.room_id <> v_room.id
    and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id) values (v_room.id, assign_room.user_id)
  on conflict on constraint room_assignments_pkey do update set joined_at = a.joined_at
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.assign_room(uuid, uuid) is
  'Staff assign a member (confirmed booking, staff, or joined a public session; not banned) to an open room, moving '
  'them out of the session''s other rooms. Returns the assignment (the user reads it through RLS).';
revoke execute on function public.assign_room(uuid, uuid) from public, anon;
grant execute on function public.assign_room(uuid, uuid) to authenticated, service_role;

create function public.unassign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = unassign_room.room_id;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  delete from public.room_assignments a where a.room_id = v_room.id and a.user_id = unassign_room.user_id
  returning a.* into v_row;
  if v_row.room_id is null then
    perform private.raise_error('not_found', 'This user is not assigned to the room.', jsonb_build_object('user_id', unassign_room.user_id));
  end if;
  return v_row;
end;
$$;
comment on function public.unassign_room(uuid, uuid) is 'Staff remove a user from a room (not_found when not assigned). Returns the removed assignment.';
revoke execute on function public.unassign_room(uuid, uuid) from public, anon;
grant execute on function public.unassign_room(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads bookings and writes assignments across RLS.
create function public.assign_rooms_randomly(session_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room_ids uuid[];
  v_assigned int;
begin
  perform private.require_session_access(assign_rooms_randomly.session_id, 'staff');
  select array_agg(r.id order by r.created_at, r.name, r.id) into v_room_ids
  from (select r.* from public.rooms r
        where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage
        order by r.id for update) r
  where private.room_is_open(r);
  if v_room_ids is null then
    perform private.raise_error('invalid_input', 'The session has no open breakout room.',
      jsonb_build_object('session_id', assign_rooms_randomly.session_id));
  end if;
  -- Everyone's previous breakout assignment in this session is replaced.
  delete from public.room_assignments a
  where a.room_id in (select r.id from public.rooms r where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage);
  -- Round robin over a random order: room sizes differ by at most one.
  insert into public.room_assignments (room_id, user_id)
  select v_room_ids[1 + (m.i % cardinality(v_room_ids))], m.user_id
  from (select u.user_id, (row_number() over (order by random()) - 1)::int as i
        from (select b.user_id from public.bookings b
              where b.session_id = assign_rooms_randomly.session_id and b.status = 'confirmed'
              union
              select a.user_id from public.attendance_intervals a
              join public.sessions s on s.id = a.session_id
              where a.session_id = assign_rooms_randomly.session_id and s.visibility = 'public') u
        where not exists (select 1 from public.session_staff st
                          where st.session_id = assign_rooms_randomly.session_id and st.user_id = u.user_id)
          and not private.is_banned(assign_rooms_randomly.session_id, u.user_id)) m;
  get diagnostics v_assigned = row_count;
  return jsonb_build_object('session_id', assign_rooms_randomly.session_id, 'assigned', v_assigned,
    'rooms', (select jsonb_agg(jsonb_build_object('room_id', r.id, 'assigned',
                (select count(*) from public.room_assignments a where a.room_id = r.id)) order by r.n)
              from unnest(v_room_ids) with ordinality as r (id, n)));
end;
$$;
comment on function public.assign_rooms_randomly(uuid) is
  'Staff: replaces the breakout assignments with a random, balanced split (sizes differ by at most one) of the '
  'session''s members (confirmed bookings, and users who joined a public session), not banned and not staff, over its open breakout rooms (not the main stage). Capacity is '
  'not applied (it limits self-selection). Returns {session_id, assigned, rooms:[{room_id, assigned}]}.';
revoke execute on function public.assign_rooms_randomly(uuid) from public, anon;
grant execute on function public.assign_rooms_randomly(uuid) to authenticated, service_role;

-- SECURITY DEFINER: members cannot write room_assignments; the room row lock makes the capacity
-- check exact under concurrent joins.
create function public.join_room(room_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = join_room.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'member');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  update public.room_assignments a set joined_at = now()
  where a.room_id = v_room.id and a.user_id = v_uid
  returning a.* into v_row;
  if v_row.room_id is not null then
    return v_row;
  end if;
  if not v_room.self_select then
    perform private.raise_error('forbidden', 'You are not assigned to this room.', jsonb_build_object('room_id', v_room.id));
  end if;
  if v_room.capacity is not null
     and (select count(*) from public.room_assignments a where a.room_id = v_room.id) >= v_room.capacity then
    perform private.raise_error('conflict', 'The room is full.', jsonb_build_object('room_id', v_room.id, 'capacity', v_room.capacity));
  end if;
  perform private.lock_room_assignment(v_room.session_id, v_uid);
  delete from public.room_assignments a
  where a.user_id = v_uid and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id, joined_at) values (v_room.id, v_uid, now())
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.join_room(uuid) is
  'Members (not banned) enter an open room: their assigned room, or any self_select room with capacity left (conflict '
  'when full; moves them out of their other room). Sets joined_at. Errors: not_authenticated, not_found, forbidden, '
  'banned, invalid_transition (closed), conflict (full).';
revoke execute on function public.join_room(uuid) from public, anon;
grant execute on function public.join_room(uuid) to authenticated, service_role;

create function public.close_breakout_rooms(session_id uuid)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  perform private.require_session_access(close_breakout_rooms.session_id, 'staff');
  update public.rooms r set status = 'closed', closes_at = least(coalesce(r.closes_at, now()), now())
  where r.session_id = close_breakout_rooms.session_id and r.status = 'open' and not r.is_main_stage;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.close_breakout_rooms(uuid) is
  'Staff close every open breakout room of the session (not the main stage); returns how many. Broadcasts room_updated.';
revoke execute on function public.close_breakout_rooms(uuid) from public, anon;
grant execute on function public.close_breakout_rooms(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- room_updated for each room whose assignments changed in a statement (one message per room, not
-- per row, e.g. for assign_rooms_randomly).
create function private.broadcast_room_assignments()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_room_id uuid;
begin
  for v_room_id in select distinct c.room_id from changed_assignments c loop
    perform private.broadcast_room(v_room_id);
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_room_assignments() is 'Statement trigger: room_updated for each room whose assignments changed.';
revoke execute on function private.broadcast_room_assignments()
  from public, anon, authenticated, service_role;
create trigger broadcast_room_assignments_insert
  after insert on public.room_assignments
  referencing new table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();
create trigger broadcast_room_assignments_delete
  after delete on public.room_assignments
  referencing old table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();

create function private.broadcast_room_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.broadcast_room(new.id);
  return null;
end;
$$;
comment on function private.broadcast_room_change() is 'Trigger: room_updated when a room is created or changed.';
revoke execute on function private.broadcast_room_change() from public, anon, authenticated, service_role;
create trigger broadcast_room_updated
  after insert or update on public.rooms
  for each row execute function private.broadcast_room_change();

-- Rooms never outlive their session: ending or cancelling it closes them. A new starts_at shifts
-- the closing time of the session's open rooms by the same amount (rooms opened ahead of a
-- session that moves later would otherwise be closed by the minute job before it even started),
-- still no later than the session's end; rooms whose closing time has passed stay closed.
-- SECURITY DEFINER: runs for lifecycle RPCs and writes rooms regardless of the caller.
create function private.close_rooms_with_session()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_end timestamptz := new.starts_at + make_interval(mins => new.duration_minutes);
  v_shift interval := new.starts_at - old.starts_at;
begin
  if new.status in ('ended', 'cancelled') then
    update public.rooms r set status = 'closed', closes_at = least(coalesce(r.closes_at, now()), now())
    where r.session_id = new.id and r.status = 'open';
  else
    update public.rooms r set closes_at = least(r.closes_at + v_shift, v_end)
    where r.session_id = new.id and r.status = 'open' and r.closes_at > now()
      and r.closes_at is distinct from least(r.closes_at + v_shift, v_end);
  end if;
  return null;
end;
$$;
comment on function private.close_rooms_with_session() is
  'Trigger on sessions: closes the rooms when the session ends or is cancelled; a reschedule shifts the closing time of '
  'its open rooms by the same amount, within the session.';
revoke execute on function private.close_rooms_with_session() from public, anon, authenticated, service_role;
create trigger close_rooms_with_session
  after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.close_rooms_with_session();

-- Security definer: bans are written by staff through ban_user; assignments are internal.
create function private.session_bans_free_room_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.leave_rooms(new.session_id, new.user_id);
  return null;
end;
$$;
comment on function private.session_bans_free_room_seats() is
  'Trigger: a new ban removes the banned user from the session''s breakout rooms. Internal.';
revoke execute on function private.session_bans_free_room_seats()
  from public, anon, authenticated, service_role;
create trigger session_bans_free_room_seats after insert on public.session_bans
  for each row execute function private.session_bans_free_room_seats();
