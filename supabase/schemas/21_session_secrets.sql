-- Meeting details of a session: the join link and password, kept out of public.sessions so that
-- `select *` on sessions works for every role that may read a session (a column grant that left them
-- out made `supabase.from('sessions').select('*')` fail with permission denied for everyone).
-- Only the session's staff and its confirmed bookings (not banned) read them; hosts write them.
-- Tables: session_secrets.
--
-- The read rule reads bookings (30_booking.sql); the helper is PL/pgSQL, which resolves names when
-- it runs.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.session_secrets (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  meeting_url text,
  meeting_password text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint session_secrets_meeting_url_https check (meeting_url is null or meeting_url ~ '^https://\S+$'),
  constraint session_secrets_meeting_password_length check (meeting_password is null or char_length(meeting_password) between 1 and 200)
);
comment on table public.session_secrets is
  'Meeting details of a session (at most one row per session). Readable by the session''s staff and confirmed bookings '
  'that are not banned; written by its hosts (insert with session_id, then update). session_meeting_details(session_id) '
  'answers the same with API errors.';
comment on column public.session_secrets.meeting_url is 'Join link (https).';
comment on column public.session_secrets.meeting_password is 'Join password, 1-200 characters.';
alter table public.session_secrets enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: reads staff, bookings and bans across RLS. Staff cannot be banned.
create function private.meeting_session_ids()
returns setof uuid
language plpgsql stable security definer rows 10 set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select st.session_id from public.session_staff st where st.user_id = v_uid
    union
    select b.session_id from public.bookings b
    join public.sessions s on s.id = b.session_id
    where b.user_id = v_uid and b.status = 'confirmed' and s.status <> 'draft'
      and not exists (select 1 from public.session_bans sb where sb.session_id = b.session_id and sb.user_id = v_uid);
end;
$$;
comment on function private.meeting_session_ids() is
  'Sessions whose meeting details auth.uid() may read: staff of any role, or a confirmed booking of a published session '
  'without a ban. For the session_secrets policy, in set form. Security definer: reads staff, bookings and bans across RLS.';
revoke execute on function private.meeting_session_ids() from public, anon;
grant execute on function private.meeting_session_ids() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.session_secrets from public, anon, authenticated, service_role;
grant select, delete on table public.session_secrets to authenticated;
grant insert (session_id, meeting_url, meeting_password) on table public.session_secrets to authenticated;
grant update (meeting_url, meeting_password) on table public.session_secrets to authenticated;
grant all on table public.session_secrets to service_role;
create policy "staff and confirmed bookings read the meeting details" on public.session_secrets
  for select to authenticated
  using (session_id in (select private.meeting_session_ids()));
create policy "hosts add the meeting details" on public.session_secrets
  for insert to authenticated
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts update the meeting details" on public.session_secrets
  for update to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])))
  with check (session_id in (select private.staff_session_ids(array['host'])));
create policy "hosts delete the meeting details" on public.session_secrets
  for delete to authenticated
  using (session_id in (select private.staff_session_ids(array['host'])));

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: tells not_found, banned and forbidden apart, which the table's RLS cannot. The
-- meeting URL and password go to staff and confirmed bookings only: a public session's walk-in
-- viewers (who joined without a seat) and banned users get none.
create function public.session_meeting_details(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_session_id uuid;
  v_secret public.session_secrets;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  select s.id into v_session_id from public.sessions s where s.id = session_meeting_details.session_id;
  if v_session_id is null or not private.can_see_session(v_session_id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', session_meeting_details.session_id));
  end if;
  if not private.is_session_staff(v_session_id) then
    if private.is_banned(v_session_id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session_id));
    end if;
    if not exists (select 1 from public.bookings b
                   where b.session_id = v_session_id and b.user_id = v_uid and b.status = 'confirmed') then
      perform private.raise_error('forbidden', 'Only staff and confirmed bookings get the meeting details.',
        jsonb_build_object('session_id', v_session_id));
    end if;
  end if;
  select ss.* into v_secret from public.session_secrets ss where ss.session_id = v_session_id;
  return jsonb_build_object('session_id', v_session_id, 'meeting_url', v_secret.meeting_url,
                            'meeting_password', v_secret.meeting_password);
end;
$$;
comment on function public.session_meeting_details(uuid) is
  'Meeting URL and password of a session (from session_secrets; nulls when none are set), for its staff and confirmed '
  'bookings only (not for walk-in viewers of a public session, waitlisted users or banned users). Errors: '
  'not_authenticated, not_found (session invisible), banned, forbidden.';
revoke execute on function public.session_meeting_details(uuid) from public, anon;
grant execute on function public.session_meeting_details(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger session_secrets_set_updated_at before update on public.session_secrets
  for each row execute function private.set_updated_at();
