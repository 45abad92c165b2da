-- session_metrics (staff only: viewers, messages per minute, questions, poll participation) and the
-- redefined private.engagement_inputs feeding session_attendance_report with real questions,
-- upvotes, poll answers and survey completion.
begin;
\ir ../helpers.sql
select plan(25);


select tests.create_supabase_user('hana');
select tests.create_supabase_user('mo');
select tests.create_supabase_user('mia');
select tests.create_supabase_user('max');
select tests.create_supabase_user('mel');
select tests.create_supabase_user('otto');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000054a1', 'Metrics', 'live', 'members', now() - interval '5 minutes', now() - interval '5 minutes',
        tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-4000-8000-0000000054a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000054a1', tests.get_supabase_uid(u), 'confirmed' from unnest(array['mia', 'max', 'mel']) u;

-- Nobody watching yet: participation is relative to the confirmed members.
select tests.authenticate_as('hana');
select set_config('tests.poll', (public.create_poll('00000000-0000-4000-8000-0000000054a1', 'Ready?', array['yes', 'no'])) ->> 'id', true);
select public.open_poll(current_setting('tests.poll')::uuid) is not null as opened;
select set_config('tests.draft_poll', (public.create_poll('00000000-0000-4000-8000-0000000054a1', 'Later', array['a', 'b'])) ->> 'id', true);
select tests.authenticate_as('mia');
select public.vote_poll(current_setting('tests.poll')::uuid,
                        array[(select id from public.poll_options where poll_id = current_setting('tests.poll')::uuid and position = 1)]) is not null as voted;
select tests.authenticate_as('hana');
select is((public.session_metrics('00000000-0000-4000-8000-0000000054a1')) ->> 'participation_basis', 'confirmed_members',
          'without viewers, participation is relative to confirmed members');
select is((public.session_metrics('00000000-0000-4000-8000-0000000054a1')) -> 'polls' -> 0 ->> 'participation', '0.3333', '1 voter of 3 confirmed members');

-- Attendance, chat and Q&A activity.
select tests.authenticate_as('mia');
select public.join_session('00000000-0000-4000-8000-0000000054a1') is not null as joined;
select public.ask_question('00000000-0000-4000-8000-0000000054a1', 'First question') is not null as asked;
select public.send_chat_message('00000000-0000-4000-8000-0000000054a1', 'hello') is not null as sent;
select tests.authenticate_as('max');
select public.join_session('00000000-0000-4000-8000-0000000054a1') is not null as joined;
select set_config('tests.q2', (public.ask_question('00000000-0000-4000-8000-0000000054a1', 'Second question')) ->> 'id', true);
select public.upvote_question((select id from public.session_questions where body = 'First question')) is not null as upvoted;
select tests.authenticate_as('hana');
select public.moderate_question(current_setting('tests.q2')::uuid, 'answered') is not null as answered;
select set_config('tests.survey', (public.create_survey('00000000-0000-4000-8000-0000000054a1', 'Feedback', '[{"prompt":"Rate","kind":"rating"}]')) ->> 'id', true);
select public.open_survey(current_setting('tests.survey')::uuid) is not null as opened;
select tests.authenticate_as('max');
select public.submit_survey_response(current_setting('tests.survey')::uuid,
  jsonb_build_object((select id::text from public.survey_fields where survey_id = current_setting('tests.survey')::uuid), 5)) is not null as answered;
select tests.clear_authentication();
-- Two chat messages a while ago, outside the 5-minute window, one inside.
insert into public.chat_messages (session_id, user_id, body, created_at)
values ('00000000-0000-4000-8000-0000000054a1', tests.get_supabase_uid('max'), 'old', now() - interval '10 minutes'),
       ('00000000-0000-4000-8000-0000000054a1', tests.get_supabase_uid('max'), 'older', now() - interval '11 minutes'),
       ('00000000-0000-4000-8000-0000000054a1', tests.get_supabase_uid('mel'), 'recent', now() - interval '1 minute');

-- session_metrics ---------------------------------------------------------------------------------
select tests.authenticate_as('hana');
select is((select (m ->> 'current_viewers')::int from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), 2, 'current viewers');
select is((select (m ->> 'peak_viewers')::int >= 2 from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), true,
          'peak viewers are at least the current viewers');
select is((select m ->> 'messages_per_minute' from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), '0.40',
          'messages per minute over the last 5 minutes (2 messages / 5)');
select is((select m -> 'questions' from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m),
          '{"total":2,"pending":0,"published":1,"answered":1,"dismissed":0}'::jsonb, 'question counts by status');
select is((select m ->> 'participation_basis' from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), 'peak_viewers',
          'with viewers, participation is relative to the peak viewers');
select is((select jsonb_array_length(m -> 'polls') from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), 1,
          'draft polls are not listed');
