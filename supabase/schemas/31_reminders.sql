-- Reminders and notifications: in-app notifications (private.notify, the `notification` broadcast on
-- user:<id>, per-kind preferences), session reminders (set_reminder, the default reminders of a
-- booking, the reminder job that sends the due ones exactly once).
-- Tables: public.notifications, public.notification_preferences, public.session_reminders.
-- The job runs every minute (90_cron_jobs.sql: session-reminders -> private.send_due_reminders()), and
-- the dispatch-notifications Edge Function runs it first on every call (every 20 s), so a reminder is
-- queued within 20 s of its due time and mailed by that same call (README, "Notification delivery").

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
  'Per user and notification kind: which channels deliver it (in_app, email, push). No row = the kind''s defaults '
  '(notification_kinds; an unregistered kind: in-app only); see the view my_notification_preferences and '
  'set_notification_preference. in_app = false means no notifications row (and no broadcast) is created for that '
  'kind; email and push are queued as notification_deliveries. Own rows only.';
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
  due_at timestamptz not null,
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
comment on column public.session_reminders.due_at is
  'When the reminder is due: the session''s starts_at minus minutes_before. Set by the database (on insert, and for '
  'every reminder of a session whose starts_at changes); what the reminder job probes.';
alter table public.session_reminders enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index notifications_user_id_created_at_idx on public.notifications (user_id, created_at desc);
create index notifications_user_id_unread_idx on public.notifications (user_id) where read_at is null;
create index session_reminders_user_id_idx on public.session_reminders (user_id);
-- The reminder job's probe: pending reminders whose due time has come. It runs 4 times a minute
-- (the cron job and every dispatcher call), so when nothing is due it reads one index page, however
-- many reminders are pending for later (driving from the sessions of the next 7 days instead read all
-- their pending reminders: 25 ms per run with 20,000 of them, against 0.05 ms through this index).
create index session_reminders_due_idx on public.session_reminders (due_at) include (id) where notified_at is null;

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

-- The zone a person reads a session's times in: their profile's, else the session's, else UTC. The
-- one definition for notices and their emails and pushes (private.notification_delivery_context), so
-- an in-app body and the email of the same notice never show one start in two zones. PL/pgSQL: a SQL
-- function with a SET clause is planned on every call. Runs as its caller (security definer backend
-- functions, which read every profile).
create function private.reader_timezone(user_id uuid, session_timezone text default null)
returns text
language plpgsql stable set search_path = '' as $$
begin
  return coalesce((select p.timezone from public.profiles p where p.id = reader_timezone.user_id),
                  reader_timezone.session_timezone, 'UTC');
end;
$$;
comment on function private.reader_timezone(uuid, text) is
  'The IANA zone a user reads a session''s times in: their profile''s time zone, else the session''s (session_timezone), '
  'else UTC. Used by notices (book_slot''s one_to_one_booked, the reminder job, session_rescheduled) and by '
  'private.notification_delivery_context for their emails and pushes. Internal.';
revoke execute on function private.reader_timezone(uuid, text) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: clients cannot insert notifications; every feature notifies through this one
-- function, which also honours the recipient's in_app preference for the kind.
-- The hot path of every booking: the channel lookup is inline (a cached plan), not a call of the
-- SQL function private.notification_channels, whose SET clause keeps it from being inlined, so its
-- query was planned again on every call (~0.1 ms, about as much as the rest of notify).
create function private.notify(user_id uuid, kind text, title text, body text default null,
                               link text default null, data jsonb default '{}'::jsonb)
returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  -- In-app off (the user's row, else the kind's default, else on; 34_notification_delivery.sql): no
  -- row and no broadcast, but the email and push deliveries the user wants are still queued.
  if not coalesce((select coalesce(np.in_app, k.default_in_app)
                   from (select 1) as one
                   left join public.notification_kinds k on k.kind = notify.kind
                   left join public.notification_preferences np
                     on np.user_id = notify.user_id and np.kind = notify.kind), true) then
    perform private.enqueue_notification_deliveries(null, notify.user_id, notify.kind,
      jsonb_build_object('title', left(notify.title, 200), 'body', left(notify.body, 2000), 'link', notify.link,
                         'data', coalesce(notify.data, '{}'::jsonb)));
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
  'Creates an in-app notification (broadcast as `notification` on user:<user_id> by a trigger) unless in-app is off '
  'for that kind (the user''s notification_preferences row, else the kind''s default in notification_kinds); the '
  'email and push deliveries the user''s preferences allow are queued in the same transaction either way '
  '(notification_deliveries). Returns the notification id or null. For backend code: security definer RPCs, '
  'triggers, service_role.';
