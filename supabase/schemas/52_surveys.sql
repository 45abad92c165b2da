-- Surveys of a session: surveys with validated fields (text, rating, choice ...), one response per
-- user with every answer checked against its field.
-- Tables: public.surveys, public.survey_fields, public.survey_responses.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.surveys (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  title text not null,
  status text not null default 'draft',
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  is_anonymous boolean not null default false,
  constraint surveys_title_length check (char_length(title) between 1 and 200 and title = btrim(title)),
  constraint surveys_status_valid check (status in ('draft', 'open', 'closed'))
);
comment on table public.surveys is
  'Surveys (feedback forms) of a session. Staff create (create_survey), open and close; members answer open ones '
  'with submit_survey_response.';
comment on column public.surveys.status is 'draft -> open -> closed (open_survey, close_survey).';
comment on column public.surveys.is_anonymous is
  'Set at creation (create_survey anonymous). Who answered is never shown to staff: they read only their own response '
  'rows, survey_results gives aggregates and unattributed text answers, and the attendance report does not count it.';
alter table public.surveys enable row level security;

create table public.survey_fields (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  position int not null,
  prompt text not null,
  kind text not null,
  options jsonb not null default '{}',
  required boolean not null default false,
  constraint survey_fields_survey_position_key unique (survey_id, position),
  constraint survey_fields_prompt_length check (char_length(prompt) between 1 and 500 and prompt = btrim(prompt)),
  constraint survey_fields_kind_valid check (kind in ('rating', 'text', 'choice')),
  constraint survey_fields_options_object check (jsonb_typeof(options) = 'object'),
  constraint survey_fields_position_range check (position between 1 and 50)
);
comment on table public.survey_fields is 'The questions of a survey, validated by create_survey.';
comment on column public.survey_fields.options is
  'rating: {"min":1,"max":5}; choice: {"choices":[...2-20 distinct labels], "multiple": false}; text: {"max_length": 1000}.';
alter table public.survey_fields enable row level security;

create table public.survey_responses (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  answers jsonb not null,
  created_at timestamptz not null default now(),
  constraint survey_responses_survey_user_key unique (survey_id, user_id),
  constraint survey_responses_answers_object check (jsonb_typeof(answers) = 'object')
);
comment on table public.survey_responses is
  'One response per user and survey (submit_survey_response). Users read their own; staff read all of their sessions.';
comment on column public.survey_responses.answers is
  'Object of field id -> answer: rating an integer, choice a label (or an array of labels when multiple), text a string.';
alter table public.survey_responses enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index surveys_session_id_idx on public.surveys (session_id, status);
create index surveys_created_by_idx on public.surveys (created_by);
create index survey_responses_user_id_idx on public.survey_responses (user_id);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.survey_json(survey_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', s.id, 'session_id', s.session_id, 'title', s.title, 'status', s.status, 'is_anonymous', s.is_anonymous,
    'created_at', s.created_at,
    'fields', (select jsonb_agg(jsonb_build_object('id', f.id, 'position', f.position, 'prompt', f.prompt, 'kind', f.kind,
                                                   'options', f.options, 'required', f.required) order by f.position)
               from public.survey_fields f where f.survey_id = s.id))
  from public.surveys s where s.id = survey_json.survey_id;
$$;
comment on function private.survey_json(uuid) is 'A survey with its fields as JSON, for RPC answers.';
revoke execute on function private.survey_json(uuid) from public, anon, authenticated, service_role;

-- Validates one field spec of create_survey and returns its normalized options (or raises
-- invalid_input with details {field: position, reason}).
create function private.survey_field_options(spec jsonb, field_position int)
returns jsonb
language plpgsql immutable set search_path = '' as $$
declare
  v_kind text := spec ->> 'kind';
  v_options jsonb := coalesce(spec -> 'options', '{}'::jsonb);
  v_min numeric;
  v_max numeric;
  v_choices text[];
  v_max_length numeric;
