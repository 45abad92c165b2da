-- Direct messages: 1:1 and group conversations, their members and messages (clients write only
-- through the RPCs), the view my_conversations (title, members, last message, unread count), the
-- `direct_message` broadcast on user:<id> and one `direct_message` notification per conversation
-- until it is read (private.notify honours notification_preferences.in_app).
-- Tables: public.conversations, public.conversation_members, public.direct_messages,
-- private.direct_pairs (one 1:1 conversation per pair of users).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  title text,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_message_at timestamptz,
  constraint conversations_kind_valid check (kind in ('direct', 'group')),
  constraint conversations_title_only_for_groups check (kind = 'group' or title is null),
  constraint conversations_title_length check (title is null or (char_length(title) between 1 and 100 and title = btrim(title)))
);
comment on table public.conversations is
  'A private conversation: direct (exactly two people, at most one per pair) or group (3 to 10 people). Created by '
  'start_conversation(); only its members read it.';
comment on column public.conversations.kind is 'direct (1:1, no title) or group (up to 10 members, optional title).';
comment on column public.conversations.title is 'Group title (1-100 characters, trimmed); always null for direct conversations.';
comment on column public.conversations.created_by is 'Who started it; null once that account is deleted.';
comment on column public.conversations.last_message_at is 'Time of the latest message (set by send_direct_message); null before the first one.';
alter table public.conversations enable row level security;

create table public.conversation_members (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member',
  joined_at timestamptz not null default now(),
  last_read_at timestamptz not null default now(),
  constraint conversation_members_pkey primary key (conversation_id, user_id),
  constraint conversation_members_role_valid check (role in ('owner', 'member'))
);
comment on table public.conversation_members is
  'Who is in a conversation. Written by start_conversation(); a member updates only their own last_read_at '
  '(mark_conversation_read). Members read the members of their conversations.';
comment on column public.conversation_members.role is 'owner (who started the conversation) or member.';
comment on column public.conversation_members.last_read_at is
  'Messages of others created after this instant are unread (my_conversations.unread_count).';
alter table public.conversation_members enable row level security;

create table public.direct_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  client_id uuid,
  constraint direct_messages_body_length check (char_length(body) between 1 and 2000 and body = btrim(body)),
  constraint direct_messages_edited_after_created check (edited_at is null or edited_at >= created_at),
  constraint direct_messages_deleted_after_created check (deleted_at is null or deleted_at >= created_at)
);
comment on table public.direct_messages is
  'A message in a conversation. Posted only through send_direct_message() (members, 20 per user per rolling minute) '
  'and broadcast as `direct_message` on user:<id> of the other members. Members read the non-deleted messages.';
comment on column public.direct_messages.user_id is 'The sender.';
comment on column public.direct_messages.client_id is
  'Optional id the sending client made for this message (send_direct_message client_id): a retry with the same id '
  'returns this message instead of sending it again. Unique per sender.';
comment on column public.direct_messages.body is 'Message text, stored trimmed, 1-2000 characters.';
comment on column public.direct_messages.created_at is
  'Time of posting (clock time taken after the sender''s lock, so one user''s messages are strictly ordered).';
comment on column public.direct_messages.edited_at is 'When the body was last changed (backend moderation; no client RPC edits yet).';
comment on column public.direct_messages.deleted_at is
  'Soft delete by the backend (service role, moderation): a deleted message is hidden from members and not counted unread.';
alter table public.direct_messages enable row level security;

-- One 1:1 conversation per pair of users, whoever started it: the key is the ordered pair.
-- In private: only start_conversation() reads and writes it.
create table private.direct_pairs (
  user_low uuid not null references auth.users (id) on delete cascade,
  user_high uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  constraint direct_pairs_pkey primary key (user_low, user_high),
  constraint direct_pairs_conversation_unique unique (conversation_id),
  constraint direct_pairs_ordered check (user_low < user_high)
);
comment on table private.direct_pairs is
  'The direct conversation of each pair of users, keyed by (least, greatest) of their ids: the race-safe backstop '
  'that makes start_conversation() return the existing 1:1 conversation.';
