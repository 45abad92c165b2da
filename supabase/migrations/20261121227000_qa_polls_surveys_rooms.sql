-- The live room, part 2: Q&A (questions, upvotes, moderation, anonymity), polls (sharded tallies
-- derived from vote rows, coalesced `poll_updated` broadcasts), surveys (validated fields and
-- responses), breakout-room RPCs (open, assign, random balanced assignment, self-selection, closing
-- with the session and at closes_at) and the `session_metrics` RPC for hosts.
-- Tables (new): public.questions, public.question_upvotes, public.polls, public.poll_options,
--   public.poll_ballots, public.poll_votes, public.surveys, public.survey_fields,
--   public.survey_responses, private.poll_option_tallies, private.poll_voter_tallies,
--   private.poll_broadcast_throttle.
-- Tables (changed): public.rooms (+ self_select), public.room_assignments (+ joined_at).
-- Redefines private.engagement_inputs(session_id) of the booking migration so that the attendance
-- report counts real questions, upvotes, poll answers and survey completion (same signature).
-- Depends on: sessions catalogue (sessions, session_staff, bookings, rooms, room_assignments,
--   private.is_session_staff/staff_session_ids/my_session_ids/visible_session_ids), booking
--   (attendance_intervals, private.viewer_count, session_viewer_stats), chat (chat_messages,
--   private.is_banned; its realtime.messages policies decide who receives the broadcasts below).
--
-- "Staff" below means the session's hosts and moderators (session_staff roles host, moderator);
-- "member" means private.my_session_ids() (staff, confirmed bookings, and whatever the booking
-- feature adds); a banned member can no longer ask, upvote, vote, answer surveys or join rooms.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.questions (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  is_anonymous boolean not null default false,
  status text not null default 'published',
  upvote_count int not null default 0,
  answer text,
  answered_at timestamptz,
  answered_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint questions_body_length check (char_length(body) between 1 and 500 and body = btrim(body)),
  constraint questions_status_valid check (status in ('pending', 'published', 'answered', 'dismissed')),
  constraint questions_upvote_count_not_negative check (upvote_count >= 0),
  constraint questions_answer_length check (answer is null or char_length(answer) between 1 and 2000),
  constraint questions_answered_fields check ((status = 'answered') = (answered_at is not null)
    and (answer is null or status = 'answered') and (answered_by is null or status = 'answered'))
);
comment on table public.questions is
  'Q&A questions of a session. Written only through ask_question / moderate_question (and upvote counts through '
  'upvote_question / withdraw_upvote). Clients cannot select user_id: read through the view session_questions, which '
  'shows the author only when the question is not anonymous, or to staff and the author.';
comment on column public.questions.user_id is 'Author. Not selectable by clients (anonymity); see session_questions.author_id.';
comment on column public.questions.body is 'The question, 1-500 characters, stored trimmed.';
comment on column public.questions.is_anonymous is 'Author hidden from everyone but staff and the author (allowed when the session allows anonymous questions).';
comment on column public.questions.status is
  'pending (qa_moderation on: only author and staff see it) -> published -> answered; dismissed hides it from members.';
comment on column public.questions.upvote_count is 'Number of question_upvotes rows, kept exact by triggers in the same transaction.';
comment on column public.questions.answer is 'Optional written answer, set with status answered.';
comment on column public.questions.answered_by is 'Staff member who marked it answered.';

create table public.question_upvotes (
  question_id uuid not null references public.questions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (question_id, user_id)
);
comment on table public.question_upvotes is
  'One upvote per user and question (upvote_question / withdraw_upvote). Users read only their own rows.';

create table public.polls (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  question text not null,
  kind text not null default 'single',
  max_choices int not null default 1,
  status text not null default 'draft',
  results_visibility text not null default 'live',
  is_anonymous boolean not null default false,
  opened_at timestamptz,
  closed_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint polls_question_length check (char_length(question) between 1 and 300 and question = btrim(question)),
  constraint polls_kind_valid check (kind in ('single', 'multiple')),
  constraint polls_max_choices_valid check (max_choices between 1 and 10 and (kind = 'multiple' or max_choices = 1)),
  constraint polls_status_valid check (status in ('draft', 'open', 'closed')),
  constraint polls_results_visibility_valid check (results_visibility in ('live', 'after_vote', 'after_close')),
  constraint polls_opened_when_open check ((status = 'draft') = (opened_at is null)),
  constraint polls_closed_when_closed check ((status = 'closed') = (closed_at is not null))
);
comment on table public.polls is
  'Polls of a session. Staff create (create_poll), open and close them; members read non-draft polls of their '
  'sessions, vote with vote_poll and read results with poll_results.';
comment on column public.polls.kind is 'single (one option) or multiple (up to max_choices options).';
comment on column public.polls.max_choices is 'Most options one voter may pick: 1 for single, 1..option count for multiple.';
comment on column public.polls.status is 'draft -> open -> closed (open_poll, close_poll).';
comment on column public.polls.results_visibility is
  'live: members see results while voting; after_vote: only voters (and staff); after_close: everyone once closed. Staff always.';
comment on column public.polls.is_anonymous is 'Informational for clients; voter identities are never exposed (vote rows are readable only by their voter).';

create table public.poll_options (
  id uuid primary key default gen_random_uuid(),
  poll_id uuid not null references public.polls (id) on delete cascade,
  label text not null,
  position int not null,
  constraint poll_options_poll_position_key unique (poll_id, position),
  -- Target of poll_votes (poll_id, option_id): a vote's option belongs to its poll.
  constraint poll_options_poll_id_id_key unique (poll_id, id),
  constraint poll_options_label_length check (char_length(label) between 1 and 200 and label = btrim(label)),
  constraint poll_options_position_range check (position between 1 and 10)
);
comment on table public.poll_options is 'The 2-10 options of a poll, in position order (1-based). Written by create_poll only.';

