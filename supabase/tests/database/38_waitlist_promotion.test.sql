-- When a booking leaves: a freed seat never goes to a user banned from the session (they keep their
-- place), every way an active booking leaves its place (cancel_booking, a direct update by
-- service_role: cancelled, demoted, moved) promotes the line or closes its gap, exactly once, and a
-- cancelled booking takes its user's reminders with it (not a staff member's, not a cancelled
-- session's), so neither the calendar feed nor session_cards.has_reminder shows them.
begin;
\ir ../helpers.sql
select plan(24);

select tests.create_supabase_user('host');
select tests.create_supabase_user('w1');
select tests.create_supabase_user('w2');
select tests.create_supabase_user('w3');
select tests.create_supabase_user('w4');
select tests.create_supabase_user('w5');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('00000000-0000-0000-0000-0000000000e1', 'Ban line', now() + interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000e2', 'Direct edits', now() + interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000e3', 'Other line', now() + interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000e4', 'Reminded', now() + interval '3 days', 'scheduled', 'public', null, false, tests.get_supabase_uid('host'));

create temp table people as
select u.label, tests.get_supabase_uid(u.label) as id
from (values ('w1'), ('w2'), ('w3'), ('w4'), ('w5')) u (label);
create function pg_temp.line(session_id uuid) returns text language sql as $$
  select string_agg(u.label || ':' || case b.status when 'waitlisted' then 'w' || b.waitlist_position else b.status end,
                    ' ' order by b.status, b.waitlist_position, u.label)
  from public.bookings b
  join people u on u.id = b.user_id
  where b.session_id = line.session_id and b.status <> 'cancelled' $$;
create function pg_temp.as_user(label text, statement text) returns void language plpgsql as $$
begin
  perform tests.authenticate_as(label);
  execute statement;
  perform tests.clear_authentication();
end $$;
create function pg_temp.promotions(label text, session_id uuid) returns int language sql as $$
  select count(*)::int from public.notifications n
  where n.user_id = tests.get_supabase_uid(label) and n.kind = 'booking_promoted'
    and n.data ->> 'session_id' = session_id::text $$;

-- Session e1: w1 has the seat, w2, w3 and w4 wait; the host bans w2.
select pg_temp.as_user(u, $$select public.book_session('00000000-0000-0000-0000-0000000000e1')$$)
from unnest(array['w1', 'w2', 'w3', 'w4']) u;
select pg_temp.as_user('host', format($$select public.ban_user('00000000-0000-0000-0000-0000000000e1', %L, 'spam')$$,
                                       tests.get_supabase_uid('w2')));
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e1'), 'w1:confirmed w2:w1 w3:w2 w4:w3', 'w2 is banned while waiting');

select pg_temp.as_user('w1', $$select public.cancel_booking('00000000-0000-0000-0000-0000000000e1')$$);
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e1'), 'w3:confirmed w2:w1 w4:w2',
          'the freed seat goes to the first user in line who is not banned; the banned user keeps their place');
select is(pg_temp.promotions('w2', '00000000-0000-0000-0000-0000000000e1'), 0, 'the banned user is not told they have a seat');
select is(pg_temp.promotions('w3', '00000000-0000-0000-0000-0000000000e1'), 1, 'the promoted user is notified once');

update public.sessions set capacity = 3 where id = '00000000-0000-0000-0000-0000000000e1';
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e1'), 'w3:confirmed w4:confirmed w2:w1',
          'a larger capacity skips the banned user too, and leaves a seat free rather than give it to them');

select pg_temp.as_user('host', format($$select public.unban_user('00000000-0000-0000-0000-0000000000e1', %L)$$,
                                       tests.get_supabase_uid('w2')));
select pg_temp.as_user('w4', $$select public.cancel_booking('00000000-0000-0000-0000-0000000000e1')$$);
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e1'), 'w2:confirmed w3:confirmed',
          'once unbanned, the user is promoted from the place they kept');

-- Session e2: direct updates by service_role free seats and close gaps like cancel_booking.
select pg_temp.as_user(u, $$select public.book_session('00000000-0000-0000-0000-0000000000e2')$$)
from unnest(array['w1', 'w2', 'w3', 'w4']) u;
select tests.authenticate_as_service_role();
update public.bookings set status = 'cancelled', waitlist_position = null, cancelled_at = now()
where session_id = '00000000-0000-0000-0000-0000000000e2' and user_id = tests.get_supabase_uid('w1');
select tests.clear_authentication();
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e2'), 'w2:confirmed w3:w1 w4:w2',
          'service_role cancelling the confirmed booking promotes the first in line and renumbers the rest');
select is(pg_temp.promotions('w2', '00000000-0000-0000-0000-0000000000e2'), 1, 'and the promoted user is notified');
select is((select count(*)::int from realtime.messages
           where topic = 'user:' || tests.get_supabase_uid('w2') and event = 'booking_updated'
             and payload ->> 'session_id' = '00000000-0000-0000-0000-0000000000e2' and payload ->> 'status' = 'confirmed'), 1,
          'with a booking_updated broadcast');

select tests.authenticate_as_service_role();
update public.bookings set status = 'cancelled', waitlist_position = null, cancelled_at = now()
where session_id = '00000000-0000-0000-0000-0000000000e2' and user_id = tests.get_supabase_uid('w3');
select tests.clear_authentication();
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e2'), 'w2:confirmed w4:w1',
          'service_role cancelling a waitlisted booking closes the gap');
