-- Booking: book_session (seats, waitlist, refusals), cancel_booking (promotion in waitlist order,
-- renumbering, notification and booking_updated broadcast), rebooking after a cancellation, the
-- cancel_session cascade, capacity increases, and the RLS matrix of bookings.
begin;
\ir ../helpers.sql
select plan(77);

-- The seed's bookings may still be marked for the default reminders when this runs right after a
-- reset, and the session-reminders job (every minute) may be adding them at this moment: its run
-- locks them, and this test's call of the job below would skip them and leave them marked. Unmark
-- them first (waiting for a run in flight), so that the job's counts below are this test's alone.
update public.bookings set default_reminders_pending = false where default_reminders_pending;

select tests.create_supabase_user('host');
select tests.create_supabase_user('moderator');
select tests.create_supabase_user('m1');
select tests.create_supabase_user('m2');
select tests.create_supabase_user('m3');
select tests.create_supabase_user('m4');
select tests.create_supabase_user('m5');
select tests.create_supabase_user('outsider');
select tests.create_supabase_user('banned');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

-- s1: capacity 2 with waitlist; s2: capacity 1 without; s3 draft; s4 ended; s5 cancelled; s6 private.
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('00000000-0000-0000-0000-0000000000a1', 'Waitlisted', now() + interval '3 days', 'scheduled', 'public', 2, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000a2', 'No waitlist', now() + interval '3 days', 'scheduled', 'members', 1, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000a3', 'Draft', now() + interval '3 days', 'draft', 'public', null, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000a5', 'Cancelled', now() + interval '3 days', 'cancelled', 'public', null, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000a6', 'Private', now() + interval '3 days', 'scheduled', 'private', null, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000a7', 'Unlimited', now() + interval '2 hours', 'scheduled', 'public', null, false, tests.get_supabase_uid('host'));
insert into public.sessions (id, title, starts_at, status, visibility, started_at, ended_at, created_by) values
  ('00000000-0000-0000-0000-0000000000a4', 'Ended', now() - interval '3 hours', 'ended', 'public',
   now() - interval '3 hours', now() - interval '2 hours', tests.get_supabase_uid('host'));
insert into public.session_staff (session_id, user_id, role)
values ('00000000-0000-0000-0000-0000000000a1', tests.get_supabase_uid('moderator'), 'moderator');
-- 'banned' is banned from the unlimited session a7.
insert into public.session_bans (session_id, user_id, banned_by)
values ('00000000-0000-0000-0000-0000000000a7', tests.get_supabase_uid('banned'), tests.get_supabase_uid('host'));

-- m2 opts out of the default reminders.
insert into public.notification_preferences (user_id, kind, default_reminders)
values (tests.get_supabase_uid('m2'), 'session_reminder', false);

-- The seed's own bookings (counselling appointments booked through book_slot) may still wait for the
-- reminder job when this file runs: let the job take them first, so its counts below are this file's.
do $$ begin perform private.add_pending_default_reminders(); end $$;

-- book_session: seats, then waitlist ----------------------------------------------------------
select tests.authenticate_as('m1');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000a1')), 'confirmed',
          'the first booking is confirmed');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a1') $$), 'already_booked',
          'a second booking by the same user is already_booked');
select tests.authenticate_as('m2');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000a1')), 'confirmed',
          'the second booking takes the last seat');
select tests.authenticate_as('m3');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000a1') $$,
                  $$ values ('waitlisted'::text, 1) $$, 'a full session with a waitlist waitlists at position 1');
select tests.authenticate_as('m4');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000a1') $$,
                  $$ values ('waitlisted'::text, 2) $$, 'the next one gets position 2');
select tests.authenticate_as('m5');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000a1') $$,
                  $$ values ('waitlisted'::text, 3) $$, 'and position 3');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a1') $$), 'already_booked',
          'a waitlisted user booking again is already_booked');

select tests.clear_authentication();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1' and status = 'confirmed'), 2,
          'never more confirmed bookings than capacity');

-- Refusals ------------------------------------------------------------------------------------
select tests.authenticate_as('m1');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000a2')), 'confirmed', 'capacity 1: first is confirmed');
select tests.authenticate_as('m2');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a2') $$), 'session_full',
          'a full session without waitlist answers session_full');
