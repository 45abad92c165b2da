-- A ban takes the user out of the session's breakout rooms.
--
-- Why: a banned user kept their breakout-room assignment. join_room counts every assignment against
-- the room's capacity, so a banned user's seat stayed taken: the room answered the next member "the
-- room is full", and room_updated kept counting them.
--
-- Now a new ban removes the user's assignments in the session's rooms (room_updated follows from the
-- assignment triggers), under the same per-session-and-user lock as join_room and assign_room, so a
-- join of theirs in flight commits first and is then removed. (A booking that stops being confirmed
-- frees the seat the same way: 20261122030000.)

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
revoke execute on function private.session_bans_free_room_seats() from public, anon, authenticated;

create trigger session_bans_free_room_seats after insert on public.session_bans
  for each row execute function private.session_bans_free_room_seats();
