-- Fast time zone validation: private.is_valid_timezone() backs CHECK constraints on profiles and
-- sessions and runs in the signup trigger, but reading pg_timezone_names parses the whole tzdata
-- directory (about 50 ms per call), which made every signup slow. The names now live in an indexed
-- table filled from pg_timezone_names once; `private.refresh_time_zones()` reloads it after a
-- server tzdata upgrade.
-- Tables: private.time_zones (new).

create table private.time_zones (
  name text primary key
);
comment on table private.time_zones is
  'IANA time zone names known to the server (a snapshot of pg_timezone_names, reloaded by private.refresh_time_zones()).';

insert into private.time_zones (name) select n.name from pg_catalog.pg_timezone_names n on conflict do nothing;

-- CHECK constraints run with the writer's privileges: every writing role reads the names.
revoke all on table private.time_zones from public, anon, authenticated;
grant select on table private.time_zones to anon, authenticated, service_role;

create or replace function private.is_valid_timezone(tz text)
returns boolean
language sql stable parallel safe set search_path = '' as $$
  select tz is not null and exists (select 1 from private.time_zones z where z.name = tz)
$$;
comment on function private.is_valid_timezone(text) is
  'True when the argument is an IANA time zone name known to the server (private.time_zones).';

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
