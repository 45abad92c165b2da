-- A live session that is cancelled ends its live window at the cancellation.
--
-- Why: only end_session set ended_at. A session cancelled while live kept ended_at null, so
-- session_attendance_report measured its live window up to now(): every attendee's attended share,
-- and with it the engagement score, kept falling for ever after the cancellation.
--
-- Now cancelling a live session (cancel_session, or any other status write) stamps ended_at, as
-- end_session does, and sessions cancelled while live before this migration get the time of their
-- cancellation where it is known (the seat row's cancelled_at), else their last update.

-- Security definer: runs for status writes by the lifecycle RPCs and service_role alike.
create function private.sessions_end_cancelled_live()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  new.ended_at := greatest(now(), new.started_at);
  return new;
end;
$$;
comment on function private.sessions_end_cancelled_live() is
  'Trigger: a live session that is cancelled gets ended_at (the end of its live window), as end_session sets it. Internal.';
revoke execute on function private.sessions_end_cancelled_live() from public, anon, authenticated;

create trigger sessions_end_cancelled_live before update of status on public.sessions
  for each row
  when (old.status = 'live' and new.status = 'cancelled' and new.ended_at is null)
  execute function private.sessions_end_cancelled_live();

-- The backfill leaves updated_at alone (it drives the calendar's DTSTAMP and ETag).
alter table public.sessions disable trigger sessions_set_updated_at;
update public.sessions s
   set ended_at = greatest(s.started_at, coalesce(ss.cancelled_at, s.updated_at))
  from private.session_seats ss
 where ss.session_id = s.id
   and s.status = 'cancelled' and s.started_at is not null and s.ended_at is null;
alter table public.sessions enable trigger sessions_set_updated_at;

comment on column public.sessions.ended_at is 'When the live session ended: end_session, or cancel_session while it was live.';
