-- Identity and roles: the platform role of each user (`user_roles`, only admins change it), the
-- public profile (`profiles`, created from signup metadata by a trigger on auth.users), coach
-- applications and their review, the custom access token hook that puts `user_role` in the JWT,
-- and the role helpers later capabilities use in their policies (`private.current_app_role()`,
-- `private.is_admin()`, `private.is_coach_or_admin()`).
-- Tables: public.user_roles, public.profiles, public.coach_applications; a trigger on auth.users.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------

create type public.app_role as enum ('admin', 'coach', 'member');
comment on type public.app_role is 'Platform role of a user. Every new user is a member; only admins change roles.';

create type public.account_status as enum ('active', 'deactivated', 'deleted');
comment on type public.account_status is
  'Lifecycle of an account: active; deactivated by an admin (reads and writes refused, reactivate_user undoes it); '
  'deleted (personal data erased, public contributions kept as "Deleted user"; final).';

create type public.coach_application_status as enum ('pending', 'approved', 'rejected');
comment on type public.coach_application_status is 'Lifecycle of a coach application: pending -> approved | rejected.';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.user_roles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  role public.app_role not null default 'member',
  granted_by uuid null references auth.users (id) on delete set null,
  updated_at timestamptz not null default now()
);
comment on table public.user_roles is
  'Platform role per user (one row each, created at signup as member). Written only through set_user_role() '
  'and review_coach_application(); copied into the JWT as the claim user_role by custom_access_token_hook().';
comment on column public.user_roles.granted_by is 'Admin who last changed the role; null for the signup default or a service-role change.';
alter table public.user_roles enable row level security;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null,
  initials text not null default '',
  avatar_url text,
  company text,
  title text,
  bio text,
  timezone text not null default 'UTC',
  locale text not null default 'en',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Added after the baseline: last, where a migration adds columns.
  status public.account_status not null default 'active',
  status_changed_at timestamptz,
  last_seen_at timestamptz,
  constraint profiles_display_name_length check (char_length(btrim(display_name)) between 1 and 80),
  constraint profiles_avatar_url_length check (avatar_url is null or char_length(avatar_url) <= 2048),
  constraint profiles_company_length check (company is null or char_length(company) <= 120),
  constraint profiles_title_length check (title is null or char_length(title) <= 120),
  constraint profiles_bio_length check (bio is null or char_length(bio) <= 2000),
  constraint profiles_timezone_valid check (private.is_valid_timezone(timezone)),
  constraint profiles_locale_format check (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$')
);
comment on table public.profiles is
  'Public profile, one row per auth.users row, created at signup from the user metadata. Readable by signed-in '
  'users; a user updates only their own row and only display_name, avatar_url, company, title, bio, timezone, locale.';
comment on column public.profiles.display_name is 'Name shown to others, 1-80 characters, stored trimmed.';
comment on column public.profiles.initials is 'Derived from display_name by a trigger (first letters of up to two words, upper case); not writable.';
comment on column public.profiles.timezone is 'IANA time zone name (checked against pg_timezone_names), default UTC.';
comment on column public.profiles.locale is 'BCP 47 language tag, default en.';
comment on column public.profiles.status is
  'active, deactivated (deactivate_user) or deleted (delete_my_account, delete_user). Not writable by clients; in the JWT as account_status.';
comment on column public.profiles.status_changed_at is 'When status last changed; null for an account that was always active.';
comment on column public.profiles.last_seen_at is
  'Last write the user made (a booking, message, vote, heartbeat ...), updated at most once per 5 minutes.';
alter table public.profiles enable row level security;

create table public.coach_applications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  motivation text not null,
  status public.coach_application_status not null default 'pending',
  review_note text,
  reviewed_by uuid references auth.users (id) on delete set null,
  reviewed_at timestamptz,
  created_at timestamptz not null default now(),
  constraint coach_applications_motivation_length check (char_length(btrim(motivation)) between 20 and 2000),
  constraint coach_applications_review_note_length check (review_note is null or char_length(review_note) <= 2000),
  constraint coach_applications_reviewed_when_decided check ((status = 'pending') = (reviewed_at is null))
);
comment on table public.coach_applications is
  'A member''s request to become a coach. Created by apply_as_coach(), decided by review_coach_application(); '
  'the applicant reads the decision (status, review_note, reviewed_at) on their own row.';
