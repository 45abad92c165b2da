-- Attendance of an event (several sessions) for its owner and admins: event_attendance_report rolls
-- the per-session attendance report (private.session_attendance, 32_attendance.sql: the same
-- intervals, clipping and engagement formula) up per attendee across the event's sessions.
-- Tables: none.

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: reads every attendee's attendance and engagement across the event's sessions,
-- which the event's owner need not host.
create function public.event_attendance_report(event_id uuid)
returns table (user_id uuid, display_name text, sessions_attended int, sessions_live int, attended_seconds int,
               attended_minutes int, engagement_score int, first_joined_at timestamptz, last_left_at timestamptz,
               sessions jsonb)
language plpgsql stable security definer rows 100 set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_event public.events;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'event_attendance_report'));
  end if;
  if event_attendance_report.event_id is null then
    perform private.raise_error('invalid_input', 'event_id is required.', jsonb_build_object('field', 'event_id'));
  end if;
  select e.* into v_event from public.events e where e.id = event_attendance_report.event_id;
  -- Visible as the events policy says: published ones, one's own drafts, all for admins.
  if v_event.id is null or not (v_event.status <> 'draft' or v_event.created_by = v_uid or private.is_admin()) then
    perform private.raise_error('not_found', 'Event not found.', jsonb_build_object('event_id', event_attendance_report.event_id));
  end if;
  if v_event.created_by is distinct from v_uid and not private.is_admin() then
    perform private.raise_error('forbidden', 'Only the event''s owner and admins see its attendance report.',
      jsonb_build_object('event_id', v_event.id));
  end if;

  return query
  with live as (
    -- The sessions of the event that went live: the ones anybody could attend.
    select s.id, s.title, s.starts_at from public.sessions s
    where s.event_id = v_event.id and s.started_at is not null
  ),
  per_session as (
    select l.id as session_id, l.title, l.starts_at, r.*
    from live l
    cross join lateral private.session_attendance(l.id) r
  ),
  n as (select count(*)::int as live_count from live)
  select p.user_id, max(p.display_name),
         count(*) filter (where p.attended_seconds > 0)::int,
         n.live_count,
         sum(p.attended_seconds)::int,
         round(sum(p.attended_seconds) / 60.0)::int,
         -- A live session the attendee missed counts 0.
         round(sum(p.engagement_score)::numeric / greatest(n.live_count, 1))::int,
         min(p.first_joined_at),
         case when bool_or(p.last_left_at is null) then null else max(p.last_left_at) end,
         jsonb_agg(jsonb_build_object('session_id', p.session_id, 'title', p.title, 'attended_seconds', p.attended_seconds,
                                      'engagement_score', p.engagement_score) order by p.starts_at, p.session_id)
  from per_session p
  cross join n
  group by p.user_id, n.live_count
  order by min(p.first_joined_at), p.user_id;
end;
$$;
comment on function public.event_attendance_report(uuid) is
  'The event''s owner (events.created_by) and admins: one row per attendee of any of the event''s sessions that went '
  'live: sessions_attended (with attended time), sessions_live (sessions of the event that went live), attended_seconds '
  'and attended_minutes (summed; per session as in session_attendance_report: intervals merged and clipped to the live '
  'window), engagement_score 0-100 (the mean of the per-session scores over the live sessions, a missed one counting '
  '0), first_joined_at, last_left_at (null while still present), and sessions [{session_id, title, attended_seconds, '
  'engagement_score}] of the sessions they joined. Errors: not_authenticated, invalid_input, not_found (no such event, '
  'or a draft of someone else), forbidden.';
revoke execute on function public.event_attendance_report(uuid) from public, anon;
grant execute on function public.event_attendance_report(uuid) to authenticated, service_role;
