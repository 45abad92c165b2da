-- session_cards' public part on the seat row (45_session_cards.sql): private.session_seats.host_id,
-- host_name and bans follow every write of session_staff, profiles and session_bans, and the card
-- shows the same host, ban and can_join as the tables say. Who may read the card is tested in
-- 20_sessions, 30_booking, 32_attendance and 70_security_hardening.
begin;
\ir ../helpers.sql
select plan(24);

select tests.create_supabase_user('host');
select tests.create_supabase_user('cohost');
select tests.create_supabase_user('viewer');
select tests.create_supabase_user('outsider');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('host'), tests.get_supabase_uid('cohost'));
update public.profiles set display_name = 'Hanna Host' where id = tests.get_supabase_uid('host');
update public.profiles set display_name = 'Cole Cohost' where id = tests.get_supabase_uid('cohost');

insert into public.sessions (id, title, starts_at, status, visibility, capacity, created_by, started_at) values
  ('00000000-0000-0000-0000-0000000045a1', 'Public card', now() + interval '2 days', 'scheduled', 'public', 10, tests.get_supabase_uid('host'), null),
  ('00000000-0000-0000-0000-0000000045a2', 'Private card', now() + interval '2 days', 'scheduled', 'private', 10, tests.get_supabase_uid('host'), null),
  ('00000000-0000-0000-0000-0000000045a3', 'Live card', now() - interval '5 minutes', 'live', 'public', null, tests.get_supabase_uid('host'), now() - interval '5 minutes');

-- The seat row's host is private.first_host's answer for every session (the rule it caches).
create function pg_temp.host_drift() returns bigint language sql as $$
  select count(*) from private.session_seats ss
  left join lateral private.first_host(ss.session_id) h on true
  where (ss.host_id, ss.host_name) is distinct from (h.user_id, h.display_name) $$;
create function pg_temp.card_host(session_id uuid) returns text language sql as $$
  select coalesce(c.host_name, '-') || ' ' || coalesce((c.host_id = tests.get_supabase_uid('host'))::text, '-')
  from public.session_cards c where c.id = card_host.session_id $$;
grant execute on function pg_temp.card_host(uuid) to anon, authenticated;

select is((select host_name from private.session_seats where session_id = '00000000-0000-0000-0000-0000000045a1'),
          'Hanna Host', 'a new session''s seat row names its creator as host');
select is(pg_temp.host_drift(), 0::bigint, 'no seat row differs from the first host');

select tests.authenticate_as_anon();
select is(pg_temp.card_host('00000000-0000-0000-0000-0000000045a1'), 'Hanna Host true', 'anon sees the host of a public session');
select tests.clear_authentication();

-- A second host added later is not the first; removing the first makes it the host.
update public.session_staff set created_at = now() - interval '1 hour'
 where session_id = '00000000-0000-0000-0000-0000000045a1' and user_id = tests.get_supabase_uid('host');
select tests.authenticate_as('host');
select is((public.add_session_staff('00000000-0000-0000-0000-0000000045a1', tests.get_supabase_uid('cohost'), 'host')).role, 'host',
          'a co-host is added');
select is(pg_temp.card_host('00000000-0000-0000-0000-0000000045a1'), 'Hanna Host true', 'the first host stays the card''s host');
select tests.clear_authentication();
update public.profiles set display_name = 'Hanna Renamed' where id = tests.get_supabase_uid('host');
select is((select array_agg(host_name order by session_id) from private.session_seats
           where session_id::text like '00000000-0000-0000-0000-0000000045a_'),
          array['Hanna Renamed', 'Hanna Renamed', 'Hanna Renamed'], 'a renamed host is renamed on every seat row');
update public.profiles set bio = 'no rename' where id = tests.get_supabase_uid('host');
select is(pg_temp.host_drift(), 0::bigint, 'no drift after a rename');

delete from public.session_staff where session_id = '00000000-0000-0000-0000-0000000045a1' and user_id = tests.get_supabase_uid('host');
select tests.authenticate_as('viewer');
select is(pg_temp.card_host('00000000-0000-0000-0000-0000000045a1'), 'Cole Cohost false', 'removing the first host makes the co-host the card''s host');
select tests.clear_authentication();
update public.session_staff set role = 'moderator'
 where session_id = '00000000-0000-0000-0000-0000000045a1' and user_id = tests.get_supabase_uid('cohost');
select is(pg_temp.card_host('00000000-0000-0000-0000-0000000045a1'), '- -', 'no host row: no host on the card');
insert into public.session_staff (session_id, user_id, role) values
  ('00000000-0000-0000-0000-0000000045a1', tests.get_supabase_uid('host'), 'host');
