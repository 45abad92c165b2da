-- Q&A of a live session: questions (optionally anonymous, optionally moderated), upvotes with an
-- exact counter, moderation (publish, answer, dismiss) and the `question_updated` broadcast.
-- Clients read questions through the view session_questions, which hides the author of an
-- anonymous question from everyone but its author and the session's staff.
-- Tables: public.questions, public.question_upvotes.

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
  client_id uuid,
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
comment on column public.questions.client_id is
  'Optional id the asking client made for this question (ask_question client_id): a retry with the same id returns '
  'this question instead of asking it again. Unique per author; not selectable by clients.';
comment on column public.questions.body is 'The question, 1-500 characters, stored trimmed.';
comment on column public.questions.is_anonymous is 'Author hidden from everyone but staff and the author (allowed when the session allows anonymous questions).';
comment on column public.questions.status is
  'pending (qa_moderation on: only author and staff see it) -> published -> answered; dismissed hides it from members.';
comment on column public.questions.upvote_count is 'Number of question_upvotes rows, kept exact by triggers in the same transaction.';
comment on column public.questions.answer is 'Optional written answer, set with status answered.';
comment on column public.questions.answered_by is 'Staff member who marked it answered.';
alter table public.questions enable row level security;

create table public.question_upvotes (
  question_id uuid not null references public.questions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (question_id, user_id)
);
comment on table public.question_upvotes is
  'One upvote per user and question (upvote_question / withdraw_upvote). Users read only their own rows.';
