-- Reminders: set_reminder rules, own-rows RLS on session_reminders, the pg_cron job, and
-- private.send_due_reminders (exactly once, current booking/session state, reschedule, DST-aware
-- formatting in the recipient's time zone).
begin;
\ir ../helpers.sql
select plan(60);


select tests.create_supabase_user('host');
select tests.create_supabase_user('ams', metadata => '{"timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('utc');
select tests.create_supabase_user('cancelled');
select tests.create_supabase_user('waiting');
select tests.create_supabase_user('outsider');
select tests.create_supabase_user('muted');
select tests.create_supabase_user('late');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

-- r1 starts in 10 minutes; r2 in 3 days; r3 live; r4 cancelled; r5 private, in 10 minutes.
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('00000000-0000-0000-0000-0000000000b1', 'Soon', now() + interval '10 minutes', 'scheduled', 'public', 3, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000b2', 'Later', now() + interval '3 days', 'scheduled', 'public', null, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000b4', 'Called off', now() + interval '10 minutes', 'cancelled', 'public', null, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000b5', 'Private', now() + interval '10 minutes', 'scheduled', 'private', null, false, tests.get_supabase_uid('host'));
insert into public.sessions (id, title, starts_at, status, visibility, started_at, created_by) values
  ('00000000-0000-0000-0000-0000000000b3', 'Live', now() + interval '10 minutes', 'live', 'public', now(), tests.get_supabase_uid('host'));

-- set_reminder ----------------------------------------------------------------------------------
select tests.authenticate_as('utc');
select results_eq($$ select session_id, user_id, minutes_before, notified_at from public.set_reminder('00000000-0000-0000-0000-0000000000b2') $$,
                  $$ values ('00000000-0000-0000-0000-0000000000b2'::uuid, tests.get_supabase_uid('utc'), 15, null::timestamptz) $$,
                  'set_reminder adds a 15 minute reminder by default');
select is((select minutes_before from public.set_reminder('00000000-0000-0000-0000-0000000000b2', 60)), 60, 'another lead time is another reminder');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 15) $$), 'reminder_exists',
          'the same reminder twice is reminder_exists');
select throws_ok($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 15) $$, 'PGRST', null,
                 'reminder_exists is raised as a PGRST error');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 0) $$), 'invalid_input',
          'minutes_before below 1 is invalid_input');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 10081) $$), 'invalid_input',
          'minutes_before above 7 days is invalid_input');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b1', 60) $$), 'invalid_input',
          'a reminder whose time has passed is invalid_input');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b3', 5) $$), 'invalid_transition',
          'reminders are for scheduled sessions only');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b5', 5) $$), 'not_found',
          'a session the caller cannot see is not_found');
-- Reminders the job would never send are refused: after cancelling a booking, and on a private
-- session the caller sees without a booking or a staff role (an admin).
select tests.authenticate_as('outsider');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000b2')), 'confirmed', 'outsider books b2');
select is((select status from public.cancel_booking('00000000-0000-0000-0000-0000000000b2')), 'cancelled', 'and cancels');
select is(tests.error_details($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 30) $$) ->> 'reason',
          'booking_required', 'after cancelling a booking, set_reminder is forbidden (booking_required)');
select tests.clear_authentication();
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('outsider');
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b5', 5) $$), 'forbidden',
          'an admin who sees a private session without booking it gets no reminder for it');
select tests.clear_authentication();
update public.user_roles set role = 'member' where user_id = tests.get_supabase_uid('outsider');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select public.set_reminder('00000000-0000-0000-0000-0000000000b2', 30) $$), '42501',
          'anon cannot call set_reminder');
select is(tests.error_code($$ select count(*) from public.session_reminders $$), '42501', 'anon cannot read reminders');

