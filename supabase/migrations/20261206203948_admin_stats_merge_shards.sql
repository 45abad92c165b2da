-- Hand-written data migration (README, "Changing the database"), before the generated one that drops
-- private.stats_hourly.shard: the 8 shards of each hour and metric become one row (shard 0), so the
-- new primary key (hour, metric) holds. On an empty database it changes nothing.
with merged as (
  delete from private.stats_hourly h where h.shard <> 0
  returning h.hour, h.metric, h.n
)
insert into private.stats_hourly as h (hour, metric, shard, n)
select m.hour, m.metric, 0, sum(m.n) from merged m group by m.hour, m.metric
on conflict on constraint stats_hourly_pkey do update set n = h.n + excluded.n;
