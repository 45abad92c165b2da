-- Open polls close when their session ends or is cancelled.
--
-- Why: ending a session closed its breakout rooms but left its polls open. Members could go on
-- voting in an ended session, and a poll whose results show after_close stayed hidden until the
-- host closed each poll by hand, which hosts do not think of once the session is over.
--
-- Now ending or cancelling a session closes its open polls (closed_at = now()); the poll_status
-- broadcast that follows carries the final results as close_poll's does. Polls left open in sessions
-- that already ended are closed here, without broadcasts (nobody is listening to those sessions).
-- Surveys stay open: a survey after the session is the usual case.

-- Security definer: hosts end sessions through RPCs; the polls are closed on their behalf.
create function private.close_polls_with_session()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- As close_poll does: wait for votes in flight, so none lands after the close.
  perform 1 from public.polls p where p.session_id = new.id and p.status = 'open' order by p.id for update;
  update public.polls p set status = 'closed', closed_at = now()
  where p.session_id = new.id and p.status = 'open';
  return null;
end;
$$;
comment on function private.close_polls_with_session() is
  'Trigger after a session ends or is cancelled: closes its open polls. Internal.';
revoke execute on function private.close_polls_with_session() from public, anon, authenticated;

create trigger close_polls_with_session after update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.close_polls_with_session();

alter table public.polls disable trigger broadcast_poll_status_change;
update public.polls p set status = 'closed', closed_at = greatest(coalesce(s.ended_at, s.updated_at), p.opened_at)
from public.sessions s
where s.id = p.session_id and s.status in ('ended', 'cancelled') and p.status = 'open';
alter table public.polls enable trigger broadcast_poll_status_change;