-- RLS on session_reminders ------------------------------------------------------------------------
select tests.authenticate_as('outsider');
select is((select count(*)::int from public.session_reminders), 0, 'other users see none of someone''s reminders');
delete from public.session_reminders;
select is(tests.error_code(format($$ insert into public.session_reminders (session_id, user_id) values (%L, %L) $$,
          '00000000-0000-0000-0000-0000000000b2', tests.get_supabase_uid('outsider'))), '42501',
          'reminders are not inserted directly (set_reminder validates)');
select tests.authenticate_as('host');
select is((select count(*)::int from public.session_reminders), 0, 'hosts do not read their attendees'' reminders');
select tests.authenticate_as('utc');
select is(tests.error_code($$ update public.session_reminders set notified_at = now() $$), '42501',
          'users cannot update reminders');
select is((select count(*)::int from public.session_reminders), 2, 'the owner reads their reminders (outsider deleted nothing)');
delete from public.session_reminders where minutes_before = 60;
select is((select array_agg(minutes_before) from public.session_reminders), array[15], 'the owner deletes a reminder through the table');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.session_reminders where user_id = tests.get_supabase_uid('utc')), 1,
          'service_role reads every reminder');
select tests.clear_authentication();
select policies_are('public', 'session_reminders', array['deactivated accounts read nothing', 'users can read their own reminders', 'users can delete their own reminders'],
                    'session_reminders policies');

-- The cron job ---------------------------------------------------------------------------------
select results_eq($$ select schedule, command from cron.job where jobname = 'session-reminders' $$,
                  $$ values ('* * * * *'::text, 'select private.send_due_reminders()'::text) $$,
                  'the session-reminders job runs private.send_due_reminders() every minute, once');

-- send_due_reminders ---------------------------------------------------------------------------------
-- r1 (in 10 minutes): ams and utc confirmed, waiting waitlisted, cancelled has a cancelled booking,
-- outsider has no booking (public session), muted turned session_reminder notifications off.
insert into public.bookings (session_id, user_id, status, waitlist_position, cancelled_at) values
  ('00000000-0000-0000-0000-0000000000b1', tests.get_supabase_uid('ams'), 'confirmed', null, null),
  ('00000000-0000-0000-0000-0000000000b1', tests.get_supabase_uid('utc'), 'confirmed', null, null),
  ('00000000-0000-0000-0000-0000000000b1', tests.get_supabase_uid('muted'), 'confirmed', null, null),
  ('00000000-0000-0000-0000-0000000000b1', tests.get_supabase_uid('waiting'), 'waitlisted', 1, null),
  ('00000000-0000-0000-0000-0000000000b1', tests.get_supabase_uid('cancelled'), 'cancelled', null, now());
select tests.authenticate_as('late');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000b1')), 'waitlisted', 'a late booking (full: waitlisted)');
select tests.clear_authentication();
select is((select count(*)::int from public.session_reminders where user_id = tests.get_supabase_uid('late')), 0,
          'booking 10 minutes before the start adds no default reminder whose time has passed');
insert into public.notification_preferences (user_id, kind, in_app) values (tests.get_supabase_uid('muted'), 'session_reminder', false);
insert into public.session_reminders (session_id, user_id, minutes_before)
select '00000000-0000-0000-0000-0000000000b1', u.id, m.minutes
from (select tests.get_supabase_uid(x) as id from unnest(array['ams', 'utc', 'cancelled', 'waiting', 'outsider', 'muted']) x) u,
     (values (15), (5)) as m (minutes);
-- Due reminders of sessions that are live, cancelled, or private without a booking.
insert into public.session_reminders (session_id, user_id, minutes_before) values
  ('00000000-0000-0000-0000-0000000000b3', tests.get_supabase_uid('utc'), 15),
  ('00000000-0000-0000-0000-0000000000b4', tests.get_supabase_uid('utc'), 15),
  ('00000000-0000-0000-0000-0000000000b5', tests.get_supabase_uid('outsider'), 15);

