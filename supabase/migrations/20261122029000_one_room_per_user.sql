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
-- Same bodies otherwise (as landed in 20261121227000).

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
  if not exists (select 1 from public.bookings b
                 where b.session_id = v_room.session_id and b.user_id = assign_room.user_id and b.status = 'confirmed')
     and not exists (select 1 from public.session_staff st
                     where st.session_id = v_room.session_id and st.user_id = assign_room.user_id) then
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
