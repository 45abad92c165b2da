-- Notifications: private.notify (row + `notification` broadcast on user:<id>, in_app preference),
-- own-rows RLS on notifications and notification_preferences, mark_notifications_read.
begin;
\ir ../helpers.sql
select plan(30);


select tests.create_supabase_user('alice');
select tests.create_supabase_user('bob');

-- private.notify ---------------------------------------------------------------------------------
select isnt(private.notify(tests.get_supabase_uid('alice'), 'booking_promoted', 'You have a seat', 'Body', '/sessions/x',
                           '{"session_id":"x"}'), null, 'notify returns the new notification id');
select private.notify(tests.get_supabase_uid('alice'), 'session_reminder', 'Reminder 1');
select private.notify(tests.get_supabase_uid('alice'), 'session_reminder', 'Reminder 2');
select private.notify(tests.get_supabase_uid('bob'), 'session_reminder', 'Bob''s reminder');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('alice')), 3,
          'notify creates rows for the recipient');
select is((select count(*)::int from realtime.messages where topic = 'user:' || tests.get_supabase_uid('alice')
           and event = 'notification' and private and extension = 'broadcast'), 3,
          'each new notification is broadcast privately on user:<id>');
select is((select array_agg(k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.topic = 'user:' || tests.get_supabase_uid('alice') and m.event = 'notification'
             and m.payload ->> 'title' = 'You have a seat'),
          array['id', 'kind', 'link', 'title'], 'the notification broadcast carries only id, kind, title, link');
select is((select (m.payload ->> 'id')::uuid from realtime.messages m
           where m.topic = 'user:' || tests.get_supabase_uid('alice') and m.payload ->> 'title' = 'You have a seat'),
          (select id from public.notifications where title = 'You have a seat'), 'the broadcast id is the notification id');

insert into public.notification_preferences (user_id, kind, in_app)
values (tests.get_supabase_uid('bob'), 'booking_promoted', false);
select is(private.notify(tests.get_supabase_uid('bob'), 'booking_promoted', 'Hidden'), null,
          'notify creates nothing when the user turned in_app off for the kind');
select is((select count(*)::int from public.notifications where title = 'Hidden'), 0, 'no row for a muted kind');
select throws_ok($$ select private.notify(tests.get_supabase_uid('bob'), 'Bad Kind!', 'x') $$, '23514', null,
                 'kinds are lower-case words');

-- RLS matrix on notifications ------------------------------------------------------------------------
select tests.authenticate_as('alice');
select is((select count(*)::int from public.notifications), 3, 'a user reads only their own notifications');
select is(tests.error_code($$ select private.notify(auth.uid(), 'x', 'forged') $$), '42501',
          'users cannot call private.notify');
select is(tests.error_code(format($$ insert into public.notifications (user_id, kind, title) values (%L, 'x', 'forged') $$,
          tests.get_supabase_uid('alice'))), '42501', 'users cannot insert notifications');
select is(tests.error_code($$ update public.notifications set title = 'changed' $$), '42501',
          'users cannot change anything but read_at');
update public.notifications set read_at = now() where title = 'Reminder 1';
select is((select count(*)::int from public.notifications where read_at is not null), 1, 'a user marks their own notification read');
select tests.authenticate_as('bob');
update public.notifications set read_at = now() where user_id = tests.get_supabase_uid('alice');
delete from public.notifications where user_id = tests.get_supabase_uid('alice');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('alice') and read_at is null), 2,
          'another user cannot mark them read (nothing changed)');
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('alice')), 3,
          'another user cannot delete them (nothing changed)');
select tests.authenticate_as_anon();
select is(tests.error_code($$ select count(*) from public.notifications $$), '42501', 'anon cannot read notifications');
select is(tests.error_code($$ select public.mark_notifications_read() $$), '42501', 'anon cannot call mark_notifications_read');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.notifications n
           where n.user_id in (tests.get_supabase_uid('alice'), tests.get_supabase_uid('bob'))), 4,
          'service_role reads every notification, other users'' too (the seed may hold more)');

-- mark_notifications_read ---------------------------------------------------------------------------
select tests.authenticate_as('alice');
select is(public.mark_notifications_read(array[(select id from public.notifications where title = 'Reminder 2'),
                                                (select n.id from public.notifications n where n.title = 'Bob''s reminder')]), 1,
          'mark_notifications_read marks the given ids, ignoring other users'' ids');
select is(public.mark_notifications_read(), 1, 'null marks every remaining unread notification');
select is(public.mark_notifications_read(), 0, 'marking again changes nothing');
select tests.clear_authentication();
select is((select read_at from public.notifications where title = 'Bob''s reminder'), null, 'bob''s notification stays unread');
select tests.authenticate_as('alice');
delete from public.notifications where title = 'Reminder 1';
select is((select count(*)::int from public.notifications), 2, 'a user deletes their own notification');

-- notification_preferences: own rows only ----------------------------------------------------------
insert into public.notification_preferences (kind, email) values ('session_reminder', false);
select results_eq($$ select user_id, kind, in_app, email, push, default_reminders from public.notification_preferences $$,
                  $$ values (tests.get_supabase_uid('alice'), 'session_reminder'::text, true, false, true, true) $$,
                  'a user adds a preference for themselves (user_id defaults to them) and reads only their own');
select is(tests.error_code(format($$ insert into public.notification_preferences (user_id, kind) values (%L, 'direct_message') $$,
          tests.get_supabase_uid('bob'))), '42501', 'a user cannot add preferences for someone else');
select is(tests.error_code($$ insert into public.notification_preferences (kind, default_reminders) values ('direct_message', false) $$),
          '23514', 'default_reminders is only for the session_reminder kind');
update public.notification_preferences set default_reminders = false where kind = 'session_reminder';
select is((select default_reminders from public.notification_preferences), false, 'a user updates their own preference');
select tests.authenticate_as('bob');
update public.notification_preferences set email = false where user_id = tests.get_supabase_uid('alice');
delete from public.notification_preferences where user_id = tests.get_supabase_uid('alice');
select tests.clear_authentication();
select is((select count(*)::int from public.notification_preferences where user_id = tests.get_supabase_uid('alice') and not default_reminders), 1,
          'another user cannot change or delete them (nothing changed)');

select policies_are('public', 'notifications', array['deactivated accounts read nothing', 'users can read their own notifications',
  'users can mark their own notifications read', 'users can delete their own notifications'], 'notifications policies');
select policies_are('public', 'notification_preferences', array['deactivated accounts read nothing', 'users can read their own notification preferences',
  'users can add their own notification preferences', 'users can change their own notification preferences',
  'users can delete their own notification preferences'], 'notification_preferences policies');

select * from finish();
rollback;
