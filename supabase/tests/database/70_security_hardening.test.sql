-- Security hardening (20261121234000_security_hardening.sql): meeting details only for staff and
-- confirmed bookings (not walk-ins, waitlisted or banned users), calendar feeds drop sessions that
-- turned private or banned their reader, sessions attach only to the caller's own events and
-- programs, banned users read no streams/polls/questions/surveys, room assignments only through
-- the RPCs.
begin;
\ir ../helpers.sql
select plan(27);

select tests.create_supabase_user('host');
select tests.create_supabase_user('other_coach');
select tests.create_supabase_user('booked');
select tests.create_supabase_user('waitlisted');
select tests.create_supabase_user('walkin');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('reminder_only');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('host'), tests.get_supabase_uid('other_coach'));

insert into public.programs (id, name, status, created_by) values
  ('bbbbbbbb-0000-4000-8000-000000000001', 'Host program', 'live', tests.get_supabase_uid('host')),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'Other program', 'live', tests.get_supabase_uid('other_coach'));
insert into public.events (id, program_id, title, slug, status, starts_at, ends_at, created_by) values
  ('bbbbbbbb-0000-4000-8000-000000000011', 'bbbbbbbb-0000-4000-8000-000000000001', 'Host event', 'host-event-hardening', 'live',
   now(), now() + interval '1 day', tests.get_supabase_uid('host'));
insert into public.sessions (id, title, starts_at, status, started_at, visibility, capacity, waitlist_enabled,
                             created_by) values
  ('bbbbbbbb-0000-4000-8000-000000000101', 'Live public workshop', now() - interval '5 minutes', 'live', now() - interval '5 minutes',
   'public', 1, true, tests.get_supabase_uid('host')),
  ('bbbbbbbb-0000-4000-8000-000000000102', 'Members session', now() + interval '3 days', 'scheduled', null,
   'members', null, false, tests.get_supabase_uid('host'));
insert into public.session_secrets (session_id, meeting_url, meeting_password) values
  ('bbbbbbbb-0000-4000-8000-000000000101', 'https://zoom.example/j/SECRET', 'pw123');
insert into public.bookings (session_id, user_id, status, waitlist_position) values
  ('bbbbbbbb-0000-4000-8000-000000000101', tests.get_supabase_uid('booked'), 'confirmed', null),
  ('bbbbbbbb-0000-4000-8000-000000000101', tests.get_supabase_uid('waitlisted'), 'waitlisted', 1),
  ('bbbbbbbb-0000-4000-8000-000000000101', tests.get_supabase_uid('banned'), 'confirmed', null);
insert into public.session_bans (session_id, user_id, reason, banned_by) values
  ('bbbbbbbb-0000-4000-8000-000000000101', tests.get_supabase_uid('banned'), 'spam', tests.get_supabase_uid('host'));
insert into public.streams (session_id, source_type, source_url) values
  ('bbbbbbbb-0000-4000-8000-000000000101', 'hls', 'https://cdn.example.com/live/stream.m3u8');
insert into public.polls (id, session_id, question, kind, max_choices, status, opened_at, created_by) values
  ('bbbbbbbb-0000-4000-8000-000000000201', 'bbbbbbbb-0000-4000-8000-000000000101', 'Ready?', 'single', 1, 'open', now(),
   tests.get_supabase_uid('host'));
insert into public.poll_options (poll_id, label, position) values
  ('bbbbbbbb-0000-4000-8000-000000000201', 'Yes', 1), ('bbbbbbbb-0000-4000-8000-000000000201', 'No', 2);
insert into public.rooms (id, session_id, name) values
  ('bbbbbbbb-0000-4000-8000-000000000301', 'bbbbbbbb-0000-4000-8000-000000000101', 'Breakout');

-- Meeting details ------------------------------------------------------------------------------
select tests.authenticate_as('host');
select is(public.session_meeting_details('bbbbbbbb-0000-4000-8000-000000000101') ->> 'meeting_password', 'pw123',
          'the host gets the meeting details');
select tests.authenticate_as('booked');
select is(public.session_meeting_details('bbbbbbbb-0000-4000-8000-000000000101') ->> 'meeting_url', 'https://zoom.example/j/SECRET',
          'a confirmed booking gets the meeting details');
select tests.authenticate_as('walkin');
select ok(public.join_session('bbbbbbbb-0000-4000-8000-000000000101') is not null, 'a walk-in joins the public live session');
select is(tests.error_code($$ select public.session_meeting_details('bbbbbbbb-0000-4000-8000-000000000101') $$), 'forbidden',
          'a walk-in viewer without a seat gets no meeting details');
select tests.authenticate_as('waitlisted');
select is(tests.error_code($$ select public.session_meeting_details('bbbbbbbb-0000-4000-8000-000000000101') $$), 'forbidden',
          'a waitlisted user gets no meeting details');
select tests.authenticate_as('banned');
select is(tests.error_code($$ select public.session_meeting_details('bbbbbbbb-0000-4000-8000-000000000101') $$), 'banned',
          'a banned user with a confirmed booking gets no meeting details');

-- Banned readers -------------------------------------------------------------------------------
select is((select count(*)::int from public.streams where session_id = 'bbbbbbbb-0000-4000-8000-000000000101'), 0,
          'a banned user reads no stream of the session');
