-- Announcements (issue 19, item 11): send_announcement for admins (everyone) and program owners
-- (their program's members), its errors and the RLS of announcements; the fan-out is never in the
-- caller's transaction: the send-announcements job (private.send_announcement_batches) delivers it
-- as notifications of kind announcement through private.notify (the user's channels), in batches,
-- exactly once, here to 10,000 users.
begin;
\ir ../helpers.sql
select plan(36);

select tests.create_supabase_user('admin', metadata => '{"display_name":"Ada Admin"}');
select tests.create_supabase_user('owner', metadata => '{"display_name":"Olivia Owner"}');
select tests.create_supabase_user('coach', metadata => '{"display_name":"Cees Coach"}');
select tests.create_supabase_user('booked');
select tests.create_supabase_user('waitlisted');
select tests.create_supabase_user('cancelled');
select tests.create_supabase_user('moderator');
select tests.create_supabase_user('mail_only');
select tests.create_supabase_user('outsider');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('owner'), tests.get_supabase_uid('coach'));
select tests.get_supabase_uid('owner') as owner, tests.get_supabase_uid('booked') as booked, tests.get_supabase_uid('moderator') as moderator,
       tests.get_supabase_uid('mail_only') as mail_only \gset

insert into public.programs (id, name, status, created_by) values
  ('00000000-0000-4000-8000-0000000063b1', 'Cohort', 'live', :'owner'),
  ('00000000-0000-4000-8000-0000000063b2', 'Secret draft', 'draft', tests.get_supabase_uid('coach'));
insert into public.sessions (id, program_id, title, status, visibility, starts_at, waitlist_enabled, capacity, created_by) values
  ('00000000-0000-4000-8000-0000000063a1', '00000000-0000-4000-8000-0000000063b1', 'Week 1', 'scheduled', 'members',
   now() + interval '1 day', true, 2, :'owner'),
  ('00000000-0000-4000-8000-0000000063a2', null, 'Elsewhere', 'scheduled', 'members', now() + interval '1 day', false, null, :'owner');
insert into public.session_staff (session_id, user_id, role) values ('00000000-0000-4000-8000-0000000063a1', :'moderator', 'moderator');
insert into public.bookings (session_id, user_id, status, waitlist_position, cancelled_at) values
  ('00000000-0000-4000-8000-0000000063a1', :'booked', 'confirmed', null, null),
  ('00000000-0000-4000-8000-0000000063a1', :'mail_only', 'confirmed', null, null),
  ('00000000-0000-4000-8000-0000000063a1', tests.get_supabase_uid('waitlisted'), 'waitlisted', 1, null),
  ('00000000-0000-4000-8000-0000000063a1', tests.get_supabase_uid('cancelled'), 'cancelled', null, now()),
  ('00000000-0000-4000-8000-0000000063a2', tests.get_supabase_uid('outsider'), 'confirmed', null, null);
-- mail_only turned in-app announcements off and email on.
insert into public.notification_preferences (user_id, kind, in_app, email, push) values (:'mail_only', 'announcement', false, true, false);

select policies_are('public', 'announcements', array['deactivated accounts read nothing', 'admins read all announcements and senders their own']);
select is(has_table_privilege('authenticated', 'public.announcements', 'insert') or has_table_privilege('authenticated', 'public.announcements', 'update')
          or has_table_privilege('anon', 'public.announcements', 'select'), false, 'clients write no announcements; anon reads none');

-- Who may send what.
select tests.authenticate_as('owner');
select is(tests.error_code($$ select public.send_announcement('everyone', 'Hi all', 'Body') $$), 'forbidden', 'a program owner cannot announce to everyone');
select is(tests.error_code($$ select public.send_announcement('program:00000000-0000-4000-8000-0000000063b2', 'Hi', 'Body') $$), 'not_found',
          'someone else''s draft program is not_found');
select is(tests.error_code($$ select public.send_announcement('program:00000000-0000-4000-8000-0000000063ff', 'Hi', 'Body') $$), 'not_found',
          'an unknown program is not_found');
select is(tests.error_code($$ select public.send_announcement('programs', 'Hi', 'Body') $$), 'invalid_input', 'a malformed scope is invalid_input');
select is(tests.error_code($$ select public.send_announcement('program:not-a-uuid', 'Hi', 'Body') $$), 'invalid_input', 'a malformed program id too');
select is(tests.error_code($$ select public.send_announcement('program:00000000-0000-4000-8000-0000000063b1', E' \n ', 'Body') $$), 'invalid_input',
          'a blank title is invalid_input');
select is(tests.error_code(format($$ select public.send_announcement('program:00000000-0000-4000-8000-0000000063b1', 'Hi', %L) $$, repeat('x', 2001))),
          'invalid_input', 'a body over 2000 characters is invalid_input');
select is((public.send_announcement('program:00000000-0000-4000-8000-0000000063b1', '  Week 1 moved  ', 'See you Thursday.')).status, 'queued',
          'a program owner announces to their program: queued');
select is((select count(*)::int from public.notifications where kind = 'announcement'), 0,
          'nothing is fanned out in the caller''s transaction');
select tests.authenticate_as('coach');
select is(tests.error_code($$ select public.send_announcement('program:00000000-0000-4000-8000-0000000063b1', 'Hi', 'Body') $$), 'forbidden',
          'another coach cannot announce to someone else''s program');
select tests.authenticate_as('booked');
select is(tests.error_code($$ select public.send_announcement('everyone', 'Hi', 'Body') $$), 'forbidden', 'a member cannot announce');
select is((select count(*)::int from public.announcements), 0, 'a member reads no announcements');
select tests.authenticate_as_anon();
select throws_ok($$ select public.send_announcement('everyone', 'Hi', 'Body') $$, '42501', null, 'anon cannot call it');
select tests.authenticate_as_service_role();
select is(tests.error_code($$ select public.send_announcement('everyone', 'Hi', 'Body') $$), 'not_authenticated', 'service_role has no sender');
select tests.authenticate_as('owner');
select is((select title from public.announcements), 'Week 1 moved', 'the sender reads their announcement (title trimmed)');
select tests.authenticate_as('admin');
select is((public.send_announcement('program:00000000-0000-4000-8000-0000000063b2', 'Admin note', 'To a draft program')).scope, 'program',
          'an admin announces to any program');
select is((select count(*)::int from public.announcements), 2, 'an admin reads every announcement');
select tests.clear_authentication();

-- The job: program members only (confirmed bookings and staff), each once, through their channels.
select is(private.send_announcement_batches(1000, 10), 4, 'the job reaches the 4 members of the program (the draft program has none)');
select set_eq($$ select user_id from public.notifications where kind = 'announcement' $$,
              format($$ values (%L::uuid), (%L::uuid), (%L::uuid) $$, :'booked', :'moderator', :'owner'),
              'in-app: the confirmed booking, the moderator and the host (not waitlisted, cancelled, outsiders, nor mail_only who turned it off)');
select is((select count(*)::int from public.notification_deliveries where user_id = :'mail_only' and kind = 'announcement' and channel = 'email'), 1,
          'mail_only gets it by email, the channel they chose');
select is((select jsonb_build_object('title', title, 'body', body, 'data', data - 'announcement_id') from public.notifications
           where kind = 'announcement' and user_id = :'booked'),
          '{"title": "Week 1 moved", "body": "See you Thursday.", "data": {"scope": "program", "program_id": "00000000-0000-4000-8000-0000000063b1"}}'::jsonb,
          'the notification carries the announcement');
select is((select array_agg(status || ':' || recipients_done order by title desc) from public.announcements), array['sent:4', 'sent:0'],
          'both announcements are sent, with their counts');
select is(private.send_announcement_batches(1000, 10), 0, 'a sent announcement is never sent again');

-- 10,000 users, everyone: in batches, exactly once.
insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
select gen_random_uuid(), 'crowd' || n || '@announcements.test', '{"display_name":"Crowd"}', 'authenticated', 'authenticated', now()
from generate_series(1, 10000) n;
select count(*)::int as everyone from auth.users \gset
select ok(:everyone >= 10000, 'at least 10,000 users');
select tests.authenticate_as('admin');
select (public.send_announcement('everyone', 'Platform update', 'We moved to a new video provider.')).id as big \gset
select tests.clear_authentication();
select is(private.send_announcement_batches(1000, 1), 1000, 'one batch reaches 1,000 users');
select is((select array[status, recipients_done::text] from public.announcements where id = :'big'), array['sending', '1000'],
          'the announcement is sending, its cursor moved with the batch');
select is((select count(*)::int from public.notifications where data ->> 'announcement_id' = :'big')
          + (select count(*)::int from public.notification_deliveries where user_id = :'mail_only' and payload #>> '{data,announcement_id}' = :'big'),
          1000, 'exactly those 1,000 users, in the app or (mail_only, if among them) by email');
create temporary table runs as select private.send_announcement_batches(1000, 1) as reached from generate_series(1, 20);
select is((select count(*)::int from runs where reached = 1000), (:everyone - 1000) / 1000, 'further runs take full batches of 1,000 ...');
select is((select sum(reached)::int from runs), :everyone - 1000, '... until everyone is reached, then nothing');
select is((select array[status, recipients_done::text] from public.announcements where id = :'big'), array['sent', :everyone::text],
          'sent, with every user counted');
select is((select count(*)::int from public.notifications where data ->> 'announcement_id' = :'big'),
          :everyone - 1, 'one in-app notification per user (mail_only by email instead)');
select is((select count(distinct user_id)::int from public.notifications where data ->> 'announcement_id' = :'big'),
          :everyone - 1, 'no user notified twice');
select is((select count(*)::int from public.notification_deliveries where user_id = :'mail_only' and kind = 'announcement'), 2,
          'mail_only has both announcements by email');
select is((select count(*) from cron.job where jobname = 'send-announcements' and command = 'select private.send_announcement_batches()'), 1::bigint,
          'the send-announcements job is scheduled');

select * from finish();
rollback;
