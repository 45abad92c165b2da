-- Deleting active bookings (a user deleting their account cascades to them) frees the seat for the
-- waitlist and closes the waitlist gap, as cancel_booking does: positions stay 1..n, so the next
-- booking gets a position of its own; ended sessions and other sessions are left alone.
begin;
\ir ../helpers.sql
select plan(14);

select tests.create_supabase_user('host');
select tests.create_supabase_user('d1');
select tests.create_supabase_user('d2');
select tests.create_supabase_user('d3');
select tests.create_supabase_user('d4');
select tests.create_supabase_user('d5');
select tests.create_supabase_user('d6');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');

-- d1: one seat with a waitlist; d2: ended, with a waitlisted booking kept as history.
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('00000000-0000-0000-0000-0000000000d1', 'One seat', now() + interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host')),
  ('00000000-0000-0000-0000-0000000000d2', 'Over', now() - interval '3 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('host'));

create temp table people as
select u.label, tests.get_supabase_uid(u.label) as id from (values ('d1'), ('d2'), ('d3'), ('d4'), ('d5'), ('d6')) u (label);
create function pg_temp.line(session_id uuid) returns text language sql as $$
  select string_agg(u.label || ':' || case b.status when 'waitlisted' then 'w' || b.waitlist_position else b.status end,
                    ' ' order by b.status, b.waitlist_position, u.label)
  from public.bookings b
  join people u on u.id = b.user_id
  where b.session_id = line.session_id and b.status <> 'cancelled' $$;
create function pg_temp.book(label text, session_id uuid) returns text language plpgsql as $$
begin
  perform tests.authenticate_as(label);
  perform public.book_session(session_id);
  perform tests.clear_authentication();
  return pg_temp.line(session_id);
end $$;

select is(pg_temp.book('d1', '00000000-0000-0000-0000-0000000000d1'), 'd1:confirmed', 'd1 takes the seat');
select pg_temp.book('d2', '00000000-0000-0000-0000-0000000000d1');
select pg_temp.book('d3', '00000000-0000-0000-0000-0000000000d1');
select is(pg_temp.book('d4', '00000000-0000-0000-0000-0000000000d1'), 'd1:confirmed d2:w1 d3:w2 d4:w3',
          'd2, d3 and d4 wait in line');
select pg_temp.book('d5', '00000000-0000-0000-0000-0000000000d2');
select is(pg_temp.book('d6', '00000000-0000-0000-0000-0000000000d2'), 'd5:confirmed d6:w1', 'the other session has its own line');
update public.sessions set status = 'live', started_at = now() - interval '3 days' where id = '00000000-0000-0000-0000-0000000000d2';
update public.sessions set status = 'ended', ended_at = now() - interval '2 days' where id = '00000000-0000-0000-0000-0000000000d2';

-- A waitlisted user deletes their account: the line closes up.
delete from auth.users where id = tests.get_supabase_uid('d3');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000d1'), 'd1:confirmed d2:w1 d4:w2',
          'deleting a waitlisted user renumbers the waitlist 1..n');
select is(pg_temp.book('d6', '00000000-0000-0000-0000-0000000000d1'), 'd1:confirmed d2:w1 d4:w2 d6:w3',
          'the next booking gets the next position, not a duplicate');

-- The confirmed user deletes their account: the first in line gets the seat.
delete from auth.users where id = tests.get_supabase_uid('d1');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000d1'), 'd2:confirmed d4:w1 d6:w2',
          'deleting a confirmed user promotes the first waitlisted booking and renumbers the rest');
select is((select count(*)::int from public.notifications
           where user_id = tests.get_supabase_uid('d2') and kind = 'booking_promoted'
             and data ->> 'session_id' = '00000000-0000-0000-0000-0000000000d1'), 1,
          'the promoted user is notified once');
select is((select count(*)::int from realtime.messages
           where topic = 'user:' || (select id from people where label = 'd2') and event = 'booking_updated'
             and payload ->> 'status' = 'confirmed'), 1,
          'the promoted user gets a booking_updated broadcast');
select is(pg_temp.book('d5', '00000000-0000-0000-0000-0000000000d1'), 'd2:confirmed d4:w1 d6:w2 d5:w3',
          'a newcomer does not jump the line');

-- An ended session keeps its bookings as they were.
delete from public.bookings where session_id = '00000000-0000-0000-0000-0000000000d2' and user_id = tests.get_supabase_uid('d5');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000d2'), 'd6:w1', 'no promotion in an ended session');

-- A user with bookings in several sessions, and a session being deleted.
delete from auth.users where id = tests.get_supabase_uid('d6');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000d1'), 'd2:confirmed d4:w1 d5:w2',
          'deleting a user with bookings in two sessions closes each line');
select is(pg_temp.line('00000000-0000-0000-0000-0000000000d2'), null, 'and empties the ended one');
delete from public.sessions where id = '00000000-0000-0000-0000-0000000000d1';
select is((select count(*)::int from public.bookings where session_id = '00000000-0000-0000-0000-0000000000d1'), 0,
          'deleting a session still deletes its bookings');
select is((select count(*)::int from private.session_seat_drift()
           where session_id in ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d2')), 0,
          'the seat counts match the bookings');

select * from finish();
rollback;
