-- A session's creator removed from its staff no longer reads it.
--
-- Why: the read policy on sessions lets the creator read their session (created_by = auth.uid()), so
-- that insert ... returning works before the trigger adds them as host. The clause never expired: a
-- coach removed from a session by a co-host still read it, a private or draft one included, with
-- every later edit (title, description), through sessions and session_cards.
--
-- Now the clause holds only while the session has no staff at all, which is the moment of its
-- insert; afterwards the creator reads it like anyone else (as staff, through a booking, or because
-- it is published and not private).

-- SECURITY DEFINER: session_staff rows are not all readable by the creator.
create function private.session_has_staff(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.session_staff st where st.session_id = session_has_staff.session_id)
$$;
comment on function private.session_has_staff(uuid) is
  'True once a session has any staff row (its creator becomes host right after the insert). For the sessions read '
  'policy. Internal.';
revoke execute on function private.session_has_staff(uuid) from public, anon;
grant execute on function private.session_has_staff(uuid) to authenticated, service_role;

drop policy "users can read the sessions visible to them" on public.sessions;
create policy "users can read the sessions visible to them" on public.sessions
  for select to authenticated
  -- created_by: the creator reads the new row back (insert ... returning) before the host row exists.
  using ((created_by = (select auth.uid()) and not private.session_has_staff(id))
         or id in (select private.visible_session_ids()));
