-- Sessions catalogue: constraints, the access matrix (admin, coach, host, moderator, booked member,
-- outsider, anon, service_role) on sessions/session_staff/streams/rooms/room_assignments/bookings,
-- the lifecycle RPCs with their session_status broadcasts, meeting details, and session_cards.
begin;
\ir ../helpers.sql
select plan(186);


-- Actors.
select tests.create_supabase_user('admin', metadata => '{"display_name":"Ada Admin"}');
select tests.create_supabase_user('coach', metadata => '{"display_name":"Cees Coach"}');
select tests.create_supabase_user('host', metadata => '{"display_name":"Hanna Host"}');
select tests.create_supabase_user('moderator', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('booked', metadata => '{"display_name":"Bram Booked"}');
select tests.create_supabase_user('other_booked', metadata => '{"display_name":"Olga Other"}');
select tests.create_supabase_user('waitlisted', metadata => '{"display_name":"Wim Waitlisted"}');
select tests.create_supabase_user('outsider', metadata => '{"display_name":"Otto Outsider"}');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('coach'), tests.get_supabase_uid('host'));

-- Fixtures, as postgres. Ids aaaaaaaa-... never collide with the seed.
insert into public.programs (id, name, status, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Sales curriculum', 'live', tests.get_supabase_uid('host')),
  ('aaaaaaaa-0000-4000-8000-000000000002', 'Farming Q&A', 'live', tests.get_supabase_uid('coach'));
insert into public.events (id, program_id, title, slug, status, starts_at, ends_at, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000011', 'aaaaaaaa-0000-4000-8000-000000000001', 'Kick-off', 'kick-off-2026', 'live',
   now(), now() + interval '1 day', tests.get_supabase_uid('host')),
  ('aaaaaaaa-0000-4000-8000-000000000012', 'aaaaaaaa-0000-4000-8000-000000000002', 'Harvest day', 'harvest-day', 'live',
   now(), now() + interval '1 day', tests.get_supabase_uid('coach'));

-- pub: public scheduled, starting in 10 minutes, capacity 2 (full), with a waitlist.
-- priv: private scheduled. draft: public draft. memb: members-only scheduled, unlimited. life/canc/live: lifecycle.
insert into public.sessions (id, program_id, event_id, title, starts_at, status, visibility, capacity, waitlist_enabled,
                             created_by, started_at) values
  ('aaaaaaaa-0000-4000-8000-000000000101', 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000011',
   'Live Q&A: Discovery Technieken', now() + interval '10 minutes', 'scheduled', 'public', 2, true,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000102', 'aaaaaaaa-0000-4000-8000-000000000001', null,
   'Private coaching', now() + interval '2 days', 'scheduled', 'private', null, false,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000103', null, null,
   'Draft session', now() + interval '3 days', 'draft', 'public', null, false,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000104', null, null,
   'Members only', now() + interval '4 days', 'scheduled', 'members', null, false,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000105', null, null,
   'Lifecycle', now() + interval '5 days', 'draft', 'public', null, false,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000106', null, null,
   'To be cancelled', now() + interval '6 days', 'scheduled', 'public', null, false,
   tests.get_supabase_uid('host'), null),
  ('aaaaaaaa-0000-4000-8000-000000000107', null, null,
   'Live now', now() - interval '5 minutes', 'live', 'public', null, false,
   tests.get_supabase_uid('host'), now() - interval '5 minutes');
insert into public.session_secrets (session_id, meeting_url, meeting_password) values
  ('aaaaaaaa-0000-4000-8000-000000000101', 'https://meet.example.com/pub', 'secret-pub'),
  ('aaaaaaaa-0000-4000-8000-000000000102', 'https://meet.example.com/priv', null),
  ('aaaaaaaa-0000-4000-8000-000000000103', 'https://meet.example.com/draft', null);
insert into public.session_staff (session_id, user_id, role)
select s.id, tests.get_supabase_uid('moderator'), 'moderator' from public.sessions s
where s.id::text like 'aaaaaaaa-0000-4000-8000-0000000001%';
insert into public.bookings (session_id, user_id, status, waitlist_position, cancelled_at) values
  ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('booked'), 'confirmed', null, null),
  ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('other_booked'), 'confirmed', null, null),
  ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('waitlisted'), 'waitlisted', 1, null),
  ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('outsider'), 'cancelled', null, now()),
  ('aaaaaaaa-0000-4000-8000-000000000102', tests.get_supabase_uid('booked'), 'confirmed', null, null);
insert into public.streams (id, session_id, source_type, source_url) values
  ('aaaaaaaa-0000-4000-8000-000000000201', 'aaaaaaaa-0000-4000-8000-000000000101', 'youtube', 'https://www.youtube.com/watch?v=abc'),
  ('aaaaaaaa-0000-4000-8000-000000000202', 'aaaaaaaa-0000-4000-8000-000000000101', 'rtmp', 'rtmps://ingest.example.com/live/key123'),
  ('aaaaaaaa-0000-4000-8000-000000000203', 'aaaaaaaa-0000-4000-8000-000000000101', 'hls', 'https://cdn.example.com/live/index.m3u8'),
  ('aaaaaaaa-0000-4000-8000-000000000204', 'aaaaaaaa-0000-4000-8000-000000000101', 'jitsi', 'https://meet.jit.si/discovery');