alter table private.direct_pairs enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index conversations_created_by_idx on public.conversations (created_by);
-- conversation_members: (conversation_id, user_id) is the primary key; the caller's conversations:
create index conversation_members_user_id_idx on public.conversation_members (user_id, conversation_id);
-- Latest message and unread counts of a conversation.
create index direct_messages_conversation_page_idx on public.direct_messages (conversation_id, created_at desc, id desc);
-- The user_id foreign key and the per-user rate limit window.
create index direct_messages_user_id_created_at_idx on public.direct_messages (user_id, created_at desc);
-- Idempotent sends: one message per sender and client id (partial: sends without one never touch it).
create unique index direct_messages_user_id_client_id_key on public.direct_messages (user_id, client_id)
  where client_id is not null;
-- direct_pairs: (user_low, user_high) is the primary key, conversation_id has its unique constraint.
create index direct_pairs_user_high_idx on private.direct_pairs (user_high);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: the policies of conversations, conversation_members and direct_messages call it,
-- and reading conversation_members through its own policy would recurse. PL/pgSQL, not SQL: a SQL
-- function with SET is re-planned on every call (see the membership helpers in 20_sessions.sql).
create function private.my_conversation_ids()
returns setof uuid
language plpgsql stable security definer rows 20 set search_path = '' as $$
begin
  return query
    select cm.conversation_id from public.conversation_members cm where cm.user_id = auth.uid();
end;
$$;
comment on function private.my_conversation_ids() is
  'Conversations the calling user is a member of. For policies, in set form: conversation_id in (select private.my_conversation_ids()).';
revoke execute on function private.my_conversation_ids() from public, anon;
grant execute on function private.my_conversation_ids() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.conversations from public, anon, authenticated, service_role;
grant select on table public.conversations to authenticated;
grant all on table public.conversations to service_role;
create policy "members read their conversations"
  on public.conversations for select to authenticated
  using (id in (select private.my_conversation_ids()));

revoke all on table public.conversation_members from public, anon, authenticated, service_role;
grant select on table public.conversation_members to authenticated;
grant all on table public.conversation_members to service_role;
grant update (last_read_at) on table public.conversation_members to authenticated;
create policy "members read the members of their conversations"
  on public.conversation_members for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()));
create policy "members mark their own membership read"
  on public.conversation_members for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

revoke all on table public.direct_messages from public, anon, authenticated, service_role;
grant select on table public.direct_messages to authenticated;
grant all on table public.direct_messages to service_role;
create policy "members read the messages of their conversations"
  on public.direct_messages for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()) and deleted_at is null);

revoke all on table private.direct_pairs from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- Security invoker: every table read goes through the policies above, so a caller sees only their
-- own memberships (the where clause) of conversations they belong to.
create view public.my_conversations with (security_invoker = true) as
select
  c.id,
  c.kind,
  case when c.kind = 'direct' then other.names[1] else coalesce(c.title, array_to_string(other.names, ', ')) end as title,
  coalesce(other.member_count, 0) + 1 as member_count,
  coalesce(other.members, '[]'::jsonb) as other_members,
  last_message.id as last_message_id,
  last_message.body as last_message_body,
  last_message.user_id as last_message_user_id,
  last_message.display_name as last_message_display_name,
  last_message.created_at as last_message_at,
  coalesce(unread.n, 0) as unread_count,
  me.last_read_at,
  me.role as my_role,
  c.created_at
from public.conversation_members me
join public.conversations c on c.id = me.conversation_id
left join lateral (
  select count(*)::int as member_count,
         jsonb_agg(jsonb_build_object('user_id', cm.user_id, 'display_name', p.display_name)
                   order by p.display_name, cm.user_id) as members,
         array_agg(p.display_name order by p.display_name, cm.user_id) as names
  from public.conversation_members cm
  left join public.profiles p on p.id = cm.user_id
  where cm.conversation_id = c.id and cm.user_id <> me.user_id
) other on true
left join lateral (
  select m.id, m.body, m.user_id, p.display_name, m.created_at
  from public.direct_messages m
  left join public.profiles p on p.id = m.user_id
  where m.conversation_id = c.id and m.deleted_at is null
  order by m.created_at desc, m.id desc
  limit 1
) last_message on true
left join lateral (
  select count(*)::int as n
  from public.direct_messages m
  where m.conversation_id = c.id and m.created_at > me.last_read_at
    and m.user_id <> me.user_id and m.deleted_at is null
) unread on true
where me.user_id = (select auth.uid());
comment on view public.my_conversations is
  'The caller''s conversations, one row each: title (a group''s title, else the other members'' names; for direct '
  'the other person''s display name), member_count, other_members [{user_id, display_name}], the last non-deleted '
  'message (last_message_id, _body, _user_id, _display_name, last_message_at), unread_count (others'' messages after '
  'last_read_at), my_role. Order by last_message_at desc nulls last.';
