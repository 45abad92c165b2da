-- set_reminder refuses the reminders the reminder job would never send.
--
-- Why: set_reminder accepted a reminder on any scheduled session the caller can see, but the job
-- (private.send_due_reminder_notifications) sends only to staff, to active bookings, and to users
-- without any booking of a session that is not private: a cancelled booking stops its reminders
-- (they fire again if the user books again). An admin's reminder on a private session they are
-- not booked on, or a reminder set after cancelling a booking, was accepted and then never sent.
--
-- Now those are refused with forbidden (reason booking_required). Same body otherwise (as landed in
-- 20261121223000).

create or replace function public.set_reminder(session_id uuid, minutes_before int default 15)
returns public.session_reminders
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_session public.sessions := private.session_for_member_action(set_reminder.session_id);
  v_row public.session_reminders;
begin
  if set_reminder.minutes_before is null or set_reminder.minutes_before not between 1 and 10080 then
    perform private.raise_error('invalid_input', 'minutes_before is 1 to 10080.',
      jsonb_build_object('field', 'minutes_before', 'min', 1, 'max', 10080));
  end if;
  if v_session.status <> 'scheduled' then
    perform private.raise_error('invalid_transition', 'Reminders are for scheduled sessions.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;
  if v_session.starts_at - make_interval(mins => set_reminder.minutes_before) <= now() then
    perform private.raise_error('invalid_input', 'That reminder time has already passed.',
      jsonb_build_object('field', 'minutes_before', 'starts_at', v_session.starts_at));
  end if;
  -- The reminder job sends to staff, to active bookings, and to users who never booked a session open
  -- to them (a cancelled booking stops its reminders until the user books again): refuse a reminder
  -- it would not send.
  if not exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = v_uid)
     and not exists (select 1 from public.bookings b
                     where b.session_id = v_session.id and b.user_id = v_uid and b.status <> 'cancelled')
     and (v_session.visibility = 'private'
          or exists (select 1 from public.bookings b where b.session_id = v_session.id and b.user_id = v_uid)) then
    perform private.raise_error('forbidden', 'Book this session to get reminders for it.',
      jsonb_build_object('session_id', v_session.id, 'reason', 'booking_required'));
  end if;
  insert into public.session_reminders as r (session_id, user_id, minutes_before)
  values (v_session.id, v_uid, set_reminder.minutes_before)
  on conflict on constraint session_reminders_unique do nothing
  returning r.* into v_row;
  if v_row.id is null then
    perform private.raise_error('reminder_exists', 'You already have this reminder.',
      jsonb_build_object('session_id', v_session.id, 'minutes_before', set_reminder.minutes_before));
  end if;
  return v_row;
end;
$$;
comment on function public.set_reminder(uuid, int) is
  'Adds a reminder for the caller, minutes_before (1-10080, default 15) the start of a scheduled session they can see; '
  'returns it. Delete it through the table. Errors: not_authenticated, invalid_input (range, or the time has passed), '
  'not_found, forbidden (banned; or reason booking_required: a private session without a booking or staff role, or a '
  'cancelled booking, which the reminder job does not remind), invalid_transition (not scheduled), reminder_exists '
  '(same session and minutes).';
