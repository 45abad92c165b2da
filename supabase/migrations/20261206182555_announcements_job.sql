-- Hand-written: the pg_cron job of 63_announcements.sql (supabase/schemas/90_cron_jobs.sql). pg-delta
-- does not generate jobs. cron.schedule with a job name replaces the job of that name.
select cron.schedule('send-announcements', '* * * * *', 'select private.send_announcement_batches()');