comment on column public.coach_applications.review_note is 'Optional note from the reviewing admin, visible to the applicant.';
comment on column public.coach_applications.reviewed_by is 'Admin who decided; null while pending or after that admin was deleted.';
alter table public.coach_applications enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index user_roles_granted_by_idx on public.user_roles (granted_by);
create index coach_applications_user_id_idx on public.coach_applications (user_id, created_at desc);
create index coach_applications_reviewed_by_idx on public.coach_applications (reviewed_by);
-- At most one pending application per user.
create unique index coach_applications_one_pending_per_user
  on public.coach_applications (user_id) where status = 'pending';
create index coach_applications_pending_idx on public.coach_applications (created_at) where status = 'pending';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: policies of other tables call it, and the caller may not read user_roles rows
-- of their own through RLS in every context (e.g. inside another policy); postgres bypasses RLS,
-- so there is no policy recursion on user_roles.
create function private.current_app_role()
returns public.app_role
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_role public.app_role;
begin
  if v_uid is null then
    return null;
  end if;
  select ur.role into v_role from public.user_roles ur where ur.user_id = v_uid;
  return coalesce(v_role, 'member'::public.app_role);
end;
$$;
comment on function private.current_app_role() is
  'Platform role of the calling user (auth.uid()), member when no row exists, null when not signed in.';
revoke execute on function private.current_app_role() from public, anon;
grant execute on function private.current_app_role() to authenticated, service_role;

create function private.is_admin()
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return coalesce(private.current_app_role() = 'admin', false);
end;
$$;
comment on function private.is_admin() is 'True when the calling user is an admin. For policies: (select private.is_admin()).';
revoke execute on function private.is_admin() from public, anon;
grant execute on function private.is_admin() to authenticated, service_role;

-- SECURITY DEFINER: reads the caller's profile whatever its RLS (its own policies call this).
-- Raises account_deactivated (403) for a signed-in caller whose account is deactivated or deleted;
-- true otherwise (anon, service_role, jobs, active users). Used as `(select
-- private.account_read_guard())` in the restrictive read policies (85_account_lifecycle.sql), so
-- it runs once per statement (an initplan), and at the top of the security definer RPCs that read
-- (they bypass RLS).
create function private.account_read_guard()
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_status public.account_status;
begin
  select p.status into v_status from public.profiles p where p.id = (select auth.uid());
  if v_status is not null and v_status <> 'active' then
    perform private.raise_error('account_deactivated', 'This account is ' || v_status::text || '.',
      jsonb_build_object('account_status', v_status));
  end if;
  return true;
end;
$$;
comment on function private.account_read_guard() is
  'Raises account_deactivated (403) when the signed-in caller''s account is deactivated or deleted, else true. The '
  'restrictive read policy of every table users read and the reading security definer RPCs call it. Internal.';
revoke execute on function private.account_read_guard() from public, anon;
grant execute on function private.account_read_guard() to authenticated, service_role;

create function private.is_coach_or_admin()
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return coalesce(private.current_app_role() in ('coach', 'admin'), false);
end;
$$;
comment on function private.is_coach_or_admin() is
  'True when the calling user is a coach or an admin. For policies: (select private.is_coach_or_admin()).';
