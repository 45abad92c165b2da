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
--     (31_reminders.sql); session_cards.has_reminder already counts them. A booking that can get
--     none (a live session, or one starting within 15 minutes) is not marked.
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
  'Set by book_session when the reminder job can still add a default reminder (24 h and 15 min before: a scheduled '
  'session more than 15 minutes ahead): they are still to be added (within a minute). Cleared when they are added.';
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
  -- Added for session_cards (45_session_cards.sql): the card's public part in the row it already
  -- reads, kept by triggers on session_staff, profiles and session_bans (rare writes).
  host_id uuid,
  host_name text,
  bans int not null default 0,
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
comment on column private.session_seats.host_id is
  'The session''s first host (session_staff role host, earliest created_at, then user_id); null without a host. Kept '
  'by sessions_add_seats and session_staff_sync_card_host (45_session_cards.sql), for session_cards.';
comment on column private.session_seats.host_name is
  'The first host''s profiles.display_name (null without a profile); kept by session_staff_sync_card_host and '
  'profiles_sync_card_host_name (45_session_cards.sql), for session_cards.';
comment on column private.session_seats.bans is
  'Number of session_bans rows of the session (kept by session_bans_count_on_seats, 45_session_cards.sql): a card '
  'reads session_bans only when it is not 0.';
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

-- The caller's own act confirmed their booking (book_session, book_slot): booking_confirmed, whose
-- email carries the session's .ics and link (dispatch-notifications renders it in the recipient's
-- language and zone). Waitlist promotions send booking_promoted instead.
create function private.notify_booking_confirmed(user_id uuid, session_id uuid, booking_id uuid, title text)
returns uuid
language plpgsql volatile set search_path = '' as $$
declare
  v_title text := 'Booking confirmed: ' || notify_booking_confirmed.title;
  v_body text := 'You have a seat.';
begin
  -- No title: a one-to-one appointment (book_slot), in the patient's language with the coach and the time.
  if notify_booking_confirmed.title is null then
    select n.title, n.body into v_title, v_body
    from private.appointment_notice(notify_booking_confirmed.user_id, notify_booking_confirmed.session_id,
                                    'booking_confirmed') n;
  end if;
  return private.notify(notify_booking_confirmed.user_id, 'booking_confirmed', v_title, v_body,
    '/sessions/' || notify_booking_confirmed.session_id::text,
    jsonb_build_object('session_id', notify_booking_confirmed.session_id, 'booking_id', notify_booking_confirmed.booking_id,
                       'status', 'confirmed'));
end;
$$;
comment on function private.notify_booking_confirmed(uuid, uuid, uuid, text) is
  'Notifies a user that their own booking is confirmed (kind booking_confirmed, data {session_id, booking_id, status}): '
  'the in-app row and the email and push deliveries their preferences allow (default: email only). title is the '
  'session''s ("Booking confirmed: <title>", "You have a seat."); null for a one-to-one appointment: its wording '
  '(private.appointment_notice: "Appointment confirmed", the coach and the time, in the patient''s language and zone). '
  'Returns the notification id or null (in-app off). Called by book_session and book_slot. Internal.';
revoke execute on function private.notify_booking_confirmed(uuid, uuid, uuid, text)
  from public, anon, authenticated, service_role;

-- book_session guessed "confirmed" before the seat lock and the claim made it waitlisted: the
-- confirmation queued a moment before in the same transaction is taken back (deleted: nobody saw it).
-- Found through the user's deliveries (a handful), not the session's queued ones (thousands for a
-- big session): this runs while the seat lock is held.
create function private.withdraw_booking_confirmed(user_id uuid, booking_id uuid, notification_id uuid)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  delete from public.notification_deliveries d
   where d.user_id = withdraw_booking_confirmed.user_id and d.kind = 'booking_confirmed' and d.status = 'queued'
     and d.payload #>> '{data,booking_id}' = withdraw_booking_confirmed.booking_id::text;
  if withdraw_booking_confirmed.notification_id is not null then
    delete from public.notifications n where n.id = withdraw_booking_confirmed.notification_id;
  end if;
end;
$$;
comment on function private.withdraw_booking_confirmed(uuid, uuid, uuid) is
  'Takes back the booking_confirmed notification of a booking made in the same transaction (book_session: the seat '
  'claim made the booking waitlisted): deletes its queued deliveries and its in-app row. Internal.';
revoke execute on function private.withdraw_booking_confirmed(uuid, uuid, uuid)
  from public, anon, authenticated, service_role;

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

