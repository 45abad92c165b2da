-- One-to-one counselling, the coach's notice of a new appointment (one_to_one_booked): its title, and the
-- email and push built from it, never carry the patient's free-text topic (titles and subjects show on lock
-- screens and in mail previews; the coach reads the topic in the app, my_appointments); and the in-app
-- body gives the start in the zone the email and push use (private.reader_timezone: the coach's profile
-- zone), also when the coach's working hours are kept in another zone.
begin;
\ir ../helpers.sql
select plan(9);

select tests.create_supabase_user('nt_coach', metadata => '{"display_name":"Noor Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('nt_patient', metadata => '{"display_name":"Nils Patient"}');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('nt_coach');
select tests.get_supabase_uid('nt_coach') as coach, tests.get_supabase_uid('nt_patient') as patient \gset
-- The coach reads in Amsterdam (profile) and keeps their working hours in Sao Paulo (booking settings).
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'America/Sao_Paulo', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at \gset

select tests.authenticate_as('nt_patient');
select session_id as booked from public.book_slot(:'coach', :'at', 'Panic attacks at work') \gset
select tests.clear_authentication();

select is((select title from public.notifications where user_id = :'coach' and kind = 'one_to_one_booked'
             and data ->> 'session_id' = :'booked'),
          'New appointment', 'the coach''s notice is titled "New appointment", without the patient''s topic');
select is((select count(*)::int from public.notifications where user_id = :'coach' and kind = 'one_to_one_booked'
             and (title || ' ' || coalesce(body, '') || ' ' || data::text) ilike '%panic%'), 0,
          '... the topic is nowhere in the notice (title, body, data)');
select is((select count(*)::int from public.notification_deliveries where user_id = :'coach' and kind = 'one_to_one_booked'
             and payload::text ilike '%panic%'), 0, '... nor in its queued email and push');
select is((select array_agg(channel order by channel) from public.notification_deliveries
           where user_id = :'coach' and kind = 'one_to_one_booked' and session_id = :'booked'), array['email'],
          '(its email is queued)');
select is((select topic from public.sessions where id = :'booked'), 'Panic attacks at work',
          'the topic is kept on the appointment');
select tests.authenticate_as('nt_coach');
select is((select topic from public.my_appointments() where session_id = :'booked'), 'Panic attacks at work',
          '... where the signed-in coach reads it (my_appointments)');
select tests.clear_authentication();

select is((select body from public.notifications where user_id = :'coach' and kind = 'one_to_one_booked'
             and data ->> 'session_id' = :'booked'),
          'A patient booked a one-to-one session with you for '
            || private.format_local_time(:'at'::timestamptz, 'Europe/Amsterdam') || '.',
          'the in-app body gives the start in the coach''s profile zone (Amsterdam), not their working hours'' (Sao Paulo)');
select is((select c.timezone from private.notification_delivery_context(
             array(select d.id from public.notification_deliveries d
                   where d.user_id = :'coach' and d.kind = 'one_to_one_booked' and d.session_id = :'booked')) c),
          'Europe/Amsterdam', 'the email and push render it in the same zone (notification_delivery_context)');
select is(private.reader_timezone(:'coach', 'America/Sao_Paulo'), 'Europe/Amsterdam',
          'one definition: private.reader_timezone, the profile''s zone before the session''s');

select * from finish();
rollback;
