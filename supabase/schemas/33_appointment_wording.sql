-- =============================================================================================
-- One-to-one appointment wording (issue 16): the one definition of what a patient and a coach read
-- about a one-to-one appointment, in en, nl and pt: in-app notices (written at creation), their
-- emails and pushes (rendered at send time by the dispatcher through
-- private.notification_delivery_context, so they show the appointment's current time) and calendar
-- SUMMARYs. Never the session title (a generic "One-to-one session") nor the patient's topic. The
-- patient's side names the coach; the coach's side says "a patient" and never the patient's name:
-- notices show on lock screens and in mail previews, calendars are shared, and who sees a counsellor
-- is itself confidential. The coach reads who it is in the app (my_appointments).
-- =============================================================================================

-- The reader's language for notices: the profile locale's primary subtag when it is nl or pt, else en
-- (as the dispatcher's templates.ts language()).
create function private.reader_language(user_id uuid)
returns text
language plpgsql stable set search_path = '' as $$
declare
  v_base text := lower(split_part(coalesce((select p.locale from public.profiles p where p.id = reader_language.user_id), ''), '-', 1));
begin
  return case when v_base in ('nl', 'pt') then v_base else 'en' end;
end;
$$;
comment on function private.reader_language(uuid) is
  'The language a user reads notices in: nl or pt when their profile locale is one of those (any region), else en. '
  'Internal.';
revoke execute on function private.reader_language(uuid) from public, anon, authenticated, service_role;

-- An instant for a reader in their language: private.format_local_time for en ("Wed 15 Jul 2026 14:00
-- Europe/Amsterdam (CEST)"), the same shape with Dutch or Portuguese day and month names otherwise
-- ("wo 15 jul 2026 14:00 ...", "qua 15 jul 2026 14:00 ..."): lc_time locales are not installed on
-- every server, so the names are here.
create function private.local_time_text(ts timestamptz, tz text, lang text)
returns text
language plpgsql stable set search_path = '' set timezone = 'UTC' as $$
declare
  v_zone text := coalesce(tz, 'UTC');
  v_abbrev text;
  v_days text[];
  v_months text[];
begin
  if lang is distinct from 'nl' and lang is distinct from 'pt' then
    return private.format_local_time(ts, v_zone);
  end if;
  v_days := case lang when 'nl' then '{ma,di,wo,do,vr,za,zo}'::text[] else '{seg,ter,qua,qui,sex,sáb,dom}'::text[] end;
  v_months := case lang when 'nl' then '{jan,feb,mrt,apr,mei,jun,jul,aug,sep,okt,nov,dec}'::text[]
                        else '{jan,fev,mar,abr,mai,jun,jul,ago,set,out,nov,dez}'::text[] end;
  perform set_config('TimeZone', v_zone, true);
  v_abbrev := to_char(ts, 'TZ');
  if v_abbrev ~ '^[+-]' then
    v_abbrev := 'UTC' || v_abbrev;
  end if;
  return v_days[extract(isodow from ts)::int] || ' ' || to_char(ts, 'DD') || ' '
         || v_months[extract(month from ts)::int] || ' ' || to_char(ts, 'YYYY HH24:MI') || ' ' || v_zone
         || case when v_abbrev is null or v_abbrev = '' or upper(v_abbrev) = upper(v_zone) then '' else ' (' || v_abbrev || ')' end;
end;
$$;
comment on function private.local_time_text(timestamptz, text, text) is
  'An instant in an IANA zone for a reader of language en, nl or pt: private.format_local_time''s shape (weekday, day, '
  'month, year, HH24:MI, zone, abbreviation in force) with the day and month names of the language. Internal.';
revoke execute on function private.local_time_text(timestamptz, text, text) from public, anon, authenticated, service_role;

-- The strings, once: {coach}, {when}, {from} and {reason} are filled in by private.appointment_notice.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is planned again on every call from PL/pgSQL
-- (about 0.1 ms for this VALUES list, several times per notice on the booking path); this plan is cached.
create function private.appointment_wording(lang text, side text, key text, out title text, out body text)
language plpgsql immutable set search_path = '' as $$
begin
  select w.title, w.body into appointment_wording.title, appointment_wording.body
  from (values
    ('en', 'patient', 'booking_confirmed', 'Appointment confirmed', 'Your one-to-one session with {coach} is booked for {when}.'),
    ('en', 'patient', 'session_reminder', 'Reminder: your appointment with {coach} starts {when}', 'Your appointment with {coach} starts {when}.'),
    ('en', 'patient', 'session_rescheduled', 'New time for your appointment with {coach}', 'Your appointment with {coach} now starts {when}.'),
    ('en', 'patient', 'session_moved', 'New time for your appointment with {coach}', 'Your appointment with {coach} has moved from {from} to {when}.'),
    ('en', 'patient', 'session_cancelled', 'Cancelled: your appointment with {coach}', 'Your appointment with {coach} ({when}) has been cancelled.'),
    ('en', 'patient', 'summary', 'Appointment with {coach}', null),
    ('en', 'patient', 'your_coach', 'your coach', null),
    ('en', 'coach', 'one_to_one_booked', 'New appointment', 'A patient booked a one-to-one session with you for {when}.'),
    ('en', 'coach', 'session_reminder', 'Reminder: appointment with a patient starts {when}', 'Your appointment with a patient starts {when}.'),
    ('en', 'coach', 'session_rescheduled', 'New time for an appointment with a patient', 'Your appointment with a patient now starts {when}.'),
    ('en', 'coach', 'session_moved', 'New time for an appointment with a patient', 'Your appointment with a patient has moved from {from} to {when}.'),
    ('en', 'coach', 'session_cancelled', 'Cancelled: appointment with a patient', 'Your appointment with a patient ({when}) has been cancelled.'),
    ('en', 'coach', 'summary', 'Appointment with a patient', null),
    ('en', null, 'reason', 'Reason: {reason}', null),
    ('en', null, 'patient_cancelled', 'The patient cancelled the appointment.', null),
    ('en', null, 'coach_unavailable', 'Your counsellor is no longer available.', null),
    ('nl', 'patient', 'booking_confirmed', 'Afspraak bevestigd', 'Je individuele sessie met {coach} is geboekt voor {when}.'),
    ('nl', 'patient', 'session_reminder', 'Herinnering: je afspraak met {coach} begint {when}', 'Je afspraak met {coach} begint {when}.'),
    ('nl', 'patient', 'session_rescheduled', 'Nieuwe tijd voor je afspraak met {coach}', 'Je afspraak met {coach} begint nu {when}.'),
    ('nl', 'patient', 'session_moved', 'Nieuwe tijd voor je afspraak met {coach}', 'Je afspraak met {coach} is verplaatst van {from} naar {when}.'),
    ('nl', 'patient', 'session_cancelled', 'Geannuleerd: je afspraak met {coach}', 'Je afspraak met {coach} ({when}) is geannuleerd.'),
    ('nl', 'patient', 'summary', 'Afspraak met {coach}', null),
    ('nl', 'patient', 'your_coach', 'je coach', null),
    ('nl', 'coach', 'one_to_one_booked', 'Nieuwe afspraak', 'Een cliënt heeft een individuele sessie bij je geboekt voor {when}.'),
    ('nl', 'coach', 'session_reminder', 'Herinnering: afspraak met een cliënt begint {when}', 'Je afspraak met een cliënt begint {when}.'),
    ('nl', 'coach', 'session_rescheduled', 'Nieuwe tijd voor een afspraak met een cliënt', 'Je afspraak met een cliënt begint nu {when}.'),
    ('nl', 'coach', 'session_moved', 'Nieuwe tijd voor een afspraak met een cliënt', 'Je afspraak met een cliënt is verplaatst van {from} naar {when}.'),
    ('nl', 'coach', 'session_cancelled', 'Geannuleerd: afspraak met een cliënt', 'Je afspraak met een cliënt ({when}) is geannuleerd.'),
    ('nl', 'coach', 'summary', 'Afspraak met een cliënt', null),
    ('nl', null, 'reason', 'Reden: {reason}', null),
    ('nl', null, 'patient_cancelled', 'De cliënt heeft de afspraak geannuleerd.', null),
    ('nl', null, 'coach_unavailable', 'Je coach is niet meer beschikbaar.', null),
    ('pt', 'patient', 'booking_confirmed', 'Consulta confirmada', 'Sua sessão individual com {coach} está marcada para {when}.'),
    ('pt', 'patient', 'session_reminder', 'Lembrete: sua consulta com {coach} começa {when}', 'Sua consulta com {coach} começa {when}.'),
    ('pt', 'patient', 'session_rescheduled', 'Novo horário da sua consulta com {coach}', 'Sua consulta com {coach} agora começa {when}.'),
    ('pt', 'patient', 'session_moved', 'Novo horário da sua consulta com {coach}', 'Sua consulta com {coach} foi remarcada de {from} para {when}.'),
    ('pt', 'patient', 'session_cancelled', 'Cancelada: sua consulta com {coach}', 'Sua consulta com {coach} ({when}) foi cancelada.'),
    ('pt', 'patient', 'summary', 'Consulta com {coach}', null),
    ('pt', 'patient', 'your_coach', 'seu coach', null),
    ('pt', 'coach', 'one_to_one_booked', 'Nova consulta', 'Um paciente agendou uma sessão individual com você para {when}.'),
    ('pt', 'coach', 'session_reminder', 'Lembrete: consulta com um paciente começa {when}', 'Sua consulta com um paciente começa {when}.'),
    ('pt', 'coach', 'session_rescheduled', 'Novo horário de uma consulta com um paciente', 'Sua consulta com um paciente agora começa {when}.'),
    ('pt', 'coach', 'session_moved', 'Novo horário de uma consulta com um paciente', 'Sua consulta com um paciente foi remarcada de {from} para {when}.'),
    ('pt', 'coach', 'session_cancelled', 'Cancelada: consulta com um paciente', 'Sua consulta com um paciente ({when}) foi cancelada.'),
    ('pt', 'coach', 'summary', 'Consulta com um paciente', null),
    ('pt', null, 'reason', 'Motivo: {reason}', null),
    ('pt', null, 'patient_cancelled', 'O paciente cancelou a consulta.', null),
    ('pt', null, 'coach_unavailable', 'Seu coach não está mais disponível.', null)
  ) as w (lang, side, key, title, body)
  where w.lang = appointment_wording.lang and w.key = appointment_wording.key
    and (w.side is null or w.side = appointment_wording.side);
end;
$$;
comment on function private.appointment_wording(text, text, text) is
  'The one definition of one-to-one appointment texts: title and body templates by language (en, nl, pt), side '
  '(patient or coach) and key (a notification kind, session_moved for a reschedule with its previous time, summary '
  'for calendars, your_coach, reason, and the cancellation reason codes (private.cancel_reason_text): patient_cancelled, '
  'coach_unavailable). Placeholders {coach}, {when}, {from}, {reason}; the coach side has no '
  'patient name. Null for a combination without wording. Internal.';
revoke execute on function private.appointment_wording(text, text, text) from public, anon, authenticated, service_role;

-- The cancellation reasons the system writes, by code: sessions.cancel_reason holds the English sentence
-- (what clients read in the session row), written only through private.cancel_reason_text, and notices
-- show it in the reader's language (private.appointment_notice, through private.cancel_reason_code).
-- The sentences are defined once, in private.appointment_wording.
create function private.cancel_reason_text(code text)
returns text
language plpgsql immutable set search_path = '' as $$
declare
  v_text text;
begin
  if cancel_reason_text.code is null or cancel_reason_text.code not in ('patient_cancelled', 'coach_unavailable') then
    raise exception 'unknown cancel reason code: %', cancel_reason_text.code;
  end if;
  select w.title into v_text from private.appointment_wording('en', null, cancel_reason_text.code) w;
  return v_text;
end;
$$;
comment on function private.cancel_reason_text(text) is
  'The sessions.cancel_reason a system cancellation writes, by code: patient_cancelled (the patient cancelled their '
  'one-to-one booking), coach_unavailable (the coach''s account was deactivated or deleted). The English sentence of '
  'private.appointment_wording; an unknown code is an error. Internal.';
revoke execute on function private.cancel_reason_text(text) from public, anon, authenticated, service_role;

-- The code of a cancel_reason written by private.cancel_reason_text; null for a reason someone typed.
create function private.cancel_reason_code(reason text)
returns text
language plpgsql immutable set search_path = '' as $$
begin
  return (select c.code from unnest(array['patient_cancelled', 'coach_unavailable']) as c (code)
          where private.cancel_reason_text(c.code) = cancel_reason_code.reason);
end;
$$;
comment on function private.cancel_reason_code(text) is
  'The code (patient_cancelled, coach_unavailable) of a sessions.cancel_reason written by private.cancel_reason_text, '
  'null for any other reason (one an admin or coach typed). Internal.';
revoke execute on function private.cancel_reason_code(text) from public, anon, authenticated, service_role;

-- A notice (or calendar summary) about a one-to-one appointment for one reader, now: their language and
-- zone (private.reader_timezone), their side (staff of the session: coach), the coach's name
-- (private.one_to_one_coach). Null title for a group session or a kind without appointment wording.
-- Security definer: it reads the reader's and the coach's profiles and the session's staff for the
-- calendar function (service_role), which checks first that the reader may see the session.
create function private.appointment_notice(user_id uuid, session_id uuid, kind text,
                                           previous_starts_at timestamptz default null,
                                           out title text, out body text)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_session record;
  v_lang text;
  v_side text;
  v_key text;
  v_coach text;
  v_coach_id uuid;
  v_tz text;
  v_when text;
  v_text record;
  v_reason text;
  v_reason_code text;
begin
  select s.id, s.kind, s.starts_at, s.timezone, s.cancel_reason into v_session
  from public.sessions s where s.id = appointment_notice.session_id;
  if not found or v_session.kind is distinct from 'one_to_one' then
    return;
  end if;
  v_lang := private.reader_language(appointment_notice.user_id);
  v_side := case when exists (select 1 from public.session_staff st
                              where st.session_id = v_session.id and st.user_id = appointment_notice.user_id)
                 then 'coach' else 'patient' end;
  v_key := case when appointment_notice.kind = 'session_rescheduled' and appointment_notice.previous_starts_at is not null
                     and appointment_notice.previous_starts_at <> v_session.starts_at
                then 'session_moved' else appointment_notice.kind end;
  select w.title, w.body into v_text from private.appointment_wording(v_lang, v_side, v_key) w;
  if v_text.title is null then
    return;
  end if;
  v_tz := private.reader_timezone(appointment_notice.user_id, v_session.timezone);
  -- The coach's name, for the patient's side only (the coach's side names nobody). The coach's id first: in
  -- the WHERE clause the function would run once per profile row scanned.
  if v_side = 'patient' then
    v_coach_id := private.one_to_one_coach(v_session.id);
    v_coach := coalesce(nullif(btrim((select p.display_name from public.profiles p where p.id = v_coach_id)), ''),
                        (select w.title from private.appointment_wording(v_lang, 'patient', 'your_coach') w));
  end if;
  -- {coach} last: a name is never read as a placeholder.
  v_when := private.local_time_text(v_session.starts_at, v_tz, v_lang);
  title := replace(replace(v_text.title, '{when}', v_when), '{coach}', coalesce(v_coach, ''));
  body := replace(replace(replace(v_text.body, '{when}', v_when),
                          '{from}', case when v_key = 'session_moved'
                                         then private.local_time_text(appointment_notice.previous_starts_at, v_tz, v_lang)
                                         else '' end),
                  '{coach}', coalesce(v_coach, ''));
  if appointment_notice.kind = 'session_cancelled' and v_session.cancel_reason is not null then
    -- A reason the system writes (private.cancel_reason_text: the patient's own cancellation, a coach who
    -- left) is a sentence of its own in the reader's language; any other reason is shown as its author
    -- wrote it, after "Reason:".
    v_reason_code := private.cancel_reason_code(v_session.cancel_reason);
    v_reason := case when v_reason_code is not null
                     then (select w.title from private.appointment_wording(v_lang, v_side, v_reason_code) w)
                     else replace((select w.title from private.appointment_wording(v_lang, v_side, 'reason') w),
                                  '{reason}', v_session.cancel_reason) end;
    body := body || ' ' || v_reason;
  end if;
end;
$$;
comment on function private.appointment_notice(uuid, uuid, text, timestamptz) is
  'Title and body of a notice about a one-to-one appointment for one reader (private.appointment_wording): their '
  'language (private.reader_language), their zone (private.reader_timezone), their side (staff = coach: "a patient", '
  'no name; else patient: the coach''s display name), the appointment''s current start; session_rescheduled with '
  'previous_starts_at says "moved from"; session_cancelled adds the reason; kind summary gives the calendar SUMMARY '
  '(title). Nulls for a group session or a kind without appointment wording. For in-app notices, the dispatcher''s '
  'context, calendar feeds and the calendar function (service_role, for a reader it has checked may see the session).';
revoke execute on function private.appointment_notice(uuid, uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function private.appointment_notice(uuid, uuid, text, timestamptz) to service_role;

-- Whether a notice title is one of the appointment wordings of its kind (any language, either side), with
-- any coach and time: such a title names no topic. For the repair of notices written before the neutral title
-- (private.neutralize_one_to_one_notice_titles), which must leave these alone.
create function private.is_appointment_title(kind text, title text)
returns boolean
language plpgsql stable set search_path = '' as $$
begin
  return exists (
    select 1
    from (values ('en'), ('nl'), ('pt')) l (lang)
    cross join (values ('patient'), ('coach')) sd (side)
    cross join lateral private.appointment_wording(l.lang, sd.side, is_appointment_title.kind) w
    where w.title is not null
      and is_appointment_title.title like replace(replace(replace(replace(w.title, '\', '\\'), '_', '\_'),
                                                          '{coach}', '%'), '{when}', '%'));
end;
$$;
comment on function private.is_appointment_title(text, text) is
  'True when title is an appointment wording of the notification kind (private.appointment_wording, any language '
  'and side, any coach name and time). Internal (the notice-title repair leaves these alone).';
revoke execute on function private.is_appointment_title(text, text) from public, anon, authenticated, service_role;
