-- Metrics of a live session for its hosts: session_metrics (viewers, chat, Q&A, poll participation)
-- and the per-attendee engagement inputs of the attendance report (32_attendance.sql). Read-only:
-- it reads the tables of attendance, chat, Q&A, polls and surveys, so it comes after them.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Engagement inputs per attendee, for session_attendance_report (security definer, so it reads as
-- the owner). Anonymous polls count neither in poll_answers nor in polls_total: the report shows
-- poll_answers per attendee to the host, and with poll_results that would expose who answered an
-- anonymous poll (and often what).
create function private.engagement_inputs(session_id uuid)
returns table (user_id uuid, messages int, questions int, upvotes int, poll_answers int, polls_total int, survey_done boolean)
language sql stable set search_path = '' as $$
  with attendees as (
    select distinct a.user_id from public.attendance_intervals a where a.session_id = engagement_inputs.session_id),
  m as (
    select c.user_id, count(*)::int as n from public.chat_messages c
    where c.session_id = engagement_inputs.session_id and c.deleted_at is null group by c.user_id),
  q as (
    select x.user_id, count(*)::int as n from public.questions x
    where x.session_id = engagement_inputs.session_id group by x.user_id),
  u as (
    select x.user_id, count(*)::int as n from public.question_upvotes x
    join public.questions q2 on q2.id = x.question_id
    where q2.session_id = engagement_inputs.session_id group by x.user_id),
  p as (
    select b.user_id, count(*)::int as n from public.poll_ballots b
    join public.polls pl on pl.id = b.poll_id
    where pl.session_id = engagement_inputs.session_id and not pl.is_anonymous group by b.user_id),
  pt as (
    select count(*)::int as n from public.polls pl
    where pl.session_id = engagement_inputs.session_id and pl.status <> 'draft' and not pl.is_anonymous),
  s as (
    select distinct r.user_id from public.survey_responses r
    join public.surveys sv on sv.id = r.survey_id
    where sv.session_id = engagement_inputs.session_id and not sv.is_anonymous)
  select a.user_id, coalesce(m.n, 0), coalesce(q.n, 0), coalesce(u.n, 0), coalesce(p.n, 0), pt.n,
         s.user_id is not null
  from attendees a
  cross join pt
  left join m on m.user_id = a.user_id
  left join q on q.user_id = a.user_id
  left join u on u.user_id = a.user_id
  left join p on p.user_id = a.user_id
  left join s on s.user_id = a.user_id;
$$;
comment on function private.engagement_inputs(uuid) is
  'Per attendee of the session: chat messages (not deleted), questions asked, upvotes given, poll_answers (polls '
  'answered) and polls_total (polls of the session that were opened), both without anonymous polls (their voters are '
  'never exposed, not even to hosts), and survey_done (answered one of its surveys that is not anonymous). Feeds '
  'session_attendance_report.';
revoke execute on function private.engagement_inputs(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: aggregates chat, questions, polls and attendance of other users for staff.
create function public.session_metrics(session_id uuid)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_current int;
  v_peak int;
  v_confirmed int;
  v_basis int;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
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
revoke execute on function public.session_metrics(uuid) from public, anon;
grant execute on function public.session_metrics(uuid) to authenticated, service_role;