select is(private.send_due_reminders(), 5, 'the job claims the due reminders it may send (not the 5-minute ones yet)');
select is(private.send_due_reminders(), 0, 'a second run sends nothing: exactly once');
select is((select array_agg(x order by x) from public.notifications n,
           lateral (select case n.user_id when tests.get_supabase_uid('ams') then 'ams' when tests.get_supabase_uid('utc') then 'utc'
                    when tests.get_supabase_uid('waiting') then 'waiting' when tests.get_supabase_uid('outsider') then 'outsider'
                    else n.user_id::text end) as y (x)
           where n.kind = 'session_reminder'),
          array['ams', 'outsider', 'utc', 'waiting'],
          'confirmed, waitlisted and unbooked (public) users are reminded; cancelled bookings and muted users are not');
select is((select count(*)::int from public.session_reminders where notified_at is not null and user_id = tests.get_supabase_uid('muted')), 1,
          'a muted user''s reminder is still claimed once');
select is((select count(*)::int from public.session_reminders where session_id in
             ('00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000b4', '00000000-0000-0000-0000-0000000000b5')
           and notified_at is not null), 0, 'nothing for live, cancelled, or invisible private sessions');
select is((select count(*)::int from public.session_reminders where user_id = tests.get_supabase_uid('cancelled') and notified_at is null), 2,
          'a cancelled booking''s reminders stay pending (they fire if the user books again)');
select is((select body from public.notifications where kind = 'session_reminder' and user_id = tests.get_supabase_uid('ams')),
          'Starts ' || private.format_local_time(now() + interval '10 minutes', 'Europe/Amsterdam') || '.',
          'the body has the start time in the recipient''s profile time zone');
select ok((select body from public.notifications where kind = 'session_reminder' and user_id = tests.get_supabase_uid('utc'))
          like 'Starts % UTC.', 'a UTC user reads UTC');
select ok((select body from public.notifications where kind = 'session_reminder' and user_id = tests.get_supabase_uid('waiting'))
          like '%on the waitlist.', 'a waitlisted user is told they are on the waitlist');
select results_eq($$ select title, link, data ->> 'session_id', (data ->> 'minutes_before')::int from public.notifications
                     where kind = 'session_reminder' and user_id = tests.get_supabase_uid('ams') $$,
                  $$ values ('Reminder: Soon'::text, '/sessions/00000000-0000-0000-0000-0000000000b1'::text,
                             '00000000-0000-0000-0000-0000000000b1'::text, 15) $$, 'title, link and data of a reminder');
select is((select count(*)::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('ams')
           and event = 'notification' and payload ->> 'kind' = 'session_reminder'), 1, 'the reminder is broadcast to its user');

-- A reschedule re-arms the reminders against the current start time.
select tests.authenticate_as('host');
select 1 from public.reschedule_session('00000000-0000-0000-0000-0000000000b1', now() + interval '2 days');
select tests.clear_authentication();
select is((select count(*)::int from public.session_reminders where session_id = '00000000-0000-0000-0000-0000000000b1'
           and notified_at is not null), 0, 'rescheduling resets notified_at of the session''s reminders');
select is(private.send_due_reminders(), 0, 'after moving the start 2 days out nothing is due');
select tests.authenticate_as('host');
select 1 from public.reschedule_session('00000000-0000-0000-0000-0000000000b1', now() + interval '3 minutes');
select tests.clear_authentication();
-- 10: both lead times (15, 5) of the five remindable users; 6: the defaults the move 2 days out added
-- to the bookings made 10 minutes before the start (1440 for ams, utc, muted, waiting and late; 15 for late).
select is(private.send_due_reminders(), 16, 'moved to 3 minutes from now, every lead time now due is claimed');
select is((select count(*)::int from public.notifications where kind = 'session_reminder' and user_id = tests.get_supabase_uid('ams')
           and body = 'Starts ' || private.format_local_time(now() + interval '3 minutes', 'Europe/Amsterdam') || '.'), 3,
          'the new reminders carry the current start time');

