-- The per-call helpers of notification delivery and the account lifecycle: private.receives_notifications
-- (34_notification_delivery.sql) and private.session_not_over (85_account_lifecycle.sql) are PL/pgSQL (a SQL
-- function with a SET clause is never inlined and is planned again on every call), with the same answers.
begin;
\ir ../helpers.sql
select plan(12);

select is((select array_agg(p.proname || ':' || l.lanname order by p.proname)
           from pg_proc p join pg_language l on l.oid = p.prolang
           where p.pronamespace = 'private'::regnamespace
             and p.proname in ('receives_notifications', 'session_not_over')),
          array['receives_notifications:plpgsql', 'session_not_over:plpgsql'], 'both are PL/pgSQL');
select is((select array_agg(p.provolatile::text order by p.proname) from pg_proc p
           where p.pronamespace = 'private'::regnamespace
             and p.proname in ('receives_notifications', 'session_not_over')),
          array['s', 's'], '... and stable');

select tests.create_supabase_user('rn_active');
select tests.create_supabase_user('rn_deactivated');
select tests.create_supabase_user('rn_deleted');
update public.profiles set status = 'deactivated' where id = tests.get_supabase_uid('rn_deactivated');
update public.profiles set status = 'deleted' where id = tests.get_supabase_uid('rn_deleted');

select is(private.receives_notifications(tests.get_supabase_uid('rn_active')), true, 'an active account receives');
select is(private.receives_notifications(tests.get_supabase_uid('rn_deactivated')), false, 'a deactivated one does not');
select is(private.receives_notifications(tests.get_supabase_uid('rn_deleted')), false, 'a deleted one does not');
select is(private.receives_notifications(gen_random_uuid()), true, 'an id without a profile: nothing refuses it');

select is(private.session_not_over('live', now() - interval '3 hours', 60), true, 'live: not over, whatever the time');
select is(private.session_not_over('scheduled', now() - interval '30 minutes', 60), true,
          'scheduled, its planned end ahead: not over');
select is(private.session_not_over('scheduled', now() - interval '61 minutes', 60), false,
          'scheduled, its planned end passed: over');
select is(private.session_not_over('ended', now() + interval '1 day', 60), false, 'ended: over');
select is(private.session_not_over('cancelled', now() + interval '1 day', 60), false, 'cancelled: over');
select is(private.session_not_over('scheduled', null, 60), null, 'an unknown start: null, as before');

select * from finish();
rollback;
