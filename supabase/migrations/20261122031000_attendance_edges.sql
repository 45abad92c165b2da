-- Attendance and metrics edge cases.
--
-- Why (each found by probing the API as its users would):
--   * leave_session answered any signed-in user with the live viewer count of any session id, private
--     ones included: it never looked at the session. Now a caller who cannot see the session and had
--     nothing open there gets not_found (404), as join_session and heartbeat answer; viewer_count is
--     only returned to callers who can see the session (null otherwise: someone who lost access
--     mid-session can still close what they opened).
--   * leave_session read a blank connection_id as "every connection" while join_session and heartbeat
--     read it as the connection 'default': leaving with '' closed the user's other tabs. Blank now
--     means 'default' in all three; only null means every connection.
--   * A heartbeat after a reconnect gap first closes the silent interval, then opens a new one. The
--     attendance trigger ran for the close too, broadcasting a viewer_count without this user (one
--     too low, a value that never existed after commit) and using up the 2 s throttle, so the right
--     count waited for a later heartbeat. Closing an interval that was already silent for 60 s does
--     not change the count (viewer_count ignores it), so the trigger now skips it.
--   * session_metrics: a poll's participation went above 100 % when booked members voted without
--     joining (voters / peak viewers). The basis of each poll is now at least its voters. A null
--     session id answers invalid_input (400), like session_attendance_report, instead of not_found or
--     not_authenticated.
--   * session_cards.can_join was true for a user banned from the session, while join_session refuses
--     them (403): now false. private.am_banned() answers for the caller (false for anon).

-- ---------------------------------------------------------------------------------------------
-- leave_session
-- ---------------------------------------------------------------------------------------------