begin
  if jsonb_typeof(v_options) <> 'object' then
    perform private.raise_error('invalid_input', 'options must be an object.', jsonb_build_object('field', field_position, 'reason', 'options'));
  end if;
  if v_kind = 'rating' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('min', 'max')) then
      perform private.raise_error('invalid_input', 'Rating options are min and max.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    if jsonb_typeof(coalesce(v_options -> 'min', '1')) <> 'number' or jsonb_typeof(coalesce(v_options -> 'max', '5')) <> 'number' then
      perform private.raise_error('invalid_input', 'min and max are integers.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_min := coalesce((v_options ->> 'min')::numeric, 1);
    v_max := coalesce((v_options ->> 'max')::numeric, 5);
    if v_min <> trunc(v_min) or v_max <> trunc(v_max) or v_min >= v_max or v_min < -100 or v_max > 100 then
      perform private.raise_error('invalid_input', 'A rating is integers min < max within -100..100.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('min', v_min::int, 'max', v_max::int);
  elsif v_kind = 'choice' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('choices', 'multiple'))
       or jsonb_typeof(v_options -> 'choices') is distinct from 'array'
       or jsonb_typeof(coalesce(v_options -> 'multiple', 'false')) <> 'boolean'
       or exists (select 1 from jsonb_array_elements(v_options -> 'choices') c where jsonb_typeof(c) <> 'string') then
      perform private.raise_error('invalid_input', 'Choice options are {"choices": [labels], "multiple": boolean}.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    select array_agg(btrim(c) order by n) into v_choices
    from jsonb_array_elements_text(v_options -> 'choices') with ordinality as c (c, n);
    if coalesce(cardinality(v_choices), 0) not between 2 and 20
       or exists (select 1 from unnest(v_choices) c where char_length(c) not between 1 and 200)
       or (select count(distinct c) from unnest(v_choices) c) <> cardinality(v_choices) then
      perform private.raise_error('invalid_input', 'A choice has 2 to 20 distinct labels of 1 to 200 characters.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('choices', to_jsonb(v_choices), 'multiple', coalesce((v_options ->> 'multiple')::boolean, false));
  elsif v_kind = 'text' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k <> 'max_length')
       or jsonb_typeof(coalesce(v_options -> 'max_length', '1000')) <> 'number' then
      perform private.raise_error('invalid_input', 'Text options are {"max_length": 1..5000}.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_max_length := coalesce((v_options ->> 'max_length')::numeric, 1000);
    if v_max_length <> trunc(v_max_length) or v_max_length not between 1 and 5000 then
      perform private.raise_error('invalid_input', 'max_length is an integer 1..5000.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('max_length', v_max_length::int);
  end if;
  perform private.raise_error('invalid_input', 'kind is rating, text or choice.', jsonb_build_object('field', field_position, 'reason', 'kind'));
  return null;
end;
$$;
comment on function private.survey_field_options(jsonb, int) is
  'Validates a survey field spec''s kind and options; returns normalized options or raises invalid_input {field, reason}.';
revoke execute on function private.survey_field_options(jsonb, int)
  from public, anon, authenticated, service_role;

create function private.survey_for_staff(survey_id uuid)
returns public.surveys
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = survey_for_staff.survey_id for update;
  if v_survey.id is null then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'staff');
  return v_survey;
end;
$$;
comment on function private.survey_for_staff(uuid) is 'Locks and returns a survey for staff; not_authenticated, not_found or forbidden.';
revoke execute on function private.survey_for_staff(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.surveys from public, anon, authenticated, service_role;
grant select on table public.surveys to authenticated;
grant all on table public.surveys to service_role;
create policy "members read non-draft surveys and staff all surveys" on public.surveys
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.survey_fields from public, anon, authenticated, service_role;
grant select on table public.survey_fields to authenticated;
grant all on table public.survey_fields to service_role;
create policy "users read the fields of surveys they can read" on public.survey_fields
  for select to authenticated
  using (survey_id in (select s.id from public.surveys s));

revoke all on table public.survey_responses from public, anon, authenticated, service_role;
grant select on table public.survey_responses to authenticated;
grant all on table public.survey_responses to service_role;
-- Anonymous surveys: staff read no response rows (they would name who answered); survey_results
-- gives them the aggregates.
create policy "users read their own responses and staff those of named surveys" on public.survey_responses
  for select to authenticated
  using (user_id = (select auth.uid())
    or survey_id in (select s.id from public.surveys s
                     where not s.is_anonymous
                       and s.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- One field's results for survey_results (which checks the caller). Reads responses of other users:
-- runs inside that security definer function only.
create function private.survey_field_results(field public.survey_fields, anonymous boolean)
returns jsonb
language sql stable set search_path = '' as $$
  with answers as (
    select r.user_id, r.created_at, r.answers -> (field).id::text as answer
    from public.survey_responses r
    where r.survey_id = (field).survey_id and r.answers ? (field).id::text
      and jsonb_typeof(r.answers -> (field).id::text) <> 'null')
  select jsonb_build_object(
    'field_id', (field).id, 'position', (field).position, 'prompt', (field).prompt, 'kind', (field).kind,
    'required', (field).required, 'answered', (select count(*) from answers))
  || case (field).kind
    when 'rating' then jsonb_build_object(
      'average', (select round(avg((a.answer #>> '{}')::numeric), 2) from answers a),
      'histogram', (select jsonb_agg(jsonb_build_object('value', v, 'count',
                                      (select count(*) from answers a where (a.answer #>> '{}')::numeric = v)) order by v)
                    from generate_series(((field).options ->> 'min')::int, ((field).options ->> 'max')::int) v))
    when 'choice' then jsonb_build_object(
      'counts', (select jsonb_agg(jsonb_build_object('choice', c.label, 'count',
                                   (select count(*) from answers a
                                    where a.answer = to_jsonb(c.label)
                                       or (jsonb_typeof(a.answer) = 'array' and a.answer @> jsonb_build_array(c.label))))
                                 order by c.n)
                 from jsonb_array_elements_text((field).options -> 'choices') with ordinality as c (label, n)))
    else jsonb_build_object(
      'answers', case when anonymous then
          coalesce((select jsonb_agg(jsonb_build_object('answer', a.answer #>> '{}') order by a.answer #>> '{}')
                    from answers a), '[]'::jsonb)
        else
          coalesce((select jsonb_agg(jsonb_build_object('answer', a.answer #>> '{}', 'user_id', a.user_id,
                                                        'display_name', p.display_name, 'created_at', a.created_at)
                                     order by a.created_at, a.user_id)
                    from answers a left join public.profiles p on p.id = a.user_id), '[]'::jsonb)
        end)
  end
$$;
comment on function private.survey_field_results(public.survey_fields, boolean) is
  'Results of one survey field (see public.survey_results); anonymous = true leaves out who wrote each text answer. Internal.';
revoke execute on function private.survey_field_results(public.survey_fields, boolean) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: inserts surveys and fields, which clients cannot write, after the staff check.
-- Any session status: feedback surveys are typically sent after the session has ended.
create function public.create_survey(session_id uuid, title text, fields jsonb, anonymous boolean default false)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(create_survey.session_id, 'staff');
  v_title text := btrim(create_survey.title);
  v_field jsonb;
  v_position int;
  v_prompt text;
  v_survey_id uuid;
begin
  if v_title is null or char_length(v_title) not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The title is 1 to 200 characters.', jsonb_build_object('field', 'title'));
  end if;
  if jsonb_typeof(create_survey.fields) is distinct from 'array' or jsonb_array_length(create_survey.fields) not between 1 and 50 then
    perform private.raise_error('invalid_input', 'fields is an array of 1 to 50 field specs.', jsonb_build_object('field', 'fields'));
  end if;
  insert into public.surveys (session_id, title, created_by, is_anonymous)
  values (create_survey.session_id, v_title, v_uid, coalesce(create_survey.anonymous, false))
  returning id into v_survey_id;
  for v_field, v_position in select f.value, f.n::int from jsonb_array_elements(create_survey.fields) with ordinality as f (value, n) loop
    if jsonb_typeof(v_field) <> 'object'
       or exists (select 1 from jsonb_object_keys(v_field) k where k not in ('prompt', 'kind', 'options', 'required')) then
      perform private.raise_error('invalid_input', 'A field is {prompt, kind, options, required}.',
        jsonb_build_object('field', v_position, 'reason', 'shape'));
    end if;
    v_prompt := btrim(v_field ->> 'prompt');
    if jsonb_typeof(v_field -> 'prompt') is distinct from 'string' or char_length(v_prompt) not between 1 and 500 then
      perform private.raise_error('invalid_input', 'A prompt is 1 to 500 characters.', jsonb_build_object('field', v_position, 'reason', 'prompt'));
    end if;
    if jsonb_typeof(coalesce(v_field -> 'required', 'false')) <> 'boolean' then
      perform private.raise_error('invalid_input', 'required is a boolean.', jsonb_build_object('field', v_position, 'reason', 'required'));
    end if;
    insert into public.survey_fields (survey_id, position, prompt, kind, options, required)
    values (v_survey_id, v_position, v_prompt, v_field ->> 'kind', private.survey_field_options(v_field, v_position),
            coalesce((v_field ->> 'required')::boolean, false));
  end loop;
  return private.survey_json(v_survey_id);
end;
$$;
comment on function public.create_survey(uuid, text, jsonb, boolean) is
  'Staff create a draft survey: title 1-200 chars; fields an array of 1-50 {prompt (1-500 chars), kind rating|text|choice, '
  'options (rating {"min","max"} default 1..5; choice {"choices":[2-20 distinct labels], "multiple": false}; text '
  '{"max_length"} default 1000, at most 5000), required (default false)}; anonymous (default false): who answered is '
  'never shown to staff. invalid_input details {field: position, reason}.';
revoke execute on function public.create_survey(uuid, text, jsonb, boolean) from public, anon;
grant execute on function public.create_survey(uuid, text, jsonb, boolean) to authenticated, service_role;

-- SECURITY DEFINER: aggregates the responses of other users for staff. Anonymous surveys: counts and
-- text answers only, the texts without author or time and in text order (the order of arrival
-- could tell who wrote which).
create function public.survey_results(survey_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_survey public.surveys;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', survey_results.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = survey_results.survey_id;
  if v_survey.id is null then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', survey_results.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'staff');
  return jsonb_build_object(
    'survey_id', v_survey.id, 'session_id', v_survey.session_id, 'title', v_survey.title, 'status', v_survey.status,
    'is_anonymous', v_survey.is_anonymous,
    'responses', (select count(*) from public.survey_responses r where r.survey_id = v_survey.id),
    'fields', coalesce((
      select jsonb_agg(private.survey_field_results(f, v_survey.is_anonymous) order by f.position)
      from public.survey_fields f where f.survey_id = v_survey.id), '[]'::jsonb));
end;
$$;
comment on function public.survey_results(uuid) is
  'Staff (hosts, moderators; service_role) of the survey''s session: {survey_id, session_id, title, status, is_anonymous, '
  'responses, fields: [{field_id, position, prompt, kind, required, answered, and per kind: rating {average (2 decimals, '
  'null without answers), histogram [{value, count}] for every value min..max}; choice {counts [{choice, count}] in the '
  'field''s order, multiple choices each counted}; text {answers [{answer, user_id, display_name, created_at}], oldest '
  'first; for an anonymous survey only {answer}, in text order}}]}. Errors: not_authenticated, not_found, forbidden.';
revoke execute on function public.survey_results(uuid) from public, anon;
grant execute on function public.survey_results(uuid) to authenticated, service_role;

create function public.open_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(open_survey.survey_id);
begin
  if v_survey.status <> 'draft' then
    perform private.raise_error('invalid_transition', 'Only a draft survey can open.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'open' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.open_survey(uuid) is 'Staff: draft -> open. Returns the survey with its fields.';
revoke execute on function public.open_survey(uuid) from public, anon;
grant execute on function public.open_survey(uuid) to authenticated, service_role;

create function public.close_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(close_survey.survey_id);
begin
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'Only an open survey can close.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'closed' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.close_survey(uuid) is 'Staff: open -> closed. Returns the survey with its fields.';
revoke execute on function public.close_survey(uuid) from public, anon;
grant execute on function public.close_survey(uuid) to authenticated, service_role;

-- SECURITY DEFINER: inserts the response (clients cannot write survey_responses) after validating
-- every answer against its field.
create function public.submit_survey_response(survey_id uuid, answers jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_survey public.surveys;
  v_key text;
  v_field public.survey_fields;
  v_value jsonb;
  v_text text;
  v_clean jsonb := '{}'::jsonb;
  v_id uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = submit_survey_response.survey_id;
  if v_survey.id is null or (v_survey.status = 'draft' and not private.is_session_staff(v_survey.session_id, array['host', 'moderator'])) then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'member');
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'This survey is not open.', jsonb_build_object('status', v_survey.status));
  end if;
  if jsonb_typeof(submit_survey_response.answers) is distinct from 'object' then
    perform private.raise_error('invalid_input', 'answers is an object of field id -> answer.', jsonb_build_object('field', 'answers'));
  end if;
  for v_key in select jsonb_object_keys(submit_survey_response.answers) loop
    if not exists (select 1 from public.survey_fields f where f.survey_id = v_survey.id and f.id::text = v_key) then
      perform private.raise_error('invalid_input', 'Unknown field.', jsonb_build_object('field_id', v_key, 'reason', 'unknown_field'));
    end if;
  end loop;
  for v_field in select f.* from public.survey_fields f where f.survey_id = v_survey.id order by f.position loop
    v_value := submit_survey_response.answers -> v_field.id::text;
    if v_value = 'null'::jsonb then
      v_value := null;
    end if;
    if v_field.kind = 'text' and jsonb_typeof(v_value) = 'string' then
      v_text := btrim(v_value #>> '{}');
      v_value := case when v_text = '' then null else to_jsonb(v_text) end;
    end if;
    if v_value is null then
      if v_field.required then
        perform private.raise_error('invalid_input', 'This field is required.', jsonb_build_object('field_id', v_field.id, 'reason', 'required'));
      end if;
      continue;
    end if;
    if v_field.kind = 'rating' then
      if jsonb_typeof(v_value) <> 'number' or (v_value #>> '{}')::numeric <> trunc((v_value #>> '{}')::numeric)
         or (v_value #>> '{}')::numeric not between (v_field.options ->> 'min')::numeric and (v_field.options ->> 'max')::numeric then
        perform private.raise_error('invalid_input', 'A rating is an integer within the field''s range.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'rating', 'min', v_field.options -> 'min', 'max', v_field.options -> 'max'));
      end if;
    elsif v_field.kind = 'choice' then
      if coalesce((v_field.options ->> 'multiple')::boolean, false) then
        if jsonb_typeof(v_value) <> 'array' or jsonb_array_length(v_value) = 0
           or exists (select 1 from jsonb_array_elements(v_value) c where not (v_field.options -> 'choices') @> jsonb_build_array(c) or jsonb_typeof(c) <> 'string')
           or (select count(distinct c) from jsonb_array_elements(v_value) c) <> jsonb_array_length(v_value) then
          perform private.raise_error('invalid_input', 'Choose one or more distinct options of the field.',
            jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
        end if;
      elsif jsonb_typeof(v_value) <> 'string' or not (v_field.options -> 'choices') @> jsonb_build_array(v_value) then
        perform private.raise_error('invalid_input', 'Choose one option of the field.', jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
      end if;
    elsif v_field.kind = 'text' then
      if jsonb_typeof(v_value) <> 'string' or char_length(v_value #>> '{}') > (v_field.options ->> 'max_length')::int then
        perform private.raise_error('invalid_input', 'A text answer is a string within the field''s max_length.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'text', 'max_length', v_field.options -> 'max_length'));
      end if;
    end if;
    v_clean := v_clean || jsonb_build_object(v_field.id::text, v_value);
  end loop;
  insert into public.survey_responses (survey_id, user_id, answers) values (v_survey.id, v_uid, v_clean)
  on conflict do nothing
  returning id into v_id;
  if v_id is null then
    perform private.raise_error('already_responded', 'You already answered this survey.', jsonb_build_object('survey_id', v_survey.id));
  end if;
  return jsonb_build_object('id', v_id, 'survey_id', v_survey.id, 'answers', v_clean);
end;
$$;
comment on function public.submit_survey_response(uuid, jsonb) is
  'Members (not banned) answer an open survey once: answers {field_id: value}; rating an integer in range, choice a label '
  '(an array of distinct labels when multiple), text a string up to max_length (trimmed; empty = missing), required '
  'fields present, no unknown field ids. invalid_input details {field_id, reason}; already_responded on a second call.';
revoke execute on function public.submit_survey_response(uuid, jsonb) from public, anon;
grant execute on function public.submit_survey_response(uuid, jsonb) to authenticated, service_role;
