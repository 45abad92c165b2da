-- Data for 20261206173448_o1_viewer_count: the presence rows and viewer buckets of the intervals that
-- exist when it is applied (pg-delta writes no data). Attendance writes wait for it (share lock on
-- the intervals), so the rebuilt structures and the triggers agree from then on.
begin;
lock table public.attendance_intervals in share mode;

delete from private.session_viewer_buckets where session_id is not null;
delete from private.session_viewers where session_id is not null;

insert into private.session_viewers (session_id, user_id, seen_at)
select a.session_id, a.user_id, max(a.last_heartbeat_at) filter (where a.left_at is null)
from public.attendance_intervals a
group by a.session_id, a.user_id;

insert into private.session_viewer_buckets (session_id, bucket, shard, viewers)
select v.session_id, private.viewer_bucket(v.seen_at), private.viewer_shard(v.user_id), count(*)::int
from private.session_viewers v
where v.seen_at is not null
group by v.session_id, private.viewer_bucket(v.seen_at), private.viewer_shard(v.user_id);

commit;