select throws_ok($$ select public.book_session('00000000-0000-0000-0000-0000000000a2') $$, 'PGRST', null,
                 'session_full is raised as a PGRST error');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a3') $$), 'not_found',
          'a draft is invisible to members: not_found');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a4') $$), 'invalid_transition',
          'an ended session cannot be booked');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a5') $$), 'invalid_transition',
          'a cancelled session cannot be booked');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000ff') $$), 'not_found',
          'an unknown session is not_found');
select is(tests.error_code($$ select public.book_session(null) $$), 'invalid_input', 'a null session id is invalid_input');
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a6') $$), 'not_found',
          'a private session is invisible to outsiders: not_found');
select tests.authenticate_as('host');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a3') $$), 'invalid_transition',
          'the host sees the draft but cannot book it');
select tests.authenticate_as('banned');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a7') $$), 'forbidden',
          'a banned user cannot book');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a7') $$), '42501',
          'anon cannot call book_session');
select is(tests.error_code($$ select public.cancel_booking('00000000-0000-0000-0000-0000000000a7') $$), '42501',
          'anon cannot call cancel_booking');
select tests.authenticate_as('outsider');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000a7')), 'confirmed',
          'capacity null is unlimited');

-- Default reminders -----------------------------------------------------------------------------
-- book_session marks them pending; the reminder job adds them (private.add_pending_default_reminders,
-- run by send_due_reminders every minute). has_reminder counts them already.
select tests.authenticate_as('m1');
select is((select has_reminder from public.session_cards where id = '00000000-0000-0000-0000-0000000000a1'), true,
          'has_reminder is true right after booking (default reminders pending)');
select tests.authenticate_as('m2');
select is((select has_reminder from public.session_cards where id = '00000000-0000-0000-0000-0000000000a1'), false,
          'has_reminder stays false for a user who opted out of default reminders');
select tests.clear_authentication();
select is((select count(*)::int from public.session_reminders where session_id::text like '00000000-0000-0000-0000-0000000000a_'), 0,
          'book_session itself writes no reminder rows');
select is((select bool_and(default_reminders_pending) from public.bookings
           where session_id::text like '00000000-0000-0000-0000-0000000000a_'), true, 'every new booking is marked pending');
select is(private.add_pending_default_reminders(), 11,
          'the job adds 2 reminders for each of 5 bookings in 3 days (not m2''s) and 1 for the one in 2 hours');
select is((select count(*)::int from public.bookings where default_reminders_pending), 0, 'and clears the marks');
select is(private.add_pending_default_reminders(), 0, 'a second run adds nothing');
select is((select array_agg(minutes_before order by minutes_before) from public.session_reminders
           where user_id = tests.get_supabase_uid('m1') and session_id = '00000000-0000-0000-0000-0000000000a1'),
          array[15, 1440], 'a booking adds the default reminders 24 h and 15 min before');
select is((select count(*)::int from public.session_reminders where user_id = tests.get_supabase_uid('m2')), 0,
          'no default reminders for a user who opted out');
select is((select array_agg(minutes_before) from public.session_reminders
           where user_id = tests.get_supabase_uid('outsider') and session_id = '00000000-0000-0000-0000-0000000000a7'),
          array[15], 'only default reminders still ahead are added (session in 2 hours: no 24 h reminder)');

-- A booking that can get no default reminder is not marked: the job has nothing to do for a live event's bookings.
select tests.create_supabase_user('late');
insert into public.sessions (id, title, starts_at, started_at, status, visibility, created_by) values
  ('00000000-0000-0000-0000-0000000000b1', 'Live now', now() - interval '5 minutes', now() - interval '5 minutes', 'live', 'public',
   tests.get_supabase_uid('host'));
insert into public.sessions (id, title, starts_at, status, visibility, created_by) values
  ('00000000-0000-0000-0000-0000000000b2', 'In 10 minutes', now() + interval '10 minutes', 'scheduled', 'public',
   tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000b3', 'In 20 minutes', now() + interval '20 minutes', 'scheduled', 'public',
   tests.get_supabase_uid('host'));