create table public.poll_ballots (
  poll_id uuid not null references public.polls (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (poll_id, user_id)
);
comment on table public.poll_ballots is
  'One ballot per user and poll: the once-per-user guard of vote_poll (a second vote is already_voted). Own rows only.';

create table public.poll_votes (
  poll_id uuid not null,
  option_id uuid not null,
  user_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (poll_id, user_id, option_id),
  constraint poll_votes_option_in_poll foreign key (poll_id, option_id)
    references public.poll_options (poll_id, id) on delete cascade,
  -- Every vote hangs off its ballot; deleting a user deletes the ballot and with it the votes.
  constraint poll_votes_ballot foreign key (poll_id, user_id)
    references public.poll_ballots (poll_id, user_id) on delete cascade
);
comment on table public.poll_votes is
  'One row per chosen option of a ballot. Tallies are derived from these rows by triggers into sharded counters '
  '(private.poll_option_tallies). Readable only by the voter.';

-- Sharded counters: one row per (poll, option, shard), shard = abs(hashtext(user_id)) % 64, so that
-- concurrent voters update different rows (no hot row) and poll_results sums at most 64 rows per
-- option whatever the number of votes.
create table private.poll_option_tallies (
  poll_id uuid not null references public.polls (id) on delete cascade,
  option_id uuid not null references public.poll_options (id) on delete cascade,
  shard smallint not null,
  votes bigint not null default 0,
  primary key (poll_id, option_id, shard),
  constraint poll_option_tallies_shard_range check (shard between 0 and 63),
  constraint poll_option_tallies_votes_not_negative check (votes >= 0)
);
comment on table private.poll_option_tallies is
  'Per-option vote counts in 64 shards, maintained from poll_votes by statement triggers. Sum over shards = count of vote rows.';

create table private.poll_voter_tallies (
  poll_id uuid not null references public.polls (id) on delete cascade,
  shard smallint not null,
  voters bigint not null default 0,
  primary key (poll_id, shard),
  constraint poll_voter_tallies_shard_range check (shard between 0 and 63),
  constraint poll_voter_tallies_voters_not_negative check (voters >= 0)
);
comment on table private.poll_voter_tallies is
  'Distinct voters per poll in 64 shards, maintained from poll_ballots by statement triggers.';

create table private.poll_broadcast_throttle (
  poll_id uuid primary key references public.polls (id) on delete cascade,
  last_broadcast_at timestamptz not null default '-infinity'
);
comment on table private.poll_broadcast_throttle is
  'When poll_updated was last broadcast for a poll during voting: at most one broadcast per 500 ms, taken with '
  'skip locked so that voters never wait for each other here.';

create table public.surveys (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  title text not null,
  status text not null default 'draft',
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint surveys_title_length check (char_length(title) between 1 and 200 and title = btrim(title)),
  constraint surveys_status_valid check (status in ('draft', 'open', 'closed'))
);
comment on table public.surveys is
  'Surveys (feedback forms) of a session. Staff create (create_survey), open and close; members answer open ones '
  'with submit_survey_response.';
comment on column public.surveys.status is 'draft -> open -> closed (open_survey, close_survey).';

create table public.survey_fields (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  position int not null,
  prompt text not null,
  kind text not null,
  options jsonb not null default '{}',
  required boolean not null default false,
  constraint survey_fields_survey_position_key unique (survey_id, position),
  constraint survey_fields_prompt_length check (char_length(prompt) between 1 and 500 and prompt = btrim(prompt)),
  constraint survey_fields_kind_valid check (kind in ('rating', 'text', 'choice')),
  constraint survey_fields_options_object check (jsonb_typeof(options) = 'object'),
  constraint survey_fields_position_range check (position between 1 and 50)
);
comment on table public.survey_fields is 'The questions of a survey, validated by create_survey.';
comment on column public.survey_fields.options is
  'rating: {"min":1,"max":5}; choice: {"choices":[...2-20 distinct labels], "multiple": false}; text: {"max_length": 1000}.';

create table public.survey_responses (
  id uuid primary key default gen_random_uuid(),
  survey_id uuid not null references public.surveys (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  answers jsonb not null,
  created_at timestamptz not null default now(),
  constraint survey_responses_survey_user_key unique (survey_id, user_id),
  constraint survey_responses_answers_object check (jsonb_typeof(answers) = 'object')
);
comment on table public.survey_responses is
  'One response per user and survey (submit_survey_response). Users read their own; staff read all of their sessions.';
comment on column public.survey_responses.answers is
  'Object of field id -> answer: rating an integer, choice a label (or an array of labels when multiple), text a string.';

alter table public.rooms add column self_select boolean not null default false;
comment on column public.rooms.self_select is
  'When true, members may join this open room themselves with join_room while it has capacity left (added by the live-room migration).';
alter table public.room_assignments add column joined_at timestamptz;
comment on column public.room_assignments.joined_at is 'When the user entered the room with join_room (added by the live-room migration).';

-- ---------------------------------------------------------------------------------------------
-- Indexes (every foreign key, and the columns policies filter on)
-- ---------------------------------------------------------------------------------------------

create index questions_session_id_status_idx on public.questions (session_id, status, upvote_count desc, created_at);
create index questions_user_id_idx on public.questions (user_id);
create index questions_answered_by_idx on public.questions (answered_by);
create index question_upvotes_user_id_idx on public.question_upvotes (user_id);
create index polls_session_id_idx on public.polls (session_id, status);
create index polls_created_by_idx on public.polls (created_by);
create index poll_ballots_user_id_idx on public.poll_ballots (user_id);
create index poll_votes_poll_id_option_id_idx on public.poll_votes (poll_id, option_id);
create index poll_option_tallies_option_id_idx on private.poll_option_tallies (option_id);
create index surveys_session_id_idx on public.surveys (session_id, status);
create index surveys_created_by_idx on public.surveys (created_by);
create index survey_responses_user_id_idx on public.survey_responses (user_id);
create index rooms_session_id_status_idx on public.rooms (session_id, status) where status = 'open';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- private.require_session_access(session_id, need) comes from the chat migration (20261121226000).

-- The author of a question as the caller may see it: null for an anonymous question unless the
-- caller is its author or staff of its session.
-- SECURITY DEFINER: clients cannot select questions.user_id (column privilege), by design.
create function private.question_author_id(question_id uuid)
returns uuid
language sql stable security definer set search_path = '' as $$
  select q.user_id from public.questions q
  where q.id = question_author_id.question_id
    and (q.user_id = (select auth.uid())
      or private.is_session_staff(q.session_id, array['host', 'moderator'])
      or (not q.is_anonymous and q.session_id in (select private.my_session_ids())));
$$;
comment on function private.question_author_id(uuid) is
  'Author of a question as the caller may see it (null for anonymous questions unless author or staff). Used by session_questions.';
revoke execute on function private.question_author_id(uuid) from public, anon;
grant execute on function private.question_author_id(uuid) to authenticated, service_role;

-- A question as JSON, as the caller sees it (the author per private.question_author_id).
create function private.question_json(question_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', q.id, 'session_id', q.session_id, 'body', q.body, 'is_anonymous', q.is_anonymous, 'status', q.status,
    'upvote_count', q.upvote_count, 'answer', q.answer, 'answered_at', q.answered_at, 'created_at', q.created_at,
    'author_id', a.author_id, 'author_name', p.display_name,
    'has_upvoted', exists (select 1 from public.question_upvotes u
                           where u.question_id = q.id and u.user_id = (select auth.uid())))
  from public.questions q
  cross join lateral (select private.question_author_id(q.id) as author_id) a
  left join public.profiles p on p.id = a.author_id
  where q.id = question_json.question_id;
$$;
comment on function private.question_json(uuid) is 'A question as the calling user may see it, for RPC answers. Security definer: reads questions.user_id.';
revoke execute on function private.question_json(uuid) from public, anon, authenticated;

-- Aggregated results of a poll from the sharded counters: constant work per option.
create function private.poll_tally(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language sql stable security definer set search_path = '' as $$
  with v as (
    select coalesce(sum(t.voters), 0)::bigint as voters
    from private.poll_voter_tallies t where t.poll_id = poll_tally.poll_id)
  select o.id, o.label, o.position,
         coalesce(c.votes, 0)::bigint,
         case when v.voters = 0 then 0::numeric else round(coalesce(c.votes, 0)::numeric / v.voters, 4) end,
         v.voters
  from public.poll_options o
  cross join v
  left join lateral (
    select sum(t.votes) as votes from private.poll_option_tallies t
    where t.poll_id = o.poll_id and t.option_id = o.id) c on true
  where o.poll_id = poll_tally.poll_id
  order by o.position;
$$;
comment on function private.poll_tally(uuid) is
  'Per-option votes, share (votes / voters) and distinct voters of a poll, summed from the sharded counters. No access check.';
revoke execute on function private.poll_tally(uuid) from public, anon, authenticated;

-- The poll_updated payload: aggregates only; option counts only when include_counts.
create function private.poll_payload(poll_id uuid, include_counts boolean)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'poll_id', p.id, 'status', p.status, 'results_visibility', p.results_visibility,
    'voters', case when include_counts then (select coalesce(sum(t.voters), 0) from private.poll_voter_tallies t where t.poll_id = p.id) end,
    'options', case when include_counts then (
      select jsonb_agg(jsonb_build_object('option_id', r.option_id, 'votes', r.votes) order by r.position)
      from private.poll_tally(p.id) r) end)
  from public.polls p where p.id = poll_payload.poll_id;
$$;
comment on function private.poll_payload(uuid, boolean) is
  'poll_updated payload {poll_id, status, results_visibility, voters, options:[{option_id, votes}]}; counts null when not included.';
revoke execute on function private.poll_payload(uuid, boolean) from public, anon, authenticated;

-- Whether a room is open now: status open and closes_at not passed (rooms close lazily in reads and
-- by the minute job below).
create function private.room_is_open(room public.rooms)
returns boolean
language sql stable set search_path = '' as $$
  select room.status = 'open' and (room.closes_at is null or room.closes_at > now());
$$;
comment on function private.room_is_open(public.rooms) is 'True when a room is open now: status open and closes_at (if any) still ahead.';
revoke execute on function private.room_is_open(public.rooms) from public, anon;
grant execute on function private.room_is_open(public.rooms) to authenticated, service_role;

-- Broadcasts room_updated for a room: no member lists, just the counts.
create function private.broadcast_room(room_id uuid)
returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  select r.* into v_room from public.rooms r where r.id = broadcast_room.room_id;
  if v_room.id is null then
    return;
  end if;
  perform realtime.send(
    jsonb_build_object('room_id', v_room.id, 'session_id', v_room.session_id, 'name', v_room.name,
      'status', case when private.room_is_open(v_room) then 'open' else 'closed' end,
      'closes_at', v_room.closes_at, 'capacity', v_room.capacity, 'self_select', v_room.self_select,
      'assigned_count', (select count(*) from public.room_assignments a where a.room_id = v_room.id)),
    'room_updated', 'session:' || v_room.session_id::text, true);
end;
$$;
comment on function private.broadcast_room(uuid) is
  'Sends room_updated {room_id, session_id, name, status, closes_at, capacity, self_select, assigned_count} on session:<id>. '
  'Security definer: realtime.send runs as the caller and realtime.messages has RLS.';
revoke execute on function private.broadcast_room(uuid) from public, anon, authenticated;

-- Closes the rooms whose closes_at has passed (pg_cron, every minute).
create function private.close_expired_rooms()
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  update public.rooms r set status = 'closed'
  where r.status = 'open' and r.closes_at is not null and r.closes_at <= now();
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.close_expired_rooms() is
  'Closes open rooms whose closes_at has passed; returns how many. Run every minute by pg_cron. Security definer: cron job.';
revoke execute on function private.close_expired_rooms() from public, anon, authenticated;

-- Engagement inputs per attendee, for session_attendance_report (security definer, so it reads as
-- the owner). Same signature and columns as the booking migration's version, now with real counts.
create or replace function private.engagement_inputs(session_id uuid)
returns table (user_id uuid, messages int, questions int, upvotes int, poll_answers int, polls_total int,
               survey_done boolean)
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
    where pl.session_id = engagement_inputs.session_id group by b.user_id),
  pt as (
    select count(*)::int as n from public.polls pl
    where pl.session_id = engagement_inputs.session_id and pl.status <> 'draft'),
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
  'answered), polls_total (polls of the session that were opened) and survey_done (answered one of its surveys). '
  'Feeds session_attendance_report. Redefined by the live-room migration (same signature) with real poll and survey counts.';
revoke execute on function private.engagement_inputs(uuid) from public, anon, authenticated;

-- Trigger functions (attached at the end of the file) --------------------------------------------

-- Keeps questions.upvote_count exact: `upvote_count + 1` under the row lock of the question, in the
-- same transaction as the upvote row (READ COMMITTED re-reads the latest version, so no update is lost).
-- SECURITY DEFINER: clients cannot update questions.
create function private.count_question_upvotes()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    update public.questions q set upvote_count = q.upvote_count + 1 where q.id = new.question_id;
    return new;
  end if;
  update public.questions q set upvote_count = greatest(q.upvote_count - 1, 0) where q.id = old.question_id;
  return old;
end;
$$;
comment on function private.count_question_upvotes() is 'Trigger: +1/-1 on questions.upvote_count per question_upvotes row.';
revoke execute on function private.count_question_upvotes() from public, anon, authenticated;

-- Broadcasts question_updated on session:<id> for questions members may see (published, answered,
-- and a dismissal of one they saw). Pending questions are not broadcast to the session. The author
-- is named only for questions that are not anonymous.
-- SECURITY DEFINER: realtime.send runs as the caller and realtime.messages has RLS.
create function private.broadcast_question()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status in ('published', 'answered')
     or (tg_op = 'UPDATE' and new.status = 'dismissed' and old.status in ('published', 'answered')) then
    perform realtime.send(
      jsonb_build_object(
        'id', new.id, 'session_id', new.session_id, 'status', new.status, 'upvote_count', new.upvote_count,
        'body', case when new.status = 'dismissed' then null else new.body end,
        'is_anonymous', new.is_anonymous, 'answer', new.answer, 'created_at', new.created_at,
        'author_name', case when new.is_anonymous then null
                            else (select p.display_name from public.profiles p where p.id = new.user_id) end),
      'question_updated', 'session:' || new.session_id::text, true);
  end if;
  return null;
end;
$$;
comment on function private.broadcast_question() is
  'Trigger: question_updated {id, session_id, status, upvote_count, body, is_anonymous, answer, created_at, author_name '
  '(null when anonymous)} on session:<id>, only for published/answered questions and dismissals of those.';
revoke execute on function private.broadcast_question() from public, anon, authenticated;

-- Sharded tallies from vote rows, one upsert per statement (bulk loads stay fast). Rows are
-- upserted in key order so that two voters touching the same shards cannot deadlock.
-- SECURITY DEFINER: the counters live in private, which clients cannot write.
create function private.tally_poll_votes()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    insert into private.poll_option_tallies as t (poll_id, option_id, shard, votes)
    select c.poll_id, c.option_id, (abs(hashtext(c.user_id::text)) % 64)::smallint, count(*)
    from changed_votes c
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (poll_id, option_id, shard) do update set votes = t.votes + excluded.votes;
  else
    update private.poll_option_tallies t set votes = greatest(t.votes - d.n, 0)
    from (select c.poll_id, c.option_id, (abs(hashtext(c.user_id::text)) % 64)::smallint as shard, count(*) as n
          from changed_votes c group by 1, 2, 3) d
    where t.poll_id = d.poll_id and t.option_id = d.option_id and t.shard = d.shard;
  end if;
  return null;
end;
$$;
comment on function private.tally_poll_votes() is 'Statement trigger: adds/removes poll_votes rows to/from the sharded option tallies.';
revoke execute on function private.tally_poll_votes() from public, anon, authenticated;

create function private.tally_poll_ballots()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    insert into private.poll_voter_tallies as t (poll_id, shard, voters)
    select c.poll_id, (abs(hashtext(c.user_id::text)) % 64)::smallint, count(*)
    from changed_ballots c
    group by 1, 2
    order by 1, 2
    on conflict (poll_id, shard) do update set voters = t.voters + excluded.voters;
  else
    update private.poll_voter_tallies t set voters = greatest(t.voters - d.n, 0)
    from (select c.poll_id, (abs(hashtext(c.user_id::text)) % 64)::smallint as shard, count(*) as n
          from changed_ballots c group by 1, 2) d
    where t.poll_id = d.poll_id and t.shard = d.shard;
  end if;
  return null;
end;
$$;
comment on function private.tally_poll_ballots() is 'Statement trigger: adds/removes poll_ballots rows to/from the sharded voter tallies.';
revoke execute on function private.tally_poll_ballots() from public, anon, authenticated;

-- Coalesced poll_updated during voting: at most one broadcast per poll per 500 ms. The throttle row
-- is taken with `for update skip locked`, so a voter never waits: if another transaction holds it,
-- that one is broadcasting. Counts only for live results (after_vote and after_close polls do not
-- reveal counts to the whole session while open). close_poll always broadcasts the final tallies.
-- SECURITY DEFINER: writes private state and calls realtime.send (RLS on realtime.messages).
create function private.broadcast_poll_votes()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_poll record;
  v_taken uuid;
begin
  for v_poll in
    select distinct c.poll_id, p.session_id from changed_votes c
    join public.polls p on p.id = c.poll_id
    where p.results_visibility = 'live' and p.status = 'open'
  loop
    select t.poll_id into v_taken from private.poll_broadcast_throttle t
    where t.poll_id = v_poll.poll_id and t.last_broadcast_at <= clock_timestamp() - interval '500 milliseconds'
    for update skip locked;
    if v_taken is not null then
      update private.poll_broadcast_throttle t set last_broadcast_at = clock_timestamp() where t.poll_id = v_taken;
      perform realtime.send(private.poll_payload(v_poll.poll_id, true), 'poll_updated',
                            'session:' || v_poll.session_id::text, true);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_poll_votes() is
  'Statement trigger on poll_votes: poll_updated with aggregates for live-results polls, at most every 500 ms per poll.';
revoke execute on function private.broadcast_poll_votes() from public, anon, authenticated;

-- poll_updated on every status change (open, close): counts when the viewer rules allow them for the
-- whole session (live; after_close once closed). The close broadcast carries the final tallies.
create function private.broadcast_poll_status()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    private.poll_payload(new.id, new.results_visibility = 'live'
                                 or (new.results_visibility = 'after_close' and new.status = 'closed')),
    'poll_updated', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_poll_status() is
  'Trigger: poll_updated when a poll opens or closes (final tallies on close for live and after_close polls).';
revoke execute on function private.broadcast_poll_status() from public, anon, authenticated;

-- room_updated for each room whose assignments changed in a statement (one message per room, not
-- per row, e.g. for assign_rooms_randomly).
create function private.broadcast_room_assignments()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_room_id uuid;
begin
  for v_room_id in select distinct c.room_id from changed_assignments c loop
    perform private.broadcast_room(v_room_id);
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_room_assignments() is 'Statement trigger: room_updated for each room whose assignments changed.';
revoke execute on function private.broadcast_room_assignments() from public, anon, authenticated;

create function private.broadcast_room_change()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.broadcast_room(new.id);
  return null;
end;
$$;
comment on function private.broadcast_room_change() is 'Trigger: room_updated when a room is created or changed.';
revoke execute on function private.broadcast_room_change() from public, anon, authenticated;

-- Rooms never outlive their session: ending or cancelling it closes them; a reschedule pulls
-- closes_at back inside the session.
-- SECURITY DEFINER: runs for lifecycle RPCs and writes rooms regardless of the caller.
create function private.close_rooms_with_session()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_end timestamptz := new.starts_at + make_interval(mins => new.duration_minutes);
begin
  if new.status in ('ended', 'cancelled') then
    update public.rooms r set status = 'closed', closes_at = least(coalesce(r.closes_at, now()), now())
    where r.session_id = new.id and r.status = 'open';
  else
    update public.rooms r set closes_at = v_end
    where r.session_id = new.id and r.closes_at > v_end;
  end if;
  return null;
end;
$$;
comment on function private.close_rooms_with_session() is
  'Trigger on sessions: closes the rooms when the session ends or is cancelled; keeps closes_at within a rescheduled session.';
revoke execute on function private.close_rooms_with_session() from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------

revoke all on public.questions, public.question_upvotes, public.polls, public.poll_options, public.poll_ballots,
  public.poll_votes, public.surveys, public.survey_fields, public.survey_responses from anon, authenticated;
revoke all on private.poll_option_tallies, private.poll_voter_tallies, private.poll_broadcast_throttle
  from public, anon, authenticated;

-- Every column but user_id (the author of an anonymous question must not leak).
grant select (id, session_id, body, is_anonymous, status, upvote_count, answer, answered_at, answered_by, created_at)
  on public.questions to authenticated;
grant select on public.question_upvotes to authenticated;
grant select on public.polls, public.poll_options, public.poll_ballots, public.poll_votes to authenticated;
grant select on public.surveys, public.survey_fields, public.survey_responses to authenticated;

-- The service role reads everything and may delete; counters follow deletions through triggers.
-- No update of vote or upvote rows: they are facts, and counters derive from them.
grant select, delete on public.questions, public.question_upvotes, public.polls, public.poll_options,
  public.poll_ballots, public.poll_votes, public.surveys, public.survey_fields, public.survey_responses to service_role;
grant select on private.poll_option_tallies, private.poll_voter_tallies to service_role;

-- Hosts edit their rooms directly (catalogue policies); self_select is one more editable column.
grant insert (self_select), update (self_select) on public.rooms to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------

alter table public.questions enable row level security;
alter table public.question_upvotes enable row level security;
alter table public.polls enable row level security;
alter table public.poll_options enable row level security;
alter table public.poll_ballots enable row level security;
alter table public.poll_votes enable row level security;
alter table public.surveys enable row level security;
alter table public.survey_fields enable row level security;
alter table public.survey_responses enable row level security;
alter table private.poll_option_tallies enable row level security;
alter table private.poll_voter_tallies enable row level security;
alter table private.poll_broadcast_throttle enable row level security;

create policy "members read published questions, authors their own and staff all" on public.questions
  for select to authenticated
  using ((status in ('published', 'answered') and session_id in (select private.my_session_ids()))
    or user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

create policy "users read their own upvotes" on public.question_upvotes
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "members read non-draft polls and staff all polls" on public.polls
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

-- Options follow their poll's visibility (the polls policy applies inside the sub-select).
create policy "users read the options of polls they can read" on public.poll_options
  for select to authenticated
  using (poll_id in (select p.id from public.polls p));

create policy "voters read their own ballots" on public.poll_ballots
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "voters read their own votes" on public.poll_votes
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "members read non-draft surveys and staff all surveys" on public.surveys
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

create policy "users read the fields of surveys they can read" on public.survey_fields
  for select to authenticated
  using (survey_id in (select s.id from public.surveys s));

create policy "users read their own responses and staff all of their sessions" on public.survey_responses
  for select to authenticated
  using (user_id = (select auth.uid())
    or survey_id in (select s.id from public.surveys s
                     where s.session_id in (select private.staff_session_ids(array['host', 'moderator']))));

-- service_role bypasses RLS (as on the platform), so it needs no policies. The private counters have
-- no policies at all: only security definer functions touch them.

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs: Q&A
-- ---------------------------------------------------------------------------------------------

create view public.session_questions with (security_invoker = true) as
select
  q.id, q.session_id, q.body, q.is_anonymous, q.status, q.upvote_count, q.answer, q.answered_at, q.answered_by,
  q.created_at,
  a.author_id,
  p.display_name as author_name,
  exists (select 1 from public.question_upvotes u
          where u.question_id = q.id and u.user_id = (select auth.uid())) as has_upvoted,
  coalesce(a.author_id = (select auth.uid()), false) as is_mine
from public.questions q
cross join lateral (select private.question_author_id(q.id) as author_id) a
left join public.profiles p on p.id = a.author_id
order by q.upvote_count desc, q.created_at, q.id;
comment on view public.session_questions is
  'Questions the caller may read (RLS of questions), most upvoted first, then oldest. author_id/author_name are null for '
  'anonymous questions unless the caller is the author or staff; has_upvoted and is_mine are for the caller. '
  'Filter with session_id=eq.<id>.';
grant select on public.session_questions to authenticated;

-- SECURITY DEFINER: inserts into questions, which clients cannot write, after checking membership,
-- bans, the session's Q&A settings and the body.
create function public.ask_question(session_id uuid, body text, anonymous boolean default false)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(ask_question.session_id, 'member');
  v_session public.sessions;
  v_body text := btrim(ask_question.body);
  v_id uuid;
begin
  select s.* into v_session from public.sessions s where s.id = ask_question.session_id;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Questions are accepted only before and during the session.',
      jsonb_build_object('session_status', v_session.status));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 500 then
    perform private.raise_error('invalid_input', 'The question is 1 to 500 characters.', jsonb_build_object('field', 'body'));
  end if;
  if coalesce(ask_question.anonymous, false) and not v_session.allow_anonymous_questions then
    perform private.raise_error('forbidden', 'This session does not allow anonymous questions.',
      jsonb_build_object('field', 'anonymous'));
  end if;
  insert into public.questions (session_id, user_id, body, is_anonymous, status)
  values (v_session.id, v_uid, v_body, coalesce(ask_question.anonymous, false),
          case when v_session.qa_moderation then 'pending' else 'published' end)
  returning id into v_id;
  return private.question_json(v_id);
end;
$$;
comment on function public.ask_question(uuid, text, boolean) is
  'Members (not banned) ask a question (1-500 chars, trimmed) in a scheduled or live session. pending when the session '
  'has qa_moderation, else published. anonymous only when allow_anonymous_questions (else forbidden). Returns the '
  'question as in session_questions. Errors: not_authenticated, not_found, forbidden, banned, invalid_input, invalid_transition.';
revoke execute on function public.ask_question(uuid, text, boolean) from public, anon;
grant execute on function public.ask_question(uuid, text, boolean) to authenticated;

-- Loads a question for an action of a member: not_found unless the caller may see it.
create function private.question_for_member(question_id uuid)
returns public.questions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('question_id', question_for_member.question_id));
  end if;
  select q.* into v_question from public.questions q where q.id = question_for_member.question_id;
  if v_question.id is null then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', question_for_member.question_id));
  end if;
  perform private.require_session_access(v_question.session_id, 'member');
  if v_question.status not in ('published', 'answered') and v_question.user_id <> (select auth.uid())
     and not private.is_session_staff(v_question.session_id, array['host', 'moderator']) then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', v_question.id));
  end if;
  return v_question;
