-- Hand-written (README, "Changing the database"): the pg_cron job of 88_admin_stats.sql
-- (supabase/schemas/90_cron_jobs.sql), which pg-delta does not generate, and the data the new
-- rollups need for the rows that existed before their triggers. On an empty database the inserts
-- insert nothing.
select cron.schedule('admin-stats-rollups', '* * * * *', 'select private.stats_fold()');

-- Sessions that ended before: queued, the job scores them (attendance, no-shows, engagement).
insert into private.stats_sessions (session_id, ended_at)
select s.id, s.ended_at from public.sessions s
where s.status = 'ended' and s.ended_at is not null
on conflict (session_id) do nothing;

-- New users by role, at the hour each user was created, into shard 0.
insert into private.stats_hourly as h (hour, metric, shard, n)
select r.hour, r.metric, 0, r.n
from private.stats_recount('-infinity', 'infinity') r
where r.metric like 'new\_users\_%'
on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;

-- Resource views and downloads so far, at the first hour of their UTC day (resource_daily_stats
-- keeps days only).
insert into private.stats_hourly as h (hour, metric, shard, n)
select d.day::timestamp at time zone 'UTC', m.metric, 0, sum(m.n)
from public.resource_daily_stats d
cross join lateral (values ('resource_views', d.views::bigint), ('resource_downloads', d.downloads::bigint)) m (metric, n)
group by 1, 2
having sum(m.n) > 0
on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;
