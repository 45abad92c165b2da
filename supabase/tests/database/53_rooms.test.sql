-- Breakout rooms: open_breakout_rooms validation (closes_at within the session), assign_room /
-- unassign_room, balanced assign_rooms_randomly, join_room (assigned room, self-selection with
-- capacity), close_breakout_rooms, closing at closes_at (lazy and by the job), closing with the
-- session, and the room_updated broadcast (counts, no member lists).
begin;
\ir ../helpers.sql
select plan(66);

create function pg_temp.room(room_name text) returns uuid language sql as $$
  select r.id from public.rooms r where r.session_id = '00000000-0000-4000-8000-0000000053a1' and r.name = room_name
$$;
grant execute on function pg_temp.room(text) to authenticated, anon, service_role;

select tests.create_supabase_user('hana');
select tests.create_supabase_user('mo');
select tests.create_supabase_user('bea');
select tests.create_supabase_user('otto');
select tests.create_supabase_user('m' || i) from generate_series(1, 7) i;
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');
-- r1: live for 10 minutes of 60; r2: ended; r3: scheduled in an hour; r4: live, to be cancelled.
insert into public.sessions (id, title, status, visibility, starts_at, duration_minutes, started_at, ended_at, created_by)
values ('00000000-0000-4000-8000-0000000053a1', 'Workshop', 'live', 'members', now() - interval '10 minutes', 60, now() - interval '10 minutes', null, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000053a2', 'Over', 'ended', 'members', now() - interval '3 hours', 60, now() - interval '3 hours', now() - interval '2 hours', tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000053a3', 'Later', 'scheduled', 'members', now() + interval '1 hour', 60, null, null, tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000053a4', 'Doomed', 'live', 'members', now(), 60, now(), null, tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-4000-8000-0000000053a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000053a1', tests.get_supabase_uid(u), 'confirmed'
from unnest(array['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'bea']) u;
insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000053a1', tests.get_supabase_uid('bea'));

select is((select count(*)::int from cron.job where jobname = 'close-expired-breakout-rooms' and schedule = '* * * * *'), 1,
          'a pg_cron job closes expired rooms every minute');

-- open_breakout_rooms -----------------------------------------------------------------------------
select tests.authenticate_as('m1');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A']) $$), 'forbidden',
          'a member cannot open rooms');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A']) $$), 'forbidden',
          'an outsider cannot open rooms');
select tests.authenticate_as_anon();
select throws_ok($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A']) $$, '42501', null, 'anon cannot open rooms');
select tests.authenticate_as('mo');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A'], now() + interval '51 minutes') $$),
          'invalid_input', 'closes_at after the end of the session is refused');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A'], now() - interval '1 minute') $$),
          'invalid_input', 'closes_at in the past is refused');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', '{}') $$), 'invalid_input', 'at least one name');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A', ' a ']) $$), 'invalid_input',
          'names are distinct');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A', '']) $$), 'invalid_input', 'names are not empty');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['A'], null, 0) $$), 'invalid_input',
          'capacity is positive');
select tests.authenticate_as('hana');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a2', array['A']) $$), 'invalid_transition',
          'no rooms in an ended session');
select tests.authenticate_as('mo');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['Alpha', 'Beta', 'Gamma'])), 3,
          'the moderator opens three rooms');
select is((select count(*)::int from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a1'
           and closes_at = (select starts_at + interval '60 minutes' from public.sessions where id = '00000000-0000-4000-8000-0000000053a1')
           and status = 'open' and not self_select), 3, 'closes_at defaults to the end of the session');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m where m.topic = 'session:00000000-0000-4000-8000-0000000053a1' and m.event = 'room_updated'
           and m.private and (m.payload ->> 'assigned_count')::int = 0), 3, 'each new room is broadcast');

-- assign_rooms_randomly ---------------------------------------------------------------------------
select tests.authenticate_as('m1');
select is(tests.error_code($$ select public.assign_rooms_randomly('00000000-0000-4000-8000-0000000053a1') $$), 'forbidden', 'a member cannot shuffle rooms');
select tests.authenticate_as('hana');
select is((public.assign_rooms_randomly('00000000-0000-4000-8000-0000000053a1')) ->> 'assigned', '7',
          'the host assigns the seven confirmed, not banned, non-staff members');
