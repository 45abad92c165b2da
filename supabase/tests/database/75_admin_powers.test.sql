-- Admin powers: a platform admin who does not staff a session passes every host and moderator
-- RPC and policy there (edit, publish, reschedule, start, end, cancel, staff, bans, chat and Q&A
-- moderation, polls, surveys, rooms, reports) without becoming staff, a member, or a receiver of
-- the session's broadcasts; each such act leaves an audit row, and the same acts by the host do
-- not. Non-admins stay refused.
begin;
\ir ../helpers.sql
select plan(42);

select tests.create_supabase_user('ada');     -- admin, staffs nothing
select tests.create_supabase_user('hank');    -- coach, hosts the sessions
select tests.create_supabase_user('cora');    -- another coach, no staff role here
select tests.create_supabase_user('mel');     -- member with a booking
select tests.create_supabase_user('max');     -- member, joins a room
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('hank'), tests.get_supabase_uid('cora'));
select set_config('tests.audit_from', (select coalesce(max(id), 0)::text from public.audit_log), true);

insert into public.sessions (id, title, starts_at, status, visibility, created_by) values
  ('dddddddd-0000-4000-8000-000000000001', 'Draft by hank', now() + interval '3 days', 'draft', 'members', tests.get_supabase_uid('hank')),
  ('dddddddd-0000-4000-8000-000000000002', 'Live by hank', now() - interval '10 minutes', 'scheduled', 'public', tests.get_supabase_uid('hank')),
  ('dddddddd-0000-4000-8000-000000000003', 'Upcoming by hank', now() + interval '5 days', 'scheduled', 'public', tests.get_supabase_uid('hank'));
