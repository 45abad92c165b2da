-- One-to-one appointment wording x the reasons the system writes (33_appointment_wording.sql): a cancellation
-- reason written by the system (private.cancel_reason_text: a coach who left, the patient's own cancellation) is
-- stored as its English sentence and shown in the reader's language, in-app and in the dispatcher's context
-- (emails and pushes); a reason someone typed is shown as written after "Reason:".
begin;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('wr_coach', metadata => '{"display_name":"Lia Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('wr_nl', metadata => '{"display_name":"Nina Cliënt","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('wr_pt', metadata => '{"display_name":"Paula Paciente","timezone":"America/Sao_Paulo"}');
select tests.create_supabase_user('wr_en', metadata => '{"display_name":"Evan Patient","timezone":"Europe/London"}');
select tests.create_supabase_user('wr_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('wr_coach');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('wr_admin');
update public.profiles set locale = 'nl-BE' where id = tests.get_supabase_uid('wr_nl');
update public.profiles set locale = 'pt' where id = tests.get_supabase_uid('wr_pt');
select tests.get_supabase_uid('wr_coach') as coach, tests.get_supabase_uid('wr_nl') as nl,
       tests.get_supabase_uid('wr_pt') as pt, tests.get_supabase_uid('wr_en') as en \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 0);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at1, date_trunc('hour', now()) + interval '4 days' as at2,
       date_trunc('hour', now()) + interval '5 days' as at3, date_trunc('hour', now()) + interval '6 days' as at4 \gset

-- The codes ---------------------------------------------------------------------------------------------------------

select is(array[private.cancel_reason_text('coach_unavailable'), private.cancel_reason_text('patient_cancelled')],
          array['Your counsellor is no longer available.', 'The patient cancelled the appointment.'],
          'cancel_reason_text: the English sentence of each code');
select is(array[private.cancel_reason_code('Your counsellor is no longer available.'),
                private.cancel_reason_code('The patient cancelled the appointment.'),
                private.cancel_reason_code('Coach is ill'), private.cancel_reason_code(null)],
          array['coach_unavailable', 'patient_cancelled', null, null],
          'cancel_reason_code: the code of a written sentence, null for a typed reason');
select throws_ok($$ select private.cancel_reason_text('whatever') $$, 'P0001', null, 'an unknown code is an error');

-- A coach is deactivated: their nl, pt and en patients are told in their language ------------------------------------

select tests.authenticate_as('wr_nl');
select session_id as s_nl from public.book_slot(:'coach', :'at1') \gset
select tests.authenticate_as('wr_pt');
select session_id as s_pt from public.book_slot(:'coach', :'at2') \gset
select tests.authenticate_as('wr_en');
select session_id as s_en from public.book_slot(:'coach', :'at3') \gset
select tests.authenticate_as('wr_admin');
select public.deactivate_user(:'coach', 'left the practice');
select tests.clear_authentication();

select is((select cancel_reason from public.sessions where id = :'s_nl'), 'Your counsellor is no longer available.',
          'the session keeps the English sentence (what clients read in the row)');
select is((select body from public.notifications where user_id = :'nl' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s_nl'),
          'Je afspraak met Lia Coach (' || private.local_time_text(:'at1', 'Europe/Amsterdam', 'nl')
            || ') is geannuleerd. Je coach is niet meer beschikbaar.',
          'the nl patient reads the reason in Dutch in the app');
select is((select body from public.notifications where user_id = :'pt' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s_pt'),
          'Sua consulta com Lia Coach (' || private.local_time_text(:'at2', 'America/Sao_Paulo', 'pt')
            || ') foi cancelada. Seu coach não está mais disponível.',
          'the pt patient reads it in Portuguese');
select is((select body from public.notifications where user_id = :'en' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s_en'),
          'Your appointment with Lia Coach (' || private.format_local_time(:'at3', 'Europe/London')
            || ') has been cancelled. Your counsellor is no longer available.',
          'the en patient reads the English sentence');

-- The dispatcher renders the same text at send time (emails and pushes).
select is((select array_agg(distinct c.notice_body) from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           where d.user_id = :'nl' and d.kind = 'session_cancelled' and d.session_id = :'s_nl'),
          array['Je afspraak met Lia Coach (' || private.local_time_text(:'at1', 'Europe/Amsterdam', 'nl')
                || ') is geannuleerd. Je coach is niet meer beschikbaar.'],
          'the dispatcher''s notice_body for the nl patient, in Dutch');
select is((select array_agg(distinct c.notice_body) from public.notification_deliveries d
           cross join lateral private.notification_delivery_context(array[d.id]) c
           where d.user_id = :'pt' and d.kind = 'session_cancelled' and d.session_id = :'s_pt'),
          array['Sua consulta com Lia Coach (' || private.local_time_text(:'at2', 'America/Sao_Paulo', 'pt')
                || ') foi cancelada. Seu coach não está mais disponível.'],
          'the dispatcher''s notice_body for the pt patient, in Portuguese');
select is((select count(*)::int from public.notification_deliveries
           where user_id in (:'nl', :'pt') and kind = 'session_cancelled' and channel = 'email'
             and session_id in (:'s_nl', :'s_pt')),
          2, 'setup: the nl and pt patients were each mailed');

-- A typed reason is shown as written, after "Reason:" in the reader's language.
select tests.authenticate_as('wr_admin');
select public.reactivate_user(:'coach');
select tests.clear_authentication();
select tests.authenticate_as('wr_nl');
select session_id as s_typed from public.book_slot(:'coach', :'at4') \gset
select tests.clear_authentication();
update public.sessions set status = 'cancelled', cancel_reason = 'Ziek' where id = :'s_typed';
select is((select body from public.notifications where user_id = :'nl' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s_typed'),
          'Je afspraak met Lia Coach (' || private.local_time_text(:'at4', 'Europe/Amsterdam', 'nl')
            || ') is geannuleerd. Reden: Ziek',
          'a typed reason: "Reden:" and the reason as written');

-- The patient's own cancellation: its sentence in the coach's language.
update public.profiles set locale = 'pt' where id = :'coach';
select tests.authenticate_as('wr_pt');
select session_id as s_own, id as b_own from public.book_slot(:'coach', :'at4' ::timestamptz + interval '1 day') \gset
select public.cancel_booking(:'s_own');
select tests.clear_authentication();
select is((select body from public.notifications where user_id = :'coach' and kind = 'session_cancelled'
             and data ->> 'session_id' = :'s_own'),
          'Sua consulta com um paciente (' || private.local_time_text(:'at4' ::timestamptz + interval '1 day',
                                                                      'Europe/Amsterdam', 'pt')
            || ') foi cancelada. O paciente cancelou a consulta.',
          'the patient''s own cancellation, written by code, in the coach''s language');

select * from finish();
rollback;
