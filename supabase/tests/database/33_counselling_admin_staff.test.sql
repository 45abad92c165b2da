-- One-to-one counselling: admin powers do not make an admin a participant of an appointment. An admin (or
-- anyone who is not one of its hosts) cannot add staff to a one-to-one appointment (add_session_staff:
-- forbidden, 403), so they cannot make themselves staff and read its topic or enter its room unknown to the
-- patient; the sessions update policy leaves out an appointment an admin takes no part in (as the read
-- policy does), so an update that reads no column cannot change it nor copy its topic into the audit log;
-- and what the audit log keeps of an admin's act on an appointment (cancel_session) carries no topic.
begin;
\ir ../helpers.sql
select plan(16);

select tests.create_supabase_user('as_coach', metadata => '{"display_name":"Ana Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('as_cohost', metadata => '{"display_name":"Cas Cohost"}');
select tests.create_supabase_user('as_patient', metadata => '{"display_name":"Pim Patient"}');
select tests.create_supabase_user('as_admin', metadata => '{"display_name":"Ada Admin"}');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('as_coach'), tests.get_supabase_uid('as_cohost'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('as_admin');
select tests.get_supabase_uid('as_coach') as coach, tests.get_supabase_uid('as_cohost') as cohost,
       tests.get_supabase_uid('as_patient') as patient, tests.get_supabase_uid('as_admin') as admin \gset
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach', 'Europe/Amsterdam', 60, 0, 0, 60, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select :'coach'::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w;
select date_trunc('hour', now()) + interval '3 days' as at \gset

select tests.authenticate_as('as_patient');
select session_id as appt from public.book_slot(:'coach', :'at', 'Grief') \gset
select tests.clear_authentication();

-- add_session_staff -----------------------------------------------------------------------------------------

select tests.authenticate_as('as_admin');
select is(tests.error_code(format($$select public.add_session_staff(%L, %L, 'host')$$, :'appt', :'admin')), 'forbidden',
          'an admin cannot make themselves host of a one-to-one appointment (forbidden)');
select is(tests.error_status(format($$select public.add_session_staff(%L, %L, 'moderator')$$, :'appt', :'admin')), 403,
          '... nor moderator (403)');
select is(tests.error_code(format($$select public.add_session_staff(%L, %L, 'speaker')$$, :'appt', :'cohost')), 'forbidden',
          '... nor add anyone else to its staff');
select is(tests.error_details(format($$select public.add_session_staff(%L, %L, 'speaker')$$, :'appt', :'cohost')),
          jsonb_build_object('session_id', :'appt'::uuid), '... details: the session only');
select is((select count(*)::int from public.sessions where id = :'appt'), 0, '... and still reads no row of it');
select tests.clear_authentication();
select is((select array_agg(user_id) from public.session_staff where session_id = :'appt'), array[:'coach'::uuid],
          'the appointment''s staff is unchanged (its coach only)');

-- Its own host still can; the admin powers still reach a group session.
select tests.authenticate_as('as_coach');
select is((select role from public.add_session_staff(:'appt', :'cohost', 'host')), 'host',
          'the appointment''s coach (its host) adds a co-host');
select tests.clear_authentication();
insert into public.sessions (title, starts_at, duration_minutes, status, visibility, created_by)
values ('Group', :'at'::timestamptz + interval '1 day', 60, 'scheduled', 'members', :'coach') returning id as grp \gset
select tests.authenticate_as('as_admin');
select is((select role from public.add_session_staff(:'grp', :'cohost', 'speaker')), 'speaker',
          'an admin still adds staff to a group session (admin powers)');

-- The update policy ------------------------------------------------------------------------------------------

-- An update whose WHERE reads no column (the read policy does not apply then): it must not reach the appointment.
update public.sessions set description = 'edited by an admin' where 1 = 1;
select tests.clear_authentication();
select is((select description from public.sessions where id = :'appt'), null,
          'an admin''s update that reads no column does not change the appointment (update policy)');
select is((select description from public.sessions where id = :'grp'), 'edited by an admin', '... it does change a group session');
select is((select count(*)::int from public.audit_log where target_id = :'appt'), 0,
          '... and the audit log got no copy of the appointment (no before with its topic)');
select tests.authenticate_as('as_coach');
select is((select count(*)::int from public.sessions where id = :'appt'), 1, 'its coach reads it');
update public.sessions set description = 'coach note' where 1 = 1;
select tests.clear_authentication();
select is((select description from public.sessions where id = :'appt'), 'coach note',
          '... and the coach (its host) still updates it through the policy');

-- The audit log of an admin's act on an appointment through admin powers.
select tests.authenticate_as('as_admin');
select is((select status from public.cancel_session(:'appt', 'Coach is ill')), 'cancelled', 'an admin cancels the appointment');
select tests.clear_authentication();
select is((select count(*)::int from public.audit_log where target_id = :'appt' and action = 'admin_sessions_updated'), 1,
          '... the act is audited');
select is((select count(*)::int from public.audit_log where target_id = :'appt'
             and (coalesce(before::text, '') || coalesce(after::text, '') || details::text) ilike '%grief%'), 0,
          '... without the topic in before, after or details');

select * from finish();
rollback;
