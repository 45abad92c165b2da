-- Booking a hot session: seat counts kept per session, a short critical section, and default
-- reminders added by the reminder job instead of inside the booking.
--
-- Why: book_session held the session row lock while it counted the session's confirmed bookings,
-- looked up the highest waitlist position (both read every booking of the session, so the time
-- under the lock grew with the session's size) and inserted the booking with its foreign-key
-- checks; the two default reminder rows were written in the same transaction. Every booking of a
-- hot session queued behind all of that. Now:
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
--     The deferred unique constraint on (session_id, waitlist_position) is dropped: concurrent
--     bookings hold the same guessed position until their claims correct it, and the constraint
--     made them wait for each other (and deadlock). Positions stay unique because they are only
--     assigned under the seat lock (the concurrency test checks 1..150 every round). The three row
--     checks of bookings become one with the same rules (each check is re-read for every write).
--   * The count trigger, the booking_updated broadcast and the updated_at stamp skip the writes
--     book_session makes to its own new booking (setting private.booking_claim): its claim counts
--     it, and the caller gets the booking as the result.
--   * Default reminders (24 h and 15 min before) are no longer written by book_session: the booking
--     is marked default_reminders_pending and the reminder job (private.send_due_reminders, every
--     minute) first turns pending bookings into session_reminders rows, then sends what is due, so a
--     default reminder is never missed. Until then session_cards.has_reminder already counts them.
--   * private.session_booked_count() reads the count instead of counting (session_cards get cheaper).
-- Same signatures, errors and grants for every public function.

-- ---------------------------------------------------------------------------------------------
-- Seat rows
-- ---------------------------------------------------------------------------------------------

create table private.session_seats (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  status text not null,
  capacity int,
  waitlist_enabled boolean not null,
  confirmed int not null default 0,
  waitlisted int not null default 0,
  last_claim text,
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
revoke all on private.session_seats from public, anon, authenticated;
grant select on private.session_seats to service_role;

insert into private.session_seats (session_id, status, capacity, waitlist_enabled, confirmed, waitlisted)
select s.id, s.status, s.capacity, s.waitlist_enabled,
       count(b.id) filter (where b.status = 'confirmed'),
       count(b.id) filter (where b.status = 'waitlisted')
from public.sessions s
left join public.bookings b on b.session_id = s.id
group by s.id;

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
revoke execute on function private.sessions_add_seats() from public, anon, authenticated;

-- BEFORE the update, so the seat row is locked before the AFTER triggers (the cancel cascade and
-- the waitlist promotion of sessions_after_change) read the session's bookings: a booking claimed
-- earlier has committed by then and is cancelled or promoted with the others.
create function private.sessions_sync_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update private.session_seats ss
     set status = new.status, capacity = new.capacity, waitlist_enabled = new.waitlist_enabled
   where ss.session_id = new.id;
  return new;
end;
$$;
comment on function private.sessions_sync_seats() is
  'Trigger: copies status, capacity and waitlist_enabled of a session to its seat row (taking the seat lock). Internal.';
revoke execute on function private.sessions_sync_seats() from public, anon, authenticated;

create trigger sessions_add_seats after insert on public.sessions
  for each row execute function private.sessions_add_seats();
create trigger sessions_sync_seats before update of status, capacity, waitlist_enabled on public.sessions
  for each row
  when (old.status is distinct from new.status or old.capacity is distinct from new.capacity
        or old.waitlist_enabled is distinct from new.waitlist_enabled)
  execute function private.sessions_sync_seats();

-- Security definer: bookings are written by service_role and by security definer RPCs, and the
-- counts must follow every one of them.
create function private.bookings_count_seats()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.status in ('confirmed', 'waitlisted')
     and (tg_op = 'DELETE' or old.status is distinct from new.status or old.session_id is distinct from new.session_id) then
    update private.session_seats ss
       set confirmed = ss.confirmed - (old.status = 'confirmed')::int,
           waitlisted = ss.waitlisted - (old.status = 'waitlisted')::int
     where ss.session_id = old.session_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.status in ('confirmed', 'waitlisted')
     and (tg_op = 'INSERT' or old.status is distinct from new.status or old.session_id is distinct from new.session_id) then
    update private.session_seats ss
       set confirmed = ss.confirmed + (new.status = 'confirmed')::int,
           waitlisted = ss.waitlisted + (new.status = 'waitlisted')::int
     where ss.session_id = new.session_id;
  end if;
  return null;
end;
$$;
comment on function private.bookings_count_seats() is
  'Trigger: keeps the confirmed and waitlisted counts of private.session_seats equal to the bookings. Skipped (by the '
  'trigger''s WHEN) for the booking book_session is writing, which its claim counts. Internal.';
revoke execute on function private.bookings_count_seats() from public, anon, authenticated;

-- private.booking_claim is set to 'on' by book_session only around its own booking's writes (and
-- reset before it returns); clients cannot set settings. The same flag skips, for that new booking's
-- correction, the booking_updated broadcast (the caller gets the booking as the result) and the
-- updated_at stamp (the row was created in this transaction: updated_at is already now()).
create trigger bookings_count_seats after insert or delete or update of status, session_id on public.bookings
  for each row when (current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.bookings_count_seats();

drop trigger bookings_set_updated_at on public.bookings;
create trigger bookings_set_updated_at before update on public.bookings
  for each row when (current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.set_updated_at();

drop trigger broadcast_booking_updated on public.bookings;
create trigger broadcast_booking_updated after update of status, waitlist_position on public.bookings
  for each row
  when ((old.status is distinct from new.status or old.waitlist_position is distinct from new.waitlist_position)
        and current_setting('private.booking_claim', true) is distinct from 'on')
  execute function private.broadcast_booking_updated();

alter table public.bookings drop constraint bookings_waitlist_position_unique;

-- The three row checks of bookings become one (same rules): every check constraint is re-read for
-- every insert and update, and bookings are written on the hot path.
alter table public.bookings
  drop constraint bookings_status_valid,
  drop constraint bookings_waitlist_position_valid,
  drop constraint bookings_cancelled_at_valid,
  add constraint bookings_state_valid check (
    status in ('confirmed', 'waitlisted', 'cancelled')
    and (status = 'waitlisted') = (waitlist_position is not null)
    and (waitlist_position is null or waitlist_position > 0)
    and (status = 'cancelled') = (cancelled_at is not null));
comment on constraint bookings_state_valid on public.bookings is
  'status is confirmed, waitlisted or cancelled; waitlist_position (> 0) exactly when waitlisted; cancelled_at exactly '
  'when cancelled.';

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

create or replace function private.session_booked_count(session_id uuid)
returns integer
language plpgsql stable security definer set search_path = '' as $$
begin
  return (select ss.confirmed from private.session_seats ss where ss.session_id = session_booked_count.session_id);
end;
$$;
comment on function private.session_booked_count(uuid) is
  'Confirmed bookings of a session (private.session_seats), for session_cards and promotions. Security definer: '
  'members cannot read other users'' bookings.';

-- ---------------------------------------------------------------------------------------------
-- Default reminders, added by the reminder job
-- ---------------------------------------------------------------------------------------------

alter table public.bookings add column default_reminders_pending boolean not null default false;
comment on column public.bookings.default_reminders_pending is
  'Set by book_session: the default reminders (24 h and 15 min before) of this booking are still to be added by the '
  'reminder job (within a minute). Cleared when they are added.';
create index bookings_default_reminders_pending_idx on public.bookings (id) where default_reminders_pending;

create function private.add_pending_default_reminders()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_added int;
begin
  -- Rows locked by a transaction in flight (a cancellation, say) are left for the next run.
  with claimed as (
    update public.bookings b
       set default_reminders_pending = false
     where b.id in (select p.id from public.bookings p where p.default_reminders_pending for update skip locked)
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
  'who set notification_preferences.default_reminders = false. Clears the mark. Returns the reminders added. Called by '
  'private.send_due_reminders before it sends.';
revoke execute on function private.add_pending_default_reminders() from public, anon, authenticated;

-- book_session no longer adds default reminders itself.
drop function private.add_default_reminders(uuid, uuid);
comment on table public.session_reminders is
  'A user''s reminder for a session, minutes_before its start. Created by set_reminder() and, for bookings, as the '
  'defaults 1440 and 15 by the reminder job (private.add_pending_default_reminders, unless '
  'notification_preferences.default_reminders is false); the owner deletes it through the table. The pg_cron job '
  'session-reminders turns due ones into session_reminder notifications, once each.';

-- The job keeps its name (the pg_cron command is unchanged); the sending part keeps its body.
alter function private.send_due_reminders() rename to send_due_reminder_notifications;
comment on function private.send_due_reminder_notifications() is
  'Claims due reminders (notified_at) and creates one session_reminder notification each, deciding from the current '
  'session and booking state, exactly once. Called by private.send_due_reminders. Returns the number claimed.';

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
revoke execute on function private.send_due_reminders() from public, anon, authenticated;

-- has_reminder counts the default reminders a booking is about to get.
create or replace function private.my_session_relation(session_id uuid)
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

-- ---------------------------------------------------------------------------------------------
-- book_session
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients cannot write bookings; this is the only way to book.
create or replace function public.book_session(session_id uuid)
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