revoke execute on function private.is_coach_or_admin() from public, anon;
grant execute on function private.is_coach_or_admin() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.user_roles from public, anon, authenticated, service_role;
-- The access token hook reads roles as supabase_auth_admin (PLATFORM.md, "Auth hooks"). Locally
-- the schema grant is a no-op with a warning (the emulation's postgres does not own schema public).
grant usage on schema public to supabase_auth_admin;
grant select on table public.user_roles to authenticated, supabase_auth_admin;
grant all on table public.user_roles to service_role;
create policy "users can read their own role and admins can read every role"
  on public.user_roles for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
create policy "auth admin can read roles for the token hook"
  on public.user_roles for select to supabase_auth_admin
  using (true);

revoke all on table public.profiles from public, anon, authenticated, service_role;
grant select on table public.profiles to authenticated;
grant all on table public.profiles to service_role;
-- Column grants: writing any other column (id, initials, created_at, updated_at) is a 42501 error.
grant update (display_name, avatar_url, company, title, bio, timezone, locale) on table public.profiles to
  authenticated;
create policy "signed-in users can read every profile"
  on public.profiles for select to authenticated
  using (true);
create policy "users can update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
-- The access token hook reads the account status as supabase_auth_admin (PLATFORM.md, "Auth hooks").
grant select (id, status) on table public.profiles to supabase_auth_admin;
create policy "auth admin can read account status for the token hook"
  on public.profiles for select to supabase_auth_admin
  using (true);

revoke all on table public.coach_applications from public, anon, authenticated, service_role;
grant select on table public.coach_applications to authenticated;
grant all on table public.coach_applications to service_role;
create policy "applicants read their own applications and admins read every application"
  on public.coach_applications for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: nobody but the service role writes user_roles directly; the admin check is here.
create function public.set_user_role(user_id uuid, role public.app_role)
returns public.user_roles
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_is_service boolean := coalesce((select auth.role()) = 'service_role', false);
  v_current public.app_role;
  v_row public.user_roles;
begin
  if not v_is_service then
    if v_uid is null then
      perform private.raise_error('not_authenticated', 'Sign in to change roles.', jsonb_build_object('function', 'set_user_role'));
    end if;
    if not private.is_admin() then
      perform private.raise_error('forbidden', 'Only admins change roles.', jsonb_build_object('required_role', 'admin'));
    end if;
  end if;
  if set_user_role.role is null then
    perform private.raise_error('invalid_input', 'A role is required.', jsonb_build_object('field', 'role'));
  end if;
  if not exists (select 1 from auth.users u where u.id = set_user_role.user_id) then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_id', set_user_role.user_id));
  end if;

  select ur.role into v_current
  from public.user_roles ur where ur.user_id = set_user_role.user_id
  for update;
  -- Never leave the platform without an admin.
  if v_current = 'admin' and set_user_role.role <> 'admin'
     and not exists (select 1 from public.user_roles ur
                     where ur.role = 'admin' and ur.user_id <> set_user_role.user_id) then
    perform private.raise_error('conflict', 'The last admin cannot be demoted.', jsonb_build_object('user_id', set_user_role.user_id));
  end if;

  insert into public.user_roles as ur (user_id, role, granted_by, updated_at)
  values (set_user_role.user_id, set_user_role.role, v_uid, now())
  on conflict on constraint user_roles_pkey do update
    set role = excluded.role, granted_by = excluded.granted_by, updated_at = excluded.updated_at
  returning ur.* into v_row;
  return v_row;
end;
$$;
comment on function public.set_user_role(uuid, public.app_role) is
  'Admins (or the service role) set a user''s platform role; returns the user_roles row. Errors: not_authenticated, '
  'forbidden (not an admin), not_found (unknown user), conflict (demoting the last admin). The new role reaches '
  'the user''s JWT at their next token refresh.';
revoke execute on function public.set_user_role(uuid, public.app_role) from public, anon;
grant execute on function public.set_user_role(uuid, public.app_role) to authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on coach_applications.
create function public.apply_as_coach(motivation text)
returns public.coach_applications
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_motivation text := btrim(apply_as_coach.motivation);
  v_pending_id uuid;
  v_row public.coach_applications;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to apply.', jsonb_build_object('function', 'apply_as_coach'));
  end if;
  if private.current_app_role() <> 'member' then
    perform private.raise_error('forbidden', 'Only members apply to become coaches.',
      jsonb_build_object('role', private.current_app_role()));
  end if;
  if v_motivation is null or char_length(v_motivation) not between 20 and 2000 then
    perform private.raise_error('invalid_input', 'The motivation must be 20 to 2000 characters.',
      jsonb_build_object('field', 'motivation', 'min', 20, 'max', 2000));
  end if;
  select a.id into v_pending_id
  from public.coach_applications a where a.user_id = v_uid and a.status = 'pending';
  if v_pending_id is not null then
    perform private.raise_error('conflict', 'An application is already pending.',
      jsonb_build_object('application_id', v_pending_id));
  end if;
  begin
    insert into public.coach_applications as a (user_id, motivation)
    values (v_uid, v_motivation)
    returning a.* into v_row;
  exception when unique_violation then
    -- A concurrent call won the race for the one pending application.
    perform private.raise_error('conflict', 'An application is already pending.', jsonb_build_object('user_id', v_uid));
  end;
  return v_row;
end;
$$;
comment on function public.apply_as_coach(text) is
  'A member applies to become a coach; returns the pending application. Errors: not_authenticated, forbidden '
  '(already coach or admin), invalid_input (motivation not 20-2000 characters), conflict (one is already pending).';
revoke execute on function public.apply_as_coach(text) from public, anon;
grant execute on function public.apply_as_coach(text) to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on coach_applications nor on user_roles.
create function public.review_coach_application(application_id uuid, approve boolean, note text default null)
returns public.coach_applications
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_note text := nullif(btrim(review_coach_application.note), '');
  v_app public.coach_applications;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to review applications.',
      jsonb_build_object('function', 'review_coach_application'));
  end if;
  if not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins review coach applications.', jsonb_build_object('required_role', 'admin'));
  end if;
  if review_coach_application.approve is null then
    perform private.raise_error('invalid_input', 'Say whether to approve.', jsonb_build_object('field', 'approve'));
  end if;
  if char_length(v_note) > 2000 then
    perform private.raise_error('invalid_input', 'The note must be at most 2000 characters.',
      jsonb_build_object('field', 'note', 'max', 2000));
  end if;

  select a.* into v_app
  from public.coach_applications a where a.id = review_coach_application.application_id
  for update;
  if not found then
    perform private.raise_error('not_found', 'No such application.',
      jsonb_build_object('application_id', review_coach_application.application_id));
  end if;
  if v_app.status <> 'pending' then
    perform private.raise_error('invalid_transition', 'The application was already decided.',
      jsonb_build_object('status', v_app.status));
  end if;

  update public.coach_applications a
     set status = case when review_coach_application.approve then 'approved' else 'rejected' end::public.coach_application_status,
         review_note = v_note,
         reviewed_by = v_uid,
         reviewed_at = now()
   where a.id = v_app.id
  returning a.* into v_app;

  -- Approval grants coach, but never demotes someone who became admin meanwhile (the role change
  -- is audited by the user_roles trigger).
  if review_coach_application.approve then
    insert into public.user_roles as ur (user_id, role, granted_by, updated_at)
    values (v_app.user_id, 'coach', v_uid, now())
    on conflict on constraint user_roles_pkey do update
      set role = excluded.role, granted_by = excluded.granted_by, updated_at = excluded.updated_at
      where ur.role = 'member';
  end if;

  perform private.audit('coach_application_decided', 'coach_application', v_app.id,
    jsonb_build_object('status', 'pending', 'review_note', null),
    jsonb_build_object('status', v_app.status, 'review_note', v_app.review_note),
    jsonb_build_object('applicant_id', v_app.user_id));
  perform private.notify(v_app.user_id, 'coach_application_decided',
    case when review_coach_application.approve then 'Your coach application was approved'
         else 'Your coach application was not approved' end,
    v_app.review_note, '/coach-application',
    jsonb_build_object('application_id', v_app.id, 'status', v_app.status));
  return v_app;
