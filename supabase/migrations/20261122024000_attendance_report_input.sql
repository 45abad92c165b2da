-- session_attendance_report: a missing session_id is invalid_input (400), as for join_session and
-- set_reminder, not not_found. Same body otherwise (as landed in 20261121223000).

create or replace function public.session_attendance_report(session_id uuid)
returns table (user_id uuid, display_name text, first_joined_at timestamptz, last_left_at timestamptz,
               attended_seconds int, messages int, questions int, upvotes int, poll_answers int,
               survey_done boolean, engagement_score int)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_window_start timestamptz;
  v_window_end timestamptz;
  v_window_seconds numeric;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if session_attendance_report.session_id is null then
    perform private.raise_error('invalid_input', 'session_id is required.', jsonb_build_object('field', 'session_id'));
  end if;
  select s.* into v_session from public.sessions s where s.id = session_attendance_report.session_id;
  if v_session.id is null or not private.can_see_session(v_session.id) then
    perform private.raise_error('not_found', 'Session not found.',
      jsonb_build_object('session_id', session_attendance_report.session_id));
  end if;
  if not private.is_session_host(v_session.id) then
    perform private.raise_error('forbidden', 'Only hosts of the session see its attendance report.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  v_window_start := v_session.started_at;
  v_window_end := coalesce(v_session.ended_at, now());
  v_window_seconds := greatest(extract(epoch from v_window_end - v_window_start), 0);

  return query
  with raw as (
    select a.user_id, a.joined_at,
           -- effective end: left_at, else now while fresh, else the last heartbeat
           coalesce(a.left_at, case when a.last_heartbeat_at > now() - interval '60 seconds' then now()
                                    else a.last_heartbeat_at end) as ended_at,
           a.left_at is null and a.last_heartbeat_at > now() - interval '60 seconds' as is_open
    from public.attendance_intervals a
    where a.session_id = v_session.id
  ),
  clipped as (
    select r.user_id, greatest(r.joined_at, v_window_start) as s, least(r.ended_at, v_window_end) as e
    from raw r
    where v_window_start is not null
      and least(r.ended_at, v_window_end) > greatest(r.joined_at, v_window_start)
  ),
  marked as (
    select c.user_id, c.s, c.e,
           max(c.e) over (partition by c.user_id order by c.s, c.e
                          rows between unbounded preceding and 1 preceding) as prev_end
    from clipped c
  ),
  grouped as (
    select m.user_id, m.s, m.e,
           sum(case when m.prev_end is null or m.s > m.prev_end then 1 else 0 end)
             over (partition by m.user_id order by m.s, m.e) as island
    from marked m
  ),
  attended as (
    select i.user_id, sum(extract(epoch from i.e - i.s))::numeric as seconds
    from (select g.user_id, g.island, min(g.s) as s, max(g.e) as e from grouped g group by g.user_id, g.island) i
    group by i.user_id
  ),
  people as (
    select r.user_id, min(r.joined_at) as first_joined_at,
           case when bool_or(r.is_open) then null else max(r.ended_at) end as last_left_at
    from raw r group by r.user_id
  )
  select pe.user_id, pr.display_name, pe.first_joined_at, pe.last_left_at,
         coalesce(round(att.seconds), 0)::int,
         coalesce(ei.messages, 0), coalesce(ei.questions, 0), coalesce(ei.upvotes, 0),
         coalesce(ei.poll_answers, 0), coalesce(ei.survey_done, false),
         round(
           50 * case when v_window_seconds > 0 then least(coalesce(att.seconds, 0) / v_window_seconds, 1) else 0 end
           + 15 * least(coalesce(ei.messages, 0), 5) / 5.0
           + 15 * least(coalesce(ei.questions, 0) + coalesce(ei.upvotes, 0), 5) / 5.0
           + 10 * case when coalesce(ei.polls_total, 0) > 0
                       then least(coalesce(ei.poll_answers, 0)::numeric / ei.polls_total, 1) else 0 end
           + 10 * case when coalesce(ei.survey_done, false) then 1 else 0 end
         )::int
  from people pe
  left join attended att on att.user_id = pe.user_id
  left join private.engagement_inputs(v_session.id) ei on ei.user_id = pe.user_id
  left join public.profiles pr on pr.id = pe.user_id
  order by pe.first_joined_at, pe.user_id;
end;
$$;
comment on function public.session_attendance_report(uuid) is
  'Hosts only: one row per attendee with first_joined_at, last_left_at (null while still present), attended_seconds '
  '(all the user''s connections'' intervals merged where they overlap, each clipped to the live window '
  'started_at .. coalesce(ended_at, now()); 0 if the session never went live), messages, questions, upvotes, '
  'poll_answers, survey_done (from private.engagement_inputs) and engagement_score 0-100 = round(50 x attended share of '
  'the live window + 15 x min(messages, 5)/5 + 15 x min(questions + upvotes, 5)/5 + 10 x polls answered / polls of the '
  'session + 10 x survey done). Errors: not_authenticated, invalid_input (no session_id), not_found, forbidden (not a host).';
