-- Foundations: the `private` schema for helpers that policies and RPCs use, the project-wide
-- privilege baseline, the one error helper every RPC raises through, and the small helpers every
-- capability shares (time zone names, updated_at, clean user text).
-- Tables: private.time_zones.

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

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- private.is_valid_timezone() backs CHECK constraints on profiles and sessions and runs in the
-- signup trigger, but reading pg_timezone_names parses the whole tzdata directory (about 50 ms per
-- call), which made every signup slow. The names live in this indexed table instead, filled from
-- pg_timezone_names once; private.refresh_time_zones() reloads it after a server tzdata upgrade.
create table private.time_zones (
  name text primary key
);
comment on table private.time_zones is
  'IANA time zone names known to the server (a snapshot of pg_timezone_names, reloaded by private.refresh_time_zones()).';

-- Data, not schema: `supabase db diff` does not see it (the baseline migration has it).
insert into private.time_zones (name) select n.name from pg_catalog.pg_timezone_names n on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

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
    when 'account_deactivated' then 403
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
    -- counselling (33_counselling.sql)
    when 'slot_unavailable' then 409
    when 'too_late' then 409
    when 'schedule_conflict' then 409
    when 'rate_limited' then 429
    when 'slow_mode' then 429
    else 500
  end
$$;
comment on function private.error_status(text) is 'HTTP status for an API error code, as listed in API.md.';
revoke execute on function private.error_status(text) from public;
grant execute on function private.error_status(text) to anon, authenticated, service_role;

-- Raises the error in the format PostgREST turns into an HTTP answer: sqlstate PGRST, MESSAGE a JSON
-- object with code/message/details/hint, DETAIL a JSON object with the status and string headers.
-- Every private.raise_error call passes details built at run time: that kept plpgsql_check clean
-- while raise_error was immutable (a call with only constant arguments was folded, and raised, at
-- plan time); it is volatile now, and the details help clients anyway.
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
revoke execute on function private.raise_error(text, text, jsonb, int) from public;
grant execute on function private.raise_error(text, text, jsonb, int) to anon, authenticated, service_role;

-- Arrays from clients. PostgREST turns nested JSON (`option_ids: [[id]]`) into a multidimensional
-- array, which array_position() refuses (0A000, a 500) and unnest() silently flattens; a literal such
-- as '[5:6]={a,b}' moves the lower bound. Every RPC that takes an array calls this first, so such an
-- argument is invalid_input (400) like any other malformed one. Null and the empty array pass (the
-- RPC decides what they mean).
create function private.require_flat_array(value anyarray, field text)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  if pg_catalog.array_ndims(value) > 1 or pg_catalog.array_lower(value, 1) <> 1 then
    perform private.raise_error('invalid_input', field || ' must be a flat list.',
      jsonb_build_object('field', field, 'dimensions', pg_catalog.array_ndims(value)));
  end if;
end;
$$;
comment on function private.require_flat_array(anyarray, text) is
  'Raises invalid_input {field, dimensions} unless the array is one-dimensional and starts at 1 (null and empty pass). '
  'Called first by every RPC that takes an array argument.';
revoke execute on function private.require_flat_array(anyarray, text) from public;
grant execute on function private.require_flat_array(anyarray, text) to anon, authenticated, service_role;

-- SECURITY INVOKER: reads only private.time_zones, which every role may read. Stable rather than
-- immutable because the set of names follows the server's tzdata.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and its query is planned
-- again on every call (~0.05-0.15 ms, for one index probe); PL/pgSQL keeps the plan per session.
-- It runs in the CHECK of every session and profile write (book_slot creates a session per call).
create function private.is_valid_timezone(tz text)
returns boolean
language plpgsql stable parallel safe set search_path = '' as $$
begin
  return tz is not null and exists (select 1 from private.time_zones z where z.name = tz);
end;
$$;
comment on function private.is_valid_timezone(text) is
  'True when the argument is an IANA time zone name known to the server (private.time_zones).';
revoke execute on function private.is_valid_timezone(text) from public;
-- CHECK constraints run with the writer's privileges, so every writing role needs it.
grant execute on function private.is_valid_timezone(text) to anon, authenticated, service_role;

create function private.refresh_time_zones()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_added int;
begin
  insert into private.time_zones (name)
  select n.name from pg_catalog.pg_timezone_names n
  on conflict do nothing;
  get diagnostics v_added = row_count;
  return v_added;
end;
$$;
comment on function private.refresh_time_zones() is
  'Adds the time zone names of the server''s current tzdata to private.time_zones; returns how many were new.';
revoke execute on function private.refresh_time_zones() from public, anon, authenticated;
grant execute on function private.refresh_time_zones() to service_role;

-- btrim() removes only the ASCII space: a chat message of newlines and tabs, no-break spaces
-- (U+00A0), zero-width spaces (U+200B) or ideographic spaces (U+3000) would pass a length check and
-- reach the whole audience as an empty bubble. This trims every kind of blank from both ends.
-- PL/pgSQL for the same reason as is_valid_timezone (a SQL function with SET is planned per call).
create function private.clean_text(value text)
returns text
language plpgsql immutable parallel safe set search_path = '' as $$
begin
  return pg_catalog.regexp_replace(value,
    '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+$',
    '', 'g');
end;
$$;
comment on function private.clean_text(text) is
  'The text without leading and trailing whitespace of any kind: ASCII and Unicode spaces, line breaks, tabs, '
  'zero-width and direction marks, the byte order mark. Null stays null.';
revoke execute on function private.clean_text(text) from public, anon;
grant execute on function private.clean_text(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

-- CHECK constraints run with the writer's privileges: every writing role reads the names.
revoke all on table private.time_zones from public, anon, authenticated, service_role;
grant select on table private.time_zones to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions (attached to the tables of later files)
-- ---------------------------------------------------------------------------------------------

-- Keeps updated_at current on every UPDATE; reusable by any table with that column.
create function private.set_updated_at()
returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function private.set_updated_at() is 'Trigger: sets updated_at to now() on update.';
revoke execute on function private.set_updated_at() from public, anon, authenticated, service_role;

-- Stores user text cleaned (chat_messages, direct_messages, questions: body; conversations: title),
-- refusing an empty body with invalid_input (400) like the RPCs' own length check.
-- Security definer not needed: it only rewrites the row being written.
create function private.clean_body()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_table_name = 'conversations' then
    new.title := nullif(private.clean_text(new.title), '');
    return new;
  end if;
  new.body := private.clean_text(new.body);
  if new.body = '' then
    perform private.raise_error('invalid_input', 'The text is empty.', jsonb_build_object('field', 'body'));
  end if;
  return new;
end;
$$;
comment on function private.clean_body() is
  'Trigger before writing user text: trims body (chat_messages, direct_messages, questions) with private.clean_text and '
  'refuses it when nothing is left (invalid_input); a blank conversations.title becomes null. Internal.';
revoke execute on function private.clean_body() from public, anon, authenticated, service_role;