insert into public.rooms (id, session_id, name, is_main_stage) values
  ('aaaaaaaa-0000-4000-8000-000000000301', 'aaaaaaaa-0000-4000-8000-000000000101', 'Main stage', true),
  ('aaaaaaaa-0000-4000-8000-000000000302', 'aaaaaaaa-0000-4000-8000-000000000102', 'Private room', false);

-- ---------------------------------------------------------------------------------------------
-- Structure
-- ---------------------------------------------------------------------------------------------
select policies_are('public', 'programs', array['deactivated accounts read nothing', 'anyone can read published programs',
  'users can read published programs and their own drafts', 'coaches and admins can create programs',
  'creators and admins can update programs', 'creators and admins can delete programs']);
select policies_are('public', 'events', array['deactivated accounts read nothing', 'anyone can read published events',
  'users can read published events and their own drafts', 'coaches and admins can create events in their programs',
  'creators and admins can update events', 'creators and admins can delete events']);
select policies_are('public', 'sessions', array['deactivated accounts read nothing', 'anyone can read published public sessions',
  'users can read the sessions visible to them', 'coaches and admins can create sessions',
  'hosts can update their sessions', 'hosts can delete their draft sessions']);
select policies_are('public', 'session_staff', array['deactivated accounts read nothing', 'users can read the staff of visible sessions']);
select policies_are('public', 'streams', array['deactivated accounts read nothing', 'members can read the streams of their sessions', 'hosts can add streams',
  'hosts can update streams', 'hosts can delete streams']);
select policies_are('public', 'rooms', array['deactivated accounts read nothing', 'users can read the rooms of visible sessions', 'hosts can add rooms',
  'hosts can update rooms', 'hosts can delete rooms']);
-- Assignments are written only through the breakout-room RPCs (20261121234000_security_hardening.sql).
select policies_are('public', 'room_assignments', array['deactivated accounts read nothing', 'users and session staff can read room assignments']);
select policies_are('public', 'bookings', array['deactivated accounts read nothing', 'users and session hosts and moderators can read bookings']);
-- RLS on every table and the security definer functions open to anon: 00_foundation.test.sql.
select is((select creator.role from public.session_staff creator
           where creator.session_id = 'aaaaaaaa-0000-4000-8000-000000000101' and creator.user_id = tests.get_supabase_uid('host')),
          'host', 'the creator of a session is its host');

