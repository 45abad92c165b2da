-- Polls of a live session: polls with their options, one ballot per voter, votes, tallies kept in
-- sharded counters (poll_results sums at most 64 rows per option, however many votes), and the
-- coalesced `poll_updated` broadcast (at most every 500 ms per poll; 70_live_counters.sql sends what
-- that throttle held back). Polls close when their session ends or is cancelled.
-- Tables: public.polls, public.poll_options, public.poll_ballots, public.poll_votes,
-- private.poll_option_tallies, private.poll_voter_tallies, private.poll_broadcast_throttle.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

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
comment on column public.polls.status is 'draft -> open -> closed (open_poll, close_poll); a closed poll may open again (open_poll).';
comment on column public.polls.results_visibility is
  'live: members see results while voting; after_vote: only voters (and staff); after_close: everyone once closed. Staff always.';
comment on column public.polls.is_anonymous is 'Informational for clients; voter identities are never exposed (vote rows are readable only by their voter).';
alter table public.polls enable row level security;

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
alter table public.poll_options enable row level security;

create table public.poll_ballots (
  poll_id uuid not null references public.polls (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (poll_id, user_id)
);
comment on table public.poll_ballots is
  'One ballot per user and poll: the once-per-user guard of vote_poll (a second vote is already_voted). Own rows only.';
alter table public.poll_ballots enable row level security;

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
alter table public.poll_votes enable row level security;

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
alter table private.poll_option_tallies enable row level security;

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
alter table private.poll_voter_tallies enable row level security;

create table private.poll_broadcast_throttle (
  poll_id uuid primary key references public.polls (id) on delete cascade,
  last_broadcast_at timestamptz not null default '-infinity',
  last_voters bigint
);
comment on table private.poll_broadcast_throttle is
  'When poll_updated was last broadcast for a poll during voting: at most one broadcast per 500 ms, taken with '
  'skip locked so that voters never wait for each other here.';
comment on column private.poll_broadcast_throttle.last_voters is
  'The voter count of the last poll_updated sent with counts (null: none yet), for private.flush_live_counts.';
alter table private.poll_broadcast_throttle enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index polls_session_id_idx on public.polls (session_id, status);
create index polls_created_by_idx on public.polls (created_by);
create index poll_ballots_user_id_idx on public.poll_ballots (user_id);
create index poll_votes_poll_id_option_id_idx on public.poll_votes (poll_id, option_id);
create index poll_option_tallies_option_id_idx on private.poll_option_tallies (option_id);
-- The flush-live-counts job (private.flush_live_counts) looks at open live-results polls only.
create index polls_open_live_idx on public.polls (id) where status = 'open' and results_visibility = 'live';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Aggregated results of a poll from the sharded counters: constant work per option.
create function private.poll_tally(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language sql stable security definer rows 10 set search_path = '' as $$
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
revoke execute on function private.poll_tally(uuid) from public, anon, authenticated, service_role;

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
revoke execute on function private.poll_payload(uuid, boolean) from public, anon, authenticated, service_role;

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
revoke execute on function private.poll_json(uuid) from public, anon, authenticated, service_role;

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
revoke execute on function private.poll_for_staff(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.polls from public, anon, authenticated, service_role;
grant select on table public.polls to authenticated;
grant all on table public.polls to service_role;
create policy "members read non-draft polls and staff all polls" on public.polls
  for select to authenticated
  using ((status <> 'draft' and session_id in (select private.my_chat_session_ids()))
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.poll_options from public, anon, authenticated, service_role;
grant select on table public.poll_options to authenticated;
grant all on table public.poll_options to service_role;
-- Options follow their poll's visibility (the polls policy applies inside the sub-select).
create policy "users read the options of polls they can read" on public.poll_options
  for select to authenticated
  using (poll_id in (select p.id from public.polls p));

revoke all on table public.poll_ballots from public, anon, authenticated, service_role;
grant select on table public.poll_ballots to authenticated;
grant all on table public.poll_ballots to service_role;
create policy "voters read their own ballots" on public.poll_ballots
  for select to authenticated
  using (user_id = (select auth.uid()));

revoke all on table public.poll_votes from public, anon, authenticated, service_role;
grant select on table public.poll_votes to authenticated;
grant all on table public.poll_votes to service_role;
create policy "voters read their own votes" on public.poll_votes
  for select to authenticated
  using (user_id = (select auth.uid()));

revoke all on table private.poll_option_tallies from public, anon, authenticated, service_role;
grant select on table private.poll_option_tallies to service_role;

revoke all on table private.poll_voter_tallies from public, anon, authenticated, service_role;
grant select on table private.poll_voter_tallies to service_role;

revoke all on table private.poll_broadcast_throttle from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

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
  perform private.require_flat_array(create_poll.options, 'options');
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
grant execute on function public.create_poll(uuid, text, text[], text, int, text, boolean)
  to authenticated, service_role;

-- A closed poll opens again (hosts toggle polls on and off during a session): its votes are kept,
-- so those who voted stay voted (already_voted) and the others may vote now.
create function public.open_poll(poll_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_poll public.polls := private.poll_for_staff(open_poll.poll_id);
  v_session_status text;
begin
  select s.status into v_session_status from public.sessions s where s.id = v_poll.session_id;
  if v_poll.status not in ('draft', 'closed') or v_session_status in ('ended', 'cancelled') then
    perform private.raise_error('invalid_transition', 'Only a draft or closed poll of a session that is not over can open.',
      jsonb_build_object('status', v_poll.status, 'session_status', v_session_status));
  end if;
  update public.polls p set status = 'open', opened_at = now(), closed_at = null where p.id = v_poll.id;
  return private.poll_json(v_poll.id);
end;
$$;
comment on function public.open_poll(uuid) is
  'Staff: draft -> open, or closed -> open again (votes kept: who voted stays voted), while the session is not ended '
  'or cancelled; an open poll is invalid_transition. opened_at becomes the latest opening, closed_at is cleared. '
  'Broadcasts poll_updated (counts for live-results polls). Results visibility is unchanged: an after_close poll '
  'hides its results again until it closes. Returns the poll.';
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
  perform private.require_flat_array(vote_poll.option_ids, 'option_ids');
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
grant execute on function public.vote_poll(uuid, uuid[]) to authenticated, service_role;

-- SECURITY DEFINER: the tallies live in private; the visibility rules are checked here.
create function public.poll_results(poll_id uuid)
returns table (option_id uuid, label text, "position" int, votes bigint, share numeric, voters bigint)
language plpgsql stable security definer rows 10 set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_poll public.polls;
  v_staff boolean;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null and coalesce((select auth.role()), '') <> 'service_role' then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('poll_id', poll_results.poll_id));
  end if;
  select p.* into v_poll from public.polls p where p.id = poll_results.poll_id;
  v_staff := v_uid is null or private.is_session_staff(v_poll.session_id, array['host', 'moderator']);
  if v_poll.id is null or not (v_staff or (v_poll.status <> 'draft'
                                           and private.is_session_member(v_poll.session_id)
                                           and not private.is_banned(v_poll.session_id, v_uid))) then
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
-- Triggers
-- ---------------------------------------------------------------------------------------------

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
revoke execute on function private.tally_poll_votes() from public, anon, authenticated, service_role;
create trigger poll_votes_tally_insert
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.tally_poll_votes();
create trigger poll_votes_tally_delete
  after delete on public.poll_votes
  referencing old table as changed_votes
  for each statement execute function private.tally_poll_votes();

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
revoke execute on function private.tally_poll_ballots() from public, anon, authenticated, service_role;
create trigger poll_ballots_tally_insert
  after insert on public.poll_ballots
  referencing new table as changed_ballots
  for each statement execute function private.tally_poll_ballots();
create trigger poll_ballots_tally_delete
  after delete on public.poll_ballots
  referencing old table as changed_ballots
  for each statement execute function private.tally_poll_ballots();

-- Tests and operators: the sharded tallies must always equal the vote and ballot rows.
create function private.poll_tally_drift()
returns table (poll_id uuid, option_id uuid, tallied bigint, counted bigint)
language sql stable set search_path = '' rows 1 as $$
  with tallied as (
    select t.poll_id, t.option_id, sum(t.votes)::bigint as n from private.poll_option_tallies t group by 1, 2
  ), counted as (
    select v.poll_id, v.option_id, count(*)::bigint as n from public.poll_votes v group by 1, 2
  ), voters_tallied as (
    select t.poll_id, sum(t.voters)::bigint as n from private.poll_voter_tallies t group by 1
  ), voters_counted as (
    select b.poll_id, count(*)::bigint as n from public.poll_ballots b group by 1
  )
  select coalesce(t.poll_id, c.poll_id), coalesce(t.option_id, c.option_id), coalesce(t.n, 0), coalesce(c.n, 0)
  from tallied t full join counted c on c.poll_id = t.poll_id and c.option_id = t.option_id
  where coalesce(t.n, 0) <> coalesce(c.n, 0)
  union all
  select coalesce(t.poll_id, c.poll_id), null, coalesce(t.n, 0), coalesce(c.n, 0)
  from voters_tallied t full join voters_counted c on c.poll_id = t.poll_id
  where coalesce(t.n, 0) <> coalesce(c.n, 0)
$$;
comment on function private.poll_tally_drift() is
  'Options whose sharded vote tallies differ from their poll_votes rows, and polls (option_id null) whose voter '
  'tallies differ from their poll_ballots rows. Empty when all is well; for tests and operators (service_role).';
revoke execute on function private.poll_tally_drift() from public, anon, authenticated;
grant execute on function private.poll_tally_drift() to service_role;

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
  v_payload jsonb;
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
      v_payload := private.poll_payload(v_poll.poll_id, true);
      update private.poll_broadcast_throttle t
         set last_broadcast_at = clock_timestamp(), last_voters = (v_payload ->> 'voters')::bigint
       where t.poll_id = v_taken;
      perform realtime.send(v_payload, 'poll_updated', 'session:' || v_poll.session_id::text, true);
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_poll_votes() is
  'Statement trigger on poll_votes: poll_updated with aggregates for live-results polls, at most every 500 ms per poll '
  '(leading edge; private.flush_live_counts sends what the window held back).';
revoke execute on function private.broadcast_poll_votes() from public, anon, authenticated, service_role;
-- Named to sort after poll_votes_tally_insert (triggers of one event fire in name order), so the
-- broadcast sees this statement's votes in the tallies.
create trigger poll_votes_zz_broadcast
  after insert on public.poll_votes
  referencing new table as changed_votes
  for each statement execute function private.broadcast_poll_votes();

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
revoke execute on function private.broadcast_poll_status() from public, anon, authenticated, service_role;
create trigger broadcast_poll_status_change
  after update of status on public.polls
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_poll_status();

-- Ending or cancelling a session closes its open polls (closed_at = now()): members could otherwise
-- go on voting in an ended session, and an after_close poll stayed hidden until the host closed it
-- by hand. The poll_updated broadcast that follows carries the final results, as close_poll's does.
-- Surveys stay open: a survey after the session is the usual case.
-- Security definer: hosts end sessions through RPCs; the polls are closed on their behalf.
create function private.close_polls_with_session()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- As close_poll does: wait for votes in flight, so none lands after the close.
  perform 1 from public.polls p where p.session_id = new.id and p.status = 'open' order by p.id for update;
  update public.polls p set status = 'closed', closed_at = now()
  where p.session_id = new.id and p.status = 'open';
  return null;
end;
$$;
comment on function private.close_polls_with_session() is
  'Trigger after a session ends or is cancelled: closes its open polls. Internal.';
revoke execute on function private.close_polls_with_session() from public, anon, authenticated, service_role;
create trigger close_polls_with_session after update of status on public.sessions
  for each row
  when (new.status in ('ended', 'cancelled') and old.status not in ('ended', 'cancelled'))
  execute function private.close_polls_with_session();