end;
$$;
comment on function public.review_coach_application(uuid, boolean, text) is
  'Admins approve or reject a pending coach application, with an optional note the applicant reads; approval '
  'makes the applicant a coach. The decision is audited (audit_log: coach_application_decided) and the applicant '
  'notified (kind coach_application_decided, data {application_id, status}, body = the note). Returns the decided '
  'application. Errors: not_authenticated, forbidden, invalid_input, not_found, invalid_transition (already decided).';
revoke execute on function public.review_coach_application(uuid, boolean, text) from public, anon;
grant execute on function public.review_coach_application(uuid, boolean, text) to authenticated, service_role;

-- Custom access token hook. SECURITY INVOKER: supabase_auth_admin reads user_roles through its own
-- grant and policy. Adds user_role; every other claim is passed through unchanged.
create function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_role public.app_role;
  v_status public.account_status;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
begin
  select ur.role into v_role
  from public.user_roles ur
  where ur.user_id = (event ->> 'user_id')::uuid;
  select p.status into v_status
  from public.profiles p
  where p.id = (event ->> 'user_id')::uuid;
  v_claims := v_claims || jsonb_build_object('user_role', coalesce(v_role, 'member'::public.app_role),
                                             'account_status', coalesce(v_status, 'active'::public.account_status));
  return jsonb_set(event, '{claims}', v_claims);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is
  'Supabase Auth custom access token hook (config.toml [auth.hook.custom_access_token]): adds the claims user_role '
  '(from user_roles, default member) and account_status (profiles.status: active, deactivated, deleted; default '
  'active) and keeps every other claim.';
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant execute on function public.custom_access_token_hook(jsonb) to service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger profiles_set_updated_at
  before update on public.profiles
  for each row execute function private.set_updated_at();
