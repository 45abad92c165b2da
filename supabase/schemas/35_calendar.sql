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
         -- A one-to-one appointment: "Appointment with <coach>" for the patient, "Appointment with a patient"
         -- for the coach (no patient name in a calendar that may be shared), in the reader's language.
         coalesce(case when s.kind = 'one_to_one'
                       then (select n.title from feed cross join private.appointment_notice(feed.user_id, s.id, 'summary') n) end,
                  s.title),
         s.description,
         s.starts_at,
         s.duration_minutes,
         s.timezone,
         s.status,
         s.sequence,
         s.updated_at,
         (select h.display_name from private.first_host(s.id) h),
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
  'cancelled the user''s booking, drafts and sessions the user is banned from excluded; title is the session''s, for a '
  'one-to-one appointment its wording for the user (private.appointment_notice summary: "Appointment with <coach>" '
  'for the patient, "Appointment with a patient" for the coach, in their language); host_name is the display '
  'name of the session''s host (private.first_host: a one-to-one''s coach, else the first host), link the app path of the session, reminder_minutes the user''s reminders (ascending), '
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
