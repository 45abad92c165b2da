-- Visitors (anon) see a public session after it is cancelled, as signed-in users already do.
--
-- Why: the anon policy on sessions allowed public sessions that are scheduled, live or ended, but
-- not cancelled ones, while every signed-in user reads a cancelled public session (the
-- authenticated policy hides only drafts). A visitor who had added a public session to their
-- calendar from the calendar function (GET /calendar/sessions/<id>.ics, no token: webcal
-- subscriptions and "add to calendar" links send none) got 404 once it was cancelled, so their
-- calendar kept a confirmed event instead of receiving STATUS:CANCELLED; the session's page had
-- nothing to say either.
--
-- Now anon reads every public session that is not a draft. A cancelled session was published
-- before (cancel_session accepts only scheduled or live sessions, and hosts cannot write status
-- directly), so no unpublished content becomes visible. private.session_host follows the same rule
-- (host name on session_cards and in the .ics).

drop policy "anyone can read published public sessions" on public.sessions;
create policy "anyone can read published public sessions" on public.sessions
  for select to anon
  using (visibility = 'public' and status <> 'draft');

create or replace function private.session_host(session_id uuid)
returns table (user_id uuid, display_name text)
language plpgsql stable security definer set search_path = '' as $$
begin
  if not exists (select 1 from public.sessions s
                 where s.id = session_host.session_id
                   and ((s.visibility = 'public' and s.status <> 'draft')
                        or private.can_see_session(s.id))) then
    return;
  end if;
  return query
    select st.user_id, p.display_name
    from public.session_staff st
    left join public.profiles p on p.id = st.user_id
    where st.session_id = session_host.session_id and st.role = 'host'
    order by st.created_at, st.user_id
    limit 1;
end;
$$;
