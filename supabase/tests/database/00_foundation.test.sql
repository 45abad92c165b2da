-- Foundation: the platform emulation behaves as the platform does (auth.*() semantics, realtime.send,
-- channel authorization replay), the error helper's format, and the structural guards.
begin;
\ir ../helpers.sql
select plan(48);

select tests.create_supabase_user('alice', metadata => '{"display_name":"Alice"}');
select tests.create_supabase_user('bob');

-- auth.uid(), auth.role(), auth.email(), auth.jwt() read the claims PostgREST sets.
select tests.authenticate_as('alice');
select is(auth.uid(), tests.get_supabase_uid('alice'), 'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.email(), 'alice@test.local', 'auth.email() is the email claim');
select is(auth.jwt() ->> 'aud', 'authenticated', 'auth.jwt() returns the whole claims object');
select is(current_user::text, 'authenticated', 'authenticate_as switches the role like PostgREST');
select tests.authenticate_as_anon();
select is(auth.uid(), null, 'anon has no uid');
select is(auth.role(), 'anon', 'anon role claim');
select tests.authenticate_as_service_role();
select is(auth.role(), 'service_role', 'service_role claim');
select tests.clear_authentication();
select is(current_user::text, 'postgres', 'clear_authentication returns to postgres');
select is(auth.uid(), null, 'no claims after clearing');

-- postgres is the platform's postgres: not superuser, bypasses RLS.
select is((select rolsuper from pg_roles where rolname = 'postgres'), false, 'postgres is not a superuser');
select is((select rolbypassrls from pg_roles where rolname = 'postgres'), true, 'postgres bypasses RLS');

-- realtime.send: inserts a private broadcast row with the topic set, swallows errors as warnings.
select realtime.send('{"hello":"world"}', 'greeting', 'session:test-topic');
select is((select count(*)::int from realtime.messages where topic = 'session:test-topic' and event = 'greeting'
           and private and extension = 'broadcast' and payload ->> 'hello' = 'world' and payload ? 'id'), 1,
          'realtime.send inserts one private broadcast row with an id');
select tests.authenticate_as('alice');
select lives_ok($$ select realtime.send('{}', 'denied', 'session:rls-denied') $$,
                'realtime.send never raises, even when RLS rejects the insert');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages where topic = 'session:rls-denied'), 0,
          'a send rejected by RLS leaves no row');
select throws_ok($$ select realtime.broadcast_changes('t', 'e', 'INSERT', 'x', 'public', null, null, 'STATEMENT') $$,
                 'P0001', null, 'broadcast_changes rejects statement level');

-- Without policies on realtime.messages nobody may read or write a private channel.
select results_eq($$ select can_read, can_write from tests.realtime_access('alice', 'session:any') $$,
                  $$ values (false, false) $$, 'no policy: a user can neither read nor write');
select results_eq($$ select can_read, can_write from tests.realtime_access(null, 'session:any') $$,
                  $$ values (false, false) $$, 'no policy: anon can neither read nor write');

-- The error helper produces exactly the PGRST format PostgREST needs.
create function pg_temp.error_parts(out msg jsonb, out det jsonb) language plpgsql as $$
begin
  perform private.raise_error('rate_limited', 'Slow down', '{"limit":5}', 12);
exception when sqlstate 'PGRST' then
  declare m text; d text;
  begin
    get stacked diagnostics m = message_text, d = pg_exception_detail;
    msg := m::jsonb; det := d::jsonb;
  end;
end $$;
select is((select msg from pg_temp.error_parts()), '{"code":"rate_limited","message":"Slow down","details":{"limit":5},"hint":null}'::jsonb,
          'error MESSAGE is the JSON PostgREST expects');
select is((select det from pg_temp.error_parts()), '{"status":429,"headers":{"Retry-After":"12"}}'::jsonb,
          'error DETAIL carries the status and string headers');
select throws_ok($$ select private.raise_error('not_found', 'nope') $$, 'PGRST', null, 'raise_error raises sqlstate PGRST');