select is((select count(*)::int from public.polls where session_id = 'bbbbbbbb-0000-4000-8000-000000000101'), 0,
          'a banned user reads no poll of the session');
select is(tests.error_code($$ select * from public.poll_results('bbbbbbbb-0000-4000-8000-000000000201') $$), 'not_found',
          'a banned user gets no poll results');
select tests.authenticate_as('booked');
select is((select count(*)::int from public.streams where session_id = 'bbbbbbbb-0000-4000-8000-000000000101'), 1,
          'a confirmed member reads the stream');
select is((select count(*)::int from public.poll_results('bbbbbbbb-0000-4000-8000-000000000201')), 2,
          'a confirmed member gets the poll results');

-- Room assignments only through the RPCs -----------------------------------------------------
select tests.authenticate_as('host');
select is(tests.error_code($$ insert into public.room_assignments (room_id, user_id)
                              values ('bbbbbbbb-0000-4000-8000-000000000301', tests.get_supabase_uid('walkin')) $$), '42501',
          'even a host cannot insert an assignment directly');
select lives_ok($$ select public.assign_room('bbbbbbbb-0000-4000-8000-000000000301', tests.get_supabase_uid('booked')) $$,
                'a host assigns a member through assign_room');
select is(tests.error_code($$ select public.assign_room('bbbbbbbb-0000-4000-8000-000000000301', tests.get_supabase_uid('waitlisted')) $$),
          'invalid_input', 'assign_room refuses someone who is not a member (waitlisted, never joined)');

-- Sessions attach only to the caller's own events and programs --------------------------------
select tests.authenticate_as('other_coach');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, event_id) values ('Injected', now() + interval '2 days',
                              'bbbbbbbb-0000-4000-8000-000000000011') $$), 'forbidden',
          'a coach cannot add a session to another coach''s event');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, program_id) values ('Injected', now() + interval '2 days',
                              'bbbbbbbb-0000-4000-8000-000000000001') $$), 'forbidden',
          'a coach cannot add a session to another coach''s program');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, program_id) values ('Mine', now() + interval '2 days',
                              'bbbbbbbb-0000-4000-8000-000000000002') $$), null,
          'a coach adds a session to their own program');
select tests.authenticate_as('host');
select is(tests.error_code($$ insert into public.sessions (title, starts_at, event_id) values ('In my event', now() + interval '2 days',
                              'bbbbbbbb-0000-4000-8000-000000000011') $$), null,
          'a coach adds a session to their own event (the program follows from the event)');
select is(tests.error_code($$ update public.sessions set title = 'Renamed' where id = 'bbbbbbbb-0000-4000-8000-000000000102' $$), null,
          'editing other columns is not affected');
select is(tests.error_code($$ update public.sessions set program_id = 'bbbbbbbb-0000-4000-8000-000000000002'
                              where id = 'bbbbbbbb-0000-4000-8000-000000000102' $$), 'forbidden',
          'a host cannot move a session into another coach''s program');

-- Calendar feeds follow visibility and bans ---------------------------------------------------
select tests.authenticate_as('reminder_only');
select lives_ok($$ select public.set_reminder('bbbbbbbb-0000-4000-8000-000000000102', 30) $$,
                'a signed-in user sets a reminder on a members session without booking');
create temporary table feed_token on commit drop as select public.create_calendar_feed() ->> 'token' as token;
select tests.authenticate_as('banned');
create temporary table banned_token on commit drop as select public.create_calendar_feed() ->> 'token' as token;
select tests.clear_authentication();
select is((select count(*)::int from public.calendar_feed_events((select token from feed_token))
           where session_id = 'bbbbbbbb-0000-4000-8000-000000000102'), 1, 'the reminded session is in the feed');
update public.sessions set visibility = 'private' where id = 'bbbbbbbb-0000-4000-8000-000000000102';
select is((select count(*)::int from public.calendar_feed_events((select token from feed_token))
           where session_id = 'bbbbbbbb-0000-4000-8000-000000000102'), 0,
          'a session that turned private leaves the feed of a user who only set a reminder');
select is((select count(*)::int from public.calendar_feed_events((select token from banned_token))
           where session_id = 'bbbbbbbb-0000-4000-8000-000000000101'), 0,
          'a banned user''s feed drops the session they are banned from');

-- private.session_card (session_cards' helper, executable by anon): the host only for a readable
-- session, the caller's own relation only, a ban only for the banned caller.
select tests.authenticate_as_anon();
select results_eq($$ select host_id is not null, booked_count, staff_role, booking_status, has_reminder, banned
                     from private.session_card('bbbbbbbb-0000-4000-8000-000000000101') $$,
                  $$ values (true, 2, null::text, null::text, false, false) $$,
                  'session_card gives anon the host and seats of a public session, and no relation');
select is((select host_id from private.session_card('bbbbbbbb-0000-4000-8000-000000000102')), null,
          'session_card gives anon no host for a members-only session');
select tests.authenticate_as('banned');
select results_eq($$ select booking_status, banned from private.session_card('bbbbbbbb-0000-4000-8000-000000000101') $$,
                  $$ values ('confirmed'::text, true) $$, 'session_card tells a banned user their booking and their ban');
select tests.clear_authentication();

select * from finish();
rollback;