create or replace function public.leave_session(session_id uuid, connection_id text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  -- null: every connection; blank: 'default', as join_session and heartbeat read it.
  v_conn text := case when leave_session.connection_id is not null
                      then coalesce(nullif(btrim(leave_session.connection_id), ''), 'default') end;
  v_closed int;
  v_visible boolean;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if leave_session.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  -- Stale intervals end at their last heartbeat, fresh ones now.
  update public.attendance_intervals a
     set left_at = case when a.last_heartbeat_at > now() - interval '60 seconds' then greatest(now(), a.joined_at)
                        else a.last_heartbeat_at end
   where a.session_id = leave_session.session_id and a.user_id = v_uid and a.left_at is null
     and (v_conn is null or a.connection_id = v_conn);
  get diagnostics v_closed = row_count;
  v_visible := private.can_see_session(leave_session.session_id);
  if not v_visible and v_closed = 0 then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', leave_session.session_id));
  end if;
  return jsonb_build_object('session_id', leave_session.session_id, 'closed', v_closed,
                            'viewer_count', case when v_visible then private.viewer_count(leave_session.session_id) end);
end;
$$;
comment on function public.leave_session(uuid, text) is
  'Ends the caller''s presence on one connection (blank = ''default'', as join_session reads it), or on all their '
  'connections of the session when connection_id is null. Idempotent (closed = 0 when nothing was open). Returns '
  '{session_id, closed, viewer_count}; viewer_count is null when the caller can no longer see the session. Errors: '
  'not_authenticated, invalid_input, not_found (a session the caller cannot see, with nothing of theirs open).';

-- ---------------------------------------------------------------------------------------------
-- The attendance trigger skips closing an interval that was already silent
-- ---------------------------------------------------------------------------------------------

create or replace function private.attendance_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count int;
  v_broadcast boolean;
begin
  -- An interval silent for 60 s is no longer counted by viewer_count: closing it changes nothing
  -- (the heartbeat that follows a reconnect gap opens the new interval right after).
  if tg_op = 'UPDATE' and old.left_at is null and new.left_at is not null
     and old.last_heartbeat_at <= now() - interval '60 seconds' then
    return null;
  end if;
  v_count := private.viewer_count(new.session_id);
  insert into public.session_viewer_stats (session_id) values (new.session_id)
  on conflict (session_id) do nothing;
  update public.session_viewer_stats v set peak_viewers = v_count, peak_at = now()
  where v.session_id = new.session_id and v.peak_viewers < v_count;
  -- Throttle: only the transaction that moves last_broadcast_at sends (at most once per 2 s).
  update public.session_viewer_stats v set last_broadcast_at = now(), last_broadcast_count = v_count
  where v.session_id = new.session_id
    and v.last_broadcast_at < now() - interval '2 seconds'
    and v.last_broadcast_count is distinct from v_count
  returning true into v_broadcast;
  if v_broadcast then
    perform realtime.send(jsonb_build_object('session_id', new.session_id, 'viewer_count', v_count),
      'viewer_count', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
comment on function private.attendance_changed() is
  'Trigger on attendance changes: keeps session_viewer_stats.peak_viewers and broadcasts `viewer_count` '
  '{session_id, viewer_count} on session:<id> when the count changed, at most once per 2 s per session. Closing an '
  'interval already silent for 60 s is skipped: it was not counted.';

-- ---------------------------------------------------------------------------------------------
-- session_metrics
-- ---------------------------------------------------------------------------------------------

create or replace function public.session_metrics(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_current int;
  v_peak int;
  v_confirmed int;
  v_basis int;
begin
  if session_metrics.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  perform private.require_session_access(session_metrics.session_id, 'staff');
  v_current := private.viewer_count(session_metrics.session_id);
  v_peak := greatest(coalesce((select v.peak_viewers from public.session_viewer_stats v
                               where v.session_id = session_metrics.session_id), 0), v_current);
  select count(*) into v_confirmed from public.bookings b
  where b.session_id = session_metrics.session_id and b.status = 'confirmed';
  v_basis := case when v_peak > 0 then v_peak else v_confirmed end;
  return jsonb_build_object(
    'session_id', session_metrics.session_id,
    'current_viewers', v_current,
    'peak_viewers', v_peak,
    'confirmed_members', v_confirmed,
    'messages_per_minute', (select round(count(*)::numeric / 5, 2) from public.chat_messages m
                            where m.session_id = session_metrics.session_id and m.created_at > now() - interval '5 minutes'),
    'questions', (select jsonb_build_object(
                    'total', count(*),
                    'pending', count(*) filter (where q.status = 'pending'),
                    'published', count(*) filter (where q.status = 'published'),
                    'answered', count(*) filter (where q.status = 'answered'),
                    'dismissed', count(*) filter (where q.status = 'dismissed'))
                  from public.questions q where q.session_id = session_metrics.session_id),
    'participation_basis', case when v_peak > 0 then 'peak_viewers' else 'confirmed_members' end,
    'polls', coalesce((select jsonb_agg(jsonb_build_object(
                         'poll_id', p.id, 'question', p.question, 'status', p.status, 'voters', t.voters,
                         -- Members may vote without joining: the basis is at least the voters.
                         'participation', case when greatest(v_basis, t.voters) = 0 then null
                                               else round(t.voters::numeric / greatest(v_basis, t.voters), 4) end)
                       order by p.created_at, p.id)
                       from public.polls p
                       cross join lateral (select coalesce(sum(vt.voters), 0)::bigint as voters
                                           from private.poll_voter_tallies vt where vt.poll_id = p.id) t
                       where p.session_id = session_metrics.session_id and p.status <> 'draft'), '[]'::jsonb));
end;
$$;
comment on function public.session_metrics(uuid) is
  'Hosts and moderators: {session_id, current_viewers, peak_viewers, confirmed_members, messages_per_minute (chat messages '
  'of the last 5 minutes / 5, deleted ones included), questions {total, pending, published, answered, dismissed}, '
  'participation_basis, polls [{poll_id, question, status, voters, participation}]}. participation = voters / peak '
  'viewers (the most people who could have voted at once), or / confirmed members while nobody has watched yet, and '
  'never above 1 (members may vote without joining: the basis is at least the voters); null when there is no basis and '
  'no voter. Errors: invalid_input (null session_id), not_authenticated, not_found, forbidden.';

-- ---------------------------------------------------------------------------------------------
-- session_cards.can_join follows join_session's ban check
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: session_bans is readable by staff only; this answers for the caller alone.
create function private.am_banned(session_id uuid)
returns boolean
language sql stable security definer set search_path = '' as $$
  select (select auth.uid()) is not null
     and exists (select 1 from public.session_bans sb
                 where sb.session_id = am_banned.session_id and sb.user_id = (select auth.uid()))
$$;
comment on function private.am_banned(uuid) is
  'True when the caller is banned from the session (false for anon). For session_cards.can_join. Internal.';
revoke execute on function private.am_banned(uuid) from public;
grant execute on function private.am_banned(uuid) to anon, authenticated, service_role;

create or replace view public.session_cards with (security_invoker = true) as
select
  s.id,
  s.title,
  s.description,
  s.topic,
  s.phase,
  s.starts_at,
  s.starts_at + make_interval(mins => s.duration_minutes) as ends_at,
  s.duration_minutes,
  s.timezone,
  s.status,
  s.visibility,
  s.capacity,
  s.waitlist_enabled,
  s.price_cents,
  s.currency,
  s.thumbnail_url,
  s.program_id,
  s.event_id,
  h.user_id as host_id,
  h.display_name as host_name,
  c.booked_count,
  case when s.capacity is null then null else greatest(s.capacity - c.booked_count, 0) end as seats_left,
  me.booking_status as my_booking_status,
  -- join_session's rule: signed in, not banned, and staff, confirmed, or a public session; live, or
  -- from 15 minutes before the start. Always true or false, never null.
  coalesce((select auth.uid()) is not null
    and (me.staff_role is not null or me.booking_status = 'confirmed' or s.visibility = 'public')
    and (s.status = 'live' or (s.status = 'scheduled' and now() >= s.starts_at - interval '15 minutes'))
    and not private.am_banned(s.id), false) as can_join,
  coalesce(me.staff_role = 'host', false) as can_edit,
  case when s.status = 'live' then private.viewer_count(s.id) else 0 end as viewer_count,
  me.has_reminder
from public.sessions s
left join lateral private.session_host(s.id) h on true
cross join lateral (select private.session_booked_count(s.id) as booked_count) c
cross join lateral private.my_session_relation(s.id) me;
comment on view public.session_cards is
  'One row per session the signed-in caller may read, for lists and cards: ends_at, host (first host), booked_count '
  '(confirmed), seats_left (null = unlimited), and for the caller my_booking_status (latest, active first), can_join '
  '(join_session''s rule: signed in, not banned, staff or confirmed or a public session, and live or starting within 15 '
  'minutes), can_edit (host), viewer_count (live sessions: private.viewer_count, else 0) and has_reminder (the caller '
  'has a reminder for it). Filter and paginate with PostgREST.';
