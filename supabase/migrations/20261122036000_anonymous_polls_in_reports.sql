-- The attendance report no longer counts answers to anonymous polls.
--
-- Why: private.engagement_inputs counted every poll ballot per user, anonymous polls included, and
-- session_attendance_report shows that count (poll_answers) per attendee to the host. With one
-- anonymous poll, the host saw who answered it, and together with poll_results often what they
-- answered: "voter identities are never exposed for anonymous polls" (API) did not hold.
--
-- Now anonymous polls count neither in poll_answers nor in polls_total: the engagement score's
-- poll share is taken over the session's polls that are not anonymous.

create or replace function private.engagement_inputs(session_id uuid)
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
    where sv.session_id = engagement_inputs.session_id)
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
  'never exposed, not even to hosts), and survey_done (answered one of its surveys). Feeds session_attendance_report.';
