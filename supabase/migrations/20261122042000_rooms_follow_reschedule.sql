-- Breakout rooms move with their session when it is rescheduled.
--
-- Why: close_rooms_with_session only pulled a room's closes_at earlier when a session ended
-- sooner. Rooms opened ahead of a scheduled session (closes_at defaults to the session's end) kept
-- their old closing time when the host moved the session later, so the minute job closed them
-- before the session had even started.
--
-- Now a new starts_at shifts the closing time of the session's open rooms by the same amount (rooms
-- whose closing time has already passed stay closed), still no later than the session's end.
-- Ending or cancelling a session closes its rooms as before.

create or replace function private.close_rooms_with_session()
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
