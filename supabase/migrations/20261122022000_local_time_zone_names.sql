-- Reminder texts show the right local time for the zone names CET, EET, MET and WET in summer.
--
-- Why: private.format_local_time used `ts at time zone tz`, which reads tz as a time zone
-- abbreviation first. CET, EET, MET and WET are also abbreviations (fixed winter offsets), so a
-- profile or session in one of these zones got its summer times an hour early ("13:00 CET" for
-- 14:00 in Berlin). All four are valid zone names (private.is_valid_timezone accepts them).
--
-- Now the TimeZone setting, which resolves names in the time zone database only, does the
-- conversion; the function's own SET clause restores the caller's setting when it returns.

create or replace function private.format_local_time(ts timestamptz, tz text)
returns text
language plpgsql stable set search_path = '' set timezone = 'UTC' as $$
begin
  perform set_config('TimeZone', coalesce(tz, 'UTC'), true);
  return to_char(ts, 'Dy DD Mon YYYY HH24:MI') || ' ' || coalesce(tz, 'UTC');
end;
$$;
comment on function private.format_local_time(timestamptz, text) is
  'Formats an instant for a reader in an IANA zone (null = UTC), DST-aware, reading the name as a zone, never as an '
  'abbreviation: e.g. ''Sat 24 Oct 2026 10:00 Europe/Amsterdam'', ''Wed 15 Jul 2026 14:00 CET''.';
