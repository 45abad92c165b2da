-- Deleting an active booking frees its seat and closes its waitlist gap, as cancel_booking does.
--
-- Why: a user deleting their account cascades to their bookings (bookings.user_id references
-- auth.users on delete cascade). The count trigger uncounted those bookings, but nothing promoted
-- the waitlist into a freed seat, and nothing renumbered the waitlist behind a deleted waitlisted
-- booking. A newcomer then took the seat ahead of the waitlist, and since book_session gives the
-- next booking the position waitlisted + 1 (positions are 1..n), a gap in the numbering became a
-- duplicate position.
--
-- Now a statement trigger on bookings handles every delete of active bookings (the account-deletion
-- cascade, or service_role deleting rows), once per session and in session order: for a session
-- that is still scheduled or live it promotes the waitlist into the freed seats (booking_promoted
-- notification and booking_updated broadcast, as for a cancellation) and renumbers the waitlist
-- 1..n. Sessions being deleted, ended or cancelled are left alone.

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
revoke execute on function private.bookings_after_delete() from public, anon, authenticated;

create trigger bookings_after_delete after delete on public.bookings
  referencing old table as deleted_bookings
  for each statement execute function private.bookings_after_delete();