comment on column public.my_conversations.unread_count is
  'Non-deleted messages of other members created after the caller''s last_read_at (mark_conversation_read resets it).';
revoke all on table public.my_conversations from public, anon, authenticated, service_role;
grant select on table public.my_conversations to authenticated;
grant all on table public.my_conversations to service_role;

-- SECURITY DEFINER: clients cannot insert conversations or members, the caller must learn whether the
-- other users exist (auth.users) and whether a 1:1 with them exists (private.direct_pairs).
create function public.start_conversation(user_ids uuid[], title text default null)
returns public.conversations
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_title text := nullif(btrim(start_conversation.title), '');
  v_others uuid[];
  v_missing uuid[];
  v_low uuid;
  v_high uuid;
  v_existing uuid;
  v_row public.conversations;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to start a conversation.',
      jsonb_build_object('function', 'start_conversation'));
  end if;
  perform private.require_flat_array(start_conversation.user_ids, 'user_ids');
  if start_conversation.user_ids is null or array_position(start_conversation.user_ids, null) is not null then
    perform private.raise_error('invalid_input', 'Give the ids of the people to talk to.', jsonb_build_object('field', 'user_ids'));
  end if;
  select coalesce(array_agg(distinct u order by u), '{}') into v_others
  from unnest(start_conversation.user_ids) as u where u <> v_uid;
  if cardinality(v_others) = 0 then
    perform private.raise_error('invalid_input', 'A conversation needs at least one other person.',
      jsonb_build_object('field', 'user_ids', 'min', 1));
  end if;
  if cardinality(v_others) > 9 then
    perform private.raise_error('invalid_input', 'A conversation has at most 10 people.',
      jsonb_build_object('field', 'user_ids', 'max', 9, 'given', cardinality(v_others)));
  end if;
  if v_title is not null and char_length(v_title) > 100 then
    perform private.raise_error('invalid_input', 'The title must be at most 100 characters.',
      jsonb_build_object('field', 'title', 'max', 100));
  end if;
  if v_title is not null and cardinality(v_others) = 1 then
    perform private.raise_error('invalid_input', 'A conversation between two people has no title.',
      jsonb_build_object('field', 'title'));
  end if;
  select coalesce(array_agg(u), '{}') into v_missing
  from unnest(v_others) as u where not exists (select 1 from auth.users au where au.id = u);
  if cardinality(v_missing) > 0 then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_ids', to_jsonb(v_missing)));
  end if;

  if cardinality(v_others) = 1 then
    v_low := least(v_uid, v_others[1]);
    v_high := greatest(v_uid, v_others[1]);
    -- Serialise the two people of the pair (not everyone): a concurrent call waits here until the
    -- first commits, then its next statement sees the pair row and returns that conversation.
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('direct_pair:' || v_low::text || ':' || v_high::text, 0));
    select dp.conversation_id into v_existing
    from private.direct_pairs dp where dp.user_low = v_low and dp.user_high = v_high;
    if v_existing is not null then
      select c.* into v_row from public.conversations c where c.id = v_existing;
      return v_row;
    end if;
    insert into public.conversations as c (kind, title, created_by)
    values ('direct', null, v_uid)
    returning c.* into v_row;
    -- The primary key of direct_pairs is the backstop should the lock ever be bypassed.
    insert into private.direct_pairs (user_low, user_high, conversation_id) values (v_low, v_high, v_row.id);
  else
    insert into public.conversations as c (kind, title, created_by)
    values ('group', v_title, v_uid)
    returning c.* into v_row;
  end if;

  insert into public.conversation_members (conversation_id, user_id, role)
  select v_row.id, v_uid, 'owner'
  union all
  select v_row.id, u, 'member' from unnest(v_others) as u;
  return v_row;
