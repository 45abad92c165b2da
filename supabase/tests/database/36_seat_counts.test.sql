-- Seat counts (private.session_seats): one row per session with a copy of its status, capacity and
-- waitlist flag, counts that follow every booking write, book_session's claim (including the
-- corrections when its guess was overtaken by another booking), and who may read the rows.
begin;
\ir ../helpers.sql
select plan(38);

select tests.create_supabase_user('host');
select tests.create_supabase_user('u1');
select tests.create_supabase_user('u2');
select tests.create_supabase_user('u3');
select tests.create_supabase_user('u4');
select tests.create_supabase_user('u5');
select tests.create_supabase_user('gone');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

-- c1: capacity 2 with a waitlist; c2: capacity 1 without; c3: capacity 1 with a waitlist.
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('00000000-0000-0000-0000-0000000000c1', 'Seats', now() + interval '3 days', 'scheduled', 'public', 2, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c2', 'No waitlist', now() + interval '3 days', 'scheduled', 'public', 1, false, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000c3', 'One seat', now() + interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host'));

create function pg_temp.seats(session_id uuid) returns text language sql as $$
  select format('%s %s/%s confirmed=%s waitlisted=%s', ss.status, ss.capacity, ss.waitlist_enabled::text, ss.confirmed, ss.waitlisted)
  from private.session_seats ss where ss.session_id = seats.session_id $$;
create function pg_temp.drift() returns bigint language sql as $$
  select count(*) from private.session_seat_drift() where session_id::text like '00000000-0000-0000-0000-0000000000c_' $$;

-- Seat rows follow the sessions ------------------------------------------------------------------
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 2/true confirmed=0 waitlisted=0',
          'a new session gets its seat row with its status, capacity and waitlist flag');
select is(pg_temp.drift(), 0::bigint, 'no drift for new sessions');
select is((select count(*)::int from public.sessions s where not exists
           (select 1 from private.session_seats ss where ss.session_id = s.id)), 0, 'every session has a seat row');

-- Counting through book_session -------------------------------------------------------------------
select tests.authenticate_as('u1');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000c1')), 'confirmed', 'u1 confirmed');
select tests.authenticate_as('u2');
select is((select status from public.book_session('00000000-0000-0000-0000-0000000000c1')), 'confirmed', 'u2 confirmed');
select tests.authenticate_as('u3');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000c1') $$,
                  $$ values ('waitlisted'::text, 1) $$, 'u3 waitlisted at 1');
select tests.authenticate_as('u4');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000c1') $$,
                  $$ values ('waitlisted'::text, 2) $$, 'u4 waitlisted at 2');
select tests.clear_authentication();
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 2/true confirmed=2 waitlisted=2',
          'the seat row counts 2 confirmed and 2 waitlisted');
select tests.authenticate_as('u5');
select results_eq($$ select booked_count, seats_left from public.session_cards where id = '00000000-0000-0000-0000-0000000000c1' $$,
                  $$ values (2, 0) $$, 'session_cards read booked_count and seats_left from the seat row');
select tests.clear_authentication();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000c1'
             and default_reminders_pending), 4, 'book_session marks its bookings for the default reminders');

-- The flag book_session uses to count its own booking is off again after it: later writes in the
-- same transaction are counted by the trigger.
select is(current_setting('private.booking_claim', true), '', 'the claim flag is reset when book_session returns');
insert into public.bookings (session_id, user_id, status)
values ('00000000-0000-0000-0000-0000000000c2', tests.get_supabase_uid('gone'), 'confirmed');
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c2'), 'scheduled 1/false confirmed=1 waitlisted=0',
          'a direct insert (service_role, seed) is counted by the trigger');

-- Claims overtaken by other bookings --------------------------------------------------------------
-- A test trigger runs `tests.other_claim` right when book_session inserts its guessed booking: the
-- seat row then changes between the guess and the claim, as when another booking claims first.
create function pg_temp.other_claim() returns trigger language plpgsql as $$
begin
  if coalesce(current_setting('tests.other_claim', true), '') <> '' then
    execute current_setting('tests.other_claim');
  end if;
  return new;
end $$;
create trigger zz_other_claim before insert on public.bookings for each row execute function pg_temp.other_claim();

-- c3 has one free seat: u5 guesses confirmed, but another booking takes the seat first.
set local tests.other_claim = $$ update private.session_seats set confirmed = confirmed + 1 where session_id = '00000000-0000-0000-0000-0000000000c3' $$;
select tests.authenticate_as('u5');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000c3') $$,
                  $$ values ('waitlisted'::text, 1) $$, 'a guessed seat taken by another claim becomes waitlist position 1');
select tests.clear_authentication();
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c3'), 'scheduled 1/true confirmed=1 waitlisted=1',
          'the claim counted u5 as waitlisted');
select is((select count(*)::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('u5')
             and event = 'booking_updated'), 0, 'correcting one''s own new booking broadcasts nothing');

-- c1 is full with waitlist 1..2: u5 guesses position 3, but another booking takes 3 first.
set local tests.other_claim = $$ update private.session_seats set waitlisted = waitlisted + 1 where session_id = '00000000-0000-0000-0000-0000000000c1' $$;
select tests.authenticate_as('u5');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000c1') $$,
                  $$ values ('waitlisted'::text, 4) $$, 'a guessed waitlist position taken first moves to the next one');