update public.session_staff set role = 'host'
 where session_id = '00000000-0000-0000-0000-0000000045a1' and user_id = tests.get_supabase_uid('cohost');
update public.session_staff set created_at = now() - interval '1 day'
 where session_id = '00000000-0000-0000-0000-0000000045a1' and user_id = tests.get_supabase_uid('cohost');
select is(pg_temp.host_drift(), 0::bigint, 'no drift after role and created_at changes (the earliest host wins)');
select is((select host_id from private.session_seats where session_id = '00000000-0000-0000-0000-0000000045a1'),
          tests.get_supabase_uid('cohost'), 'the earliest host by created_at is the card''s host');

-- A private session's host is not shown to someone who may not read it (session_card is executable by anon).
select tests.authenticate_as('outsider');
select is((select host_id from private.session_card('00000000-0000-0000-0000-0000000045a2')), null,
          'session_card: no host of a private session for an outsider');
select tests.authenticate_as('host');
select is(pg_temp.card_host('00000000-0000-0000-0000-0000000045a2'), 'Hanna Renamed true', 'the host sees the host of their private session');

-- Bans: counted on the seat row; the card reads session_bans only when there is one.
select tests.authenticate_as('viewer');
select is((select can_join from public.session_cards where id = '00000000-0000-0000-0000-0000000045a3'), true,
          'a viewer can join a live public session');
select tests.authenticate_as('host');
select lives_ok($$ select public.ban_user('00000000-0000-0000-0000-0000000045a3', tests.get_supabase_uid('viewer'), 'spam') $$, 'the host bans the viewer');
select lives_ok($$ select public.ban_user('00000000-0000-0000-0000-0000000045a3', tests.get_supabase_uid('viewer'), 'spam again') $$,
                'banning again updates the ban');
select tests.clear_authentication();
select is((select bans from private.session_seats where session_id = '00000000-0000-0000-0000-0000000045a3'), 1,
          'one ban row, counted once');
select tests.authenticate_as('viewer');
select is((select array[banned, can_join] from private.session_card('00000000-0000-0000-0000-0000000045a3')), array[true, false],
          'the banned viewer''s card: banned, cannot join');
select tests.authenticate_as('outsider');
select is((select array[banned, can_join] from private.session_card('00000000-0000-0000-0000-0000000045a3')), array[false, true],
          'another user is not banned by someone else''s ban');
select tests.authenticate_as('host');
select is(public.unban_user('00000000-0000-0000-0000-0000000045a3', tests.get_supabase_uid('viewer')), true, 'the host lifts the ban');
select tests.authenticate_as('viewer');
select is((select array[banned, can_join] from private.session_card('00000000-0000-0000-0000-0000000045a3')), array[false, true],
          'after the unban: not banned, can join');
select tests.clear_authentication();
select is((select bans from private.session_seats where session_id = '00000000-0000-0000-0000-0000000045a3'), 0,
          'the unban is counted');

-- The card's viewer count (private.viewer_count's whole-bucket window, counted in the card's own
-- statement): users whose last heartbeat is at or after the start of the 10-second bucket 6 before
-- now's; a microsecond earlier is outside; a closed interval and a scheduled session count nothing.
insert into public.attendance_intervals (session_id, user_id, connection_id, joined_at, last_heartbeat_at, left_at)
select '00000000-0000-0000-0000-0000000045a3', tests.get_supabase_uid(u), 'tab', now() - interval '5 minutes', h, l
from (values ('viewer', to_timestamp((floor(extract(epoch from now()) / 10) - 6) * 10), null::timestamptz),
             ('outsider', to_timestamp((floor(extract(epoch from now()) / 10) - 6) * 10) - interval '1 microsecond', null),
             ('cohost', now(), now())) v(u, h, l);
insert into public.attendance_intervals (session_id, user_id, connection_id, joined_at, last_heartbeat_at)
values ('00000000-0000-0000-0000-0000000045a1', tests.get_supabase_uid('viewer'), 'tab', now(), now());
select tests.authenticate_as_anon();
select results_eq($$ select id::text, viewer_count from public.session_cards
                     where id in ('00000000-0000-0000-0000-0000000045a1', '00000000-0000-0000-0000-0000000045a3') order by id $$,
                  $$ values ('00000000-0000-0000-0000-0000000045a1', 0), ('00000000-0000-0000-0000-0000000045a3', 1) $$,
                  'the card counts the viewer at the window''s first instant only, and nothing for a scheduled session');
select tests.clear_authentication();
select is((select viewer_count from public.session_cards where id = '00000000-0000-0000-0000-0000000045a3'),
          private.viewer_count('00000000-0000-0000-0000-0000000045a3'), 'as private.viewer_count');

select * from finish();
rollback;