select tests.authenticate_as('late');
select public.book_session(s) from unnest(array['00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000b2',
                                                '00000000-0000-0000-0000-0000000000b3']::uuid[]) s;
select tests.clear_authentication();
select results_eq($$ select session_id::text, default_reminders_pending from public.bookings
                     where user_id = tests.get_supabase_uid('late') order by session_id $$,
                  $$ values ('00000000-0000-0000-0000-0000000000b1', false), ('00000000-0000-0000-0000-0000000000b2', false),
                            ('00000000-0000-0000-0000-0000000000b3', true) $$,
                  'only a booking that can still get a default reminder is marked (not a live session, not one within 15 minutes)');
select is(private.add_pending_default_reminders(), 1, 'the job adds the 15-minute reminder of the session in 20 minutes');
select is((select array_agg(session_id::text || ' ' || minutes_before) from public.session_reminders
           where user_id = tests.get_supabase_uid('late')),
          array['00000000-0000-0000-0000-0000000000b3 15'], 'and nothing for the live session or the one within 15 minutes');

-- RLS matrix on bookings ------------------------------------------------------------------------
select tests.authenticate_as('m1');
select is((select count(*)::int from public.bookings), 2, 'a member sees only their own bookings');
select is((select count(*)::int from public.bookings where user_id <> tests.get_supabase_uid('m1')), 0,
          'a member sees no other user''s booking');
select tests.authenticate_as('host');
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1'), 5,
          'a host sees every booking of their session');
select tests.authenticate_as('moderator');
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1'), 5,
          'a moderator sees every booking of their session');
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a2'), 0,
          'a moderator sees nothing of sessions they do not staff');
select tests.authenticate_as('outsider');
select is((select count(*)::int from public.bookings where user_id <> tests.get_supabase_uid('outsider')), 0,
          'an outsider sees no one else''s bookings');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select count(*) from public.bookings $$), '42501', 'anon cannot read bookings');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1'), 5,
          'service_role reads every booking');
select tests.authenticate_as('m1');
select is(tests.error_code(format($$ insert into public.bookings (session_id, user_id) values (%L, %L) $$,
          '00000000-0000-0000-0000-0000000000a6', tests.get_supabase_uid('m1'))), '42501',
          'members cannot insert bookings directly');
select is(tests.error_code($$ update public.bookings set status = 'confirmed' where waitlist_position is not null $$), '42501',
          'members cannot update bookings directly');
select is(tests.error_code($$ delete from public.bookings $$), '42501', 'members cannot delete bookings directly');
select tests.authenticate_as('host');
select is(tests.error_code($$ update public.bookings set status = 'confirmed' where waitlist_position = 1 $$), '42501',
          'hosts cannot promote bookings by hand either');

-- cancel_booking: promotion in waitlist order ----------------------------------------------------
select tests.authenticate_as('m1');
select is((select status from public.cancel_booking('00000000-0000-0000-0000-0000000000a1')), 'cancelled',
          'cancel_booking returns the cancelled booking');
select tests.clear_authentication();
select results_eq(
  $$ select u.id, b.status, b.waitlist_position from public.bookings b
     join (values (tests.get_supabase_uid('m2'), 1), (tests.get_supabase_uid('m3'), 2),
                  (tests.get_supabase_uid('m4'), 3), (tests.get_supabase_uid('m5'), 4)) as u (id, ord) on u.id = b.user_id
     where b.session_id = '00000000-0000-0000-0000-0000000000a1' and b.status <> 'cancelled' order by u.ord $$,
  $$ values (tests.get_supabase_uid('m2'), 'confirmed'::text, null::int), (tests.get_supabase_uid('m3'), 'confirmed', null),
            (tests.get_supabase_uid('m4'), 'waitlisted', 1), (tests.get_supabase_uid('m5'), 'waitlisted', 2) $$,
  'the first waitlisted booking is promoted and the waitlist renumbered 1..n');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('m3')
           and kind = 'booking_promoted' and data ->> 'session_id' = '00000000-0000-0000-0000-0000000000a1'), 1,
          'the promoted user gets a booking_promoted notification');
select is((select count(*)::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('m3')
           and event = 'booking_updated' and private and payload ->> 'status' = 'confirmed'
           and payload ->> 'session_id' = '00000000-0000-0000-0000-0000000000a1'), 1,
          'the promoted user gets a private booking_updated broadcast');
