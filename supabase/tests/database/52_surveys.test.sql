-- Surveys: create_survey field-spec validation, open_survey/close_survey transitions,
-- submit_survey_response validation of every answer (with details naming the field), one response
-- per user, and the RLS matrix of surveys, survey_fields and survey_responses.
begin;
\ir ../helpers.sql
select plan(59);

-- Field id of the test survey by position.
create function pg_temp.fid(pos int) returns text language sql as $$
  select f.id::text from public.survey_fields f where f.survey_id = current_setting('tests.survey')::uuid and f.position = pos
$$;
grant execute on function pg_temp.fid(int) to authenticated, anon, service_role;

select tests.create_supabase_user('hana');
select tests.create_supabase_user('mo');
select tests.create_supabase_user('mia');
select tests.create_supabase_user('max');
select tests.create_supabase_user('bea');
select tests.create_supabase_user('otto');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000052a1', 'Feedback', 'live', 'members', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-4000-8000-0000000052a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000052a1', tests.get_supabase_uid(u), 'confirmed' from unnest(array['mia', 'max', 'bea']) u;
insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000052a1', tests.get_supabase_uid('bea'));

-- Structure ---------------------------------------------------------------------------------------
select policies_are('public', 'surveys', array['deactivated accounts read nothing', 'members read non-draft surveys and staff all surveys']);
select policies_are('public', 'survey_fields', array['deactivated accounts read nothing', 'users read the fields of surveys they can read']);
select policies_are('public', 'survey_responses', array['deactivated accounts read nothing', 'users read their own responses and staff those of named surveys']);
select is((select bool_or(has_table_privilege('authenticated', t, p))
           from unnest(array['public.surveys', 'public.survey_fields', 'public.survey_responses']) t,
                unnest(array['insert', 'update', 'delete']) p), false, 'clients cannot write surveys, fields or responses');

-- create_survey validation ------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T', '[{"prompt":"p","kind":"text"}]') $$),
          'forbidden', 'a member cannot create a survey');
select tests.authenticate_as_anon();
select throws_ok($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T', '[]') $$, '42501', null, 'anon cannot create a survey');
select tests.authenticate_as('hana');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', ' ', '[{"prompt":"p","kind":"text"}]') $$),
          'invalid_input', 'an empty title is refused');
select is(tests.error_details($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T', '{"prompt":"p"}') $$),
          '{"field":"fields"}', 'fields must be an array');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T', '[]') $$), 'invalid_input', 'at least one field');
select is(tests.error_details($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"ok","kind":"text"},{"prompt":"p","kind":"slider"}]') $$), '{"field":2,"reason":"kind"}',
          'an unknown kind is refused, naming the field position');
select is(tests.error_details($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T', '[{"prompt":"","kind":"text"}]') $$),
          '{"field":1,"reason":"prompt"}', 'an empty prompt is refused');
select is(tests.error_details($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"rating","options":{"min":5,"max":5}}]') $$), '{"field":1,"reason":"options"}', 'a rating needs min < max');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"rating","options":{"min":1.5,"max":5}}]') $$), 'invalid_input', 'rating bounds are integers');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"choice","options":{"choices":["only"]}}]') $$), 'invalid_input', 'a choice needs two labels');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"choice","options":{"choices":["a","a"]}}]') $$), 'invalid_input', 'choice labels are distinct');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"choice","options":{"choices":["a",1]}}]') $$), 'invalid_input', 'choice labels are strings');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"text","options":{"max_length":0}}]') $$), 'invalid_input', 'max_length is at least 1');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"text","options":{"colour":"red"}}]') $$), 'invalid_input', 'unknown options are refused');
select is(tests.error_details($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"text","hint":"x"}]') $$), '{"field":1,"reason":"shape"}', 'unknown field keys are refused');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000052a1', 'T',
          '[{"prompt":"p","kind":"text","required":"yes"}]') $$), 'invalid_input', 'required is a boolean');
select is((select count(*)::int from public.surveys), 0, 'refused surveys leave nothing behind');
select set_config('tests.survey', (public.create_survey('00000000-0000-4000-8000-0000000052a1', 'How was it?', $$[
  {"prompt":"Overall","kind":"rating","required":true},
  {"prompt":"Best part","kind":"choice","options":{"choices":["Talk"," Q&A ","Polls"]}},
  {"prompt":"Topics","kind":"choice","options":{"choices":["A","B","C"],"multiple":true}},
  {"prompt":"Comments","kind":"text","options":{"max_length":10}}
]$$)) ->> 'id', true);
select results_eq($$ select position, kind, options, required from public.survey_fields where survey_id = current_setting('tests.survey')::uuid order by position $$,
  $$ values (1, 'rating'::text, '{"min":1,"max":5}'::jsonb, true), (2, 'choice', '{"choices":["Talk","Q&A","Polls"],"multiple":false}', false),
            (3, 'choice', '{"choices":["A","B","C"],"multiple":true}', false), (4, 'text', '{"max_length":10}', false) $$,
  'the host creates a draft survey with normalized field options');

-- Draft and opening -------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is((select count(*)::int from public.surveys), 0, 'members do not see draft surveys');
select is((select count(*)::int from public.survey_fields), 0, 'nor their fields');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{}') $$, current_setting('tests.survey'))), 'not_found',
          'answering a draft survey is not_found');