-- The waitlist of every session is numbered 1..n (renumber_waitlist): this lists those that are not.
create function private.waitlist_position_drift()
returns table (session_id uuid, waitlisted int, positions int[])
language sql stable set search_path = '' rows 1 as $$
  select w.session_id, w.n, w.positions
  from (select b.session_id, count(*)::int as n, array_agg(b.waitlist_position order by b.waitlist_position) as positions
        from public.bookings b
        where b.status = 'waitlisted'
        group by b.session_id) w
  where w.positions is distinct from array(select g from generate_series(1, w.n) g)
$$;
comment on function private.waitlist_position_drift() is
  'Sessions whose waitlisted bookings are not numbered exactly 1..n (gaps, duplicates, nulls), with their positions. '
  'Empty when all is well; for tests and operators (service_role).';
revoke execute on function private.waitlist_position_drift() from public, anon, authenticated;
grant execute on function private.waitlist_position_drift() to service_role;

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
  v_starts_at timestamptz;
  v_pending boolean;
  v_capacity int;
  v_waitlist boolean;
  v_confirmed int;
  v_waitlisted int;
  v_claim text;
  v_position int;
  v_existing public.bookings;
  v_booking public.bookings;
  v_title text;
  v_notification uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if v_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;

  -- 1. Checks, without any lock, with the seat counts read at the same time. Published public and
  --    members sessions are visible to every signed-in user; others need private.can_see_session.
  select s.status, s.visibility, s.starts_at, s.title, ss.capacity, ss.waitlist_enabled, ss.confirmed, ss.waitlisted
    into v_status, v_visibility, v_starts_at, v_title, v_capacity, v_waitlist, v_confirmed, v_waitlisted
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
  -- Marked for the default reminders only when the job could add one (a scheduled session whose
  -- 15-minute lead time is still ahead, as private.add_pending_default_reminders decides): the
  -- bookings of a live event, thousands in its first minutes, leave the job nothing to update.
  v_pending := v_status = 'scheduled' and v_starts_at - interval '15 minutes' > now();
  perform set_config('private.booking_claim', 'on', true);
  if v_capacity is null or v_confirmed < v_capacity or not v_waitlist then
    insert into public.bookings as b (session_id, user_id, status, default_reminders_pending)
    values (v_id, v_uid, 'confirmed', v_pending)
    on conflict (session_id, user_id) where status <> 'cancelled' do nothing
    returning b.* into v_booking;
  else
    insert into public.bookings as b (session_id, user_id, status, waitlist_position, default_reminders_pending)
    values (v_id, v_uid, 'waitlisted', v_waitlisted + 1, v_pending)
    on conflict (session_id, user_id) where status <> 'cancelled' do nothing
    returning b.* into v_booking;
  end if;
  if v_booking.id is null then
    select b.* into v_existing from public.bookings b
    where b.session_id = v_id and b.user_id = v_uid and b.status <> 'cancelled';
    perform private.raise_error('already_booked', 'You already have a booking for this session.',
      jsonb_build_object('booking_id', v_existing.id, 'status', v_existing.status));
  end if;
  -- The booking_confirmed notification (and its email delivery), also before the lock: a booking that
  -- the claim below turns into a waitlisted one withdraws it again (a race: frequent when many book a
  -- nearly full session at once; the withdrawal is a delete through the user's few deliveries).
  if v_booking.status = 'confirmed' then
    v_notification := private.notify_booking_confirmed(v_uid, v_id, v_booking.id, v_title);
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
    perform private.notify_booking_confirmed(v_uid, v_id, v_booking.id, v_title);
  elsif v_claim = 'waitlisted' and (v_booking.status <> 'waitlisted' or v_booking.waitlist_position <> v_position) then
    if v_booking.status = 'confirmed' then
      perform private.withdraw_booking_confirmed(v_uid, v_booking.id, v_notification);
    end if;
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
  'session_full (no seat and no waitlist). The default reminders follow within a minute (default_reminders_pending). '
  'A confirmed booking notifies the caller (booking_confirmed: by default email only, with the session''s .ics); a '
  'waitlisted one does not (a later promotion sends booking_promoted).';
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
  v_staff record;
  v_told uuid[] := '{}';
  v_notice_title text;
  v_notice_body text;
begin
  if new.status = 'cancelled' and old.status <> 'cancelled' then
    for v_booking in
      update public.bookings b
         set status = 'cancelled', waitlist_position = null, cancelled_at = now()
       where b.session_id = new.id and b.status <> 'cancelled'
      returning b.id, b.user_id
    loop
      -- A one-to-one appointment: its own wording in the reader's language (no title, no topic).
      select n.title, n.body into v_notice_title, v_notice_body
      from private.appointment_notice(v_booking.user_id, new.id, 'session_cancelled') n where new.kind = 'one_to_one';
      perform private.notify(v_booking.user_id, 'session_cancelled', coalesce(v_notice_title, 'Cancelled: ' || new.title),
        coalesce(v_notice_body, 'Reason: ' || new.cancel_reason, 'The host cancelled this session.'),
        '/sessions/' || new.id::text,
        jsonb_build_object('session_id', new.id, 'booking_id', v_booking.id));
      v_told := v_told || v_booking.user_id;
    end loop;
    -- Staff learn it too, as they learn a new time (session_rescheduled), except whoever cancelled and
    -- anyone just told as a booker: a co-host or moderator otherwise kept a confirmed event in their
    -- calendar. One-to-one sessions too: this is the one place their coach is told, whoever cancelled
    -- (the patient through cancel_booking, whose booking trigger cancels the session; an admin or
    -- service_role through cancel_session); the coach who cancels is not told.
    for v_staff in
      select st.user_id, st.role from public.session_staff st
      where st.session_id = new.id
        and st.user_id is distinct from (select auth.uid())
        and st.user_id <> all (v_told)
    loop
      -- A one-to-one appointment: its own wording in the reader's language (no title, no topic).
      select n.title, n.body into v_notice_title, v_notice_body
      from private.appointment_notice(v_staff.user_id, new.id, 'session_cancelled') n where new.kind = 'one_to_one';
      perform private.notify(v_staff.user_id, 'session_cancelled', coalesce(v_notice_title, 'Cancelled: ' || new.title),
        coalesce(v_notice_body, 'Reason: ' || new.cancel_reason, 'The host cancelled this session.'),
        '/sessions/' || new.id::text,
        jsonb_build_object('session_id', new.id, 'staff_role', v_staff.role, 'starts_at', new.starts_at));
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
    update public.session_reminders r
       set notified_at = null, due_at = new.starts_at - make_interval(mins => r.minutes_before)
     where r.session_id = new.id;
  end if;
  if (new.capacity is distinct from old.capacity or new.waitlist_enabled is distinct from old.waitlist_enabled)
     and new.status in ('scheduled', 'live') then
    perform private.fill_seats_from_waitlist(new.id);
  end if;
  return null;
end;
$$;
comment on function private.sessions_after_change() is
  'Trigger after a session update: cancelling cancels every active booking and notifies each booked user and each '
  'staff member but the one who cancelled (session_cancelled; one-to-one sessions too, exactly once each); ending or cancelling closes open attendance intervals; a new starts_at re-arms its reminders '
  '(notified_at null, due_at from the new start); a larger capacity promotes waitlisted bookings.';
revoke execute on function private.sessions_after_change() from public, anon, authenticated, service_role;
create trigger sessions_cascade_to_bookings_reminders_attendance
  after update of status, starts_at, capacity, waitlist_enabled on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.capacity is distinct from new.capacity or old.waitlist_enabled is distinct from new.waitlist_enabled)
  execute function private.sessions_after_change();