select tests.clear_authentication();
-- Undo the stand-in claim (it had no booking row) and cancel u5 to free c1 for the next cases.
update private.session_seats set waitlisted = waitlisted - 1 where session_id = '00000000-0000-0000-0000-0000000000c1';
update public.bookings set waitlist_position = 3 where user_id = tests.get_supabase_uid('u5')
  and session_id = '00000000-0000-0000-0000-0000000000c1';
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 2/true confirmed=2 waitlisted=3',
          'after undoing the stand-in claim c1 counts its 2 confirmed and 3 waitlisted bookings');

-- c2 (no waitlist) is full; make it look free to u4's guess, then full again at the claim.
update private.session_seats set confirmed = 0 where session_id = '00000000-0000-0000-0000-0000000000c2';
set local tests.other_claim = $$ update private.session_seats set confirmed = 1 where session_id = '00000000-0000-0000-0000-0000000000c2' $$;
select tests.authenticate_as('u4');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000c2') $$), 'session_full',
          'a guessed seat taken first, without a waitlist: session_full');
select tests.clear_authentication();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000c2'
             and user_id = tests.get_supabase_uid('u4')), 0, 'and the guessed booking is rolled back');

-- c2 looks open, but the session is cancelled before the claim.
update private.session_seats set confirmed = 0 where session_id = '00000000-0000-0000-0000-0000000000c2';
set local tests.other_claim = $$ update private.session_seats set status = 'cancelled' where session_id = '00000000-0000-0000-0000-0000000000c2' $$;
select tests.authenticate_as('u4');
select is(tests.error_code($$ select public.book_session('00000000-0000-0000-0000-0000000000c2') $$), 'invalid_transition',
          'a session cancelled between the checks and the claim refuses the booking');
select tests.clear_authentication();
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000c2'
             and user_id = tests.get_supabase_uid('u4')), 0, 'and nothing is stored');
set local tests.other_claim = '';
update private.session_seats set confirmed = 1, status = 'scheduled' where session_id = '00000000-0000-0000-0000-0000000000c2';

-- c3 has a waitlist and no seat; u4 guesses waitlisted, but a seat frees up before the claim.
set local tests.other_claim = $$ update private.session_seats set confirmed = confirmed - 1 where session_id = '00000000-0000-0000-0000-0000000000c3' $$;
select tests.authenticate_as('u4');
select results_eq($$ select status, waitlist_position from public.book_session('00000000-0000-0000-0000-0000000000c3') $$,
                  $$ values ('confirmed'::text, null::int) $$, 'a seat freed before the claim confirms a guessed waitlisting');
select tests.clear_authentication();
set local tests.other_claim = '';
drop trigger zz_other_claim on public.bookings;
-- The stand-ins: c3 had one confirmed seat that was never booked (u5's first case) and one freed.
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c3'), 'scheduled 1/true confirmed=1 waitlisted=1',
          'c3 counts u4 confirmed and u5 waitlisted');
select is(pg_temp.drift(), 0::bigint, 'no drift after the overtaken claims');

-- Counts follow every other write ----------------------------------------------------------------
select tests.authenticate_as('u1');
select is((select status from public.cancel_booking('00000000-0000-0000-0000-0000000000c1')), 'cancelled', 'u1 cancels');
select tests.clear_authentication();
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 2/true confirmed=2 waitlisted=2',
          'a cancellation with a promotion: still 2 confirmed, one fewer waitlisted');
select tests.authenticate_as('host');
select is((select capacity from public.sessions where id = '00000000-0000-0000-0000-0000000000c1'), 2, 'the host reads c1');
update public.sessions set capacity = 5 where id = '00000000-0000-0000-0000-0000000000c1';
select tests.clear_authentication();
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 5/true confirmed=4 waitlisted=0',
          'a capacity change is copied and its promotions counted');
delete from auth.users where id = tests.get_supabase_uid('gone');
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c2'), 'scheduled 1/false confirmed=0 waitlisted=0',
          'deleting a user frees their seats');
delete from public.bookings where session_id = '00000000-0000-0000-0000-0000000000c1' and user_id = tests.get_supabase_uid('u2');
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'scheduled 5/true confirmed=3 waitlisted=0',
          'a deleted booking is uncounted');
select tests.authenticate_as('host');
select is((select status from public.cancel_session('00000000-0000-0000-0000-0000000000c1', 'test')), 'cancelled',
          'the host cancels c1');
select tests.clear_authentication();
select is(pg_temp.seats('00000000-0000-0000-0000-0000000000c1'), 'cancelled 5/true confirmed=0 waitlisted=0',
          'cancelling a session copies the status and uncounts its cancelled bookings');
select is(pg_temp.drift(), 0::bigint, 'no drift at the end');

-- Who may read them ------------------------------------------------------------------------------
select tests.authenticate_as('u1');
select is(tests.error_code($$ select count(*) from private.session_seats $$), '42501', 'members cannot read seat rows');
select is(tests.error_code($$ select count(*) from private.session_seat_drift() $$), '42501',
          'members cannot run the drift check');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select count(*) from private.session_seats $$), '42501', 'anon cannot read seat rows');
select tests.authenticate_as_service_role();
select is((select count(*)::int from private.session_seat_drift() where session_id::text like '00000000-0000-0000-0000-0000000000c_'),
          0, 'service_role runs the drift check');
select is((select confirmed from private.session_seats where session_id = '00000000-0000-0000-0000-0000000000c3'), 1,
          'service_role reads seat rows');
select tests.clear_authentication();

select * from finish();
rollback;
