-- API foundations: the `private` schema for helpers that policies and RPCs use, the project-wide
-- privilege baseline, and the one error helper every RPC raises through.
-- Touches no tables.

create schema if not exists private;
comment on schema private is 'Helpers for policies and RPCs. Not exposed through the Data API.';
revoke all on schema private from public;
grant usage on schema private to authenticated, anon, service_role;

-- Start from nothing: functions created by postgres from now on are not executable by PUBLIC
-- (the per-schema form cannot revoke; see PLATFORM.md). Each function is granted explicitly.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;

-- HTTP status of each API error code (API.md, "Errors").
create function private.error_status(code text)
returns int
language sql immutable set search_path = '' as $$
  select case code
    when 'invalid_input' then 400
    when 'not_authenticated' then 401
    when 'forbidden' then 403
    when 'banned' then 403
    when 'chat_disabled' then 403
    when 'not_found' then 404
    when 'already_booked' then 409
    when 'already_voted' then 409
    when 'already_upvoted' then 409
    when 'already_responded' then 409
    when 'reminder_exists' then 409
    when 'invalid_transition' then 409
    when 'poll_not_open' then 409
    when 'session_full' then 409
    when 'conflict' then 409
    when 'rate_limited' then 429
    when 'slow_mode' then 429
    else 500
  end
$$;
comment on function private.error_status(text) is 'HTTP status for an API error code, as listed in API.md.';

-- Raises the error in the format PostgREST turns into an HTTP answer: sqlstate PGRST, MESSAGE a JSON
-- object with code/message/details/hint, DETAIL a JSON object with the status and string headers.
create function private.raise_error(
  code text,
  message text,
  details jsonb default null,
  retry_after_seconds int default null
) returns void
language plpgsql volatile set search_path = '' as $$
declare
  v_headers jsonb := '{}'::jsonb;
begin
  if retry_after_seconds is not null then
    v_headers := jsonb_build_object('Retry-After', greatest(retry_after_seconds, 1)::text);
  end if;
  if code = 'not_authenticated' then
    v_headers := v_headers || jsonb_build_object('WWW-Authenticate', 'Bearer');
  end if;
  raise sqlstate 'PGRST' using
    message = jsonb_build_object('code', code, 'message', message, 'details', details, 'hint', null)::text,
    detail = jsonb_build_object('status', private.error_status(code), 'headers', v_headers)::text;
end;
$$;
comment on function private.raise_error(text, text, jsonb, int) is
  'Raises an API error (sqlstate PGRST) that PostgREST and the Edge Functions answer with the status of its code.';

revoke all on function private.error_status(text) from public;
revoke all on function private.raise_error(text, text, jsonb, int) from public;
grant execute on function private.error_status(text) to anon, authenticated, service_role;
grant execute on function private.raise_error(text, text, jsonb, int) to anon, authenticated, service_role;
