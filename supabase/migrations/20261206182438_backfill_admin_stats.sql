-- Data, written by hand (README, "Changing the database"): the hourly rollups of admin_stats for the
-- rows that existed before its triggers, recounted from the base tables (creation metrics, and
-- cancellations by cancelled_at), into shard 0. On an empty database it inserts nothing.
insert into private.stats_hourly as h (hour, metric, shard, n)
select r.hour, r.metric, 0, r.n
from private.stats_recount('-infinity', 'infinity') r
on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;

insert into private.stats_hourly as h (hour, metric, shard, n)
select date_trunc('hour', b.cancelled_at, 'UTC'), 'cancellations', 0, count(*)
from public.bookings b
where b.cancelled_at is not null
group by 1
on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;