insert into public.bookings (session_id, user_id, status) values
  ('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('mel'), 'confirmed'),
  ('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('max'), 'confirmed');

-- Sessions: edit, publish, reschedule, start, staff --------------------------------------------------
select tests.authenticate_as('ada');
select is((select count(*)::int from public.session_staff where user_id = (select auth.uid())), 0, 'ada staffs nothing');
select lives_ok($$ update public.sessions set title = 'Draft, edited by an admin' where id = 'dddddddd-0000-4000-8000-000000000001' $$,
                'the admin edits a session through the table');
select is((select title from public.sessions where id = 'dddddddd-0000-4000-8000-000000000001'), 'Draft, edited by an admin',
          'the edit went through the hosts'' update policy');
select is((public.publish_session('dddddddd-0000-4000-8000-000000000001')).status::text, 'scheduled', 'the admin publishes it');
select lives_ok($$ select public.reschedule_session('dddddddd-0000-4000-8000-000000000003', now() + interval '6 days', 90) $$,
                'the admin reschedules a session');
select is((public.start_session('dddddddd-0000-4000-8000-000000000002')).status::text, 'live', 'the admin starts a session');
select lives_ok($$ select public.add_session_staff('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('cora'), 'moderator') $$,
                'the admin adds a moderator');
select lives_ok($$ select public.remove_session_staff('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('cora')) $$,
                'the admin removes them again');

-- Chat, Q&A, bans -------------------------------------------------------------------------------
select tests.authenticate_as('mel');
select set_config('tests.msg', (public.send_chat_message('dddddddd-0000-4000-8000-000000000002', 'Buy cheap watches')).id::text, true);
select set_config('tests.msg2', (public.send_chat_message('dddddddd-0000-4000-8000-000000000002', 'Useful link')).id::text, true);
select set_config('tests.question', (public.ask_question('dddddddd-0000-4000-8000-000000000002', 'Is this recorded?') ->> 'id'), true);
select tests.authenticate_as('ada');
select lives_ok($$ select public.pin_message(current_setting('tests.msg2')::uuid, true) $$, 'the admin pins a message');
select lives_ok($$ select public.delete_message(current_setting('tests.msg')::uuid) $$, 'the admin deletes a message');
select lives_ok($$ select public.moderate_question(current_setting('tests.question')::uuid, 'answered', 'Yes, it is.') $$,
                'the admin answers a question');
select lives_ok($$ select public.ban_user('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('mel'), 'spam') $$,
                'the admin bans a user');
select is((select count(*)::int from public.session_bans where session_id = 'dddddddd-0000-4000-8000-000000000002'), 1,
          'the admin reads the bans (moderators'' policy)');
select lives_ok($$ select public.unban_user('dddddddd-0000-4000-8000-000000000002', tests.get_supabase_uid('mel')) $$,
                'the admin lifts the ban');

-- Polls, surveys, rooms, reports ------------------------------------------------------------------
select set_config('tests.poll', (public.create_poll('dddddddd-0000-4000-8000-000000000002', 'Pace?', array['Fine', 'Too fast']) ->> 'id'), true);
select lives_ok($$ select public.open_poll(current_setting('tests.poll')::uuid) $$, 'the admin opens a poll it created');
select lives_ok($$ select public.close_poll(current_setting('tests.poll')::uuid) $$, 'and closes it');
select set_config('tests.survey', (public.create_survey('dddddddd-0000-4000-8000-000000000002', 'Feedback',
  '[{"prompt": "How was it?", "kind": "rating", "required": true}]') ->> 'id'), true);
select lives_ok($$ select public.open_survey(current_setting('tests.survey')::uuid) $$, 'the admin opens a survey');
select set_config('tests.room', (select r.id::text from public.open_breakout_rooms('dddddddd-0000-4000-8000-000000000002',
  array['Room A', 'Room B']) r order by r.name limit 1), true);
select ok(current_setting('tests.room') <> '', 'the admin opens breakout rooms');
select lives_ok($$ select public.assign_room(current_setting('tests.room')::uuid, tests.get_supabase_uid('max')) $$,
                'the admin assigns a member to a room');
select lives_ok($$ select public.close_breakout_rooms('dddddddd-0000-4000-8000-000000000002') $$, 'the admin closes the rooms');
select lives_ok($$ select * from public.session_attendance_report('dddddddd-0000-4000-8000-000000000002') $$,
                'the admin reads the attendance report');
select lives_ok($$ select public.session_metrics('dddddddd-0000-4000-8000-000000000002') $$, 'the admin reads the metrics');
select is((public.end_session('dddddddd-0000-4000-8000-000000000002')).status::text, 'ended', 'the admin ends the session');
select is((public.cancel_session('dddddddd-0000-4000-8000-000000000003', 'Coach is ill')).status::text, 'cancelled',
          'the admin cancels a session');

-- Not staff -------------------------------------------------------------------------------------------
select is((select count(*)::int from public.session_staff where user_id = (select auth.uid())), 0,
          'after all this the admin still staffs nothing');
select is((select count(*)::int from public.bookings where user_id = (select auth.uid())), 0, 'and holds no booking');
select is((select count(*)::int from private.my_session_ids()), 0, 'the admin is a member of no session');
select tests.clear_authentication();
select is((select can_read from tests.realtime_access('ada', 'session:dddddddd-0000-4000-8000-000000000002')), false,
          'the admin does not receive the session''s broadcasts');

-- Audit -------------------------------------------------------------------------------------------------
select results_eq($$ select action, count(*)::int from public.audit_log
                     where id > current_setting('tests.audit_from')::bigint and actor_id = tests.get_supabase_uid('ada')
                       and action in ('admin_sessions_updated', 'admin_session_staff_inserted', 'admin_session_staff_deleted',
                                      'admin_chat_messages_updated', 'admin_questions_updated', 'admin_session_bans_inserted',
                                      'admin_session_bans_deleted', 'admin_surveys_inserted', 'admin_room_assignments_inserted')
                     group by action order by action $$,
                  $$ values ('admin_chat_messages_updated'::text, 2), ('admin_questions_updated', 1),
                            ('admin_room_assignments_inserted', 1), ('admin_session_bans_deleted', 1),
                            ('admin_session_bans_inserted', 1), ('admin_session_staff_deleted', 1),
                            ('admin_session_staff_inserted', 1), ('admin_sessions_updated', 6), ('admin_surveys_inserted', 1) $$,
                  'every admin act is audited: 6 session changes (edit, publish, reschedule, start, end, cancel), staff, '
                  'pin and delete, the answer, ban and unban, the survey, the room assignment');
select ok((select after ->> 'status' = 'cancelled' and before ->> 'status' = 'scheduled'
             and details ->> 'session_id' = 'dddddddd-0000-4000-8000-000000000003'
           from public.audit_log
           where id > current_setting('tests.audit_from')::bigint and action = 'admin_sessions_updated'
             and after ->> 'status' = 'cancelled'), 'the cancellation''s audit row holds the status before and after');
select ok((select not (before ? 'title') and not (after ? 'title')
           from public.audit_log
           where id > current_setting('tests.audit_from')::bigint and action = 'admin_sessions_updated'
             and after ->> 'status' = 'cancelled'), 'and only the fields that changed');
select is((select count(*)::int from public.audit_log
           where id > current_setting('tests.audit_from')::bigint and action = 'admin_polls_inserted'
             and details ->> 'session_id' = 'dddddddd-0000-4000-8000-000000000002'), 1, 'the poll the admin created is audited');
select is((select count(*)::int from public.audit_log
           where id > current_setting('tests.audit_from')::bigint and action = 'admin_rooms_inserted'), 2,
          'the rooms the admin opened are audited');

-- The host's own acts are not admin acts; hank is no admin.
select set_config('tests.audit_mid', (select max(id)::text from public.audit_log), true);
select tests.authenticate_as('hank');
select lives_ok($$ update public.sessions set title = 'Hank edits his own' where id = 'dddddddd-0000-4000-8000-000000000001' $$,
                'the host edits his session');
select tests.clear_authentication();
select is((select count(*)::int from public.audit_log where id > current_setting('tests.audit_mid')::bigint), 0,
          'a host''s own edit is not audited as an admin act');
-- An admin who hosts acts as host.
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('hank');
select tests.authenticate_as('hank');
select lives_ok($$ update public.sessions set title = 'Hank, now admin, edits his own' where id = 'dddddddd-0000-4000-8000-000000000001' $$,
                'an admin who hosts the session edits it');
select tests.clear_authentication();
select is((select count(*)::int from public.audit_log where id > current_setting('tests.audit_mid')::bigint
           and action like 'admin\_%'), 0, 'as its host, not through admin powers: no admin audit row');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hank');

-- Non-admins stay refused ------------------------------------------------------------------------------
select tests.authenticate_as('cora');
select is(tests.error_code($$ select public.cancel_session('dddddddd-0000-4000-8000-000000000001', 'not mine') $$), 'forbidden',
          'a coach who does not host cannot cancel');
select is(tests.error_code($$ select public.ban_user('dddddddd-0000-4000-8000-000000000001', tests.get_supabase_uid('mel'), 'x') $$),
          'forbidden', 'nor ban');
select lives_ok($$ update public.sessions set title = 'hijack' where id = 'dddddddd-0000-4000-8000-000000000001' $$,
                'an update by a coach who does not host runs');
select tests.clear_authentication();
select is((select title from public.sessions where id = 'dddddddd-0000-4000-8000-000000000001'), 'Hank, now admin, edits his own',
          'but changes nothing');
select tests.authenticate_as('max');
select is(tests.error_code($$ select public.delete_message(current_setting('tests.msg2')::uuid) $$), 'forbidden',
          'a member cannot delete messages');

select * from finish();
rollback;