-- ---------------------------------------------------------------------------------------------
-- Constraints
-- ---------------------------------------------------------------------------------------------
select throws_ok($$ insert into public.sessions (title, starts_at, capacity) values ('x', now(), 0) $$, '23514', null, 'capacity 0 is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, duration_minutes) values ('x', now(), 4) $$, '23514', null, 'duration 4 is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, duration_minutes) values ('x', now(), 601) $$, '23514', null, 'duration 601 is rejected');
select lives_ok($$ insert into public.sessions (title, starts_at, duration_minutes) values ('x', now(), 5), ('y', now(), 600) $$, 'durations 5 and 600 are accepted');
select throws_ok($$ insert into public.sessions (title, starts_at, phase) values ('x', now(), 5) $$, '23514', null, 'phase 5 is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, timezone) values ('x', now(), 'Mars/Olympus') $$, '23514', null, 'an invalid time zone is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, currency) values ('x', now(), 'eur') $$, '23514', null, 'a lower-case currency is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, price_cents) values ('x', now(), -1) $$, '23514', null, 'a negative price is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, status) values ('x', now(), 'live') $$, '23514', null, 'live without started_at is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, cancel_reason) values ('x', now(), 'why') $$, '23514', null, 'a cancel reason on a draft is rejected');
select throws_ok($$ insert into public.sessions (title, starts_at, program_id, event_id)
                   values ('x', now(), 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000012') $$,
                 '23503', null, 'an event from another program is rejected');
insert into public.sessions (id, title, starts_at, event_id)
values ('aaaaaaaa-0000-4000-8000-000000000190', 'From event', now(), 'aaaaaaaa-0000-4000-8000-000000000012');
select is((select program_id from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000190'), 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
          'a session attached to an event takes the event''s program');
delete from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000190';
select throws_ok($$ insert into public.events (program_id, title, slug, starts_at, ends_at)
                   values ('aaaaaaaa-0000-4000-8000-000000000001', 'x', 'Bad Slug', now(), now() + interval '1 hour') $$,
                 '23514', null, 'a bad slug is rejected');
select throws_ok($$ insert into public.events (program_id, title, slug, starts_at, ends_at)
                   values ('aaaaaaaa-0000-4000-8000-000000000001', 'x', 'double--hyphen', now(), now() + interval '1 hour') $$,
                 '23514', null, 'a slug with a double hyphen is rejected');
select throws_ok($$ insert into public.events (program_id, title, slug, starts_at, ends_at)
                   values ('aaaaaaaa-0000-4000-8000-000000000001', 'x', 'harvest-day', now(), now() + interval '1 hour') $$,
                 '23505', null, 'a duplicate slug is rejected');
select throws_ok($$ insert into public.events (program_id, title, slug, starts_at, ends_at)
                   values ('aaaaaaaa-0000-4000-8000-000000000001', 'x', 'zero-length', now(), now()) $$,
                 '23514', null, 'an event ending at its start is rejected');
select throws_ok($$ insert into public.streams (session_id, source_type, source_url)
                   values ('aaaaaaaa-0000-4000-8000-000000000101', 'youtube', 'rtmp://a.rtmp.youtube.com/live2/key') $$,
                 '23514', null, 'a youtube stream with an rtmp URL is rejected');
select throws_ok($$ insert into public.streams (session_id, source_type, source_url)
                   values ('aaaaaaaa-0000-4000-8000-000000000101', 'hls', 'https://cdn.example.com/live/video.mp4') $$,
                 '23514', null, 'an hls stream without .m3u8 is rejected');
select throws_ok($$ insert into public.streams (session_id, source_type, source_url)
                   values ('aaaaaaaa-0000-4000-8000-000000000101', 'rtmp', 'https://ingest.example.com/live') $$,
                 '23514', null, 'an rtmp stream with an https URL is rejected');
select throws_ok($$ insert into public.rooms (session_id, name, is_main_stage) values ('aaaaaaaa-0000-4000-8000-000000000101', 'Second stage', true) $$,
                 '23505', null, 'a second main stage is rejected');
select throws_ok($$ insert into public.rooms (session_id, name, capacity) values ('aaaaaaaa-0000-4000-8000-000000000101', 'Zero', 0) $$,
                 '23514', null, 'a room of capacity 0 is rejected');
select throws_ok($$ insert into public.bookings (session_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('booked')) $$,
                 '23505', null, 'a second active booking of the same user is rejected');
select lives_ok($$ insert into public.bookings (session_id, user_id, status, cancelled_at)
                  values ('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('booked'), 'cancelled', now()) $$,
                'cancelled bookings do not count against the one-active rule');
select throws_ok($$ insert into public.bookings (session_id, user_id, status) values ('aaaaaaaa-0000-4000-8000-000000000104', tests.get_supabase_uid('booked'), 'waitlisted') $$,
                 '23514', null, 'a waitlisted booking needs a position');
select throws_ok($$ insert into public.bookings (session_id, user_id, waitlist_position) values ('aaaaaaaa-0000-4000-8000-000000000104', tests.get_supabase_uid('booked'), 1) $$,
                 '23514', null, 'a confirmed booking has no waitlist position');

-- ---------------------------------------------------------------------------------------------
-- Reading sessions
-- ---------------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select set_eq($$ select id from public.sessions where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%' $$,
              $$ values ('aaaaaaaa-0000-4000-8000-000000000101'::uuid), ('aaaaaaaa-0000-4000-8000-000000000106'), ('aaaaaaaa-0000-4000-8000-000000000107') $$,
              'anon reads only published public sessions');
select is(tests.error_code($$ select * from public.sessions $$), null, 'anon selects * from sessions (no meeting details in it)');
select set_eq($$ select id from public.session_cards where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%' $$,
              $$ values ('aaaaaaaa-0000-4000-8000-000000000101'::uuid), ('aaaaaaaa-0000-4000-8000-000000000106'), ('aaaaaaaa-0000-4000-8000-000000000107') $$,
              'anon reads the cards of published public sessions only');
select is((select jsonb_build_object('host', host_name, 'booked', booked_count, 'left', seats_left)
           from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          '{"host": "Hanna Host", "booked": 2, "left": 0}'::jsonb, 'anon sees the host name and seats left');
select is((select jsonb_build_object('mine', my_booking_status, 'join', can_join, 'edit', can_edit, 'reminder', has_reminder)
           from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000107'),
          '{"mine": null, "join": false, "edit": false, "reminder": false}'::jsonb, 'anon has no relation to a live session and cannot join');
select is(tests.error_code($$ select public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000101') $$), '42501', 'anon cannot call session_meeting_details');
select is(tests.error_code($$ select id from public.bookings $$), '42501', 'anon cannot read bookings');
select is(tests.error_code($$ select id from public.streams $$), '42501', 'anon cannot read streams');
select is(tests.error_code($$ insert into public.sessions (title, starts_at) values ('x', now()) $$), '42501', 'anon cannot create sessions');
select is(tests.error_code($$ update public.sessions set title = 'x' where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501', 'anon cannot update sessions');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), '42501', 'anon cannot call publish_session');

select tests.authenticate_as('outsider');
select set_eq($$ select id from public.sessions where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%' $$,
              $$ values ('aaaaaaaa-0000-4000-8000-000000000101'::uuid), ('aaaaaaaa-0000-4000-8000-000000000104'),
                        ('aaaaaaaa-0000-4000-8000-000000000106'), ('aaaaaaaa-0000-4000-8000-000000000107') $$,
              'an outsider reads published public and members sessions, no drafts, no private ones');
select is(tests.error_code($$ select * from public.sessions $$), null, 'an outsider selects * from sessions');
select is((select count(*)::int from public.session_secrets), 0, 'an outsider reads no meeting details');
select is(tests.error_code($$ select public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000101') $$), 'forbidden',
          'session_meeting_details: forbidden for an outsider of a visible session');
select is(tests.error_code($$ select public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000102') $$), 'not_found',
          'session_meeting_details: not_found for an invisible private session');
select is((select count(*)::int from public.session_staff where session_id = 'aaaaaaaa-0000-4000-8000-000000000102'), 0,
          'an outsider cannot read the staff of a private session');
select is((select count(*)::int from public.rooms where session_id = 'aaaaaaaa-0000-4000-8000-000000000102'), 0,
          'an outsider cannot read the rooms of a private session');
select is((select count(*)::int from public.rooms where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 1,
          'an outsider reads the rooms of a visible session');
select is((select count(*)::int from public.streams), 0, 'an outsider reads no streams of sessions they are not a member of');
select is((select array_agg(status) from public.bookings), '{cancelled}'::text[], 'an outsider reads only their own bookings');

select tests.authenticate_as('booked');
select set_eq($$ select id from public.sessions where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%' $$,
              $$ values ('aaaaaaaa-0000-4000-8000-000000000101'::uuid), ('aaaaaaaa-0000-4000-8000-000000000102'), ('aaaaaaaa-0000-4000-8000-000000000104'),
                        ('aaaaaaaa-0000-4000-8000-000000000106'), ('aaaaaaaa-0000-4000-8000-000000000107') $$,
              'a booked member also reads the private session they booked');
select is(public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000101'),
          jsonb_build_object('session_id', 'aaaaaaaa-0000-4000-8000-000000000101', 'meeting_url', 'https://meet.example.com/pub', 'meeting_password', 'secret-pub'),
          'a confirmed member gets the meeting details');
select is((select array_agg(meeting_url order by meeting_url) from public.session_secrets), array['https://meet.example.com/priv', 'https://meet.example.com/pub'],
          'a confirmed member reads the meeting details of their booked sessions in session_secrets');
select set_eq($$ select source_type from public.streams $$, $$ values ('youtube'), ('hls'), ('jitsi') $$,
              'a confirmed member reads the streams of their session except the rtmp ingest');
select is((select count(*)::int from public.bookings), 3, 'a member reads only their own bookings (two active, one cancelled)');
select is((select count(*)::int from public.session_staff where session_id = 'aaaaaaaa-0000-4000-8000-000000000102'), 2,
          'a booked member reads the staff of the private session');
select is(tests.error_code($$ insert into public.bookings (session_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000104', auth.uid()) $$), '42501',
          'a member cannot insert bookings directly');
select is(tests.error_code($$ update public.bookings set status = 'cancelled' where user_id = auth.uid() $$), '42501',
          'a member cannot update bookings directly');
select is(tests.error_code($$ delete from public.bookings where user_id = auth.uid() $$), '42501',
          'a member cannot delete bookings directly');
select is(tests.error_code($$ insert into public.session_staff (session_id, user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000101', auth.uid(), 'host') $$), '42501',
          'a member cannot make themselves staff');

select tests.authenticate_as('waitlisted');
select is(tests.error_code($$ select public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000101') $$), 'forbidden',
          'session_meeting_details: forbidden for a waitlisted member');
select is((select count(*)::int from public.streams), 0, 'a waitlisted member reads no streams');

select tests.authenticate_as('moderator');
select ok(exists (select 1 from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103'), 'a moderator reads the draft they staff');
select is(public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000102') ->> 'meeting_url', 'https://meet.example.com/priv',
          'a moderator gets the meeting details');
select is((select count(*)::int from public.streams where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 4, 'staff read every stream, rtmp included');
select is((select count(*)::int from public.bookings where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 5,
          'a moderator reads every booking of their session');

select tests.authenticate_as('host');
select is(public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000103') ->> 'meeting_url', 'https://meet.example.com/draft',
          'a host gets the meeting details');
select is((select count(*)::int from public.bookings where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 5,
          'a host reads every booking of their session');

select tests.authenticate_as('coach');
select ok(not exists (select 1 from public.sessions where id in ('aaaaaaaa-0000-4000-8000-000000000102', 'aaaaaaaa-0000-4000-8000-000000000103')),
          'a coach who is not staff reads neither the private session nor the draft');
select is((select count(*)::int from public.bookings where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 0,
          'a coach who is not staff reads no bookings of the session');

select tests.authenticate_as('admin');
select is((select count(*)::int from public.sessions where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%'), 7, 'an admin reads every session');
select is(tests.error_code($$ select public.session_meeting_details('aaaaaaaa-0000-4000-8000-000000000102') $$), null,
          'an admin who is not staff gets the meeting details (admin powers pass host checks; 75_admin_powers)');

select tests.authenticate_as_service_role();
select is((select meeting_url from public.session_secrets where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 'https://meet.example.com/pub',
          'service_role reads meeting_url');
select is((select count(*)::int from public.bookings where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 5, 'service_role reads every booking');

-- ---------------------------------------------------------------------------------------------
-- Creating, editing and deleting sessions
-- ---------------------------------------------------------------------------------------------
select tests.authenticate_as('outsider');
select is(tests.error_code($$ insert into public.sessions (title, starts_at) values ('Mine', now() + interval '1 day') $$), '42501',
          'a member cannot create a session');
select tests.authenticate_as('coach');
select is(tests.error_code($$ insert into public.sessions (id, title, starts_at) values ('aaaaaaaa-0000-4000-8000-000000000199', 'x', now()) $$), '42501',
          'a coach cannot choose the id');
select lives_ok($$ insert into public.sessions (title, starts_at, visibility) values ('Coach draft', now() + interval '1 day', 'private') returning id, title, status $$,
                'a coach creates a session and reads it back');
select is((select array[s.status, st.role, (s.created_by = auth.uid())::text] from public.sessions s
           join public.session_staff st on st.session_id = s.id and st.user_id = auth.uid() where s.title = 'Coach draft'),
          array['draft', 'host', 'true'], 'the new session is a draft created by the coach, who is its host');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, created_by) values ('x', now(), tests.get_supabase_uid('host')) $$), '42501',
          'a coach cannot write created_by');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, status) values ('x', now(), 'scheduled') $$), '42501',
          'a coach cannot write status');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, sequence) values ('x', now(), 7) $$), '42501',
          'a coach cannot write sequence');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, started_at) values ('x', now(), now()) $$), '42501',
          'a coach cannot write started_at');
select tests.authenticate_as('admin');
select lives_ok($$ insert into public.sessions (title, starts_at) values ('Admin session', now() + interval '1 day') $$, 'an admin creates a session');

select tests.authenticate_as('host');
select lives_ok($$ update public.sessions set title = 'Live Q&A: Discovery Technieken (NL)', chat_rate_limit = 3
                  where id = 'aaaaaaaa-0000-4000-8000-000000000101';
                  update public.session_secrets set meeting_url = 'https://meet.example.com/pub2'
                  where session_id = 'aaaaaaaa-0000-4000-8000-000000000101' $$, 'a host edits their session and its meeting details');
select is(tests.error_code($$ update public.sessions set status = 'live' where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501', 'a host cannot write status');
select is(tests.error_code($$ update public.sessions set sequence = 9 where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501', 'a host cannot write sequence');
select is(tests.error_code($$ update public.sessions set created_by = auth.uid() where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501', 'a host cannot write created_by');
select is(tests.error_code($$ update public.sessions set started_at = now() where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501', 'a host cannot write started_at');
select is(tests.error_code($$ update public.sessions set starts_at = now() where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501',
          'a host moves a session only through reschedule_session');
select is(tests.error_code($$ update public.sessions set program_id = 'aaaaaaaa-0000-4000-8000-000000000002' where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), 'forbidden',
          'a host cannot move a session into another coach''s program');
select is(tests.error_code($$ delete from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), null, 'deleting a scheduled session does not raise');
select tests.clear_authentication();
select is((select array[title, chat_rate_limit::text, meeting_url] from public.sessions s join public.session_secrets ss on ss.session_id = s.id
           where s.id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          array['Live Q&A: Discovery Technieken (NL)', '3', 'https://meet.example.com/pub2'], 'the host''s edit is stored, and the scheduled session was not deleted');

select tests.authenticate_as('moderator');
update public.sessions set title = 'hijacked' where id = 'aaaaaaaa-0000-4000-8000-000000000101';
delete from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103';
select tests.authenticate_as('coach');
update public.sessions set title = 'hijacked' where id = 'aaaaaaaa-0000-4000-8000-000000000101';
select tests.authenticate_as('booked');
update public.sessions set title = 'hijacked' where id = 'aaaaaaaa-0000-4000-8000-000000000101';
delete from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103';
select tests.clear_authentication();
select is((select title from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000101'), 'Live Q&A: Discovery Technieken (NL)',
          'moderator, other coach and member edits change nothing (an admin''s would: 75_admin_powers)');
select ok(exists (select 1 from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103'), 'moderator and member deletes change nothing');
select tests.authenticate_as('host');
delete from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103';
select tests.clear_authentication();
select ok(not exists (select 1 from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103'), 'a host deletes their draft');

-- ---------------------------------------------------------------------------------------------
-- Staff management
-- ---------------------------------------------------------------------------------------------
select tests.authenticate_as('host');
select is((public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('coach'), 'speaker')).role, 'speaker',
          'a host adds a speaker');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('coach'), 'owner') $$),
          'invalid_input', 'add_session_staff rejects an unknown role');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', gen_random_uuid(), 'speaker') $$),
          'not_found', 'add_session_staff: not_found for an unknown user');
select is(tests.error_code($$ select public.remove_session_staff('aaaaaaaa-0000-4000-8000-000000000101', auth.uid()) $$),
          'conflict', 'the last host cannot remove themselves');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', auth.uid(), 'moderator') $$),
          'conflict', 'the last host cannot demote themselves');
select is(tests.error_code($$ select public.remove_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('outsider')) $$),
          'not_found', 'remove_session_staff: not_found for a user who is not staff');
select is(tests.error_code($$ update public.session_staff set role = 'host' where session_id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501',
          'even a host cannot update session_staff directly');
select is(tests.error_code($$ delete from public.session_staff where session_id = 'aaaaaaaa-0000-4000-8000-000000000101' $$), '42501',
          'even a host cannot delete from session_staff directly');
select tests.authenticate_as('moderator');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('outsider'), 'moderator') $$),
          'forbidden', 'a moderator cannot add staff');
select is(tests.error_code($$ select public.remove_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('coach')) $$),
          'forbidden', 'a moderator cannot remove staff');
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000102', auth.uid(), 'host') $$),
          'not_found', 'an outsider cannot even see the private session to staff it');
select is(tests.error_code($$ select public.add_session_staff('aaaaaaaa-0000-4000-8000-000000000101', auth.uid(), 'host') $$),
          'forbidden', 'an outsider cannot make themselves host of a visible session');
select tests.authenticate_as('host');
select is((public.remove_session_staff('aaaaaaaa-0000-4000-8000-000000000101', tests.get_supabase_uid('coach'))).role, 'speaker',
          'a host removes a speaker');
select tests.clear_authentication();
select is((select count(*)::int from public.session_staff where session_id = 'aaaaaaaa-0000-4000-8000-000000000101'), 2,
          'the staff of the session is back to host and moderator');

-- ---------------------------------------------------------------------------------------------
-- Streams, rooms, room assignments
-- ---------------------------------------------------------------------------------------------
select tests.authenticate_as('host');
select lives_ok($$ insert into public.streams (session_id, source_type, source_url) values ('aaaaaaaa-0000-4000-8000-000000000101', 'youtube', 'https://youtu.be/xyz') $$,
                'a host adds a stream');
select lives_ok($$ update public.streams set status = 'live' where id = 'aaaaaaaa-0000-4000-8000-000000000201' $$, 'a host updates a stream');
select lives_ok($$ insert into public.rooms (session_id, name, topic) values ('aaaaaaaa-0000-4000-8000-000000000101', 'Breakout A', 'Objections') $$,
                'a host adds a room');
select tests.authenticate_as('moderator');
select is(tests.error_code($$ insert into public.streams (session_id, source_type, source_url) values ('aaaaaaaa-0000-4000-8000-000000000101', 'jitsi', 'https://meet.jit.si/x') $$),
          '42501', 'a moderator cannot add streams');
select is(tests.error_code($$ insert into public.rooms (session_id, name) values ('aaaaaaaa-0000-4000-8000-000000000101', 'Mod room') $$),
          '42501', 'a moderator cannot add rooms');
update public.streams set status = 'ended' where id = 'aaaaaaaa-0000-4000-8000-000000000201';
delete from public.streams where id = 'aaaaaaaa-0000-4000-8000-000000000203';
delete from public.rooms where id = 'aaaaaaaa-0000-4000-8000-000000000301';
select lives_ok($$ select public.assign_room('aaaaaaaa-0000-4000-8000-000000000301', tests.get_supabase_uid('booked')) $$,
                'a moderator assigns a member to a room');
select is(tests.error_code($$ insert into public.room_assignments (room_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000301', tests.get_supabase_uid('other_booked')) $$),
          '42501', 'nobody inserts room assignments directly, not even staff');
select tests.authenticate_as('outsider');
update public.streams set status = 'ended' where id = 'aaaaaaaa-0000-4000-8000-000000000201';
update public.rooms set name = 'hijacked' where id = 'aaaaaaaa-0000-4000-8000-000000000301';
select is(tests.error_code($$ insert into public.room_assignments (room_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000301', auth.uid()) $$),
          '42501', 'an outsider cannot assign themselves to a room');
select is((select count(*)::int from public.room_assignments), 0, 'an outsider reads no room assignments of others');
select tests.authenticate_as('booked');
select is((select count(*)::int from public.room_assignments where user_id = auth.uid()), 1, 'a member reads their own room assignment');
select is(tests.error_code($$ delete from public.room_assignments $$), '42501', 'a member cannot delete room assignments');
select tests.clear_authentication();
select is((select status from public.streams where id = 'aaaaaaaa-0000-4000-8000-000000000201'), 'live', 'moderator and outsider stream updates change nothing');
select ok(exists (select 1 from public.streams where id = 'aaaaaaaa-0000-4000-8000-000000000203')
          and exists (select 1 from public.rooms where id = 'aaaaaaaa-0000-4000-8000-000000000301' and name = 'Main stage')
          and exists (select 1 from public.room_assignments where room_id = 'aaaaaaaa-0000-4000-8000-000000000301'),
          'moderator deletes of streams and rooms, outsider room edits and member unassignments change nothing');
select tests.authenticate_as('host');
delete from public.streams where id = 'aaaaaaaa-0000-4000-8000-000000000203';
select tests.clear_authentication();
select ok(not exists (select 1 from public.streams where id = 'aaaaaaaa-0000-4000-8000-000000000203'), 'a host deletes a stream');

-- ---------------------------------------------------------------------------------------------
-- Lifecycle
-- ---------------------------------------------------------------------------------------------
create function tests.last_status_broadcast(session_id uuid) returns jsonb
language sql as $$
  select jsonb_build_object('count', count(*), 'private', bool_and(m.private), 'extension', min(m.extension),
                            'payload', (array_agg(m.payload order by m.inserted_at desc, m.payload ->> 'sequence' desc))[1])
  from realtime.messages m
  where m.topic = 'session:' || session_id::text and m.event = 'session_status';
$$;

select tests.authenticate_as('host');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'draft -> live is illegal');
select is(tests.error_code($$ select public.end_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'draft -> ended is illegal');
select is(tests.error_code($$ select public.cancel_session('aaaaaaaa-0000-4000-8000-000000000105', 'no') $$), 'invalid_transition', 'draft -> cancelled is illegal');
select tests.authenticate_as('moderator');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'forbidden', 'a moderator cannot publish');
select is(tests.error_code($$ select public.cancel_session('aaaaaaaa-0000-4000-8000-000000000106', 'no') $$), 'forbidden', 'a moderator cannot cancel');
select tests.authenticate_as('outsider');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'not_found', 'an outsider cannot see the draft to publish it');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000106') $$), 'forbidden', 'an outsider cannot start a visible session');
select tests.authenticate_as('coach');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000106') $$), 'forbidden', 'a coach who is not host cannot start a session');

select tests.authenticate_as('host');
select is((select array[status, sequence::text] from public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() + interval '8 days', 90)),
          array['draft', '1'], 'a host reschedules a draft (sequence 1)');
select is((select array[status, sequence::text] from public.publish_session('aaaaaaaa-0000-4000-8000-000000000105')),
          array['scheduled', '2'], 'draft -> scheduled (sequence 2)');
select tests.clear_authentication();
select is(tests.last_status_broadcast('aaaaaaaa-0000-4000-8000-000000000105') - 'payload',
          '{"count": 2, "private": true, "extension": "broadcast"}'::jsonb, 'reschedule and publish each broadcast one private session_status');
select is((select array_agg(k order by k) from jsonb_object_keys((tests.last_status_broadcast('aaaaaaaa-0000-4000-8000-000000000105') -> 'payload') - 'id') k),
          array['duration_minutes', 'sequence', 'session_id', 'starts_at', 'status'], 'the session_status payload is curated (no meeting_url)');
select is(tests.last_status_broadcast('aaaaaaaa-0000-4000-8000-000000000105') -> 'payload' -> 'status', '"scheduled"', 'the broadcast carries the new status');
select tests.authenticate_as('host');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'scheduled -> scheduled is illegal');
select is(tests.error_code($$ select public.end_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'scheduled -> ended is illegal');
select is(tests.error_code($$ select public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() - interval '1 hour') $$), 'invalid_input',
          'rescheduling into the past is rejected');
select is(tests.error_code($$ select public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() + interval '1 day', 4) $$), 'invalid_input',
          'rescheduling to a 4 minute duration is rejected');
select is((select array[status, sequence::text, duration_minutes::text] from public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() + interval '9 days')),
          array['scheduled', '3', '90'], 'a host reschedules a scheduled session, keeping the duration (sequence 3)');
select is((select array[status, sequence::text, (started_at is not null)::text] from public.start_session('aaaaaaaa-0000-4000-8000-000000000105')),
          array['live', '4', 'true'], 'scheduled -> live sets started_at (sequence 4)');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'live -> scheduled is illegal');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'live -> live is illegal');
select is(tests.error_code($$ select public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() + interval '1 day') $$), 'invalid_transition',
          'a live session cannot be rescheduled');
select is((select array[status, sequence::text, (ended_at >= started_at)::text] from public.end_session('aaaaaaaa-0000-4000-8000-000000000105')),
          array['ended', '5', 'true'], 'live -> ended sets ended_at (sequence 5)');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'ended -> scheduled is illegal');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'ended -> live is illegal');
select is(tests.error_code($$ select public.end_session('aaaaaaaa-0000-4000-8000-000000000105') $$), 'invalid_transition', 'ended -> ended is illegal');
select is(tests.error_code($$ select public.cancel_session('aaaaaaaa-0000-4000-8000-000000000105', 'late') $$), 'invalid_transition', 'ended -> cancelled is illegal');
select is(tests.error_code($$ select public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000105', now() + interval '1 day') $$), 'invalid_transition',
          'an ended session cannot be rescheduled');
select tests.clear_authentication();
select is((select jsonb_build_object('count', b -> 'count', 'status', b -> 'payload' -> 'status', 'sequence', b -> 'payload' -> 'sequence')
           from tests.last_status_broadcast('aaaaaaaa-0000-4000-8000-000000000105') b),
          '{"count": 5, "status": "ended", "sequence": 5}'::jsonb, 'each legal transition broadcast once; illegal ones did not');

select tests.authenticate_as('host');
select is((select array[status, sequence::text, cancel_reason] from public.cancel_session('aaaaaaaa-0000-4000-8000-000000000106', '  Spreker ziek  ')),
          array['cancelled', '1', 'Spreker ziek'], 'scheduled -> cancelled stores the trimmed reason (sequence 1)');
select is((select array[status, sequence::text] from public.cancel_session('aaaaaaaa-0000-4000-8000-000000000107', null)),
          array['cancelled', '1'], 'live -> cancelled');
select is(tests.error_code($$ select public.publish_session('aaaaaaaa-0000-4000-8000-000000000106') $$), 'invalid_transition', 'cancelled -> scheduled is illegal');
select is(tests.error_code($$ select public.start_session('aaaaaaaa-0000-4000-8000-000000000106') $$), 'invalid_transition', 'cancelled -> live is illegal');
select is(tests.error_code($$ select public.end_session('aaaaaaaa-0000-4000-8000-000000000106') $$), 'invalid_transition', 'cancelled -> ended is illegal');
select is(tests.error_code($$ select public.cancel_session('aaaaaaaa-0000-4000-8000-000000000106', 'again') $$), 'invalid_transition', 'cancelled -> cancelled is illegal');
select is(tests.error_code($$ select public.reschedule_session('aaaaaaaa-0000-4000-8000-000000000106', now() + interval '1 day') $$), 'invalid_transition',
          'a cancelled session cannot be rescheduled');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select is((select array[status, host_name] from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000106'),
          array['cancelled', 'Hanna Host'], 'visitors still see a cancelled public session (and its host), as cancelled');
select is((select count(*)::int from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000103'), 0,
          'but never a draft');
select tests.clear_authentication();
select is((select b -> 'payload' ->> 'status' from tests.last_status_broadcast('aaaaaaaa-0000-4000-8000-000000000106') b), 'cancelled',
          'cancelling broadcasts session_status');
select is((select count(*)::int from realtime.messages where topic = 'session:aaaaaaaa-0000-4000-8000-000000000101'
           and event = 'session_status'), 0,
          'editing the title does not broadcast a status');
select tests.authenticate_as('booked');
select ok(exists (select 1 from public.sessions where id = 'aaaaaaaa-0000-4000-8000-000000000106' and status = 'cancelled'),
          'members still read a cancelled session');

-- ---------------------------------------------------------------------------------------------
-- session_cards
-- ---------------------------------------------------------------------------------------------
select tests.authenticate_as('booked');
select is((select jsonb_build_object('booked', booked_count, 'left', seats_left, 'mine', my_booking_status, 'join', can_join,
                                     'edit', can_edit, 'host', host_name, 'ends', ends_at = starts_at + interval '60 minutes')
           from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          '{"booked": 2, "left": 0, "mine": "confirmed", "join": true, "edit": false, "host": "Hanna Host", "ends": true}'::jsonb,
          'session_cards for a confirmed member: counts, seats left, can join 10 minutes before the start');
select is((select my_booking_status from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000102'), 'confirmed',
          'a booked member sees the private session in session_cards');
select tests.authenticate_as('waitlisted');
select is((select jsonb_build_object('mine', my_booking_status, 'join', can_join) from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          '{"mine": "waitlisted", "join": true}'::jsonb, 'a waitlisted member can join a public session, like anyone signed in (join_session)');
select tests.authenticate_as('outsider');
select is((select jsonb_build_object('mine', my_booking_status, 'join', can_join, 'edit', can_edit, 'booked', booked_count)
           from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          '{"mine": "cancelled", "join": true, "edit": false, "booked": 2}'::jsonb, 'an outsider sees the counts and their cancelled booking, and may join a public session');
select is((select can_join from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000104'), false,
          'an outsider cannot join a members-only session');
select ok(not exists (select 1 from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000102'), 'the private session is not a card for an outsider');
select is((select seats_left from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000104'), null::int, 'unlimited capacity has no seats_left');
select is((select count(*)::int from (select id from public.session_cards where id::text like 'aaaaaaaa-0000-4000-8000-0000000001%' order by starts_at limit 2 offset 1) p), 2,
          'session_cards paginates');
select tests.authenticate_as('host');
select is((select jsonb_build_object('join', can_join, 'edit', can_edit, 'mine', my_booking_status)
           from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'),
          '{"join": true, "edit": true, "mine": null}'::jsonb, 'a host can edit and join');
select tests.authenticate_as('moderator');
select is((select can_edit from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000101'), false, 'a moderator cannot edit');
select is((select can_join from public.session_cards where id = 'aaaaaaaa-0000-4000-8000-000000000104'), false,
          'nobody can join a session that starts in days');
select tests.clear_authentication();

-- Start times: finite, and not already past when a draft is published.
select tests.authenticate_as('coach');
select is(tests.error_code($$ insert into public.sessions (title, starts_at) values ('Forever', 'infinity') $$), 'invalid_input',
          'an infinite start time is invalid_input');
insert into public.sessions (title, starts_at) values ('Old draft', now() - interval '2 years') returning id as old_draft \gset
select is(tests.error_code(format('select public.publish_session(%L)', :'old_draft')), 'invalid_input',
          'a draft whose start has passed cannot be published');
select is(tests.error_code(format($$ select public.reschedule_session(%L, 'infinity') $$, :'old_draft')), 'invalid_input',
          'nor rescheduled to an infinite time');
select tests.clear_authentication();

-- The creator reads their new session back at once, but not once a co-host removed them from its staff.
select tests.authenticate_as('coach');
insert into public.sessions (title, starts_at, visibility)
values ('Board meeting', now() + interval '1 day', 'private') returning id as board \gset
select isnt(:'board'::uuid, null, 'the creator reads the new row back (insert ... returning)');
select (public.add_session_staff(:'board', tests.get_supabase_uid('host'), 'host')).role;
select tests.authenticate_as('host');
select (public.remove_session_staff(:'board', tests.get_supabase_uid('coach'))).user_id is not null as removed;
select tests.authenticate_as('coach');
select is((select count(*)::int from public.sessions where id = :'board'), 0,
          'a creator removed from the staff no longer reads the private session');
select is((select count(*)::int from public.session_cards where id = :'board'), 0, 'nor its card');
select tests.clear_authentication();

select * from finish();
rollback;
