-- survey_results (issue 19, item 8): for staff, per field: rating average and histogram, choice
-- counts (multiple choices each counted), text answers; anonymous surveys never reveal who answered
-- (no response rows for staff, text answers without author or time, not in the attendance report);
-- who may call it (host, moderator, service_role; not members, outsiders, anon).
begin;
\ir ../helpers.sql
select plan(24);

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"Mia Member"}');
select tests.create_supabase_user('max', metadata => '{"display_name":"Max Member"}');
select tests.create_supabase_user('mel', metadata => '{"display_name":"Mel Member"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
select tests.get_supabase_uid('mia') as mia, tests.get_supabase_uid('max') as max, tests.get_supabase_uid('mel') as mel \gset
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by) values
  ('00000000-0000-4000-8000-0000000053a1', 'Feedback', 'live', 'members', now() - interval '30 minutes', now() - interval '30 minutes',
   tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-4000-8000-0000000053a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000053a1', u, 'confirmed' from unnest(array[:'mia', :'max', :'mel']::uuid[]) u;
insert into public.attendance_intervals (session_id, user_id, joined_at, last_heartbeat_at)
select '00000000-0000-4000-8000-0000000053a1', u, now() - interval '20 minutes', now() - interval '5 minutes'
from unnest(array[:'mia', :'max', :'mel']::uuid[]) u;

create function pg_temp.make(anonymous boolean) returns uuid language plpgsql as $$
declare v jsonb;
begin
  perform tests.authenticate_as('hana');
  v := public.create_survey('00000000-0000-4000-8000-0000000053a1', case when anonymous then 'Anonymous' else 'Named' end,
    '[{"prompt":"Rate it","kind":"rating","options":{"min":1,"max":5},"required":true},
      {"prompt":"Best part","kind":"choice","options":{"choices":["Talk","Q&A","Polls"],"multiple":true}},
      {"prompt":"Anything else?","kind":"text"}]', anonymous);
  perform public.open_survey((v ->> 'id')::uuid);
  perform tests.clear_authentication();
  return (v ->> 'id')::uuid;
end $$;
create function pg_temp.answer(who text, survey uuid, rating int, choices text[], txt text) returns void language plpgsql as $$
declare f jsonb := '{}';
begin
  select jsonb_object_agg(sf.id, case sf.position when 1 then to_jsonb(rating) when 2 then to_jsonb(choices) else to_jsonb(txt) end)
    into f from public.survey_fields sf where sf.survey_id = survey and (sf.position = 1 or (sf.position = 2 and choices is not null)
                                                                         or (sf.position = 3 and txt is not null));
  perform tests.authenticate_as(who);
  perform public.submit_survey_response(survey, f);
  perform tests.clear_authentication();
end $$;

select pg_temp.make(false) as named \gset
select pg_temp.make(true) as anon \gset
select pg_temp.answer('mia', :'named', 5, array['Talk', 'Q&A'], 'Zebra ideas');
select pg_temp.answer('max', :'named', 4, array['Talk'], null);
select pg_temp.answer('mel', :'named', 5, null, 'Apple pie');
update public.survey_responses set created_at = now() - interval '10 minutes' where user_id = :'mia';
select pg_temp.answer('mia', :'anon', 2, array['Polls'], 'Mia wrote this');
select pg_temp.answer('max', :'anon', 4, null, 'Max wrote that');

-- Who may call it.
select tests.authenticate_as('mia');
select is(tests.error_code(format($$ select public.survey_results(%L) $$, :'named')), 'forbidden', 'a member cannot read the results');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.survey_results(%L) $$, :'named')), 'forbidden', 'an outsider of a visible session: forbidden');
select is(tests.error_code(format($$ select public.survey_results(%L) $$, gen_random_uuid())), 'not_found', 'an unknown survey: not_found');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.survey_results(%L) $$, :'named'), '42501', null, 'anon cannot call it');
select tests.authenticate_as_service_role();
select is((public.survey_results(:'named') ->> 'responses')::int, 3, 'service_role reads the results');
select tests.authenticate_as('mo');
select is((public.survey_results(:'named') ->> 'responses')::int, 3, 'a moderator reads the results');

