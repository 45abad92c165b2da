-- The reminder job no longer deadlocks with deleting a session or a user.
--
-- Why: both parts of the session-reminders job (private.send_due_reminders, every minute) locked
-- their rows first (pending bookings, due reminders) and only then, through the foreign-key checks
-- of the rows they insert (session_reminders, notifications), took a KEY SHARE lock on the session
-- and the user those rows point to. Deleting a session or a user goes the other way round: it locks
-- the session or user row, then cascades to the same bookings and reminders. When the two met, each
-- waited for the other: Postgres aborted one of them with 40P01 after deadlock_timeout, either the
-- job run or the delete (a host deleting a session, a user deleting their account).
--
-- Now each part takes its locks in the order the deletes do, in one statement: it locks the
-- session and the user (FOR KEY SHARE, which only a delete or a key change conflicts with) together
-- with the booking or reminder, and skips any whose session or user is locked by such a writer
-- (SKIP LOCKED). A skipped row stays pending: if the writer deletes, the cascade removes it; if not,
-- the next run (a minute later) takes it. Rows another run has claimed are skipped the same way, so
-- each reminder is still added and sent exactly once. The rules deciding what is added and sent are
-- unchanged (same bodies otherwise, as landed in 20261121235000 and 20261121223000).

create or replace function private.add_pending_default_reminders()
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

create or replace function private.send_due_reminder_notifications()
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