-- A move to a later start adds the default reminders a booking could not have when it was made.
insert into public.sessions (id, title, starts_at, status, visibility, created_by) values
  ('00000000-0000-0000-0000-0000000000b6', 'Moved out', now() + interval '2 hours', 'scheduled', 'public', tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000b7', 'Moved out too', now() + interval '10 minutes', 'scheduled', 'public', tests.get_supabase_uid('host'));
select tests.authenticate_as('late');
select 1 from public.book_session('00000000-0000-0000-0000-0000000000b6');
select 1 from public.book_session('00000000-0000-0000-0000-0000000000b7');
select tests.authenticate_as('utc');
select 1 from public.book_session('00000000-0000-0000-0000-0000000000b6');
select tests.clear_authentication();
select private.add_pending_default_reminders();
-- utc drops their 15 minute default on b6.
delete from public.session_reminders where session_id = '00000000-0000-0000-0000-0000000000b6'
  and user_id = tests.get_supabase_uid('utc') and minutes_before = 15;
create function pg_temp.minutes(session_id uuid, label text) returns int[] language sql as $$
  select coalesce(array_agg(r.minutes_before order by r.minutes_before), '{}') from public.session_reminders r
  where r.session_id = minutes.session_id and r.user_id = tests.get_supabase_uid(label) $$;
select is(pg_temp.minutes('00000000-0000-0000-0000-0000000000b6', 'late') || pg_temp.minutes('00000000-0000-0000-0000-0000000000b7', 'late'),
          array[15], 'booked 2 hours ahead: only the 15 minute default; 10 minutes ahead: none');
select tests.authenticate_as('host');
select 1 from public.reschedule_session('00000000-0000-0000-0000-0000000000b6', now() + interval '3 days');
select 1 from public.reschedule_session('00000000-0000-0000-0000-0000000000b7', now() + interval '3 days');
select tests.clear_authentication();
select is(pg_temp.minutes('00000000-0000-0000-0000-0000000000b6', 'late'), array[15, 1440],
          'moved 3 days out, the booking gets the 24 hour default it missed');
select is(pg_temp.minutes('00000000-0000-0000-0000-0000000000b7', 'late'), array[15, 1440], 'and the one that had none gets both');
select is(pg_temp.minutes('00000000-0000-0000-0000-0000000000b6', 'utc'), array[1440],
          'a default the user deleted is not brought back, and one the booking had is not doubled');
select is((select count(*)::int from public.session_reminders r join public.sessions s on s.id = r.session_id
           where r.due_at is distinct from s.starts_at - make_interval(mins => r.minutes_before)), 0,
          'every reminder''s due_at is its session''s start minus its lead time (inserts, defaults, reschedules)');

-- The dispatcher (service_role) runs the job at the start of every call; clients cannot.
insert into public.session_reminders (session_id, user_id, minutes_before)
values ('00000000-0000-0000-0000-0000000000b2', tests.get_supabase_uid('ams'), 5000);
select tests.authenticate_as('ams');
select throws_ok('select private.send_due_reminders()', '42501', null, 'a user cannot run the reminder job');
select tests.authenticate_as_service_role();
select is(private.send_due_reminders(), 1, 'service_role (the dispatcher) runs it: the reminder due now is sent');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where kind = 'session_reminder' and user_id = tests.get_supabase_uid('ams')
           and data ->> 'minutes_before' = '5000'), 1, 'its notification exists');

-- The probe reads only what is due: 20,000 reminders pending for later are not read (index on due_at).
insert into public.session_reminders (session_id, user_id, minutes_before)
select '00000000-0000-0000-0000-0000000000b2', u.id, m
from (select tests.get_supabase_uid(x) as id from unnest(array['ams', 'utc', 'waiting', 'outsider', 'late']) x) u,
     generate_series(1, 4000) m
on conflict on constraint session_reminders_unique do nothing;
analyze public.session_reminders;
create function pg_temp.probe_plan() returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in
    explain (analyze, costs off, timing off, summary off)
    -- the statement of send_due_reminder_notifications's `due`
    select r.id
    from public.session_reminders r
    join public.sessions s on s.id = r.session_id
    join auth.users u on u.id = r.user_id
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
  loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end;
