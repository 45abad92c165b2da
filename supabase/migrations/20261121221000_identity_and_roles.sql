-- Identity and roles: the platform role of each user (`user_roles`, only admins change it), the
-- public profile (`profiles`, created from signup metadata by a trigger on auth.users), coach
-- applications and their review, the custom access token hook that puts `user_role` in the JWT,
-- and the `private` helpers later features use in their policies
-- (`private.current_app_role()`, `private.is_admin()`, `private.is_coach_or_admin()`,
-- `private.is_valid_timezone(text)`).
-- Tables: public.user_roles, public.profiles, public.coach_applications (new); trigger on auth.users.

-- Types -------------------------------------------------------------------------------------------

create type public.app_role as enum ('admin', 'coach', 'member');
comment on type public.app_role is 'Platform role of a user. Every new user is a member; only admins change roles.';

create type public.coach_application_status as enum ('pending', 'approved', 'rejected');
comment on type public.coach_application_status is 'Lifecycle of a coach application: pending -> approved | rejected.';

-- Helper used by a CHECK constraint below, so it must exist before the tables ---------------------

-- SECURITY INVOKER: reads only the catalog view every role may read. Stable rather than immutable
-- because the set of names follows the server's tzdata.
create function private.is_valid_timezone(tz text)
returns boolean
language sql stable parallel safe set search_path = '' as $$
  select tz is not null
     and exists (select 1 from pg_catalog.pg_timezone_names n where n.name = tz)
$$;
comment on function private.is_valid_timezone(text) is
  'True when the argument is an IANA time zone name known to the server (pg_timezone_names).';
revoke execute on function private.is_valid_timezone(text) from public, anon;
-- CHECK constraints run with the writer's privileges, so every writing role needs it.
grant execute on function private.is_valid_timezone(text) to anon, authenticated, service_role;

-- Tables ------------------------------------------------------------------------------------------

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

-- Indexes -----------------------------------------------------------------------------------------

create index user_roles_granted_by_idx on public.user_roles (granted_by);
create index coach_applications_user_id_idx on public.coach_applications (user_id, created_at desc);
create index coach_applications_reviewed_by_idx on public.coach_applications (reviewed_by);
-- At most one pending application per user.
create unique index coach_applications_one_pending_per_user
  on public.coach_applications (user_id) where status = 'pending';
create index coach_applications_pending_idx on public.coach_applications (created_at) where status = 'pending';

-- Helper functions --------------------------------------------------------------------------------

-- Errors: every private.raise_error call below passes details built at run time. That kept
-- plpgsql_check clean while raise_error was immutable (a call with only constant arguments was
-- folded, and raised, at plan time); it is volatile now, and the details help clients anyway.

-- SECURITY DEFINER: policies of other tables call it, and the caller may not read user_roles rows
-- of their own through RLS in every context (e.g. inside another policy); postgres bypasses RLS,
-- so there is no policy recursion on user_roles.
create function private.current_app_role()
returns public.app_role
language sql stable security definer set search_path = '' as $$
  select case
    when (select auth.uid()) is null then null
    else coalesce(
      (select ur.role from public.user_roles ur where ur.user_id = (select auth.uid())),
      'member'::public.app_role)
  end
$$;
comment on function private.current_app_role() is
  'Platform role of the calling user (auth.uid()), member when no row exists, null when not signed in.';

create function private.is_admin()
returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce(private.current_app_role() = 'admin', false)
$$;
comment on function private.is_admin() is 'True when the calling user is an admin. For policies: (select private.is_admin()).';

create function private.is_coach_or_admin()
returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce(private.current_app_role() in ('coach', 'admin'), false)
$$;
comment on function private.is_coach_or_admin() is
  'True when the calling user is a coach or an admin. For policies: (select private.is_coach_or_admin()).';

revoke execute on function private.current_app_role() from public, anon;
revoke execute on function private.is_admin() from public, anon;
revoke execute on function private.is_coach_or_admin() from public, anon;
grant execute on function private.current_app_role() to authenticated, service_role;
grant execute on function private.is_admin() to authenticated, service_role;
grant execute on function private.is_coach_or_admin() to authenticated, service_role;

-- Trigger functions (defined here, attached at the end of the file).

-- Keeps updated_at current on every UPDATE; reusable by any table with that column.
create function private.set_updated_at()
returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function private.set_updated_at() is 'Trigger: sets updated_at to now() on update.';

