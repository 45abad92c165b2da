-- One breakout room per user and session, also when two joins or assignments race.
--
-- Why: join_room and assign_room lock only the room they put the user in, then delete the user's
-- other assignments in the session and insert the new one. Two calls for two different rooms of the
-- same session (a double click on two rooms, or a member joining while staff assign them) each
-- locked a different room, neither saw the other's uncommitted assignment, and both committed: the
-- user was in two rooms and counted against both capacities (8 times in 30 unscripted tries).
--
-- Now both take a lock per session and user before they look for the user's other assignments, so
-- the second call waits for the first and then moves the user out of the room the first one chose.
-- Also, assign_room and assign_rooms_randomly count as members the users who joined a public session
-- (private.is_session_member's rule, the one join_room and the rest of the live room use): staff
-- could not place them in a room before. Same bodies otherwise (as landed in 20261121227000).

create function private.lock_room_assignment(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('room:' || lock_room_assignment.session_id::text || ':' || lock_room_assignment.user_id::text, 0));
$$;
comment on function private.lock_room_assignment(uuid, uuid) is
  'Serialises the room changes of one user in one session (join_room, assign_room) until commit. Internal.';
revoke execute on function private.lock_room_assignment(uuid, uuid) from public, anon, authenticated;

create or replace function public.join_room(room_id uuid)
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

create or replace function public.assign_room(room_id uuid, user_id uuid)
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

create or replace function public.assign_rooms_randomly(session_id uuid)
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
