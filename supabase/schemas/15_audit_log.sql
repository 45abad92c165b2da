-- Audit log: an append-only record of what admins (and the service role) did: who, when, which
-- action, on what, and the changed fields before and after. Written only through private.audit()
-- (security definer, called by the RPCs and triggers that perform audited acts); admins read it;
-- nobody updates, deletes or truncates it: a trigger refuses it even for the table's owner.
-- Role changes are audited by a trigger on user_roles, whatever path changes them.
-- Tables: public.audit_log.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- actor_id and target_id carry no foreign key on purpose: an audit row outlives the users and rows
-- it names (a foreign key's ON DELETE SET NULL would be an UPDATE, which the log refuses).
create table public.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_id uuid,
  actor_role text not null,
  action text not null,
  target_type text not null,
  target_id uuid,
  before jsonb,
  after jsonb,
  details jsonb not null default '{}'::jsonb,
  constraint audit_log_action_format check (action ~ '^[a-z][a-z0-9_]{0,62}$'),
  constraint audit_log_target_type_format check (target_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  constraint audit_log_actor_role_format check (actor_role ~ '^[a-z][a-z0-9_]{0,62}$'),
  constraint audit_log_before_object check (before is null or jsonb_typeof(before) = 'object'),
  constraint audit_log_after_object check (after is null or jsonb_typeof(after) = 'object'),
  constraint audit_log_details_object check (jsonb_typeof(details) = 'object')
);
comment on table public.audit_log is
  'Append-only record of admin actions, role changes and coach application decisions: who (actor_id, actor_role), '
  'when (occurred_at), which action, on what (target_type, target_id), the changed fields before and after. '
  'Admins read it; nobody updates or deletes a row (a trigger refuses it, for the owner too). Written by '
  'private.audit() only.';
comment on column public.audit_log.actor_id is 'User who acted (auth.uid()); null for the service role or a job. No foreign key: rows outlive users.';
comment on column public.audit_log.actor_role is
  'The actor''s platform role at the time (admin, coach, member), or service_role, or system (no JWT: jobs, migrations).';
comment on column public.audit_log.action is
  'What was done, e.g. user_role_changed, coach_application_decided, session_cancelled (lower-case word with underscores).';
comment on column public.audit_log.target_type is 'Kind of object acted on: user, coach_application, session, support_ticket, ...';
comment on column public.audit_log.target_id is 'Id of the object acted on (a user id for target_type user).';
comment on column public.audit_log.before is 'The fields the action changed, with their values before (null when the object was created).';
comment on column public.audit_log.after is 'The same fields after the action (null when the object was deleted).';
comment on column public.audit_log.details is 'Context of the action that is not a changed field (reason, session, applicant ...).';
alter table public.audit_log enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index audit_log_occurred_at_idx on public.audit_log (occurred_at desc);
create index audit_log_actor_id_idx on public.audit_log (actor_id, occurred_at desc);
create index audit_log_target_idx on public.audit_log (target_type, target_id, occurred_at desc);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: nobody has an insert grant on audit_log; every audited act writes through here.
-- Keeps only the fields that changed: keys whose values differ between before and after (all of
-- after for a creation, all of before for a deletion).
create function private.audit(action text, target_type text, target_id uuid,
                              before jsonb default null, after jsonb default null,
                              details jsonb default '{}'::jsonb)
returns bigint
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_jwt_role text := auth.role();
  v_actor_role text;
  v_before jsonb := audit.before;
  v_after jsonb := audit.after;
  v_id bigint;
begin
  if v_before is not null and v_after is not null then
    select jsonb_object_agg(b.key, b.value) into v_before
    from jsonb_each(audit.before) b
    where audit.after -> b.key is distinct from b.value;
    select jsonb_object_agg(a.key, a.value) into v_after
    from jsonb_each(audit.after) a
    where audit.before -> a.key is distinct from a.value;
    v_before := coalesce(v_before, '{}'::jsonb);
    v_after := coalesce(v_after, '{}'::jsonb);
  end if;
  v_actor_role := case
    when v_uid is not null then coalesce(private.current_app_role()::text, 'member')
    when v_jwt_role = 'service_role' then 'service_role'
    else 'system'
  end;
  insert into public.audit_log as l (actor_id, actor_role, action, target_type, target_id, before, after, details)
  values (v_uid, v_actor_role, audit.action, audit.target_type, audit.target_id, v_before, v_after,
          coalesce(audit.details, '{}'::jsonb))
  returning l.id into v_id;
  return v_id;
end;
$$;
comment on function private.audit(text, text, uuid, jsonb, jsonb, jsonb) is
  'Appends an audit_log row for the calling user (or service_role/system) and returns its id; before and after are '
  'reduced to the fields that differ. For backend code: security definer RPCs and triggers.';
revoke execute on function private.audit(text, text, uuid, jsonb, jsonb, jsonb) from public, anon, authenticated;
grant execute on function private.audit(text, text, uuid, jsonb, jsonb, jsonb) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.audit_log from public, anon, authenticated, service_role;
grant select on table public.audit_log to authenticated, service_role;
create policy "admins can read the audit log"
  on public.audit_log for select to authenticated
  using ((select private.is_admin()));
create policy "the service role can read the audit log"
  on public.audit_log for select to service_role
  using (true);

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Grants already keep every client role out; this refuses the owner too (postgres, migrations),
-- so an audit row cannot be changed through any RPC, whoever owns it.
create function private.audit_log_append_only()
returns trigger
language plpgsql set search_path = '' as $$
begin
  perform private.raise_error('forbidden', 'The audit log is append-only.',
    jsonb_build_object('table', 'audit_log', 'operation', lower(tg_op)));
  return null;
end;
$$;
comment on function private.audit_log_append_only() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on audit_log for everyone (forbidden). Internal.';
revoke execute on function private.audit_log_append_only() from public, anon, authenticated, service_role;
create trigger audit_log_no_update_or_delete
  before update or delete on public.audit_log
  for each row execute function private.audit_log_append_only();
create trigger audit_log_no_truncate
  before truncate on public.audit_log
  for each statement execute function private.audit_log_append_only();

-- Every change of a platform role is audited here, whichever path made it (set_user_role, an
-- approved coach application, the service role writing user_roles).
create function private.audit_user_role_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.audit('user_role_changed', 'user', new.user_id,
    jsonb_build_object('role', old.role), jsonb_build_object('role', new.role),
    jsonb_build_object('granted_by', new.granted_by));
  return null;
end;
$$;
comment on function private.audit_user_role_change() is
  'Trigger after a user_roles row''s role changes: appends user_role_changed to audit_log. Internal.';
revoke execute on function private.audit_user_role_change() from public, anon, authenticated, service_role;
create trigger user_roles_audit_role_change after update of role on public.user_roles
  for each row
  when (old.role is distinct from new.role)
  execute function private.audit_user_role_change();