-- Normalises the display name and derives the initials on every write, so a direct write of
-- initials (by service_role or postgres) is overwritten too.
create function private.profiles_derive_initials()
returns trigger
language plpgsql set search_path = '' as $$
declare
  v_words text[];
begin
  new.display_name := btrim(regexp_replace(new.display_name, '\s+', ' ', 'g'));
  v_words := regexp_split_to_array(new.display_name, ' ');
  new.initials := upper(left(coalesce(v_words[1], ''), 1) || left(coalesce(v_words[2], ''), 1));
  return new;
end;
$$;
comment on function private.profiles_derive_initials() is
  'Trigger: trims display_name and derives initials (first letters of up to two words, upper case).';

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

revoke execute on function private.set_updated_at() from public, anon;
revoke execute on function private.profiles_derive_initials() from public, anon;
revoke execute on function private.handle_new_user() from public, anon, authenticated;

-- Grants ------------------------------------------------------------------------------------------

revoke all on public.user_roles, public.profiles, public.coach_applications from public, anon, authenticated;

grant select on public.user_roles to authenticated;
grant select, insert, update, delete on public.user_roles to service_role;
-- The access token hook reads roles as supabase_auth_admin (PLATFORM.md, "Auth hooks").
grant usage on schema public to supabase_auth_admin;
grant select on public.user_roles to supabase_auth_admin;

grant select on public.profiles to authenticated;
-- Column grants: writing any other column (id, initials, created_at, updated_at) is a 42501 error.
grant update (display_name, avatar_url, company, title, bio, timezone, locale) on public.profiles to authenticated;
grant select, insert, update, delete on public.profiles to service_role;

grant select on public.coach_applications to authenticated;
grant select, insert, update, delete on public.coach_applications to service_role;

-- Policies ----------------------------------------------------------------------------------------

alter table public.user_roles enable row level security;
alter table public.profiles enable row level security;
alter table public.coach_applications enable row level security;

create policy "users can read their own role and admins can read every role"
  on public.user_roles for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

create policy "auth admin can read roles for the token hook"
  on public.user_roles for select to supabase_auth_admin
  using (true);

create policy "signed-in users can read every profile"
  on public.profiles for select to authenticated
  using (true);

create policy "users can update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "applicants read their own applications and admins read every application"
  on public.coach_applications for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

-- RPCs --------------------------------------------------------------------------------------------

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
grant execute on function public.apply_as_coach(text) to authenticated;

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

  -- Approval grants coach, but never demotes someone who became admin meanwhile.
  if review_coach_application.approve then
    insert into public.user_roles as ur (user_id, role, granted_by, updated_at)
    values (v_app.user_id, 'coach', v_uid, now())
    on conflict on constraint user_roles_pkey do update
      set role = excluded.role, granted_by = excluded.granted_by, updated_at = excluded.updated_at
      where ur.role = 'member';
  end if;
  return v_app;
end;
$$;
comment on function public.review_coach_application(uuid, boolean, text) is
  'Admins approve or reject a pending coach application, with an optional note the applicant reads; approval '
  'makes the applicant a coach. Returns the decided application. Errors: not_authenticated, forbidden, '
  'invalid_input, not_found, invalid_transition (already decided).';
revoke execute on function public.review_coach_application(uuid, boolean, text) from public, anon;
grant execute on function public.review_coach_application(uuid, boolean, text) to authenticated;

-- Custom access token hook. SECURITY INVOKER: supabase_auth_admin reads user_roles through its own
-- grant and policy. Adds user_role; every other claim is passed through unchanged.
create function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_role public.app_role;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
begin
  select ur.role into v_role
  from public.user_roles ur
  where ur.user_id = (event ->> 'user_id')::uuid;
  v_claims := v_claims || jsonb_build_object('user_role', coalesce(v_role, 'member'::public.app_role));
  return jsonb_set(event, '{claims}', v_claims);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is
  'Supabase Auth custom access token hook (config.toml [auth.hook.custom_access_token]): adds the claim user_role '
  '(from user_roles, default member) and keeps every other claim.';
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;

-- Triggers ----------------------------------------------------------------------------------------

create trigger profiles_derive_initials
  before insert or update on public.profiles
  for each row execute function private.profiles_derive_initials();

create trigger profiles_set_updated_at
  before update on public.profiles
  for each row execute function private.set_updated_at();

create trigger user_roles_set_updated_at
  before update on public.user_roles
  for each row execute function private.set_updated_at();

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();