select is((select max(n) - min(n) from (select count(a.user_id) as n from public.rooms r left join public.room_assignments a on a.room_id = r.id
                                        where r.session_id = '00000000-0000-4000-8000-0000000053a1' group by r.id) x)::int, 1,
          'room sizes differ by at most one (3/2/2)');
select is((select count(distinct a.user_id)::int from public.room_assignments a join public.rooms r on r.id = a.room_id
           where r.session_id = '00000000-0000-4000-8000-0000000053a1'), 7, 'every member is in exactly one room');
select is((select count(*)::int from public.room_assignments a join public.rooms r on r.id = a.room_id
           where r.session_id = '00000000-0000-4000-8000-0000000053a1' and a.user_id in (tests.get_supabase_uid('bea'), tests.get_supabase_uid('hana'), tests.get_supabase_uid('mo'))), 0,
          'banned users and staff are not assigned');
select is((public.assign_rooms_randomly('00000000-0000-4000-8000-0000000053a1')) -> 'rooms' -> 0 ->> 'assigned', '3',
          'a second shuffle replaces the assignments (the first room gets the extra member)');
select is((select max(n) - min(n) from (select count(a.user_id) as n from public.rooms r left join public.room_assignments a on a.room_id = r.id
                                        where r.session_id = '00000000-0000-4000-8000-0000000053a1' group by r.id) x)::int, 1,
          'and stays balanced');
select tests.clear_authentication();
select is((select array_agg(distinct k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.event = 'room_updated' and m.topic = 'session:00000000-0000-4000-8000-0000000053a1'),
          array['assigned_count', 'capacity', 'closes_at', 'id', 'name', 'room_id', 'self_select', 'session_id', 'status'],
          'room_updated carries counts, no member list');
select is((select count(*)::int from realtime.messages m where m.event = 'room_updated'
           and exists (select 1 from public.room_assignments a where position(a.user_id::text in m.payload::text) > 0)), 0,
          'no room_updated names a member');
select tests.authenticate_as('m1');
select is((select count(*)::int from public.room_assignments), 1, 'a member reads only their own assignment');
select tests.authenticate_as('mo');
select is((select count(*)::int from public.room_assignments), 7, 'the moderator reads every assignment');

-- assign_room / unassign_room ---------------------------------------------------------------------
select is((public.assign_room(pg_temp.room('Gamma'), tests.get_supabase_uid('m1'))).room_id, pg_temp.room('Gamma'), 'the moderator assigns m1 to Gamma');
select is((select array_agg(r.name) from public.room_assignments a join public.rooms r on r.id = a.room_id
           where a.user_id = tests.get_supabase_uid('m1')), array['Gamma'], 'm1 is only in Gamma (moved out of their other room)');
select is(tests.error_code(format($$ select public.assign_room(%L, %L) $$, pg_temp.room('Alpha'), tests.get_supabase_uid('otto'))), 'invalid_input',
          'non-members cannot be assigned');
select is(tests.error_code(format($$ select public.assign_room(%L, %L) $$, pg_temp.room('Alpha'), tests.get_supabase_uid('bea'))), 'banned',
          'banned users cannot be assigned');
select tests.authenticate_as('m2');
select is(tests.error_code(format($$ select public.assign_room(%L, %L) $$, pg_temp.room('Alpha'), tests.get_supabase_uid('m2'))), 'forbidden',
          'members cannot assign');
select tests.authenticate_as('hana');
select is((public.unassign_room(pg_temp.room('Gamma'), tests.get_supabase_uid('m1'))).user_id, tests.get_supabase_uid('m1'), 'the host unassigns m1');
select is(tests.error_code(format($$ select public.unassign_room(%L, %L) $$, pg_temp.room('Gamma'), tests.get_supabase_uid('m1'))), 'not_found',
          'unassigning again is not_found');

-- join_room ---------------------------------------------------------------------------------------
select tests.authenticate_as('m1');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Alpha'))), 'forbidden', 'an unassigned member cannot join a room without self-selection');
select tests.authenticate_as('m2');
select set_config('tests.m2_room', (select room_id::text from public.room_assignments), true);
select isnt((public.join_room(current_setting('tests.m2_room')::uuid)).joined_at, null, 'an assigned member joins their room (joined_at set)');
select tests.authenticate_as('hana');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['Open floor'], null, 1, true)), 1,
          'the host opens a self-selection room of capacity 1');
