-- A session's start time is a real, finite time, and a session cannot be published once its start
-- has passed.
--
-- Why: sessions accepted starts_at = 'infinity' or '-infinity'. Publishing or rescheduling such a
-- session then failed inside a trigger with a raw 22008 ("cannot subtract infinite timestamps")
-- instead of an API error. And publish_session accepted a draft whose start was long past: it
-- became a scheduled session that could be joined (and booked) years after it should have ended.
-- reschedule_session already refuses a start in the past.
--
-- Now a trigger before a session is written refuses an infinite starts_at with invalid_input (400),
-- and publishing (draft -> scheduled) a session whose start has passed is invalid_input too:
-- reschedule it first. Existing rows are not touched.

create function private.sessions_check_start()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if not isfinite(new.starts_at) then
    perform private.raise_error('invalid_input', 'starts_at must be a real time.', jsonb_build_object('field', 'starts_at'));
  end if;
  if tg_op = 'UPDATE' and old.status = 'draft' and new.status = 'scheduled' and new.starts_at <= now() then
    perform private.raise_error('invalid_input', 'The start time has passed: reschedule the session before publishing it.',
      jsonb_build_object('field', 'starts_at', 'starts_at', new.starts_at));
  end if;
  return new;
end;
$$;
comment on function private.sessions_check_start() is
  'Trigger before a session is written: starts_at must be finite, and a draft whose start has passed cannot be '
  'published (invalid_input). Internal.';
revoke execute on function private.sessions_check_start() from public, anon, authenticated;

create trigger sessions_check_start before insert or update of starts_at, status on public.sessions
  for each row execute function private.sessions_check_start();
