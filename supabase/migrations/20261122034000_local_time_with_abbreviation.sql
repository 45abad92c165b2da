-- Reminder texts name the offset in force (CEST or CET, UTC+04), so the hour repeated when clocks go
-- back reads differently on each side.
--
-- Why: private.format_local_time gave 'Sun 25 Oct 2026 02:30 Europe/Amsterdam' for both 00:30Z and
-- 01:30Z (the repeated hour at the end of summer time), and '01:30 America/New_York' twice on
-- 1 Nov 2026: a reminder could not tell its reader which of two instants an hour apart was meant.
--
-- Now the zone's abbreviation at that instant follows in parentheses ('... 02:30 Europe/Amsterdam
-- (CEST)', '... 02:30 Europe/Amsterdam (CET)'); where the time zone database has only a numeric one
-- it reads as an offset ('Asia/Dubai (UTC+04)'), and it is left out when it equals the zone name
-- ('12:00 UTC').

create or replace function private.format_local_time(ts timestamptz, tz text)
returns text
language plpgsql stable set search_path = '' set timezone = 'UTC' as $$
declare
  v_zone text := coalesce(tz, 'UTC');
  v_abbrev text;
begin
  perform set_config('TimeZone', v_zone, true);
  v_abbrev := to_char(ts, 'TZ');
  if v_abbrev ~ '^[+-]' then
    v_abbrev := 'UTC' || v_abbrev;
  end if;
  return to_char(ts, 'Dy DD Mon YYYY HH24:MI') || ' ' || v_zone
         || case when v_abbrev is null or v_abbrev = '' or upper(v_abbrev) = upper(v_zone) then '' else ' (' || v_abbrev || ')' end;
end;
$$;
comment on function private.format_local_time(timestamptz, text) is
  'Formats an instant for a reader in an IANA zone (null = UTC), DST-aware, reading the name as a zone, never as an '
  'abbreviation, with the abbreviation (or UTC offset) in force: e.g. ''Sat 24 Oct 2026 10:00 Europe/Amsterdam (CEST)'', '
  '''Wed 15 Jul 2026 14:00 CET (CEST)'', ''Wed 15 Jul 2026 16:00 Asia/Dubai (UTC+04)'', ''Wed 15 Jul 2026 12:00 UTC''.';
