-- Baseline: the whole database as the 42 migrations of 20261121220000 to 20261122048000 had built it,
-- in one migration that replaces them (the project had never been deployed). It is the text of
-- supabase/schemas/*.sql at commit af4dc93, in filename order, including what a schema diff does
-- not see: the time zone names (private.time_zones), the pg_cron jobs and the policies on
-- realtime.messages. Equality with the old migrations was proven by scripts/schema-check.sh
-- --history 1d308fe (schema, policies, grants, comments, cron jobs, seed result).
--
-- Never edit this file: change supabase/schemas and add a migration (README, "Changing the database").

-- =============================================================================================
-- supabase/schemas/00_foundation.sql
-- =============================================================================================

-- Foundations: the `private` schema for helpers that policies and RPCs use, the project-wide
-- privilege baseline, the one error helper every RPC raises through, and the small helpers every
-- capability shares (time zone names, updated_at, clean user text).
-- Tables: private.time_zones.

create schema if not exists private;
comment on schema private is 'Helpers for policies and RPCs. Not exposed through the Data API.';
revoke all on schema private from public;
grant usage on schema private to authenticated, anon, service_role;

-- Start from nothing: functions created by postgres from now on are not executable by PUBLIC
-- (the per-schema form cannot revoke; see PLATFORM.md). Each function is granted explicitly.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- private.is_valid_timezone() backs CHECK constraints on profiles and sessions and runs in the
-- signup trigger, but reading pg_timezone_names parses the whole tzdata directory (about 50 ms per
-- call), which made every signup slow. The names live in this indexed table instead, filled from
-- pg_timezone_names once; private.refresh_time_zones() reloads it after a server tzdata upgrade.
create table private.time_zones (
  name text primary key
);
comment on table private.time_zones is
  'IANA time zone names known to the server (a snapshot of pg_timezone_names, reloaded by private.refresh_time_zones()).';

-- Data, not schema: `supabase db diff` does not see it (the baseline migration has it).
insert into private.time_zones (name) select n.name from pg_catalog.pg_timezone_names n on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- HTTP status of each API error code (API.md, "Errors").
create function private.error_status(code text)
returns int
language sql immutable set search_path = '' as $$
  select case code
    when 'invalid_input' then 400
    when 'not_authenticated' then 401
    when 'forbidden' then 403
    when 'banned' then 403
    when 'chat_disabled' then 403
    when 'not_found' then 404
    when 'already_booked' then 409
    when 'already_voted' then 409
    when 'already_upvoted' then 409
    when 'already_responded' then 409
    when 'reminder_exists' then 409
    when 'invalid_transition' then 409
    when 'poll_not_open' then 409
    when 'session_full' then 409
    when 'conflict' then 409
    when 'rate_limited' then 429
    when 'slow_mode' then 429
    else 500
  end
$$;
comment on function private.error_status(text) is 'HTTP status for an API error code, as listed in API.md.';
revoke execute on function private.error_status(text) from public;
grant execute on function private.error_status(text) to anon, authenticated, service_role;

-- Raises the error in the format PostgREST turns into an HTTP answer: sqlstate PGRST, MESSAGE a JSON
-- object with code/message/details/hint, DETAIL a JSON object with the status and string headers.
-- Every private.raise_error call passes details built at run time: that kept plpgsql_check clean
-- while raise_error was immutable (a call with only constant arguments was folded, and raised, at
-- plan time); it is volatile now, and the details help clients anyway.
create function private.raise_error(
  code text,
  message text,
  details jsonb default null,
  retry_after_seconds int default null
) returns void
language plpgsql volatile set search_path = '' as $$
declare
  v_headers jsonb := '{}'::jsonb;
begin
  if retry_after_seconds is not null then
    v_headers := jsonb_build_object('Retry-After', greatest(retry_after_seconds, 1)::text);
  end if;
  if code = 'not_authenticated' then
    v_headers := v_headers || jsonb_build_object('WWW-Authenticate', 'Bearer');
  end if;
  raise sqlstate 'PGRST' using
    message = jsonb_build_object('code', code, 'message', message, 'details', details, 'hint', null)::text,
    detail = jsonb_build_object('status', private.error_status(code), 'headers', v_headers)::text;
end;
$$;
comment on function private.raise_error(text, text, jsonb, int) is
  'Raises an API error (sqlstate PGRST) that PostgREST and the Edge Functions answer with the status of its code.';
revoke execute on function private.raise_error(text, text, jsonb, int) from public;
grant execute on function private.raise_error(text, text, jsonb, int) to anon, authenticated, service_role;

-- SECURITY INVOKER: reads only private.time_zones, which every role may read. Stable rather than
-- immutable because the set of names follows the server's tzdata.
create function private.is_valid_timezone(tz text)
returns boolean
language sql stable parallel safe set search_path = '' as $$
  select tz is not null and exists (select 1 from private.time_zones z where z.name = tz)
$$;
comment on function private.is_valid_timezone(text) is
  'True when the argument is an IANA time zone name known to the server (private.time_zones).';
revoke execute on function private.is_valid_timezone(text) from public;
-- CHECK constraints run with the writer's privileges, so every writing role needs it.
grant execute on function private.is_valid_timezone(text) to anon, authenticated, service_role;

create function private.refresh_time_zones()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_added int;
begin
  insert into private.time_zones (name)
  select n.name from pg_catalog.pg_timezone_names n
  on conflict do nothing;
  get diagnostics v_added = row_count;
  return v_added;
end;
$$;
comment on function private.refresh_time_zones() is
  'Adds the time zone names of the server''s current tzdata to private.time_zones; returns how many were new.';
revoke execute on function private.refresh_time_zones() from public, anon, authenticated;
grant execute on function private.refresh_time_zones() to service_role;

-- btrim() removes only the ASCII space: a chat message of newlines and tabs, no-break spaces
-- (U+00A0), zero-width spaces (U+200B) or ideographic spaces (U+3000) would pass a length check and
-- reach the whole audience as an empty bubble. This trims every kind of blank from both ends.
create function private.clean_text(value text)
returns text
language sql immutable parallel safe set search_path = '' as $$
  select pg_catalog.regexp_replace(value,
    '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+$',
    '', 'g')
$$;
comment on function private.clean_text(text) is
  'The text without leading and trailing whitespace of any kind: ASCII and Unicode spaces, line breaks, tabs, '
  'zero-width and direction marks, the byte order mark. Null stays null.';
revoke execute on function private.clean_text(text) from public, anon;
grant execute on function private.clean_text(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

-- CHECK constraints run with the writer's privileges: every writing role reads the names.
revoke all on table private.time_zones from public, anon, authenticated, service_role;
grant select on table private.time_zones to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions (attached to the tables of later files)
-- ---------------------------------------------------------------------------------------------

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
revoke execute on function private.set_updated_at() from public, anon, authenticated, service_role;

-- Stores user text cleaned (chat_messages, direct_messages, questions: body; conversations: title),
-- refusing an empty body with invalid_input (400) like the RPCs' own length check.
-- Security definer not needed: it only rewrites the row being written.
create function private.clean_body()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_table_name = 'conversations' then
    new.title := nullif(private.clean_text(new.title), '');
    return new;
  end if;
  new.body := private.clean_text(new.body);
  if new.body = '' then
    perform private.raise_error('invalid_input', 'The text is empty.', jsonb_build_object('field', 'body'));
  end if;
  return new;
end;
$$;
comment on function private.clean_body() is
  'Trigger before writing user text: trims body (chat_messages, direct_messages, questions) with private.clean_text and '
  'refuses it when nothing is left (invalid_input); a blank conversations.title becomes null. Internal.';
revoke execute on function private.clean_body() from public, anon, authenticated, service_role;

-- =============================================================================================
-- supabase/schemas/10_identity.sql
-- =============================================================================================

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
grant execute on function public.review_coach_application(uuid, boolean, text) to authenticated, service_role;

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

-- =============================================================================================
-- supabase/schemas/20_sessions.sql
-- =============================================================================================

-- Sessions catalogue and membership: programs, events, live sessions with their staff, streams and
-- breakout rooms (the room RPCs are in 53_rooms.sql), bans, the session lifecycle RPCs with their
-- `session_status` broadcast, and the membership helpers every later capability uses in its
-- policies and RPCs: who is staff, who is a member (staff, confirmed bookings, signed-in users who
-- joined a public session), who may see a session, who is banned.
-- Tables: programs, events, sessions, session_staff, streams, rooms, room_assignments, session_bans.
--
-- The membership helpers read tables defined in later files (bookings: 30_booking.sql,
-- attendance_intervals: 32_attendance.sql). They are PL/pgSQL, which resolves names when it runs.
-- The catalogue's card view, session_cards, sums up booking, reminders, attendance and bans: it is
-- defined after them, in 45_session_cards.sql.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.programs (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  status text not null default 'draft',
  is_on_demand boolean not null default false,
  replay_video_id text,
  thumbnail_url text,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint programs_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint programs_description_length check (description is null or char_length(description) <= 5000),
  constraint programs_status_valid check (status in ('draft', 'live', 'ended')),
  constraint programs_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$')
);
comment on table public.programs is
  'A container of sessions (course, cohort, conference). Coaches and admins create; the creator or an admin edits.';
comment on column public.programs.status is 'draft (visible to its creator and admins only), live or ended.';
comment on column public.programs.is_on_demand is 'True when the program is also offered as replays (see replay_video_id).';
comment on column public.programs.replay_video_id is 'Video id of the on-demand replay at the video provider.';
comment on column public.programs.created_by is 'The creating user, set from auth.uid(); clients cannot write it.';
alter table public.programs enable row level security;

create table public.events (
  id uuid primary key default gen_random_uuid(),
  program_id uuid not null references public.programs (id) on delete cascade,
  title text not null,
  slug text not null,
  description text,
  status text not null default 'draft',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint events_slug_key unique (slug),
  -- Target of the sessions (event_id, program_id) foreign key: a session's event is in its program.
  constraint events_id_program_id_key unique (id, program_id),
  constraint events_title_length check (char_length(btrim(title)) between 1 and 200),
  constraint events_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 100),
  constraint events_status_valid check (status in ('draft', 'live', 'ended')),
  constraint events_time_order check (ends_at > starts_at)
);
comment on table public.events is 'A dated event (conference day, cohort week) inside a program, addressed by its unique slug.';
comment on column public.events.slug is 'URL name: lower-case words of letters and digits joined by single hyphens.';
comment on column public.events.status is 'draft (visible to its creator and admins only), live or ended.';
alter table public.events enable row level security;

create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  program_id uuid references public.programs (id) on delete restrict,
  event_id uuid,
  title text not null,
  description text,
  topic text,
  phase int,
  starts_at timestamptz not null,
  duration_minutes int not null default 60,
  timezone text not null default 'UTC',
  status text not null default 'draft',
  visibility text not null default 'public',
  capacity int,
  waitlist_enabled boolean not null default false,
  price_cents int not null default 0,
  currency text not null default 'EUR',
  meeting_url text,
  meeting_password text,
  replay_url text,
  thumbnail_url text,
  chat_enabled boolean not null default true,
  slow_mode_seconds int not null default 0,
  chat_rate_limit int not null default 5,
  qa_moderation boolean not null default false,
  allow_anonymous_questions boolean not null default true,
  sequence int not null default 0,
  cancel_reason text,
  started_at timestamptz,
  ended_at timestamptz,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Deleting an event detaches its sessions (they stay in the program).
  constraint sessions_event_in_program foreign key (event_id, program_id)
    references public.events (id, program_id) on delete set null (event_id),
  constraint sessions_event_needs_program check (event_id is null or program_id is not null),
  constraint sessions_title_length check (char_length(btrim(title)) between 1 and 200),
  constraint sessions_description_length check (description is null or char_length(description) <= 10000),
  constraint sessions_topic_length check (topic is null or char_length(topic) <= 200),
  constraint sessions_phase_range check (phase is null or phase between 1 and 4),
  constraint sessions_duration_range check (duration_minutes between 5 and 600),
  constraint sessions_timezone_valid check (private.is_valid_timezone(timezone)),
  constraint sessions_status_valid check (status in ('draft', 'scheduled', 'live', 'ended', 'cancelled')),
  constraint sessions_visibility_valid check (visibility in ('public', 'members', 'private')),
  constraint sessions_capacity_positive check (capacity is null or capacity > 0),
  constraint sessions_price_not_negative check (price_cents >= 0),
  constraint sessions_currency_format check (currency ~ '^[A-Z]{3}$'),
  constraint sessions_meeting_url_https check (meeting_url is null or meeting_url ~ '^https://\S+$'),
  constraint sessions_replay_url_https check (replay_url is null or replay_url ~ '^https://\S+$'),
  constraint sessions_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$'),
  constraint sessions_slow_mode_range check (slow_mode_seconds between 0 and 3600),
  constraint sessions_chat_rate_limit_positive check (chat_rate_limit > 0),
  constraint sessions_sequence_not_negative check (sequence >= 0),
  constraint sessions_cancel_reason_only_cancelled check (cancel_reason is null or (status = 'cancelled' and char_length(cancel_reason) <= 500)),
  constraint sessions_live_has_started_at check (status not in ('live', 'ended') or started_at is not null),
  constraint sessions_ended_has_ended_at check (status <> 'ended' or ended_at is not null),
  constraint sessions_ended_after_started check (ended_at is null or (started_at is not null and ended_at >= started_at))
);
comment on table public.sessions is
  'A live session. Coaches and admins create (the creator becomes its host); hosts edit the editable columns and '
  'move it through its lifecycle with publish_session/start_session/end_session/cancel_session/reschedule_session. '
  'meeting_url and meeting_password are not selectable by clients: list columns explicitly (no select=*) and use '
  'session_meeting_details(session_id).';
comment on column public.sessions.event_id is 'Optional event; it must belong to the session''s program (composite foreign key).';
comment on column public.sessions.phase is 'Curriculum phase 1-4 inside the program, or null.';
comment on column public.sessions.timezone is 'IANA time zone for display and calendar files; starts_at itself is absolute.';
comment on column public.sessions.status is
  'draft -> scheduled -> live -> ended; scheduled/live -> cancelled. Changed only through the lifecycle RPCs.';
comment on column public.sessions.visibility is
  'public: anyone (anon included) once published; members: signed-in users once published; private: staff and booked users only.';
comment on column public.sessions.capacity is 'Maximum confirmed bookings; null = unlimited.';
comment on column public.sessions.price_cents is 'Price in the minor unit of currency; 0 = free.';
comment on column public.sessions.meeting_url is 'Join link. Readable only by staff and confirmed bookings, through session_meeting_details().';
comment on column public.sessions.meeting_password is 'Join password. Readable only by staff and confirmed bookings, through session_meeting_details().';
comment on column public.sessions.slow_mode_seconds is 'Minimum seconds between two chat messages of one user; 0 = off.';
comment on column public.sessions.chat_rate_limit is 'Maximum chat messages per user per minute.';
comment on column public.sessions.qa_moderation is 'When true, new questions are pending until staff publish them.';
comment on column public.sessions.sequence is 'Calendar (iCalendar SEQUENCE) revision, bumped by every lifecycle RPC.';
comment on column public.sessions.cancel_reason is 'Reason given to cancel_session; null unless cancelled.';
comment on column public.sessions.started_at is 'When start_session ran.';
comment on column public.sessions.created_by is 'The creating coach or admin, set from auth.uid(); clients cannot write it.';
comment on column public.sessions.ended_at is 'When the live session ended: end_session, or cancel_session while it was live.';
alter table public.sessions enable row level security;

create table public.session_staff (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null,
  created_at timestamptz not null default now(),
  primary key (session_id, user_id),
  constraint session_staff_role_valid check (role in ('host', 'moderator', 'speaker'))
);
comment on table public.session_staff is
  'Per-session staff. Written only by the session''s creation (creator = host) and by add_session_staff/remove_session_staff.';
comment on column public.session_staff.role is 'host (edits the session, manages staff), moderator (moderates chat and Q&A) or speaker.';
alter table public.session_staff enable row level security;

create table public.streams (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  source_type text not null,
  source_url text not null,
  status text not null default 'idle',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint streams_source_type_valid check (source_type in ('youtube', 'rtmp', 'hls', 'jitsi')),
  constraint streams_source_url_matches_type check (case source_type
    when 'youtube' then source_url ~ '^https://((www|m)\.)?(youtube\.com|youtu\.be)/\S*$'
    when 'rtmp' then source_url ~ '^rtmps?://[^/\s]+(/\S*)?$'
    when 'hls' then source_url ~ '^https://[^/\s]+/\S*\.m3u8(\?\S*)?$'
    when 'jitsi' then source_url ~ '^https://[^/\s]+/\S+$'
  end),
  constraint streams_status_valid check (status in ('idle', 'live', 'ended'))
);
comment on table public.streams is
  'Video sources of a session. Readable by members of the session (rtmp ingest URLs by staff only); written by hosts.';
comment on column public.streams.source_url is
  'youtube: https://(www.)youtube.com or youtu.be; rtmp: rtmp(s)://host/... (ingest, staff only); hls: https://.../*.m3u8; jitsi: https://host/room.';
alter table public.streams enable row level security;

create table public.rooms (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  name text not null,
  topic text,
  speaker text,
  thumbnail_url text,
  is_main_stage boolean not null default false,
  capacity int,
  closes_at timestamptz,
  status text not null default 'open',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  self_select boolean not null default false,
  constraint rooms_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint rooms_capacity_positive check (capacity is null or capacity > 0),
  constraint rooms_status_valid check (status in ('open', 'closed')),
  constraint rooms_thumbnail_url_https check (thumbnail_url is null or thumbnail_url ~ '^https://\S+$')
);
comment on table public.rooms is 'Breakout rooms of a session (at most one main stage). Readable with the session; written by hosts.';
comment on column public.rooms.speaker is 'Display name of the room''s speaker, free text.';
comment on column public.rooms.closes_at is 'When the room is planned to close; status says whether it is open now.';
comment on column public.rooms.self_select is
  'When true, members may join this open room themselves with join_room while it has capacity left (added by the live-room migration).';
alter table public.rooms enable row level security;

create table public.room_assignments (
  room_id uuid not null references public.rooms (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  joined_at timestamptz,
  primary key (room_id, user_id)
);
comment on table public.room_assignments is
  'Who is assigned to which breakout room. Users read their own; hosts and moderators of the session read and write.';
comment on column public.room_assignments.joined_at is 'When the user entered the room with join_room (added by the live-room migration).';
alter table public.room_assignments enable row level security;

-- Bans are part of membership: a banned user can no longer book, join, read the chat, ask, vote,
-- answer surveys or enter rooms of the session. How each capability reacts to a new ban lives with
-- it (40_chat.sql: queued messages; 53_rooms.sql: room seats).
create table public.session_bans (
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  reason text,
  banned_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint session_bans_pkey primary key (session_id, user_id),
  constraint session_bans_reason_length check (reason is null or char_length(reason) between 1 and 500)
);
comment on table public.session_bans is
  'Users banned from a session by its hosts or moderators (ban_user / unban_user). A banned user can no longer '
  'post, ask, vote, read the chat nor receive the session''s broadcasts. Staff cannot be banned.';
comment on column public.session_bans.reason is 'Optional reason given by the moderator (1-500 characters), shown to staff and to the banned user.';
comment on column public.session_bans.banned_by is 'Host or moderator who banned; null once that account is deleted.';
alter table public.session_bans enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index programs_created_by_idx on public.programs (created_by);
create index events_program_id_idx on public.events (program_id);
create index events_created_by_idx on public.events (created_by);
create index sessions_program_id_idx on public.sessions (program_id);
create index sessions_event_id_program_id_idx on public.sessions (event_id, program_id);
create index sessions_created_by_idx on public.sessions (created_by);
create index sessions_starts_at_idx on public.sessions (starts_at);
create index sessions_status_visibility_idx on public.sessions (status, visibility);
create index session_staff_user_id_idx on public.session_staff (user_id);
create index streams_session_id_idx on public.streams (session_id);
create index rooms_session_id_idx on public.rooms (session_id);
create unique index rooms_one_main_stage_per_session on public.rooms (session_id) where is_main_stage;
create index room_assignments_user_id_idx on public.room_assignments (user_id);
-- session_bans: (session_id, user_id) is the primary key.
create index session_bans_user_id_idx on public.session_bans (user_id);
create index session_bans_banned_by_idx on public.session_bans (banned_by);
create index rooms_session_id_status_idx on public.rooms (session_id, status) where status = 'open';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Membership and role helpers are called by every policy, RPC and broadcast, so they are PL/pgSQL
-- (security definer: they read session_staff, bookings, attendance and sessions across RLS, so that
-- policies stay simple and do not recurse). A LANGUAGE sql function with a SET clause (here
-- `set search_path = ''`, required for security definer functions) is never inlined, and its query
-- is parsed and planned again on every call; PL/pgSQL caches each statement's plan for the session.
-- Measured on the 2-core dev machine: book_session 0.80 -> ~0.2 ms per call, send_chat_message
-- 0.80 -> ~0.3 ms (private.my_session_ids() alone was 0.42 ms as SQL).

create function private.is_session_staff(session_id uuid, roles text[] default null)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return exists (
    select 1 from public.session_staff st
    where st.session_id = is_session_staff.session_id
      and st.user_id = auth.uid()
      and (is_session_staff.roles is null or st.role = any (is_session_staff.roles)));
end;
$$;
comment on function private.is_session_staff(uuid, text[]) is
  'True when auth.uid() is staff of the session (with one of roles, when given). Security definer: reads session_staff across RLS.';
revoke execute on function private.is_session_staff(uuid, text[]) from public, anon;
grant execute on function private.is_session_staff(uuid, text[]) to authenticated, service_role;

create function private.is_session_host(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return private.is_session_staff(is_session_host.session_id, array['host']);
end;
$$;
comment on function private.is_session_host(uuid) is 'True when auth.uid() hosts the session. Security definer: reads session_staff across RLS.';
revoke execute on function private.is_session_host(uuid) from public, anon;
grant execute on function private.is_session_host(uuid) to authenticated, service_role;

create function private.staff_session_ids(roles text[] default null)
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select st.session_id from public.session_staff st
    where st.user_id = auth.uid()
      and (staff_session_ids.roles is null or st.role = any (staff_session_ids.roles));
end;
$$;
comment on function private.staff_session_ids(text[]) is
  'Sessions where auth.uid() is staff (with one of roles, when given). For policies: session_id in (select private.staff_session_ids()). '
  'Security definer: reads session_staff across RLS.';
revoke execute on function private.staff_session_ids(text[]) from public, anon;
grant execute on function private.staff_session_ids(text[]) to authenticated, service_role;

-- The members of a session: its staff, holders of a confirmed booking, and, for a public session,
-- signed-in users who joined it (API.md: "for a public session anyone signed in who has joined it").
create function private.my_session_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select st.session_id from public.session_staff st where st.user_id = v_uid
    union
    select b.session_id from public.bookings b where b.user_id = v_uid and b.status = 'confirmed'
    union
    select a.session_id from public.attendance_intervals a
    join public.sessions s on s.id = a.session_id
    where a.user_id = v_uid and s.visibility = 'public';
end;
$$;
comment on function private.my_session_ids() is
  'Sessions auth.uid() is a member of: staff, holder of a confirmed booking, or (public sessions) joined it once. '
  'Security definer: reads staff, bookings and attendance across RLS. Redefined by the booking migration.';
revoke execute on function private.my_session_ids() from public, anon;
grant execute on function private.my_session_ids() to authenticated, service_role;

create function private.visible_session_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_admin boolean;
begin
  if v_uid is null then
    return;
  end if;
  v_admin := private.is_admin();
  return query
    select s.id from public.sessions s
    where (s.status <> 'draft' and s.visibility <> 'private')
       or v_admin
       or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = v_uid)
       or (s.status <> 'draft' and exists (
         select 1 from public.bookings b
         where b.session_id = s.id and b.user_id = v_uid and b.status <> 'cancelled'));
end;
$$;
comment on function private.visible_session_ids() is
  'Sessions a signed-in auth.uid() may read: published public/members ones, every one they staff, published ones they hold an '
  'active booking for, and all of them for admins. The sessions SELECT policy for authenticated. Security definer: reads '
  'sessions, staff and bookings across RLS.';
revoke execute on function private.visible_session_ids() from public, anon;
grant execute on function private.visible_session_ids() to authenticated, service_role;

-- Locks a session for a lifecycle change by its host. Only called from security definer RPCs.
create function private.session_for_host(session_id uuid)
returns public.sessions
language plpgsql volatile set search_path = '' as $$
declare
  v_session public.sessions;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_for_host.session_id));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_for_host.session_id for update;
  if v_session.id is null
     or v_session.id not in (select v.id from private.visible_session_ids() as v (id)) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_for_host.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only a host of the session can do this.', jsonb_build_object('session_id', v_session.id));
  end if;
  return v_session;
end;
$$;
comment on function private.session_for_host(uuid) is
  'Locks and returns a session for a change by its host: not_authenticated, not_found (invisible) or forbidden (not host).';
revoke execute on function private.session_for_host(uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: policies and RPCs of other tables (questions, polls, realtime.messages) ask
-- whether someone is banned, and the caller may not read that ban row through RLS. Booking,
-- joining and reminders refuse banned users.
create function private.is_banned(session_id uuid, user_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
begin
  return exists (
    select 1 from public.session_bans b
    where b.session_id = is_banned.session_id and b.user_id = is_banned.user_id);
end;
$$;
comment on function private.is_banned(uuid, uuid) is
  'True when the user is banned from the session (public.session_bans).';
revoke execute on function private.is_banned(uuid, uuid) from public, anon;
grant execute on function private.is_banned(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads session_staff and bookings across RLS. The single-session form of the
-- catalogue's private.visible_session_ids() (the same rule, tested for equality in 30_booking):
-- that one lists every visible session, which costs a scan of all sessions per call.
create function private.can_see_session(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return v_uid is not null and exists (
    select 1 from public.sessions s
    where s.id = can_see_session.session_id
      and ((s.status <> 'draft' and s.visibility <> 'private')
        or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = v_uid)
        or (s.status <> 'draft' and exists (
          select 1 from public.bookings b
          where b.session_id = s.id and b.user_id = v_uid and b.status <> 'cancelled'))
        or private.is_admin()));
end;
$$;
comment on function private.can_see_session(uuid) is
  'True when the signed-in auth.uid() may read the session: the rule of private.visible_session_ids() for one session, '
  'without scanning all sessions. Security definer: reads staff and bookings across RLS.';
revoke execute on function private.can_see_session(uuid) from public, anon;
grant execute on function private.can_see_session(uuid) to authenticated, service_role;

-- Reads a session for a booking, reminder or attendance RPC of auth.uid(): raises not_authenticated,
-- invalid_input, not_found (invisible to the caller) or forbidden (banned). Internal: runs inside
-- security definer RPCs.
create function private.session_for_member_action(session_id uuid)
returns public.sessions
language plpgsql stable set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if session_for_member_action.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_for_member_action.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_for_member_action.session_id));
  end if;
  if private.is_banned(v_session.id, v_uid) then
    perform private.raise_error('forbidden', 'You are banned from this session.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'banned'));
  end if;
  return v_session;
end;
$$;
comment on function private.session_for_member_action(uuid) is
  'Returns a session for a member action of auth.uid(): not_authenticated, invalid_input, not_found (invisible), '
  'forbidden (banned, details.reason = banned). Internal.';
revoke execute on function private.session_for_member_action(uuid)
  from public, anon, authenticated, service_role;

-- SECURITY DEFINER: used in set form by policies (chat_messages, realtime.messages); reads only the
-- caller's own bans.
create function private.my_banned_session_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query select b.session_id from public.session_bans b where b.user_id = auth.uid();
end;
$$;
comment on function private.my_banned_session_ids() is
  'Sessions the calling user is banned from. For policies: session_id not in (select private.my_banned_session_ids()).';
revoke execute on function private.my_banned_session_ids() from public, anon;
grant execute on function private.my_banned_session_ids() to authenticated, service_role;

-- SECURITY DEFINER: the chat policy's one set, so a read pays for one helper call, not two:
-- sessions the caller is a member of (private.my_session_ids()) minus those they are banned from.
create function private.my_chat_session_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select m.id from private.my_session_ids() as m (id)
    where not exists (select 1 from public.session_bans b where b.session_id = m.id and b.user_id = v_uid);
end;
$$;
comment on function private.my_chat_session_ids() is
  'Sessions whose chat the caller may read: member (private.my_session_ids()) and not banned. For policies, in set form.';
revoke execute on function private.my_chat_session_ids() from public, anon;
grant execute on function private.my_chat_session_ids() to authenticated, service_role;

-- Authorizes the caller for a live-room action on a session and returns their user id.
--   need = 'member': signed in, a member of the session (private.my_session_ids()), not banned.
--   need = 'staff':  a host or moderator of the session; the service role passes (returns null).
-- Errors: not_authenticated, not_found (session invisible to the caller), forbidden, banned.
-- SECURITY DEFINER: reads sessions across RLS for the not_found/forbidden distinction.
create function private.require_session_access(session_id uuid, need text)
returns uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    if need = 'staff' and coalesce((select auth.role()) = 'service_role', false)
       and exists (select 1 from public.sessions s where s.id = require_session_access.session_id) then
      return null;
    end if;
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', require_session_access.session_id));
  end if;
  if need = 'staff' then
    if private.is_session_staff(require_session_access.session_id, array['host', 'moderator']) then
      return v_uid;
    end if;
  elsif require_session_access.session_id in (select private.my_session_ids()) then
    if private.is_banned(require_session_access.session_id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', require_session_access.session_id));
    end if;
    return v_uid;
  end if;
  if require_session_access.session_id in (select private.visible_session_ids()) then
    perform private.raise_error('forbidden',
      case when need = 'staff' then 'Only hosts and moderators of the session can do this.'
           else 'Only members of the session can do this.' end,
      jsonb_build_object('session_id', require_session_access.session_id));
  end if;
  perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', require_session_access.session_id));
  return null;
end;
$$;
comment on function private.require_session_access(uuid, text) is
  'Authorizes a live-room action (need member or staff) and returns auth.uid(); raises not_authenticated, not_found, '
  'forbidden or banned. Staff = host or moderator; the service role passes staff checks.';
revoke execute on function private.require_session_access(uuid, text) from public, anon;
grant execute on function private.require_session_access(uuid, text) to authenticated, service_role;

-- The one-session form of my_session_ids(), for RPCs: three index probes instead of a list.
create function private.is_session_member(session_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return v_uid is not null and (
    exists (select 1 from public.session_staff st
            where st.session_id = is_session_member.session_id and st.user_id = v_uid)
    or exists (select 1 from public.bookings b
               where b.session_id = is_session_member.session_id and b.user_id = v_uid and b.status = 'confirmed')
    or exists (select 1 from public.attendance_intervals a
               join public.sessions s on s.id = a.session_id
               where a.session_id = is_session_member.session_id and a.user_id = v_uid and s.visibility = 'public'));
end;
$$;
comment on function private.is_session_member(uuid) is
  'True when auth.uid() is a member of the session (same rule as private.my_session_ids()): staff, confirmed '
  'booking, or joined a public session. Security definer: reads staff, bookings and attendance across RLS.';
revoke execute on function private.is_session_member(uuid) from public, anon;
grant execute on function private.is_session_member(uuid) to authenticated, service_role;

-- SECURITY DEFINER: session_bans is readable by staff only; this answers for the caller alone.
create function private.am_banned(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select (select auth.uid()) is not null
     and exists (select 1 from public.session_bans sb
                 where sb.session_id = am_banned.session_id and sb.user_id = (select auth.uid()))
$$;
comment on function private.am_banned(uuid) is
  'True when the caller is banned from the session (false for anon). For session_cards.can_join. Internal.';
revoke execute on function private.am_banned(uuid) from public;
grant execute on function private.am_banned(uuid) to anon, authenticated, service_role;

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

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.programs from public, anon, authenticated, service_role;
grant select on table public.programs to anon;
grant select, delete on table public.programs to authenticated;
grant all on table public.programs to service_role;
grant insert (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on table
  public.programs to authenticated;
grant update (name, description, status, is_on_demand, replay_video_id, thumbnail_url) on table
  public.programs to authenticated;
create policy "anyone can read published programs" on public.programs
  for select to anon using (status <> 'draft');
create policy "users can read published programs and their own drafts" on public.programs
  for select to authenticated
  using (status <> 'draft' or created_by = (select auth.uid()) or (select private.is_admin()));
create policy "coaches and admins can create programs" on public.programs
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid()));
create policy "creators and admins can update programs" on public.programs
  for update to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()))
  with check (created_by = (select auth.uid()) or (select private.is_admin()));
create policy "creators and admins can delete programs" on public.programs
  for delete to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.events from public, anon, authenticated, service_role;
grant select on table public.events to anon;
grant select, delete on table public.events to authenticated;
grant all on table public.events to service_role;
grant insert (program_id, title, slug, description, status, starts_at, ends_at) on table public.events to
  authenticated;
grant update (title, slug, description, status, starts_at, ends_at) on table public.events to authenticated;
create policy "anyone can read published events" on public.events
  for select to anon using (status <> 'draft');
create policy "users can read published events and their own drafts" on public.events
  for select to authenticated
  using (status <> 'draft' or created_by = (select auth.uid()) or (select private.is_admin()));
create policy "coaches and admins can create events in their programs" on public.events
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid())
    and (program_id in (select p.id from public.programs p where p.created_by = (select auth.uid()))
      or (select private.is_admin())));
create policy "creators and admins can update events" on public.events
  for update to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()))
  with check (created_by = (select auth.uid()) or (select private.is_admin()));
create policy "creators and admins can delete events" on public.events
  for delete to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.sessions from public, anon, authenticated, service_role;
grant delete on table public.sessions to authenticated;
grant all on table public.sessions to service_role;
-- Every column but meeting_url and meeting_password.
grant select (id, program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
  status, visibility, capacity, waitlist_enabled, price_cents, currency, replay_url, thumbnail_url, chat_enabled,
  slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions, sequence, cancel_reason, started_at,
  ended_at, created_by, created_at, updated_at) on table public.sessions to anon, authenticated;
-- Never created_by, status, sequence, cancel_reason, started_at, ended_at (lifecycle RPCs own them).
grant insert (program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
  visibility, capacity, waitlist_enabled, price_cents, currency, meeting_url, meeting_password, replay_url,
  thumbnail_url, chat_enabled, slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on table public.sessions to authenticated;
-- starts_at and duration_minutes change through reschedule_session (it bumps the calendar sequence).
grant update (program_id, event_id, title, description, topic, phase, timezone, visibility, capacity,
  waitlist_enabled, price_cents, currency, meeting_url, meeting_password, replay_url, thumbnail_url, chat_enabled,
  slow_mode_seconds, chat_rate_limit, qa_moderation, allow_anonymous_questions)
  on table public.sessions to authenticated;
create policy "coaches and admins can create sessions" on public.sessions
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and created_by = (select auth.uid()));
create policy "hosts can update their sessions" on public.sessions
  for update to authenticated
  using (id in (select private.staff_session_ids(array['host'])))
  with check (id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete their draft sessions" on public.sessions
  for delete to authenticated
  using (status = 'draft' and id in (select private.staff_session_ids(array['host'])));
-- A cancelled public session stays readable (it was published before: cancel_session accepts only
-- scheduled or live sessions), so a visitor's calendar receives STATUS:CANCELLED.
create policy "anyone can read published public sessions" on public.sessions
  for select to anon
  using (visibility = 'public' and status <> 'draft');
create policy "users can read the sessions visible to them" on public.sessions
  for select to authenticated
  -- created_by: the creator reads the new row back (insert ... returning) before the trigger adds
  -- them as host. Only while the session has no staff at all, the moment of its insert: a creator
  -- later removed from the staff reads it like anyone else.
  using ((created_by = (select auth.uid()) and not private.session_has_staff(id))
         or id in (select private.visible_session_ids()));

revoke all on table public.session_staff from public, anon, authenticated, service_role;
grant select on table public.session_staff to authenticated;
grant all on table public.session_staff to service_role;
create policy "users can read the staff of visible sessions" on public.session_staff
  for select to authenticated
  using (session_id in (select private.visible_session_ids()));

revoke all on table public.streams from public, anon, authenticated, service_role;
grant select, delete on table public.streams to authenticated;
grant all on table public.streams to service_role;
grant insert (session_id, source_type, source_url, status) on table public.streams to authenticated;
grant update (source_type, source_url, status) on table public.streams to authenticated;
-- rtmp sources are ingest URLs with a stream key: staff only.
create policy "members can read the streams of their sessions" on public.streams
  for select to authenticated
  using (session_id in (select private.my_chat_session_ids())
    and (source_type <> 'rtmp' or session_id in (select private.staff_session_ids())));
create policy "hosts can add streams" on public.streams
  for insert to authenticated
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can update streams" on public.streams
  for update to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])))
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete streams" on public.streams
  for delete to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])));

revoke all on table public.rooms from public, anon, authenticated, service_role;
grant select, delete on table public.rooms to authenticated;
grant all on table public.rooms to service_role;
grant insert (session_id, name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status,
  self_select) on table public.rooms to authenticated;
grant update (name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status, self_select) on
  table public.rooms to authenticated;
create policy "users can read the rooms of visible sessions" on public.rooms
  for select to authenticated
  using (session_id in (select private.visible_session_ids()));
create policy "hosts can add rooms" on public.rooms
  for insert to authenticated
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can update rooms" on public.rooms
  for update to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])))
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts can delete rooms" on public.rooms
  for delete to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])));

-- Assignments are written only through assign_room, unassign_room, assign_rooms_randomly and
-- join_room (53_rooms.sql): their membership, ban and open-room checks cannot be skipped.
revoke all on table public.room_assignments from public, anon, authenticated, service_role;
grant select on table public.room_assignments to authenticated;
grant all on table public.room_assignments to service_role;
create policy "users and session staff can read room assignments" on public.room_assignments
  for select to authenticated
  using (user_id = (select auth.uid())
    or room_id in (select r.id from public.rooms r
                   where r.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

revoke all on table public.session_bans from public, anon, authenticated, service_role;
grant select on table public.session_bans to authenticated;
grant all on table public.session_bans to service_role;
create policy "staff read the bans of their sessions and users read their own bans"
  on public.session_bans for select to authenticated
  using (session_id in (select private.staff_session_ids(array['host', 'moderator'])) or user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: the two columns are not selectable by clients. The meeting URL and password go
-- to staff and confirmed bookings only: a public session's walk-in viewers (who joined without a
-- seat) and banned users get none.
create function public.session_meeting_details(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_session public.sessions;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_meeting_details.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  if not private.is_session_staff(v_session.id) then
    if private.is_banned(v_session.id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session.id));
    end if;
    if not exists (select 1 from public.bookings b
                   where b.session_id = v_session.id and b.user_id = v_uid and b.status = 'confirmed') then
      perform private.raise_error('forbidden', 'Only staff and confirmed bookings get the meeting details.',
        jsonb_build_object('session_id', v_session.id));
    end if;
  end if;
  return jsonb_build_object('session_id', v_session.id, 'meeting_url', v_session.meeting_url,
                            'meeting_password', v_session.meeting_password);
end;
$$;
comment on function public.session_meeting_details(uuid) is
  'Meeting URL and password of a session, for its staff and confirmed bookings only (not for walk-in viewers of a '
  'public session, waitlisted users or banned users). Errors: not_authenticated, not_found (session invisible), '
  'banned, forbidden.';
revoke execute on function public.session_meeting_details(uuid) from public, anon;
grant execute on function public.session_meeting_details(uuid) to authenticated, service_role;

create function public.publish_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(publish_session.session_id);
begin
  if v_session.status <> 'draft' then
    perform private.raise_error('invalid_transition', 'Only a draft session can be published.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'scheduled', sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return v_session;
end;
$$;
comment on function public.publish_session(uuid) is
  'Host: draft -> scheduled (visible in the catalogue). Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.publish_session(uuid) from public, anon;
grant execute on function public.publish_session(uuid) to authenticated, service_role;

create function public.start_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(start_session.session_id);
begin
  if v_session.status <> 'scheduled' then
    perform private.raise_error('invalid_transition', 'Only a scheduled session can start.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'live', started_at = now(), sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return v_session;
end;
$$;
comment on function public.start_session(uuid) is
  'Host: scheduled -> live, sets started_at. Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.start_session(uuid) from public, anon;
grant execute on function public.start_session(uuid) to authenticated, service_role;

create function public.end_session(session_id uuid)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(end_session.session_id);
begin
  if v_session.status <> 'live' then
    perform private.raise_error('invalid_transition', 'Only a live session can end.',
      jsonb_build_object('status', v_session.status));
  end if;
  update public.sessions s set status = 'ended', ended_at = greatest(now(), s.started_at), sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return v_session;
end;
$$;
comment on function public.end_session(uuid) is
  'Host: live -> ended, sets ended_at. Bumps sequence, broadcasts session_status, returns the session.';
revoke execute on function public.end_session(uuid) from public, anon;
grant execute on function public.end_session(uuid) to authenticated, service_role;

create function public.cancel_session(session_id uuid, reason text default null)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(cancel_session.session_id);
  v_reason text := nullif(btrim(cancel_session.reason), '');
begin
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only a scheduled or live session can be cancelled.',
      jsonb_build_object('status', v_session.status));
  end if;
  if char_length(v_reason) > 500 then
    perform private.raise_error('invalid_input', 'The reason is at most 500 characters.',
      jsonb_build_object('length', char_length(v_reason)));
  end if;
  update public.sessions s set status = 'cancelled', cancel_reason = v_reason, sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return v_session;
end;
$$;
comment on function public.cancel_session(uuid, text) is
  'Host: scheduled/live -> cancelled with an optional reason (<= 500 chars). Bumps sequence, broadcasts session_status, '
  'returns the session.';
revoke execute on function public.cancel_session(uuid, text) from public, anon;
grant execute on function public.cancel_session(uuid, text) to authenticated, service_role;

create function public.reschedule_session(session_id uuid, starts_at timestamptz, duration_minutes int default null)
returns public.sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(reschedule_session.session_id);
begin
  if v_session.status not in ('draft', 'scheduled') then
    perform private.raise_error('invalid_transition', 'Only a draft or scheduled session can be rescheduled.',
      jsonb_build_object('status', v_session.status));
  end if;
  if reschedule_session.starts_at is null or reschedule_session.starts_at <= now() then
    perform private.raise_error('invalid_input', 'The new start must be in the future.',
      jsonb_build_object('starts_at', reschedule_session.starts_at));
  end if;
  if reschedule_session.duration_minutes is not null and reschedule_session.duration_minutes not between 5 and 600 then
    perform private.raise_error('invalid_input', 'The duration is 5 to 600 minutes.',
      jsonb_build_object('duration_minutes', reschedule_session.duration_minutes));
  end if;
  update public.sessions s
  set starts_at = reschedule_session.starts_at,
      duration_minutes = coalesce(reschedule_session.duration_minutes, s.duration_minutes),
      sequence = s.sequence + 1
  where s.id = v_session.id returning s.* into v_session;
  return v_session;
end;
$$;
comment on function public.reschedule_session(uuid, timestamptz, int) is
  'Host: moves a draft or scheduled session to a future start (and duration, 5-600 minutes, when given). Bumps sequence, '
  'broadcasts session_status, returns the session.';
revoke execute on function public.reschedule_session(uuid, timestamptz, int) from public, anon;
grant execute on function public.reschedule_session(uuid, timestamptz, int) to authenticated, service_role;

create function public.add_session_staff(session_id uuid, user_id uuid, role text)
returns public.session_staff
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(add_session_staff.session_id);
  v_row public.session_staff;
begin
  if add_session_staff.role is null or add_session_staff.role not in ('host', 'moderator', 'speaker') then
    perform private.raise_error('invalid_input', 'role is host, moderator or speaker.',
      jsonb_build_object('role', add_session_staff.role));
  end if;
  if not exists (select 1 from auth.users u where u.id = add_session_staff.user_id) then
    perform private.raise_error('not_found', 'User not found.', jsonb_build_object('user_id', add_session_staff.user_id));
  end if;
  if add_session_staff.role <> 'host' and not exists (
    select 1 from public.session_staff st
    where st.session_id = v_session.id and st.role = 'host' and st.user_id <> add_session_staff.user_id) then
    perform private.raise_error('conflict', 'A session keeps at least one host.', jsonb_build_object('session_id', v_session.id));
  end if;
  insert into public.session_staff as st (session_id, user_id, role)
  values (v_session.id, add_session_staff.user_id, add_session_staff.role)
  on conflict on constraint session_staff_pkey do update set role = excluded.role
  returning st.* into v_row;
  return v_row;
end;
$$;
comment on function public.add_session_staff(uuid, uuid, text) is
  'Host: adds a user as host, moderator or speaker of the session, or changes their role. The last host cannot be '
  'demoted (conflict). Returns the staff row.';
revoke execute on function public.add_session_staff(uuid, uuid, text) from public, anon;
grant execute on function public.add_session_staff(uuid, uuid, text) to authenticated, service_role;

create function public.remove_session_staff(session_id uuid, user_id uuid)
returns public.session_staff
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions := private.session_for_host(remove_session_staff.session_id);
  v_row public.session_staff;
begin
  if not exists (
    select 1 from public.session_staff st
    where st.session_id = v_session.id and st.role = 'host' and st.user_id <> remove_session_staff.user_id) then
    perform private.raise_error('conflict', 'A session keeps at least one host.', jsonb_build_object('session_id', v_session.id));
  end if;
  delete from public.session_staff st
  where st.session_id = v_session.id and st.user_id = remove_session_staff.user_id
  returning st.* into v_row;
  if v_row.session_id is null then
    perform private.raise_error('not_found', 'This user is not staff of the session.',
      jsonb_build_object('user_id', remove_session_staff.user_id));
  end if;
  return v_row;
end;
$$;
comment on function public.remove_session_staff(uuid, uuid) is
  'Host: removes a user from the session''s staff (not the last host: conflict). not_found when they are not staff. '
  'Returns the removed row.';
revoke execute on function public.remove_session_staff(uuid, uuid) from public, anon;
grant execute on function public.remove_session_staff(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on session_bans.
create function public.ban_user(session_id uuid, user_id uuid, reason text default null)
returns public.session_bans
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_reason text := nullif(btrim(ban_user.reason), '');
  v_row public.session_bans;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to moderate.', jsonb_build_object('function', 'ban_user'));
  end if;
  perform private.require_session_access(ban_user.session_id, 'staff');
  if char_length(v_reason) > 500 then
    perform private.raise_error('invalid_input', 'The reason must be at most 500 characters.',
      jsonb_build_object('field', 'reason', 'max', 500));
  end if;
  if not exists (select 1 from auth.users u where u.id = ban_user.user_id) then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_id', ban_user.user_id));
  end if;
  if exists (select 1 from public.session_staff st
             where st.session_id = ban_user.session_id and st.user_id = ban_user.user_id) then
    perform private.raise_error('forbidden', 'Session staff cannot be banned.', jsonb_build_object('user_id', ban_user.user_id));
  end if;
  insert into public.session_bans as b (session_id, user_id, reason, banned_by)
  values (ban_user.session_id, ban_user.user_id, v_reason, v_uid)
  on conflict on constraint session_bans_pkey do update
    set reason = excluded.reason, banned_by = excluded.banned_by
  returning b.* into v_row;
  return v_row;
end;
$$;
comment on function public.ban_user(uuid, uuid, text) is
  'Hosts and moderators ban a user from the session (again: updates the reason); returns the ban. The user can no '
  'longer post, ask, vote, read the chat or join the session channel, and receives session_banned on user:<id> '
  '(a channel joined before the ban is only re-authorized when the client refreshes its token, so clients leave '
  'on that event). Errors: not_authenticated, not_found (session not visible to the caller, or unknown '
  'user), forbidden (caller not host/moderator, or target is staff), invalid_input (reason over 500 characters).';
revoke execute on function public.ban_user(uuid, uuid, text) from public, anon;
grant execute on function public.ban_user(uuid, uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients have no delete grant on session_bans.
create function public.unban_user(session_id uuid, user_id uuid)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_deleted int;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to moderate.', jsonb_build_object('function', 'unban_user'));
  end if;
  perform private.require_session_access(unban_user.session_id, 'staff');
  delete from public.session_bans b
  where b.session_id = unban_user.session_id and b.user_id = unban_user.user_id;
  get diagnostics v_deleted = row_count;
  return v_deleted > 0;
end;
$$;
comment on function public.unban_user(uuid, uuid) is
  'Hosts and moderators lift a ban; returns true when a ban was removed, false when there was none. Errors: '
  'not_authenticated, not_found, forbidden.';
revoke execute on function public.unban_user(uuid, uuid) from public, anon;
grant execute on function public.unban_user(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger programs_set_updated_at before update on public.programs
  for each row execute function private.set_updated_at();
create trigger events_set_updated_at before update on public.events
  for each row execute function private.set_updated_at();
create trigger sessions_set_updated_at before update on public.sessions
  for each row execute function private.set_updated_at();
create trigger streams_set_updated_at before update on public.streams
  for each row execute function private.set_updated_at();
create trigger rooms_set_updated_at before update on public.rooms
  for each row execute function private.set_updated_at();

-- A session attached to an event takes the event's program when none is given.
create function private.sessions_fill_program_from_event()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.event_id is not null and new.program_id is null then
    select e.program_id into new.program_id from public.events e where e.id = new.event_id;
  end if;
  return new;
end;
$$;
comment on function private.sessions_fill_program_from_event() is
  'Trigger: fills sessions.program_id from the event when only event_id is given.';
revoke execute on function private.sessions_fill_program_from_event()
  from public, anon, authenticated, service_role;
create trigger sessions_fill_program_from_event before insert or update of event_id on public.sessions
  for each row execute function private.sessions_fill_program_from_event();

-- Security definer: clients cannot insert into session_staff.
create function private.sessions_add_creator_as_host()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.created_by is not null then
    insert into public.session_staff (session_id, user_id, role) values (new.id, new.created_by, 'host')
    on conflict (session_id, user_id) do update set role = 'host';
  end if;
  return null;
end;
$$;
comment on function private.sessions_add_creator_as_host() is 'Trigger: makes the creator of a session its host.';
revoke execute on function private.sessions_add_creator_as_host()
  from public, anon, authenticated, service_role;
create trigger sessions_add_creator_as_host after insert on public.sessions
  for each row execute function private.sessions_add_creator_as_host();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.broadcast_session_status()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('session_id', new.id, 'status', new.status, 'starts_at', new.starts_at,
                       'duration_minutes', new.duration_minutes, 'sequence', new.sequence),
    'session_status', 'session:' || new.id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_session_status() is
  'Trigger: broadcasts session_status {session_id, status, starts_at, duration_minutes, sequence} on the private topic session:<id>.';
revoke execute on function private.broadcast_session_status() from public, anon, authenticated, service_role;
create trigger sessions_broadcast_status after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.broadcast_session_status();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.notify_banned_user()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('session_id', new.session_id),
                        'session_banned', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.notify_banned_user() is 'Trigger: broadcasts session_banned {session_id} on user:<banned user id>.';
revoke execute on function private.notify_banned_user() from public, anon, authenticated, service_role;
create trigger notify_banned_user
  after insert on public.session_bans
  for each row execute function private.notify_banned_user();

-- Sessions are attached only to the caller's own events and programs (admins: any).
-- A trigger rather than a policy: a co-host may keep editing a session that an admin attached to
-- someone else's event; only changing the attachment is checked.
create function private.sessions_check_attachment()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  -- postgres, service_role and migrations (no user) are trusted.
  if v_uid is null or private.is_admin() then
    return new;
  end if;
  if new.event_id is not null
     and (tg_op = 'INSERT' or new.event_id is distinct from old.event_id)
     and not exists (select 1 from public.events e
                     left join public.programs p on p.id = e.program_id
                     where e.id = new.event_id and (e.created_by = v_uid or p.created_by = v_uid)) then
    perform private.raise_error('forbidden', 'Sessions can only be added to your own events.',
      jsonb_build_object('field', 'event_id', 'event_id', new.event_id));
  end if;
  if new.program_id is not null
     and (tg_op = 'INSERT' or new.program_id is distinct from old.program_id)
     and new.event_id is not distinct from (case when tg_op = 'INSERT' then null else old.event_id end)
     and not exists (select 1 from public.programs p where p.id = new.program_id and p.created_by = v_uid) then
    perform private.raise_error('forbidden', 'Sessions can only be added to your own programs.',
      jsonb_build_object('field', 'program_id', 'program_id', new.program_id));
  end if;
  return new;
end;
$$;
comment on function private.sessions_check_attachment() is
  'Trigger: a session is attached (event_id, program_id) only to events and programs the caller created (or whose '
  'program they created); admins and trusted roles are exempt. Security definer: reads events and programs across RLS.';
revoke execute on function private.sessions_check_attachment() from public, anon, authenticated, service_role;
-- Runs after sessions_fill_program_from_event (alphabetical order of BEFORE triggers), so a program
-- taken from the caller's own event passes.
create trigger sessions_zz_check_attachment
  before insert or update of event_id, program_id on public.sessions
  for each row execute function private.sessions_check_attachment();

-- A live session that is cancelled ends its live window at the cancellation, as end_session sets
-- it: otherwise session_attendance_report would measure the window up to now(), and every
-- attendee's share (and engagement score) would keep falling after the cancellation.
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
revoke execute on function private.sessions_end_cancelled_live()
  from public, anon, authenticated, service_role;
create trigger sessions_end_cancelled_live before update of status on public.sessions
  for each row
  when (old.status = 'live' and new.status = 'cancelled' and new.ended_at is null)
  execute function private.sessions_end_cancelled_live();

-- starts_at = 'infinity' would make publishing or rescheduling fail inside a trigger with a raw
-- 22008 ("cannot subtract infinite timestamps") instead of an API error, and a draft whose start is
-- long past would become a scheduled session that could be joined and booked years late
-- (reschedule_session already refuses a start in the past).
create function private.sessions_check_start()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if not isfinite(new.starts_at) then
    perform private.raise_error('invalid_input', 'starts_at must be a real time.', jsonb_build_object('field', 'starts_at'));
  end if;
  if tg_op = 'UPDATE' and old.status = 'draft' and new.status = 'scheduled' and new.starts_at <= now() then
    perform private.raise_error('invalid_input', 'The start time has passed: reschedule the session before publishing it.',
      jsonb_build_object('field', 'starts_at', 'starts_at', new.starts_at));
  end if;
  return new;
end;
$$;
comment on function private.sessions_check_start() is
  'Trigger before a session is written: starts_at must be finite, and a draft whose start has passed cannot be '
  'published (invalid_input). Internal.';
revoke execute on function private.sessions_check_start() from public, anon, authenticated, service_role;
create trigger sessions_check_start before insert or update of starts_at, status on public.sessions
  for each row execute function private.sessions_check_start();

-- =============================================================================================
-- supabase/schemas/30_booking.sql
-- =============================================================================================

-- Booking: bookings with seat limits and a waitlist, the per-session seat counts that make booking
-- a hot session cheap, book_session and cancel_booking, waitlist promotion, and what a session's
-- change (cancel, capacity) does to its bookings.
-- Tables: public.bookings, private.session_seats; triggers on public.sessions.
--
-- How booking a hot session works:
--   * private.session_seats holds one row per session: the booking-relevant copy of the session
--     (status, capacity, waitlist_enabled, kept by a BEFORE UPDATE trigger on sessions) and the
--     number of confirmed and waitlisted bookings. It is the session's booking lock: every change of
--     a session's seats (a booking, a cancellation, a promotion, a capacity or status change of the
--     session) updates this row, so they are serialized per session, never globally.
--   * The counts are kept exact by a row trigger on public.bookings for every write, whichever path
--     makes it (RPCs, promotions, the cancel cascade, a user's deletion cascading to their bookings,
--     service_role edits), except the writes book_session counts itself (below).
--     private.session_seat_drift() lists any session whose counts differ from its bookings.
--   * book_session does everything it can before taking the lock: the checks, then it inserts the
--     booking with the status and waitlist position the counts suggest at that moment (invisible to
--     everyone else until commit). Then, as its last step, one UPDATE of the seat row takes the lock,
--     decides from the locked counts (confirmed while seats are left, else waitlisted at the next
--     position, else session_full) and counts the booking; a booking whose guess was overtaken by
--     another claim is corrected right after, under the lock. The lock is held from that statement
--     to commit only.
--   * The waitlist is numbered 1..n at all times (renumber_waitlist), so the next position is n + 1.
--     There is no unique constraint on (session_id, waitlist_position): concurrent bookings hold the
--     same guessed position until their claims correct it, and a deferred constraint made them wait
--     for each other (and deadlock). Positions stay unique because they are only assigned under the
--     seat lock.
--   * The count trigger, the booking_updated broadcast and the updated_at stamp skip the writes
--     book_session makes to its own new booking (setting private.booking_claim): its claim counts
--     it, and the caller gets the booking as the result.
--   * Default reminders (24 h and 15 min before) are not written by book_session: the booking is
--     marked default_reminders_pending and the reminder job adds them within a minute
--     (31_reminders.sql); session_cards.has_reminder already counts them.
--   * Every way an active booking leaves (cancel_booking, a direct update or delete by service_role,
--     a user's account deletion) promotes the waitlist into the freed seat, never to a banned user,
--     and closes the gap in the numbering; a cancelled booking takes its reminders and its
--     breakout-room seat with it.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  status text not null default 'confirmed',
  waitlist_position int,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  cancelled_at timestamptz,
  default_reminders_pending boolean not null default false,
  -- One check, not three: check constraints are re-read for every write, and a hot session's
  -- bookings are written under its seat lock.
  constraint bookings_state_valid check (
    status in ('confirmed', 'waitlisted', 'cancelled')
    and (status = 'waitlisted') = (waitlist_position is not null)
    and (waitlist_position is null or waitlist_position > 0)
    and (status = 'cancelled') = (cancelled_at is not null))
);
comment on table public.bookings is
  'Seats of users in sessions. Clients only read (their own; hosts and moderators their session''s); writes go through '
  'the booking RPCs. At most one active (not cancelled) booking per user and session.';
comment on column public.bookings.waitlist_position is 'Position in the waitlist (1 = next), set only while waitlisted.';
comment on column public.bookings.cancelled_at is 'Set exactly when status is cancelled.';
comment on constraint bookings_state_valid on public.bookings is
  'status is confirmed, waitlisted or cancelled; waitlist_position (> 0) exactly when waitlisted; cancelled_at exactly '
  'when cancelled.';
comment on column public.bookings.default_reminders_pending is
  'Set by book_session: the default reminders (24 h and 15 min before) of this booking are still to be added by the '
  'reminder job (within a minute). Cleared when they are added.';
alter table public.bookings enable row level security;

create table private.session_seats (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  status text not null,
  capacity int,
  waitlist_enabled boolean not null,
  confirmed int not null default 0,
  waitlisted int not null default 0,
  last_claim text,
  cancelled_at timestamptz,
  -- One check, not three: check constraints are re-read for every write, and this row is written
  -- by every booking.
  constraint session_seats_counts_not_negative check (confirmed >= 0 and waitlisted >= 0)
);
comment on table private.session_seats is
  'Per session: status, capacity and waitlist_enabled (copied from sessions by sessions_sync_seats) and the number of '
  'confirmed and waitlisted bookings (kept by bookings_count_seats and book_session). The per-session booking lock: '
  'every change of a session''s seats updates this row. Internal.';
comment on column private.session_seats.last_claim is
  'Outcome of the latest book_session claim on this row (confirmed, waitlisted, full or closed); read back by that '
  'same claim statement.';
comment on column private.session_seats.cancelled_at is
  'When the session was cancelled (set by sessions_sync_seats; null unless cancelled). The bookings the cancellation '
  'cancelled carry the same cancelled_at.';

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create unique index bookings_one_active_per_user on public.bookings (session_id, user_id) where status <> 'cancelled';
create index bookings_user_id_idx on public.bookings (user_id);
create index bookings_session_id_status_idx on public.bookings (session_id, status);
create index bookings_default_reminders_pending_idx on public.bookings (id) where default_reminders_pending;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Reads the count instead of counting, so session_cards stay cheap.
create function private.session_booked_count(session_id uuid)
returns integer
language plpgsql stable security definer set search_path = '' as $$
begin
  return (select ss.confirmed from private.session_seats ss where ss.session_id = session_booked_count.session_id);
end;
$$;
comment on function private.session_booked_count(uuid) is
  'Confirmed bookings of a session (private.session_seats), for session_cards and promotions. Security definer: '
  'members cannot read other users'' bookings.';
revoke execute on function private.session_booked_count(uuid) from public;
grant execute on function private.session_booked_count(uuid) to anon, authenticated, service_role;

-- Promotes waitlisted bookings (lowest position first) while the session has free seats, then
-- renumbers the remaining waitlist 1..n. The caller holds the session row lock. Each promoted user
-- is notified (booking_updated is broadcast by the bookings trigger). Internal: security definer
-- callers only.
-- Promotion candidates exclude banned users.
create function private.fill_seats_from_waitlist(session_id uuid)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_session public.sessions;
  v_free int;
  v_promoted int := 0;
  v_booking record;
begin
  select s.* into v_session from public.sessions s where s.id = fill_seats_from_waitlist.session_id;
  if v_session.id is null or v_session.status not in ('scheduled', 'live') then
    return 0;
  end if;
  if v_session.capacity is null then
    v_free := 2147483647;
  else
    v_free := v_session.capacity - private.session_booked_count(v_session.id);
  end if;
  if v_free <= 0 then
    return 0;
  end if;

  for v_booking in
    update public.bookings b
       set status = 'confirmed', waitlist_position = null
     where b.id in (select w.id from public.bookings w
                    where w.session_id = v_session.id and w.status = 'waitlisted'
                      and not exists (select 1 from public.session_bans sb
                                      where sb.session_id = w.session_id and sb.user_id = w.user_id)
                    order by w.waitlist_position
                    limit v_free)
    returning b.id, b.user_id
  loop
    v_promoted := v_promoted + 1;
    perform private.notify(v_booking.user_id, 'booking_promoted', 'You have a seat: ' || v_session.title,
      'A seat freed up and your waitlisted booking is now confirmed.',
      '/sessions/' || v_session.id::text,
      jsonb_build_object('session_id', v_session.id, 'booking_id', v_booking.id, 'status', 'confirmed'));
  end loop;

  if v_promoted > 0 then
    perform private.renumber_waitlist(v_session.id);
  end if;
  return v_promoted;
end;
$$;
comment on function private.fill_seats_from_waitlist(uuid) is
  'Promotes waitlisted bookings in position order while seats are free (capacity null = all), skipping users banned '
  'from the session (they keep their place), notifies each promoted user (booking_promoted) and renumbers the rest '
  '1..n. Returns the number promoted. Caller holds the session''s seat lock. Internal.';
revoke execute on function private.fill_seats_from_waitlist(uuid)
  from public, anon, authenticated, service_role;

-- Renumbers the waitlist of a session to 1..n, keeping the order. Touches only rows that move.
create function private.renumber_waitlist(session_id uuid)
returns void
language sql volatile set search_path = '' as $$
  update public.bookings b
     set waitlist_position = o.position
    from (select w.id, row_number() over (order by w.waitlist_position)::int as position
          from public.bookings w
          where w.session_id = renumber_waitlist.session_id and w.status = 'waitlisted') o
   where b.id = o.id and b.waitlist_position <> o.position;
$$;
comment on function private.renumber_waitlist(uuid) is
  'Renumbers the waitlisted bookings of a session 1..n in their current order. Internal (booking RPCs and triggers).';
revoke execute on function private.renumber_waitlist(uuid) from public, anon, authenticated, service_role;

-- Tests and operators: the counts must always equal the bookings.
create function private.session_seat_drift()
returns table (session_id uuid, confirmed int, waitlisted int, counted_confirmed int, counted_waitlisted int)
language sql stable set search_path = '' as $$
  select ss.session_id, ss.confirmed, ss.waitlisted, coalesce(c.confirmed, 0), coalesce(c.waitlisted, 0)
  from private.session_seats ss
  left join (select b.session_id,
                    (count(*) filter (where b.status = 'confirmed'))::int as confirmed,
                    (count(*) filter (where b.status = 'waitlisted'))::int as waitlisted
             from public.bookings b group by b.session_id) c on c.session_id = ss.session_id
  where ss.confirmed <> coalesce(c.confirmed, 0) or ss.waitlisted <> coalesce(c.waitlisted, 0)
  union all
  select s.id, null, null, null, null
  from public.sessions s
  where not exists (select 1 from private.session_seats ss where ss.session_id = s.id);
$$;
comment on function private.session_seat_drift() is
  'Sessions whose seat counts differ from their bookings (or that have no seat row). Empty when all is well; for tests '
  'and operators (service_role).';
revoke execute on function private.session_seat_drift() from public, anon, authenticated;
grant execute on function private.session_seat_drift() to service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.bookings from public, anon, authenticated, service_role;
grant select on table public.bookings to authenticated;
grant all on table public.bookings to service_role;
create policy "users and session hosts and moderators can read bookings" on public.bookings
  for select to authenticated
  using (user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table private.session_seats from public, anon, authenticated, service_role;
grant select on table private.session_seats to service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients cannot write bookings; this is the only way to book.
create function public.book_session(session_id uuid)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_id uuid := book_session.session_id;
  v_status text;
  v_visibility text;
  v_capacity int;
  v_waitlist boolean;
  v_confirmed int;
  v_waitlisted int;
  v_claim text;
  v_position int;
  v_existing public.bookings;
  v_booking public.bookings;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if v_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;

  -- 1. Checks, without any lock, with the seat counts read at the same time. Published public and
  --    members sessions are visible to every signed-in user; others need private.can_see_session.
  select s.status, s.visibility, ss.capacity, ss.waitlist_enabled, ss.confirmed, ss.waitlisted
    into v_status, v_visibility, v_capacity, v_waitlist, v_confirmed, v_waitlisted
  from public.sessions s join private.session_seats ss on ss.session_id = s.id
  where s.id = v_id;
  if not found or ((v_status = 'draft' or v_visibility = 'private') and not private.can_see_session(v_id)) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', v_id));
  end if;
  if exists (select 1 from public.session_bans sb where sb.session_id = v_id and sb.user_id = v_uid) then
    perform private.raise_error('forbidden', 'You are banned from this session.',
      jsonb_build_object('session_id', v_id, 'reason', 'banned'));
  end if;
  if v_status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Only scheduled or live sessions can be booked.',
      jsonb_build_object('session_id', v_id, 'status', v_status));
  end if;

  -- 2. The booking, as the current counts suggest, still without the lock. The partial unique index
  --    bookings_one_active_per_user decides a repeat (also one racing in another transaction).
  --    Its count and broadcast triggers are skipped: the claim below counts it.
  perform set_config('private.booking_claim', 'on', true);
  if v_capacity is null or v_confirmed < v_capacity or not v_waitlist then
    insert into public.bookings as b (session_id, user_id, status, default_reminders_pending)
    values (v_id, v_uid, 'confirmed', true)
    on conflict (session_id, user_id) where status <> 'cancelled' do nothing
    returning b.* into v_booking;
  else
    insert into public.bookings as b (session_id, user_id, status, waitlist_position, default_reminders_pending)
    values (v_id, v_uid, 'waitlisted', v_waitlisted + 1, true)
    on conflict (session_id, user_id) where status <> 'cancelled' do nothing
    returning b.* into v_booking;
  end if;
  if v_booking.id is null then
    select b.* into v_existing from public.bookings b
    where b.session_id = v_id and b.user_id = v_uid and b.status <> 'cancelled';
    perform private.raise_error('already_booked', 'You already have a booking for this session.',
      jsonb_build_object('booking_id', v_existing.id, 'status', v_existing.status));
  end if;

  -- 3. The claim: one UPDATE takes the session's seat lock (held until commit, so bookings of one
  --    session queue here and other sessions are unaffected), decides from the locked counts and
  --    counts the booking. Waitlist positions are 1..n, so the next one is waitlisted + 1.
  update private.session_seats ss
     set last_claim = case when ss.status not in ('scheduled', 'live') then 'closed'
                           when ss.capacity is null or ss.confirmed < ss.capacity then 'confirmed'
                           when ss.waitlist_enabled then 'waitlisted'
                           else 'full' end,
         confirmed = ss.confirmed
           + (ss.status in ('scheduled', 'live') and (ss.capacity is null or ss.confirmed < ss.capacity))::int,
         waitlisted = ss.waitlisted
           + (ss.status in ('scheduled', 'live') and ss.capacity is not null and ss.confirmed >= ss.capacity
              and ss.waitlist_enabled)::int
   where ss.session_id = v_id
  returning ss.last_claim, ss.waitlisted into v_claim, v_position;

  if v_claim is null then
    raise exception 'session % has no seat row', v_id;  -- cannot happen: sessions_add_seats and the backfill
  elsif v_claim = 'closed' then
    perform private.raise_error('invalid_transition', 'Only scheduled or live sessions can be booked.',
      jsonb_build_object('session_id', v_id));
  elsif v_claim = 'full' then
    perform private.raise_error('session_full', 'The session is full.',
      jsonb_build_object('session_id', v_id, 'capacity', v_capacity));
  elsif v_claim = 'confirmed' and v_booking.status <> 'confirmed' then
    update public.bookings as b set status = 'confirmed', waitlist_position = null
     where b.id = v_booking.id returning b.* into v_booking;
  elsif v_claim = 'waitlisted' and (v_booking.status <> 'waitlisted' or v_booking.waitlist_position <> v_position) then
    update public.bookings as b set status = 'waitlisted', waitlist_position = v_position
     where b.id = v_booking.id returning b.* into v_booking;
  end if;
  perform set_config('private.booking_claim', '', true);
  return v_booking;
end;
$$;
comment on function public.book_session(uuid) is
  'Books the caller into a scheduled or live session and returns the booking: confirmed while seats are left '
  '(capacity null = unlimited), else waitlisted with the next waitlist_position when waitlist_enabled. Serialized per '
  'session by the session''s seat row lock (private.session_seats), so it never overbooks; the lock is held only for '
  'the final claim and commit. A cancelled booking stays as history and booking again creates a new row. Errors: '
  'not_authenticated, invalid_input, not_found (session invisible to the caller), forbidden (banned from the '
  'session), invalid_transition (draft, ended or cancelled session), already_booked (an active booking exists), '
  'session_full (no seat and no waitlist). The default reminders follow within a minute (default_reminders_pending).';
revoke execute on function public.book_session(uuid) from public, anon;
grant execute on function public.book_session(uuid) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write bookings, and promotion updates other users' bookings.
create function public.cancel_booking(session_id uuid)
returns public.bookings
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions;
  v_booking public.bookings;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if cancel_booking.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- The session row stays as it is (status, capacity) until this commits.
  select s.* into v_session from public.sessions s where s.id = cancel_booking.session_id for no key update;
  select b.* into v_booking from public.bookings b
  where b.session_id = cancel_booking.session_id and b.user_id = v_uid and b.status <> 'cancelled';
  if v_session.id is null or v_booking.id is null then
    perform private.raise_error('not_found', 'You have no active booking for this session.',
      jsonb_build_object('session_id', cancel_booking.session_id));
  end if;
  if v_session.status = 'ended' then
    perform private.raise_error('invalid_transition', 'Bookings of an ended session are kept as history.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;

  -- The count trigger takes the seat lock, gives a freed seat to the waitlist or closes its gap.
  update public.bookings b
     set status = 'cancelled', waitlist_position = null, cancelled_at = now()
   where b.id = v_booking.id
  returning b.* into v_booking;
  return v_booking;
end;
$$;
comment on function public.cancel_booking(uuid) is
  'Cancels the caller''s active booking of the session and returns it (status cancelled). In the same transaction a '
  'freed seat promotes the first waitlisted booking whose user is not banned from the session (lowest '
  'waitlist_position; notified with a booking_promoted notification and a booking_updated broadcast on user:<id>) and '
  'the waitlist is renumbered 1..n. Errors: not_authenticated, invalid_input, not_found (no active booking), '
  'invalid_transition (the session has ended: its bookings are kept as history).';
revoke execute on function public.cancel_booking(uuid) from public, anon;
grant execute on function public.cancel_booking(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger bookings_set_updated_at before update on public.bookings
  for each row when (current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.set_updated_at();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS.
create function private.broadcast_booking_updated()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('session_id', new.session_id, 'status', new.status, 'waitlist_position', new.waitlist_position),
    'booking_updated', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_booking_updated() is
  'Trigger: broadcasts `booking_updated` {session_id, status, waitlist_position} on user:<user_id> whenever a booking''s '
  'status or waitlist position changes (promotion, waitlist renumbering, cancellation).';
revoke execute on function private.broadcast_booking_updated() from public, anon, authenticated, service_role;
create trigger broadcast_booking_updated after update of status, waitlist_position on public.bookings
  for each row
  when ((old.status is distinct from new.status or old.waitlist_position is distinct from new.waitlist_position)
        and current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.broadcast_booking_updated();

-- Security definer: updates every booking, reminder and interval of the session across RLS.
create function private.sessions_after_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_booking record;
begin
  if new.status = 'cancelled' and old.status <> 'cancelled' then
    for v_booking in
      update public.bookings b
         set status = 'cancelled', waitlist_position = null, cancelled_at = now()
       where b.session_id = new.id and b.status <> 'cancelled'
      returning b.id, b.user_id
    loop
      perform private.notify(v_booking.user_id, 'session_cancelled', 'Cancelled: ' || new.title,
        coalesce('Reason: ' || new.cancel_reason, 'The host cancelled this session.'),
        '/sessions/' || new.id::text,
        jsonb_build_object('session_id', new.id, 'booking_id', v_booking.id));
    end loop;
  end if;
  if new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled') then
    update public.attendance_intervals a
       set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                          else a.last_heartbeat_at end
     where a.session_id = new.id and a.left_at is null;
  end if;
  if new.starts_at is distinct from old.starts_at then
    -- A reschedule re-arms every reminder against the new start time.
    update public.session_reminders r set notified_at = null
    where r.session_id = new.id and r.notified_at is not null;
  end if;
  if (new.capacity is distinct from old.capacity or new.waitlist_enabled is distinct from old.waitlist_enabled)
     and new.status in ('scheduled', 'live') then
    perform private.fill_seats_from_waitlist(new.id);
  end if;
  return null;
end;
$$;
comment on function private.sessions_after_change() is
  'Trigger after a session update: cancelling cancels every active booking and notifies each booked user '
  '(session_cancelled); ending or cancelling closes open attendance intervals; a new starts_at resets notified_at of '
  'its reminders; a larger capacity promotes waitlisted bookings.';
revoke execute on function private.sessions_after_change() from public, anon, authenticated, service_role;
create trigger sessions_cascade_to_bookings_reminders_attendance
  after update of status, starts_at, capacity, waitlist_enabled on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.capacity is distinct from new.capacity or old.waitlist_enabled is distinct from new.waitlist_enabled)
  execute function private.sessions_after_change();

-- Security definer (both): sessions are written by hosts through RLS; the seat row is internal.
create function private.sessions_add_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.session_seats (session_id, status, capacity, waitlist_enabled)
  values (new.id, new.status, new.capacity, new.waitlist_enabled);
  return null;
end;
$$;
comment on function private.sessions_add_seats() is 'Trigger: a new session gets its seat row. Internal.';
revoke execute on function private.sessions_add_seats() from public, anon, authenticated, service_role;
create trigger sessions_add_seats after insert on public.sessions
  for each row execute function private.sessions_add_seats();

-- BEFORE the update, so the seat row is locked before the AFTER triggers (the cancel cascade and
-- the waitlist promotion of sessions_after_change) read the session's bookings: a booking claimed
-- earlier has committed by then and is cancelled or promoted with the others.
create function private.sessions_sync_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update private.session_seats ss
     set status = new.status, capacity = new.capacity, waitlist_enabled = new.waitlist_enabled,
         cancelled_at = case when new.status <> 'cancelled' then null
                             when old.status = 'cancelled' then ss.cancelled_at
                             else now() end
   where ss.session_id = new.id;
  return new;
end;
$$;
comment on function private.sessions_sync_seats() is
  'Trigger: copies status, capacity and waitlist_enabled of a session to its seat row (taking the seat lock) and '
  'stamps cancelled_at when the session is cancelled. Internal.';
revoke execute on function private.sessions_sync_seats() from public, anon, authenticated, service_role;
create trigger sessions_sync_seats before update of status, capacity, waitlist_enabled on public.sessions
  for each row
  when (old.status is distinct from new.status or old.capacity is distinct from new.capacity
        or old.waitlist_enabled is distinct from new.waitlist_enabled)
  execute function private.sessions_sync_seats();

-- Security definer: bookings are written by service_role and by security definer RPCs, and the
-- counts must follow every one of them.
-- The count trigger also frees the seat or the waitlist place of a booking that leaves by an update.
create function private.bookings_count_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_left_status text;
begin
  if tg_op in ('UPDATE', 'DELETE') and old.status in ('confirmed', 'waitlisted')
     and (tg_op = 'DELETE' or old.status is distinct from new.status or old.session_id is distinct from new.session_id) then
    update private.session_seats ss
       set confirmed = ss.confirmed - (old.status = 'confirmed')::int,
           waitlisted = ss.waitlisted - (old.status = 'waitlisted')::int
     where ss.session_id = old.session_id
    returning ss.status into v_left_status;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.status in ('confirmed', 'waitlisted')
     and (tg_op = 'INSERT' or old.status is distinct from new.status or old.session_id is distinct from new.session_id) then
    update private.session_seats ss
       set confirmed = ss.confirmed + (new.status = 'confirmed')::int,
           waitlisted = ss.waitlisted + (new.status = 'waitlisted')::int
     where ss.session_id = new.session_id;
  end if;

  if tg_op = 'UPDATE' then
    -- An active booking left its place (cancelled, demoted, or moved to another session): the freed
    -- seat goes to the line, or the line closes up. A promotion (waitlisted to confirmed in the same
    -- session) is fill_seats_from_waitlist's own write. Deletes: bookings_after_delete.
    if v_left_status in ('scheduled', 'live')
       and not (old.status = 'waitlisted' and new.status = 'confirmed' and new.session_id = old.session_id) then
      if private.fill_seats_from_waitlist(old.session_id) = 0 then
        perform private.renumber_waitlist(old.session_id);
      end if;
    end if;
    if new.status = 'waitlisted' and new.session_id is distinct from old.session_id then
      -- It joins the new line at the back (its old position meant nothing there).
      update public.bookings b
         set waitlist_position = 1 + (select coalesce(max(w.waitlist_position), 0) from public.bookings w
                                      where w.session_id = new.session_id and w.status = 'waitlisted' and w.id <> new.id)
       where b.id = new.id;
      perform private.renumber_waitlist(new.session_id);
    end if;
    -- A member only through this booking leaves the session's breakout rooms.
    if v_left_status in ('scheduled', 'live')
       and old.status = 'confirmed' and (new.status <> 'confirmed' or new.session_id <> old.session_id)
       and exists (select 1 from public.room_assignments ra join public.rooms r on r.id = ra.room_id
                   where r.session_id = old.session_id and ra.user_id = old.user_id)
       and not exists (select 1 from public.session_staff st
                       where st.session_id = old.session_id and st.user_id = old.user_id)
       and not exists (select 1 from public.attendance_intervals a
                       join public.sessions s on s.id = a.session_id
                       where a.session_id = old.session_id and a.user_id = old.user_id and s.visibility = 'public') then
      perform private.leave_rooms(old.session_id, old.user_id);
    end if;
    -- A cancelled booking's reminders are not sent (the job's rule): they go with it.
    if v_left_status in ('scheduled', 'live') and new.status = 'cancelled'
       and not exists (select 1 from public.session_staff st
                       where st.session_id = old.session_id and st.user_id = old.user_id) then
      delete from public.session_reminders r where r.session_id = old.session_id and r.user_id = old.user_id;
    end if;
  end if;
  return null;
end;
$$;
comment on function private.bookings_count_seats() is
  'Trigger: keeps the confirmed and waitlisted counts of private.session_seats equal to the bookings, and when an '
  'active booking of a session that is still scheduled or live is cancelled, demoted or moved by an update '
  '(cancel_booking, service_role; not the cascade of the session''s own cancellation), promotes the waitlist into a '
  'freed seat or renumbers it 1..n; a booking '
  'cancelled while its session is scheduled or live deletes its user''s reminders for it (unless staff); a confirmed '
  'booking that leaves removes its user from the session''s breakout rooms unless they are still a member. Skipped '
  '(by the trigger''s WHEN) for the booking book_session is writing, which its claim counts. Internal.';
revoke execute on function private.bookings_count_seats() from public, anon, authenticated, service_role;
-- private.booking_claim is set to 'on' by book_session only around its own booking's writes (and
-- reset before it returns); clients cannot set settings. The same flag skips, for that new booking's
-- correction, the booking_updated broadcast (the caller gets the booking as the result) and the
-- updated_at stamp (the row was created in this transaction: updated_at is already now()).
create trigger bookings_count_seats after insert or delete or update of status, session_id on public.bookings
  for each row when (current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.bookings_count_seats();

-- Security definer: promotion updates other users' bookings and notifies them.
create function private.bookings_after_delete()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_session_id uuid;
begin
  for v_session_id in
    select distinct d.session_id
    from deleted_bookings d
    join public.sessions s on s.id = d.session_id
    where d.status in ('confirmed', 'waitlisted')
      and s.status in ('scheduled', 'live')
    order by d.session_id
  loop
    -- The session's booking lock (already held when the count trigger uncounted these rows).
    perform 1 from private.session_seats ss where ss.session_id = v_session_id for update;
    if private.fill_seats_from_waitlist(v_session_id) = 0 then
      perform private.renumber_waitlist(v_session_id);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.bookings_after_delete() is
  'Trigger: after active bookings are deleted (a user''s account deletion cascades to them), promotes the waitlist '
  'into the freed seats and renumbers it 1..n, per scheduled or live session, as cancel_booking does. Internal.';
revoke execute on function private.bookings_after_delete() from public, anon, authenticated, service_role;
create trigger bookings_after_delete after delete on public.bookings
  referencing old table as deleted_bookings
  for each statement execute function private.bookings_after_delete();

-- =============================================================================================
-- supabase/schemas/31_reminders.sql
-- =============================================================================================

-- Reminders and notifications: in-app notifications (private.notify, the `notification` broadcast on
-- user:<id>, per-kind preferences), session reminders (set_reminder, the default reminders of a
-- booking, the reminder job that sends the due ones exactly once).
-- Tables: public.notifications, public.notification_preferences, public.session_reminders.
-- The job runs every minute (90_cron_jobs.sql: session-reminders -> private.send_due_reminders()).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  title text not null,
  body text,
  link text,
  data jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_kind_format check (kind ~ '^[a-z][a-z0-9_]{0,49}$'),
  constraint notifications_title_length check (char_length(title) between 1 and 200),
  constraint notifications_body_length check (body is null or char_length(body) <= 2000),
  constraint notifications_link_length check (link is null or char_length(link) <= 2048),
  constraint notifications_data_object check (jsonb_typeof(data) = 'object')
);
comment on table public.notifications is
  'In-app notifications of one user (own rows only). Created by the backend through private.notify(); each new row '
  'is broadcast as `notification` {id, kind, title, link} on user:<user_id>. The user marks rows read '
  '(mark_notifications_read or update of read_at) and deletes them.';
comment on column public.notifications.kind is
  'What happened: session_reminder, booking_promoted, session_cancelled, ... (lower-case word with underscores).';
comment on column public.notifications.link is 'App path to open, e.g. /sessions/<id>.';
comment on column public.notifications.data is 'Machine-readable details of the kind (e.g. session_id, starts_at).';
comment on column public.notifications.read_at is 'When the user read it; null = unread. The only column a user may update.';
alter table public.notifications enable row level security;

create table public.notification_preferences (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  kind text not null,
  in_app boolean not null default true,
  email boolean not null default true,
  push boolean not null default true,
  default_reminders boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (user_id, kind),
  constraint notification_preferences_kind_format check (kind ~ '^[a-z][a-z0-9_]{0,49}$'),
  constraint notification_preferences_default_reminders_only_for_reminders
    check (default_reminders or kind = 'session_reminder')
);
comment on table public.notification_preferences is
  'Per user and notification kind: which channels deliver it. No row = every channel on. in_app = false means no '
  'notifications row (and no broadcast) is created for that kind. Own rows only.';
comment on column public.notification_preferences.default_reminders is
  'Only meaningful on the kind session_reminder row: false opts out of the default reminders (24 h and 15 min before) '
  'that a booking adds. Must stay true on every other kind.';
alter table public.notification_preferences enable row level security;

create table public.session_reminders (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  minutes_before int not null default 15,
  created_at timestamptz not null default now(),
  notified_at timestamptz,
  constraint session_reminders_minutes_before_range check (minutes_before between 1 and 10080),
  constraint session_reminders_unique unique (session_id, user_id, minutes_before)
);
comment on table public.session_reminders is
  'A user''s reminder for a session, minutes_before its start. Created by set_reminder() and, for bookings, as the '
  'defaults 1440 and 15 by the reminder job (private.add_pending_default_reminders, unless '
  'notification_preferences.default_reminders is false); the owner deletes it through the table, and a booking '
  'cancelled while its session is scheduled or live deletes its user''s reminders for that session (unless staff). '
  'The pg_cron job session-reminders turns due ones into session_reminder notifications, once each.';
comment on column public.session_reminders.minutes_before is 'How long before starts_at to remind, 1 to 10080 minutes (7 days).';
comment on column public.session_reminders.notified_at is
  'When the reminder was sent; null = pending. Reset to null when the session is rescheduled.';
alter table public.session_reminders enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index notifications_user_id_created_at_idx on public.notifications (user_id, created_at desc);
create index notifications_user_id_unread_idx on public.notifications (user_id) where read_at is null;
create index session_reminders_user_id_idx on public.session_reminders (user_id);
-- The reminder job drives from the sessions starting soon to their pending reminders.
create index session_reminders_pending_idx on public.session_reminders (session_id) where notified_at is null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Start time as shown to a person: weekday, date and wall-clock time in their zone, plus the zone name
-- and the abbreviation (or offset) in force, so the hour repeated when clocks go back reads
-- differently on each side ('02:30 Europe/Amsterdam (CEST)', '02:30 Europe/Amsterdam (CET)').
-- The TimeZone setting does the conversion: `ts at time zone tz` reads tz as an abbreviation first,
-- and CET, EET, MET and WET are also (winter) abbreviations, which put summer times an hour early.
-- The function's own SET clause restores the caller's setting when it returns.
create function private.format_local_time(ts timestamptz, tz text)
returns text
language plpgsql stable set search_path = '' set timezone = 'UTC' as $$
declare
  v_zone text := coalesce(tz, 'UTC');
  v_abbrev text;
begin
  perform set_config('TimeZone', v_zone, true);
  v_abbrev := to_char(ts, 'TZ');
  if v_abbrev ~ '^[+-]' then
    v_abbrev := 'UTC' || v_abbrev;
  end if;
  return to_char(ts, 'Dy DD Mon YYYY HH24:MI') || ' ' || v_zone
         || case when v_abbrev is null or v_abbrev = '' or upper(v_abbrev) = upper(v_zone) then '' else ' (' || v_abbrev || ')' end;
end;
$$;
comment on function private.format_local_time(timestamptz, text) is
  'Formats an instant for a reader in an IANA zone (null = UTC), DST-aware, reading the name as a zone, never as an '
  'abbreviation, with the abbreviation (or UTC offset) in force: e.g. ''Sat 24 Oct 2026 10:00 Europe/Amsterdam (CEST)'', '
  '''Wed 15 Jul 2026 14:00 CET (CEST)'', ''Wed 15 Jul 2026 16:00 Asia/Dubai (UTC+04)'', ''Wed 15 Jul 2026 12:00 UTC''.';
revoke execute on function private.format_local_time(timestamptz, text) from public, anon;
grant execute on function private.format_local_time(timestamptz, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot insert notifications; every feature notifies through this one
-- function, which also honours the recipient's in_app preference for the kind.
create function private.notify(user_id uuid, kind text, title text, body text default null,
                               link text default null, data jsonb default '{}'::jsonb)
returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  if exists (select 1 from public.notification_preferences np
             where np.user_id = notify.user_id and np.kind = notify.kind and not np.in_app) then
    return null;
  end if;
  insert into public.notifications as n (user_id, kind, title, body, link, data)
  values (notify.user_id, notify.kind, left(notify.title, 200), left(notify.body, 2000), notify.link,
          coalesce(notify.data, '{}'::jsonb))
  returning n.id into v_id;
  return v_id;
end;
$$;
comment on function private.notify(uuid, text, text, text, text, jsonb) is
  'Creates an in-app notification (broadcast as `notification` on user:<user_id> by a trigger) unless the user turned '
  'in_app off for that kind; returns its id or null. For backend code: security definer RPCs, triggers, service_role.';
revoke execute on function private.notify(uuid, text, text, text, text, jsonb)
  from public, anon, authenticated;
grant execute on function private.notify(uuid, text, text, text, text, jsonb) to service_role;

-- The reminder job. Runs as the cron job's owner (postgres); nobody else calls it.
create function private.send_due_reminders()
returns int
language plpgsql volatile set search_path = '' as $$
begin
  perform private.add_pending_default_reminders();
  return private.send_due_reminder_notifications();
end;
$$;
comment on function private.send_due_reminders() is
  'The session-reminders pg_cron job (every minute): adds pending default reminders, then sends the due ones exactly '
  'once (private.send_due_reminder_notifications). Returns the number of reminders sent.';
revoke execute on function private.send_due_reminders() from public, anon, authenticated, service_role;

-- The job's first part: turns bookings marked default_reminders_pending into reminder rows.
create function private.add_pending_default_reminders()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_added int;
begin
  -- Rows locked by a transaction in flight (a cancellation, say), and rows whose session or user is
  -- being deleted, are left for the next run.
  with claimed as (
    update public.bookings b
       set default_reminders_pending = false
     where b.id in (select p.id
                    from public.bookings p
                    join public.sessions s on s.id = p.session_id
                    join auth.users u on u.id = p.user_id
                    where p.default_reminders_pending
                    for update of p skip locked
                    for key share of s, u skip locked)
    returning b.session_id, b.user_id, b.status, b.created_at
  )
  insert into public.session_reminders (session_id, user_id, minutes_before)
  select c.session_id, c.user_id, d.minutes
  from claimed c
  join public.sessions s on s.id = c.session_id
  cross join (values (1440), (15)) as d (minutes)
  where c.status <> 'cancelled'
    and s.status = 'scheduled'
    and s.starts_at > now()
    -- the lead times still ahead when the user booked (a late one is sent by this same job run)
    and s.starts_at - make_interval(mins => d.minutes) > c.created_at
    and not exists (select 1 from public.notification_preferences np
                    where np.user_id = c.user_id and np.kind = 'session_reminder' and not np.default_reminders)
  on conflict on constraint session_reminders_unique do nothing;
  get diagnostics v_added = row_count;
  return v_added;
end;
$$;
comment on function private.add_pending_default_reminders() is
  'Adds the default reminders (1440 and 15 minutes before the start) of bookings marked default_reminders_pending: '
  'only for active bookings of scheduled sessions, only lead times still ahead when the user booked, not for users '
  'who set notification_preferences.default_reminders = false. Clears the mark. Skips, until the next run, bookings '
  'locked by another transaction and bookings whose session or user is being deleted (locks in the order of those '
  'deletes, so it never deadlocks with them). Returns the reminders added. Called by private.send_due_reminders '
  'before it sends.';
revoke execute on function private.add_pending_default_reminders()
  from public, anon, authenticated, service_role;

-- Both parts of the job (this one and private.add_pending_default_reminders) take their locks in the
-- order that deleting a session or a user does: the session and the user (FOR KEY SHARE, which
-- only a delete or a key change conflicts with) together with the reminder or booking, skipping any
-- whose session or user is locked by such a writer (SKIP LOCKED). Locking the rows first and the
-- session and user only through the foreign-key checks of the inserts made the job and a delete
-- wait for each other until Postgres aborted one of them (40P01). A skipped row stays pending:
-- the delete's cascade removes it, or the next run (a minute later) takes it.
create function private.send_due_reminder_notifications()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sent int := 0;
  v_due record;
begin
  -- Claim first (notified_at is set in the same statement that selects), so two runs, concurrent or
  -- not, never send one reminder twice: a reminder another run holds is skipped (that run sends it),
  -- and one claimed and committed no longer has notified_at null. The session and the user are
  -- locked with the reminder (KEY SHARE; a reminder whose session or user is being deleted is left to
  -- the cascade or the next run), so the notification insert below never waits for a delete that
  -- waits for this run. `due` decides the timing (re-checked on the newest row versions as it locks
  -- them); the rules below read the session and booking state at this moment.
  for v_due in
    with due as (
      select r.id
      from public.session_reminders r
      join public.sessions s on s.id = r.session_id
      join auth.users u on u.id = r.user_id
      where r.notified_at is null
        and s.status = 'scheduled'
        and s.starts_at > now()
        and s.starts_at <= now() + interval '10080 minutes'
        and s.starts_at - make_interval(mins => r.minutes_before) <= now()
      for update of r skip locked
      for key share of s, u skip locked
    ), claimed as (
      update public.session_reminders r
         set notified_at = now()
        from public.sessions s
       where r.id in (select due.id from due)
         and s.id = r.session_id
         and not private.is_banned(s.id, r.user_id)
         and (
           -- staff, or an active booking
           exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = r.user_id)
           or exists (select 1 from public.bookings b
                      where b.session_id = s.id and b.user_id = r.user_id and b.status <> 'cancelled')
           -- or, for a session open to them, a reminder without any booking (never a cancelled one)
           or (s.visibility <> 'private'
               and not exists (select 1 from public.bookings b where b.session_id = s.id and b.user_id = r.user_id)))
      returning r.id, r.user_id, r.minutes_before, s.id as session_id, s.title, s.starts_at, s.timezone
    )
    select c.*, coalesce(p.timezone, c.timezone, 'UTC') as reader_tz,
           (select b.status from public.bookings b
            where b.session_id = c.session_id and b.user_id = c.user_id and b.status <> 'cancelled') as booking_status
    from claimed c
    left join public.profiles p on p.id = c.user_id
  loop
    perform private.notify(v_due.user_id, 'session_reminder', 'Reminder: ' || v_due.title,
      'Starts ' || private.format_local_time(v_due.starts_at, v_due.reader_tz) || '.'
        || case when v_due.booking_status = 'waitlisted' then ' You are on the waitlist.' else '' end,
      '/sessions/' || v_due.session_id::text,
      jsonb_build_object('session_id', v_due.session_id, 'reminder_id', v_due.id, 'starts_at', v_due.starts_at,
                         'minutes_before', v_due.minutes_before, 'timezone', v_due.reader_tz));
    v_sent := v_sent + 1;
  end loop;
  return v_sent;
end;
$$;
comment on function private.send_due_reminder_notifications() is
  'Claims due reminders (notified_at) and creates one session_reminder notification each, deciding from the current '
  'session and booking state, exactly once. Skips, until the next run, reminders another run holds and reminders '
  'whose session or user is being deleted (locks in the order of those deletes, so it never deadlocks with them). '
  'Called by private.send_due_reminders. Returns the number claimed.';
revoke execute on function private.send_due_reminder_notifications()
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.notifications from public, anon, authenticated, service_role;
grant select, delete on table public.notifications to authenticated;
grant all on table public.notifications to service_role;
grant update (read_at) on table public.notifications to authenticated;
create policy "users can read their own notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can mark their own notifications read" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users can delete their own notifications" on public.notifications
  for delete to authenticated using (user_id = (select auth.uid()));

revoke all on table public.notification_preferences from public, anon, authenticated, service_role;
grant select, delete on table public.notification_preferences to authenticated;
grant all on table public.notification_preferences to service_role;
grant insert (user_id, kind, in_app, email, push, default_reminders) on table public.notification_preferences
  to authenticated;
grant update (in_app, email, push, default_reminders) on table public.notification_preferences to
  authenticated;
create policy "users can read their own notification preferences" on public.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can add their own notification preferences" on public.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "users can change their own notification preferences" on public.notification_preferences
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users can delete their own notification preferences" on public.notification_preferences
  for delete to authenticated using (user_id = (select auth.uid()));

revoke all on table public.session_reminders from public, anon, authenticated, service_role;
grant select, delete on table public.session_reminders to authenticated;
grant all on table public.session_reminders to service_role;
create policy "users can read their own reminders" on public.session_reminders
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can delete their own reminders" on public.session_reminders
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY INVOKER: RLS and the column grant on read_at limit it to the caller's own rows.
create function public.mark_notifications_read(notification_ids uuid[] default null)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  update public.notifications n
     set read_at = now()
   where n.user_id = (select auth.uid())
     and n.read_at is null
     and (mark_notifications_read.notification_ids is null or n.id = any (mark_notifications_read.notification_ids));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.mark_notifications_read(uuid[]) is
  'Marks the caller''s unread notifications read: the given ids, or all of them when null. Returns how many changed. '
  'Ids of other users'' notifications are ignored. Errors: not_authenticated.';
revoke execute on function public.mark_notifications_read(uuid[]) from public, anon;
grant execute on function public.mark_notifications_read(uuid[]) to authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on session_reminders (the checks live here).
create function public.set_reminder(session_id uuid, minutes_before int default 15)
returns public.session_reminders
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions := private.session_for_member_action(set_reminder.session_id);
  v_row public.session_reminders;
begin
  if set_reminder.minutes_before is null or set_reminder.minutes_before not between 1 and 10080 then
    perform private.raise_error('invalid_input', 'minutes_before is 1 to 10080.',
      jsonb_build_object('field', 'minutes_before', 'min', 1, 'max', 10080));
  end if;
  if v_session.status <> 'scheduled' then
    perform private.raise_error('invalid_transition', 'Reminders are for scheduled sessions.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.starts_at - make_interval(mins => set_reminder.minutes_before) <= now() then
    perform private.raise_error('invalid_input', 'That reminder time has already passed.',
      jsonb_build_object('field', 'minutes_before', 'starts_at', v_session.starts_at));
  end if;
  -- The reminder job sends to staff, to active bookings, and to users who never booked a session open
  -- to them (a cancelled booking stops its reminders until the user books again): refuse a reminder
  -- it would not send.
  if not exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = v_uid)
     and not exists (select 1 from public.bookings b
                     where b.session_id = v_session.id and b.user_id = v_uid and b.status <> 'cancelled')
     and (v_session.visibility = 'private'
          or exists (select 1 from public.bookings b where b.session_id = v_session.id and b.user_id = v_uid)) then
    perform private.raise_error('forbidden', 'Book this session to get reminders for it.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'booking_required'));
  end if;
  insert into public.session_reminders as r (session_id, user_id, minutes_before)
  values (v_session.id, v_uid, set_reminder.minutes_before)
  on conflict on constraint session_reminders_unique do nothing
  returning r.* into v_row;
  if v_row.id is null then
    perform private.raise_error('reminder_exists', 'You already have this reminder.',
      jsonb_build_object('session_id', v_session.id, 'minutes_before', set_reminder.minutes_before));
  end if;
  return v_row;
end;
$$;
comment on function public.set_reminder(uuid, int) is
  'Adds a reminder for the caller, minutes_before (1-10080, default 15) the start of a scheduled session they can see; '
  'returns it. Delete it through the table. Errors: not_authenticated, invalid_input (range, or the time has passed), '
  'not_found, forbidden (banned; or reason booking_required: a private session without a booking or staff role, or a '
  'cancelled booking, which the reminder job does not remind), invalid_transition (not scheduled), reminder_exists '
  '(same session and minutes).';
revoke execute on function public.set_reminder(uuid, int) from public, anon;
grant execute on function public.set_reminder(uuid, int) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger notification_preferences_set_updated_at before update on public.notification_preferences
  for each row execute function private.set_updated_at();

-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md).
create function private.broadcast_new_notification()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('id', new.id, 'kind', new.kind, 'title', new.title, 'link', new.link),
    'notification', 'user:' || new.user_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_new_notification() is
  'Trigger: broadcasts `notification` {id, kind, title, link} on the private topic user:<user_id>.';
revoke execute on function private.broadcast_new_notification()
  from public, anon, authenticated, service_role;
create trigger broadcast_new_notification after insert on public.notifications
  for each row execute function private.broadcast_new_notification();

-- The default reminders of a booking are decided against the start time when the user booked: a
-- booking made 2 hours before the start gets the 15 minute reminder only. When the host moves the
-- session later, each default lead time that had passed at booking time and is ahead again is
-- added; one the booking did get is never re-added, so a reminder the user deleted stays deleted.
-- Security definer: hosts reschedule through RLS; reminders belong to other users.
create function private.sessions_add_missed_default_reminders()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.session_reminders (session_id, user_id, minutes_before)
  select b.session_id, b.user_id, d.minutes
  from public.bookings b
  cross join (values (1440), (15)) as d (minutes)
  where b.session_id = new.id
    and b.status in ('confirmed', 'waitlisted')
    and not b.default_reminders_pending
    and old.starts_at - make_interval(mins => d.minutes) <= b.created_at
    and new.starts_at - make_interval(mins => d.minutes) > now()
    and not exists (select 1 from public.notification_preferences np
                    where np.user_id = b.user_id and np.kind = 'session_reminder' and not np.default_reminders)
  on conflict on constraint session_reminders_unique do nothing;
  return null;
end;
$$;
comment on function private.sessions_add_missed_default_reminders() is
  'Trigger after a scheduled session''s starts_at changes: adds to each active booking the default reminders (1440, 15) '
  'whose lead time had passed when it was booked and is ahead of now, unless the user opted out. Internal.';
revoke execute on function private.sessions_add_missed_default_reminders()
  from public, anon, authenticated, service_role;
create trigger sessions_add_missed_default_reminders after update of starts_at on public.sessions
  for each row
  when (new.starts_at is distinct from old.starts_at and new.status = 'scheduled')
  execute function private.sessions_add_missed_default_reminders();

-- =============================================================================================
-- supabase/schemas/32_attendance.sql
-- =============================================================================================

-- Attendance: presence intervals (join_session, heartbeat, leave_session), the live viewer count
-- (private.viewer_count, throttled `viewer_count` broadcast on session:<id>, peak viewers) and the
-- host's attendance report with engagement scores (its chat, Q&A, poll and survey inputs come from
-- private.engagement_inputs, 54_metrics.sql).
-- Tables: public.attendance_intervals, public.session_viewer_stats; a trigger on public.sessions.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.attendance_intervals (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  connection_id text not null default 'default',
  joined_at timestamptz not null default now(),
  last_heartbeat_at timestamptz not null default now(),
  left_at timestamptz,
  constraint attendance_intervals_connection_id_length check (char_length(connection_id) between 1 and 100),
  constraint attendance_intervals_heartbeat_after_join check (last_heartbeat_at >= joined_at),
  constraint attendance_intervals_left_after_join check (left_at is null or left_at >= joined_at)
);
comment on table public.attendance_intervals is
  'One row per presence interval of a user''s connection in a session: opened by join_session (or a heartbeat after a '
  'gap), kept alive by heartbeat, closed by leave_session, by the session ending, or implicitly 60 s after the last '
  'heartbeat. Users read their own; hosts and moderators read their session''s. Written only by the RPCs.';
comment on column public.attendance_intervals.connection_id is
  'Client-chosen id of one connection (tab, device); ''default'' when the client passes none.';
comment on column public.attendance_intervals.left_at is
  'When the connection left; null while open. An open interval without a heartbeat for 60 s counts as ended at its last heartbeat.';
alter table public.attendance_intervals enable row level security;

create table public.session_viewer_stats (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  peak_viewers int not null default 0,
  peak_at timestamptz,
  last_broadcast_at timestamptz not null default '-infinity',
  last_broadcast_count int,
  constraint session_viewer_stats_peak_not_negative check (peak_viewers >= 0)
);
comment on table public.session_viewer_stats is
  'Per session: the peak of the computed viewer count (private.viewer_count) and the state of the viewer_count '
  'broadcast throttle (at most one broadcast per 2 s). Members of the session read it; only triggers write it.';
comment on column public.session_viewer_stats.last_broadcast_at is 'When viewer_count was last broadcast on session:<id>.';
comment on column public.session_viewer_stats.last_broadcast_count is 'The viewer count sent in that broadcast.';
alter table public.session_viewer_stats enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index attendance_intervals_session_id_idx on public.attendance_intervals (session_id, user_id);
create index attendance_intervals_user_id_idx on public.attendance_intervals (user_id, session_id);
-- At most one open interval per connection; also the lookup of join/heartbeat/leave.
create unique index attendance_intervals_one_open_per_connection
  on public.attendance_intervals (session_id, user_id, connection_id) where left_at is null;
-- private.viewer_count: the open intervals of a session by heartbeat.
create index attendance_intervals_open_heartbeat_idx
  on public.attendance_intervals (session_id, last_heartbeat_at) where left_at is null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: counts every attendee's intervals, which members cannot read.
create function private.viewer_count(session_id uuid)
returns integer
language plpgsql stable security definer set search_path = '' as $$
begin
  return (select count(distinct a.user_id)::int
          from public.attendance_intervals a
          where a.session_id = viewer_count.session_id
            and a.left_at is null
            and a.last_heartbeat_at > now() - interval '60 seconds');
end;
$$;
comment on function private.viewer_count(uuid) is
  'Current viewers of a session: distinct users with an open interval whose last heartbeat (or join) is less than 60 s '
  'old. Computed on every call, never stored. Security definer: reads all attendees'' intervals.';
revoke execute on function private.viewer_count(uuid) from public;
grant execute on function private.viewer_count(uuid) to anon, authenticated, service_role;

-- A join racing the end of a session must not leave an interval open on the ended session (the
-- end closes the intervals that exist when its trigger runs). Joins and heartbeats of a session
-- hold a shared transaction-level advisory lock on it (shared: they never wait for each other),
-- taken before they read the session; ending or cancelling it takes the same lock exclusively
-- before the update (sessions_lock_attendance). So the end waits for joins in flight and its close
-- sees their intervals, and a join or heartbeat that comes while the end is in flight is answered
-- invalid_transition at once: with thousands of viewers, waiting requests would hold the API's
-- connections for the end's whole transaction.
create function private.attendance_lock_key(session_id uuid)
returns bigint
language sql immutable set search_path = '' as $$
  select pg_catalog.hashtextextended('attendance:' || session_id::text, 0)
$$;
comment on function private.attendance_lock_key(uuid) is
  'Advisory lock key of a session''s attendance: shared by join_session/heartbeat, exclusive when the session ends or '
  'is cancelled. Internal.';
revoke execute on function private.attendance_lock_key(uuid) from public, anon, authenticated, service_role;

-- Records presence of the caller's connection: refreshes an open, fresh interval or opens a new one
-- (closing a stale one at its last heartbeat). Internal: called by join_session and heartbeat.
create function private.touch_attendance(session_id uuid, connection_id text)
returns jsonb
language plpgsql volatile set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := (select auth.uid());
  v_conn text := coalesce(nullif(btrim(touch_attendance.connection_id), ''), 'default');
  v_session public.sessions;
  v_interval public.attendance_intervals;
begin
  -- Before reading the session: an end in flight holds the lock exclusively, and this answers at once
  -- (the end is final; waiting would hold a connection for the end's whole transaction); otherwise the
  -- end waits for this interval and closes it.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(private.attendance_lock_key(touch_attendance.session_id)) then
    perform private.raise_error('invalid_transition', 'The session is ending.',
      jsonb_build_object('session_id', touch_attendance.session_id));
  end if;
  v_session := private.session_for_member_action(touch_attendance.session_id);
  if char_length(v_conn) > 100 then
    perform private.raise_error('invalid_input', 'connection_id is at most 100 characters.',
      jsonb_build_object('field', 'connection_id', 'max', 100));
  end if;
  if not (v_session.status = 'live'
          or (v_session.status = 'scheduled' and now() >= v_session.starts_at - interval '15 minutes')) then
    perform private.raise_error('invalid_transition', 'The session is not open: it opens 15 minutes before it starts.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.id not in (select m.id from private.my_session_ids() as m (id)) and v_session.visibility <> 'public' then
    perform private.raise_error('forbidden', 'Only members of the session can join it.',
      jsonb_build_object('session_id', v_session.id));
  end if;

  -- A connection silent for 60 s has left at its last heartbeat (reconnect gap).
  update public.attendance_intervals a
     set left_at = a.last_heartbeat_at
   where a.session_id = v_session.id and a.user_id = v_uid and a.connection_id = v_conn
     and a.left_at is null and a.last_heartbeat_at <= now() - interval '60 seconds';

  insert into public.attendance_intervals as a (session_id, user_id, connection_id, joined_at, last_heartbeat_at)
  values (v_session.id, v_uid, v_conn, now(), now())
  on conflict (session_id, user_id, connection_id) where left_at is null
  do update set last_heartbeat_at = greatest(a.last_heartbeat_at, excluded.last_heartbeat_at)
  returning a.* into v_interval;

  return jsonb_build_object('session_id', v_session.id, 'connection_id', v_conn, 'interval_id', v_interval.id,
                            'joined_at', v_interval.joined_at, 'viewer_count', private.viewer_count(v_session.id));
end;
$$;
comment on function private.touch_attendance(uuid, text) is
  'join_session/heartbeat body: under the session''s shared attendance lock, checks, closes a stale interval of the '
  'connection, opens or refreshes its interval. Internal.';
revoke execute on function private.touch_attendance(uuid, text)
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.attendance_intervals from public, anon, authenticated, service_role;
grant select on table public.attendance_intervals to authenticated;
grant all on table public.attendance_intervals to service_role;
create policy "users and session hosts and moderators can read attendance" on public.attendance_intervals
  for select to authenticated
  using (user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.session_viewer_stats from public, anon, authenticated, service_role;
grant select on table public.session_viewer_stats to authenticated;
grant all on table public.session_viewer_stats to service_role;
create policy "members can read the viewer stats of their sessions" on public.session_viewer_stats
  for select to authenticated
  using (session_id in (select private.my_session_ids()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.join_session(session_id uuid, connection_id text default null)
returns jsonb
language sql volatile security definer set search_path = '' as $$
  select private.touch_attendance(join_session.session_id, join_session.connection_id);
$$;
comment on function public.join_session(uuid, text) is
  'Marks the caller present in a live session (or a scheduled one from 15 minutes before its start) on one connection '
  '(connection_id, default ''default''). Members only; for a public session any signed-in user may join and then counts '
  'as a member. Idempotent while the connection is fresh. Returns {session_id, connection_id, interval_id, joined_at, '
  'viewer_count}. Errors: not_authenticated, invalid_input, not_found, forbidden (not a member, or banned), '
  'invalid_transition (session not open).';
revoke execute on function public.join_session(uuid, text) from public, anon;
grant execute on function public.join_session(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.heartbeat(session_id uuid, connection_id text default null)
returns jsonb
language sql volatile security definer set search_path = '' as $$
  select private.touch_attendance(heartbeat.session_id, heartbeat.connection_id);
$$;
comment on function public.heartbeat(uuid, text) is
  'Keeps the caller''s connection present (send every 20-30 s; 60 s without one ends the interval at the last heartbeat). '
  'After a gap it opens a new interval, so it also works as a re-join. Same answer and errors as join_session.';
revoke execute on function public.heartbeat(uuid, text) from public, anon;
grant execute on function public.heartbeat(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot write attendance_intervals.
create function public.leave_session(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  -- null: every connection; blank: 'default', as join_session and heartbeat read it.
  v_conn text := case when leave_session.connection_id is not null
                      then coalesce(nullif(btrim(leave_session.connection_id), ''), 'default') end;
  v_closed int;
  v_visible boolean;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if leave_session.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- Stale intervals end at their last heartbeat, fresh ones now.
  update public.attendance_intervals a
     set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                        else a.last_heartbeat_at end
   where a.session_id = leave_session.session_id and a.user_id = v_uid and a.left_at is null
     and (v_conn is null or a.connection_id = v_conn);
  get diagnostics v_closed = row_count;
  v_visible := private.can_see_session(leave_session.session_id);
  if not v_visible and v_closed = 0 then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', leave_session.session_id));
  end if;
  return jsonb_build_object('session_id', leave_session.session_id, 'closed', v_closed,
                            'viewer_count', case when v_visible then private.viewer_count(leave_session.session_id) end);
end;
$$;
comment on function public.leave_session(uuid, text) is
  'Ends the caller''s presence on one connection (blank = ''default'', as join_session reads it), or on all their '
  'connections of the session when connection_id is null. Idempotent (closed = 0 when nothing was open). Returns '
  '{session_id, closed, viewer_count}; viewer_count is null when the caller can no longer see the session. Errors: '
  'not_authenticated, invalid_input, not_found (a session the caller cannot see, with nothing of theirs open).';
revoke execute on function public.leave_session(uuid, text) from public, anon;
grant execute on function public.leave_session(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: hosts read every attendee's intervals and engagement inputs (chat, Q&A, polls).
create function public.session_attendance_report(session_id uuid)
returns table (user_id uuid, display_name text, first_joined_at timestamptz, last_left_at timestamptz,
               attended_seconds int, messages int, questions int, upvotes int, poll_answers int,
               survey_done boolean, engagement_score int)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_window_start timestamptz;
  v_window_end timestamptz;
  v_window_seconds numeric;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if session_attendance_report.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_attendance_report.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_attendance_report.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only hosts of the session see its attendance report.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  v_window_start := v_session.started_at;
  v_window_end := coalesce(v_session.ended_at, now());
  v_window_seconds := greatest(extract(epoch from v_window_end - v_window_start), 0);

  return query
  with raw as (
    select a.user_id, a.joined_at,
           -- effective end: left_at, else now while fresh, else the last heartbeat
           coalesce(a.left_at, case when a.last_heartbeat_at > now() - interval '60 seconds' then now()
                                    else a.last_heartbeat_at end) as ended_at,
           a.left_at is null and a.last_heartbeat_at > now() - interval '60 seconds' as is_open
    from public.attendance_intervals a
    where a.session_id = v_session.id
  ),
  clipped as (
    select r.user_id, greatest(r.joined_at, v_window_start) as s, least(r.ended_at, v_window_end) as e
    from raw r
    where v_window_start is not null
      and least(r.ended_at, v_window_end) > greatest(r.joined_at, v_window_start)
  ),
  marked as (
    select c.user_id, c.s, c.e,
           max(c.e) over (partition by c.user_id order by c.s, c.e
                          rows between unbounded preceding and 1 preceding) as prev_end
    from clipped c
  ),
  grouped as (
    select m.user_id, m.s, m.e,
           sum(case when m.prev_end is null or m.s > m.prev_end then 1 else 0 end)
             over (partition by m.user_id order by m.s, m.e) as island
    from marked m
  ),
  attended as (
    select i.user_id, sum(extract(epoch from i.e - i.s))::numeric as seconds
    from (select g.user_id, g.island, min(g.s) as s, max(g.e) as e from grouped g group by g.user_id, g.island) i
    group by i.user_id
  ),
  people as (
    select r.user_id, min(r.joined_at) as first_joined_at,
           case when bool_or(r.is_open) then null else max(r.ended_at) end as last_left_at
    from raw r group by r.user_id
  )
  select pe.user_id, pr.display_name, pe.first_joined_at, pe.last_left_at,
         coalesce(round(att.seconds), 0)::int,
         coalesce(ei.messages, 0), coalesce(ei.questions, 0), coalesce(ei.upvotes, 0),
         coalesce(ei.poll_answers, 0), coalesce(ei.survey_done, false),
         round(
           50 * case when v_window_seconds > 0 then least(coalesce(att.seconds, 0) / v_window_seconds, 1) else 0 end
           + 15 * least(coalesce(ei.messages, 0), 5) / 5.0
           + 15 * least(coalesce(ei.questions, 0) + coalesce(ei.upvotes, 0), 5) / 5.0
           + 10 * case when coalesce(ei.polls_total, 0) > 0
                       then least(coalesce(ei.poll_answers, 0)::numeric / ei.polls_total, 1) else 0 end
           + 10 * case when coalesce(ei.survey_done, false) then 1 else 0 end
         )::int
  from people pe
  left join attended att on att.user_id = pe.user_id
  left join private.engagement_inputs(v_session.id) ei on ei.user_id = pe.user_id
  left join public.profiles pr on pr.id = pe.user_id
  order by pe.first_joined_at, pe.user_id;
end;
$$;
comment on function public.session_attendance_report(uuid) is
  'Hosts only: one row per attendee with first_joined_at, last_left_at (null while still present), attended_seconds '
  '(all the user''s connections'' intervals merged where they overlap, each clipped to the live window '
  'started_at .. coalesce(ended_at, now()); 0 if the session never went live), messages, questions, upvotes, '
  'poll_answers, survey_done (from private.engagement_inputs) and engagement_score 0-100 = round(50 x attended share of '
  'the live window + 15 x min(messages, 5)/5 + 15 x min(questions + upvotes, 5)/5 + 10 x polls answered / polls of the '
  'session + 10 x survey done). Errors: not_authenticated, invalid_input (no session_id), not_found, forbidden (not a host).';
revoke execute on function public.session_attendance_report(uuid) from public, anon;
grant execute on function public.session_attendance_report(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Security definer: reads every attendee's intervals, writes session_viewer_stats and broadcasts.
create function private.attendance_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count int;
  v_broadcast boolean;
begin
  -- An interval silent for 60 s is no longer counted by viewer_count: closing it changes nothing
  -- (the heartbeat that follows a reconnect gap opens the new interval right after).
  if tg_op = 'UPDATE' and old.left_at is null and new.left_at is not null
     and old.last_heartbeat_at <= now() - interval '60 seconds' then
    return null;
  end if;
  v_count := private.viewer_count(new.session_id);
  insert into public.session_viewer_stats (session_id) values (new.session_id)
  on conflict (session_id) do nothing;
  update public.session_viewer_stats v set peak_viewers = v_count, peak_at = now()
  where v.session_id = new.session_id and v.peak_viewers < v_count;
  -- Throttle: only the transaction that moves last_broadcast_at sends (at most once per 2 s).
  update public.session_viewer_stats v set last_broadcast_at = now(), last_broadcast_count = v_count
  where v.session_id = new.session_id
    and v.last_broadcast_at < now() - interval '2 seconds'
    and v.last_broadcast_count is distinct from v_count
  returning true into v_broadcast;
  if v_broadcast then
    perform realtime.send(jsonb_build_object('session_id', new.session_id, 'viewer_count', v_count),
      'viewer_count', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
comment on function private.attendance_changed() is
  'Trigger on attendance changes: keeps session_viewer_stats.peak_viewers and broadcasts `viewer_count` '
  '{session_id, viewer_count} on session:<id> when the count changed, at most once per 2 s per session. Closing an '
  'interval already silent for 60 s is skipped: it was not counted.';
revoke execute on function private.attendance_changed() from public, anon, authenticated, service_role;
create trigger attendance_changed after insert or update of last_heartbeat_at, left_at on public.attendance_intervals
  for each row execute function private.attendance_changed();

-- Security definer: service_role may end a session by a direct update; the key function is internal.
create function private.sessions_lock_attendance()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(private.attendance_lock_key(new.id));
  return new;
end;
$$;
comment on function private.sessions_lock_attendance() is
  'Trigger before a session ends or is cancelled: takes its attendance lock exclusively, so joins in flight finish '
  'before its intervals are closed and later ones see the new status. Internal.';
revoke execute on function private.sessions_lock_attendance() from public, anon, authenticated, service_role;
create trigger sessions_lock_attendance before update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.sessions_lock_attendance();

-- =============================================================================================
-- supabase/schemas/35_calendar.sql
-- =============================================================================================

-- Calendar feeds: a per-user secret token for a subscribable iCalendar feed (only its SHA-256 hash is
-- stored), the RPCs that create and revoke it, and the lookup the `calendar` Edge Function uses to
-- render a feed: the user's booked (confirmed or waitlisted) and reminded sessions, cancelled ones
-- included so that calendar apps receive STATUS:CANCELLED.
-- Tables: public.calendar_feeds. Reads sessions, session_staff, session_bans, profiles, bookings,
-- session_reminders and private.session_seats.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.calendar_feeds (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  constraint calendar_feeds_token_hash_is_sha256 check (octet_length(token_hash) = 32),
  constraint calendar_feeds_revoked_after_created check (revoked_at is null or revoked_at >= created_at)
);
comment on table public.calendar_feeds is
  'Secret calendar feed tokens, one active (revoked_at is null) per user. Written only through '
  'create_calendar_feed() and revoke_calendar_feed(); the token itself is shown once and never stored. '
  'Users read their own rows, without token_hash.';
comment on column public.calendar_feeds.token_hash is
  'SHA-256 of the secret token (extensions.digest). Not readable by clients; the Edge Function resolves a '
  'token through calendar_feed_events().';
comment on column public.calendar_feeds.revoked_at is
  'When the feed stopped working: revoke_calendar_feed(), or create_calendar_feed() replacing it. Null = active.';
alter table public.calendar_feeds enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- At most one active feed per user; also serves the "own rows" policy and the revoke update.
create unique index calendar_feeds_one_active_per_user on public.calendar_feeds (user_id) where revoked_at is null;
-- The foreign key index (covers revoked rows too, so deleting a user does not scan the table).
create index calendar_feeds_user_id_idx on public.calendar_feeds (user_id, created_at desc);
-- Token lookup of every feed request; 256-bit random tokens never collide, the constraint makes sure.
create unique index calendar_feeds_token_hash_key on public.calendar_feeds (token_hash);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SHA-256 of a feed token, the only form in which a token is stored or compared.
create function private.calendar_token_hash(token text)
returns bytea
language sql immutable strict parallel safe set search_path = '' as $$
  select extensions.digest(convert_to(token, 'UTF8'), 'sha256')
$$;
comment on function private.calendar_token_hash(text) is 'SHA-256 of a calendar feed token (the stored token_hash).';
revoke execute on function private.calendar_token_hash(text) from public, anon, authenticated;
grant execute on function private.calendar_token_hash(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.calendar_feeds from public, anon, authenticated, service_role;
grant select (id, user_id, created_at, revoked_at) on table public.calendar_feeds to authenticated,
  service_role;
create policy "users can read their own calendar feeds"
  on public.calendar_feeds for select to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients have no insert/update grant on calendar_feeds (so a client can never
-- choose its own token or write a hash); this function generates the token server-side.
create function public.create_calendar_feed()
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_user_id uuid := (select auth.uid());
  v_token text;
  v_feed public.calendar_feeds;
begin
  if v_user_id is null then
    perform private.raise_error('not_authenticated', 'Sign in to create a calendar feed', jsonb_build_object('rpc', 'create_calendar_feed'));
  end if;
  -- Serialises concurrent calls of one user: the second waits, then replaces the first's feed
  -- instead of failing on the one-active-feed index.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('calendar_feeds:' || v_user_id::text, 0));

  update public.calendar_feeds f
     set revoked_at = now()
   where f.user_id = v_user_id and f.revoked_at is null;

  -- 32 random bytes, base64url without padding: 43 characters, safe in a URL path.
  v_token := pg_catalog.translate(pg_catalog.encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  insert into public.calendar_feeds (user_id, token_hash)
  values (v_user_id, private.calendar_token_hash(v_token))
  returning * into v_feed;

  return jsonb_build_object(
    'id', v_feed.id,
    'token', v_token,
    'created_at', v_feed.created_at,
    'path', 'calendar/feed/' || v_token || '.ics');
end;
$$;
comment on function public.create_calendar_feed() is
  'Creates the caller''s calendar feed and returns {id, token, created_at, path} once: the token is not stored '
  '(only its SHA-256) and cannot be shown again. Revokes the caller''s previous feed. Subscribe to '
  '<functions url>/calendar/feed/<token>.ics. Errors: not_authenticated.';
revoke execute on function public.create_calendar_feed() from public, anon;
grant execute on function public.create_calendar_feed() to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on calendar_feeds (revoked_at must not be cleared).
create function public.revoke_calendar_feed()
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_user_id uuid := (select auth.uid());
  v_count int;
begin
  if v_user_id is null then
    perform private.raise_error('not_authenticated', 'Sign in to revoke a calendar feed', jsonb_build_object('rpc', 'revoke_calendar_feed'));
  end if;
  update public.calendar_feeds f
     set revoked_at = now()
   where f.user_id = v_user_id and f.revoked_at is null;
  get diagnostics v_count = row_count;
  return v_count > 0;
end;
$$;
comment on function public.revoke_calendar_feed() is
  'Revokes the caller''s active calendar feed: its URL answers 404 from now on. True when a feed was revoked, '
  'false when there was none. Errors: not_authenticated.';
revoke execute on function public.revoke_calendar_feed() from public, anon;
grant execute on function public.revoke_calendar_feed() to authenticated, service_role;

-- SECURITY DEFINER: a calendar app fetching a feed has no JWT, only the secret token; the function
-- resolves the token to its user and reads that user's bookings and reminders across RLS. Executable
-- only by service_role (the Edge Function acts as service_role for this one call), never by anon or
-- authenticated, so nobody can probe tokens or read other users' feeds through PostgREST.
-- A session the user only set a reminder on leaves the feed when it turns private (unless they are
-- staff or booked), and a banned user's feed drops the session. A cancelled booking of a cancelled
-- session stays only when the session's cancellation cancelled it: its cancelled_at equals the time
-- the seat row recorded for the cancellation (private.session_seats.cancelled_at); a user's own
-- earlier cancellation does not bring the session back.
create function public.calendar_feed_events(token text)
returns table (session_id uuid, title text, description text, starts_at timestamptz, duration_minutes integer,
               timezone text, status text, sequence integer, updated_at timestamptz, host_name text, link text,
               reminder_minutes integer[], booking_status text)
language sql stable security definer set search_path = '' as $$
  with feed as (
    select f.user_id
    from public.calendar_feeds f
    where f.token_hash = private.calendar_token_hash(calendar_feed_events.token)
      and f.revoked_at is null
  ),
  mine as (
    -- Active bookings, and the bookings that the session's cancellation cancelled (the cascade stamps
    -- them with the cancellation time, kept in the seat row), so that a cancelled session stays in the
    -- feed as STATUS:CANCELLED even without reminders. A booking its user cancelled earlier does not
    -- bring the session back.
    select b.session_id, b.status as booking_status
    from feed
    join public.bookings b on b.user_id = feed.user_id
    join public.sessions s on s.id = b.session_id
    where b.status in ('confirmed', 'waitlisted')
       or (b.status = 'cancelled' and s.status = 'cancelled'
           and b.cancelled_at = (select ss.cancelled_at from private.session_seats ss where ss.session_id = b.session_id))
    union
    -- Reminder-only sessions while the user may still see them (the rule of private.send_due_reminders).
    select r.session_id, null
    from feed
    join public.session_reminders r on r.user_id = feed.user_id
    join public.sessions s on s.id = r.session_id
    where s.visibility <> 'private'
       or exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = feed.user_id)
       or exists (select 1 from public.bookings b
                  where b.session_id = s.id and b.user_id = feed.user_id and b.status <> 'cancelled')
  ),
  picked as (
    select m.session_id, max(m.booking_status) as booking_status
    from mine m
    group by m.session_id
  )
  select s.id,
         s.title,
         s.description,
         s.starts_at,
         s.duration_minutes,
         s.timezone,
         s.status,
         s.sequence,
         s.updated_at,
         (select p.display_name
            from public.session_staff st
            join public.profiles p on p.id = st.user_id
           where st.session_id = s.id and st.role = 'host'
           order by st.created_at, st.user_id
           limit 1),
         '/sessions/' || s.id::text,
         coalesce((select array_agg(distinct r.minutes_before order by r.minutes_before)
                     from feed join public.session_reminders r on r.user_id = feed.user_id
                    where r.session_id = s.id), '{}'::int[]),
         picked.booking_status
  from picked
  join public.sessions s on s.id = picked.session_id
  -- A draft was never published: it has no place in anyone's calendar; a ban removes the session.
  where s.status <> 'draft'
    and not exists (select 1 from feed join public.session_bans bn on bn.user_id = feed.user_id
                    where bn.session_id = s.id)
  order by s.starts_at, s.id
$$;
comment on function public.calendar_feed_events(text) is
  'Feed content for a calendar token: one row per session the token''s user has booked (confirmed or '
  'waitlisted) or set a reminder for, cancelled sessions included (for STATUS:CANCELLED) when their cancellation '
  'cancelled the user''s booking, drafts and sessions the user is banned from excluded; host_name is the first '
  'host''s display name, link the app path of the session, reminder_minutes the user''s reminders (ascending), '
  'booking_status confirmed/waitlisted (cancelled: the session''s cancellation cancelled it; null: reminder only). '
  'No rows for an unknown or revoked token. service_role only: used by the calendar Edge Function.';
revoke execute on function public.calendar_feed_events(text) from public, anon, authenticated;
grant execute on function public.calendar_feed_events(text) to service_role;

-- SECURITY DEFINER: clients and service_role have no select grant on token_hash. Same audience as
-- calendar_feed_events(): service_role only, so tokens cannot be probed through PostgREST.
create function public.calendar_feed_is_active(token text)
returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1
    from public.calendar_feeds f
    where f.token_hash = private.calendar_token_hash(calendar_feed_is_active.token)
      and f.revoked_at is null)
$$;
comment on function public.calendar_feed_is_active(text) is
  'True when the token belongs to an active (not revoked) calendar feed, so that an empty feed (200, no events) '
  'can be told apart from an unknown or revoked token (404). service_role only: used by the calendar Edge Function.';
revoke execute on function public.calendar_feed_is_active(text) from public, anon, authenticated;
grant execute on function public.calendar_feed_is_active(text) to service_role;

-- =============================================================================================
-- supabase/schemas/40_chat.sql
-- =============================================================================================

-- Chat of a live session: messages (no client writes: RPCs only), pinning, moderation (delete),
-- history and catch-up after a reconnect, slow mode and rate limits, and the `new_message`,
-- `message_pinned` and `message_deleted` broadcasts on session:<id>.
-- Tables: public.chat_messages. Bans (session_bans, ban_user, unban_user) are in 20_sessions.sql: a
-- ban removes a user from the whole session; what a new ban does to the chat is here.
-- Who receives the broadcasts: the realtime.messages policies, 41_realtime.sql.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.chat_messages (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  room_id uuid null references public.rooms (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  kind text not null default 'message',
  is_pinned boolean not null default false,
  pinned_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint chat_messages_body_length check (char_length(body) between 1 and 500 and body = btrim(body)),
  constraint chat_messages_kind_valid check (kind in ('message', 'announcement')),
  constraint chat_messages_pinned_at_set check (is_pinned = (pinned_at is not null)),
  constraint chat_messages_deleted_by_needs_deleted_at check (deleted_by is null or deleted_at is not null),
  constraint chat_messages_deleted_not_pinned check (deleted_at is null or not is_pinned)
);
comment on table public.chat_messages is
  'Chat of a session (and optionally of one of its breakout rooms). Written only by send_chat_message, '
  'pin_message and delete_message. Members read non-deleted messages; staff also read deleted ones.';
comment on column public.chat_messages.room_id is 'Breakout room the message was posted in; null for the session''s main chat.';
comment on column public.chat_messages.body is 'Message text, stored trimmed, 1-500 characters.';
comment on column public.chat_messages.kind is 'message (anyone who may post) or announcement (session staff only).';
comment on column public.chat_messages.is_pinned is 'Pinned by a host or moderator (pin_message); pinned_at says when.';
comment on column public.chat_messages.deleted_at is
  'Soft delete (delete_message): set, the message is hidden from members; staff still read it, flagged by this column.';
comment on column public.chat_messages.created_at is
  'Time of posting (clock time taken after the per-user lock, so one user''s messages are strictly ordered). '
  'Pagination orders by (created_at, id).';
alter table public.chat_messages enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- Keyset pagination of a session's chat: (created_at, id) descending.
create index chat_messages_session_page_idx on public.chat_messages (session_id, created_at desc, id desc);
-- The user_id foreign key, and the slow mode / rate limit look-ups of one user in one session.
create index chat_messages_user_session_idx on public.chat_messages (user_id, session_id, created_at desc);
create index chat_messages_room_id_idx on public.chat_messages (room_id);
create index chat_messages_deleted_by_idx on public.chat_messages (deleted_by);
create index chat_messages_pinned_idx on public.chat_messages (session_id, pinned_at desc) where is_pinned;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- A message as the RPCs answer it: the row plus the author's display name and initials.
create function private.chat_message_json(m public.chat_messages, display_name text, initials text)
returns jsonb
language sql immutable parallel safe set search_path = '' as $$
  select jsonb_build_object(
    'id', m.id, 'session_id', m.session_id, 'room_id', m.room_id, 'user_id', m.user_id,
    'display_name', display_name, 'initials', initials,
    'body', m.body, 'kind', m.kind, 'is_pinned', m.is_pinned, 'pinned_at', m.pinned_at,
    'is_deleted', m.deleted_at is not null, 'deleted_at', m.deleted_at, 'deleted_by', m.deleted_by,
    'created_at', m.created_at)
$$;
comment on function private.chat_message_json(public.chat_messages, text, text) is
  'JSON of a chat message for chat_history/chat_since: row fields, author display_name and initials, is_deleted.';
revoke execute on function private.chat_message_json(public.chat_messages, text, text) from public, anon;
grant execute on function private.chat_message_json(public.chat_messages, text, text)
  to authenticated, service_role;

-- SECURITY DEFINER: the catch-up anchor may be a message the caller can no longer read (deleted
-- while they were offline); only its timestamp is returned, and only to members of its session.
create function private.chat_message_anchor(session_id uuid, message_id uuid)
returns timestamptz
language sql stable security definer set search_path = '' as $$
  select m.created_at from public.chat_messages m
  where m.id = chat_message_anchor.message_id
    and m.session_id = chat_message_anchor.session_id
    and m.session_id in (select private.my_session_ids())
$$;
comment on function private.chat_message_anchor(uuid, uuid) is
  'created_at of a message of the session, for members of that session (null otherwise). Used by chat_since.';
revoke execute on function private.chat_message_anchor(uuid, uuid) from public, anon;
grant execute on function private.chat_message_anchor(uuid, uuid) to authenticated, service_role;

-- SECURITY INVOKER: reads through the chat_messages policies, so staff see deleted messages and
-- members do not. The body of public.chat_history, whose API parameter is named "limit" (a reserved
-- word plpgsql_check rejects as a plpgsql parameter name).
create function private.chat_history_page(
  session_id uuid,
  before timestamptz,
  page_size integer,
  before_id uuid
) returns jsonb
language plpgsql stable security invoker set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_before timestamptz := coalesce(chat_history_page.before, 'infinity'::timestamptz);
  -- Without before_id the cursor is exclusive of the whole instant `before`.
  v_before_id uuid := coalesce(chat_history_page.before_id, '00000000-0000-0000-0000-000000000000'::uuid);
  v_messages jsonb;
  v_count int;
  v_last jsonb;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to read the chat.', jsonb_build_object('function', 'chat_history'));
  end if;
  if chat_history_page.page_size is null or chat_history_page.page_size not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The limit must be between 1 and 200.',
      jsonb_build_object('field', 'limit', 'min', 1, 'max', 200));
  end if;
  if chat_history_page.before_id is not null and chat_history_page.before is null then
    perform private.raise_error('invalid_input', 'before_id needs before.', jsonb_build_object('field', 'before_id'));
  end if;
  perform private.require_session_access(chat_history_page.session_id, 'member');

  select coalesce(jsonb_agg(private.chat_message_json(p.m, p.display_name, p.initials)
                            order by (p.m).created_at desc, (p.m).id desc), '[]'::jsonb),
         count(*)::int
    into v_messages, v_count
  from (
    select m, pr.display_name, pr.initials
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    where m.session_id = chat_history_page.session_id
      and (m.created_at, m.id) < (v_before, v_before_id)
    order by m.created_at desc, m.id desc
    limit chat_history_page.page_size + 1
  ) p;

  if v_count > chat_history_page.page_size then
    v_messages := v_messages - chat_history_page.page_size;
  end if;
  v_last := v_messages -> -1;
  return jsonb_build_object(
    'messages', v_messages,
    'has_more', v_count > chat_history_page.page_size,
    'next_before', case when v_count > chat_history_page.page_size then v_last -> 'created_at' end,
    'next_before_id', case when v_count > chat_history_page.page_size then v_last -> 'id' end);
end;
$$;
comment on function private.chat_history_page(uuid, timestamptz, integer, uuid) is
  'Body of public.chat_history (same arguments, limit named page_size).';
revoke execute on function private.chat_history_page(uuid, timestamptz, int, uuid)
  from public, anon, service_role;
grant execute on function private.chat_history_page(uuid, timestamptz, int, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.chat_messages from public, anon, authenticated, service_role;
grant select on table public.chat_messages to authenticated;
grant all on table public.chat_messages to service_role;
create policy "members read the chat of their sessions and staff also read deleted messages"
  on public.chat_messages for select to authenticated
  using (
    session_id in (select private.my_chat_session_ids())
    and (deleted_at is null or session_id in (select private.staff_session_ids(array['host', 'moderator'])))
  );

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients have no insert grant on chat_messages, and the limits must count the
-- caller's deleted messages too (hidden from them by RLS). Membership and visibility of this one
-- session are checked with the one-session helpers (private.is_session_member, can_see_session),
-- not by listing all of the caller's sessions: posting is a hot path.
create function public.send_chat_message(session_id uuid, body text, room_id uuid default null, kind text default 'message')
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_body text := btrim(send_chat_message.body);
  v_kind text := coalesce(send_chat_message.kind, 'message');
  v_session record;
  v_is_staff boolean;
  v_limit int;
  v_now timestamptz;
  v_last timestamptz;
  v_count int;
  v_oldest timestamptz;
  v_row public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to chat.', jsonb_build_object('function', 'send_chat_message'));
  end if;

  select s.id, s.status::text as status, s.chat_enabled, s.slow_mode_seconds, s.chat_rate_limit
    into v_session
  from public.sessions s where s.id = send_chat_message.session_id;
  -- Members first (the common case, a short list); only others pay for the visibility check.
  if v_session.id is null or not private.is_session_member(v_session.id) then
    if v_session.id is null or not private.can_see_session(v_session.id) then
      perform private.raise_error('not_found', 'No such session.', jsonb_build_object('session_id', send_chat_message.session_id));
    end if;
    perform private.raise_error('forbidden', 'Only members of the session can chat.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  v_is_staff := exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = v_uid);
  if not v_is_staff then
    -- Serialise this user's posts in this session (not the whole audience): a parallel call waits
    -- here until the previous one commits, then sees its message in the counts below. A ban takes
    -- the same lock (session_bans_wait_for_sends), so the ban check below runs after it: a call
    -- queued here while the user was banned is refused, not posted.
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('chat:' || v_session.id::text || ':' || v_uid::text, 0));
  end if;
  if exists (select 1 from public.session_bans b where b.session_id = v_session.id and b.user_id = v_uid) then
    perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session.id));
  end if;
  if not v_session.chat_enabled or v_session.status in ('ended', 'cancelled') then
    perform private.raise_error('chat_disabled', 'The chat of this session is closed.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;

  if v_body is null or char_length(v_body) not between 1 and 500 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 500 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 500));
  end if;
  if v_kind not in ('message', 'announcement') then
    perform private.raise_error('invalid_input', 'The kind must be message or announcement.',
      jsonb_build_object('field', 'kind', 'allowed', jsonb_build_array('message', 'announcement')));
  end if;
  if send_chat_message.room_id is not null and not exists (
      select 1 from public.rooms r where r.id = send_chat_message.room_id and r.session_id = v_session.id) then
    perform private.raise_error('invalid_input', 'The room does not belong to this session.',
      jsonb_build_object('field', 'room_id', 'room_id', send_chat_message.room_id));
  end if;
  if v_kind = 'announcement' and not v_is_staff then
    perform private.raise_error('forbidden', 'Only session staff post announcements.', jsonb_build_object('kind', v_kind));
  end if;

  if not v_is_staff then
    v_now := pg_catalog.clock_timestamp();

    if coalesce(v_session.slow_mode_seconds, 0) > 0 then
      select max(m.created_at) into v_last
      from public.chat_messages m
      where m.user_id = v_uid and m.session_id = v_session.id;
      if v_last is not null and v_last + make_interval(secs => v_session.slow_mode_seconds) > v_now then
        perform private.raise_error('slow_mode', 'Slow mode is on: wait before posting again.',
          jsonb_build_object('slow_mode_seconds', v_session.slow_mode_seconds),
          ceil(extract(epoch from v_last + make_interval(secs => v_session.slow_mode_seconds) - v_now))::int);
      end if;
    end if;

    v_limit := coalesce(v_session.chat_rate_limit, 5);
    select count(*)::int into v_count
    from public.chat_messages m
    where m.user_id = v_uid and m.session_id = v_session.id and m.created_at > v_now - interval '60 seconds';
    if v_count >= v_limit then
      -- Allowed again once enough messages have left the rolling window to fall below the limit.
      select m.created_at into v_oldest
      from public.chat_messages m
      where m.user_id = v_uid and m.session_id = v_session.id and m.created_at > v_now - interval '60 seconds'
      order by m.created_at
      offset v_count - v_limit limit 1;
      perform private.raise_error('rate_limited', 'Too many messages: wait before posting again.',
        jsonb_build_object('limit', v_limit, 'window_seconds', 60),
        greatest(1, ceil(extract(epoch from v_oldest + interval '60 seconds' - v_now))::int));
    end if;
  else
    v_now := pg_catalog.clock_timestamp();
  end if;

  insert into public.chat_messages as m (session_id, room_id, user_id, body, kind, created_at)
  values (v_session.id, send_chat_message.room_id, v_uid, v_body, v_kind, v_now)
  returning m.* into v_row;
  return v_row;
end;
$$;
comment on function public.send_chat_message(uuid, text, uuid, text) is
  'The only way to post in a session''s chat; returns the stored chat_messages row and broadcasts new_message. '
  'In one transaction: not_authenticated; not_found (session not visible); forbidden (not a member); banned; '
  'chat_disabled (chat_enabled off, or the session ended or was cancelled); invalid_input (body 1-500 characters '
  'after trimming, kind message/announcement, room of this session); forbidden (announcement by non-staff); '
  'slow_mode (429, Retry-After = seconds until allowed) when slow_mode_seconds is set; rate_limited (429, '
  'Retry-After = seconds until a message leaves the window) beyond chat_rate_limit (default 5) messages per '
  'rolling 60 s. Session staff are exempt from slow mode and the rate limit. Deleted messages still count.';
revoke execute on function public.send_chat_message(uuid, text, uuid, text) from public, anon;
grant execute on function public.send_chat_message(uuid, text, uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on chat_messages.
create function public.pin_message(message_id uuid, pinned boolean)
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_msg public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to pin messages.', jsonb_build_object('function', 'pin_message'));
  end if;
  if pin_message.pinned is null then
    perform private.raise_error('invalid_input', 'Say whether to pin or unpin.', jsonb_build_object('field', 'pinned'));
  end if;
  select m.* into v_msg from public.chat_messages m
  where m.id = pin_message.message_id and m.session_id in (select private.my_session_ids())
  for update;
  if v_msg.id is null then
    perform private.raise_error('not_found', 'No such message.', jsonb_build_object('message_id', pin_message.message_id));
  end if;
  if not private.is_session_staff(v_msg.session_id, array['host', 'moderator']) then
    perform private.raise_error('forbidden', 'Only hosts and moderators pin messages.',
      jsonb_build_object('session_id', v_msg.session_id));
  end if;
  if v_msg.deleted_at is not null then
    perform private.raise_error('invalid_transition', 'A deleted message cannot be pinned.',
      jsonb_build_object('message_id', v_msg.id));
  end if;
  if v_msg.is_pinned is distinct from pin_message.pinned then
    update public.chat_messages m
       set is_pinned = pin_message.pinned,
           pinned_at = case when pin_message.pinned then now() end
     where m.id = v_msg.id
    returning m.* into v_msg;
  end if;
  return v_msg;
end;
$$;
comment on function public.pin_message(uuid, boolean) is
  'Hosts and moderators pin (true) or unpin (false) a message; returns the row and broadcasts message_pinned when '
  'the state changes (a repeated call is a no-op). Errors: not_authenticated, not_found (no such message in a '
  'session of the caller), forbidden, invalid_input, invalid_transition (deleted message).';
revoke execute on function public.pin_message(uuid, boolean) from public, anon;
grant execute on function public.pin_message(uuid, boolean) to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on chat_messages.
create function public.delete_message(message_id uuid)
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_msg public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to delete messages.', jsonb_build_object('function', 'delete_message'));
  end if;
  select m.* into v_msg from public.chat_messages m
  where m.id = delete_message.message_id and m.session_id in (select private.my_session_ids())
  for update;
  if v_msg.id is null then
    perform private.raise_error('not_found', 'No such message.', jsonb_build_object('message_id', delete_message.message_id));
  end if;
  if not private.is_session_staff(v_msg.session_id, array['host', 'moderator']) then
    if v_msg.user_id <> v_uid then
      perform private.raise_error('forbidden', 'Only hosts, moderators and the author delete a message.',
        jsonb_build_object('message_id', v_msg.id));
    end if;
    if private.is_banned(v_msg.session_id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_msg.session_id));
    end if;
  end if;
  if v_msg.deleted_at is null then
    update public.chat_messages m
       set deleted_at = now(), deleted_by = v_uid, is_pinned = false, pinned_at = null
     where m.id = v_msg.id
    returning m.* into v_msg;
  end if;
  return v_msg;
end;
$$;
comment on function public.delete_message(uuid) is
  'Soft-deletes a message (deleted_at, deleted_by; also unpins it) and broadcasts message_deleted. Allowed to the '
  'session''s hosts and moderators, and to the author for their own message (unless banned). Deleting a deleted '
  'message returns it unchanged. Errors: not_authenticated, not_found, forbidden, banned.';
revoke execute on function public.delete_message(uuid) from public, anon;
grant execute on function public.delete_message(uuid) to authenticated, service_role;

create function public.chat_history(
  session_id uuid,
  before timestamptz default null,
  "limit" integer default 50,
  before_id uuid default null
) returns jsonb
language sql stable security invoker set search_path = '' as $$
  select private.chat_history_page(chat_history.session_id, chat_history.before, chat_history."limit", chat_history.before_id)
$$;
comment on function public.chat_history(uuid, timestamptz, integer, uuid) is
  'A page of a session''s chat, newest first: {messages: [...], has_more, next_before, next_before_id}. Each '
  'message carries display_name and initials of its author, and is_deleted (deleted ones are returned to staff '
  'only). Keyset pagination on (created_at, id): pass next_before and next_before_id of the previous page; pages '
  'stay stable while messages arrive. limit 1-200 (default 50). Errors: not_authenticated, invalid_input, '
  'not_found, forbidden (not a member), banned.';
revoke execute on function public.chat_history(uuid, timestamptz, int, uuid) from public, anon;
grant execute on function public.chat_history(uuid, timestamptz, int, uuid) to authenticated, service_role;

-- SECURITY INVOKER: like chat_history; only the anchor's timestamp is read across RLS.
-- overlap: a message's created_at is stamped inside send_chat_message before its transaction
-- commits, and only one user's posts are serialised, so two members' messages can commit in the
-- other order. A client that saw the later-stamped one first would never receive the other on a
-- reconnect; the time between stamping and commit is milliseconds, so 5 seconds of overlap cover it.
create function public.chat_since(session_id uuid, after_id uuid)
returns jsonb
language plpgsql stable security invoker set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_after timestamptz;
  v_messages jsonb;
  v_overlap jsonb;
  v_count int;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to read the chat.', jsonb_build_object('function', 'chat_since'));
  end if;
  perform private.require_session_access(chat_since.session_id, 'member');
  v_after := private.chat_message_anchor(chat_since.session_id, chat_since.after_id);
  if v_after is null then
    perform private.raise_error('invalid_input', 'after_id is not a message of this session.',
      jsonb_build_object('field', 'after_id', 'after_id', chat_since.after_id));
  end if;

  select coalesce(jsonb_agg(private.chat_message_json(p.m, p.display_name, p.initials)
                            order by (p.m).created_at, (p.m).id), '[]'::jsonb),
         count(*)::int
    into v_messages, v_count
  from (
    select m, pr.display_name, pr.initials
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    where m.session_id = chat_since.session_id
      and (m.created_at, m.id) > (v_after, chat_since.after_id)
    order by m.created_at, m.id
    limit 501
  ) p;
  if v_count > 500 then
    v_messages := v_messages - 500;
  end if;

  -- Messages stamped just before the anchor may have committed after it was read.
  select coalesce(jsonb_agg(private.chat_message_json(o.m, o.display_name, o.initials)
                            order by (o.m).created_at, (o.m).id), '[]'::jsonb)
    into v_overlap
  from (
    select m, pr.display_name, pr.initials
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    where m.session_id = chat_since.session_id
      and m.created_at >= v_after - interval '5 seconds'
      and (m.created_at, m.id) < (v_after, chat_since.after_id)
    order by m.created_at desc, m.id desc
    limit 100
  ) o;
  return jsonb_build_object('messages', v_messages, 'has_more', v_count > 500, 'overlap', v_overlap);
end;
$$;
comment on function public.chat_since(uuid, uuid) is
  'Catch-up after a reconnect: {messages: [...oldest first...], has_more, overlap} with the messages posted after the '
  'message after_id (which may since have been deleted), at most 500; call again from the last one while has_more. '
  'overlap: the messages stamped in the 5 seconds up to after_id (at most 100, oldest first), since one committed late '
  'may sort before a message already seen: merge them by id. Same message shape and visibility as chat_history. '
  'Errors: not_authenticated, not_found, forbidden, banned, invalid_input (after_id not in this session).';
revoke execute on function public.chat_since(uuid, uuid) from public, anon;
grant execute on function public.chat_since(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- The WHEN clause (the same character class as private.clean_text, at either end) keeps the common
-- case, a body the RPC already trimmed, free of a function call: chat posting is a hot path.
create trigger chat_messages_clean_body before insert or update of body on public.chat_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();

-- Broadcast trigger functions are SECURITY DEFINER: realtime.send inserts into realtime.messages,
-- where clients have no insert policy for broadcasts. Payloads are curated, never the whole row.
create function private.broadcast_new_chat_message()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'id', new.id, 'session_id', new.session_id, 'room_id', new.room_id, 'user_id', new.user_id,
      'display_name', (select p.display_name from public.profiles p where p.id = new.user_id),
      'body', new.body, 'kind', new.kind, 'created_at', new.created_at),
    'new_message', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_new_chat_message() is
  'Trigger: broadcasts new_message {id, session_id, room_id, user_id, display_name, body, kind, created_at} on session:<id>.';
revoke execute on function private.broadcast_new_chat_message()
  from public, anon, authenticated, service_role;
create trigger broadcast_new_chat_message
  after insert on public.chat_messages
  for each row execute function private.broadcast_new_chat_message();

create function private.broadcast_chat_message_pinned()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('id', new.id, 'is_pinned', new.is_pinned),
                        'message_pinned', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_chat_message_pinned() is 'Trigger: broadcasts message_pinned {id, is_pinned} on session:<id>.';
revoke execute on function private.broadcast_chat_message_pinned()
  from public, anon, authenticated, service_role;
create trigger broadcast_chat_message_pinned
  after update of is_pinned on public.chat_messages
  for each row when (old.is_pinned is distinct from new.is_pinned and new.deleted_at is null)
  execute function private.broadcast_chat_message_pinned();

create function private.broadcast_chat_message_deleted()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('id', new.id), 'message_deleted', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_chat_message_deleted() is 'Trigger: broadcasts message_deleted {id} on session:<id>.';
revoke execute on function private.broadcast_chat_message_deleted()
  from public, anon, authenticated, service_role;
create trigger broadcast_chat_message_deleted
  after update of deleted_at on public.chat_messages
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function private.broadcast_chat_message_deleted();

-- send_chat_message takes a per-user lock before it checks for a ban, and every new ban takes the
-- same lock (whichever path writes the ban): a send in progress commits before the ban does, and
-- any send after it sees the ban. Without it, a burst of parallel sends already past the check
-- posted after the ban committed (measured: 14 messages up to 233 ms later). Staff, who take no
-- lock, cannot be banned.
-- Security definer: the lock is the one send_chat_message takes for this user and session.
create function private.session_bans_wait_for_sends()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('chat:' || new.session_id::text || ':' || new.user_id::text, 0));
  return new;
end;
$$;
comment on function private.session_bans_wait_for_sends() is
  'Trigger: a new ban waits for the banned user''s chat message in progress (send_chat_message''s per-user lock), so '
  'no message of theirs is posted after the ban. Internal.';
revoke execute on function private.session_bans_wait_for_sends()
  from public, anon, authenticated, service_role;
create trigger session_bans_wait_for_sends before insert on public.session_bans
  for each row execute function private.session_bans_wait_for_sends();

-- =============================================================================================
-- supabase/schemas/41_realtime.sql
-- =============================================================================================

-- Realtime: who may receive and send on the private channels. Triggers in every capability broadcast
-- with realtime.send() (SECURITY DEFINER, curated payloads, never a whole row); these policies on
-- realtime.messages (a platform table: only its policies are the project's) decide who receives them.
-- Topics: `session:<uuid>` for everything inside a live session, `user:<uuid>` for one person's
-- notifications, bookings, bans and direct messages.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The session id of a `session:<uuid>` topic, null for any other text. The regex is checked before
-- the cast, so a malformed topic is simply not a session topic and never raises.
create function private.topic_session_id(topic text)
returns uuid
language sql immutable parallel safe set search_path = '' as $$
  select case
    when topic ~ '^session:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    then substr(topic, 9)::uuid
  end
$$;
comment on function private.topic_session_id(text) is
  'Session id of a Realtime topic of the form session:<uuid>; null for anything else (never raises).';
revoke execute on function private.topic_session_id(text) from public, anon;
grant execute on function private.topic_session_id(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies on realtime.messages
-- ---------------------------------------------------------------------------------------------

-- Realtime private channels. Read (receive): `session:<id>` for members who are not banned,
-- `user:<id>` for that user only; anon nothing. Write: clients never broadcast (only the database
-- does, through SECURITY DEFINER triggers); the one client insert allowed is a `presence` row on a
-- session channel the user may read, so clients can track who is in the room.
create policy "members receive their sessions' broadcasts and users their own"
  on realtime.messages for select to authenticated
  using (
    topic = (select realtime.topic())
    and (
      topic = 'user:' || (select auth.uid())::text
      or (
        (select private.topic_session_id((select realtime.topic()))) in (select private.my_session_ids())
        and (select private.topic_session_id((select realtime.topic()))) not in (select private.my_banned_session_ids())
      )
    )
  );
create policy "members can track their presence on their sessions' channels"
  on realtime.messages for insert to authenticated
  with check (
    extension = 'presence'
    and topic = (select realtime.topic())
    and (select private.topic_session_id((select realtime.topic()))) in (select private.my_session_ids())
    and (select private.topic_session_id((select realtime.topic()))) not in (select private.my_banned_session_ids())
  );

-- =============================================================================================
-- supabase/schemas/45_session_cards.sql
-- =============================================================================================

-- The catalogue's card: the view session_cards, one row per session the caller may read (anon too:
-- a public event page lists its upcoming sessions with the host's name and the seats left before
-- anyone signs in), with what the card shows from booking, reminders, attendance and bans. It comes
-- after those capabilities because it reads them: the seat count (30_booking.sql), the viewer
-- count (32_attendance.sql), the caller's ban (private.am_banned, 20_sessions.sql).
--
-- The view is security invoker: it shows only the sessions the sessions policies let the caller
-- read. What a visitor may not read directly (profiles, staff, bookings, reminders) comes through
-- security definer helpers that answer for one session, and never more than the card shows. They
-- are executable by anon on purpose (listed in the structural guard of 00_foundation.test.sql).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Answers only for sessions the caller may read (defence in depth: it is executable by anon): a
-- published public session, cancelled ones included (as the anon policy on sessions), or one
-- private.can_see_session allows.
create function private.session_host(session_id uuid)
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
comment on function private.session_host(uuid) is
  'The first host of a session and their display name, for session_cards and calendars; nothing for a session the '
  'caller may not read. Security definer: visitors cannot read session_staff or profiles.';
revoke execute on function private.session_host(uuid) from public;
grant execute on function private.session_host(uuid) to anon, authenticated, service_role;

-- has_reminder counts the default reminders a booking is about to get.
create function private.my_session_relation(session_id uuid)
returns table (staff_role text, booking_status text, has_reminder boolean)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  if v_uid is null then
    return query select null::text, null::text, false;
    return;
  end if;
  return query
    select
      (select st.role from public.session_staff st
        where st.session_id = my_session_relation.session_id and st.user_id = v_uid),
      (select b.status from public.bookings b
        where b.session_id = my_session_relation.session_id and b.user_id = v_uid
        order by (b.status = 'cancelled'), b.created_at desc
        limit 1),
      exists (select 1 from public.session_reminders r
              where r.session_id = my_session_relation.session_id and r.user_id = v_uid)
      or exists (select 1 from public.bookings b
                 join public.sessions s on s.id = b.session_id
                 where b.session_id = my_session_relation.session_id and b.user_id = v_uid
                   and b.status <> 'cancelled' and b.default_reminders_pending
                   and s.status = 'scheduled' and s.starts_at - interval '15 minutes' > b.created_at
                   and not exists (select 1 from public.notification_preferences np
                                   where np.user_id = v_uid and np.kind = 'session_reminder'
                                     and not np.default_reminders));
end;
$$;
comment on function private.my_session_relation(uuid) is
  'The caller''s relation to one session: staff role, latest booking status (active first), whether a reminder is '
  'set. Nulls and false for anon. Security definer so session_cards works for visitors without grants on those tables.';
revoke execute on function private.my_session_relation(uuid) from public;
grant execute on function private.my_session_relation(uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

create view public.session_cards with (security_invoker = true) as
select
  s.id,
  s.title,
  s.description,
  s.topic,
  s.phase,
  s.starts_at,
  s.starts_at + make_interval(mins => s.duration_minutes) as ends_at,
  s.duration_minutes,
  s.timezone,
  s.status,
  s.visibility,
  s.capacity,
  s.waitlist_enabled,
  s.price_cents,
  s.currency,
  s.thumbnail_url,
  s.program_id,
  s.event_id,
  h.user_id as host_id,
  h.display_name as host_name,
  c.booked_count,
  case when s.capacity is null then null else greatest(s.capacity - c.booked_count, 0) end as seats_left,
  me.booking_status as my_booking_status,
  -- join_session's rule: signed in, not banned, and staff, confirmed, or a public session; live, or
  -- from 15 minutes before the start. Always true or false, never null.
  coalesce((select auth.uid()) is not null
    and (me.staff_role is not null or me.booking_status = 'confirmed' or s.visibility = 'public')
    and (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes'))
    and not private.am_banned(s.id), false) as can_join,
  coalesce(me.staff_role = 'host', false) as can_edit,
  case when s.status = 'live' then private.viewer_count(s.id) else 0 end as viewer_count,
  me.has_reminder
from public.sessions s
left join lateral private.session_host(s.id) h on true
cross join lateral (select private.session_booked_count(s.id) as booked_count) c
cross join lateral private.my_session_relation(s.id) me;
comment on view public.session_cards is
  'One row per session the signed-in caller may read, for lists and cards: ends_at, host (first host), booked_count '
  '(confirmed), seats_left (null = unlimited), and for the caller my_booking_status (latest, active first), can_join '
  '(join_session''s rule: signed in, not banned, staff or confirmed or a public session, and live or starting within 15 '
  'minutes), can_edit (host), viewer_count (live sessions: private.viewer_count, else 0) and has_reminder (the caller '
  'has a reminder for it). Filter and paginate with PostgREST.';
revoke all on table public.session_cards from public, anon, authenticated, service_role;
grant select on table public.session_cards to anon, authenticated;
grant all on table public.session_cards to service_role;

-- =============================================================================================
-- supabase/schemas/50_qa.sql
-- =============================================================================================

-- Q&A of a live session: questions (optionally anonymous, optionally moderated), upvotes with an
-- exact counter, moderation (publish, answer, dismiss) and the `question_updated` broadcast.
-- Clients read questions through the view session_questions, which hides the author of an
-- anonymous question from everyone but its author and the session's staff.
-- Tables: public.questions, public.question_upvotes.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.questions (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  is_anonymous boolean not null default false,
  status text not null default 'published',
  upvote_count int not null default 0,
  answer text,
  answered_at timestamptz,
  answered_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint questions_body_length check (char_length(body) between 1 and 500 and body = btrim(body)),
  constraint questions_status_valid check (status in ('pending', 'published', 'answered', 'dismissed')),
  constraint questions_upvote_count_not_negative check (upvote_count >= 0),
  constraint questions_answer_length check (answer is null or char_length(answer) between 1 and 2000),
  constraint questions_answered_fields check ((status = 'answered') = (answered_at is not null)
    and (answer is null or status = 'answered') and (answered_by is null or status = 'answered'))
);
comment on table public.questions is
  'Q&A questions of a session. Written only through ask_question / moderate_question (and upvote counts through '
  'upvote_question / withdraw_upvote). Clients cannot select user_id: read through the view session_questions, which '
  'shows the author only when the question is not anonymous, or to staff and the author.';
comment on column public.questions.user_id is 'Author. Not selectable by clients (anonymity); see session_questions.author_id.';
comment on column public.questions.body is 'The question, 1-500 characters, stored trimmed.';
comment on column public.questions.is_anonymous is 'Author hidden from everyone but staff and the author (allowed when the session allows anonymous questions).';
comment on column public.questions.status is
  'pending (qa_moderation on: only author and staff see it) -> published -> answered; dismissed hides it from members.';
comment on column public.questions.upvote_count is 'Number of question_upvotes rows, kept exact by triggers in the same transaction.';
comment on column public.questions.answer is 'Optional written answer, set with status answered.';
comment on column public.questions.answered_by is 'Staff member who marked it answered.';
alter table public.questions enable row level security;

create table public.question_upvotes (
  question_id uuid not null references public.questions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (question_id, user_id)
);
comment on table public.question_upvotes is
  'One upvote per user and question (upvote_question / withdraw_upvote). Users read only their own rows.';
alter table public.question_upvotes enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index questions_session_id_status_idx on public.questions (session_id, status, upvote_count desc, created_at);
create index questions_user_id_idx on public.questions (user_id);
create index questions_answered_by_idx on public.questions (answered_by);
create index question_upvotes_user_id_idx on public.question_upvotes (user_id);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The author of a question as the caller may see it: null for an anonymous question unless the
-- caller is its author or staff of its session.
-- SECURITY DEFINER: clients cannot select questions.user_id (column privilege), by design.
create function private.question_author_id(question_id uuid)
returns uuid
language sql stable security definer set search_path = '' as $$
  select q.user_id from public.questions q
  where q.id = question_author_id.question_id
    and (q.user_id = (select auth.uid())
      or private.is_session_staff(q.session_id, array['host', 'moderator'])
      or (not q.is_anonymous and q.session_id in (select private.my_session_ids())));
$$;
comment on function private.question_author_id(uuid) is
  'Author of a question as the caller may see it (null for anonymous questions unless author or staff). Used by session_questions.';
revoke execute on function private.question_author_id(uuid) from public, anon;
grant execute on function private.question_author_id(uuid) to authenticated, service_role;

-- A question as JSON, as the caller sees it (the author per private.question_author_id).
create function private.question_json(question_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', q.id, 'session_id', q.session_id, 'body', q.body, 'is_anonymous', q.is_anonymous, 'status', q.status,
    'upvote_count', q.upvote_count, 'answer', q.answer, 'answered_at', q.answered_at, 'created_at', q.created_at,
    'author_id', a.author_id, 'author_name', p.display_name,
    'has_upvoted', exists (select 1 from public.question_upvotes u
                           where u.question_id = q.id and u.user_id = (select auth.uid())))
  from public.questions q
  cross join lateral (select private.question_author_id(q.id) as author_id) a
  left join public.profiles p on p.id = a.author_id
  where q.id = question_json.question_id;
$$;
comment on function private.question_json(uuid) is 'A question as the calling user may see it, for RPC answers. Security definer: reads questions.user_id.';
revoke execute on function private.question_json(uuid) from public, anon, authenticated, service_role;

-- Loads a question for an action of a member: not_found unless the caller may see it.
create function private.question_for_member(question_id uuid)
returns public.questions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('question_id', question_for_member.question_id));
  end if;
  select q.* into v_question from public.questions q where q.id = question_for_member.question_id;
  if v_question.id is null then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', question_for_member.question_id));
  end if;
  perform private.require_session_access(v_question.session_id, 'member');
  if v_question.status not in ('published', 'answered') and v_question.user_id <> (select auth.uid())
     and not private.is_session_staff(v_question.session_id, array['host', 'moderator']) then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', v_question.id));
  end if;
  return v_question;
end;
$$;
comment on function private.question_for_member(uuid) is
  'Returns a question for a member action; not_authenticated, not_found (missing or invisible), forbidden or banned.';
revoke execute on function private.question_for_member(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.questions from public, anon, authenticated, service_role;
grant all on table public.questions to service_role;
grant select (id, session_id, body, is_anonymous, status, upvote_count, answer, answered_at, answered_by,
  created_at) on table public.questions to authenticated;
create policy "members read published questions, authors their own and staff all" on public.questions
  for select to authenticated
  using ((status in ('published', 'answered') and session_id in (select private.my_chat_session_ids()))
    or user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.question_upvotes from public, anon, authenticated, service_role;
grant select on table public.question_upvotes to authenticated;
grant all on table public.question_upvotes to service_role;
create policy "users read their own upvotes" on public.question_upvotes
  for select to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

create view public.session_questions with (security_invoker = true) as
select
  q.id, q.session_id, q.body, q.is_anonymous, q.status, q.upvote_count, q.answer, q.answered_at, q.answered_by,
  q.created_at,
  a.author_id,
  p.display_name as author_name,
  exists (select 1 from public.question_upvotes u
          where u.question_id = q.id and u.user_id = (select auth.uid())) as has_upvoted,
  coalesce(a.author_id = (select auth.uid()), false) as is_mine
from public.questions q
cross join lateral (select private.question_author_id(q.id) as author_id) a
left join public.profiles p on p.id = a.author_id
order by q.upvote_count desc, q.created_at, q.id;
comment on view public.session_questions is
  'Questions the caller may read (RLS of questions), most upvoted first, then oldest. author_id/author_name are null for '
  'anonymous questions unless the caller is the author or staff; has_upvoted and is_mine are for the caller. '
  'Filter with session_id=eq.<id>.';
revoke all on table public.session_questions from public, anon, authenticated, service_role;
grant select on table public.session_questions to authenticated;
grant all on table public.session_questions to service_role;

-- SECURITY DEFINER: inserts into questions, which clients cannot write, after checking membership,
-- bans, the session's Q&A settings and the body.
create function public.ask_question(session_id uuid, body text, anonymous boolean default false)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(ask_question.session_id, 'member');
  v_session public.sessions;
  v_body text := btrim(ask_question.body);
  v_id uuid;
begin
  select s.* into v_session from public.sessions s where s.id = ask_question.session_id;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Questions are accepted only before and during the session.',
      jsonb_build_object('session_status', v_session.status));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 500 then
    perform private.raise_error('invalid_input', 'The question is 1 to 500 characters.', jsonb_build_object('field', 'body'));
  end if;
  if coalesce(ask_question.anonymous, false) and not v_session.allow_anonymous_questions then
    perform private.raise_error('forbidden', 'This session does not allow anonymous questions.',
      jsonb_build_object('field', 'anonymous'));
  end if;
  insert into public.questions (session_id, user_id, body, is_anonymous, status)
  values (v_session.id, v_uid, v_body, coalesce(ask_question.anonymous, false),
          case when v_session.qa_moderation then 'pending' else 'published' end)
  returning id into v_id;
  return private.question_json(v_id);
end;
$$;
comment on function public.ask_question(uuid, text, boolean) is
  'Members (not banned) ask a question (1-500 chars, trimmed) in a scheduled or live session. pending when the session '
  'has qa_moderation, else published. anonymous only when allow_anonymous_questions (else forbidden). Returns the '
  'question as in session_questions. Errors: not_authenticated, not_found, forbidden, banned, invalid_input, invalid_transition.';
revoke execute on function public.ask_question(uuid, text, boolean) from public, anon;
grant execute on function public.ask_question(uuid, text, boolean) to authenticated, service_role;

-- SECURITY DEFINER: inserts the upvote row (clients cannot write question_upvotes); the counter
-- follows by trigger in this transaction.
create function public.upvote_question(question_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions := private.question_for_member(upvote_question.question_id);
  v_inserted uuid;
begin
  if v_question.status not in ('published', 'answered') then
    perform private.raise_error('invalid_transition', 'Only published questions can be upvoted.',
      jsonb_build_object('status', v_question.status));
  end if;
  insert into public.question_upvotes (question_id, user_id)
  values (v_question.id, (select auth.uid()))
  on conflict do nothing
  returning question_upvotes.question_id into v_inserted;
  if v_inserted is null then
    perform private.raise_error('already_upvoted', 'You already upvoted this question.', jsonb_build_object('question_id', v_question.id));
  end if;
  return jsonb_build_object('question_id', v_question.id, 'has_upvoted', true,
    'upvote_count', (select q.upvote_count from public.questions q where q.id = v_question.id));
end;
$$;
comment on function public.upvote_question(uuid) is
  'Members (not banned) upvote a published or answered question once: a second call is already_upvoted. Returns '
  '{question_id, upvote_count, has_upvoted}. upvote_count stays exact under concurrency.';
revoke execute on function public.upvote_question(uuid) from public, anon;
grant execute on function public.upvote_question(uuid) to authenticated, service_role;

create function public.withdraw_upvote(question_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions := private.question_for_member(withdraw_upvote.question_id);
  v_deleted uuid;
begin
  delete from public.question_upvotes u
  where u.question_id = v_question.id and u.user_id = (select auth.uid())
  returning u.question_id into v_deleted;
  if v_deleted is null then
    perform private.raise_error('not_found', 'You have not upvoted this question.', jsonb_build_object('question_id', v_question.id));
  end if;
  return jsonb_build_object('question_id', v_question.id, 'has_upvoted', false,
    'upvote_count', (select q.upvote_count from public.questions q where q.id = v_question.id));
end;
$$;
comment on function public.withdraw_upvote(uuid) is
  'Members withdraw their upvote (not_found when there is none). Returns {question_id, upvote_count, has_upvoted}.';
revoke execute on function public.withdraw_upvote(uuid) from public, anon;
grant execute on function public.withdraw_upvote(uuid) to authenticated, service_role;

-- SECURITY DEFINER: updates questions, which clients cannot write, after the staff check.
create function public.moderate_question(question_id uuid, status text, answer text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions;
  v_answer text := nullif(btrim(moderate_question.answer), '');
  v_allowed text[];
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('question_id', moderate_question.question_id));
  end if;
  select q.* into v_question from public.questions q where q.id = moderate_question.question_id for update;
  if v_question.id is null then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', moderate_question.question_id));
  end if;
  perform private.require_session_access(v_question.session_id, 'staff');
  if moderate_question.status is null or moderate_question.status not in ('pending', 'published', 'answered', 'dismissed') then
    perform private.raise_error('invalid_input', 'status is published, answered or dismissed.', jsonb_build_object('field', 'status'));
  end if;
  if v_answer is not null and (moderate_question.status <> 'answered' or char_length(v_answer) > 2000) then
    perform private.raise_error('invalid_input', 'An answer (at most 2000 characters) goes only with status answered.',
      jsonb_build_object('field', 'answer'));
  end if;
  v_allowed := case v_question.status
    when 'pending' then array['published', 'answered', 'dismissed']
    when 'published' then array['answered', 'dismissed']
    when 'answered' then array['published', 'dismissed']
    when 'dismissed' then array['published']
  end;
  if not (moderate_question.status = any (v_allowed)) then
    perform private.raise_error('invalid_transition', 'This status change is not allowed.',
      jsonb_build_object('from', v_question.status, 'to', moderate_question.status));
  end if;
  update public.questions q
  set status = moderate_question.status,
      answer = case when moderate_question.status = 'answered' then v_answer end,
      answered_at = case when moderate_question.status = 'answered' then now() end,
      answered_by = case when moderate_question.status = 'answered' then (select auth.uid()) end
  where q.id = v_question.id;
  return private.question_json(v_question.id);
end;
$$;
comment on function public.moderate_question(uuid, text, text) is
  'Staff (hosts, moderators) move a question: pending -> published|answered|dismissed, published -> answered|dismissed, '
  'answered -> published|dismissed, dismissed -> published (else invalid_transition). answer (<= 2000 chars) only with '
  'answered. Returns the question (author visible to staff).';
revoke execute on function public.moderate_question(uuid, text, text) from public, anon;
grant execute on function public.moderate_question(uuid, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger questions_clean_body before insert or update of body on public.questions
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();

-- Keeps questions.upvote_count exact: `upvote_count + 1` under the row lock of the question, in the
-- same transaction as the upvote row (READ COMMITTED re-reads the latest version, so no update is lost).
-- SECURITY DEFINER: clients cannot update questions.
create function private.count_question_upvotes()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    update public.questions q set upvote_count = q.upvote_count + 1 where q.id = new.question_id;
    return new;
  end if;
  update public.questions q set upvote_count = greatest(q.upvote_count - 1, 0) where q.id = old.question_id;
  return old;
end;
$$;
comment on function private.count_question_upvotes() is 'Trigger: +1/-1 on questions.upvote_count per question_upvotes row.';
revoke execute on function private.count_question_upvotes() from public, anon, authenticated, service_role;
create trigger question_upvotes_count
  after insert or delete on public.question_upvotes
  for each row execute function private.count_question_upvotes();

-- Broadcasts question_updated on session:<id> for questions members may see (published, answered,
-- and a dismissal of one they saw). Pending questions are not broadcast to the session. The author
-- is named only for questions that are not anonymous.
-- SECURITY DEFINER: realtime.send runs as the caller and realtime.messages has RLS.
create function private.broadcast_question()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status in ('published', 'answered')
     or (tg_op = 'UPDATE' and new.status = 'dismissed' and old.status in ('published', 'answered')) then
    perform realtime.send(
      jsonb_build_object(
        'id', new.id, 'session_id', new.session_id, 'status', new.status, 'upvote_count', new.upvote_count,
        'body', case when new.status = 'dismissed' then null else new.body end,
        'is_anonymous', new.is_anonymous, 'answer', new.answer, 'created_at', new.created_at,
        'author_name', case when new.is_anonymous then null
                            else (select p.display_name from public.profiles p where p.id = new.user_id) end),
      'question_updated', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
comment on function private.broadcast_question() is
  'Trigger: question_updated {id, session_id, status, upvote_count, body, is_anonymous, answer, created_at, author_name '
  '(null when anonymous)} on session:<id>, only for published/answered questions and dismissals of those.';
revoke execute on function private.broadcast_question() from public, anon, authenticated, service_role;
create trigger broadcast_question_updated
  after insert or update on public.questions
  for each row execute function private.broadcast_question();

-- =============================================================================================
-- supabase/schemas/51_polls.sql
-- =============================================================================================

-- Polls of a live session: polls with their options, one ballot per voter, votes, tallies kept in
-- sharded counters (poll_results sums at most 64 rows per option, however many votes), and the
-- coalesced `poll_updated` broadcast (at most every 500 ms per poll; 70_live_counters.sql sends what
-- that throttle held back). Polls close when their session ends or is cancelled.
-- Tables: public.polls, public.poll_options, public.poll_ballots, public.poll_votes,
-- private.poll_option_tallies, private.poll_voter_tallies, private.poll_broadcast_throttle.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.polls (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  question text not null,
  kind text not null default 'single',
  max_choices int not null default 1,
  status text not null default 'draft',
  results_visibility text not null default 'live',
  is_anonymous boolean not null default false,
  opened_at timestamptz,
  closed_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint polls_question_length check (char_length(question) between 1 and 300 and question = btrim(question)),
  constraint polls_kind_valid check (kind in ('single', 'multiple')),
  constraint polls_max_choices_valid check (max_choices between 1 and 10 and (kind = 'multiple' or max_choices = 1)),
  constraint polls_status_valid check (status in ('draft', 'open', 'closed')),
  constraint polls_results_visibility_valid check (results_visibility in ('live', 'after_vote', 'after_close')),
  constraint polls_opened_when_open check ((status = 'draft') = (opened_at is null)),
  constraint polls_closed_when_closed check ((status = 'closed') = (closed_at is not null))
);
comment on table public.polls is
  'Polls of a session. Staff create (create_poll), open and close them; members read non-draft polls of their '
  'sessions, vote with vote_poll and read results with poll_results.';
comment on column public.polls.kind is 'single (one option) or multiple (up to max_choices options).';
comment on column public.polls.max_choices is 'Most options one voter may pick: 1 for single, 1..option count for multiple.';
comment on column public.polls.status is 'draft -> open -> closed (open_poll, close_poll).';
comment on column public.polls.results_visibility is
  'live: members see results while voting; after_vote: only voters (and staff); after_close: everyone once closed. Staff always.';
comment on column public.polls.is_anonymous is 'Informational for clients; voter identities are never exposed (vote rows are readable only by their voter).';
alter table public.polls enable row level security;

create table public.poll_options (
  id uuid primary key default gen_random_uuid(),
  poll_id uuid not null references public.polls (id) on delete cascade,
  label text not null,
  position int not null,
  constraint poll_options_poll_position_key unique (poll_id, position),
  -- Target of poll_votes (poll_id, option_id): a vote's option belongs to its poll.
  constraint poll_options_poll_id_id_key unique (poll_id, id),
  constraint poll_options_label_length check (char_length(label) between 1 and 200 and label = btrim(label)),
  constraint poll_options_position_range check (position between 1 and 10)
);
comment on table public.poll_options is 'The 2-10 options of a poll, in position order (1-based). Written by create_poll only.';
alter table public.poll_options enable row level security;

create table public.poll_ballots (
  poll_id uuid not null references public.polls (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (poll_id, user_id)
);
comment on table public.poll_ballots is
  'One ballot per user and poll: the once-per-user guard of vote_poll (a second vote is already_voted). Own rows only.';
alter table public.poll_ballots enable row level security;

create table public.poll_votes (
  poll_id uuid not null,
  option_id uuid not null,
  user_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (poll_id, user_id, option_id),
  constraint poll_votes_option_in_poll foreign key (poll_id, option_id)
    references public.poll_options (poll_id, id) on delete cascade,
  -- Every vote hangs off its ballot; deleting a user deletes the ballot and with it the votes.
  constraint poll_votes_ballot foreign key (poll_id, user_id)
    references public.poll_ballots (poll_id, user_id) on delete cascade
);
comment on table public.poll_votes is
  'One row per chosen option of a ballot. Tallies are derived from these rows by triggers into sharded counters '
  '(private.poll_option_tallies). Readable only by the voter.';
alter table public.poll_votes enable row level security;

-- Sharded counters: one row per (poll, option, shard), shard = abs(hashtext(user_id)) % 64, so that
-- concurrent voters update different rows (no hot row) and poll_results sums at most 64 rows per
-- option whatever the number of votes.
create table private.poll_option_tallies (
  poll_id uuid not null references public.polls (id) on delete cascade,
  option_id uuid not null references public.poll_options (id) on delete cascade,
  shard smallint not null,
  votes bigint not null default 0,
  primary key (poll_id, option_id, shard),
  constraint poll_option_tallies_shard_range check (shard between 0 and 63),
  constraint poll_option_tallies_votes_not_negative check (votes >= 0)
);
comment on table private.poll_option_tallies is
  'Per-option vote counts in 64 shards, maintained from poll_votes by statement triggers. Sum over shards = count of vote rows.';
alter table private.poll_option_tallies enable row level security;

create table private.poll_voter_tallies (
  poll_id uuid not null references public.polls (id) on delete cascade,
  shard smallint not null,
  voters bigint not null default 0,
  primary key (poll_id, shard),
  constraint poll_voter_tallies_shard_range check (shard between 0 and 63),
  constraint poll_voter_tallies_voters_not_negative check (voters >= 0)
);
comment on table private.poll_voter_tallies is
  'Distinct voters per poll in 64 shards, maintained from poll_ballots by statement triggers.';
alter table private.poll_voter_tallies enable row level security;

create table private.poll_broadcast_throttle (
  poll_id uuid primary key references public.polls (id) on delete cascade,
  last_broadcast_at timestamptz not null default '-infinity',
  last_voters bigint
);
comment on table private.poll_broadcast_throttle is
  'When poll_updated was last broadcast for a poll during voting: at most one broadcast per 500 ms, taken with '
  'skip locked so that voters never wait for each other here.';
comment on column private.poll_broadcast_throttle.last_voters is
  'The voter count of the last poll_updated sent with counts (null: none yet), for private.flush_live_counts.';
alter table private.poll_broadcast_throttle enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index polls_session_id_idx on public.polls (session_id, status);
create index polls_created_by_idx on public.polls (created_by);
create index poll_ballots_user_id_idx on public.poll_ballots (user_id);
create index poll_votes_poll_id_option_id_idx on public.poll_votes (poll_id, option_id);
create index poll_option_tallies_option_id_idx on private.poll_option_tallies (option_id);
-- The flush-live-counts job (private.flush_live_counts) looks at open live-results polls only.
create index polls_open_live_idx on public.polls (id) where status = 'open' and results_visibility = 'live';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Aggregated results of a poll from the sharded counters: constant work per option.
create function private.poll_tally(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language sql stable security definer set search_path = '' as $$
  with v as (
    select coalesce(sum(t.voters), 0)::bigint as voters
    from private.poll_voter_tallies t where t.poll_id = poll_tally.poll_id)
  select o.id, o.label, o.position,
         coalesce(c.votes, 0)::bigint,
         case when v.voters = 0 then 0::numeric else round(coalesce(c.votes, 0)::numeric / v.voters, 4) end,
         v.voters
  from public.poll_options o
  cross join v
  left join lateral (
    select sum(t.votes) as votes from private.poll_option_tallies t
    where t.poll_id = o.poll_id and t.option_id = o.id) c on true
  where o.poll_id = poll_tally.poll_id
  order by o.position;
$$;
comment on function private.poll_tally(uuid) is
  'Per-option votes, share (votes / voters) and distinct voters of a poll, summed from the sharded counters. No access check.';
revoke execute on function private.poll_tally(uuid) from public, anon, authenticated, service_role;

-- The poll_updated payload: aggregates only; option counts only when include_counts.
create function private.poll_payload(poll_id uuid, include_counts boolean)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'poll_id', p.id, 'status', p.status, 'results_visibility', p.results_visibility,
    'voters', case when include_counts then (select coalesce(sum(t.voters), 0) from private.poll_voter_tallies t where t.poll_id = p.id) end,
    'options', case when include_counts then (
      select jsonb_agg(jsonb_build_object('option_id', r.option_id, 'votes', r.votes) order by r.position)
      from private.poll_tally(p.id) r) end)
  from public.polls p where p.id = poll_payload.poll_id;
$$;
comment on function private.poll_payload(uuid, boolean) is
  'poll_updated payload {poll_id, status, results_visibility, voters, options:[{option_id, votes}]}; counts null when not included.';
revoke execute on function private.poll_payload(uuid, boolean) from public, anon, authenticated, service_role;

create function private.poll_json(poll_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', p.id, 'session_id', p.session_id, 'question', p.question, 'kind', p.kind, 'max_choices', p.max_choices,
    'status', p.status, 'results_visibility', p.results_visibility, 'is_anonymous', p.is_anonymous,
    'opened_at', p.opened_at, 'closed_at', p.closed_at, 'created_at', p.created_at,
    'options', (select jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'position', o.position) order by o.position)
                from public.poll_options o where o.poll_id = p.id))
  from public.polls p where p.id = poll_json.poll_id;
$$;
comment on function private.poll_json(uuid) is 'A poll with its options as JSON, for RPC answers.';
revoke execute on function private.poll_json(uuid) from public, anon, authenticated, service_role;

-- Locks a poll for a status change by staff (waits for in-flight votes, which hold a key-share lock).
create function private.poll_for_staff(poll_id uuid)
returns public.polls
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_for_staff.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_for_staff.poll_id for update;
  if v_poll.id is null then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', poll_for_staff.poll_id));
  end if;
  perform private.require_session_access(v_poll.session_id, 'staff');
  return v_poll;
end;
$$;
comment on function private.poll_for_staff(uuid) is 'Locks and returns a poll for staff; not_authenticated, not_found or forbidden.';
revoke execute on function private.poll_for_staff(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.polls from public, anon, authenticated, service_role;
grant select on table public.polls to authenticated;
grant all on table public.polls to service_role;
create policy "members read non-draft polls and staff all polls" on public.polls
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.poll_options from public, anon, authenticated, service_role;
grant select on table public.poll_options to authenticated;
grant all on table public.poll_options to service_role;
-- Options follow their poll's visibility (the polls policy applies inside the sub-select).
create policy "users read the options of polls they can read" on public.poll_options
  for select to authenticated
  using (poll_id in (select p.id from public.polls p));

revoke all on table public.poll_ballots from public, anon, authenticated, service_role;
grant select on table public.poll_ballots to authenticated;
grant all on table public.poll_ballots to service_role;
create policy "voters read their own ballots" on public.poll_ballots
  for select to authenticated
  using (user_id = (select auth.uid()));

revoke all on table public.poll_votes from public, anon, authenticated, service_role;
grant select on table public.poll_votes to authenticated;
grant all on table public.poll_votes to service_role;
create policy "voters read their own votes" on public.poll_votes
  for select to authenticated
  using (user_id = (select auth.uid()));

revoke all on table private.poll_option_tallies from public, anon, authenticated, service_role;
grant select on table private.poll_option_tallies to service_role;

revoke all on table private.poll_voter_tallies from public, anon, authenticated, service_role;
grant select on table private.poll_voter_tallies to service_role;

revoke all on table private.poll_broadcast_throttle from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: inserts polls, options and the throttle row, which clients cannot write.
create function public.create_poll(
  session_id uuid,
  question text,
  options text[],
  kind text default 'single',
  max_choices int default 1,
  results_visibility text default 'live',
  is_anonymous boolean default false
) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(create_poll.session_id, 'staff');
  v_status text;
  v_question text := btrim(create_poll.question);
  v_labels text[];
  v_poll_id uuid;
begin
  select s.status into v_status from public.sessions s where s.id = create_poll.session_id;
  if v_status in ('ended', 'cancelled') then
    perform private.raise_error('invalid_transition', 'The session is over.', jsonb_build_object('session_status', v_status));
  end if;
  if v_question is null or char_length(v_question) not between 1 and 300 then
    perform private.raise_error('invalid_input', 'The question is 1 to 300 characters.', jsonb_build_object('field', 'question'));
  end if;
  select array_agg(btrim(o.label) order by o.n) into v_labels
  from unnest(create_poll.options) with ordinality as o (label, n);
  if coalesce(cardinality(v_labels), 0) not between 2 and 10 then
    perform private.raise_error('invalid_input', 'A poll has 2 to 10 options.', jsonb_build_object('field', 'options'));
  end if;
  if exists (select 1 from unnest(v_labels) l where l is null or char_length(l) not between 1 and 200) then
    perform private.raise_error('invalid_input', 'Every option is 1 to 200 characters.', jsonb_build_object('field', 'options'));
  end if;
  if (select count(distinct lower(l)) from unnest(v_labels) l) <> cardinality(v_labels) then
    perform private.raise_error('invalid_input', 'Options must be distinct.', jsonb_build_object('field', 'options'));
  end if;
  if create_poll.kind is null or create_poll.kind not in ('single', 'multiple') then
    perform private.raise_error('invalid_input', 'kind is single or multiple.', jsonb_build_object('field', 'kind'));
  end if;
  if create_poll.max_choices is null
     or (create_poll.kind = 'single' and create_poll.max_choices <> 1)
     or create_poll.max_choices not between 1 and cardinality(v_labels) then
    perform private.raise_error('invalid_input', 'max_choices is 1 for single polls and 1 to the option count for multiple ones.',
      jsonb_build_object('field', 'max_choices'));
  end if;
  if create_poll.results_visibility is null or create_poll.results_visibility not in ('live', 'after_vote', 'after_close') then
    perform private.raise_error('invalid_input', 'results_visibility is live, after_vote or after_close.',
      jsonb_build_object('field', 'results_visibility'));
  end if;
  insert into public.polls (session_id, question, kind, max_choices, results_visibility, is_anonymous, created_by)
  values (create_poll.session_id, v_question, create_poll.kind, create_poll.max_choices, create_poll.results_visibility,
          coalesce(create_poll.is_anonymous, false), v_uid)
  returning id into v_poll_id;
  insert into public.poll_options (poll_id, label, position)
  select v_poll_id, l.label, l.n from unnest(v_labels) with ordinality as l (label, n);
  insert into private.poll_broadcast_throttle (poll_id) values (v_poll_id);
  return private.poll_json(v_poll_id);
end;
$$;
comment on function public.create_poll(uuid, text, text[], text, int, text, boolean) is
  'Staff create a draft poll: question 1-300 chars, 2-10 distinct non-empty options (1-200 chars), kind single|multiple, '
  'max_choices (1 for single; 1..option count), results_visibility live|after_vote|after_close, is_anonymous. Returns '
  'the poll with its options. Errors: not_authenticated, not_found, forbidden, invalid_input, invalid_transition (session over).';
revoke execute on function public.create_poll(uuid, text, text[], text, int, text, boolean) from public, anon;
grant execute on function public.create_poll(uuid, text, text[], text, int, text, boolean)
  to authenticated, service_role;

create function public.open_poll(poll_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls := private.poll_for_staff(open_poll.poll_id);
  v_session_status text;
begin
  select s.status into v_session_status from public.sessions s where s.id = v_poll.session_id;
  if v_poll.status <> 'draft' or v_session_status in ('ended', 'cancelled') then
    perform private.raise_error('invalid_transition', 'Only a draft poll of a session that is not over can open.',
      jsonb_build_object('status', v_poll.status, 'session_status', v_session_status));
  end if;
  update public.polls p set status = 'open', opened_at = now() where p.id = v_poll.id;
  return private.poll_json(v_poll.id);
end;
$$;
comment on function public.open_poll(uuid) is 'Staff: draft -> open (broadcasts poll_updated). Returns the poll.';
revoke execute on function public.open_poll(uuid) from public, anon;
grant execute on function public.open_poll(uuid) to authenticated, service_role;

create function public.close_poll(poll_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls := private.poll_for_staff(close_poll.poll_id);
begin
  if v_poll.status <> 'open' then
    perform private.raise_error('invalid_transition', 'Only an open poll can close.', jsonb_build_object('status', v_poll.status));
  end if;
  update public.polls p set status = 'closed', closed_at = now() where p.id = v_poll.id;
  return private.poll_json(v_poll.id);
end;
$$;
comment on function public.close_poll(uuid) is
  'Staff: open -> closed. Waits for votes in flight, then always broadcasts poll_updated with the final tallies '
  '(counts omitted for after_vote polls). Returns the poll.';
revoke execute on function public.close_poll(uuid) from public, anon;
grant execute on function public.close_poll(uuid) to authenticated, service_role;

-- SECURITY DEFINER: inserts ballots and votes, which clients cannot write. The poll row is read
-- `for key share` (the lock the vote rows' foreign keys take anyway): voters do not block each
-- other, and close_poll's `for update` waits for them, so no vote lands after the close.
create function public.vote_poll(poll_id uuid, option_ids uuid[])
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_count int := coalesce(cardinality(vote_poll.option_ids), 0);
  v_ballot uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', vote_poll.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = vote_poll.poll_id for key share;
  if v_poll.id is null or (v_poll.status = 'draft' and not private.is_session_staff(v_poll.session_id, array['host', 'moderator'])) then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', vote_poll.poll_id));
  end if;
  perform private.require_session_access(v_poll.session_id, 'member');
  if v_poll.status <> 'open' then
    perform private.raise_error('poll_not_open', 'This poll is not open.', jsonb_build_object('status', v_poll.status));
  end if;
  if v_count = 0 or array_position(vote_poll.option_ids, null) is not null then
    perform private.raise_error('invalid_input', 'Choose at least one option.', jsonb_build_object('field', 'option_ids'));
  end if;
  if v_count > v_poll.max_choices then
    perform private.raise_error('invalid_input', 'Too many options chosen.',
      jsonb_build_object('field', 'option_ids', 'max_choices', v_poll.max_choices));
  end if;
  if (select count(distinct o) from unnest(vote_poll.option_ids) o) <> v_count then
    perform private.raise_error('invalid_input', 'Each option can be chosen once.', jsonb_build_object('field', 'option_ids'));
  end if;
  if (select count(*) from public.poll_options o where o.poll_id = v_poll.id and o.id = any (vote_poll.option_ids)) <> v_count then
    perform private.raise_error('invalid_input', 'Every option must belong to the poll.', jsonb_build_object('field', 'option_ids'));
  end if;
  insert into public.poll_ballots (poll_id, user_id) values (v_poll.id, v_uid)
  on conflict do nothing
  returning poll_ballots.poll_id into v_ballot;
  if v_ballot is null then
    perform private.raise_error('already_voted', 'You already voted in this poll.', jsonb_build_object('poll_id', v_poll.id));
  end if;
  insert into public.poll_votes (poll_id, option_id, user_id)
  select v_poll.id, o, v_uid from unnest(vote_poll.option_ids) o order by o;
  return jsonb_build_object('poll_id', v_poll.id, 'option_ids', to_jsonb(vote_poll.option_ids));
end;
$$;
comment on function public.vote_poll(uuid, uuid[]) is
  'Members (not banned) vote once in an open poll with 1..max_choices distinct options of that poll. Errors: '
  'not_authenticated, not_found, forbidden, banned, poll_not_open, invalid_input, already_voted. Returns {poll_id, option_ids}.';
revoke execute on function public.vote_poll(uuid, uuid[]) from public, anon;
grant execute on function public.vote_poll(uuid, uuid[]) to authenticated, service_role;

-- SECURITY DEFINER: the tallies live in private; the visibility rules are checked here.
create function public.poll_results(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_staff boolean;
begin
  if v_uid is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_results.poll_id;
  v_staff := v_uid is null or private.is_session_staff(v_poll.session_id, array['host', 'moderator']);
  if v_poll.id is null or not (v_staff or (v_poll.status <> 'draft'
                                           and private.is_session_member(v_poll.session_id)
                                           and not private.is_banned(v_poll.session_id, v_uid))) then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  if v_staff
     or v_poll.results_visibility = 'live'
     or (v_poll.results_visibility = 'after_vote'
         and exists (select 1 from public.poll_ballots b where b.poll_id = v_poll.id and b.user_id = v_uid))
     or (v_poll.results_visibility = 'after_close' and v_poll.status = 'closed') then
    return query select t.option_id, t.label, t."position", t.votes, t.share, t.voters from private.poll_tally(v_poll.id) t;
  end if;
end;
$$;
comment on function public.poll_results(uuid) is
  'Per option: votes, share (votes / distinct voters, 4 decimals) and distinct voters. Empty when the poll''s '
  'results_visibility excludes the caller (after_vote: voters only; after_close: until closed); staff always see them. '
  'Summed from sharded counters: constant time in the number of votes. No voter identities.';
revoke execute on function public.poll_results(uuid) from public, anon;
grant execute on function public.poll_results(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Sharded tallies from vote rows, one upsert per statement (bulk loads stay fast). Rows are
-- upserted in key order so that two voters touching the same shards cannot deadlock.
-- SECURITY DEFINER: the counters live in private, which clients cannot write.
create function private.tally_poll_votes()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    insert into private.poll_option_tallies as t (poll_id, option_id, shard, votes)
    select c.poll_id, c.option_id, (abs(hashtext(c.user_id::text)) % 64)::smallint, count(*)
    from changed_votes c
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (poll_id, option_id, shard) do update set votes = t.votes + excluded.votes;
  else
    update private.poll_option_tallies t set votes = greatest(t.votes - d.n, 0)
    from (select c.poll_id, c.option_id, (abs(hashtext(c.user_id::text)) % 64)::smallint as shard, count(*) as n
          from changed_votes c group by 1, 2, 3) d
    where t.poll_id = d.poll_id and t.option_id = d.option_id and t.shard = d.shard;
  end if;
  return null;
end;
$$;
comment on function private.tally_poll_votes() is 'Statement trigger: adds/removes poll_votes rows to/from the sharded option tallies.';
revoke execute on function private.tally_poll_votes() from public, anon, authenticated, service_role;
create trigger poll_votes_tally_insert
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.tally_poll_votes();
create trigger poll_votes_tally_delete
  after delete on public.poll_votes
  referencing old table as changed_votes
  for each statement execute function private.tally_poll_votes();

create function private.tally_poll_ballots()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    insert into private.poll_voter_tallies as t (poll_id, shard, voters)
    select c.poll_id, (abs(hashtext(c.user_id::text)) % 64)::smallint, count(*)
    from changed_ballots c
    group by 1, 2
    order by 1, 2
    on conflict (poll_id, shard) do update set voters = t.voters + excluded.voters;
  else
    update private.poll_voter_tallies t set voters = greatest(t.voters - d.n, 0)
    from (select c.poll_id, (abs(hashtext(c.user_id::text)) % 64)::smallint as shard, count(*) as n
          from changed_ballots c group by 1, 2) d
    where t.poll_id = d.poll_id and t.shard = d.shard;
  end if;
  return null;
end;
$$;
comment on function private.tally_poll_ballots() is 'Statement trigger: adds/removes poll_ballots rows to/from the sharded voter tallies.';
revoke execute on function private.tally_poll_ballots() from public, anon, authenticated, service_role;
create trigger poll_ballots_tally_insert
  after insert on public.poll_ballots
  referencing new table as changed_ballots
  for each statement execute function private.tally_poll_ballots();
create trigger poll_ballots_tally_delete
  after delete on public.poll_ballots
  referencing old table as changed_ballots
  for each statement execute function private.tally_poll_ballots();

-- Coalesced poll_updated during voting: at most one broadcast per poll per 500 ms. The throttle row
-- is taken with `for update skip locked`, so a voter never waits: if another transaction holds it,
-- that one is broadcasting. Counts only for live results (after_vote and after_close polls do not
-- reveal counts to the whole session while open). close_poll always broadcasts the final tallies.
-- SECURITY DEFINER: writes private state and calls realtime.send (RLS on realtime.messages).
create function private.broadcast_poll_votes()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_poll record;
  v_taken uuid;
  v_payload jsonb;
begin
  for v_poll in
    select distinct c.poll_id, p.session_id from changed_votes c
    join public.polls p on p.id = c.poll_id
    where p.results_visibility = 'live' and p.status = 'open'
  loop
    select t.poll_id into v_taken from private.poll_broadcast_throttle t
    where t.poll_id = v_poll.poll_id and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
    for update skip locked;
    if v_taken is not null then
      v_payload := private.poll_payload(v_poll.poll_id, true);
      update private.poll_broadcast_throttle t
         set last_broadcast_at = clock_timestamp(), last_voters = (v_payload ->> 'voters')::bigint
       where t.poll_id = v_taken;
      perform realtime.send(v_payload, 'poll_updated', 'session:' || v_poll.session_id::text, true);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_poll_votes() is
  'Statement trigger on poll_votes: poll_updated with aggregates for live-results polls, at most every 500 ms per poll '
  '(leading edge; private.flush_live_counts sends what the window held back).';
revoke execute on function private.broadcast_poll_votes() from public, anon, authenticated, service_role;
-- Named to sort after poll_votes_tally_insert (triggers of one event fire in name order), so the
-- broadcast sees this statement's votes in the tallies.
create trigger poll_votes_zz_broadcast
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.broadcast_poll_votes();

-- poll_updated on every status change (open, close): counts when the viewer rules allow them for the
-- whole session (live; after_close once closed). The close broadcast carries the final tallies.
create function private.broadcast_poll_status()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    private.poll_payload(new.id, new.results_visibility = 'live'
                                 or (new.results_visibility = 'after_close' and new.status = 'closed')),
    'poll_updated', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_poll_status() is
  'Trigger: poll_updated when a poll opens or closes (final tallies on close for live and after_close polls).';
revoke execute on function private.broadcast_poll_status() from public, anon, authenticated, service_role;
create trigger broadcast_poll_status_change
  after update of status on public.polls
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_poll_status();

-- Ending or cancelling a session closes its open polls (closed_at = now()): members could otherwise
-- go on voting in an ended session, and an after_close poll stayed hidden until the host closed it
-- by hand. The poll_updated broadcast that follows carries the final results, as close_poll's does.
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
revoke execute on function private.close_polls_with_session() from public, anon, authenticated, service_role;
create trigger close_polls_with_session after update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.close_polls_with_session();

-- =============================================================================================
-- supabase/schemas/52_surveys.sql
-- =============================================================================================

-- Surveys of a session: surveys with validated fields (text, rating, choice ...), one response per
-- user with every answer checked against its field.
-- Tables: public.surveys, public.survey_fields, public.survey_responses.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.surveys (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  title text not null,
  status text not null default 'draft',
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint surveys_title_length check (char_length(title) between 1 and 200 and title = btrim(title)),
  constraint surveys_status_valid check (status in ('draft', 'open', 'closed'))
);
comment on table public.surveys is
  'Surveys (feedback forms) of a session. Staff create (create_survey), open and close; members answer open ones '
  'with submit_survey_response.';
comment on column public.surveys.status is 'draft -> open -> closed (open_survey, close_survey).';
alter table public.surveys enable row level security;

create table public.survey_fields (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  position int not null,
  prompt text not null,
  kind text not null,
  options jsonb not null default '{}',
  required boolean not null default false,
  constraint survey_fields_survey_position_key unique (survey_id, position),
  constraint survey_fields_prompt_length check (char_length(prompt) between 1 and 500 and prompt = btrim(prompt)),
  constraint survey_fields_kind_valid check (kind in ('rating', 'text', 'choice')),
  constraint survey_fields_options_object check (jsonb_typeof(options) = 'object'),
  constraint survey_fields_position_range check (position between 1 and 50)
);
comment on table public.survey_fields is 'The questions of a survey, validated by create_survey.';
comment on column public.survey_fields.options is
  'rating: {"min":1,"max":5}; choice: {"choices":[...2-20 distinct labels], "multiple": false}; text: {"max_length": 1000}.';
alter table public.survey_fields enable row level security;

create table public.survey_responses (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  answers jsonb not null,
  created_at timestamptz not null default now(),
  constraint survey_responses_survey_user_key unique (survey_id, user_id),
  constraint survey_responses_answers_object check (jsonb_typeof(answers) = 'object')
);
comment on table public.survey_responses is
  'One response per user and survey (submit_survey_response). Users read their own; staff read all of their sessions.';
comment on column public.survey_responses.answers is
  'Object of field id -> answer: rating an integer, choice a label (or an array of labels when multiple), text a string.';
alter table public.survey_responses enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index surveys_session_id_idx on public.surveys (session_id, status);
create index surveys_created_by_idx on public.surveys (created_by);
create index survey_responses_user_id_idx on public.survey_responses (user_id);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.survey_json(survey_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', s.id, 'session_id', s.session_id, 'title', s.title, 'status', s.status, 'created_at', s.created_at,
    'fields', (select jsonb_agg(jsonb_build_object('id', f.id, 'position', f.position, 'prompt', f.prompt, 'kind', f.kind,
                                                   'options', f.options, 'required', f.required) order by f.position)
               from public.survey_fields f where f.survey_id = s.id))
  from public.surveys s where s.id = survey_json.survey_id;
$$;
comment on function private.survey_json(uuid) is 'A survey with its fields as JSON, for RPC answers.';
revoke execute on function private.survey_json(uuid) from public, anon, authenticated, service_role;

-- Validates one field spec of create_survey and returns its normalized options (or raises
-- invalid_input with details {field: position, reason}).
create function private.survey_field_options(spec jsonb, field_position int)
returns jsonb
language plpgsql immutable set search_path = '' as $$
declare
  v_kind text := spec ->> 'kind';
  v_options jsonb := coalesce(spec -> 'options', '{}'::jsonb);
  v_min numeric;
  v_max numeric;
  v_choices text[];
  v_max_length numeric;
begin
  if jsonb_typeof(v_options) <> 'object' then
    perform private.raise_error('invalid_input', 'options must be an object.', jsonb_build_object('field', field_position, 'reason', 'options'));
  end if;
  if v_kind = 'rating' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('min', 'max')) then
      perform private.raise_error('invalid_input', 'Rating options are min and max.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    if jsonb_typeof(coalesce(v_options -> 'min', '1')) <> 'number' or jsonb_typeof(coalesce(v_options -> 'max', '5')) <> 'number' then
      perform private.raise_error('invalid_input', 'min and max are integers.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_min := coalesce((v_options ->> 'min')::numeric, 1);
    v_max := coalesce((v_options ->> 'max')::numeric, 5);
    if v_min <> trunc(v_min) or v_max <> trunc(v_max) or v_min >= v_max or v_min < -100 or v_max > 100 then
      perform private.raise_error('invalid_input', 'A rating is integers min < max within -100..100.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('min', v_min::int, 'max', v_max::int);
  elsif v_kind = 'choice' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('choices', 'multiple'))
       or jsonb_typeof(v_options -> 'choices') is distinct from 'array'
       or jsonb_typeof(coalesce(v_options -> 'multiple', 'false')) <> 'boolean'
       or exists (select 1 from jsonb_array_elements(v_options -> 'choices') c where jsonb_typeof(c) <> 'string') then
      perform private.raise_error('invalid_input', 'Choice options are {"choices": [labels], "multiple": boolean}.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    select array_agg(btrim(c) order by n) into v_choices
    from jsonb_array_elements_text(v_options -> 'choices') with ordinality as c (c, n);
    if coalesce(cardinality(v_choices), 0) not between 2 and 20
       or exists (select 1 from unnest(v_choices) c where char_length(c) not between 1 and 200)
       or (select count(distinct c) from unnest(v_choices) c) <> cardinality(v_choices) then
      perform private.raise_error('invalid_input', 'A choice has 2 to 20 distinct labels of 1 to 200 characters.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('choices', to_jsonb(v_choices), 'multiple', coalesce((v_options ->> 'multiple')::boolean, false));
  elsif v_kind = 'text' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k <> 'max_length')
       or jsonb_typeof(coalesce(v_options -> 'max_length', '1000')) <> 'number' then
      perform private.raise_error('invalid_input', 'Text options are {"max_length": 1..5000}.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_max_length := coalesce((v_options ->> 'max_length')::numeric, 1000);
    if v_max_length <> trunc(v_max_length) or v_max_length not between 1 and 5000 then
      perform private.raise_error('invalid_input', 'max_length is an integer 1..5000.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('max_length', v_max_length::int);
  end if;
  perform private.raise_error('invalid_input', 'kind is rating, text or choice.', jsonb_build_object('field', field_position, 'reason', 'kind'));
  return null;
end;
$$;
comment on function private.survey_field_options(jsonb, int) is
  'Validates a survey field spec''s kind and options; returns normalized options or raises invalid_input {field, reason}.';
revoke execute on function private.survey_field_options(jsonb, int)
  from public, anon, authenticated, service_role;

create function private.survey_for_staff(survey_id uuid)
returns public.surveys
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = survey_for_staff.survey_id for update;
  if v_survey.id is null then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'staff');
  return v_survey;
end;
$$;
comment on function private.survey_for_staff(uuid) is 'Locks and returns a survey for staff; not_authenticated, not_found or forbidden.';
revoke execute on function private.survey_for_staff(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.surveys from public, anon, authenticated, service_role;
grant select on table public.surveys to authenticated;
grant all on table public.surveys to service_role;
create policy "members read non-draft surveys and staff all surveys" on public.surveys
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.survey_fields from public, anon, authenticated, service_role;
grant select on table public.survey_fields to authenticated;
grant all on table public.survey_fields to service_role;
create policy "users read the fields of surveys they can read" on public.survey_fields
  for select to authenticated
  using (survey_id in (select s.id from public.surveys s));

revoke all on table public.survey_responses from public, anon, authenticated, service_role;
grant select on table public.survey_responses to authenticated;
grant all on table public.survey_responses to service_role;
create policy "users read their own responses and staff all of their sessions" on public.survey_responses
  for select to authenticated
  using (user_id = (select auth.uid())
    or survey_id in (select s.id from public.surveys s
                     where s.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: inserts surveys and fields, which clients cannot write, after the staff check.
-- Any session status: feedback surveys are typically sent after the session has ended.
create function public.create_survey(session_id uuid, title text, fields jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(create_survey.session_id, 'staff');
  v_title text := btrim(create_survey.title);
  v_field jsonb;
  v_position int;
  v_prompt text;
  v_survey_id uuid;
begin
  if v_title is null or char_length(v_title) not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The title is 1 to 200 characters.', jsonb_build_object('field', 'title'));
  end if;
  if jsonb_typeof(create_survey.fields) is distinct from 'array' or jsonb_array_length(create_survey.fields) not between 1 and 50 then
    perform private.raise_error('invalid_input', 'fields is an array of 1 to 50 field specs.', jsonb_build_object('field', 'fields'));
  end if;
  insert into public.surveys (session_id, title, created_by) values (create_survey.session_id, v_title, v_uid)
  returning id into v_survey_id;
  for v_field, v_position in select f.value, f.n::int from jsonb_array_elements(create_survey.fields) with ordinality as f (value, n) loop
    if jsonb_typeof(v_field) <> 'object'
       or exists (select 1 from jsonb_object_keys(v_field) k where k not in ('prompt', 'kind', 'options', 'required')) then
      perform private.raise_error('invalid_input', 'A field is {prompt, kind, options, required}.',
        jsonb_build_object('field', v_position, 'reason', 'shape'));
    end if;
    v_prompt := btrim(v_field ->> 'prompt');
    if jsonb_typeof(v_field -> 'prompt') is distinct from 'string' or char_length(v_prompt) not between 1 and 500 then
      perform private.raise_error('invalid_input', 'A prompt is 1 to 500 characters.', jsonb_build_object('field', v_position, 'reason', 'prompt'));
    end if;
    if jsonb_typeof(coalesce(v_field -> 'required', 'false')) <> 'boolean' then
      perform private.raise_error('invalid_input', 'required is a boolean.', jsonb_build_object('field', v_position, 'reason', 'required'));
    end if;
    insert into public.survey_fields (survey_id, position, prompt, kind, options, required)
    values (v_survey_id, v_position, v_prompt, v_field ->> 'kind', private.survey_field_options(v_field, v_position),
            coalesce((v_field ->> 'required')::boolean, false));
  end loop;
  return private.survey_json(v_survey_id);
end;
$$;
comment on function public.create_survey(uuid, text, jsonb) is
  'Staff create a draft survey: title 1-200 chars; fields an array of 1-50 {prompt (1-500 chars), kind rating|text|choice, '
  'options (rating {"min","max"} default 1..5; choice {"choices":[2-20 distinct labels], "multiple": false}; text '
  '{"max_length"} default 1000, at most 5000), required (default false)}. invalid_input details {field: position, reason}.';
revoke execute on function public.create_survey(uuid, text, jsonb) from public, anon;
grant execute on function public.create_survey(uuid, text, jsonb) to authenticated, service_role;

create function public.open_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(open_survey.survey_id);
begin
  if v_survey.status <> 'draft' then
    perform private.raise_error('invalid_transition', 'Only a draft survey can open.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'open' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.open_survey(uuid) is 'Staff: draft -> open. Returns the survey with its fields.';
revoke execute on function public.open_survey(uuid) from public, anon;
grant execute on function public.open_survey(uuid) to authenticated, service_role;

create function public.close_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(close_survey.survey_id);
begin
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'Only an open survey can close.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'closed' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.close_survey(uuid) is 'Staff: open -> closed. Returns the survey with its fields.';
revoke execute on function public.close_survey(uuid) from public, anon;
grant execute on function public.close_survey(uuid) to authenticated, service_role;

-- SECURITY DEFINER: inserts the response (clients cannot write survey_responses) after validating
-- every answer against its field.
create function public.submit_survey_response(survey_id uuid, answers jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_survey public.surveys;
  v_key text;
  v_field public.survey_fields;
  v_value jsonb;
  v_text text;
  v_clean jsonb := '{}'::jsonb;
  v_id uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = submit_survey_response.survey_id;
  if v_survey.id is null or (v_survey.status = 'draft' and not private.is_session_staff(v_survey.session_id, array['host', 'moderator'])) then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'member');
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'This survey is not open.', jsonb_build_object('status', v_survey.status));
  end if;
  if jsonb_typeof(submit_survey_response.answers) is distinct from 'object' then
    perform private.raise_error('invalid_input', 'answers is an object of field id -> answer.', jsonb_build_object('field', 'answers'));
  end if;
  for v_key in select jsonb_object_keys(submit_survey_response.answers) loop
    if not exists (select 1 from public.survey_fields f where f.survey_id = v_survey.id and f.id::text = v_key) then
      perform private.raise_error('invalid_input', 'Unknown field.', jsonb_build_object('field_id', v_key, 'reason', 'unknown_field'));
    end if;
  end loop;
  for v_field in select f.* from public.survey_fields f where f.survey_id = v_survey.id order by f.position loop
    v_value := submit_survey_response.answers -> v_field.id::text;
    if v_value = 'null'::jsonb then
      v_value := null;
    end if;
    if v_field.kind = 'text' and jsonb_typeof(v_value) = 'string' then
      v_text := btrim(v_value #>> '{}');
      v_value := case when v_text = '' then null else to_jsonb(v_text) end;
    end if;
    if v_value is null then
      if v_field.required then
        perform private.raise_error('invalid_input', 'This field is required.', jsonb_build_object('field_id', v_field.id, 'reason', 'required'));
      end if;
      continue;
    end if;
    if v_field.kind = 'rating' then
      if jsonb_typeof(v_value) <> 'number' or (v_value #>> '{}')::numeric <> trunc((v_value #>> '{}')::numeric)
         or (v_value #>> '{}')::numeric not between (v_field.options ->> 'min')::numeric and (v_field.options ->> 'max')::numeric then
        perform private.raise_error('invalid_input', 'A rating is an integer within the field''s range.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'rating', 'min', v_field.options -> 'min', 'max', v_field.options -> 'max'));
      end if;
    elsif v_field.kind = 'choice' then
      if coalesce((v_field.options ->> 'multiple')::boolean, false) then
        if jsonb_typeof(v_value) <> 'array' or jsonb_array_length(v_value) = 0
           or exists (select 1 from jsonb_array_elements(v_value) c where not (v_field.options -> 'choices') @> jsonb_build_array(c) or jsonb_typeof(c) <> 'string')
           or (select count(distinct c) from jsonb_array_elements(v_value) c) <> jsonb_array_length(v_value) then
          perform private.raise_error('invalid_input', 'Choose one or more distinct options of the field.',
            jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
        end if;
      elsif jsonb_typeof(v_value) <> 'string' or not (v_field.options -> 'choices') @> jsonb_build_array(v_value) then
        perform private.raise_error('invalid_input', 'Choose one option of the field.', jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
      end if;
    elsif v_field.kind = 'text' then
      if jsonb_typeof(v_value) <> 'string' or char_length(v_value #>> '{}') > (v_field.options ->> 'max_length')::int then
        perform private.raise_error('invalid_input', 'A text answer is a string within the field''s max_length.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'text', 'max_length', v_field.options -> 'max_length'));
      end if;
    end if;
    v_clean := v_clean || jsonb_build_object(v_field.id::text, v_value);
  end loop;
  insert into public.survey_responses (survey_id, user_id, answers) values (v_survey.id, v_uid, v_clean)
  on conflict do nothing
  returning id into v_id;
  if v_id is null then
    perform private.raise_error('already_responded', 'You already answered this survey.', jsonb_build_object('survey_id', v_survey.id));
  end if;
  return jsonb_build_object('id', v_id, 'survey_id', v_survey.id, 'answers', v_clean);
end;
$$;
comment on function public.submit_survey_response(uuid, jsonb) is
  'Members (not banned) answer an open survey once: answers {field_id: value}; rating an integer in range, choice a label '
  '(an array of distinct labels when multiple), text a string up to max_length (trimmed; empty = missing), required '
  'fields present, no unknown field ids. invalid_input details {field_id, reason}; already_responded on a second call.';
revoke execute on function public.submit_survey_response(uuid, jsonb) from public, anon;
grant execute on function public.submit_survey_response(uuid, jsonb) to authenticated, service_role;

-- =============================================================================================
-- supabase/schemas/53_rooms.sql
-- =============================================================================================

-- Breakout rooms of a live session: opening rooms, assigning members (by hand, at random and
-- balanced, or by self-selection), joining, closing with the session and at closes_at, and the
-- `room_updated` broadcast. The tables rooms and room_assignments are part of the catalogue
-- (20_sessions.sql: chat messages can belong to a room); clients write assignments only through
-- these RPCs. One room per user and session, also when two joins or assignments race.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Whether a room is open now: status open and closes_at not passed (rooms close lazily in reads and
-- by the minute job, private.close_expired_rooms).
create function private.room_is_open(room public.rooms)
returns boolean
language sql stable set search_path = '' as $$
  select room.status = 'open' and (room.closes_at is null or room.closes_at > now());
$$;
comment on function private.room_is_open(public.rooms) is 'True when a room is open now: status open and closes_at (if any) still ahead.';
revoke execute on function private.room_is_open(public.rooms) from public, anon;
grant execute on function private.room_is_open(public.rooms) to authenticated, service_role;

-- Broadcasts room_updated for a room: no member lists, just the counts.
create function private.broadcast_room(room_id uuid)
returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  select r.* into v_room from public.rooms r where r.id = broadcast_room.room_id;
  if v_room.id is null then
    return;
  end if;
  perform realtime.send(
    jsonb_build_object('room_id', v_room.id, 'session_id', v_room.session_id, 'name', v_room.name,
      'status', case when private.room_is_open(v_room) then 'open' else 'closed' end,
      'closes_at', v_room.closes_at, 'capacity', v_room.capacity, 'self_select', v_room.self_select,
      'assigned_count', (select count(*) from public.room_assignments a where a.room_id = v_room.id)),
    'room_updated', 'session:' || v_room.session_id::text, true);
end;
$$;
comment on function private.broadcast_room(uuid) is
  'Sends room_updated {room_id, session_id, name, status, closes_at, capacity, self_select, assigned_count} on session:<id>. '
  'Security definer: realtime.send runs as the caller and realtime.messages has RLS.';
revoke execute on function private.broadcast_room(uuid) from public, anon, authenticated, service_role;

-- Closes the rooms whose closes_at has passed (pg_cron, every minute: 90_cron_jobs.sql).
create function private.close_expired_rooms()
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  update public.rooms r set status = 'closed'
  where r.status = 'open' and r.closes_at is not null and r.closes_at <= now();
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.close_expired_rooms() is
  'Closes open rooms whose closes_at has passed; returns how many. Run every minute by pg_cron. Security definer: cron job.';
revoke execute on function private.close_expired_rooms() from public, anon, authenticated, service_role;

-- Locks a room of a session for staff and checks it is open.
create function private.open_room_for_staff(room_id uuid)
returns public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = open_room_for_staff.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  return v_room;
end;
$$;
comment on function private.open_room_for_staff(uuid) is 'Locks and returns an open room for staff; not_authenticated, not_found, forbidden, invalid_transition (closed).';
revoke execute on function private.open_room_for_staff(uuid) from public, anon, authenticated, service_role;

-- join_room and assign_room lock only the room they put the user in, then delete the user's other
-- assignments in the session: two calls for two rooms of one session (a double click, or a member
-- joining while staff assign them) would each lock a different room and both commit. This lock per
-- session and user makes the second call wait for the first and then move the user out of the
-- room the first one chose.
create function private.lock_room_assignment(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('room:' || lock_room_assignment.session_id::text || ':' || lock_room_assignment.user_id::text, 0));
$$;
comment on function private.lock_room_assignment(uuid, uuid) is
  'Serialises the room changes of one user in one session (join_room, assign_room) until commit. Internal.';
revoke execute on function private.lock_room_assignment(uuid, uuid)
  from public, anon, authenticated, service_role;

-- A user who stops being a member leaves the session's breakout rooms (also used by bans).
create function private.leave_rooms(session_id uuid, user_id uuid)
returns void
language sql volatile set search_path = '' as $$
  -- Under join_room's and assign_room's per-session-and-user lock: a join in flight commits first.
  select private.lock_room_assignment(leave_rooms.session_id, leave_rooms.user_id);
  delete from public.room_assignments ra
  using public.rooms r
  where r.id = ra.room_id and r.session_id = leave_rooms.session_id and ra.user_id = leave_rooms.user_id;
$$;
comment on function private.leave_rooms(uuid, uuid) is
  'Removes a user from the breakout rooms of a session (room_updated follows from the assignment triggers), under '
  'private.lock_room_assignment. Internal: callers are security definer triggers.';
revoke execute on function private.leave_rooms(uuid, uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: inserts rooms after the staff check (moderators cannot write rooms directly).
create function public.open_breakout_rooms(
  session_id uuid,
  names text[],
  closes_at timestamptz default null,
  capacity int default null,
  self_select boolean default false
) returns setof public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_end timestamptz;
  v_closes_at timestamptz;
  v_names text[];
begin
  perform private.require_session_access(open_breakout_rooms.session_id, 'staff');
  select s.* into v_session from public.sessions s where s.id = open_breakout_rooms.session_id;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Rooms open only in a scheduled or live session.',
      jsonb_build_object('session_status', v_session.status));
  end if;
  v_end := v_session.starts_at + make_interval(mins => v_session.duration_minutes);
  v_closes_at := coalesce(open_breakout_rooms.closes_at, v_end);
  if v_closes_at <= now() or v_closes_at > v_end then
    perform private.raise_error('invalid_input', 'closes_at must be in the future and no later than the end of the session.',
      jsonb_build_object('field', 'closes_at', 'session_ends_at', v_end));
  end if;
  select array_agg(btrim(n.name) order by n.i) into v_names
  from unnest(open_breakout_rooms.names) with ordinality as n (name, i);
  if coalesce(cardinality(v_names), 0) not between 1 and 50
     or exists (select 1 from unnest(v_names) n where n is null or char_length(n) not between 1 and 100)
     or (select count(distinct lower(n)) from unnest(v_names) n) <> cardinality(v_names) then
    perform private.raise_error('invalid_input', 'names: 1 to 50 distinct names of 1 to 100 characters.', jsonb_build_object('field', 'names'));
  end if;
  if open_breakout_rooms.capacity is not null and open_breakout_rooms.capacity not between 1 and 10000 then
    perform private.raise_error('invalid_input', 'capacity is 1 to 10000 (or null for unlimited).', jsonb_build_object('field', 'capacity'));
  end if;
  return query
  insert into public.rooms (session_id, name, capacity, closes_at, status, self_select)
  select v_session.id, n.name, open_breakout_rooms.capacity, v_closes_at, 'open', coalesce(open_breakout_rooms.self_select, false)
  from unnest(v_names) with ordinality as n (name, i)
  order by n.i
  returning *;
end;
$$;
comment on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean) is
  'Staff open breakout rooms in a scheduled or live session: 1-50 distinct names, closes_at (default: the session''s '
  'end; never later than starts_at + duration, always in the future), capacity (null = unlimited; limits self-selection), '
  'self_select (members may join with join_room). Broadcasts room_updated per room. Returns the rooms.';
revoke execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean)
  from public, anon;
grant execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean)
  to authenticated, service_role;

-- SECURITY DEFINER: moves the user's assignment (one room per user and session) across RLS.
create function public.assign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms := private.open_room_for_staff(assign_room.room_id);
  v_row public.room_assignments;
begin
  -- Members as private.is_session_member counts them: confirmed booking, staff, or joined a public session.
  if not exists (select 1 from public.bookings b
                 where b.session_id = v_room.session_id and b.user_id = assign_room.user_id and b.status = 'confirmed')
     and not exists (select 1 from public.session_staff st
                     where st.session_id = v_room.session_id and st.user_id = assign_room.user_id)
     and not exists (select 1 from public.attendance_intervals a
                     join public.sessions s on s.id = a.session_id
                     where a.session_id = v_room.session_id and a.user_id = assign_room.user_id
                       and s.visibility = 'public') then
    perform private.raise_error('invalid_input', 'Only members of the session can be assigned.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  if private.is_banned(v_room.session_id, assign_room.user_id) then
    perform private.raise_error('banned', 'This user is banned from the session.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  perform private.lock_room_assignment(v_room.session_id, assign_room.user_id);
  delete from public.room_assignments a
  where a.user_id = assign_room.user_id and a.room_id <> v_room.id
    and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id) values (v_room.id, assign_room.user_id)
  on conflict on constraint room_assignments_pkey do update set joined_at = a.joined_at
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.assign_room(uuid, uuid) is
  'Staff assign a member (confirmed booking, staff, or joined a public session; not banned) to an open room, moving '
  'them out of the session''s other rooms. Returns the assignment (the user reads it through RLS).';
revoke execute on function public.assign_room(uuid, uuid) from public, anon;
grant execute on function public.assign_room(uuid, uuid) to authenticated, service_role;

create function public.unassign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = unassign_room.room_id;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  delete from public.room_assignments a where a.room_id = v_room.id and a.user_id = unassign_room.user_id
  returning a.* into v_row;
  if v_row.room_id is null then
    perform private.raise_error('not_found', 'This user is not assigned to the room.', jsonb_build_object('user_id', unassign_room.user_id));
  end if;
  return v_row;
end;
$$;
comment on function public.unassign_room(uuid, uuid) is 'Staff remove a user from a room (not_found when not assigned). Returns the removed assignment.';
revoke execute on function public.unassign_room(uuid, uuid) from public, anon;
grant execute on function public.unassign_room(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads bookings and writes assignments across RLS.
create function public.assign_rooms_randomly(session_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room_ids uuid[];
  v_assigned int;
begin
  perform private.require_session_access(assign_rooms_randomly.session_id, 'staff');
  select array_agg(r.id order by r.created_at, r.name, r.id) into v_room_ids
  from (select r.* from public.rooms r
        where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage
        order by r.id for update) r
  where private.room_is_open(r);
  if v_room_ids is null then
    perform private.raise_error('invalid_input', 'The session has no open breakout room.',
      jsonb_build_object('session_id', assign_rooms_randomly.session_id));
  end if;
  -- Everyone's previous breakout assignment in this session is replaced.
  delete from public.room_assignments a
  where a.room_id in (select r.id from public.rooms r where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage);
  -- Round robin over a random order: room sizes differ by at most one.
  insert into public.room_assignments (room_id, user_id)
  select v_room_ids[1 + (m.i % cardinality(v_room_ids))], m.user_id
  from (select u.user_id, (row_number() over (order by random()) - 1)::int as i
        from (select b.user_id from public.bookings b
              where b.session_id = assign_rooms_randomly.session_id and b.status = 'confirmed'
              union
              select a.user_id from public.attendance_intervals a
              join public.sessions s on s.id = a.session_id
              where a.session_id = assign_rooms_randomly.session_id and s.visibility = 'public') u
        where not exists (select 1 from public.session_staff st
                          where st.session_id = assign_rooms_randomly.session_id and st.user_id = u.user_id)
          and not private.is_banned(assign_rooms_randomly.session_id, u.user_id)) m;
  get diagnostics v_assigned = row_count;
  return jsonb_build_object('session_id', assign_rooms_randomly.session_id, 'assigned', v_assigned,
    'rooms', (select jsonb_agg(jsonb_build_object('room_id', r.id, 'assigned',
                (select count(*) from public.room_assignments a where a.room_id = r.id)) order by r.n)
              from unnest(v_room_ids) with ordinality as r (id, n)));
end;
$$;
comment on function public.assign_rooms_randomly(uuid) is
  'Staff: replaces the breakout assignments with a random, balanced split (sizes differ by at most one) of the '
  'session''s members (confirmed bookings, and users who joined a public session), not banned and not staff, over its open breakout rooms (not the main stage). Capacity is '
  'not applied (it limits self-selection). Returns {session_id, assigned, rooms:[{room_id, assigned}]}.';
revoke execute on function public.assign_rooms_randomly(uuid) from public, anon;
grant execute on function public.assign_rooms_randomly(uuid) to authenticated, service_role;

-- SECURITY DEFINER: members cannot write room_assignments; the room row lock makes the capacity
-- check exact under concurrent joins.
create function public.join_room(room_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = join_room.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'member');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  update public.room_assignments a set joined_at = now()
  where a.room_id = v_room.id and a.user_id = v_uid
  returning a.* into v_row;
  if v_row.room_id is not null then
    return v_row;
  end if;
  if not v_room.self_select then
    perform private.raise_error('forbidden', 'You are not assigned to this room.', jsonb_build_object('room_id', v_room.id));
  end if;
  if v_room.capacity is not null
     and (select count(*) from public.room_assignments a where a.room_id = v_room.id) >= v_room.capacity then
    perform private.raise_error('conflict', 'The room is full.', jsonb_build_object('room_id', v_room.id, 'capacity', v_room.capacity));
  end if;
  perform private.lock_room_assignment(v_room.session_id, v_uid);
  delete from public.room_assignments a
  where a.user_id = v_uid and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id, joined_at) values (v_room.id, v_uid, now())
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.join_room(uuid) is
  'Members (not banned) enter an open room: their assigned room, or any self_select room with capacity left (conflict '
  'when full; moves them out of their other room). Sets joined_at. Errors: not_authenticated, not_found, forbidden, '
  'banned, invalid_transition (closed), conflict (full).';
revoke execute on function public.join_room(uuid) from public, anon;
grant execute on function public.join_room(uuid) to authenticated, service_role;

create function public.close_breakout_rooms(session_id uuid)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  perform private.require_session_access(close_breakout_rooms.session_id, 'staff');
  update public.rooms r set status = 'closed', closes_at = least(coalesce(r.closes_at, now()), now())
  where r.session_id = close_breakout_rooms.session_id and r.status = 'open' and not r.is_main_stage;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.close_breakout_rooms(uuid) is
  'Staff close every open breakout room of the session (not the main stage); returns how many. Broadcasts room_updated.';
revoke execute on function public.close_breakout_rooms(uuid) from public, anon;
grant execute on function public.close_breakout_rooms(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- room_updated for each room whose assignments changed in a statement (one message per room, not
-- per row, e.g. for assign_rooms_randomly).
create function private.broadcast_room_assignments()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_room_id uuid;
begin
  for v_room_id in select distinct c.room_id from changed_assignments c loop
    perform private.broadcast_room(v_room_id);
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_room_assignments() is 'Statement trigger: room_updated for each room whose assignments changed.';
revoke execute on function private.broadcast_room_assignments()
  from public, anon, authenticated, service_role;
create trigger broadcast_room_assignments_insert
  after insert on public.room_assignments
  referencing new table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();
create trigger broadcast_room_assignments_delete
  after delete on public.room_assignments
  referencing old table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();

create function private.broadcast_room_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.broadcast_room(new.id);
  return null;
end;
$$;
comment on function private.broadcast_room_change() is 'Trigger: room_updated when a room is created or changed.';
revoke execute on function private.broadcast_room_change() from public, anon, authenticated, service_role;
create trigger broadcast_room_updated
  after insert or update on public.rooms
  for each row execute function private.broadcast_room_change();

-- Rooms never outlive their session: ending or cancelling it closes them. A new starts_at shifts
-- the closing time of the session's open rooms by the same amount (rooms opened ahead of a
-- session that moves later would otherwise be closed by the minute job before it even started),
-- still no later than the session's end; rooms whose closing time has passed stay closed.
-- SECURITY DEFINER: runs for lifecycle RPCs and writes rooms regardless of the caller.
create function private.close_rooms_with_session()
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
revoke execute on function private.close_rooms_with_session() from public, anon, authenticated, service_role;
create trigger close_rooms_with_session
  after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.close_rooms_with_session();

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
revoke execute on function private.session_bans_free_room_seats()
  from public, anon, authenticated, service_role;
create trigger session_bans_free_room_seats after insert on public.session_bans
  for each row execute function private.session_bans_free_room_seats();

-- =============================================================================================
-- supabase/schemas/54_metrics.sql
-- =============================================================================================

-- Metrics of a live session for its hosts: session_metrics (viewers, chat, Q&A, poll participation)
-- and the per-attendee engagement inputs of the attendance report (32_attendance.sql). Read-only:
-- it reads the tables of attendance, chat, Q&A, polls and surveys, so it comes after them.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Engagement inputs per attendee, for session_attendance_report (security definer, so it reads as
-- the owner). Anonymous polls count neither in poll_answers nor in polls_total: the report shows
-- poll_answers per attendee to the host, and with poll_results that would expose who answered an
-- anonymous poll (and often what).
create function private.engagement_inputs(session_id uuid)
returns table (user_id uuid, messages int, questions int, upvotes int, poll_answers int, polls_total int, survey_done boolean)
language sql stable set search_path = '' as $$
  with attendees as (
    select distinct a.user_id from public.attendance_intervals a where a.session_id = engagement_inputs.session_id),
  m as (
    select c.user_id, count(*)::int as n from public.chat_messages c
    where c.session_id = engagement_inputs.session_id and c.deleted_at is null group by c.user_id),
  q as (
    select x.user_id, count(*)::int as n from public.questions x
    where x.session_id = engagement_inputs.session_id group by x.user_id),
  u as (
    select x.user_id, count(*)::int as n from public.question_upvotes x
    join public.questions q2 on q2.id = x.question_id
    where q2.session_id = engagement_inputs.session_id group by x.user_id),
  p as (
    select b.user_id, count(*)::int as n from public.poll_ballots b
    join public.polls pl on pl.id = b.poll_id
    where pl.session_id = engagement_inputs.session_id and not pl.is_anonymous group by b.user_id),
  pt as (
    select count(*)::int as n from public.polls pl
    where pl.session_id = engagement_inputs.session_id and pl.status <> 'draft' and not pl.is_anonymous),
  s as (
    select distinct r.user_id from public.survey_responses r
    join public.surveys sv on sv.id = r.survey_id
    where sv.session_id = engagement_inputs.session_id)
  select a.user_id, coalesce(m.n, 0), coalesce(q.n, 0), coalesce(u.n, 0), coalesce(p.n, 0), pt.n,
         s.user_id is not null
  from attendees a
  cross join pt
  left join m on m.user_id = a.user_id
  left join q on q.user_id = a.user_id
  left join u on u.user_id = a.user_id
  left join p on p.user_id = a.user_id
  left join s on s.user_id = a.user_id;
$$;
comment on function private.engagement_inputs(uuid) is
  'Per attendee of the session: chat messages (not deleted), questions asked, upvotes given, poll_answers (polls '
  'answered) and polls_total (polls of the session that were opened), both without anonymous polls (their voters are '
  'never exposed, not even to hosts), and survey_done (answered one of its surveys). Feeds session_attendance_report.';
revoke execute on function private.engagement_inputs(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: aggregates chat, questions, polls and attendance of other users for staff.
create function public.session_metrics(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_current int;
  v_peak int;
  v_confirmed int;
  v_basis int;
begin
  if session_metrics.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  perform private.require_session_access(session_metrics.session_id, 'staff');
  v_current := private.viewer_count(session_metrics.session_id);
  v_peak := greatest(coalesce((select v.peak_viewers from public.session_viewer_stats v
                               where v.session_id = session_metrics.session_id), 0), v_current);
  select count(*) into v_confirmed from public.bookings b
  where b.session_id = session_metrics.session_id and b.status = 'confirmed';
  v_basis := case when v_peak > 0 then v_peak else v_confirmed end;
  return jsonb_build_object(
    'session_id', session_metrics.session_id,
    'current_viewers', v_current,
    'peak_viewers', v_peak,
    'confirmed_members', v_confirmed,
    'messages_per_minute', (select round(count(*)::numeric / 5, 2) from public.chat_messages m
                            where m.session_id = session_metrics.session_id and m.created_at > now() - interval '5 minutes'),
    'questions', (select jsonb_build_object(
                    'total', count(*),
                    'pending', count(*) filter (where q.status = 'pending'),
                    'published', count(*) filter (where q.status = 'published'),
                    'answered', count(*) filter (where q.status = 'answered'),
                    'dismissed', count(*) filter (where q.status = 'dismissed'))
                  from public.questions q where q.session_id = session_metrics.session_id),
    'participation_basis', case when v_peak > 0 then 'peak_viewers' else 'confirmed_members' end,
    'polls', coalesce((select jsonb_agg(jsonb_build_object(
                         'poll_id', p.id, 'question', p.question, 'status', p.status, 'voters', t.voters,
                         -- Members may vote without joining: the basis is at least the voters.
                         'participation', case when greatest(v_basis, t.voters) = 0 then null
                                               else round(t.voters::numeric / greatest(v_basis, t.voters), 4) end)
                       order by p.created_at, p.id)
                       from public.polls p
                       cross join lateral (select coalesce(sum(vt.voters), 0)::bigint as voters
                                           from private.poll_voter_tallies vt where vt.poll_id = p.id) t
                       where p.session_id = session_metrics.session_id and p.status <> 'draft'), '[]'::jsonb));
end;
$$;
comment on function public.session_metrics(uuid) is
  'Hosts and moderators: {session_id, current_viewers, peak_viewers, confirmed_members, messages_per_minute (chat messages '
  'of the last 5 minutes / 5, deleted ones included), questions {total, pending, published, answered, dismissed}, '
  'participation_basis, polls [{poll_id, question, status, voters, participation}]}. participation = voters / peak '
  'viewers (the most people who could have voted at once), or / confirmed members while nobody has watched yet, and '
  'never above 1 (members may vote without joining: the basis is at least the voters); null when there is no basis and '
  'no voter. Errors: invalid_input (null session_id), not_authenticated, not_found, forbidden.';
revoke execute on function public.session_metrics(uuid) from public, anon;
grant execute on function public.session_metrics(uuid) to authenticated, service_role;

-- =============================================================================================
-- supabase/schemas/60_direct_messages.sql
-- =============================================================================================

-- Direct messages: 1:1 and group conversations, their members and messages (clients write only
-- through the RPCs), the view my_conversations (title, members, last message, unread count), the
-- `direct_message` broadcast on user:<id> and one `direct_message` notification per conversation
-- until it is read (private.notify honours notification_preferences.in_app).
-- Tables: public.conversations, public.conversation_members, public.direct_messages,
-- private.direct_pairs (one 1:1 conversation per pair of users).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  title text,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_message_at timestamptz,
  constraint conversations_kind_valid check (kind in ('direct', 'group')),
  constraint conversations_title_only_for_groups check (kind = 'group' or title is null),
  constraint conversations_title_length check (title is null or (char_length(title) between 1 and 100 and title = btrim(title)))
);
comment on table public.conversations is
  'A private conversation: direct (exactly two people, at most one per pair) or group (3 to 10 people). Created by '
  'start_conversation(); only its members read it.';
comment on column public.conversations.kind is 'direct (1:1, no title) or group (up to 10 members, optional title).';
comment on column public.conversations.title is 'Group title (1-100 characters, trimmed); always null for direct conversations.';
comment on column public.conversations.created_by is 'Who started it; null once that account is deleted.';
comment on column public.conversations.last_message_at is 'Time of the latest message (set by send_direct_message); null before the first one.';
alter table public.conversations enable row level security;

create table public.conversation_members (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member',
  joined_at timestamptz not null default now(),
  last_read_at timestamptz not null default now(),
  constraint conversation_members_pkey primary key (conversation_id, user_id),
  constraint conversation_members_role_valid check (role in ('owner', 'member'))
);
comment on table public.conversation_members is
  'Who is in a conversation. Written by start_conversation(); a member updates only their own last_read_at '
  '(mark_conversation_read). Members read the members of their conversations.';
comment on column public.conversation_members.role is 'owner (who started the conversation) or member.';
comment on column public.conversation_members.last_read_at is
  'Messages of others created after this instant are unread (my_conversations.unread_count).';
alter table public.conversation_members enable row level security;

create table public.direct_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  constraint direct_messages_body_length check (char_length(body) between 1 and 2000 and body = btrim(body)),
  constraint direct_messages_edited_after_created check (edited_at is null or edited_at >= created_at),
  constraint direct_messages_deleted_after_created check (deleted_at is null or deleted_at >= created_at)
);
comment on table public.direct_messages is
  'A message in a conversation. Posted only through send_direct_message() (members, 20 per user per rolling minute) '
  'and broadcast as `direct_message` on user:<id> of the other members. Members read the non-deleted messages.';
comment on column public.direct_messages.user_id is 'The sender.';
comment on column public.direct_messages.body is 'Message text, stored trimmed, 1-2000 characters.';
comment on column public.direct_messages.created_at is
  'Time of posting (clock time taken after the sender''s lock, so one user''s messages are strictly ordered).';
comment on column public.direct_messages.edited_at is 'When the body was last changed (backend moderation; no client RPC edits yet).';
comment on column public.direct_messages.deleted_at is
  'Soft delete by the backend (service role, moderation): a deleted message is hidden from members and not counted unread.';
alter table public.direct_messages enable row level security;

-- One 1:1 conversation per pair of users, whoever started it: the key is the ordered pair.
-- In private: only start_conversation() reads and writes it.
create table private.direct_pairs (
  user_low uuid not null references auth.users (id) on delete cascade,
  user_high uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  constraint direct_pairs_pkey primary key (user_low, user_high),
  constraint direct_pairs_conversation_unique unique (conversation_id),
  constraint direct_pairs_ordered check (user_low < user_high)
);
comment on table private.direct_pairs is
  'The direct conversation of each pair of users, keyed by (least, greatest) of their ids: the race-safe backstop '
  'that makes start_conversation() return the existing 1:1 conversation.';
alter table private.direct_pairs enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index conversations_created_by_idx on public.conversations (created_by);
-- conversation_members: (conversation_id, user_id) is the primary key; the caller's conversations:
create index conversation_members_user_id_idx on public.conversation_members (user_id, conversation_id);
-- Latest message and unread counts of a conversation.
create index direct_messages_conversation_page_idx on public.direct_messages (conversation_id, created_at desc, id desc);
-- The user_id foreign key and the per-user rate limit window.
create index direct_messages_user_id_created_at_idx on public.direct_messages (user_id, created_at desc);
-- direct_pairs: (user_low, user_high) is the primary key, conversation_id has its unique constraint.
create index direct_pairs_user_high_idx on private.direct_pairs (user_high);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: the policies of conversations, conversation_members and direct_messages call it,
-- and reading conversation_members through its own policy would recurse. PL/pgSQL, not SQL: a SQL
-- function with SET is re-planned on every call (see the membership helpers in 20_sessions.sql).
create function private.my_conversation_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select cm.conversation_id from public.conversation_members cm where cm.user_id = auth.uid();
end;
$$;
comment on function private.my_conversation_ids() is
  'Conversations the calling user is a member of. For policies, in set form: conversation_id in (select private.my_conversation_ids()).';
revoke execute on function private.my_conversation_ids() from public, anon;
grant execute on function private.my_conversation_ids() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.conversations from public, anon, authenticated, service_role;
grant select on table public.conversations to authenticated;
grant all on table public.conversations to service_role;
create policy "members read their conversations"
  on public.conversations for select to authenticated
  using (id in (select private.my_conversation_ids()));

revoke all on table public.conversation_members from public, anon, authenticated, service_role;
grant select on table public.conversation_members to authenticated;
grant all on table public.conversation_members to service_role;
grant update (last_read_at) on table public.conversation_members to authenticated;
create policy "members read the members of their conversations"
  on public.conversation_members for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()));
create policy "members mark their own membership read"
  on public.conversation_members for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

revoke all on table public.direct_messages from public, anon, authenticated, service_role;
grant select on table public.direct_messages to authenticated;
grant all on table public.direct_messages to service_role;
create policy "members read the messages of their conversations"
  on public.direct_messages for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()) and deleted_at is null);

revoke all on table private.direct_pairs from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- Security invoker: every table read goes through the policies above, so a caller sees only their
-- own memberships (the where clause) of conversations they belong to.
create view public.my_conversations with (security_invoker = true) as
select
  c.id,
  c.kind,
  case when c.kind = 'direct' then other.names[1] else coalesce(c.title, array_to_string(other.names, ', ')) end as title,
  coalesce(other.member_count, 0) + 1 as member_count,
  coalesce(other.members, '[]'::jsonb) as other_members,
  last_message.id as last_message_id,
  last_message.body as last_message_body,
  last_message.user_id as last_message_user_id,
  last_message.display_name as last_message_display_name,
  last_message.created_at as last_message_at,
  coalesce(unread.n, 0) as unread_count,
  me.last_read_at,
  me.role as my_role,
  c.created_at
from public.conversation_members me
join public.conversations c on c.id = me.conversation_id
left join lateral (
  select count(*)::int as member_count,
         jsonb_agg(jsonb_build_object('user_id', cm.user_id, 'display_name', p.display_name)
                   order by p.display_name, cm.user_id) as members,
         array_agg(p.display_name order by p.display_name, cm.user_id) as names
  from public.conversation_members cm
  left join public.profiles p on p.id = cm.user_id
  where cm.conversation_id = c.id and cm.user_id <> me.user_id
) other on true
left join lateral (
  select m.id, m.body, m.user_id, p.display_name, m.created_at
  from public.direct_messages m
  left join public.profiles p on p.id = m.user_id
  where m.conversation_id = c.id and m.deleted_at is null
  order by m.created_at desc, m.id desc
  limit 1
) last_message on true
left join lateral (
  select count(*)::int as n
  from public.direct_messages m
  where m.conversation_id = c.id and m.created_at > me.last_read_at
    and m.user_id <> me.user_id and m.deleted_at is null
) unread on true
where me.user_id = (select auth.uid());
comment on view public.my_conversations is
  'The caller''s conversations, one row each: title (a group''s title, else the other members'' names; for direct '
  'the other person''s display name), member_count, other_members [{user_id, display_name}], the last non-deleted '
  'message (last_message_id, _body, _user_id, _display_name, last_message_at), unread_count (others'' messages after '
  'last_read_at), my_role. Order by last_message_at desc nulls last.';
comment on column public.my_conversations.unread_count is
  'Non-deleted messages of other members created after the caller''s last_read_at (mark_conversation_read resets it).';
revoke all on table public.my_conversations from public, anon, authenticated, service_role;
grant select on table public.my_conversations to authenticated;
grant all on table public.my_conversations to service_role;

-- SECURITY DEFINER: clients cannot insert conversations or members, the caller must learn whether the
-- other users exist (auth.users) and whether a 1:1 with them exists (private.direct_pairs).
create function public.start_conversation(user_ids uuid[], title text default null)
returns public.conversations
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_title text := nullif(btrim(start_conversation.title), '');
  v_others uuid[];
  v_missing uuid[];
  v_low uuid;
  v_high uuid;
  v_existing uuid;
  v_row public.conversations;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to start a conversation.',
      jsonb_build_object('function', 'start_conversation'));
  end if;
  if start_conversation.user_ids is null or array_position(start_conversation.user_ids, null) is not null then
    perform private.raise_error('invalid_input', 'Give the ids of the people to talk to.', jsonb_build_object('field', 'user_ids'));
  end if;
  select coalesce(array_agg(distinct u order by u), '{}') into v_others
  from unnest(start_conversation.user_ids) as u where u <> v_uid;
  if cardinality(v_others) = 0 then
    perform private.raise_error('invalid_input', 'A conversation needs at least one other person.',
      jsonb_build_object('field', 'user_ids', 'min', 1));
  end if;
  if cardinality(v_others) > 9 then
    perform private.raise_error('invalid_input', 'A conversation has at most 10 people.',
      jsonb_build_object('field', 'user_ids', 'max', 9, 'given', cardinality(v_others)));
  end if;
  if v_title is not null and char_length(v_title) > 100 then
    perform private.raise_error('invalid_input', 'The title must be at most 100 characters.',
      jsonb_build_object('field', 'title', 'max', 100));
  end if;
  if v_title is not null and cardinality(v_others) = 1 then
    perform private.raise_error('invalid_input', 'A conversation between two people has no title.',
      jsonb_build_object('field', 'title'));
  end if;
  select coalesce(array_agg(u), '{}') into v_missing
  from unnest(v_others) as u where not exists (select 1 from auth.users au where au.id = u);
  if cardinality(v_missing) > 0 then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_ids', to_jsonb(v_missing)));
  end if;

  if cardinality(v_others) = 1 then
    v_low := least(v_uid, v_others[1]);
    v_high := greatest(v_uid, v_others[1]);
    -- Serialise the two people of the pair (not everyone): a concurrent call waits here until the
    -- first commits, then its next statement sees the pair row and returns that conversation.
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('direct_pair:' || v_low::text || ':' || v_high::text, 0));
    select dp.conversation_id into v_existing
    from private.direct_pairs dp where dp.user_low = v_low and dp.user_high = v_high;
    if v_existing is not null then
      select c.* into v_row from public.conversations c where c.id = v_existing;
      return v_row;
    end if;
    insert into public.conversations as c (kind, title, created_by)
    values ('direct', null, v_uid)
    returning c.* into v_row;
    -- The primary key of direct_pairs is the backstop should the lock ever be bypassed.
    insert into private.direct_pairs (user_low, user_high, conversation_id) values (v_low, v_high, v_row.id);
  else
    insert into public.conversations as c (kind, title, created_by)
    values ('group', v_title, v_uid)
    returning c.* into v_row;
  end if;

  insert into public.conversation_members (conversation_id, user_id, role)
  select v_row.id, v_uid, 'owner'
  union all
  select v_row.id, u, 'member' from unnest(v_others) as u;
  return v_row;
end;
$$;
comment on function public.start_conversation(uuid[], text) is
  'Starts a conversation of the caller with 1 to 9 other users and returns it. With exactly one other user it is '
  'direct and the existing 1:1 conversation of the pair is returned when there is one (race-safe); otherwise a new '
  'group (optional title, 1-100 characters) is created each time. The caller is owner, the others members. Errors: '
  'not_authenticated; invalid_input (null ids, no other user, more than 10 people, title on a 1:1, title too long); '
  'not_found (an unknown user id; details.user_ids lists them).';
revoke execute on function public.start_conversation(uuid[], text) from public, anon;
grant execute on function public.start_conversation(uuid[], text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot insert messages nor update conversations, and the rate limit
-- counts the sender's messages in every conversation (including deleted ones, hidden by RLS).
create function public.send_direct_message(conversation_id uuid, body text)
returns public.direct_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  c_limit constant int := 20;
  v_uid uuid := auth.uid();
  v_body text := btrim(send_direct_message.body);
  v_now timestamptz;
  v_count int;
  v_oldest timestamptz;
  v_row public.direct_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to send messages.',
      jsonb_build_object('function', 'send_direct_message'));
  end if;
  -- Non-members get not_found, as for a conversation that does not exist.
  if not exists (select 1 from public.conversation_members cm
                 where cm.conversation_id = send_direct_message.conversation_id and cm.user_id = v_uid) then
    perform private.raise_error('not_found', 'No such conversation.',
      jsonb_build_object('conversation_id', send_direct_message.conversation_id));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 2000 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 2000 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 2000));
  end if;

  -- Serialise this user's sends (in every conversation): a parallel call waits until the previous
  -- one commits, then counts its message below.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('direct_messages:' || v_uid::text, 0));
  v_now := pg_catalog.clock_timestamp();
  select count(*)::int into v_count
  from public.direct_messages m
  where m.user_id = v_uid and m.created_at > v_now - interval '60 seconds';
  if v_count >= c_limit then
    -- Allowed again once enough messages have left the rolling window to fall below the limit.
    select m.created_at into v_oldest
    from public.direct_messages m
    where m.user_id = v_uid and m.created_at > v_now - interval '60 seconds'
    order by m.created_at
    offset v_count - c_limit limit 1;
    perform private.raise_error('rate_limited', 'Too many messages: wait before sending again.',
      jsonb_build_object('limit', c_limit, 'window_seconds', 60),
      greatest(1, ceil(extract(epoch from v_oldest + interval '60 seconds' - v_now))::int));
  end if;

  insert into public.direct_messages as m (conversation_id, user_id, body, created_at)
  values (send_direct_message.conversation_id, v_uid, v_body, v_now)
  returning m.* into v_row;
  update public.conversations c
     set last_message_at = greatest(c.last_message_at, v_now)
   where c.id = v_row.conversation_id;
  return v_row;
end;
$$;
comment on function public.send_direct_message(uuid, text) is
  'Sends a message to a conversation of the caller and returns the stored row; sets conversations.last_message_at, '
  'broadcasts `direct_message` {id, conversation_id, sender_id, sender_display_name, body, created_at} on user:<id> of '
  'every other member and notifies them (kind direct_message, at most one unread per conversation, honouring '
  'notification_preferences.in_app). Errors: not_authenticated; not_found (no such conversation or not a member); '
  'invalid_input (body 1-2000 characters after trimming); rate_limited (429, Retry-After) beyond 20 messages per user '
  'per rolling 60 s across all conversations.';
revoke execute on function public.send_direct_message(uuid, text) from public, anon;
grant execute on function public.send_direct_message(uuid, text) to authenticated, service_role;

-- SECURITY INVOKER: the caller updates their own membership row (column grant + policy) and their own
-- notifications (read_at), both allowed by RLS.
-- last_read_at moves to the created_at of the newest message the caller can see (never backwards),
-- not to the clock: a message's created_at is stamped before its transaction commits, so a message
-- still committing while the recipient marks the conversation read would get a created_at before
-- last_read_at and never count as unread, while its notification stayed unread.
create function public.mark_conversation_read(conversation_id uuid)
returns public.conversation_members
language plpgsql volatile set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_row public.conversation_members;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'mark_conversation_read'));
  end if;
  -- Read up to what the caller can see now (RLS: the conversation's messages that are not deleted).
  update public.conversation_members cm
     set last_read_at = greatest(cm.last_read_at,
                                 (select max(m.created_at) from public.direct_messages m
                                  where m.conversation_id = mark_conversation_read.conversation_id))
   where cm.conversation_id = mark_conversation_read.conversation_id and cm.user_id = v_uid
  returning cm.* into v_row;
  if v_row.conversation_id is null then
    perform private.raise_error('not_found', 'No such conversation.',
      jsonb_build_object('conversation_id', mark_conversation_read.conversation_id));
  end if;
  update public.notifications n
     set read_at = now()
   where n.user_id = v_uid and n.read_at is null and n.kind = 'direct_message'
     and n.data ->> 'conversation_id' = mark_conversation_read.conversation_id::text;
  return v_row;
end;
$$;
comment on function public.mark_conversation_read(uuid) is
  'Marks a conversation read for the caller: last_read_at = the created_at of the newest message they can see (so '
  'my_conversations.unread_count drops to 0, and a message still being sent counts as unread once it arrives) and '
  'their unread direct_message notifications of it read. Returns the caller''s membership row. Errors: '
  'not_authenticated; not_found (no such conversation or not a member).';
revoke execute on function public.mark_conversation_read(uuid) from public, anon;
grant execute on function public.mark_conversation_read(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger direct_messages_clean_body before insert or update of body on public.direct_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();
create trigger conversations_clean_title before insert or update of title on public.conversations
  for each row execute function private.clean_body();

-- SECURITY DEFINER: realtime.send inserts into realtime.messages (no client insert policy for
-- broadcasts), private.notify is backend-only, and the other members' rows and notifications are
-- not the sender's to read. The payload is curated: never the whole row.
create function private.broadcast_new_direct_message()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_name text;
  v_payload jsonb;
  v_member uuid;
begin
  select p.display_name into v_name from public.profiles p where p.id = new.user_id;
  v_payload := jsonb_build_object('id', new.id, 'conversation_id', new.conversation_id, 'sender_id', new.user_id,
                                  'sender_display_name', v_name, 'body', new.body, 'created_at', new.created_at);
  for v_member in
    select cm.user_id from public.conversation_members cm
    where cm.conversation_id = new.conversation_id and cm.user_id <> new.user_id
    order by cm.user_id
  loop
    perform realtime.send(v_payload, 'direct_message', 'user:' || v_member::text, true);
    -- One unread notification per conversation is enough: the next one comes after it is read.
    if not exists (select 1 from public.notifications n
                   where n.user_id = v_member and n.read_at is null and n.kind = 'direct_message'
                     and n.data ->> 'conversation_id' = new.conversation_id::text) then
      perform private.notify(v_member, 'direct_message', 'New message from ' || coalesce(v_name, 'someone'),
        left(new.body, 200), '/messages/' || new.conversation_id::text,
        jsonb_build_object('conversation_id', new.conversation_id, 'message_id', new.id, 'sender_id', new.user_id));
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_new_direct_message() is
  'Trigger: for every member but the sender, broadcasts `direct_message` {id, conversation_id, sender_id, '
  'sender_display_name, body, created_at} on user:<member id>, and creates a direct_message notification (title '
  '"New message from <name>", body the first 200 characters, link /messages/<conversation_id>) unless the member '
  'already has an unread one for this conversation; private.notify skips it when their in_app preference is off.';
revoke execute on function private.broadcast_new_direct_message()
  from public, anon, authenticated, service_role;
create trigger broadcast_new_direct_message after insert on public.direct_messages
  for each row execute function private.broadcast_new_direct_message();

-- The direct_message notification copies the first 200 characters of the message. When moderation
-- (service_role) sets a message's deleted_at, each unread notification that shows it moves on to
-- the next message of the conversation the recipient has not written themselves, or is deleted
-- when there is none; a read one is deleted. When its body changes, the notification shows the
-- new text.
-- Security definer: the notifications belong to the other members of the conversation.
create function private.direct_message_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_notification record;
  v_next record;
begin
  for v_notification in
    select n.id, n.user_id, n.read_at from public.notifications n
    where n.kind = 'direct_message' and n.data ->> 'message_id' = new.id::text
      and n.user_id in (select cm.user_id from public.conversation_members cm where cm.conversation_id = new.conversation_id)
  loop
    if new.deleted_at is null then
      update public.notifications n set body = left(new.body, 200) where n.id = v_notification.id;
      continue;
    end if;
    select m.id, m.user_id, m.body, p.display_name into v_next
    from public.direct_messages m
    left join public.profiles p on p.id = m.user_id
    where m.conversation_id = new.conversation_id and m.deleted_at is null and m.user_id <> v_notification.user_id
      and (m.created_at, m.id) > (new.created_at, new.id)
    order by m.created_at, m.id
    limit 1;
    -- A read notification is not moved (a later message may have its own): it goes.
    if v_next.id is null or v_notification.read_at is not null then
      delete from public.notifications n where n.id = v_notification.id;
    else
      update public.notifications n
         set title = 'New message from ' || coalesce(v_next.display_name, 'someone'),
             body = left(v_next.body, 200),
             data = n.data || jsonb_build_object('message_id', v_next.id, 'sender_id', v_next.user_id)
       where n.id = v_notification.id;
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.direct_message_changed() is
  'Trigger after a direct message is deleted or edited: its unread notifications move on to the next message the '
  'recipient did not write (else, and when read, they are deleted), or show the new text. Internal.';
revoke execute on function private.direct_message_changed() from public, anon, authenticated, service_role;
create trigger direct_message_changed after update of body, deleted_at on public.direct_messages
  for each row
  when (old.deleted_at is distinct from new.deleted_at and new.deleted_at is not null
        or old.body is distinct from new.body and new.deleted_at is null)
  execute function private.direct_message_changed();

-- =============================================================================================
-- supabase/schemas/61_push_subscriptions.sql
-- =============================================================================================

-- Web Push subscriptions: each user's devices (endpoint and keys), own rows only, upserted on the
-- endpoint. Nothing sends pushes yet; the `push` preference is stored in notification_preferences.
-- Tables: public.push_subscriptions.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.push_subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  endpoint text not null,
  p256dh text not null,
  auth text not null,
  user_agent text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  constraint push_subscriptions_endpoint_unique unique (endpoint),
  constraint push_subscriptions_endpoint_https check (endpoint ~ '^https://[^/\s]+/\S*$' and char_length(endpoint) <= 2048),
  constraint push_subscriptions_p256dh_format check (p256dh ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(p256dh) between 16 and 256),
  constraint push_subscriptions_auth_format check (auth ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(auth) between 16 and 64),
  constraint push_subscriptions_user_agent_length check (user_agent is null or char_length(user_agent) <= 512)
);
comment on table public.push_subscriptions is
  'Web Push subscriptions, one per device (browser PushSubscription): own rows only. Upsert with on conflict '
  '(endpoint): it updates the keys of the caller''s own subscription and is refused (42501) for an endpoint of another user.';
comment on column public.push_subscriptions.endpoint is 'Push service URL of the device (https only, unique).';
comment on column public.push_subscriptions.p256dh is 'The subscription''s P-256 public key (base64url), keys.p256dh.';
comment on column public.push_subscriptions.auth is 'The subscription''s authentication secret (base64url), keys.auth.';
comment on column public.push_subscriptions.last_used_at is 'When the backend last delivered a push to it (service role writes it).';
alter table public.push_subscriptions enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- push_subscriptions.endpoint is indexed by its unique constraint.
create index push_subscriptions_user_id_idx on public.push_subscriptions (user_id);

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.push_subscriptions from public, anon, authenticated, service_role;
grant select, delete on table public.push_subscriptions to authenticated;
grant all on table public.push_subscriptions to service_role;
grant insert (user_id, endpoint, p256dh, auth, user_agent) on table public.push_subscriptions to
  authenticated;
grant update (endpoint, p256dh, auth, user_agent) on table public.push_subscriptions to authenticated;
create policy "users read their own push subscriptions"
  on public.push_subscriptions for select to authenticated
  using (user_id = (select auth.uid()));
create policy "users add their own push subscriptions"
  on public.push_subscriptions for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "users update their own push subscriptions"
  on public.push_subscriptions for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users delete their own push subscriptions"
  on public.push_subscriptions for delete to authenticated
  using (user_id = (select auth.uid()));

-- =============================================================================================
-- supabase/schemas/70_live_counters.sql
-- =============================================================================================

-- Live counters catch up: poll_updated (at most every 500 ms per poll, 51_polls.sql) and
-- viewer_count (at most every 2 s per session, 32_attendance.sql) are sent by the transaction that
-- changes them, leading edge only. A change inside the window, or viewers whose heartbeat just
-- stopped (no write happens then), would never be sent. A trailing send per window needs a job
-- every second, which the local pg_cron (1.4) cannot schedule; so a job every minute
-- (90_cron_jobs.sql: flush-live-counts) sends what is out of date, under the same throttles.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.flush_live_counts()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sent int := 0;
  v_row record;
begin
  -- Counts are computed without locks; one short set-based update per kind then takes only the
  -- throttle rows that are out of date and not being written right now (skip locked), so voters
  -- and heartbeats never wait for this job.
  for v_row in
    with due as (
      select p.id as poll_id, p.session_id, private.poll_payload(p.id, true) as payload
      from public.polls p
      join private.poll_broadcast_throttle t on t.poll_id = p.id
      where p.status = 'open' and p.results_visibility = 'live'
        and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
        and (select coalesce(sum(vt.voters), 0) from private.poll_voter_tallies vt where vt.poll_id = p.id)
            is distinct from coalesce(t.last_voters, 0)
    ),
    taken as (
      select t.poll_id from private.poll_broadcast_throttle t
      where t.poll_id in (select d.poll_id from due d)
      for update skip locked
    )
    update private.poll_broadcast_throttle t
       set last_broadcast_at = clock_timestamp(), last_voters = (d.payload ->> 'voters')::bigint
      from due d
     where t.poll_id = d.poll_id and t.poll_id in (select k.poll_id from taken k)
    returning d.session_id, d.payload
  loop
    perform realtime.send(v_row.payload, 'poll_updated', 'session:' || v_row.session_id::text, true);
    v_sent := v_sent + 1;
  end loop;

  -- Live sessions, and scheduled ones in their 15 minutes before the start (joins are open).
  for v_row in
    with due as (
      select v.session_id, private.viewer_count(v.session_id) as viewer_count
      from public.session_viewer_stats v
      join public.sessions s on s.id = v.session_id
      where (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes'))
        and v.last_broadcast_at < now() - interval '2 seconds'
    ),
    taken as (
      select v.session_id from public.session_viewer_stats v
      join due d on d.session_id = v.session_id
      where v.last_broadcast_count is distinct from d.viewer_count
      for update of v skip locked
    )
    update public.session_viewer_stats v
       set last_broadcast_at = now(), last_broadcast_count = d.viewer_count
      from due d
     where v.session_id = d.session_id and v.session_id in (select k.session_id from taken k)
    returning d.session_id, d.viewer_count
  loop
    perform realtime.send(jsonb_build_object('session_id', v_row.session_id, 'viewer_count', v_row.viewer_count),
      'viewer_count', 'session:' || v_row.session_id::text, true);
    v_sent := v_sent + 1;
  end loop;
  return v_sent;
end;
$$;
comment on function private.flush_live_counts() is
  'The flush-live-counts pg_cron job (every minute): sends poll_updated for open live-results polls and viewer_count '
  'for live (or about to start) sessions whose last broadcast is out of date (votes held back by the throttle, '
  'viewers whose heartbeat stopped). Never waits for voters or heartbeats (skip locked). Returns the broadcasts sent.';
revoke execute on function private.flush_live_counts() from public, anon, authenticated, service_role;

-- =============================================================================================
-- supabase/schemas/90_cron_jobs.sql
-- =============================================================================================

-- Scheduled jobs (pg_cron), every minute. Each runs one function, defined with its capability.
-- A job is a row in cron.job, not a schema object: `supabase db diff` does not generate these
-- statements, so a change here goes into a hand-written migration (README, "Changing the
-- database"). pg_cron lives in one database per cluster (the `postgres` database), so this file
-- holds nothing else: `npm test` builds the other schema files in a second database of its cluster
-- and checks this file in `postgres` (scripts/lib.sh, cron_jobs_of_schemas).

-- pg_cron lives in pg_catalog on Supabase (enabled on demand; a no-op where it already exists).
create extension if not exists pg_cron with schema pg_catalog;

-- cron.schedule with a job name replaces the job of that name, so this file can run again.

-- 31_reminders.sql: adds the default reminders of new bookings, then sends the due reminders.
select cron.schedule('session-reminders', '* * * * *', 'select private.send_due_reminders()');

-- 53_rooms.sql: rooms whose closes_at passed are closed (and broadcast) within a minute; reads
-- treat them as closed right away (private.room_is_open).
select cron.schedule('close-expired-breakout-rooms', '* * * * *', 'select private.close_expired_rooms()');

-- 70_live_counters.sql: sends the poll_updated and viewer_count broadcasts a throttle held back.
select cron.schedule('flush-live-counts', '* * * * *', 'select private.flush_live_counts()');