end;
$$;
comment on function public.start_conversation(uuid[], text) is
  'Starts a conversation of the caller with 1 to 9 other users and returns it. With exactly one other user it is '
  'direct and the existing 1:1 conversation of the pair is returned when there is one (race-safe); otherwise a new '
  'group (optional title, 1-100 characters) is created each time. The caller is owner, the others members. Errors: '
  'not_authenticated; invalid_input (null ids, no other user, more than 10 people, title on a 1:1, title too long); '
  'not_found (an unknown user id; details.user_ids lists them).';
revoke execute on function public.start_conversation(uuid[], text) from public, anon;
grant execute on function public.start_conversation(uuid[], text) to authenticated, service_role;

-- SECURITY DEFINER: clients cannot insert messages nor update conversations, and the rate limit
-- counts the sender's messages in every conversation (including deleted ones, hidden by RLS).
-- The message an earlier call with this client id sent, for a retry; a client id already used in
-- another conversation is a conflict. Internal: runs inside send_direct_message, for the caller only.
create function private.direct_message_by_client_id(user_id uuid, client_id uuid, conversation_id uuid)
returns public.direct_messages
language plpgsql stable set search_path = '' as $$
declare
  v_row public.direct_messages;
begin
  select m.* into v_row from public.direct_messages m
  where m.user_id = direct_message_by_client_id.user_id and m.client_id = direct_message_by_client_id.client_id
    and direct_message_by_client_id.client_id is not null;
  if v_row.id is not null and v_row.conversation_id <> direct_message_by_client_id.conversation_id then
    perform private.raise_error('conflict', 'This client_id was already used for a message in another conversation.',
      jsonb_build_object('field', 'client_id', 'client_id', direct_message_by_client_id.client_id));
  end if;
  return v_row;
end;
$$;
comment on function private.direct_message_by_client_id(uuid, uuid, uuid) is
  'The direct message a user already sent with this client id (null when none); conflict when it is in another '
  'conversation. For send_direct_message retries. Internal.';
revoke execute on function private.direct_message_by_client_id(uuid, uuid, uuid) from public, anon, authenticated, service_role;

create function public.send_direct_message(conversation_id uuid, body text, client_id uuid default null)
returns public.direct_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  c_limit constant int := 20;
  v_uid uuid := auth.uid();
  v_body text := btrim(send_direct_message.body);
  v_now timestamptz;
  v_count int;
  v_oldest timestamptz;
  v_row public.direct_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to send messages.',
      jsonb_build_object('function', 'send_direct_message'));
  end if;
  -- Non-members get not_found, as for a conversation that does not exist.
  if not exists (select 1 from public.conversation_members cm
                 where cm.conversation_id = send_direct_message.conversation_id and cm.user_id = v_uid) then
    perform private.raise_error('not_found', 'No such conversation.',
      jsonb_build_object('conversation_id', send_direct_message.conversation_id));
  end if;
  -- A retry of a send that went through returns that message: nothing is sent, notified or counted.
  if send_direct_message.client_id is not null then
    v_row := private.direct_message_by_client_id(v_uid, send_direct_message.client_id, send_direct_message.conversation_id);
    if v_row.id is not null then
      return v_row;
    end if;
  end if;
  if v_body is null or char_length(v_body) not between 1 and 2000 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 2000 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 2000));
  end if;

  -- Serialise this user's sends (in every conversation): a parallel call waits until the previous
  -- one commits, then counts its message below.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('direct_messages:' || v_uid::text, 0));
  -- A retry that waited here for the first call sees its message now (and is not rate limited).
  if send_direct_message.client_id is not null then
    v_row := private.direct_message_by_client_id(v_uid, send_direct_message.client_id, send_direct_message.conversation_id);
    if v_row.id is not null then
      return v_row;
    end if;
  end if;
  v_now := pg_catalog.clock_timestamp();
  select count(*)::int into v_count
  from public.direct_messages m
  where m.user_id = v_uid and m.created_at > v_now - interval '60 seconds';
  if v_count >= c_limit then
    -- Allowed again once enough messages have left the rolling window to fall below the limit.
    select m.created_at into v_oldest
    from public.direct_messages m
    where m.user_id = v_uid and m.created_at > v_now - interval '60 seconds'
    order by m.created_at
    offset v_count - c_limit limit 1;
    perform private.raise_error('rate_limited', 'Too many messages: wait before sending again.',
      jsonb_build_object('limit', c_limit, 'window_seconds', 60),
      greatest(1, ceil(extract(epoch from v_oldest + interval '60 seconds' - v_now))::int));
  end if;

  insert into public.direct_messages as m (conversation_id, user_id, body, created_at, client_id)
  values (send_direct_message.conversation_id, v_uid, v_body, v_now, send_direct_message.client_id)
  returning m.* into v_row;
  update public.conversations c
     set last_message_at = greatest(c.last_message_at, v_now)
   where c.id = v_row.conversation_id;
  return v_row;