select is(tests.error_code(format($$ select public.open_survey(%L) $$, current_setting('tests.survey'))), 'forbidden', 'a member cannot open a survey');
select tests.authenticate_as('mo');
select is((public.open_survey(current_setting('tests.survey')::uuid)) ->> 'status', 'open', 'the moderator opens the survey');
select is(tests.error_code(format($$ select public.open_survey(%L) $$, current_setting('tests.survey'))), 'invalid_transition', 'an open survey cannot open again');

-- Answer validation -------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is((select count(*)::int from public.survey_fields), 4, 'members see the fields of an open survey');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '[1]') $$, current_setting('tests.survey'))), 'invalid_input',
          'answers must be an object');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": 4, "nope": 1}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          '{"field_id":"nope","reason":"unknown_field"}', 'an unknown field id is refused, naming it');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": "Talk"}') $$, current_setting('tests.survey'), pg_temp.fid(2))),
          jsonb_build_object('field_id', pg_temp.fid(1), 'reason', 'required'), 'a missing required field is refused, naming it');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": null}') $$, current_setting('tests.survey'), pg_temp.fid(1))) ->> 'reason',
          'required', 'null counts as missing');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": 6}') $$, current_setting('tests.survey'), pg_temp.fid(1))) ->> 'reason',
          'rating', 'a rating above max is refused');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 0}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'invalid_input', 'a rating below min is refused');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 3.5}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'invalid_input', 'a rating is an integer');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": "3"}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'invalid_input', 'a rating is a number, not a string');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": 4, "%s": "Dance"}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(2))),
          jsonb_build_object('field_id', pg_temp.fid(2), 'reason', 'choice'), 'a choice outside the options is refused');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 4, "%s": ["Talk"]}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(2))),
          'invalid_input', 'a single choice is not an array');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 4, "%s": ["A","A"]}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(3))),
          'invalid_input', 'a multiple choice has distinct labels');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 4, "%s": []}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(3))),
          'invalid_input', 'an empty multiple choice is refused');
select is(tests.error_details(format($$ select public.submit_survey_response(%L, '{"%s": 4, "%s": "far too long text"}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(4))) ->> 'reason',
          'text', 'a text longer than max_length is refused');
select is((select count(*)::int from public.survey_responses), 0, 'refused answers store nothing');
select is((public.submit_survey_response(current_setting('tests.survey')::uuid,
          jsonb_build_object(pg_temp.fid(1), 4, pg_temp.fid(2), 'Q&A', pg_temp.fid(3), '["A","C"]'::jsonb, pg_temp.fid(4), '  great  '))) -> 'answers',
          jsonb_build_object(pg_temp.fid(1), 4, pg_temp.fid(2), 'Q&A', pg_temp.fid(3), '["A","C"]'::jsonb, pg_temp.fid(4), 'great'),
          'a valid response is stored (text trimmed)');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 2}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'already_responded', 'a second response is already_responded');
select is(tests.error_status(format($$ select public.submit_survey_response(%L, '{"%s": 2}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          409, 'already_responded is 409');
select throws_ok(format($$ insert into public.survey_responses (survey_id, user_id, answers) values (%L, %L, '{}') $$,
                 current_setting('tests.survey'), tests.get_supabase_uid('mia')), '42501', null, 'responses cannot be inserted directly');
select tests.authenticate_as('max');
select lives_ok(format($$ select public.submit_survey_response(%L, '{"%s": 5, "%s": "   "}') $$, current_setting('tests.survey'), pg_temp.fid(1), pg_temp.fid(4)),
                'optional fields may be left out (a blank text counts as missing)');
select is((select count(*)::int from public.survey_responses), 1, 'a member reads only their own response');
select tests.authenticate_as('bea');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 5}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'banned', 'a banned member cannot answer');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 5}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'forbidden', 'an outsider cannot answer');
select is((select count(*)::int from public.surveys) + (select count(*)::int from public.survey_responses), 0, 'an outsider reads no surveys or responses');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.submit_survey_response(%L, '{}') $$, current_setting('tests.survey')), '42501', null, 'anon cannot answer');
select tests.authenticate_as('hana');
select is((select count(*)::int from public.survey_responses), 2, 'the host reads every response of the session');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.survey_responses where survey_id = current_setting('tests.survey')::uuid), 2,
          'the service role reads every response');

-- Closing -----------------------------------------------------------------------------------------
select tests.authenticate_as('max');
select is(tests.error_code(format($$ select public.close_survey(%L) $$, current_setting('tests.survey'))), 'forbidden', 'a member cannot close a survey');
select tests.authenticate_as('hana');
select is((public.close_survey(current_setting('tests.survey')::uuid)) ->> 'status', 'closed', 'the host closes the survey');
select is(tests.error_code(format($$ select public.close_survey(%L) $$, current_setting('tests.survey'))), 'invalid_transition', 'a closed survey cannot close again');
select tests.authenticate_as('mo');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '{"%s": 5}') $$, current_setting('tests.survey'), pg_temp.fid(1))),
          'invalid_transition', 'a closed survey takes no responses');

select * from finish();
rollback;