-- Structural guards.
select is(tests.tables_without_rls('public'), '{}'::text[], 'every table in public has RLS enabled');
-- Listed on purpose: the helpers behind session_cards for visitors (public event pages). Each
-- answers for one session the caller can already read and returns only what the card shows
-- (am_banned answers for the caller only: always false for anon).
select is((select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname in ('public', 'private') and p.prosecdef
             and has_function_privilege('anon', p.oid, 'execute')
             and p.oid::regprocedure::text <> all (array[
               'private.session_booked_count(uuid)', 'private.viewer_count(uuid)', 'private.am_banned(uuid)',
               'private.session_card(uuid)',
               -- search_resources applies the resources read rule itself (82_resource_search.sql and its test).
               'private.search_resources_page(text,text[],text[],text,integer,integer)',
               -- the replay listing (56_replays.sql): visitors see public and on-demand replays
               'private.visible_replays()'])), '{}'::text[],
          'no security definer function in public or private is executable by anon, except those listed on purpose');

-- Nested arrays (issue 22) ------------------------------------------------------------------------
-- PostgREST turns nested JSON ([[id]]) into a multidimensional array: every RPC that takes an array
-- answers invalid_input (400) for it, never 0A000 (a 500) and never a silently flattened list.
select is((select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
           where p.pronamespace = 'public'::regnamespace
             and exists (select 1 from unnest(p.proargtypes::oid[]) t join pg_type ty on ty.oid = t where ty.typcategory = 'A')
             and p.prosrc not like '%private.require_flat_array(%'), '{}'::text[],
          'every public function with an array argument checks it with private.require_flat_array');
select is(tests.error_code($$ select private.require_flat_array(array[array[1, 2], array[3, 4]], 'xs') $$), 'invalid_input',
          'require_flat_array: a two-dimensional array is invalid_input');
select is(tests.error_details($$ select private.require_flat_array(array[array['a']], 'xs') $$), '{"field": "xs", "dimensions": 2}'::jsonb,
          'require_flat_array: details name the field and the dimensions');
select is(tests.error_code($$ select private.require_flat_array('[0:1]={a,b}'::text[], 'xs') $$), 'invalid_input',
          'require_flat_array: an array that does not start at 1 is invalid_input');
select is(tests.error_code($$ select private.require_flat_array(null::uuid[], 'xs'), private.require_flat_array('{}'::uuid[], 'xs'),
                                     private.require_flat_array(array[1, null, 3], 'xs') $$), null,
          'require_flat_array: null, empty and flat arrays (nulls included) pass');

select tests.create_supabase_user('nina_host', metadata => '{"display_name":"Nina Host"}');
select tests.create_supabase_user('nico');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('nina_host');
insert into public.sessions (id, title, status, visibility, starts_at, started_at, duration_minutes, created_by)
values ('00000000-0000-4000-8000-0000000000a1', 'Nested arrays', 'live', 'members', now(), now(), 60, tests.get_supabase_uid('nina_host'));
insert into public.bookings (session_id, user_id, status)
values ('00000000-0000-4000-8000-0000000000a1', tests.get_supabase_uid('nico'), 'confirmed');

select tests.authenticate_as('nina_host');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000000a1', 'Q?', array[array['a', 'b'], array['c', 'd']]) $$),
          'invalid_input', 'create_poll: two-dimensional options are invalid_input');
select is(tests.error_status($$ select public.create_poll('00000000-0000-4000-8000-0000000000a1', 'Q?', array[array['a', 'b'], array['c', 'd']]) $$),
          400, 'create_poll: ... answered 400');
select is(tests.error_code($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000000a1', array[array['A', 'B']]) $$),
          'invalid_input', 'open_breakout_rooms: two-dimensional names are invalid_input');
select is(tests.error_details($$ select public.open_breakout_rooms('00000000-0000-4000-8000-0000000000a1', '[2:3]={A,B}'::text[]) $$) ->> 'field',
          'names', 'open_breakout_rooms: names that do not start at 1 are invalid_input on names');
select lives_ok($$ select public.open_poll((public.create_poll('00000000-0000-4000-8000-0000000000a1', 'Nested?', array['yes', 'no']) ->> 'id')::uuid) $$,
                'a flat poll is created and opened');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000000a1', 'S', '[[{"prompt":"p","kind":"text"}]]') $$),
          'invalid_input', 'create_survey: a field spec nested in an array is invalid_input');