select is((select array_agg(k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.topic = 'user:' || tests.get_supabase_uid('m3') and m.event = 'booking_updated'),
          array['id', 'session_id', 'status', 'waitlist_position'], 'booking_updated carries a curated payload');
select is((select (payload ->> 'waitlist_position')::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('m5')
           and event = 'booking_updated' order by inserted_at desc, id limit 1), 2,
          'a user moving up the waitlist is told their new position');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('m4')), 0,
          'only the promoted user is notified');

-- A waitlisted user cancelling just leaves the waitlist.
select tests.authenticate_as('m4');
select is((select waitlist_position from public.cancel_booking('00000000-0000-0000-0000-0000000000a1')), null,
          'a waitlisted user cancels');
select tests.clear_authentication();
select results_eq($$ select status, waitlist_position from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1'
                     and user_id = tests.get_supabase_uid('m5') and status <> 'cancelled' $$,
                  $$ values ('waitlisted'::text, 1) $$, 'the rest of the waitlist moves up');
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1' and status = 'confirmed'), 2,
          'leaving the waitlist frees no seat and promotes no one');

select tests.authenticate_as('m4');
select is(tests.error_code($$ select public.cancel_booking('00000000-0000-0000-0000-0000000000a1') $$), 'not_found',
          'cancelling without an active booking is not_found');
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.cancel_booking('00000000-0000-0000-0000-0000000000a6') $$), 'not_found',
          'cancelling a booking of an invisible session is not_found');

-- Rebooking after a cancellation creates a new row and keeps the history.
select tests.authenticate_as('m1');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000a1') $$,
                  $$ values ('waitlisted'::text, 2) $$, 'a cancelled booking can book again (back of the waitlist)');
select results_eq($$ select status from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1' order by created_at, status $$,
                  $$ values ('cancelled'::text), ('waitlisted') $$, 'the cancelled booking stays as history');

-- A larger capacity promotes from the waitlist.
select tests.authenticate_as('host');
update public.sessions set capacity = 3 where id = '00000000-0000-0000-0000-0000000000a1';
select tests.clear_authentication();
select results_eq($$ select u, b.status, b.waitlist_position from public.bookings b,
                     lateral (select case b.user_id when tests.get_supabase_uid('m5') then 'm5' when tests.get_supabase_uid('m1') then 'm1' end) as x (u)
                     where b.session_id = '00000000-0000-0000-0000-0000000000a1' and b.status <> 'cancelled' and x.u is not null order by u $$,
                  $$ values ('m1', 'waitlisted'::text, 1), ('m5', 'confirmed', null::int) $$,
                  'raising the capacity promotes the head of the waitlist and renumbers');

-- cancel_session cascade ----------------------------------------------------------------------
select tests.authenticate_as('host');
select is((select status from public.cancel_session('00000000-0000-0000-0000-0000000000a1', 'Coach is ill')), 'cancelled',
          'the host cancels the session');
select tests.clear_authentication();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1' and status <> 'cancelled'), 0,
          'cancelling the session cancels every active booking');
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000a1'
           and status = 'cancelled' and cancelled_at is not null and waitlist_position is null), 6,
          'cancelled bookings have cancelled_at and no position');
select is((select array_agg(n.user_id order by n.user_id) from public.notifications n
           where n.kind = 'session_cancelled' and n.data ->> 'session_id' = '00000000-0000-0000-0000-0000000000a1'
             and n.data ? 'booking_id'),
          (select array_agg(u order by u) from unnest(array[tests.get_supabase_uid('m1'), tests.get_supabase_uid('m2'),
            tests.get_supabase_uid('m3'), tests.get_supabase_uid('m5')]) u),
          'each booked user (confirmed or waitlisted) gets a session_cancelled notification');
select results_eq($$ select n.user_id, n.body, n.data ->> 'staff_role' from public.notifications n
                     where n.kind = 'session_cancelled' and n.data ->> 'session_id' = '00000000-0000-0000-0000-0000000000a1'
                       and not n.data ? 'booking_id' $$,
                  $$ values (tests.get_supabase_uid('moderator'), 'Reason: Coach is ill'::text, 'moderator'::text) $$,
                  'staff are told too (the moderator, with the reason), not the host who cancelled');