select tests.authenticate_as('m2');
select is((public.join_room(pg_temp.room('Open floor'))).room_id, pg_temp.room('Open floor'), 'a member picks the self-selection room');
select is((select count(*)::int from public.room_assignments), 1, 'and left their previous room');
select tests.authenticate_as('m3');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Open floor'))), 'conflict', 'a full room refuses the next member');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Open floor'))), 'forbidden', 'an outsider cannot join');
select tests.authenticate_as('bea');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Open floor'))), 'banned', 'a banned member cannot join');
select tests.authenticate_as('hana');
update public.rooms set self_select = false where id = pg_temp.room('Open floor');
select is((select self_select from public.rooms where id = pg_temp.room('Open floor')), false, 'hosts edit self_select directly');

-- Closing -----------------------------------------------------------------------------------------
select tests.clear_authentication();
update public.rooms set closes_at = now() - interval '1 minute' where id = pg_temp.room('Beta');
select tests.authenticate_as('m3');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Beta'))), 'invalid_transition',
          'a room past its closes_at counts as closed before the job runs');
select tests.clear_authentication();
select is(private.close_expired_rooms(), 1, 'the job closes the expired room');
select is((select status from public.rooms where id = pg_temp.room('Beta')), 'closed', 'its status is closed');
select is((select m.payload ->> 'status' from realtime.messages m where m.event = 'room_updated' and m.payload ->> 'room_id' = pg_temp.room('Beta')::text
           order by m.inserted_at desc, m.payload ->> 'status' limit 1), 'closed', 'and the closing is broadcast');
select tests.authenticate_as('m4');
select is(tests.error_code($$ select public.close_breakout_rooms('00000000-0000-4000-8000-0000000053a1') $$), 'forbidden', 'a member cannot close rooms');
select tests.authenticate_as('mo');
select is(public.close_breakout_rooms('00000000-0000-4000-8000-0000000053a1'), 3, 'the moderator closes the three open rooms');
select is(tests.error_code(format($$ select public.assign_room(%L, %L) $$, pg_temp.room('Alpha'), tests.get_supabase_uid('m1'))), 'invalid_transition',
          'no assignment to a closed room');
select tests.authenticate_as('m1');
select is(tests.error_code(format($$ select public.join_room(%L) $$, pg_temp.room('Alpha'))), 'invalid_transition', 'no joining a closed room');

-- Rooms never outlive their session ---------------------------------------------------------------
select tests.authenticate_as('hana');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a3', array['Early', 'Late'])), 2,
          'rooms open in a scheduled session');
select public.reschedule_session('00000000-0000-4000-8000-0000000053a3', now() + interval '1 hour', 30);
select is((select count(*)::int from public.rooms r join public.sessions s on s.id = r.session_id
           where r.session_id = '00000000-0000-4000-8000-0000000053a3' and r.closes_at = s.starts_at + interval '30 minutes'), 2,
          'shortening the session pulls closes_at back to its new end');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a4', array['Doomed room'])), 1, 'a room in a live session');