alter table public.question_upvotes enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index questions_session_id_status_idx on public.questions (session_id, status, upvote_count desc, created_at);
create index questions_user_id_idx on public.questions (user_id);
create index questions_answered_by_idx on public.questions (answered_by);
create index question_upvotes_user_id_idx on public.question_upvotes (user_id);
-- Idempotent asks: one question per author and client id (partial: asks without one never touch it).
create unique index questions_user_id_client_id_key on public.questions (user_id, client_id) where client_id is not null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

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
revoke execute on function private.question_json(uuid) from public, anon, authenticated, service_role;

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
revoke execute on function private.question_for_member(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.questions from public, anon, authenticated, service_role;
grant all on table public.questions to service_role;
grant select (id, session_id, body, is_anonymous, status, upvote_count, answer, answered_at, answered_by,
  created_at) on table public.questions to authenticated;
create policy "members read published questions, authors their own and staff all" on public.questions
  for select to authenticated
  using ((status in ('published', 'answered') and session_id in (select private.my_chat_session_ids()))
    or user_id = (select auth.uid())
    or session_id in (select private.staff_session_ids(array['host', 'moderator'])));

revoke all on table public.question_upvotes from public, anon, authenticated, service_role;
grant select on table public.question_upvotes to authenticated;
grant all on table public.question_upvotes to service_role;
create policy "users read their own upvotes" on public.question_upvotes
  for select to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
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
revoke all on table public.session_questions from public, anon, authenticated, service_role;
grant select on table public.session_questions to authenticated;
grant all on table public.session_questions to service_role;

-- The question an earlier call with this client id asked, for a retry (null when none); a client id
-- already used in another session is a conflict. Internal: runs inside ask_question, for the caller.
create function private.question_id_by_client_id(user_id uuid, client_id uuid, session_id uuid)
returns uuid
language plpgsql stable set search_path = '' as $$
declare
  v_id uuid;
  v_session_id uuid;
begin
  select q.id, q.session_id into v_id, v_session_id from public.questions q
  where q.user_id = question_id_by_client_id.user_id and q.client_id = question_id_by_client_id.client_id
    and question_id_by_client_id.client_id is not null;
  if v_id is not null and v_session_id <> question_id_by_client_id.session_id then
    perform private.raise_error('conflict', 'This client_id was already used for a question in another session.',
      jsonb_build_object('field', 'client_id', 'client_id', question_id_by_client_id.client_id));
  end if;
  return v_id;
end;
$$;
comment on function private.question_id_by_client_id(uuid, uuid, uuid) is
  'The id of the question a user already asked with this client id (null when none); conflict when it is in another '
  'session. For ask_question retries. Internal.';
revoke execute on function private.question_id_by_client_id(uuid, uuid, uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: inserts into questions, which clients cannot write, after checking membership,
-- bans, the session's Q&A settings and the body. With a client id, two calls at the same time meet at
-- the unique index: the second waits for the first and returns its question.
create function public.ask_question(session_id uuid, body text, anonymous boolean default false, client_id uuid default null)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
#variable_conflict use_column
-- (The ON CONFLICT target names columns that are also parameters: the columns are meant.)
declare
  v_uid uuid := private.require_session_access(ask_question.session_id, 'member');
  v_session public.sessions;
  v_body text := btrim(ask_question.body);
  v_id uuid;
begin
  v_id := private.question_id_by_client_id(v_uid, ask_question.client_id, ask_question.session_id);
  if v_id is not null then
    return private.question_json(v_id);
  end if;
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
  insert into public.questions as q (session_id, user_id, body, is_anonymous, status, client_id)
  values (v_session.id, v_uid, v_body, coalesce(ask_question.anonymous, false),
          case when v_session.qa_moderation then 'pending' else 'published' end, ask_question.client_id)
  on conflict (user_id, client_id) where client_id is not null do nothing
  returning q.id into v_id;
  if v_id is null then
    v_id := private.question_id_by_client_id(v_uid, ask_question.client_id, v_session.id);
  end if;
  return private.question_json(v_id);
end;
$$;
comment on function public.ask_question(uuid, text, boolean, uuid) is
  'Members (not banned) ask a question (1-500 chars, trimmed) in a scheduled or live session. pending when the session '
  'has qa_moderation, else published. anonymous only when allow_anonymous_questions (else forbidden). Returns the '
  'question as in session_questions. Idempotent with client_id (a uuid the client makes per question): a retry with '
  'the same client_id returns the question the first call asked (no second row or broadcast), also when both calls '
  'run at the same time. Errors: not_authenticated, not_found, forbidden, banned, invalid_input, invalid_transition, '
  'conflict (client_id used in another session).';
revoke execute on function public.ask_question(uuid, text, boolean, uuid) from public, anon;
grant execute on function public.ask_question(uuid, text, boolean, uuid) to authenticated, service_role;

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
grant execute on function public.upvote_question(uuid) to authenticated, service_role;

-- The design card's name for upvoting. SECURITY INVOKER: upvote_question holds every rule (members,
-- bans, published questions, once per user); this only answers the new count.
create function public.increment_upvotes(question_id uuid)
returns int
language plpgsql volatile security invoker set search_path = '' as $$
begin
  return (public.upvote_question(increment_upvotes.question_id) ->> 'upvote_count')::int;
end;
$$;
comment on function public.increment_upvotes(uuid) is
  'The design card''s name for upvote_question: members (not banned) upvote a published or answered question once '
  '(a second call is already_upvoted, 409) and get the new upvote_count. Errors as upvote_question: '
  'not_authenticated, not_found, forbidden, banned, invalid_transition, already_upvoted.';
revoke execute on function public.increment_upvotes(uuid) from public, anon;
grant execute on function public.increment_upvotes(uuid) to authenticated, service_role;

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
grant execute on function public.withdraw_upvote(uuid) to authenticated, service_role;

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
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger questions_clean_body before insert or update of body on public.questions
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();

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
revoke execute on function private.count_question_upvotes() from public, anon, authenticated, service_role;
create trigger question_upvotes_count
  after insert or delete on public.question_upvotes
  for each row execute function private.count_question_upvotes();

-- Tests and operators: upvote_count must always equal the question's upvote rows.
create function private.question_upvote_drift()
returns table (question_id uuid, upvote_count int, counted int)
language sql stable set search_path = '' rows 1 as $$
  select q.id, q.upvote_count, coalesce(c.n, 0)
  from public.questions q
  left join (select u.question_id, count(*)::int as n from public.question_upvotes u group by u.question_id) c
    on c.question_id = q.id
  where q.upvote_count <> coalesce(c.n, 0)
$$;
comment on function private.question_upvote_drift() is
  'Questions whose upvote_count differs from their question_upvotes rows. Empty when all is well; for tests and '
  'operators (service_role).';
revoke execute on function private.question_upvote_drift() from public, anon, authenticated;
grant execute on function private.question_upvote_drift() to service_role;

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
revoke execute on function private.broadcast_question() from public, anon, authenticated, service_role;
create trigger broadcast_question_updated
  after insert or update on public.questions
  for each row execute function private.broadcast_question();
