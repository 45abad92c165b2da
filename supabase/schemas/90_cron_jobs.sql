-- Scheduled jobs (pg_cron), every minute. Each runs one function, defined with its capability.
-- A job is a row in cron.job, not a schema object: `supabase db diff` does not generate these
-- statements, so a change here goes into a hand-written migration (README, "Changing the
-- database"). pg_cron lives in one database per cluster (the `postgres` database), so this file
-- holds nothing else: `npm test` builds the other schema files in a second database of its cluster
-- and checks this file in `postgres` (scripts/lib.sh, cron_jobs_of_schemas).

-- pg_cron lives in pg_catalog on Supabase (enabled on demand; a no-op where it already exists).
create extension if not exists pg_cron with schema pg_catalog;

-- cron.schedule with a job name replaces the job of that name, so this file can run again.

-- 31_reminders.sql: adds the default reminders of new bookings, then sends the due reminders. Every
-- minute is the fallback (in-app notifications without a dispatcher): dispatch-notifications runs the
-- same function first on each of its calls (every 20 s, below), which is what bounds a reminder's mail
-- to a minute. A '20 seconds' schedule here would do that only on pg_cron >= 1.5 (the platform), not on
-- the Debian 1.4 of the local stack (docs/PLATFORM.md), and still leave the dispatcher's 20 s on top.
select cron.schedule('session-reminders', '* * * * *', 'select private.send_due_reminders()');

-- 53_rooms.sql: rooms whose closes_at passed are closed (and broadcast) within a minute; reads
-- treat them as closed right away (private.room_is_open).
select cron.schedule('close-expired-breakout-rooms', '* * * * *', 'select private.close_expired_rooms()');

-- 70_live_counters.sql: sends the poll_updated and viewer_count broadcasts a throttle held back.
select cron.schedule('flush-live-counts', '* * * * *', 'select private.flush_live_counts()');

-- 63_announcements.sql: fans out queued announcements as notifications, up to 10 batches of 1,000
-- users per run.
select cron.schedule('send-announcements', '* * * * *', 'select private.send_announcement_batches()');

-- 62_direct_message_digests.sql: queues the direct message email digests (a message unread for 10
-- minutes, at most one digest per conversation an hour).
select cron.schedule('direct-message-digests', '* * * * *', 'select private.queue_direct_message_digests()');

-- 88_admin_stats.sql: scores the sessions that ended (attendance, no-shows, engagement) into the
-- admin_stats rollups, up to 200 per run.
select cron.schedule('admin-stats-rollups', '* * * * *', 'select private.stats_fold()');

-- 34_notification_delivery.sql: calls the dispatch-notifications Edge Function through pg_net every 20
-- seconds; each call first queues the due reminders, then sends (a reminder is mailed about 20 s after
-- its due time, at most a run's duration more). Only where pg_net exists (Supabase;
-- not the local emulation, where npm start calls the function on the same schedule). Needs the Vault
-- secrets project_url and dispatch_secret (README, "Notification delivery").
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
    perform cron.schedule('dispatch-notifications', '20 seconds', 'select private.dispatch_notifications_via_http()');
  end if;
end;
$$;