revoke execute on function private.notify(uuid, text, text, text, text, jsonb)
  from public, anon, authenticated;
grant execute on function private.notify(uuid, text, text, text, text, jsonb) to service_role;

-- The reminder job. Run by the cron job every minute and by the dispatch-notifications Edge Function
-- (service_role) at the start of each call, every 20 s: the dispatcher's schedule alone then bounds
-- how late a reminder is mailed (README, "Notification delivery"). Two runs at once split the work
-- (both parts claim with SKIP LOCKED), so it never sends one reminder twice.
-- Security definer: the dispatcher's service_role locks auth.users rows (FOR KEY SHARE) through it.
create function private.send_due_reminders()
returns int
language plpgsql volatile security definer set search_path = '' as $$
begin
  perform private.add_pending_default_reminders();
  return private.send_due_reminder_notifications();
end;
$$;
comment on function private.send_due_reminders() is
  'The reminder job: adds pending default reminders, then sends the due ones exactly once '
  '(private.send_due_reminder_notifications). Run by the session-reminders pg_cron job every minute and by the '
  'dispatch-notifications Edge Function (service_role) at the start of every call. Returns the number of reminders '
  'sent.';
revoke execute on function private.send_due_reminders() from public, anon, authenticated;
grant execute on function private.send_due_reminders() to service_role;

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
  v_notice_title text;
  v_notice_body text;
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
      -- The probe: an index-only range scan of session_reminders_due_idx, evaluated once (an array),
      -- so the plan starts from the due reminders whatever the number of sessions ahead; with nothing
      -- due the rest never runs. due_at = starts_at - minutes_before and minutes_before is at most
      -- 10080, so a reminder of a session still ahead fell due within the last 7 days: the lower bound
      -- keeps reminders that can never be sent (their session started early, or was cancelled with a
      -- staff member's reminder pending) out of the range. Both conditions are checked again on the
      -- row versions this locks.
      where r.id = any (array(select p.id from public.session_reminders p
                              where p.notified_at is null
                                and p.due_at <= now()
                                and p.due_at > now() - interval '10080 minutes'))
        and r.notified_at is null
        and r.due_at <= now()
        and r.due_at > now() - interval '10080 minutes'
        and s.status = 'scheduled'
        and s.starts_at > now()
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
      returning r.id, r.user_id, r.minutes_before, s.id as session_id, s.title, s.starts_at, s.timezone, s.kind
    )
    select c.*, private.reader_timezone(c.user_id, c.timezone) as reader_tz,
           (select b.status from public.bookings b
            where b.session_id = c.session_id and b.user_id = c.user_id and b.status <> 'cancelled') as booking_status
    from claimed c
  loop
    -- A one-to-one appointment: its own wording in the reader's language (no title, no topic).
    select n.title, n.body into v_notice_title, v_notice_body
    from private.appointment_notice(v_due.user_id, v_due.session_id, 'session_reminder') n where v_due.kind = 'one_to_one';
    perform private.notify(v_due.user_id, 'session_reminder', coalesce(v_notice_title, 'Reminder: ' || v_due.title),
      coalesce(v_notice_body, 'Starts ' || private.format_local_time(v_due.starts_at, v_due.reader_tz) || '.'
        || case when v_due.booking_status = 'waitlisted' then ' You are on the waitlist.' else '' end),
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
  perform private.require_flat_array(mark_notifications_read.notification_ids, 'notification_ids');
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

-- due_at of a new reminder (or one moved to another session or lead time). A reschedule sets it for
-- every reminder of the session (private.sessions_after_change, 30_booking.sql).
create function private.session_reminders_set_due_at()
returns trigger
language plpgsql set search_path = '' as $$
begin
  -- No such session: 'infinity' lets the foreign key report it (23503), not the not-null constraint.
  new.due_at := coalesce((select s.starts_at from public.sessions s where s.id = new.session_id), 'infinity')
                - make_interval(mins => new.minutes_before);
  return new;
end;
$$;
comment on function private.session_reminders_set_due_at() is
  'Trigger before a reminder is inserted (or its session_id or minutes_before change): due_at = the session''s '
  'starts_at - minutes_before. Internal.';
revoke execute on function private.session_reminders_set_due_at() from public, anon, authenticated, service_role;
create trigger session_reminders_set_due_at before insert or update of session_id, minutes_before
  on public.session_reminders
  for each row execute function private.session_reminders_set_due_at();

-- The `notification` broadcast of each new row ({id, kind, title, link} on user:<user_id>) is sent by
-- the trigger notifications_after_insert (34_notification_delivery.sql), which also queues the row's
-- email and push deliveries: one trigger call per notification instead of two.

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