select public.cancel_session('00000000-0000-4000-8000-0000000053a4', 'storm');
select is((select status from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a4'), 'closed', 'cancelling the session closes its rooms');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a1', array['Last'])), 1, 'a new room in the live session');
select public.end_session('00000000-0000-4000-8000-0000000053a1');
select is((select count(*)::int from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a1' and status = 'open'), 0,
          'ending the session closes every room');
select is((select closes_at <= now() from public.rooms where id = pg_temp.room('Last')), true, 'and sets closes_at to the end');

-- Walk-ins of a public session (joined, no booking) are members: staff place them in rooms too.
select tests.clear_authentication();
insert into public.sessions (id, title, status, visibility, starts_at, duration_minutes, started_at, created_by)
values ('00000000-0000-4000-8000-0000000053a5', 'Open house', 'live', 'public', now(), 60, now(), tests.get_supabase_uid('hana'));
select tests.authenticate_as('otto');
select is((public.join_session('00000000-0000-4000-8000-0000000053a5')) ->> 'viewer_count', '1', 'otto walks into the public session');
select tests.authenticate_as('hana');
select is((select count(*)::int from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a5', array['Corner', 'Window'])), 2,
          'the host opens two rooms');
select is((public.assign_room((select id from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a5' and name = 'Corner'),
                              tests.get_supabase_uid('otto'))).user_id, tests.get_supabase_uid('otto'),
          'staff assign a walk-in of a public session to a room');
select is((public.assign_rooms_randomly('00000000-0000-4000-8000-0000000053a5')) ->> 'assigned', '1',
          'the random split includes walk-ins of a public session');

-- Leaving the session frees the room seat: a cancelled booking, a ban.
select tests.clear_authentication();
insert into public.sessions (id, title, status, visibility, starts_at, duration_minutes, started_at, created_by)
values ('00000000-0000-4000-8000-0000000053a6', 'Pairs', 'live', 'members', now(), 60, now(), tests.get_supabase_uid('hana'));
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000053a6', tests.get_supabase_uid(u), 'confirmed' from unnest(array['m5', 'm6', 'm7']) u;
select tests.authenticate_as('hana');
select count(*) from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a6', array['Duo'], null, 2, true);
create temp table duo on commit drop as select id from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a6';
grant select on duo to authenticated;
select tests.authenticate_as('m5');
select public.join_room((select id from duo)) is not null as joined;
select tests.authenticate_as('m6');
select public.join_room((select id from duo)) is not null as joined;
select tests.authenticate_as('m7');
select is(tests.error_code($$ select public.join_room((select id from duo)) $$), 'conflict', 'the pair room is full');
select tests.authenticate_as('m5');
select public.cancel_booking('00000000-0000-4000-8000-0000000053a6') is not null as cancelled;
select tests.authenticate_as('hana');
select public.ban_user('00000000-0000-4000-8000-0000000053a6', tests.get_supabase_uid('m6'), 'spam') is not null as banned;
select tests.clear_authentication();
select is((select count(*)::int from public.room_assignments where room_id = (select id from duo)), 0,
          'cancelling the booking and a ban both free their room seats');
select tests.authenticate_as('m7');
select is((select user_id from public.join_room((select id from duo))), tests.get_supabase_uid('m7'), 'so the next member gets in');
select tests.clear_authentication();
select ok(exists (select 1 from realtime.messages
                  where topic = 'session:00000000-0000-4000-8000-0000000053a6' and event = 'room_updated'
                    and (payload ->> 'assigned_count')::int = 0), 'the freed seats are broadcast (room_updated)');

-- Rooms opened ahead of a scheduled session move with it.
select tests.clear_authentication();
insert into public.sessions (id, title, status, visibility, starts_at, duration_minutes, created_by)
values ('00000000-0000-4000-8000-0000000053a7', 'Moved', 'scheduled', 'members', now() + interval '1 hour', 60, tests.get_supabase_uid('hana'));
select tests.authenticate_as('hana');
select count(*) from public.open_breakout_rooms('00000000-0000-4000-8000-0000000053a7', array['Early', 'Late']);
update public.rooms set closes_at = now() + interval '90 minutes'
where session_id = '00000000-0000-4000-8000-0000000053a7' and name = 'Early';
select 1 from public.reschedule_session('00000000-0000-4000-8000-0000000053a7', now() + interval '1 day 1 hour');
select tests.clear_authentication();
select is((select closes_at from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a7' and name = 'Late'),
          now() + interval '1 day 2 hours', 'a room closing with the session moves to the new end');
select is((select closes_at from public.rooms where session_id = '00000000-0000-4000-8000-0000000053a7' and name = 'Early'),
          now() + interval '1 day 90 minutes', 'an earlier closing time shifts by the same amount');

select * from finish();
rollback;