create trigger user_roles_set_updated_at
  before update on public.user_roles
  for each row execute function private.set_updated_at();

-- Normalises the display name and derives the initials on every write, so a direct write of
-- initials (by service_role or postgres) is overwritten too. Every Unicode space collapses to one
-- space and private.clean_text trims the ends (zero-width and direction marks too): a name of
-- zero-width or no-break spaces is empty, and the length check (1 to 80 characters) refuses it.
create function private.profiles_derive_initials()
returns trigger
language plpgsql set search_path = '' as $$
declare
  v_words text[];
begin
  new.display_name := private.clean_text(
    regexp_replace(new.display_name, '[[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'));
  v_words := regexp_split_to_array(new.display_name, ' ');
  new.initials := upper(left(coalesce(v_words[1], ''), 1) || left(coalesce(v_words[2], ''), 1));
  return new;
end;
$$;
comment on function private.profiles_derive_initials() is
  'Trigger: trims display_name and derives initials (first letters of up to two words, upper case).';
revoke execute on function private.profiles_derive_initials() from public, anon, authenticated, service_role;
create trigger profiles_derive_initials
  before insert or update on public.profiles
  for each row execute function private.profiles_derive_initials();

-- SECURITY DEFINER: runs as the owner when Supabase Auth (supabase_auth_admin, which has no rights
-- on public tables) inserts into auth.users. Sanitises the metadata so that a signup never fails here.
create function private.handle_new_user()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_meta jsonb := case when jsonb_typeof(new.raw_user_meta_data) = 'object' then new.raw_user_meta_data else '{}'::jsonb end;
  v_name text;
  v_company text;
  v_title text;
  v_timezone text;
  v_locale text;
begin
  v_name := coalesce(
    nullif(btrim(v_meta ->> 'display_name'), ''),
    nullif(btrim(v_meta ->> 'full_name'), ''),
    nullif(btrim(v_meta ->> 'name'), ''),
    nullif(btrim(split_part(coalesce(new.email, ''), '@', 1)), ''),
    'Member');
  v_name := btrim(left(btrim(regexp_replace(v_name, '\s+', ' ', 'g')), 80));
  v_company := nullif(btrim(left(btrim(v_meta ->> 'company'), 120)), '');
  v_title := nullif(btrim(left(btrim(v_meta ->> 'title'), 120)), '');
  v_timezone := coalesce(btrim(v_meta ->> 'timezone'), 'UTC');
  if not private.is_valid_timezone(v_timezone) then
    v_timezone := 'UTC';
  end if;
  v_locale := coalesce(btrim(v_meta ->> 'locale'), 'en');
  if v_locale !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' then
    v_locale := 'en';
  end if;

  insert into public.profiles (id, display_name, company, title, timezone, locale)
  values (new.id, v_name, v_company, v_title, v_timezone, v_locale)
  on conflict (id) do nothing;
  insert into public.user_roles (user_id, role)
  values (new.id, 'member')
  on conflict (user_id) do nothing;
  return new;
end;
$$;
comment on function private.handle_new_user() is
  'Trigger on auth.users: creates the profile (display_name, else full_name/name, else the email''s local part; '
  'company, title, timezone falling back to UTC, locale) and the member role.';
revoke execute on function private.handle_new_user() from public, anon, authenticated, service_role;
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();

-- set_user_role checks that another admin exists, but it locks only the target's row: two admins
-- demoting each other at the same moment would both pass. After an admin's role changes (through
-- set_user_role, or service_role updating several rows at once), this trigger takes one
-- platform-wide advisory lock, held to commit, and checks with a snapshot taken after the lock that
-- an admin remains: the second demotion waits for the first and then answers conflict (409).
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
revoke execute on function private.user_roles_keep_an_admin() from public, anon, authenticated, service_role;
create trigger user_roles_keep_an_admin after update of role on public.user_roles
  for each row
  when (old.role = 'admin' and new.role <> 'admin')
  execute function private.user_roles_keep_an_admin();