select pg_temp.as_user('w5', $$select public.book_session('00000000-0000-0000-0000-0000000000e2')$$);
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e2'), 'w2:confirmed w4:w1 w5:w2',
          'the next booking gets the next position, not a duplicate');

-- Demoting the confirmed booking (service_role) gives its seat to the first in line.
select tests.authenticate_as_service_role();
update public.bookings set status = 'waitlisted', waitlist_position = 3
where session_id = '00000000-0000-0000-0000-0000000000e2' and user_id = tests.get_supabase_uid('w2');
select tests.clear_authentication();
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e2'), 'w4:confirmed w5:w1 w2:w2',
          'a demoted booking frees its seat for the line and joins it at the back');

-- Moving a waitlisted booking to another session renumbers both lines.
select pg_temp.as_user(u, $$select public.book_session('00000000-0000-0000-0000-0000000000e3')$$)
from unnest(array['w1', 'w3']) u;
select tests.authenticate_as_service_role();
update public.bookings set session_id = '00000000-0000-0000-0000-0000000000e3'
where session_id = '00000000-0000-0000-0000-0000000000e2' and user_id = tests.get_supabase_uid('w5');
select tests.clear_authentication();
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e2'), 'w4:confirmed w2:w1', 'the line it left closes up');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000e3'), 'w1:confirmed w3:w1 w5:w2', 'and joins the back of the other line (its old position 1 does not jump w3)');

-- cancel_booking still promotes once, and a cancelled session promotes nobody.
select pg_temp.as_user('w4', $$select public.cancel_booking('00000000-0000-0000-0000-0000000000e2')$$);
select is(pg_temp.promotions('w2', '00000000-0000-0000-0000-0000000000e2'), 2,
          'cancel_booking promotes the next in line with exactly one more notification');
select pg_temp.as_user('host', $$select public.cancel_session('00000000-0000-0000-0000-0000000000e3', 'ill')$$);
select is((select count(*)::int from public.bookings
           where session_id = '00000000-0000-0000-0000-0000000000e3' and status <> 'cancelled'), 0,
          'cancelling the session cancels every booking, promoting nobody');

-- Session e4: w1 and w5 (made a moderator) book and set reminders; w1's feed lists the session.
select pg_temp.as_user(u, $$select public.book_session('00000000-0000-0000-0000-0000000000e4')$$)
from unnest(array['w1', 'w5']) u;
select private.add_pending_default_reminders();
select pg_temp.as_user(u, $$select public.set_reminder('00000000-0000-0000-0000-0000000000e4', 60)$$)
from unnest(array['w1', 'w5']) u;
insert into public.session_staff (session_id, user_id, role)
values ('00000000-0000-0000-0000-0000000000e4', tests.get_supabase_uid('w5'), 'moderator');
select tests.authenticate_as('w1');
create temp table w1_feed on commit drop as select (public.create_calendar_feed()) ->> 'token' as token;
select tests.clear_authentication();
select is((select array_agg(e.reminder_minutes order by e.session_id) from w1_feed, public.calendar_feed_events(w1_feed.token) e
           where e.session_id = '00000000-0000-0000-0000-0000000000e4'), array[array[15, 60, 1440]],
          'the booked session is in the feed with its three alarms');

select pg_temp.as_user(u, $$select public.cancel_booking('00000000-0000-0000-0000-0000000000e4')$$)
from unnest(array['w1', 'w5']) u;
select is((select count(*)::int from public.session_reminders
           where session_id = '00000000-0000-0000-0000-0000000000e4' and user_id = tests.get_supabase_uid('w1')), 0,
          'cancelling a booking deletes its reminders (the job would not send them)');
select is((select count(*)::int from w1_feed, public.calendar_feed_events(w1_feed.token) e
           where e.session_id = '00000000-0000-0000-0000-0000000000e4'), 0,
          'the session leaves the feed, alarms and all');
select tests.authenticate_as('w1');
select is((select has_reminder from public.session_cards where id = '00000000-0000-0000-0000-0000000000e4'), false,
          'session_cards.has_reminder is false after cancelling');
select tests.clear_authentication();
select is((select array_agg(minutes_before order by minutes_before) from public.session_reminders
           where session_id = '00000000-0000-0000-0000-0000000000e4' and user_id = tests.get_supabase_uid('w5')),
          array[15, 60, 1440], 'a staff member keeps their reminders (the job still reminds staff)');

select pg_temp.as_user('w1', $$select public.book_session('00000000-0000-0000-0000-0000000000e4')$$);
select private.add_pending_default_reminders();
select is((select array_agg(minutes_before order by minutes_before) from public.session_reminders
           where session_id = '00000000-0000-0000-0000-0000000000e4' and user_id = tests.get_supabase_uid('w1')),
          array[15, 1440], 'booking again brings the default reminders back');

select pg_temp.as_user('host', $$select public.cancel_session('00000000-0000-0000-0000-0000000000e4', 'moved')$$);
select is((select array_agg(minutes_before order by minutes_before) from public.session_reminders
           where session_id = '00000000-0000-0000-0000-0000000000e4' and user_id = tests.get_supabase_uid('w1')),
          array[15, 1440], 'a session''s own cancellation keeps them (the feed shows the event as cancelled)');

select is((select count(*)::int from private.session_seat_drift()
           where session_id::text like '00000000-0000-0000-0000-0000000000e_'), 0,
          'the seat counts match the bookings');

select * from finish();
rollback;