$$;
-- Every scan of session_reminders in the plan reads a few rows (the due ones, and index entries of row
-- versions this transaction replaced), never the 20,000 pending for later.
select ok((select max(m[1]::int) from regexp_matches(pg_temp.probe_plan(), 'on session_reminders_\w+ \(actual rows=(\d+)', 'g') m) < 100
          and pg_temp.probe_plan() ~ 'session_reminders_due_idx'
          and pg_temp.probe_plan() !~ 'Seq Scan on session_reminders|session_reminders_unique|session_reminders_user_id_idx',
          'the job''s probe reads the due reminders through session_reminders_due_idx, not those pending for later: '
          || pg_temp.probe_plan());

-- DST-correct formatting (Europe/Amsterdam: CEST until 25 Oct 2026, CET after; CEST again from 28 Mar 2027).
select is(private.format_local_time('2026-10-24 08:00:00+00', 'Europe/Amsterdam'), 'Sat 24 Oct 2026 10:00 Europe/Amsterdam (CEST)',
          'summer time: 08:00Z is 10:00 in Amsterdam');
select is(private.format_local_time('2026-10-26 09:00:00+00', 'Europe/Amsterdam'), 'Mon 26 Oct 2026 10:00 Europe/Amsterdam (CET)',
          'winter time: 09:00Z is 10:00 in Amsterdam');
select is(private.format_local_time('2027-03-28 01:30:00+00', 'Europe/Amsterdam'), 'Sun 28 Mar 2027 03:30 Europe/Amsterdam (CEST)',
          'right after the spring change 01:30Z is 03:30');
-- Zone names that are also abbreviations (CET, EET, MET, WET) are read as zones: summer time applies.
select is(private.format_local_time('2026-07-15 12:00:00+00', 'CET'), 'Wed 15 Jul 2026 14:00 CET (CEST)', 'CET in summer is UTC+2 (CEST)');
select is(private.format_local_time('2026-07-15 12:00:00+00', 'EET') || ' / ' || private.format_local_time('2026-07-15 12:00:00+00', 'MET')
          || ' / ' || private.format_local_time('2026-07-15 12:00:00+00', 'WET'),
          'Wed 15 Jul 2026 15:00 EET (EEST) / Wed 15 Jul 2026 14:00 MET (MEST) / Wed 15 Jul 2026 13:00 WET (WEST)', 'EET, MET and WET in summer');
select is(private.format_local_time('2026-01-15 12:00:00+00', 'CET'), 'Thu 15 Jan 2026 13:00 CET', 'CET in winter is UTC+1');
select is(private.format_local_time('2026-07-15 12:00:00+00', null), 'Wed 15 Jul 2026 12:00 UTC', 'no zone is UTC');
-- The hour repeated when clocks go back reads differently on each side; numeric abbreviations read as offsets.
select is(private.format_local_time('2026-10-25 00:30:00+00', 'Europe/Amsterdam') || ' / ' || private.format_local_time('2026-10-25 01:30:00+00', 'Europe/Amsterdam'),
          'Sun 25 Oct 2026 02:30 Europe/Amsterdam (CEST) / Sun 25 Oct 2026 02:30 Europe/Amsterdam (CET)', 'the repeated hour names its offset');
select is(private.format_local_time('2026-07-15 12:00:00+00', 'Asia/Dubai'), 'Wed 15 Jul 2026 16:00 Asia/Dubai (UTC+04)',
          'a zone without a letter abbreviation shows its UTC offset');
set local timezone = 'America/New_York';
select is(private.format_local_time('2026-07-15 12:00:00+00', 'Asia/Tokyo') || ' ' || current_setting('TimeZone'),
          'Wed 15 Jul 2026 21:00 Asia/Tokyo (JST) America/New_York', 'the caller''s TimeZone setting is left as it was');

select * from finish();
rollback;
