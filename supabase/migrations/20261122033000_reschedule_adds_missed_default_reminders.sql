-- A reschedule to a later start adds the default reminders a booking could not have when it was made.
--
-- Why: the default reminders of a booking (1440 and 15 minutes before) are decided once, against the
-- start time when the user booked: only the lead times still ahead then are added. A booking made
-- 2 hours before the start got the 15 minute reminder only, and one made 10 minutes before got
-- none. When the host then moved the session days later, those bookings kept no 24 hour (or no)
-- reminder, while a booking made after the move gets both. A reschedule only re-armed the existing
-- reminders.
--
-- Now a trigger on a scheduled session's new starts_at adds, for every active booking whose defaults
-- are already added (pending ones are added by the job against the new start anyway), each default
-- lead time that had already passed when the user booked (against the start before this change)
-- and is ahead of now (against the new start), unless the user opted out of default reminders. A
-- default the booking did get is never re-added, so one the user deleted stays deleted.

-- Security definer: hosts reschedule through RLS; reminders belong to other users.
create function private.sessions_add_missed_default_reminders()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.session_reminders (session_id, user_id, minutes_before)
  select b.session_id, b.user_id, d.minutes
  from public.bookings b
  cross join (values (1440), (15)) as d (minutes)
  where b.session_id = new.id
    and b.status in ('confirmed', 'waitlisted')
    and not b.default_reminders_pending
    and old.starts_at - make_interval(mins => d.minutes) <= b.created_at
    and new.starts_at - make_interval(mins => d.minutes) > now()
    and not exists (select 1 from public.notification_preferences np
                    where np.user_id = b.user_id and np.kind = 'session_reminder' and not np.default_reminders)
  on conflict on constraint session_reminders_unique do nothing;
  return null;
end;
$$;
comment on function private.sessions_add_missed_default_reminders() is
  'Trigger after a scheduled session''s starts_at changes: adds to each active booking the default reminders (1440, 15) '
  'whose lead time had passed when it was booked and is ahead of now, unless the user opted out. Internal.';
revoke execute on function private.sessions_add_missed_default_reminders() from public, anon, authenticated;

create trigger sessions_add_missed_default_reminders after update of starts_at on public.sessions
  for each row
  when (new.starts_at is distinct from old.starts_at and new.status = 'scheduled')
  execute function private.sessions_add_missed_default_reminders();
