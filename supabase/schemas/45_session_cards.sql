-- The catalogue's card: the view session_cards, one row per session the caller may read (anon too:
-- a public event page lists its upcoming sessions with the host's name and the seats left before
-- anyone signs in), with what the card shows from booking, reminders, attendance and bans. It comes
-- after those capabilities because it reads them: the seat count (30_booking.sql), the viewer
-- count (32_attendance.sql), the caller's ban (private.am_banned, 20_sessions.sql).
--
-- The view is security invoker: it shows only the sessions the sessions policies let the caller
-- read. What a visitor may not read directly (profiles, staff, bookings, reminders) comes through
-- one security definer function, private.session_card, that answers for one session and never more
-- than the card shows. It is executable by anon on purpose (listed in the structural guard of
-- 00_foundation.test.sql).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Everything session_cards adds to a session row, in one call: the view calls one security definer
-- function per row instead of five (each call switches search_path, and each lateral function is a
-- plan node): a live event's attendees read their card every few minutes. The host only for a
-- session the caller may read (a published public session, cancelled ones included, as the anon
-- policy on sessions, or one private.can_see_session allows); the rest answers for the caller alone
-- or is shown on every card (seats, viewers).
--
-- What a card read costs is mostly per statement and per transaction, not per row: parsing, the RLS
-- rewrite and planning of the view, then each table the function's plan opens (a lock and executor
-- startup per table and index, in every new transaction: 10-15 us each). So the function computes
-- the view's derived columns (seats_left, can_join, can_edit), counts the viewers in its own
-- statement (private.viewer_count's rule), reads the caller's booking once for its status and its
-- pending default reminders, and opens as few tables as it can:
--   * the host and their name come from the seat row it reads anyway (session_seats.host_id and
--     host_name, kept by the triggers below): no session_staff host scan, no profiles;
--   * session_bans only when the session has a ban (session_seats.bans > 0), and
--     notification_preferences only when a pending default reminder decides has_reminder: each in
--     its own statement, which a card that does not need it never plans, locks or starts.
create function private.session_card(session_id uuid)
returns table (host_id uuid, host_name text, booked_count int, staff_role text, booking_status text,
               has_reminder boolean, banned boolean, viewer_count int, seats_left int, can_join boolean,
               can_edit boolean)
language plpgsql stable security definer rows 1 set search_path = '' as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  -- private.viewer_count's window: the current 10-second bucket and the 6 before it.
  v_bucket bigint := private.viewer_bucket(now()) - 6;
  v_found boolean;
  v_capacity int;
  v_visibility text;
  v_status text;
  v_starts_at timestamptz;
  v_bans int;
  v_pending boolean;
  v_host_visible boolean;
begin
  -- One query with uuid parameters only: its generic plan is cached (a parameter such as the
  -- session's status would let every custom plan fold branches away, and PL/pgSQL would plan the
  -- statement again on every call).
  select true, s.capacity, s.visibility, s.status, s.starts_at, ss.bans,
         -- the host only for a session the caller may read
         (s.visibility = 'public' and s.status <> 'draft') or private.can_see_session(s.id),
         ss.host_id, ss.host_name,
         ss.confirmed,
         (select st.role from public.session_staff st where st.session_id = s.id and st.user_id = v_uid),
         bk.status,
         v_uid is not null
           and exists (select 1 from public.session_reminders r where r.session_id = s.id and r.user_id = v_uid),
         -- has_reminder also counts the default reminders the active booking is about to get: the
         -- latest booking, active first, is the active one when there is one.
         v_uid is not null and coalesce(bk.status <> 'cancelled' and bk.default_reminders_pending
           and s.status = 'scheduled' and s.starts_at - interval '15 minutes' > bk.created_at, false),
         case when s.status = 'live' then
           (select coalesce(sum(b.viewers), 0)::int from private.session_viewer_buckets b
            where b.session_id = s.id and b.bucket >= v_bucket)
         else 0 end
    into v_found, v_capacity, v_visibility, v_status, v_starts_at, v_bans, v_host_visible, host_id, host_name,
         booked_count,
         staff_role, booking_status, has_reminder, v_pending, viewer_count
  from public.sessions s
  left join private.session_seats ss on ss.session_id = s.id
  left join lateral (
    select b.status, b.default_reminders_pending, b.created_at
    from public.bookings b
    where b.session_id = s.id and b.user_id = v_uid
    order by (b.status = 'cancelled'), b.created_at desc
    limit 1) bk on true
  where s.id = session_card.session_id;
  if v_found is null then
    return;
  end if;
  if not coalesce(v_host_visible, false) then
    host_id := null;
    host_name := null;
  end if;

  if not has_reminder and v_pending then
    has_reminder := not exists (select 1 from public.notification_preferences np
                                where np.user_id = v_uid and np.kind = 'session_reminder'
                                  and not np.default_reminders);
  end if;

  -- Under IF, not in one expression: an expression is planned (and its tables locked) as a whole
  -- even when its AND stops before the sub-select.
  banned := false;
  if v_uid is not null and coalesce(v_bans, 1) > 0 then
    banned := exists (select 1 from public.session_bans sb
                      where sb.session_id = session_card.session_id and sb.user_id = v_uid);
  end if;

  seats_left := case when v_capacity is null then null else greatest(v_capacity - booked_count, 0) end;
  -- join_session's rule: signed in, not banned, and staff, confirmed, or a public session; live, or
  -- from 15 minutes before the start. Always true or false, never null.
  can_join := coalesce(v_uid is not null
    and (staff_role is not null or booking_status = 'confirmed' or v_visibility = 'public')
    and (v_status = 'live' or (v_status = 'scheduled' and now() >= v_starts_at - interval '15 minutes'))
    and not banned, false);
  can_edit := coalesce(staff_role = 'host', false);
  return next;
end;
$$;
comment on function private.session_card(uuid) is
  'What session_cards adds to one session, in one call: the first host and their name (only for a session the caller '
  'may read), confirmed bookings, the caller''s staff role, latest booking status (active first), '
  'whether they have a reminder and are banned (false for anon), the viewer count of a live session (else 0; '
  'private.viewer_count''s rule), seats_left (null = unlimited), can_join (join_session''s rule) and can_edit (host). '
  'Security definer: visitors cannot read staff, profiles, bookings, reminders or bans.';
revoke execute on function private.session_card(uuid) from public;
grant execute on function private.session_card(uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers: the card's public part on the seat row (private.session_seats, 30_booking.sql)
-- ---------------------------------------------------------------------------------------------

-- Staff changes are rare (session creation, add/remove_session_staff). A host row added, removed or
-- changed re-reads the session's first host into its seat row (a new session's seat row is written
-- with its host by sessions_add_seats).
create function private.session_staff_sync_card_host()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_session_id uuid;
begin
  for v_session_id in
    select distinct x.session_id
    from (values ((case when tg_op <> 'INSERT' and old.role = 'host' then old.session_id end)),
                 ((case when tg_op <> 'DELETE' and new.role = 'host' then new.session_id end))) x (session_id)
    where x.session_id is not null
  loop
    update private.session_seats ss
       set host_id = h.user_id, host_name = h.display_name
      from (select 1) one
      left join lateral private.first_host(v_session_id) h on true
     where ss.session_id = v_session_id
       and (ss.host_id, ss.host_name) is distinct from (h.user_id, h.display_name);
  end loop;
  return null;
end;
$$;
comment on function private.session_staff_sync_card_host() is
  'Trigger: keeps session_seats.host_id/host_name (the first host and their name, for session_cards) when a host '
  'staff row is added, removed or changed. Internal.';
revoke execute on function private.session_staff_sync_card_host() from public, anon, authenticated, service_role;
create trigger session_staff_sync_card_host
  after insert or update or delete on public.session_staff
  for each row execute function private.session_staff_sync_card_host();

-- A renamed host: every seat row naming them (session_seats_host_id_idx).
create function private.profiles_sync_card_host_name()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    update private.session_seats ss set host_name = null where ss.host_id = old.id and ss.host_name is not null;
  else
    update private.session_seats ss
       set host_name = new.display_name
     where ss.host_id = new.id and ss.host_name is distinct from new.display_name;
  end if;
  return null;
end;
$$;
comment on function private.profiles_sync_card_host_name() is
  'Trigger: a new, changed or deleted profile''s display_name is copied to session_seats.host_name of the sessions '
  'the user is first host of (null when deleted). Internal.';
revoke execute on function private.profiles_sync_card_host_name() from public, anon, authenticated, service_role;
create trigger profiles_sync_card_host_name
  after insert or update of display_name or delete on public.profiles
  for each row execute function private.profiles_sync_card_host_name();

create index session_seats_host_id_idx on private.session_seats (host_id) where host_id is not null;

-- Bans are rare; counted per session so that a card of a session without bans does not open
-- session_bans. An increment, not a recount: exact when two moderators ban at once.
create function private.session_bans_count_on_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op <> 'INSERT' then
    update private.session_seats ss set bans = ss.bans - 1 where ss.session_id = old.session_id;
  end if;
  if tg_op <> 'DELETE' then
    update private.session_seats ss set bans = ss.bans + 1 where ss.session_id = new.session_id;
  end if;
  return null;
end;
$$;
comment on function private.session_bans_count_on_seats() is
  'Trigger: keeps session_seats.bans equal to the session''s number of session_bans rows. Internal.';
revoke execute on function private.session_bans_count_on_seats() from public, anon, authenticated, service_role;
create trigger session_bans_count_on_seats
  after insert or delete or update of session_id on public.session_bans
  for each row execute function private.session_bans_count_on_seats();

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
  c.host_id,
  c.host_name,
  c.booked_count,
  c.seats_left,
  c.booking_status as my_booking_status,
  c.can_join,
  c.can_edit,
  c.viewer_count,
  c.has_reminder
from public.sessions s
left join lateral private.session_card(s.id) c on true;
comment on view public.session_cards is
  'One row per session the signed-in caller may read, for lists and cards: ends_at, host (first host), booked_count '
  '(confirmed), seats_left (null = unlimited), and for the caller my_booking_status (latest, active first), can_join '
  '(join_session''s rule: signed in, not banned, staff or confirmed or a public session, and live or starting within 15 '
  'minutes), can_edit (host), viewer_count (live sessions: private.viewer_count, else 0) and has_reminder (the caller '
  'has a reminder for it). Filter and paginate with PostgREST.';
revoke all on table public.session_cards from public, anon, authenticated, service_role;
grant select on table public.session_cards to anon, authenticated;
grant all on table public.session_cards to service_role;