select is(tests.error_code($$ select public.create_survey('00000000-0000-4000-8000-0000000000a1', 'S',
                                     '[{"prompt":"p","kind":"choice","options":{"choices":[["a","b"],["c"]]}}]') $$),
          'invalid_input', 'create_survey: nested choices are invalid_input');
select lives_ok($$ select public.open_survey((public.create_survey('00000000-0000-4000-8000-0000000000a1', 'S',
                    '[{"prompt":"Pick","kind":"choice","options":{"choices":["a","b"],"multiple":true}},
                      {"prompt":"One","kind":"choice","options":{"choices":["x","y"]}}]') ->> 'id')::uuid) $$,
                'a flat survey is created and opened');
select tests.clear_authentication();
select is((select count(*) from public.polls where session_id = '00000000-0000-4000-8000-0000000000a1'), 1::bigint,
          'no poll was written by the nested calls');
select is((select count(*) from public.rooms where session_id = '00000000-0000-4000-8000-0000000000a1'), 0::bigint,
          'no room was written by the nested calls');

create temp table nested_ids as
select (select p.id from public.polls p where p.session_id = '00000000-0000-4000-8000-0000000000a1') as poll_id,
       (select o.id from public.poll_options o join public.polls p on p.id = o.poll_id
        where p.session_id = '00000000-0000-4000-8000-0000000000a1' and o.position = 1) as option_id,
       (select s.id from public.surveys s where s.session_id = '00000000-0000-4000-8000-0000000000a1') as survey_id,
       (select f.id from public.survey_fields f join public.surveys s on s.id = f.survey_id
        where s.session_id = '00000000-0000-4000-8000-0000000000a1' and f.position = 1) as multi_field,
       (select f.id from public.survey_fields f join public.surveys s on s.id = f.survey_id
        where s.session_id = '00000000-0000-4000-8000-0000000000a1' and f.position = 2) as single_field,
       tests.get_supabase_uid('nina_host') as host_id;
grant select on nested_ids to authenticated;

select tests.authenticate_as('nico');
-- The reproduction of issue 22: a member votes in an open poll with [[option]].
select is(tests.error_code($$ select public.vote_poll((select poll_id from nested_ids), array[array[(select option_id from nested_ids)]]) $$),
          'invalid_input', 'vote_poll: two-dimensional option_ids are invalid_input (was 0A000)');
select is(tests.error_status($$ select public.vote_poll((select poll_id from nested_ids), array[array[(select option_id from nested_ids)]]) $$),
          400, 'vote_poll: ... answered 400');
select is(tests.error_code($$ select public.start_conversation(array[array[(select host_id from nested_ids)]]) $$),
          'invalid_input', 'start_conversation: two-dimensional user_ids are invalid_input (was 0A000)');
select is(tests.error_details($$ select public.start_conversation(array[array[(select host_id from nested_ids)]]) $$) ->> 'field',
          'user_ids', 'start_conversation: ... on the field user_ids');
select is(tests.error_code($$ select public.mark_notifications_read(array[array[gen_random_uuid()]]) $$),
          'invalid_input', 'mark_notifications_read: two-dimensional ids are invalid_input (not silently flattened)');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, jsonb_build_object(%L, '[["a"]]'::jsonb, %L, 'x')) $$,
                                  (select survey_id from nested_ids), (select multi_field from nested_ids), (select single_field from nested_ids))),
          'invalid_input', 'submit_survey_response: a nested multiple-choice answer is invalid_input');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, jsonb_build_object(%L, '["a"]'::jsonb, %L, '["x"]'::jsonb)) $$,
                                  (select survey_id from nested_ids), (select multi_field from nested_ids), (select single_field from nested_ids))),
          'invalid_input', 'submit_survey_response: an array for a single choice is invalid_input');
select is(tests.error_code(format($$ select public.submit_survey_response(%L, '[[{}]]') $$, (select survey_id from nested_ids))),
          'invalid_input', 'submit_survey_response: answers as a nested array is invalid_input');
select is(tests.error_code($$ select public.vote_poll((select poll_id from nested_ids), array[(select option_id from nested_ids)]) $$),
          null, 'the same member votes with a flat list');
select tests.clear_authentication();
select is((select count(*) from public.poll_votes v where v.poll_id = (select poll_id from nested_ids)), 1::bigint,
          'exactly the one flat vote was written');

select * from finish();
rollback;
