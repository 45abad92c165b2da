-- When a booking leaves: waitlist promotion never goes to a banned user, follows every way an
-- active booking leaves, and a cancelled booking takes its reminders and its breakout-room seat
-- with it.
--
-- Why:
--   * fill_seats_from_waitlist promoted the first waitlisted booking even when its user had been
--     banned from the session since: the banned user got the seat and a "You have a seat"
--     notification, could not use it (join_session and session_meeting_details refuse them), and the
--     next user in line, who may book, stayed waitlisted.
--   * Only cancel_booking, a host's capacity change and deletes (20261122021000) promoted the waitlist
--     and closed its gaps. An active booking cancelled, demoted or moved to another session by a
--     direct update (service_role: support tools, the dashboard) left its seat empty for the next
--     newcomer to take ahead of the line, and left a gap in the waitlist numbering; book_session
--     gives the next booking waitlisted + 1, so a gap became a duplicate position.
--   * A booking cancelled by its user kept its reminder rows. The reminder job does not send them
--     (a cancelled booking stops its reminders), but the calendar feed still listed the session as
--     a reminded one, STATUS:CONFIRMED with its alarms, so the user's phone rang for a session they
--     had cancelled; session_cards.has_reminder stayed true.
--   * A member whose confirmed booking was cancelled kept their breakout-room assignment: the room
--     counted them against its capacity and answered the next member "the room is full".
--
-- Now:
--   * fill_seats_from_waitlist skips banned users. They keep their place (and their position) in the
--     line; once unbanned they are promoted like anyone else.
--   * The seat-count trigger, which already sees every status or session change of an active booking
--     (except book_session's own writes), promotes and renumbers the session the booking left when it
--     is scheduled or live. cancel_booking relies on it instead of calling the same functions itself.
--     A waitlisted booking moved into a session joins the back of that session's line.
--   * A booking cancelled while its session is still scheduled or live (by its user or service_role)
--     deletes its user's reminders for that session, unless they are staff of it: what the job would
--     not send, the feed and has_reminder no longer show. Booking again adds the default reminders
--     again. A session's own cancellation keeps them (the feed shows the event as cancelled, and
--     the calendar function no longer puts alarms on cancelled events). Reminders already left behind
--     by cancelled bookings are deleted here.
--   * A confirmed booking of a scheduled or live session that is cancelled, demoted or moved removes
--     its user from the session's breakout rooms, unless they are still a member another way (staff,
--     or joined a public session): private.is_session_member's rule. (A cancelled session closes its
--     rooms itself.)
--   * cancel_booking's comment lists the error it already raised for ended sessions.

-- Promotion candidates exclude banned users.
create or replace function private.fill_seats_from_waitlist(session_id uuid)
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
revoke execute on function private.leave_rooms(uuid, uuid) from public, anon, authenticated;

-- The count trigger also frees the seat or the waitlist place of a booking that leaves by an update.
create or replace function private.bookings_count_seats()
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

create or replace function public.cancel_booking(session_id uuid)
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

-- Reminders left behind by bookings cancelled before this migration: the same rule.
delete from public.session_reminders r
using public.sessions s
where s.id = r.session_id
  and s.status in ('scheduled', 'live')
  and exists (select 1 from public.bookings b
              where b.session_id = r.session_id and b.user_id = r.user_id and b.status = 'cancelled')
  and not exists (select 1 from public.bookings b
                  where b.session_id = r.session_id and b.user_id = r.user_id and b.status <> 'cancelled')
  and not exists (select 1 from public.session_staff st where st.session_id = r.session_id and st.user_id = r.user_id);

comment on table public.session_reminders is
  'A user''s reminder for a session, minutes_before its start. Created by set_reminder() and, for bookings, as the '
  'defaults 1440 and 15 by the reminder job (private.add_pending_default_reminders, unless '
  'notification_preferences.default_reminders is false); the owner deletes it through the table, and a booking '
  'cancelled while its session is scheduled or live deletes its user''s reminders for that session (unless staff). '
  'The pg_cron job session-reminders turns due ones into session_reminder notifications, once each.';
