-- One-to-one appointment wording (33_appointment_wording.sql): the in-app notices of a one-to-one appointment
-- (booking_confirmed, one_to_one_booked, session_reminder, session_rescheduled, session_cancelled) are written in
-- the reader's language (en, nl, pt) and zone, with the patient's side naming the coach and the coach's side
-- saying "a patient" (never a name, never the topic); the dispatcher's context gives the same text for emails and
-- pushes (one definition); group sessions keep their wording.
begin;
\ir ../helpers.sql
select plan(37);

select tests.create_supabase_user('aw_coach', metadata => '{"display_name":"Noor Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('aw_pt', metadata => '{"display_name":"Paula Paciente","timezone":"America/Sao_Paulo"}');
select tests.create_supabase_user('aw_en', metadata => '{"display_name":"Evan Patient","timezone":"Europe/London"}');
select tests.create_supabase_user('aw_de', metadata => '{"display_name":"Dora Patientin","timezone":"Europe/Berlin"}');
select tests.create_supabase_user('aw_host', metadata => '{"display_name":"Gus Host"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('aw_coach'), tests.get_supabase_uid('aw_host'));
update public.profiles set locale = 'nl' where id = tests.get_supabase_uid('aw_coach');
update public.profiles set locale = 'pt-BR' where id = tests.get_supabase_uid('aw_pt');
update public.profiles set locale = 'de' where id = tests.get_supabase_uid('aw_de');
select tests.get_supabase_uid('aw_coach') as coach, tests.get_supabase_uid('aw_pt') as pt,
       tests.get_supabase_uid('aw_en') as en, tests.get_supabase_uid('aw_de') as de,
       tests.get_supabase_uid('aw_host') as host \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at, date_trunc('hour', now()) + interval '4 days' as at2,
       date_trunc('hour', now()) + interval '5 days' as at3, date_trunc('hour', now()) + interval '6 days' as at4,
       date_trunc('hour', now()) + interval '7 days' as at5 \gset

-- The pieces -------------------------------------------------------------------------------------------------------

select is(array[private.reader_language(:'pt'), private.reader_language(:'coach'), private.reader_language(:'en'),
                private.reader_language(:'de'), private.reader_language(gen_random_uuid())],
          array['pt', 'nl', 'en', 'en', 'en'], 'reader_language: pt-BR -> pt, nl, en, de -> en, unknown -> en');
select is(private.local_time_text('2027-03-28 00:30+00', 'Europe/Amsterdam', 'nl'),
          'zo 28 mrt 2027 01:30 Europe/Amsterdam (CET)', 'local_time_text nl: Dutch day and month, the zone in force');
select is(private.local_time_text('2027-03-28 01:30+00', 'Europe/Amsterdam', 'nl'),
          'zo 28 mrt 2027 03:30 Europe/Amsterdam (CEST)', '... an hour later across the spring change: CEST');
select is(private.local_time_text('2027-07-15 12:00+00', 'America/Sao_Paulo', 'pt'),
          'qui 15 jul 2027 09:00 America/Sao_Paulo (UTC-03)', 'local_time_text pt: Portuguese day, offset zone');
select is(private.local_time_text('2027-07-15 12:00+00', 'Europe/London', 'en'),
          private.format_local_time('2027-07-15 12:00+00', 'Europe/London'), 'local_time_text en = format_local_time');
select is((select count(*)::int from (values ('en'), ('nl'), ('pt')) l (lang)
           cross join (values ('patient', 'booking_confirmed'), ('patient', 'session_reminder'),
                              ('patient', 'session_rescheduled'), ('patient', 'session_moved'),
                              ('patient', 'session_cancelled'), ('patient', 'summary'), ('patient', 'your_coach'),
                              ('coach', 'one_to_one_booked'), ('coach', 'session_reminder'),
                              ('coach', 'session_rescheduled'), ('coach', 'session_moved'),
                              ('coach', 'session_cancelled'), ('coach', 'summary'), ('coach', 'reason'),
                              ('coach', 'patient_cancelled')) k (side, key)
           cross join lateral private.appointment_wording(l.lang, k.side, k.key) w
           where w.title is not null), 45, 'every language has every text of both sides');
select is((select count(*)::int from (values ('en'), ('nl'), ('pt')) l (lang)
           cross join (values ('session_reminder'), ('session_rescheduled'), ('session_moved'), ('session_cancelled'),
                              ('one_to_one_booked'), ('summary')) k (key)
           cross join lateral private.appointment_wording(l.lang, 'coach', k.key) w
           where w.title || coalesce(w.body, '') like '%{coach}%'), 0, 'the coach side has no name placeholder');

-- Booking: the patient's booking_confirmed and the coach's one_to_one_booked --------------------------------------

-- booking_confirmed is email only by default: these patients also want it in the app.
insert into public.notification_preferences (user_id, kind, in_app, email, push)
select u, 'booking_confirmed', true, true, false from unnest(array[:'pt', :'en', :'de']::uuid[]) u;
insert into public.sessions (title, starts_at, status, visibility, timezone, created_by)
values ('Breathing Group', now() + interval '1 day', 'scheduled', 'public', 'Europe/Amsterdam', :'host')
returning id as grp0 \gset
insert into public.bookings (session_id, user_id, status) values (:'grp0', :'pt', 'confirmed');
select tests.authenticate_as('aw_pt');
select session_id as appt, id as appt_booking from public.book_slot(:'coach', :'at', 'Luto') \gset
select tests.authenticate_as('aw_en');
select session_id as appt_en from public.book_slot(:'coach', :'at2') \gset
select tests.authenticate_as('aw_de');
select session_id as appt_de from public.book_slot(:'coach', :'at5') \gset
select tests.clear_authentication();

select is((select title || ' | ' || body from public.notifications where user_id = :'pt' and kind = 'booking_confirmed'
             and data ->> 'session_id' = :'appt'),
          'Consulta confirmada | Sua sessão individual com Noor Coach está marcada para '
            || private.local_time_text(:'at', 'America/Sao_Paulo', 'pt') || '.',
          'pt patient: booking_confirmed in Portuguese, the coach, the time in her zone (was "Booking confirmed: One-to-one session" / "You have a seat.")');
select is((select title || ' | ' || body from public.notifications where user_id = :'en' and kind = 'booking_confirmed'
             and data ->> 'session_id' = :'appt_en'),
          'Appointment confirmed | Your one-to-one session with Noor Coach is booked for '
            || private.format_local_time(:'at2', 'Europe/London') || '.', 'en patient: the same in English');
select is((select title from public.notifications where user_id = :'de' and kind = 'booking_confirmed'
             and data ->> 'session_id' = :'appt_de'), 'Appointment confirmed', 'a German locale reads English');
select is((select title || ' | ' || body from public.notifications where user_id = :'coach' and kind = 'one_to_one_booked'
             and data ->> 'session_id' = :'appt'),
          'Nieuwe afspraak | Een cliënt heeft een individuele sessie bij je geboekt voor '
            || private.local_time_text(:'at', 'Europe/Amsterdam', 'nl') || '.',
          'nl coach: one_to_one_booked in Dutch, no patient name');
select is((select n.title || ' | ' || n.body
           from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           join public.notifications n on n.id = d.notification_id
           where d.user_id = :'pt' and d.kind = 'booking_confirmed' and d.session_id = :'appt' and d.channel = 'email'),
          (select c.notice_title || ' | ' || c.notice_body
           from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           where d.user_id = :'pt' and d.kind = 'booking_confirmed' and d.session_id = :'appt' and d.channel = 'email'),
          'the email''s text (dispatcher context) is the in-app text: one definition');

-- Reminders ---------------------------------------------------------------------------------------------------------

insert into public.session_reminders (session_id, user_id, minutes_before)
values (:'appt', :'pt', 10080), (:'appt', :'coach', 10080);
select ok(private.send_due_reminders() >= 2, '(the reminder job sends the due reminders)');
select is((select title || ' | ' || body from public.notifications where user_id = :'pt' and kind = 'session_reminder'
             and data ->> 'session_id' = :'appt'),
          'Lembrete: sua consulta com Noor Coach começa ' || private.local_time_text(:'at', 'America/Sao_Paulo', 'pt')
            || ' | Sua consulta com Noor Coach começa ' || private.local_time_text(:'at', 'America/Sao_Paulo', 'pt') || '.',
          'pt patient: the reminder in Portuguese (was "Reminder: One-to-one session")');
select is((select title from public.notifications where user_id = :'coach' and kind = 'session_reminder'
             and data ->> 'session_id' = :'appt'),
          'Herinnering: afspraak met een cliënt begint ' || private.local_time_text(:'at', 'Europe/Amsterdam', 'nl'),
          'nl coach: the reminder in Dutch, "a patient"');

-- Calendar feeds: the SUMMARY names the coach for the patient, never the patient for the coach ----------------------

select tests.authenticate_as('aw_pt');
select public.create_calendar_feed() ->> 'token' as pt_feed \gset
select tests.authenticate_as('aw_coach');
select public.create_calendar_feed() ->> 'token' as coach_feed \gset
select tests.authenticate_as_service_role();
select is((select title from public.calendar_feed_events(:'pt_feed') where session_id = :'appt'), 'Consulta com Noor Coach',
          'the pt patient''s feed: "Consulta com <coach>" (was "One-to-one session")');
select is((select array_agg(title order by starts_at) from public.calendar_feed_events(:'coach_feed')
           where session_id in (:'appt', :'appt_en', :'appt_de')), array['Afspraak met een cliënt'],
          'the nl coach''s feed (the reminded appointment): "Afspraak met een cliënt", no patient name');
select is((select title from public.calendar_feed_events(:'pt_feed') where session_id = :'grp0'), 'Breathing Group',
          'a group session in the feed keeps its title');
select tests.clear_authentication();

-- Reschedules: each side told by the other -----------------------------------------------------------------------------

select tests.authenticate_as('aw_pt');
select ok((select id from public.reschedule_booking(:'appt_booking', :'at3')) is not null, 'the patient moves it');
select tests.authenticate_as('aw_coach');
select ok((select id from public.reschedule_booking(:'appt_booking', :'at4')) is not null, 'the coach moves it again');
select tests.clear_authentication();
select is((select title || ' | ' || body from public.notifications where user_id = :'coach' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'appt'),
          'Nieuwe tijd voor een afspraak met een cliënt | Je afspraak met een cliënt is verplaatst van '
            || private.local_time_text(:'at', 'Europe/Amsterdam', 'nl') || ' naar '
            || private.local_time_text(:'at3', 'Europe/Amsterdam', 'nl') || '.',
          'nl coach: the patient''s move, from and to, in Dutch');
select is((select title || ' | ' || body from public.notifications where user_id = :'pt' and kind = 'session_rescheduled'
             and data ->> 'session_id' = :'appt'),
          'Novo horário da sua consulta com Noor Coach | Sua consulta com Noor Coach foi remarcada de '
            || private.local_time_text(:'at3', 'America/Sao_Paulo', 'pt') || ' para '
            || private.local_time_text(:'at4', 'America/Sao_Paulo', 'pt') || '.',
          'pt patient: the coach''s move, from and to, in Portuguese');

-- Cancellations --------------------------------------------------------------------------------------------------------

select tests.authenticate_as('aw_coach');
select ok((select status from public.cancel_session(:'appt', 'Doente')) = 'cancelled', 'the coach cancels with a reason');
select tests.authenticate_as('aw_en');
select ok((select status from public.cancel_booking(:'appt_en')) = 'cancelled', 'the en patient cancels theirs');
select tests.clear_authentication();
select is((select title || ' | ' || body from public.notifications where user_id = :'pt' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'appt'),
          'Cancelada: sua consulta com Noor Coach | Sua consulta com Noor Coach ('
            || private.local_time_text(:'at4', 'America/Sao_Paulo', 'pt') || ') foi cancelada. Motivo: Doente',
          'pt patient: the cancellation in Portuguese with the reason');
select is((select title || ' | ' || body from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'appt_en'),
          'Geannuleerd: afspraak met een cliënt | Je afspraak met een cliënt ('
            || private.local_time_text(:'at2', 'Europe/Amsterdam', 'nl') || ') is geannuleerd. De cliënt heeft de afspraak geannuleerd.',
          'nl coach: the patient''s cancellation in Dutch, "a patient", the reason it writes worded in Dutch too');

-- Never a patient's name or topic on the coach's side, never a topic on the patient's ------------------------------

select is((select count(*)::int from public.notifications where user_id = :'coach'
             and (title || coalesce(body, '')) ~* '(paula|evan|dora|paciente|patientin|luto)'), 0,
          'no patient name or topic in any of the coach''s notices');
select is((select count(*)::int from public.notifications where user_id in (:'pt', :'en', :'de')
             and (title || coalesce(body, '')) ~* '(luto|one-to-one session$|: One-to-one session)'), 0,
          'no topic and no title wording in the patients'' notices');
select is((select count(*)::int from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           where d.user_id = :'coach' and (c.notice_title || coalesce(c.notice_body, '')) ~* '(paula|evan|dora|luto)'), 0,
          'nor in the coach''s email and push texts');

-- The repair of notices written before the neutral title leaves appointment wording alone ------------------------

select is(array[private.is_appointment_title('session_reminder', 'Herinnering: je afspraak met Noor Coach begint wo 15 jul 2026 14:00 Europe/Amsterdam (CEST)'),
                private.is_appointment_title('session_cancelled', 'Cancelled: appointment with a patient'),
                private.is_appointment_title('session_reminder', 'Reminder: Panic attacks'),
                private.is_appointment_title('booking_confirmed', 'Booking confirmed: Panic attacks')],
          array[true, true, false, false], 'is_appointment_title: appointment wording in any language, not a topic');
create temp table aw_before on commit drop as
  select n.id, n.title from public.notifications n where n.user_id in (:'coach', :'pt', :'en', :'de');
select ok(private.neutralize_one_to_one_notice_titles() >= 0, '(the notice-title repair runs)');
select is((select count(*)::int from public.notifications n join aw_before b on b.id = n.id where n.title is distinct from b.title), 0,
          'it changes none of these notices (it used to put "Reminder: One-to-one session" back over them)');

-- A group session keeps its wording -----------------------------------------------------------------------------------

insert into public.sessions (title, starts_at, status, visibility, timezone, created_by)
values ('Mindfulness Group', now() + interval '2 days', 'scheduled', 'public', 'Europe/Amsterdam', :'host')
returning id as grp \gset
select tests.authenticate_as('aw_pt');
select ok((select status from public.book_session(:'grp')) = 'confirmed', 'a group booking');
select tests.clear_authentication();
select is((select title || ' | ' || body from public.notifications where user_id = :'pt' and kind = 'booking_confirmed'
             and data ->> 'session_id' = :'grp'),
          'Booking confirmed: Mindfulness Group | You have a seat.', 'a group session keeps its confirmation');
select is((select count(*)::int from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           where d.session_id = :'grp' and c.notice_title is not null), 0, 'and has no appointment notice in the context');

-- Nobody calls the wording functions directly -------------------------------------------------------------------------

select is((select count(*)::int from (values ('anon'), ('authenticated'), ('service_role')) r (role)
           cross join (values ('private.appointment_wording(text, text, text)'),
                              ('private.local_time_text(timestamptz, text, text)'),
                              ('private.reader_language(uuid)')) f (fn)
           where has_function_privilege(r.role, f.fn, 'execute')), 0,
          'anon, authenticated and service_role execute none of the wording functions (internal)');
select is(array[has_function_privilege('anon', 'private.appointment_notice(uuid, uuid, text, timestamptz)', 'execute'),
                has_function_privilege('authenticated', 'private.appointment_notice(uuid, uuid, text, timestamptz)', 'execute'),
                has_function_privilege('service_role', 'private.appointment_notice(uuid, uuid, text, timestamptz)', 'execute')],
          array[false, false, true], 'appointment_notice: service_role only (the calendar function, for a reader it checked)');

select * from finish();
rollback;