-- The host a session is shown with, and their display name: the one definition behind every host
-- name (session_seats.host_id/host_name, so session_cards and a session's .ics; the calendar feed; the
-- notification context's host_name, so mails and push; replays). A one-to-one's host is its coach
-- (private.one_to_one_coach: the creator while a host, 33_counselling.sql): a second host added in the
-- booking's transaction has the same created_at and must not win the tie by user id. Any other
-- session: the first host by created_at, then user_id (a tie-breaker, so every reader names the same).
create function private.first_host(session_id uuid)
returns table (user_id uuid, display_name text)
language plpgsql stable security definer rows 1 set search_path = '' as $$
declare
  v_coach uuid := (select private.one_to_one_coach(s.id) from public.sessions s
                   where s.id = first_host.session_id and s.kind = 'one_to_one');
begin
  return query
    select st.user_id, p.display_name
    from public.session_staff st
    left join public.profiles p on p.id = st.user_id
    where st.session_id = first_host.session_id and st.role = 'host'
    order by st.user_id is distinct from v_coach, st.created_at, st.user_id
    limit 1;
end;
$$;
comment on function private.first_host(uuid) is
  'The host a session is shown with and their display name: a one-to-one''s coach (private.one_to_one_coach), else '
  'the first host (earliest created_at, then user_id). The one definition of session_seats.host_id/host_name '
  '(session_cards), calendar_feed_events.host_name, the notification context''s host_name and replays.host_name. '
  'Internal: no visibility check (private.session_card has it).';
revoke execute on function private.first_host(uuid) from public, anon, authenticated, service_role;

-- Security definer (both): sessions are written by hosts through RLS; the seat row is internal.
create function private.sessions_add_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- The creator's host row (sessions_add_creator_as_host) is inserted before this trigger runs
  -- (triggers fire in name order), so the card's host is read here.
  insert into private.session_seats (session_id, status, capacity, waitlist_enabled, host_id, host_name)
  select new.id, new.status, new.capacity, new.waitlist_enabled, h.user_id, h.display_name
  from (select 1) one
  left join lateral private.first_host(new.id) h on true;
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