end;
$$;
comment on function private.question_for_member(uuid) is
  'Returns a question for a member action; not_authenticated, not_found (missing or invisible), forbidden or banned.';
revoke execute on function private.question_for_member(uuid) from public, anon, authenticated;

-- SECURITY DEFINER: inserts the upvote row (clients cannot write question_upvotes); the counter
-- follows by trigger in this transaction.
create function public.upvote_question(question_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions := private.question_for_member(upvote_question.question_id);
  v_inserted uuid;
begin
  if v_question.status not in ('published', 'answered') then
    perform private.raise_error('invalid_transition', 'Only published questions can be upvoted.',
      jsonb_build_object('status', v_question.status));
  end if;
  insert into public.question_upvotes (question_id, user_id)
  values (v_question.id, (select auth.uid()))
  on conflict do nothing
  returning question_upvotes.question_id into v_inserted;
  if v_inserted is null then
    perform private.raise_error('already_upvoted', 'You already upvoted this question.', jsonb_build_object('question_id', v_question.id));
  end if;
  return jsonb_build_object('question_id', v_question.id, 'has_upvoted', true,
    'upvote_count', (select q.upvote_count from public.questions q where q.id = v_question.id));
end;
$$;
comment on function public.upvote_question(uuid) is
  'Members (not banned) upvote a published or answered question once: a second call is already_upvoted. Returns '
  '{question_id, upvote_count, has_upvoted}. upvote_count stays exact under concurrency.';
revoke execute on function public.upvote_question(uuid) from public, anon;
grant execute on function public.upvote_question(uuid) to authenticated;

create function public.withdraw_upvote(question_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions := private.question_for_member(withdraw_upvote.question_id);
  v_deleted uuid;
begin
  delete from public.question_upvotes u
  where u.question_id = v_question.id and u.user_id = (select auth.uid())
  returning u.question_id into v_deleted;
  if v_deleted is null then
    perform private.raise_error('not_found', 'You have not upvoted this question.', jsonb_build_object('question_id', v_question.id));
  end if;
  return jsonb_build_object('question_id', v_question.id, 'has_upvoted', false,
    'upvote_count', (select q.upvote_count from public.questions q where q.id = v_question.id));
end;
$$;
comment on function public.withdraw_upvote(uuid) is
  'Members withdraw their upvote (not_found when there is none). Returns {question_id, upvote_count, has_upvoted}.';
revoke execute on function public.withdraw_upvote(uuid) from public, anon;
grant execute on function public.withdraw_upvote(uuid) to authenticated;

-- SECURITY DEFINER: updates questions, which clients cannot write, after the staff check.
create function public.moderate_question(question_id uuid, status text, answer text default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_question public.questions;
  v_answer text := nullif(btrim(moderate_question.answer), '');
  v_allowed text[];
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('question_id', moderate_question.question_id));
  end if;
  select q.* into v_question from public.questions q where q.id = moderate_question.question_id for update;
  if v_question.id is null then
    perform private.raise_error('not_found', 'Question not found.', jsonb_build_object('question_id', moderate_question.question_id));
  end if;
  perform private.require_session_access(v_question.session_id, 'staff');
  if moderate_question.status is null or moderate_question.status not in ('pending', 'published', 'answered', 'dismissed') then
    perform private.raise_error('invalid_input', 'status is published, answered or dismissed.', jsonb_build_object('field', 'status'));
  end if;
  if v_answer is not null and (moderate_question.status <> 'answered' or char_length(v_answer) > 2000) then
    perform private.raise_error('invalid_input', 'An answer (at most 2000 characters) goes only with status answered.',
      jsonb_build_object('field', 'answer'));
  end if;
  v_allowed := case v_question.status
    when 'pending' then array['published', 'answered', 'dismissed']
    when 'published' then array['answered', 'dismissed']
    when 'answered' then array['published', 'dismissed']
    when 'dismissed' then array['published']
  end;
  if not (moderate_question.status = any (v_allowed)) then
    perform private.raise_error('invalid_transition', 'This status change is not allowed.',
      jsonb_build_object('from', v_question.status, 'to', moderate_question.status));
  end if;
  update public.questions q
  set status = moderate_question.status,
      answer = case when moderate_question.status = 'answered' then v_answer end,
      answered_at = case when moderate_question.status = 'answered' then now() end,
      answered_by = case when moderate_question.status = 'answered' then (select auth.uid()) end
  where q.id = v_question.id;
  return private.question_json(v_question.id);
end;
$$;
comment on function public.moderate_question(uuid, text, text) is
  'Staff (hosts, moderators) move a question: pending -> published|answered|dismissed, published -> answered|dismissed, '
  'answered -> published|dismissed, dismissed -> published (else invalid_transition). answer (<= 2000 chars) only with '
  'answered. Returns the question (author visible to staff).';
revoke execute on function public.moderate_question(uuid, text, text) from public, anon;
grant execute on function public.moderate_question(uuid, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs: polls
-- ---------------------------------------------------------------------------------------------

create function private.poll_json(poll_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', p.id, 'session_id', p.session_id, 'question', p.question, 'kind', p.kind, 'max_choices', p.max_choices,
    'status', p.status, 'results_visibility', p.results_visibility, 'is_anonymous', p.is_anonymous,
    'opened_at', p.opened_at, 'closed_at', p.closed_at, 'created_at', p.created_at,
    'options', (select jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'position', o.position) order by o.position)
                from public.poll_options o where o.poll_id = p.id))
  from public.polls p where p.id = poll_json.poll_id;
$$;
comment on function private.poll_json(uuid) is 'A poll with its options as JSON, for RPC answers.';
revoke execute on function private.poll_json(uuid) from public, anon, authenticated;

-- SECURITY DEFINER: inserts polls, options and the throttle row, which clients cannot write.
create function public.create_poll(
  session_id uuid,
  question text,
  options text[],
  kind text default 'single',
  max_choices int default 1,
  results_visibility text default 'live',
  is_anonymous boolean default false
) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(create_poll.session_id, 'staff');
  v_status text;
  v_question text := btrim(create_poll.question);
  v_labels text[];
  v_poll_id uuid;
begin
  select s.status into v_status from public.sessions s where s.id = create_poll.session_id;
  if v_status in ('ended', 'cancelled') then
    perform private.raise_error('invalid_transition', 'The session is over.', jsonb_build_object('session_status', v_status));
  end if;
  if v_question is null or char_length(v_question) not between 1 and 300 then
    perform private.raise_error('invalid_input', 'The question is 1 to 300 characters.', jsonb_build_object('field', 'question'));
  end if;
  select array_agg(btrim(o.label) order by o.n) into v_labels
  from unnest(create_poll.options) with ordinality as o (label, n);
  if coalesce(cardinality(v_labels), 0) not between 2 and 10 then
    perform private.raise_error('invalid_input', 'A poll has 2 to 10 options.', jsonb_build_object('field', 'options'));
  end if;
  if exists (select 1 from unnest(v_labels) l where l is null or char_length(l) not between 1 and 200) then
    perform private.raise_error('invalid_input', 'Every option is 1 to 200 characters.', jsonb_build_object('field', 'options'));
  end if;
  if (select count(distinct lower(l)) from unnest(v_labels) l) <> cardinality(v_labels) then
    perform private.raise_error('invalid_input', 'Options must be distinct.', jsonb_build_object('field', 'options'));
  end if;
  if create_poll.kind is null or create_poll.kind not in ('single', 'multiple') then
    perform private.raise_error('invalid_input', 'kind is single or multiple.', jsonb_build_object('field', 'kind'));
  end if;
  if create_poll.max_choices is null
     or (create_poll.kind = 'single' and create_poll.max_choices <> 1)
     or create_poll.max_choices not between 1 and cardinality(v_labels) then
    perform private.raise_error('invalid_input', 'max_choices is 1 for single polls and 1 to the option count for multiple ones.',
      jsonb_build_object('field', 'max_choices'));
  end if;
  if create_poll.results_visibility is null or create_poll.results_visibility not in ('live', 'after_vote', 'after_close') then
    perform private.raise_error('invalid_input', 'results_visibility is live, after_vote or after_close.',
      jsonb_build_object('field', 'results_visibility'));
  end if;
  insert into public.polls (session_id, question, kind, max_choices, results_visibility, is_anonymous, created_by)
  values (create_poll.session_id, v_question, create_poll.kind, create_poll.max_choices, create_poll.results_visibility,
          coalesce(create_poll.is_anonymous, false), v_uid)
  returning id into v_poll_id;
  insert into public.poll_options (poll_id, label, position)
  select v_poll_id, l.label, l.n from unnest(v_labels) with ordinality as l (label, n);
  insert into private.poll_broadcast_throttle (poll_id) values (v_poll_id);
  return private.poll_json(v_poll_id);
end;
$$;
comment on function public.create_poll(uuid, text, text[], text, int, text, boolean) is
  'Staff create a draft poll: question 1-300 chars, 2-10 distinct non-empty options (1-200 chars), kind single|multiple, '
  'max_choices (1 for single; 1..option count), results_visibility live|after_vote|after_close, is_anonymous. Returns '
  'the poll with its options. Errors: not_authenticated, not_found, forbidden, invalid_input, invalid_transition (session over).';
revoke execute on function public.create_poll(uuid, text, text[], text, int, text, boolean) from public, anon;
grant execute on function public.create_poll(uuid, text, text[], text, int, text, boolean) to authenticated, service_role;

-- Locks a poll for a status change by staff (waits for in-flight votes, which hold a key-share lock).
create function private.poll_for_staff(poll_id uuid)
returns public.polls
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_for_staff.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_for_staff.poll_id for update;
  if v_poll.id is null then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', poll_for_staff.poll_id));
  end if;
  perform private.require_session_access(v_poll.session_id, 'staff');
  return v_poll;
end;
$$;
comment on function private.poll_for_staff(uuid) is 'Locks and returns a poll for staff; not_authenticated, not_found or forbidden.';
revoke execute on function private.poll_for_staff(uuid) from public, anon, authenticated;

create function public.open_poll(poll_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls := private.poll_for_staff(open_poll.poll_id);
  v_session_status text;
begin
  select s.status into v_session_status from public.sessions s where s.id = v_poll.session_id;
  if v_poll.status <> 'draft' or v_session_status in ('ended', 'cancelled') then
    perform private.raise_error('invalid_transition', 'Only a draft poll of a session that is not over can open.',
      jsonb_build_object('status', v_poll.status, 'session_status', v_session_status));
  end if;
  update public.polls p set status = 'open', opened_at = now() where p.id = v_poll.id;
  return private.poll_json(v_poll.id);
end;
$$;
comment on function public.open_poll(uuid) is 'Staff: draft -> open (broadcasts poll_updated). Returns the poll.';
revoke execute on function public.open_poll(uuid) from public, anon;
grant execute on function public.open_poll(uuid) to authenticated, service_role;

create function public.close_poll(poll_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls := private.poll_for_staff(close_poll.poll_id);
begin
  if v_poll.status <> 'open' then
    perform private.raise_error('invalid_transition', 'Only an open poll can close.', jsonb_build_object('status', v_poll.status));
  end if;
  update public.polls p set status = 'closed', closed_at = now() where p.id = v_poll.id;
  return private.poll_json(v_poll.id);
end;
$$;
comment on function public.close_poll(uuid) is
  'Staff: open -> closed. Waits for votes in flight, then always broadcasts poll_updated with the final tallies '
  '(counts omitted for after_vote polls). Returns the poll.';
revoke execute on function public.close_poll(uuid) from public, anon;
grant execute on function public.close_poll(uuid) to authenticated, service_role;

-- SECURITY DEFINER: inserts ballots and votes, which clients cannot write. The poll row is read
-- `for key share` (the lock the vote rows' foreign keys take anyway): voters do not block each
-- other, and close_poll's `for update` waits for them, so no vote lands after the close.
create function public.vote_poll(poll_id uuid, option_ids uuid[])
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_count int := coalesce(cardinality(vote_poll.option_ids), 0);
  v_ballot uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', vote_poll.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = vote_poll.poll_id for key share;
  if v_poll.id is null or (v_poll.status = 'draft' and not private.is_session_staff(v_poll.session_id, array['host', 'moderator'])) then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', vote_poll.poll_id));
  end if;
  perform private.require_session_access(v_poll.session_id, 'member');
  if v_poll.status <> 'open' then
    perform private.raise_error('poll_not_open', 'This poll is not open.', jsonb_build_object('status', v_poll.status));
  end if;
  if v_count = 0 or array_position(vote_poll.option_ids, null) is not null then
    perform private.raise_error('invalid_input', 'Choose at least one option.', jsonb_build_object('field', 'option_ids'));
  end if;
  if v_count > v_poll.max_choices then
    perform private.raise_error('invalid_input', 'Too many options chosen.',
      jsonb_build_object('field', 'option_ids', 'max_choices', v_poll.max_choices));
  end if;
  if (select count(distinct o) from unnest(vote_poll.option_ids) o) <> v_count then
    perform private.raise_error('invalid_input', 'Each option can be chosen once.', jsonb_build_object('field', 'option_ids'));
  end if;
  if (select count(*) from public.poll_options o where o.poll_id = v_poll.id and o.id = any (vote_poll.option_ids)) <> v_count then
    perform private.raise_error('invalid_input', 'Every option must belong to the poll.', jsonb_build_object('field', 'option_ids'));
  end if;
  insert into public.poll_ballots (poll_id, user_id) values (v_poll.id, v_uid)
  on conflict do nothing
  returning poll_ballots.poll_id into v_ballot;
  if v_ballot is null then
    perform private.raise_error('already_voted', 'You already voted in this poll.', jsonb_build_object('poll_id', v_poll.id));
  end if;
  insert into public.poll_votes (poll_id, option_id, user_id)
  select v_poll.id, o, v_uid from unnest(vote_poll.option_ids) o order by o;
  return jsonb_build_object('poll_id', v_poll.id, 'option_ids', to_jsonb(vote_poll.option_ids));
end;
$$;
comment on function public.vote_poll(uuid, uuid[]) is
  'Members (not banned) vote once in an open poll with 1..max_choices distinct options of that poll. Errors: '
  'not_authenticated, not_found, forbidden, banned, poll_not_open, invalid_input, already_voted. Returns {poll_id, option_ids}.';
revoke execute on function public.vote_poll(uuid, uuid[]) from public, anon;
grant execute on function public.vote_poll(uuid, uuid[]) to authenticated;

-- SECURITY DEFINER: the tallies live in private; the visibility rules are checked here.
create function public.poll_results(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_staff boolean;
begin
  if v_uid is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_results.poll_id;
  v_staff := v_uid is null or private.is_session_staff(v_poll.session_id, array['host', 'moderator']);
  if v_poll.id is null or not (v_staff or (v_poll.status <> 'draft' and v_poll.session_id in (select private.my_session_ids()))) then
    perform private.raise_error('not_found', 'Poll not found.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  if v_staff
     or v_poll.results_visibility = 'live'
     or (v_poll.results_visibility = 'after_vote'
         and exists (select 1 from public.poll_ballots b where b.poll_id = v_poll.id and b.user_id = v_uid))
     or (v_poll.results_visibility = 'after_close' and v_poll.status = 'closed') then
    return query select t.option_id, t.label, t."position", t.votes, t.share, t.voters from private.poll_tally(v_poll.id) t;
  end if;
end;
$$;
comment on function public.poll_results(uuid) is
  'Per option: votes, share (votes / distinct voters, 4 decimals) and distinct voters. Empty when the poll''s '
  'results_visibility excludes the caller (after_vote: voters only; after_close: until closed); staff always see them. '
  'Summed from sharded counters: constant time in the number of votes. No voter identities.';
revoke execute on function public.poll_results(uuid) from public, anon;
grant execute on function public.poll_results(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs: surveys
-- ---------------------------------------------------------------------------------------------

create function private.survey_json(survey_id uuid)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', s.id, 'session_id', s.session_id, 'title', s.title, 'status', s.status, 'created_at', s.created_at,
    'fields', (select jsonb_agg(jsonb_build_object('id', f.id, 'position', f.position, 'prompt', f.prompt, 'kind', f.kind,
                                                   'options', f.options, 'required', f.required) order by f.position)
               from public.survey_fields f where f.survey_id = s.id))
  from public.surveys s where s.id = survey_json.survey_id;
$$;
comment on function private.survey_json(uuid) is 'A survey with its fields as JSON, for RPC answers.';
revoke execute on function private.survey_json(uuid) from public, anon, authenticated;

-- Validates one field spec of create_survey and returns its normalized options (or raises
-- invalid_input with details {field: position, reason}).
create function private.survey_field_options(spec jsonb, field_position int)
returns jsonb
language plpgsql immutable set search_path = '' as $$
declare
  v_kind text := spec ->> 'kind';
  v_options jsonb := coalesce(spec -> 'options', '{}'::jsonb);
  v_min numeric;
  v_max numeric;
  v_choices text[];
  v_max_length numeric;
begin
  if jsonb_typeof(v_options) <> 'object' then
    perform private.raise_error('invalid_input', 'options must be an object.', jsonb_build_object('field', field_position, 'reason', 'options'));
  end if;
  if v_kind = 'rating' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('min', 'max')) then
      perform private.raise_error('invalid_input', 'Rating options are min and max.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    if jsonb_typeof(coalesce(v_options -> 'min', '1')) <> 'number' or jsonb_typeof(coalesce(v_options -> 'max', '5')) <> 'number' then
      perform private.raise_error('invalid_input', 'min and max are integers.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_min := coalesce((v_options ->> 'min')::numeric, 1);
    v_max := coalesce((v_options ->> 'max')::numeric, 5);
    if v_min <> trunc(v_min) or v_max <> trunc(v_max) or v_min >= v_max or v_min < -100 or v_max > 100 then
      perform private.raise_error('invalid_input', 'A rating is integers min < max within -100..100.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('min', v_min::int, 'max', v_max::int);
  elsif v_kind = 'choice' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k not in ('choices', 'multiple'))
       or jsonb_typeof(v_options -> 'choices') is distinct from 'array'
       or jsonb_typeof(coalesce(v_options -> 'multiple', 'false')) <> 'boolean'
       or exists (select 1 from jsonb_array_elements(v_options -> 'choices') c where jsonb_typeof(c) <> 'string') then
      perform private.raise_error('invalid_input', 'Choice options are {"choices": [labels], "multiple": boolean}.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    select array_agg(btrim(c) order by n) into v_choices
    from jsonb_array_elements_text(v_options -> 'choices') with ordinality as c (c, n);
    if coalesce(cardinality(v_choices), 0) not between 2 and 20
       or exists (select 1 from unnest(v_choices) c where char_length(c) not between 1 and 200)
       or (select count(distinct c) from unnest(v_choices) c) <> cardinality(v_choices) then
      perform private.raise_error('invalid_input', 'A choice has 2 to 20 distinct labels of 1 to 200 characters.',
        jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('choices', to_jsonb(v_choices), 'multiple', coalesce((v_options ->> 'multiple')::boolean, false));
  elsif v_kind = 'text' then
    if exists (select 1 from jsonb_object_keys(v_options) k where k <> 'max_length')
       or jsonb_typeof(coalesce(v_options -> 'max_length', '1000')) <> 'number' then
      perform private.raise_error('invalid_input', 'Text options are {"max_length": 1..5000}.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    v_max_length := coalesce((v_options ->> 'max_length')::numeric, 1000);
    if v_max_length <> trunc(v_max_length) or v_max_length not between 1 and 5000 then
      perform private.raise_error('invalid_input', 'max_length is an integer 1..5000.', jsonb_build_object('field', field_position, 'reason', 'options'));
    end if;
    return jsonb_build_object('max_length', v_max_length::int);
  end if;
  perform private.raise_error('invalid_input', 'kind is rating, text or choice.', jsonb_build_object('field', field_position, 'reason', 'kind'));
  return null;
end;
$$;
comment on function private.survey_field_options(jsonb, int) is
  'Validates a survey field spec''s kind and options; returns normalized options or raises invalid_input {field, reason}.';
revoke execute on function private.survey_field_options(jsonb, int) from public, anon, authenticated;

-- SECURITY DEFINER: inserts surveys and fields, which clients cannot write, after the staff check.
-- Any session status: feedback surveys are typically sent after the session has ended.
create function public.create_survey(session_id uuid, title text, fields jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_session_access(create_survey.session_id, 'staff');
  v_title text := btrim(create_survey.title);
  v_field jsonb;
  v_position int;
  v_prompt text;
  v_survey_id uuid;
begin
  if v_title is null or char_length(v_title) not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The title is 1 to 200 characters.', jsonb_build_object('field', 'title'));
  end if;
  if jsonb_typeof(create_survey.fields) is distinct from 'array' or jsonb_array_length(create_survey.fields) not between 1 and 50 then
    perform private.raise_error('invalid_input', 'fields is an array of 1 to 50 field specs.', jsonb_build_object('field', 'fields'));
  end if;
  insert into public.surveys (session_id, title, created_by) values (create_survey.session_id, v_title, v_uid)
  returning id into v_survey_id;
  for v_field, v_position in select f.value, f.n::int from jsonb_array_elements(create_survey.fields) with ordinality as f (value, n) loop
    if jsonb_typeof(v_field) <> 'object'
       or exists (select 1 from jsonb_object_keys(v_field) k where k not in ('prompt', 'kind', 'options', 'required')) then
      perform private.raise_error('invalid_input', 'A field is {prompt, kind, options, required}.',
        jsonb_build_object('field', v_position, 'reason', 'shape'));
    end if;
    v_prompt := btrim(v_field ->> 'prompt');
    if jsonb_typeof(v_field -> 'prompt') is distinct from 'string' or char_length(v_prompt) not between 1 and 500 then
      perform private.raise_error('invalid_input', 'A prompt is 1 to 500 characters.', jsonb_build_object('field', v_position, 'reason', 'prompt'));
    end if;
    if jsonb_typeof(coalesce(v_field -> 'required', 'false')) <> 'boolean' then
      perform private.raise_error('invalid_input', 'required is a boolean.', jsonb_build_object('field', v_position, 'reason', 'required'));
    end if;
    insert into public.survey_fields (survey_id, position, prompt, kind, options, required)
    values (v_survey_id, v_position, v_prompt, v_field ->> 'kind', private.survey_field_options(v_field, v_position),
            coalesce((v_field ->> 'required')::boolean, false));
  end loop;
  return private.survey_json(v_survey_id);
end;
$$;
comment on function public.create_survey(uuid, text, jsonb) is
  'Staff create a draft survey: title 1-200 chars; fields an array of 1-50 {prompt (1-500 chars), kind rating|text|choice, '
  'options (rating {"min","max"} default 1..5; choice {"choices":[2-20 distinct labels], "multiple": false}; text '
  '{"max_length"} default 1000, at most 5000), required (default false)}. invalid_input details {field: position, reason}.';
revoke execute on function public.create_survey(uuid, text, jsonb) from public, anon;
grant execute on function public.create_survey(uuid, text, jsonb) to authenticated, service_role;

create function private.survey_for_staff(survey_id uuid)
returns public.surveys
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = survey_for_staff.survey_id for update;
  if v_survey.id is null then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', survey_for_staff.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'staff');
  return v_survey;
end;
$$;
comment on function private.survey_for_staff(uuid) is 'Locks and returns a survey for staff; not_authenticated, not_found or forbidden.';
revoke execute on function private.survey_for_staff(uuid) from public, anon, authenticated;

create function public.open_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(open_survey.survey_id);
begin
  if v_survey.status <> 'draft' then
    perform private.raise_error('invalid_transition', 'Only a draft survey can open.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'open' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.open_survey(uuid) is 'Staff: draft -> open. Returns the survey with its fields.';
revoke execute on function public.open_survey(uuid) from public, anon;
grant execute on function public.open_survey(uuid) to authenticated, service_role;

create function public.close_survey(survey_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_survey public.surveys := private.survey_for_staff(close_survey.survey_id);
begin
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'Only an open survey can close.', jsonb_build_object('status', v_survey.status));
  end if;
  update public.surveys s set status = 'closed' where s.id = v_survey.id;
  return private.survey_json(v_survey.id);
end;
$$;
comment on function public.close_survey(uuid) is 'Staff: open -> closed. Returns the survey with its fields.';
revoke execute on function public.close_survey(uuid) from public, anon;
grant execute on function public.close_survey(uuid) to authenticated, service_role;

-- SECURITY DEFINER: inserts the response (clients cannot write survey_responses) after validating
-- every answer against its field.
create function public.submit_survey_response(survey_id uuid, answers jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_survey public.surveys;
  v_key text;
  v_field public.survey_fields;
  v_value jsonb;
  v_text text;
  v_clean jsonb := '{}'::jsonb;
  v_id uuid;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  select s.* into v_survey from public.surveys s where s.id = submit_survey_response.survey_id;
  if v_survey.id is null or (v_survey.status = 'draft' and not private.is_session_staff(v_survey.session_id, array['host', 'moderator'])) then
    perform private.raise_error('not_found', 'Survey not found.', jsonb_build_object('survey_id', submit_survey_response.survey_id));
  end if;
  perform private.require_session_access(v_survey.session_id, 'member');
  if v_survey.status <> 'open' then
    perform private.raise_error('invalid_transition', 'This survey is not open.', jsonb_build_object('status', v_survey.status));
  end if;
  if jsonb_typeof(submit_survey_response.answers) is distinct from 'object' then
    perform private.raise_error('invalid_input', 'answers is an object of field id -> answer.', jsonb_build_object('field', 'answers'));
  end if;
  for v_key in select jsonb_object_keys(submit_survey_response.answers) loop
    if not exists (select 1 from public.survey_fields f where f.survey_id = v_survey.id and f.id::text = v_key) then
      perform private.raise_error('invalid_input', 'Unknown field.', jsonb_build_object('field_id', v_key, 'reason', 'unknown_field'));
    end if;
  end loop;
  for v_field in select f.* from public.survey_fields f where f.survey_id = v_survey.id order by f.position loop
    v_value := submit_survey_response.answers -> v_field.id::text;
    if v_value = 'null'::jsonb then
      v_value := null;
    end if;
    if v_field.kind = 'text' and jsonb_typeof(v_value) = 'string' then
      v_text := btrim(v_value #>> '{}');
      v_value := case when v_text = '' then null else to_jsonb(v_text) end;
    end if;
    if v_value is null then
      if v_field.required then
        perform private.raise_error('invalid_input', 'This field is required.', jsonb_build_object('field_id', v_field.id, 'reason', 'required'));
      end if;
      continue;
    end if;
    if v_field.kind = 'rating' then
      if jsonb_typeof(v_value) <> 'number' or (v_value #>> '{}')::numeric <> trunc((v_value #>> '{}')::numeric)
         or (v_value #>> '{}')::numeric not between (v_field.options ->> 'min')::numeric and (v_field.options ->> 'max')::numeric then
        perform private.raise_error('invalid_input', 'A rating is an integer within the field''s range.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'rating', 'min', v_field.options -> 'min', 'max', v_field.options -> 'max'));
      end if;
    elsif v_field.kind = 'choice' then
      if coalesce((v_field.options ->> 'multiple')::boolean, false) then
        if jsonb_typeof(v_value) <> 'array' or jsonb_array_length(v_value) = 0
           or exists (select 1 from jsonb_array_elements(v_value) c where not (v_field.options -> 'choices') @> jsonb_build_array(c) or jsonb_typeof(c) <> 'string')
           or (select count(distinct c) from jsonb_array_elements(v_value) c) <> jsonb_array_length(v_value) then
          perform private.raise_error('invalid_input', 'Choose one or more distinct options of the field.',
            jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
        end if;
      elsif jsonb_typeof(v_value) <> 'string' or not (v_field.options -> 'choices') @> jsonb_build_array(v_value) then
        perform private.raise_error('invalid_input', 'Choose one option of the field.', jsonb_build_object('field_id', v_field.id, 'reason', 'choice'));
      end if;
    elsif v_field.kind = 'text' then
      if jsonb_typeof(v_value) <> 'string' or char_length(v_value #>> '{}') > (v_field.options ->> 'max_length')::int then
        perform private.raise_error('invalid_input', 'A text answer is a string within the field''s max_length.',
          jsonb_build_object('field_id', v_field.id, 'reason', 'text', 'max_length', v_field.options -> 'max_length'));
      end if;
    end if;
    v_clean := v_clean || jsonb_build_object(v_field.id::text, v_value);
  end loop;
  insert into public.survey_responses (survey_id, user_id, answers) values (v_survey.id, v_uid, v_clean)
  on conflict do nothing
  returning id into v_id;
  if v_id is null then
    perform private.raise_error('already_responded', 'You already answered this survey.', jsonb_build_object('survey_id', v_survey.id));
  end if;
  return jsonb_build_object('id', v_id, 'survey_id', v_survey.id, 'answers', v_clean);
end;
$$;
comment on function public.submit_survey_response(uuid, jsonb) is
  'Members (not banned) answer an open survey once: answers {field_id: value}; rating an integer in range, choice a label '
  '(an array of distinct labels when multiple), text a string up to max_length (trimmed; empty = missing), required '
  'fields present, no unknown field ids. invalid_input details {field_id, reason}; already_responded on a second call.';
revoke execute on function public.submit_survey_response(uuid, jsonb) from public, anon;
grant execute on function public.submit_survey_response(uuid, jsonb) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- RPCs: breakout rooms
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: inserts rooms after the staff check (moderators cannot write rooms directly).
create function public.open_breakout_rooms(
  session_id uuid,
  names text[],
  closes_at timestamptz default null,
  capacity int default null,
  self_select boolean default false
) returns setof public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_session public.sessions;
  v_end timestamptz;
  v_closes_at timestamptz;
  v_names text[];
begin
  perform private.require_session_access(open_breakout_rooms.session_id, 'staff');
  select s.* into v_session from public.sessions s where s.id = open_breakout_rooms.session_id;
  if v_session.status not in ('scheduled', 'live') then
    perform private.raise_error('invalid_transition', 'Rooms open only in a scheduled or live session.',
      jsonb_build_object('session_status', v_session.status));
  end if;
  v_end := v_session.starts_at + make_interval(mins => v_session.duration_minutes);
  v_closes_at := coalesce(open_breakout_rooms.closes_at, v_end);
  if v_closes_at <= now() or v_closes_at > v_end then
    perform private.raise_error('invalid_input', 'closes_at must be in the future and no later than the end of the session.',
      jsonb_build_object('field', 'closes_at', 'session_ends_at', v_end));
  end if;
  select array_agg(btrim(n.name) order by n.i) into v_names
  from unnest(open_breakout_rooms.names) with ordinality as n (name, i);
  if coalesce(cardinality(v_names), 0) not between 1 and 50
     or exists (select 1 from unnest(v_names) n where n is null or char_length(n) not between 1 and 100)
     or (select count(distinct lower(n)) from unnest(v_names) n) <> cardinality(v_names) then
    perform private.raise_error('invalid_input', 'names: 1 to 50 distinct names of 1 to 100 characters.', jsonb_build_object('field', 'names'));
  end if;
  if open_breakout_rooms.capacity is not null and open_breakout_rooms.capacity not between 1 and 10000 then
    perform private.raise_error('invalid_input', 'capacity is 1 to 10000 (or null for unlimited).', jsonb_build_object('field', 'capacity'));
  end if;
  return query
  insert into public.rooms (session_id, name, capacity, closes_at, status, self_select)
  select v_session.id, n.name, open_breakout_rooms.capacity, v_closes_at, 'open', coalesce(open_breakout_rooms.self_select, false)
  from unnest(v_names) with ordinality as n (name, i)
  order by n.i
  returning *;
end;
$$;
comment on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean) is
  'Staff open breakout rooms in a scheduled or live session: 1-50 distinct names, closes_at (default: the session''s '
  'end; never later than starts_at + duration, always in the future), capacity (null = unlimited; limits self-selection), '
  'self_select (members may join with join_room). Broadcasts room_updated per room. Returns the rooms.';
revoke execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean) from public, anon;
grant execute on function public.open_breakout_rooms(uuid, text[], timestamptz, int, boolean) to authenticated, service_role;

-- Locks a room of a session for staff and checks it is open.
create function private.open_room_for_staff(room_id uuid)
returns public.rooms
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = open_room_for_staff.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', open_room_for_staff.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  return v_room;
end;
$$;
comment on function private.open_room_for_staff(uuid) is 'Locks and returns an open room for staff; not_authenticated, not_found, forbidden, invalid_transition (closed).';
revoke execute on function private.open_room_for_staff(uuid) from public, anon, authenticated;

-- SECURITY DEFINER: moves the user's assignment (one room per user and session) across RLS.
create function public.assign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms := private.open_room_for_staff(assign_room.room_id);
  v_row public.room_assignments;
begin
  if not exists (select 1 from public.bookings b
                 where b.session_id = v_room.session_id and b.user_id = assign_room.user_id and b.status = 'confirmed')
     and not exists (select 1 from public.session_staff st
                     where st.session_id = v_room.session_id and st.user_id = assign_room.user_id) then
    perform private.raise_error('invalid_input', 'Only members of the session can be assigned.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  if private.is_banned(v_room.session_id, assign_room.user_id) then
    perform private.raise_error('banned', 'This user is banned from the session.', jsonb_build_object('user_id', assign_room.user_id));
  end if;
  delete from public.room_assignments a
  where a.user_id = assign_room.user_id and a.room_id <> v_room.id
    and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id) values (v_room.id, assign_room.user_id)
  on conflict on constraint room_assignments_pkey do update set joined_at = a.joined_at
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.assign_room(uuid, uuid) is
  'Staff assign a member (confirmed booking or staff, not banned) to an open room, moving them out of the session''s '
  'other rooms. Returns the assignment (the user reads it through RLS).';
revoke execute on function public.assign_room(uuid, uuid) from public, anon;
grant execute on function public.assign_room(uuid, uuid) to authenticated, service_role;

create function public.unassign_room(room_id uuid, user_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if (select auth.uid()) is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = unassign_room.room_id;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', unassign_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'staff');
  delete from public.room_assignments a where a.room_id = v_room.id and a.user_id = unassign_room.user_id
  returning a.* into v_row;
  if v_row.room_id is null then
    perform private.raise_error('not_found', 'This user is not assigned to the room.', jsonb_build_object('user_id', unassign_room.user_id));
  end if;
  return v_row;
end;
$$;
comment on function public.unassign_room(uuid, uuid) is 'Staff remove a user from a room (not_found when not assigned). Returns the removed assignment.';
revoke execute on function public.unassign_room(uuid, uuid) from public, anon;
grant execute on function public.unassign_room(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: reads bookings and writes assignments across RLS.
create function public.assign_rooms_randomly(session_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_room_ids uuid[];
  v_assigned int;
begin
  perform private.require_session_access(assign_rooms_randomly.session_id, 'staff');
  select array_agg(r.id order by r.created_at, r.name, r.id) into v_room_ids
  from (select r.* from public.rooms r
        where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage
        order by r.id for update) r
  where private.room_is_open(r);
  if v_room_ids is null then
    perform private.raise_error('invalid_input', 'The session has no open breakout room.',
      jsonb_build_object('session_id', assign_rooms_randomly.session_id));
  end if;
  -- Everyone's previous breakout assignment in this session is replaced.
  delete from public.room_assignments a
  where a.room_id in (select r.id from public.rooms r where r.session_id = assign_rooms_randomly.session_id and not r.is_main_stage);
  -- Round robin over a random order: room sizes differ by at most one.
  insert into public.room_assignments (room_id, user_id)
  select v_room_ids[1 + (m.i % cardinality(v_room_ids))], m.user_id
  from (select b.user_id, (row_number() over (order by random()) - 1)::int as i
        from public.bookings b
        where b.session_id = assign_rooms_randomly.session_id and b.status = 'confirmed'
          and not exists (select 1 from public.session_staff st
                          where st.session_id = b.session_id and st.user_id = b.user_id)
          and not private.is_banned(b.session_id, b.user_id)) m;
  get diagnostics v_assigned = row_count;
  return jsonb_build_object('session_id', assign_rooms_randomly.session_id, 'assigned', v_assigned,
    'rooms', (select jsonb_agg(jsonb_build_object('room_id', r.id, 'assigned',
                (select count(*) from public.room_assignments a where a.room_id = r.id)) order by r.n)
              from unnest(v_room_ids) with ordinality as r (id, n)));
end;
$$;
comment on function public.assign_rooms_randomly(uuid) is
  'Staff: replaces the breakout assignments with a random, balanced split (sizes differ by at most one) of the '
  'session''s confirmed, not banned, non-staff members over its open breakout rooms (not the main stage). Capacity is '
  'not applied (it limits self-selection). Returns {session_id, assigned, rooms:[{room_id, assigned}]}.';
revoke execute on function public.assign_rooms_randomly(uuid) from public, anon;
grant execute on function public.assign_rooms_randomly(uuid) to authenticated, service_role;

-- SECURITY DEFINER: members cannot write room_assignments; the room row lock makes the capacity
-- check exact under concurrent joins.
create function public.join_room(room_id uuid)
returns public.room_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_room public.rooms;
  v_row public.room_assignments;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  select r.* into v_room from public.rooms r where r.id = join_room.room_id for update;
  if v_room.id is null then
    perform private.raise_error('not_found', 'Room not found.', jsonb_build_object('room_id', join_room.room_id));
  end if;
  perform private.require_session_access(v_room.session_id, 'member');
  if not private.room_is_open(v_room) then
    perform private.raise_error('invalid_transition', 'The room is closed.', jsonb_build_object('room_id', v_room.id));
  end if;
  update public.room_assignments a set joined_at = now()
  where a.room_id = v_room.id and a.user_id = v_uid
  returning a.* into v_row;
  if v_row.room_id is not null then
    return v_row;
  end if;
  if not v_room.self_select then
    perform private.raise_error('forbidden', 'You are not assigned to this room.', jsonb_build_object('room_id', v_room.id));
  end if;
  if v_room.capacity is not null
     and (select count(*) from public.room_assignments a where a.room_id = v_room.id) >= v_room.capacity then
    perform private.raise_error('conflict', 'The room is full.', jsonb_build_object('room_id', v_room.id, 'capacity', v_room.capacity));
  end if;
  delete from public.room_assignments a
  where a.user_id = v_uid and a.room_id in (select r.id from public.rooms r where r.session_id = v_room.session_id);
  insert into public.room_assignments as a (room_id, user_id, joined_at) values (v_room.id, v_uid, now())
  returning a.* into v_row;
  return v_row;
end;
$$;
comment on function public.join_room(uuid) is
  'Members (not banned) enter an open room: their assigned room, or any self_select room with capacity left (conflict '
  'when full; moves them out of their other room). Sets joined_at. Errors: not_authenticated, not_found, forbidden, '
  'banned, invalid_transition (closed), conflict (full).';
revoke execute on function public.join_room(uuid) from public, anon;
grant execute on function public.join_room(uuid) to authenticated;

create function public.close_breakout_rooms(session_id uuid)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  perform private.require_session_access(close_breakout_rooms.session_id, 'staff');
  update public.rooms r set status = 'closed', closes_at = least(coalesce(r.closes_at, now()), now())
  where r.session_id = close_breakout_rooms.session_id and r.status = 'open' and not r.is_main_stage;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.close_breakout_rooms(uuid) is
  'Staff close every open breakout room of the session (not the main stage); returns how many. Broadcasts room_updated.';
revoke execute on function public.close_breakout_rooms(uuid) from public, anon;
grant execute on function public.close_breakout_rooms(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs: metrics
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
  perform private.require_session_access(session_metrics.session_id, 'staff');
  v_current := private.viewer_count(session_metrics.session_id);
  v_peak := greatest(coalesce((select v.peak_viewers from public.session_viewer_stats v
                               where v.session_id = session_metrics.session_id), 0), v_current);
  select count(*) into v_confirmed from public.bookings b
  where b.session_id = session_metrics.session_id and b.status = 'confirmed';
  v_basis := nullif(case when v_peak > 0 then v_peak else v_confirmed end, 0);
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
                         'participation', case when v_basis is null then null else round(t.voters::numeric / v_basis, 4) end)
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
  'viewers (the most people who could have voted at once), or / confirmed members while nobody has watched yet; null '
  'when both are 0.';
revoke execute on function public.session_metrics(uuid) from public, anon;
grant execute on function public.session_metrics(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers and jobs
-- ---------------------------------------------------------------------------------------------

create trigger question_upvotes_count
  after insert or delete on public.question_upvotes
  for each row execute function private.count_question_upvotes();

create trigger broadcast_question_updated
  after insert or update on public.questions
  for each row execute function private.broadcast_question();

create trigger poll_votes_tally_insert
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.tally_poll_votes();
create trigger poll_votes_tally_delete
  after delete on public.poll_votes
  referencing old table as changed_votes
  for each statement execute function private.tally_poll_votes();
-- Named to sort after poll_votes_tally_insert (triggers of one event fire in name order), so the
-- broadcast sees this statement's votes in the tallies.
create trigger poll_votes_zz_broadcast
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.broadcast_poll_votes();

create trigger poll_ballots_tally_insert
  after insert on public.poll_ballots
  referencing new table as changed_ballots
  for each statement execute function private.tally_poll_ballots();
create trigger poll_ballots_tally_delete
  after delete on public.poll_ballots
  referencing old table as changed_ballots
  for each statement execute function private.tally_poll_ballots();

create trigger broadcast_poll_status_change
  after update of status on public.polls
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_poll_status();

create trigger broadcast_room_updated
  after insert or update on public.rooms
  for each row execute function private.broadcast_room_change();
create trigger broadcast_room_assignments_insert
  after insert on public.room_assignments
  referencing new table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();
create trigger broadcast_room_assignments_delete
  after delete on public.room_assignments
  referencing old table as changed_assignments
  for each statement execute function private.broadcast_room_assignments();

create trigger close_rooms_with_session
  after update of status, starts_at, duration_minutes on public.sessions
  for each row
  when (old.status is distinct from new.status or old.starts_at is distinct from new.starts_at
        or old.duration_minutes is distinct from new.duration_minutes)
  execute function private.close_rooms_with_session();

-- Rooms whose closes_at passed are closed (and broadcast) within a minute; reads treat them as
-- closed right away (private.room_is_open).
create extension if not exists pg_cron with schema pg_catalog;
select cron.schedule('close-expired-breakout-rooms', '* * * * *', 'select private.close_expired_rooms()');
