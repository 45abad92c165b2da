-- Two admins demoting each other at the same moment can no longer leave the platform without one.
--
-- Why: set_user_role locks only the target's user_roles row, then checks that another admin
-- exists. Two admins demoting each other lock different rows, each still sees the other as an
-- admin, and both commit: no admin is left.
--
-- Now a trigger after an admin's role changes (set_user_role, or service_role updating user_roles,
-- several rows at once included) takes one platform-wide advisory lock, held to commit, and checks,
-- with a snapshot taken after the lock, that an admin remains: the second demotion waits for the
-- first and then answers conflict (409), as a single demotion of the last admin does.

create function private.user_roles_keep_an_admin()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('user_roles:admins', 0));
  if not exists (select 1 from public.user_roles ur where ur.role = 'admin') then
    perform private.raise_error('conflict', 'The last admin cannot be demoted.', jsonb_build_object('user_id', old.user_id));
  end if;
  return null;
end;
$$;
comment on function private.user_roles_keep_an_admin() is
  'Trigger after an admin''s role changes: under one platform-wide lock, refuses (conflict) when no admin remains. '
  'Internal.';
revoke execute on function private.user_roles_keep_an_admin() from public, anon, authenticated;

create trigger user_roles_keep_an_admin after update of role on public.user_roles
  for each row
  when (old.role = 'admin' and new.role <> 'admin')
  execute function private.user_roles_keep_an_admin();
