-- notification cron jobs (hand-written: pg-delta does not write pg_cron jobs). Same statements as
-- supabase/schemas/90_cron_jobs.sql.

-- 62_direct_message_digests.sql: queues the direct message email digests.
select cron.schedule('direct-message-digests', '* * * * *', 'select private.queue_direct_message_digests()');

-- 34_notification_delivery.sql: calls dispatch-notifications through pg_net every 20 seconds, only
-- where pg_net exists (Supabase), with the Vault secrets project_url and dispatch_secret.
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
    perform cron.schedule('dispatch-notifications', '20 seconds', 'select private.dispatch_notifications_via_http()');
  end if;
end;
$$;