end;
$$;
comment on function public.send_direct_message(uuid, text, uuid) is
  'Sends a message to a conversation of the caller and returns the stored row; sets conversations.last_message_at, '
  'broadcasts `direct_message` {id, conversation_id, sender_id, sender_display_name, body, created_at} on user:<id> of '
  'every other member and notifies them (kind direct_message, at most one unread per conversation, honouring '
  'notification_preferences.in_app). Errors: not_authenticated; not_found (no such conversation or not a member); '
  'invalid_input (body 1-2000 characters after trimming); rate_limited (429, Retry-After) beyond 20 messages per user '
  'per rolling 60 s across all conversations; conflict (409) when client_id was used in another conversation. '
  'Idempotent with client_id (a uuid the client makes per message): a retry with the same client_id returns the '
  'message the first call sent (no second row, broadcast, notification or rate-limit charge), also when both calls '
  'run at the same time (every send of a user takes the same lock).';
revoke execute on function public.send_direct_message(uuid, text, uuid) from public, anon;
grant execute on function public.send_direct_message(uuid, text, uuid) to authenticated, service_role;

-- SECURITY INVOKER: the caller updates their own membership row (column grant + policy) and their own
-- notifications (read_at), both allowed by RLS.
-- last_read_at moves to the created_at of the newest message the caller can see (never backwards),
-- not to the clock: a message's created_at is stamped before its transaction commits, so a message
-- still committing while the recipient marks the conversation read would get a created_at before
-- last_read_at and never count as unread, while its notification stayed unread.
create function public.mark_conversation_read(conversation_id uuid)
returns public.conversation_members
language plpgsql volatile set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_row public.conversation_members;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'mark_conversation_read'));
  end if;
  -- Read up to what the caller can see now (RLS: the conversation's messages that are not deleted).
  update public.conversation_members cm
     set last_read_at = greatest(cm.last_read_at,
                                 (select max(m.created_at) from public.direct_messages m
                                  where m.conversation_id = mark_conversation_read.conversation_id))
   where cm.conversation_id = mark_conversation_read.conversation_id and cm.user_id = v_uid
  returning cm.* into v_row;
  if v_row.conversation_id is null then
    perform private.raise_error('not_found', 'No such conversation.',
      jsonb_build_object('conversation_id', mark_conversation_read.conversation_id));
  end if;
  update public.notifications n
     set read_at = now()
   where n.user_id = v_uid and n.read_at is null and n.kind = 'direct_message'
     and n.data ->> 'conversation_id' = mark_conversation_read.conversation_id::text;
  return v_row;
end;
$$;
comment on function public.mark_conversation_read(uuid) is
  'Marks a conversation read for the caller: last_read_at = the created_at of the newest message they can see (so '
  'my_conversations.unread_count drops to 0, and a message still being sent counts as unread once it arrives) and '
  'their unread direct_message notifications of it read. Returns the caller''s membership row. Errors: '
  'not_authenticated; not_found (no such conversation or not a member).';
revoke execute on function public.mark_conversation_read(uuid) from public, anon;
grant execute on function public.mark_conversation_read(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger direct_messages_clean_body before insert or update of body on public.direct_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();
create trigger conversations_clean_title before insert or update of title on public.conversations
  for each row execute function private.clean_body();

-- SECURITY DEFINER: realtime.send inserts into realtime.messages (no client insert policy for
-- broadcasts), private.notify is backend-only, and the other members' rows and notifications are
-- not the sender's to read. The payload is curated: never the whole row.
create function private.broadcast_new_direct_message()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_name text;
  v_payload jsonb;
  v_member uuid;
begin
  select p.display_name into v_name from public.profiles p where p.id = new.user_id;
  v_payload := jsonb_build_object('id', new.id, 'conversation_id', new.conversation_id, 'sender_id', new.user_id,
                                  'sender_display_name', v_name, 'body', new.body, 'created_at', new.created_at);
  for v_member in
    select cm.user_id from public.conversation_members cm
    where cm.conversation_id = new.conversation_id and cm.user_id <> new.user_id
    order by cm.user_id
  loop
    perform realtime.send(v_payload, 'direct_message', 'user:' || v_member::text, true);
    -- One unread notification per conversation is enough: the next one comes after it is read.
    if not exists (select 1 from public.notifications n
                   where n.user_id = v_member and n.read_at is null and n.kind = 'direct_message'
                     and n.data ->> 'conversation_id' = new.conversation_id::text) then
      perform private.notify(v_member, 'direct_message', 'New message from ' || coalesce(v_name, 'someone'),
        left(new.body, 200), '/messages/' || new.conversation_id::text,
        jsonb_build_object('conversation_id', new.conversation_id, 'message_id', new.id, 'sender_id', new.user_id));
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_new_direct_message() is
  'Trigger: for every member but the sender, broadcasts `direct_message` {id, conversation_id, sender_id, '
  'sender_display_name, body, created_at} on user:<member id>, and creates a direct_message notification (title '
  '"New message from <name>", body the first 200 characters, link /messages/<conversation_id>) unless the member '
  'already has an unread one for this conversation; private.notify skips it when their in_app preference is off.';
revoke execute on function private.broadcast_new_direct_message()
  from public, anon, authenticated, service_role;
create trigger broadcast_new_direct_message after insert on public.direct_messages
  for each row execute function private.broadcast_new_direct_message();

-- The direct_message notification copies the first 200 characters of the message. When moderation
-- (service_role) sets a message's deleted_at, each unread notification that shows it moves on to
-- the next message of the conversation the recipient has not written themselves, or is deleted
-- when there is none; a read one is deleted. When its body changes, the notification shows the
-- new text.
-- Security definer: the notifications belong to the other members of the conversation.
create function private.direct_message_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_notification record;
  v_next record;
begin
  for v_notification in
    select n.id, n.user_id, n.read_at from public.notifications n
    where n.kind = 'direct_message' and n.data ->> 'message_id' = new.id::text
      and n.user_id in (select cm.user_id from public.conversation_members cm where cm.conversation_id = new.conversation_id)
  loop
    if new.deleted_at is null then
      update public.notifications n set body = left(new.body, 200) where n.id = v_notification.id;
      continue;
    end if;
    select m.id, m.user_id, m.body, p.display_name into v_next
    from public.direct_messages m
    left join public.profiles p on p.id = m.user_id
    where m.conversation_id = new.conversation_id and m.deleted_at is null and m.user_id <> v_notification.user_id
      and (m.created_at, m.id) > (new.created_at, new.id)
    order by m.created_at, m.id
    limit 1;
    -- A read notification is not moved (a later message may have its own): it goes.
    if v_next.id is null or v_notification.read_at is not null then
      delete from public.notifications n where n.id = v_notification.id;
    else
      update public.notifications n
         set title = 'New message from ' || coalesce(v_next.display_name, 'someone'),
             body = left(v_next.body, 200),
             data = n.data || jsonb_build_object('message_id', v_next.id, 'sender_id', v_next.user_id)
       where n.id = v_notification.id;
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.direct_message_changed() is
  'Trigger after a direct message is deleted or edited: its unread notifications move on to the next message the '
  'recipient did not write (else, and when read, they are deleted), or show the new text. Internal.';
revoke execute on function private.direct_message_changed() from public, anon, authenticated, service_role;
create trigger direct_message_changed after update of body, deleted_at on public.direct_messages
  for each row
  when (old.deleted_at is distinct from new.deleted_at and new.deleted_at is not null
        or old.body is distinct from new.body and new.deleted_at is null)
  execute function private.direct_message_changed();
