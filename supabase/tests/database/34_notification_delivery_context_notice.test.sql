-- The dispatcher's context (private.notification_delivery_context, 34_notification_delivery.sql) computes a
-- one-to-one appointment's notice (private.appointment_notice) only for deliveries about a one-to-one session:
-- group sessions' and sessionless deliveries do not call it (it read the session, the reader's profile and
-- staff for each of them, and threw the answer away). reader_is_staff is gone (nothing read it).
begin;
\ir ../helpers.sql
select plan(7);

select tests.create_supabase_user('cn_coach', metadata => '{"display_name":"Lia Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('cn_patient', metadata => '{"display_name":"Pat Patient","timezone":"Europe/London"}');
select tests.create_supabase_user('cn_host', metadata => '{"display_name":"Gus Host"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('cn_coach'), tests.get_supabase_uid('cn_host'));
select tests.get_supabase_uid('cn_coach') as coach, tests.get_supabase_uid('cn_patient') as patient,
       tests.get_supabase_uid('cn_host') as host \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 0);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;

-- A one-to-one appointment (booking_confirmed, mailed by default), a group session and a sessionless notice.
select tests.authenticate_as('cn_patient');
select session_id as appt from public.book_slot(:'coach', date_trunc('hour', now()) + interval '3 days') \gset
select tests.clear_authentication();
insert into public.sessions (title, starts_at, status, visibility, timezone, created_by)
values ('Breathing Group', now() + interval '1 day', 'scheduled', 'public', 'Europe/Amsterdam', :'host')
returning id as grp \gset
select private.notify(:'patient', 'session_cancelled', 'Cancelled: Breathing Group', 'Reason: ill', '/sessions/' || :'grp',
                      jsonb_build_object('session_id', :'grp'));
select private.notify(:'patient', 'session_cancelled', 'Cancelled', 'Nothing attached', null, '{}'::jsonb);
select array_agg(id order by id) as d_appt from public.notification_deliveries
 where user_id = :'patient' and session_id = :'appt' and kind = 'booking_confirmed' \gset
select array_agg(id order by id) as d_grp from public.notification_deliveries
 where user_id = :'patient' and session_id = :'grp' \gset
select array_agg(id order by id) as d_none from public.notification_deliveries
 where user_id = :'patient' and session_id is null and kind = 'session_cancelled' \gset
select is(array[cardinality(:'d_appt'::uuid[]), cardinality(:'d_grp'::uuid[]), cardinality(:'d_none'::uuid[])],
          array[1, 1, 1], 'setup: one email delivery each');

-- Count the calls: appointment_notice redefined (in this transaction only) with a counter as its first statement.
do $$
declare
  v_def text := pg_get_functiondef('private.appointment_notice(uuid, uuid, text, timestamptz)'::regprocedure);
  v_counted text;
begin
  v_counted := regexp_replace(v_def, '\nbegin\n',
    E'\nbegin\n  perform set_config(''tests.notice_calls'', (coalesce(nullif(current_setting(''tests.notice_calls'', true), ''''), ''0'')::int + 1)::text, true);\n');
  if v_counted = v_def then
    raise exception 'appointment_notice: no body to count calls in';
  end if;
  execute v_counted;
end;
$$;

select set_config('tests.notice_calls', '0', true);
select is((select count(*)::int from private.notification_delivery_context(:'d_grp'::uuid[] || :'d_none'::uuid[])
           where notice_title is null), 2, 'group and sessionless deliveries: no notice');
select is(current_setting('tests.notice_calls'), '0', '... and appointment_notice was not called for them');

select set_config('tests.notice_calls', '0', true);
select is((select notice_title from private.notification_delivery_context(:'d_appt'::uuid[])),
          'Appointment confirmed', 'a one-to-one delivery: its notice');
-- Once for the notice, once for the .ics SUMMARY (kind summary).
select is(current_setting('tests.notice_calls'), '2', '... appointment_notice called for it (notice and summary)');

select is((select count(*)::int from private.notification_delivery_context(
             :'d_appt'::uuid[] || :'d_grp'::uuid[] || :'d_none'::uuid[])), 3, 'all three in one batch: one row each');

select is((select array_position(proargnames, 'reader_is_staff') from pg_proc
           where oid = 'private.notification_delivery_context(uuid[])'::regprocedure), null,
          'the context has no reader_is_staff column');

select * from finish();
rollback;