-- The named survey.
select tests.authenticate_as('hana');
select public.survey_results(:'named') as r \gset
select is((:'r'::jsonb -> 'fields' -> 0) - 'field_id' - 'prompt' - 'position' - 'required',
          '{"kind": "rating", "answered": 3, "average": 4.67, "histogram": [{"value": 1, "count": 0}, {"value": 2, "count": 0},
            {"value": 3, "count": 0}, {"value": 4, "count": 1}, {"value": 5, "count": 2}]}'::jsonb,
          'rating: average and a histogram over every value of the range');
select is((:'r'::jsonb -> 'fields' -> 1) - 'field_id' - 'prompt' - 'position' - 'required',
          '{"kind": "choice", "answered": 2, "counts": [{"choice": "Talk", "count": 2}, {"choice": "Q&A", "count": 1},
            {"choice": "Polls", "count": 0}]}'::jsonb,
          'choice: counts per choice in the field''s order, multiple choices each counted');
select is((select jsonb_agg(a - 'created_at') from jsonb_array_elements(:'r'::jsonb -> 'fields' -> 2 -> 'answers') a),
          jsonb_build_array(jsonb_build_object('answer', 'Zebra ideas', 'user_id', :'mia', 'display_name', 'Mia Member'),
                            jsonb_build_object('answer', 'Apple pie', 'user_id', :'mel', 'display_name', 'Mel Member')),
          'text: the answers with who wrote them, oldest first, for a named survey');
select is((:'r'::jsonb -> 'fields' -> 2 ->> 'answered')::int, 2, 'text: answered counts only those who wrote something');
select is(:'r'::jsonb - 'fields' - 'survey_id', jsonb_build_object('session_id', '00000000-0000-4000-8000-0000000053a1', 'title', 'Named',
          'status', 'open', 'is_anonymous', false, 'responses', 3), 'the survey header');
select is((select count(*)::int from public.survey_responses where survey_id = :'named'), 3, 'staff read the rows of a named survey');

-- The anonymous survey.
select public.survey_results(:'anon') as a \gset
select is((:'a'::jsonb -> 'fields' -> 0 ->> 'average')::numeric, 3.00, 'anonymous: the rating average');
select is(:'a'::jsonb -> 'fields' -> 2 -> 'answers', '[{"answer": "Max wrote that"}, {"answer": "Mia wrote this"}]'::jsonb,
          'anonymous: text answers without author or time, in text order (not the order of arrival)');
select ok(:'a'::text not like '%' || :'mia' || '%' and :'a'::text not like '%' || :'max' || '%'
          and :'a'::text not like '%Mia Member%' and :'a'::text not like '%Max Member%',
          'anonymous: no user id or name anywhere in the results');
select is((select count(*)::int from public.survey_responses where survey_id = :'anon'), 0,
          'anonymous: staff read no response rows (they would name who answered)');
select is((:'a'::jsonb ->> 'is_anonymous')::boolean, true, 'the results say the survey is anonymous');
select is((select (s ->> 'is_anonymous')::boolean from public.surveys s0, lateral (select to_jsonb(s0) s) x where s0.id = :'anon'), true,
          'surveys.is_anonymous is readable');
select tests.authenticate_as('mia');
select is((select count(*)::int from public.survey_responses where survey_id = :'anon'), 1, 'a respondent still reads their own response');
select tests.authenticate_as('hana');
select is((select jsonb_object_agg(r.user_id, r.survey_done) from public.session_attendance_report('00000000-0000-4000-8000-0000000053a1') r),
          jsonb_build_object(:'mia', true, :'max', true, :'mel', true),
          'the attendance report counts the named survey only (mel answered only that one)');
select tests.clear_authentication();
delete from public.survey_responses where survey_id = :'named';
select tests.authenticate_as('hana');
select is((select jsonb_object_agg(r.user_id, r.survey_done) from public.session_attendance_report('00000000-0000-4000-8000-0000000053a1') r),
          jsonb_build_object(:'mia', false, :'max', false, :'mel', false),
          'answering only an anonymous survey does not show in the attendance report');

-- No answers yet.
select tests.clear_authentication();
delete from public.survey_responses where survey_id = :'anon';
select tests.authenticate_as('hana');
select is(public.survey_results(:'anon') -> 'fields' -> 0 ->> 'average', null, 'without answers the average is null');
select is((public.survey_results(:'anon') -> 'fields' -> 1 -> 'counts' -> 0 ->> 'count')::int, 0, 'and every count 0');
select is(public.survey_results(:'anon') -> 'fields' -> 2 -> 'answers', '[]'::jsonb, 'and no text answers');

select * from finish();
rollback;
