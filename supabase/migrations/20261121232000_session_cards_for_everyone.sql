-- session_cards for anonymous visitors too: a public event page lists its upcoming sessions with
-- the host's name and the seats left, before anyone signs in (as on Cal.com or Zoom Webinars).
--
-- The view keeps its columns, order and RLS (security invoker: anon still sees only what the
-- sessions policy for anon allows: public, published sessions). What a visitor may not read
-- directly (profiles, staff, bookings, reminders) now comes through three security definer helpers
-- that answer for one session, and never more than the card shows:
--   private.session_host(session_id)      -> host's user id and display name
--   private.session_booked_count(...)     -> confirmed seats (already there; now also for anon)
--   private.my_session_relation(...)      -> the caller's staff role, booking status and reminder
--                                            (nothing for anon)
-- private.viewer_count is granted to anon as well (live sessions show their audience size).
-- can_join now follows join_session exactly (public live sessions are joinable by anyone signed in)
-- and is never null (it was null for non-members of live sessions).
-- These are listed on purpose in the structural guard of 00_foundation.test.sql.

create function private.session_host(session_id uuid)
returns table (user_id uuid, display_name text)
language plpgsql stable security definer set search_path = '' as $$
begin
  -- Only for sessions the caller can read (RLS on sessions decides, as the caller).
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
  'The first host of a session and their display name, for session_cards. Security definer: visitors cannot read '
  'session_staff or profiles; the view only calls it for sessions the caller may read.';
revoke execute on function private.session_host(uuid) from public;
grant execute on function private.session_host(uuid) to anon, authenticated, service_role;

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
              where r.session_id = my_session_relation.session_id and r.user_id = v_uid);
end;
$$;
comment on function private.my_session_relation(uuid) is
  'The caller''s relation to one session: staff role, latest booking status (active first), whether a reminder is '
  'set. Nulls and false for anon. Security definer so session_cards works for visitors without grants on those tables.';
revoke execute on function private.my_session_relation(uuid) from public;
grant execute on function private.my_session_relation(uuid) to anon, authenticated, service_role;

grant execute on function private.session_booked_count(uuid) to anon;
grant execute on function private.viewer_count(uuid) to anon;

create or replace view public.session_cards with (security_invoker = true) as
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
  -- join_session's rule: signed in, and staff, confirmed, or a public session; live, or from 15 minutes
  -- before the start. Always true or false, never null.
  coalesce((select auth.uid()) is not null
    and (me.staff_role is not null or me.booking_status = 'confirmed' or s.visibility = 'public')
    and (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes')), false) as can_join,
  coalesce(me.staff_role = 'host', false) as can_edit,
  case when s.status = 'live' then private.viewer_count(s.id) else 0 end as viewer_count,
  me.has_reminder
from public.sessions s
left join lateral private.session_host(s.id) h on true
cross join lateral (select private.session_booked_count(s.id) as booked_count) c
cross join lateral private.my_session_relation(s.id) me;

grant select on public.session_cards to anon;