select is((select m -> 'polls' -> 0 ->> 'voters' from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), '1', 'voters per poll');
select is((select (m -> 'polls' -> 0 ->> 'participation')::numeric
           = round(1::numeric / (m ->> 'peak_viewers')::int, 4) from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m), true,
          'participation = voters / peak viewers');
-- Booked members may vote without joining: participation never goes above 1 (votes rolled back after).
savepoint extra_votes;
select tests.authenticate_as(u), public.vote_poll(current_setting('tests.poll')::uuid,
         array[(select id from public.poll_options where poll_id = current_setting('tests.poll')::uuid and position = 2)]) is not null
from unnest(array['max', 'mel']) u;
select tests.authenticate_as('hana');
select (m ->> 'peak_viewers')::int as extra_peak, m -> 'polls' -> 0 ->> 'voters' as extra_voters,
       m -> 'polls' -> 0 ->> 'participation' as extra_participation
from public.session_metrics('00000000-0000-4000-8000-0000000054a1') m \gset
rollback to savepoint extra_votes;
select tests.authenticate_as('hana');
select ok(:extra_peak < :'extra_voters'::int, 'more members voted than ever watched at once');
select is(:'extra_participation'::text, '1.0000', 'participation is capped at 1: the basis is at least the voters');
select is(tests.error_code($$ select public.session_metrics(null) $$), 'invalid_input', 'a null session id is invalid_input');
select tests.authenticate_as('mo');
select is((public.session_metrics('00000000-0000-4000-8000-0000000054a1')) ->> 'session_id', '00000000-0000-4000-8000-0000000054a1', 'moderators read metrics');
select tests.authenticate_as('mia');
select is(tests.error_code($$ select public.session_metrics('00000000-0000-4000-8000-0000000054a1') $$), 'forbidden', 'members cannot read metrics');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.session_metrics('00000000-0000-4000-8000-0000000054a1') $$), 'forbidden', 'outsiders cannot read metrics');
select tests.authenticate_as_anon();
select throws_ok($$ select public.session_metrics('00000000-0000-4000-8000-0000000054a1') $$, '42501', null, 'anon cannot read metrics');
select tests.authenticate_as_service_role();
select is((public.session_metrics('00000000-0000-4000-8000-0000000054a1')) ->> 'current_viewers', '2', 'the service role reads metrics');

-- The attendance report counts the live-room activity -----------------------------------------------
-- An anonymous poll max answers: never counted in the report (its voters are not exposed, even to hosts).
select tests.authenticate_as('hana');
select set_config('tests.anon_poll', (public.create_poll('00000000-0000-4000-8000-0000000054a1', 'Secret?', array['yes', 'no'],
                                                         is_anonymous => true)) ->> 'id', true);
select public.open_poll(current_setting('tests.anon_poll')::uuid) is not null as opened;
select tests.authenticate_as('max');
select public.vote_poll(current_setting('tests.anon_poll')::uuid,
                        array[(select id from public.poll_options where poll_id = current_setting('tests.anon_poll')::uuid and position = 1)]) is not null as voted;
select tests.clear_authentication();
select is((select count(*)::int from public.poll_ballots where poll_id = current_setting('tests.anon_poll')::uuid), 1,
          'max answered the anonymous poll');
select results_eq($$ select messages, questions, upvotes, poll_answers, polls_total, survey_done
                     from private.engagement_inputs('00000000-0000-4000-8000-0000000054a1') where user_id = tests.get_supabase_uid('mia') $$,
                  $$ values (1, 1, 0, 1, 1, false) $$, 'engagement inputs of mia: a message, a question, a poll answer');
select results_eq($$ select messages, questions, upvotes, poll_answers, polls_total, survey_done
                     from private.engagement_inputs('00000000-0000-4000-8000-0000000054a1') where user_id = tests.get_supabase_uid('max') $$,
                  $$ values (2, 1, 1, 0, 1, true) $$,
                  'engagement inputs of max: two messages, a question, an upvote, the survey; the anonymous poll counts nowhere');
select is((select count(*)::int from private.engagement_inputs('00000000-0000-4000-8000-0000000054a1')), 2, 'one row per attendee');
select tests.authenticate_as('hana');
select results_eq($$ select questions, upvotes, poll_answers, survey_done from public.session_attendance_report('00000000-0000-4000-8000-0000000054a1')
                     order by display_name $$,
                  $$ values (1, 1, 0, true), (1, 0, 1, false) $$, 'the attendance report shows real questions, upvotes, poll answers and surveys');
select is((select bool_and(engagement_score between 0 and 100) from public.session_attendance_report('00000000-0000-4000-8000-0000000054a1')), true,
          'engagement scores stay within 0-100');
select is(has_function_privilege('authenticated', 'private.engagement_inputs(uuid)', 'execute'), false, 'engagement_inputs is internal');

select * from finish();
rollback;