select is((select body from public.notifications where kind = 'session_cancelled' and user_id = tests.get_supabase_uid('m1')),
          'Reason: Coach is ill', 'the notification carries the reason');
select is((select count(*)::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('m2')
           and event = 'booking_updated' and payload ->> 'status' = 'cancelled'), 1,
          'booked users get a booking_updated broadcast for the cancellation');
select tests.authenticate_as('m2');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000a1') $$), 'invalid_transition',
          'a cancelled session cannot be booked any more');

-- session_cards gains viewer_count and has_reminder at the end --------------------------------------
select tests.clear_authentication();
select is((select array_agg(attname::text order by attnum) from pg_attribute
           where attrelid = 'public.session_cards'::regclass and attnum > 0 and not attisdropped),
          array['id', 'title', 'description', 'topic', 'phase', 'starts_at', 'ends_at', 'duration_minutes', 'timezone',
                'status', 'visibility', 'capacity', 'waitlist_enabled', 'price_cents', 'currency', 'thumbnail_url',
                'program_id', 'event_id', 'host_id', 'host_name', 'booked_count', 'seats_left', 'my_booking_status',
                'can_join', 'can_edit', 'viewer_count', 'has_reminder'],
          'session_cards keeps its columns and adds viewer_count and has_reminder at the end');
select tests.authenticate_as('outsider');
select results_eq($$ select my_booking_status, has_reminder, viewer_count from public.session_cards
                     where id = '00000000-0000-0000-0000-0000000000a7' $$,
                  $$ values ('confirmed'::text, true, 0) $$, 'session_cards shows the caller''s booking and reminder');
select tests.authenticate_as('m1');
select results_eq($$ select booked_count, has_reminder from public.session_cards where id = '00000000-0000-0000-0000-0000000000a7' $$,
                  $$ values (1, false) $$, 'has_reminder is per caller');

-- Structure ---------------------------------------------------------------------------------------
-- private.can_see_session is the single-session form of the catalogue's private.visible_session_ids().
create function pg_temp.visibility_matches() returns boolean language plpgsql as $$
declare
  v_who text;
begin
  foreach v_who in array array['host', 'moderator', 'm1', 'm4', 'outsider'] loop
    perform tests.authenticate_as(v_who);
    if (select array_agg(id order by id) from public.sessions s where private.can_see_session(s.id))
       is distinct from (select array_agg(v order by v) from private.visible_session_ids() v) then
      return false;
    end if;
  end loop;
  return true;
end $$;
grant execute on function pg_temp.visibility_matches() to public;
select ok(pg_temp.visibility_matches(), 'private.can_see_session agrees with private.visible_session_ids for every actor');
-- The sessions read policy (its first test on the row, then private.can_read_session) admits exactly
-- the sessions of private.visible_session_ids().
create function pg_temp.policy_matches() returns boolean language plpgsql as $$
declare
  v_who text;
begin
  foreach v_who in array array['host', 'moderator', 'm1', 'm4', 'outsider', 'late'] loop
    perform tests.authenticate_as(v_who);
    if (select array_agg(id order by id) from public.sessions)
       is distinct from (select array_agg(v order by v) from private.visible_session_ids() v) then
      return false;
    end if;
  end loop;
  return true;
end $$;
grant execute on function pg_temp.policy_matches() to public;
select ok(pg_temp.policy_matches(), 'the sessions read policy admits exactly private.visible_session_ids for every actor');
select tests.clear_authentication();

-- Drift checks (private.session_seat_drift, private.waitlist_position_drift) -----------------------
select tests.clear_authentication();
select is((select count(*) from private.waitlist_position_drift()), 0::bigint,
          'waitlist_position_drift: every waitlist is numbered 1..n');
update public.bookings set waitlist_position = waitlist_position + 5
where id = (select id from public.bookings where status = 'waitlisted' order by waitlist_position desc, created_at limit 1);
select is((select count(*) from private.waitlist_position_drift()), 1::bigint,
          'waitlist_position_drift: a waitlist with a gap is listed');

select * from finish();
rollback;
