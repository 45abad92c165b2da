-- Chat of a live session: messages (no client writes: RPCs only), pinning, moderation (delete),
-- history and catch-up after a reconnect, slow mode and rate limits, and the `new_message`,
-- `message_pinned` and `message_deleted` broadcasts on session:<id>.
-- Tables: public.chat_messages. Bans (session_bans, ban_user, unban_user) are in 20_sessions.sql: a
-- ban removes a user from the whole session; what a new ban does to the chat is here.
-- Who receives the broadcasts: the realtime.messages policies, 41_realtime.sql.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.chat_messages (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  room_id uuid null references public.rooms (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null,
  kind text not null default 'message',
  is_pinned boolean not null default false,
  pinned_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  client_id uuid,
  constraint chat_messages_body_length check (char_length(body) between 1 and 500 and body = btrim(body)),
  constraint chat_messages_kind_valid check (kind in ('message', 'announcement')),
  constraint chat_messages_pinned_at_set check (is_pinned = (pinned_at is not null)),
  constraint chat_messages_deleted_by_needs_deleted_at check (deleted_by is null or deleted_at is not null),
  constraint chat_messages_deleted_not_pinned check (deleted_at is null or not is_pinned)
);
comment on table public.chat_messages is
  'Chat of a session (and optionally of one of its breakout rooms). Written only by send_chat_message, '
  'pin_message and delete_message. Members read non-deleted messages; staff also read deleted ones.';
comment on column public.chat_messages.room_id is 'Breakout room the message was posted in; null for the session''s main chat.';
comment on column public.chat_messages.body is 'Message text, stored trimmed, 1-500 characters.';
comment on column public.chat_messages.kind is 'message (anyone who may post) or announcement (session staff only).';
comment on column public.chat_messages.is_pinned is 'Pinned by a host or moderator (pin_message); pinned_at says when.';
comment on column public.chat_messages.deleted_at is
  'Soft delete (delete_message): set, the message is hidden from members; staff still read it, flagged by this column.';
comment on column public.chat_messages.client_id is
  'Optional id the sending client made for this message (send_chat_message client_id, the send-message Idempotency-Key): '
  'a retry with the same id returns this message instead of posting it again. Unique per author.';
comment on column public.chat_messages.created_at is
  'Time of posting (clock time taken after the per-user lock, so one user''s messages are strictly ordered). '
  'Pagination orders by (created_at, id).';
alter table public.chat_messages enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- Keyset pagination of a session's chat: (created_at, id) descending.
create index chat_messages_session_page_idx on public.chat_messages (session_id, created_at desc, id desc);
-- The user_id foreign key, and the slow mode / rate limit look-ups of one user in one session.
create index chat_messages_user_session_idx on public.chat_messages (user_id, session_id, created_at desc);
create index chat_messages_room_id_idx on public.chat_messages (room_id);
create index chat_messages_deleted_by_idx on public.chat_messages (deleted_by);
create index chat_messages_pinned_idx on public.chat_messages (session_id, pinned_at desc) where is_pinned;
-- Idempotent sends: one message per author and client id. Partial, so sends without one never touch it.
create unique index chat_messages_user_id_client_id_key on public.chat_messages (user_id, client_id)
  where client_id is not null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- A message as the RPCs answer it: the row plus the author's display name, initials and session
-- role (host, moderator, speaker or null), so clients can show a badge. PL/pgSQL, not SQL: a SQL
-- function with SET is planned again on every call, and a page calls it once per message (~20 us
-- each; a simple PL/pgSQL expression is evaluated without planning).
create function private.chat_message_json(m public.chat_messages, display_name text, initials text, author_role text)
returns jsonb
language plpgsql immutable parallel safe set search_path = '' as $$
begin
  return jsonb_build_object(
    'id', m.id, 'session_id', m.session_id, 'room_id', m.room_id, 'user_id', m.user_id,
    'display_name', display_name, 'initials', initials, 'author_role', author_role,
    'body', m.body, 'kind', m.kind, 'is_pinned', m.is_pinned, 'pinned_at', m.pinned_at,
    'is_deleted', m.deleted_at is not null, 'deleted_at', m.deleted_at, 'deleted_by', m.deleted_by,
    'created_at', m.created_at);
end;
$$;
comment on function private.chat_message_json(public.chat_messages, text, text, text) is
  'JSON of a chat message for chat_history/chat_since: row fields, author display_name, initials and author_role '
  '(host, moderator, speaker or null), is_deleted.';
revoke execute on function private.chat_message_json(public.chat_messages, text, text, text) from public, anon;
grant execute on function private.chat_message_json(public.chat_messages, text, text, text)
  to authenticated, service_role;

-- SECURITY DEFINER: the staff of a session with their roles, for the author_role of chat messages,
-- read once per page (a session has a handful of staff). Answers only for a session the caller may
-- see, whose staff the session_staff policy shows them anyway.
create function private.session_staff_roles(session_id uuid)
returns table (user_id uuid, role text)
language plpgsql stable security definer rows 5 set search_path = '' as $$
begin
  if not private.can_see_session(session_staff_roles.session_id) then
    return;
  end if;
  return query
    select st.user_id, st.role from public.session_staff st where st.session_id = session_staff_roles.session_id;
end;
$$;
comment on function private.session_staff_roles(uuid) is
  'Staff of a session the caller may see, with their role (host, moderator, speaker); empty otherwise. For the '
  'author_role of chat messages. Security definer: reads session_staff across RLS.';
revoke execute on function private.session_staff_roles(uuid) from public, anon;
grant execute on function private.session_staff_roles(uuid) to authenticated, service_role;

-- SECURITY DEFINER: the catch-up anchor may be a message the caller can no longer read (deleted
-- while they were offline); only its timestamp is returned, and only to members of its session.
create function private.chat_message_anchor(session_id uuid, message_id uuid)
returns timestamptz
language sql stable security definer set search_path = '' as $$
  select m.created_at from public.chat_messages m
  where m.id = chat_message_anchor.message_id
    and m.session_id = chat_message_anchor.session_id
    and m.session_id in (select private.my_session_ids())
$$;
comment on function private.chat_message_anchor(uuid, uuid) is
  'created_at of a message of the session, for members of that session (null otherwise). Used by chat_since.';
revoke execute on function private.chat_message_anchor(uuid, uuid) from public, anon;
grant execute on function private.chat_message_anchor(uuid, uuid) to authenticated, service_role;

-- SECURITY INVOKER: reads through the chat_messages policies, so staff see deleted messages and
-- members do not. The body of public.chat_history, whose API parameter is named "limit" (a reserved
-- word plpgsql_check rejects as a plpgsql parameter name).
create function private.chat_history_page(
  session_id uuid,
  before timestamptz,
  page_size integer,
  before_id uuid
) returns jsonb
language plpgsql stable security invoker set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_before timestamptz := coalesce(chat_history_page.before, 'infinity'::timestamptz);
  -- Without before_id the cursor is exclusive of the whole instant `before`.
  v_before_id uuid := coalesce(chat_history_page.before_id, '00000000-0000-0000-0000-000000000000'::uuid);
  v_messages jsonb;
  v_count int;
  v_last jsonb;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to read the chat.', jsonb_build_object('function', 'chat_history'));
  end if;
  if chat_history_page.page_size is null or chat_history_page.page_size not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The limit must be between 1 and 200.',
      jsonb_build_object('field', 'limit', 'min', 1, 'max', 200));
  end if;
  if chat_history_page.before_id is not null and chat_history_page.before is null then
    perform private.raise_error('invalid_input', 'before_id needs before.', jsonb_build_object('field', 'before_id'));
  end if;
  perform private.require_session_access(chat_history_page.session_id, 'member');

  select coalesce(jsonb_agg(private.chat_message_json(p.m, p.display_name, p.initials, p.role)
                            order by (p.m).created_at desc, (p.m).id desc), '[]'::jsonb),
         count(*)::int
    into v_messages, v_count
  from (
    select m, pr.display_name, pr.initials, st.role
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    left join private.session_staff_roles(chat_history_page.session_id) st on st.user_id = m.user_id
    where m.session_id = chat_history_page.session_id
      and (m.created_at, m.id) < (v_before, v_before_id)
    order by m.created_at desc, m.id desc
    limit chat_history_page.page_size + 1
  ) p;

  if v_count > chat_history_page.page_size then
    v_messages := v_messages - chat_history_page.page_size;
  end if;
  v_last := v_messages -> -1;
  return jsonb_build_object(
    'messages', v_messages,
    'has_more', v_count > chat_history_page.page_size,
    'next_before', case when v_count > chat_history_page.page_size then v_last -> 'created_at' end,
    'next_before_id', case when v_count > chat_history_page.page_size then v_last -> 'id' end);
end;
$$;
comment on function private.chat_history_page(uuid, timestamptz, integer, uuid) is
  'Body of public.chat_history (same arguments, limit named page_size).';
revoke execute on function private.chat_history_page(uuid, timestamptz, int, uuid)
  from public, anon, service_role;
grant execute on function private.chat_history_page(uuid, timestamptz, int, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.chat_messages from public, anon, authenticated, service_role;
grant select on table public.chat_messages to authenticated;
grant all on table public.chat_messages to service_role;
create policy "members read the chat of their sessions and staff also read deleted messages"
  on public.chat_messages for select to authenticated
  using (
    session_id in (select private.my_chat_session_ids())
    and (deleted_at is null or session_id in (select private.staff_session_ids(array['host', 'moderator'])))
  );

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- The message an earlier call with this client id posted, for a retry; a client id already used in
-- another session is a conflict (the client reused an id by mistake: posting nothing is safer).
-- Internal: runs inside send_chat_message (security definer), for the caller's own messages only.
create function private.chat_message_by_client_id(user_id uuid, client_id uuid, session_id uuid)
returns public.chat_messages
language plpgsql stable set search_path = '' as $$
declare
  v_row public.chat_messages;
begin
  select m.* into v_row from public.chat_messages m
  where m.user_id = chat_message_by_client_id.user_id and m.client_id = chat_message_by_client_id.client_id
    and chat_message_by_client_id.client_id is not null;
  if v_row.id is not null and v_row.session_id <> chat_message_by_client_id.session_id then
    perform private.raise_error('conflict', 'This client_id was already used for a message in another session.',
      jsonb_build_object('field', 'client_id', 'client_id', chat_message_by_client_id.client_id));
  end if;
  return v_row;
end;
$$;
comment on function private.chat_message_by_client_id(uuid, uuid, uuid) is
  'The chat message a user already posted with this client id (null when none); conflict when it is in another '
  'session. For send_chat_message retries. Internal.';
revoke execute on function private.chat_message_by_client_id(uuid, uuid, uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on chat_messages, and the limits must count the
-- caller's deleted messages too (hidden from them by RLS). Membership and visibility of this one
-- session are checked with the one-session helpers (private.is_session_member, can_see_session),
-- not by listing all of the caller's sessions: posting is a hot path.
create function public.send_chat_message(session_id uuid, body text, room_id uuid default null, kind text default 'message',
                                         client_id uuid default null)
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
#variable_conflict use_column
-- (The ON CONFLICT target names columns that are also parameters: the columns are meant.)
declare
  v_uid uuid := (select auth.uid());
  v_body text := btrim(send_chat_message.body);
  v_kind text := coalesce(send_chat_message.kind, 'message');
  v_session record;
  v_is_staff boolean;
  v_limit int;
  v_now timestamptz;
  v_last timestamptz;
  v_count int;
  v_oldest timestamptz;
  v_row public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to chat.', jsonb_build_object('function', 'send_chat_message'));
  end if;
  -- A retry of a send that went through returns that message: nothing is posted, broadcast or counted.
  if send_chat_message.client_id is not null then
    v_row := private.chat_message_by_client_id(v_uid, send_chat_message.client_id, send_chat_message.session_id);
    if v_row.id is not null then
      return v_row;
    end if;
  end if;

  select s.id, s.status::text as status, s.chat_enabled, s.slow_mode_seconds, s.chat_rate_limit
    into v_session
  from public.sessions s where s.id = send_chat_message.session_id;
  -- Members first (the common case, a short list); only others pay for the visibility check.
  if v_session.id is null or not private.is_session_member(v_session.id) then
    if v_session.id is null or not private.can_see_session(v_session.id) then
      perform private.raise_error('not_found', 'No such session.', jsonb_build_object('session_id', send_chat_message.session_id));
    end if;
    perform private.raise_error('forbidden', 'Only members of the session can chat.',
      jsonb_build_object('session_id', v_session.id));
  end if;
  v_is_staff := exists (select 1 from public.session_staff st where st.session_id = v_session.id and st.user_id = v_uid);
  if not v_is_staff then
    -- Serialise this user's posts in this session (not the whole audience): a parallel call waits
    -- here until the previous one commits, then sees its message in the counts below. A ban takes
    -- the same lock (session_bans_wait_for_sends), so the ban check below runs after it: a call
    -- queued here while the user was banned is refused, not posted.
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('chat:' || v_session.id::text || ':' || v_uid::text, 0));
    -- A retry that waited here for the first call sees its message now (and is not rate limited).
    if send_chat_message.client_id is not null then
      v_row := private.chat_message_by_client_id(v_uid, send_chat_message.client_id, v_session.id);
      if v_row.id is not null then
        return v_row;
      end if;
    end if;
  end if;
  if exists (select 1 from public.session_bans b where b.session_id = v_session.id and b.user_id = v_uid) then
    perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_session.id));
  end if;
  if not v_session.chat_enabled or v_session.status in ('ended', 'cancelled') then
    perform private.raise_error('chat_disabled', 'The chat of this session is closed.',
      jsonb_build_object('session_id', v_session.id, 'status', v_session.status));
  end if;

  if v_body is null or char_length(v_body) not between 1 and 500 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 500 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 500));
  end if;
  if v_kind not in ('message', 'announcement') then
    perform private.raise_error('invalid_input', 'The kind must be message or announcement.',
      jsonb_build_object('field', 'kind', 'allowed', jsonb_build_array('message', 'announcement')));
  end if;
  if send_chat_message.room_id is not null and not exists (
      select 1 from public.rooms r where r.id = send_chat_message.room_id and r.session_id = v_session.id) then
    perform private.raise_error('invalid_input', 'The room does not belong to this session.',
      jsonb_build_object('field', 'room_id', 'room_id', send_chat_message.room_id));
  end if;
  if v_kind = 'announcement' and not v_is_staff then
    perform private.raise_error('forbidden', 'Only session staff post announcements.', jsonb_build_object('kind', v_kind));
  end if;

  if not v_is_staff then
    v_now := pg_catalog.clock_timestamp();

    if coalesce(v_session.slow_mode_seconds, 0) > 0 then
      select max(m.created_at) into v_last
      from public.chat_messages m
      where m.user_id = v_uid and m.session_id = v_session.id;
      if v_last is not null and v_last + make_interval(secs => v_session.slow_mode_seconds) > v_now then
        perform private.raise_error('slow_mode', 'Slow mode is on: wait before posting again.',
          jsonb_build_object('slow_mode_seconds', v_session.slow_mode_seconds),
          ceil(extract(epoch from v_last + make_interval(secs => v_session.slow_mode_seconds) - v_now))::int);
      end if;
    end if;

    v_limit := coalesce(v_session.chat_rate_limit, 5);
    select count(*)::int into v_count
    from public.chat_messages m
    where m.user_id = v_uid and m.session_id = v_session.id and m.created_at > v_now - interval '60 seconds';
    if v_count >= v_limit then
      -- Allowed again once enough messages have left the rolling window to fall below the limit.
      select m.created_at into v_oldest
      from public.chat_messages m
      where m.user_id = v_uid and m.session_id = v_session.id and m.created_at > v_now - interval '60 seconds'
      order by m.created_at
      offset v_count - v_limit limit 1;
      perform private.raise_error('rate_limited', 'Too many messages: wait before posting again.',
        jsonb_build_object('limit', v_limit, 'window_seconds', 60),
        greatest(1, ceil(extract(epoch from v_oldest + interval '60 seconds' - v_now))::int));
    end if;
  else
    v_now := pg_catalog.clock_timestamp();
  end if;

  -- Staff take no lock: two retries of theirs meet at the unique index, and the second returns the first.
  insert into public.chat_messages as m (session_id, room_id, user_id, body, kind, created_at, client_id)
  values (v_session.id, send_chat_message.room_id, v_uid, v_body, v_kind, v_now, send_chat_message.client_id)
  on conflict (user_id, client_id) where client_id is not null do nothing
  returning m.* into v_row;
  if v_row.id is null then
    v_row := private.chat_message_by_client_id(v_uid, send_chat_message.client_id, v_session.id);
  end if;
  return v_row;
end;
$$;
comment on function public.send_chat_message(uuid, text, uuid, text, uuid) is
  'The only way to post in a session''s chat; returns the stored chat_messages row and broadcasts new_message. '
  'In one transaction: not_authenticated; not_found (session not visible); forbidden (not a member); banned; '
  'chat_disabled (chat_enabled off, or the session ended or was cancelled); invalid_input (body 1-500 characters '
  'after trimming, kind message/announcement, room of this session); forbidden (announcement by non-staff); '
  'slow_mode (429, Retry-After = seconds until allowed) when slow_mode_seconds is set; rate_limited (429, '
  'Retry-After = seconds until a message leaves the window) beyond chat_rate_limit (default 5) messages per '
  'rolling 60 s. Session staff are exempt from slow mode and the rate limit. Deleted messages still count. '
  'Idempotent with client_id (a uuid the client makes per message): a retry with the same client_id returns the '
  'message the first call posted (no second row, broadcast or rate-limit charge), also when both calls run at the '
  'same time; conflict (409) when that client_id was used in another session.';
revoke execute on function public.send_chat_message(uuid, text, uuid, text, uuid) from public, anon;
grant execute on function public.send_chat_message(uuid, text, uuid, text, uuid) to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on chat_messages.
create function public.pin_message(message_id uuid, pinned boolean)
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_msg public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to pin messages.', jsonb_build_object('function', 'pin_message'));
  end if;
  if pin_message.pinned is null then
    perform private.raise_error('invalid_input', 'Say whether to pin or unpin.', jsonb_build_object('field', 'pinned'));
  end if;
  select m.* into v_msg from public.chat_messages m
  where m.id = pin_message.message_id
    -- Platform admins moderate every session without being members (75_admin_powers.sql).
    and (m.session_id in (select private.my_session_ids()) or private.is_admin())
  for update;
  if v_msg.id is null then
    perform private.raise_error('not_found', 'No such message.', jsonb_build_object('message_id', pin_message.message_id));
  end if;
  if not private.is_session_staff(v_msg.session_id, array['host', 'moderator']) then
    perform private.raise_error('forbidden', 'Only hosts and moderators pin messages.',
      jsonb_build_object('session_id', v_msg.session_id));
  end if;
  if v_msg.deleted_at is not null then
    perform private.raise_error('invalid_transition', 'A deleted message cannot be pinned.',
      jsonb_build_object('message_id', v_msg.id));
  end if;
  if v_msg.is_pinned is distinct from pin_message.pinned then
    update public.chat_messages m
       set is_pinned = pin_message.pinned,
           pinned_at = case when pin_message.pinned then now() end
     where m.id = v_msg.id
    returning m.* into v_msg;
  end if;
  return v_msg;
end;
$$;
comment on function public.pin_message(uuid, boolean) is
  'Hosts and moderators pin (true) or unpin (false) a message; returns the row and broadcasts message_pinned when '
  'the state changes (a repeated call is a no-op). Errors: not_authenticated, not_found (no such message in a '
  'session of the caller), forbidden, invalid_input, invalid_transition (deleted message).';
revoke execute on function public.pin_message(uuid, boolean) from public, anon;
grant execute on function public.pin_message(uuid, boolean) to authenticated, service_role;

-- SECURITY DEFINER: clients have no update grant on chat_messages.
create function public.delete_message(message_id uuid)
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_msg public.chat_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to delete messages.', jsonb_build_object('function', 'delete_message'));
  end if;
  select m.* into v_msg from public.chat_messages m
  where m.id = delete_message.message_id
    -- Platform admins moderate every session without being members (75_admin_powers.sql).
    and (m.session_id in (select private.my_session_ids()) or private.is_admin())
  for update;
  if v_msg.id is null then
    perform private.raise_error('not_found', 'No such message.', jsonb_build_object('message_id', delete_message.message_id));
  end if;
  if not private.is_session_staff(v_msg.session_id, array['host', 'moderator']) then
    if v_msg.user_id <> v_uid then
      perform private.raise_error('forbidden', 'Only hosts, moderators and the author delete a message.',
        jsonb_build_object('message_id', v_msg.id));
    end if;
    if private.is_banned(v_msg.session_id, v_uid) then
      perform private.raise_error('banned', 'You are banned from this session.', jsonb_build_object('session_id', v_msg.session_id));
    end if;
  end if;
  if v_msg.deleted_at is null then
    update public.chat_messages m
       set deleted_at = now(), deleted_by = v_uid, is_pinned = false, pinned_at = null
     where m.id = v_msg.id
    returning m.* into v_msg;
  end if;
  return v_msg;
end;
$$;
comment on function public.delete_message(uuid) is
  'Soft-deletes a message (deleted_at, deleted_by; also unpins it) and broadcasts message_deleted. Allowed to the '
  'session''s hosts and moderators, and to the author for their own message (unless banned). Deleting a deleted '
  'message returns it unchanged. Errors: not_authenticated, not_found, forbidden, banned.';
revoke execute on function public.delete_message(uuid) from public, anon;
grant execute on function public.delete_message(uuid) to authenticated, service_role;

create function public.chat_history(
  session_id uuid,
  before timestamptz default null,
  "limit" integer default 50,
  before_id uuid default null
) returns jsonb
language sql stable security invoker set search_path = '' as $$
  select private.chat_history_page(chat_history.session_id, chat_history.before, chat_history."limit", chat_history.before_id)
$$;
comment on function public.chat_history(uuid, timestamptz, integer, uuid) is
  'A page of a session''s chat, newest first: {messages: [...], has_more, next_before, next_before_id}. Each '
  'message carries display_name, initials and author_role (host, moderator, speaker or null) of its author, and is_deleted (deleted ones are returned to staff '
  'only). Keyset pagination on (created_at, id): pass next_before and next_before_id of the previous page; pages '
  'stay stable while messages arrive. limit 1-200 (default 50). Errors: not_authenticated, invalid_input, '
  'not_found, forbidden (not a member), banned.';
revoke execute on function public.chat_history(uuid, timestamptz, int, uuid) from public, anon;
grant execute on function public.chat_history(uuid, timestamptz, int, uuid) to authenticated, service_role;

-- SECURITY INVOKER: like chat_history; only the anchor's timestamp is read across RLS.
-- overlap: a message's created_at is stamped inside send_chat_message before its transaction
-- commits, and only one user's posts are serialised, so two members' messages can commit in the
-- other order. A client that saw the later-stamped one first would never receive the other on a
-- reconnect; the time between stamping and commit is milliseconds, so 5 seconds of overlap cover it.
create function public.chat_since(session_id uuid, after_id uuid)
returns jsonb
language plpgsql stable security invoker set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_after timestamptz;
  v_messages jsonb;
  v_overlap jsonb;
  v_count int;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to read the chat.', jsonb_build_object('function', 'chat_since'));
  end if;
  perform private.require_session_access(chat_since.session_id, 'member');
  v_after := private.chat_message_anchor(chat_since.session_id, chat_since.after_id);
  if v_after is null then
    perform private.raise_error('invalid_input', 'after_id is not a message of this session.',
      jsonb_build_object('field', 'after_id', 'after_id', chat_since.after_id));
  end if;

  select coalesce(jsonb_agg(private.chat_message_json(p.m, p.display_name, p.initials, p.role)
                            order by (p.m).created_at, (p.m).id), '[]'::jsonb),
         count(*)::int
    into v_messages, v_count
  from (
    select m, pr.display_name, pr.initials, st.role
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    left join private.session_staff_roles(chat_since.session_id) st on st.user_id = m.user_id
    where m.session_id = chat_since.session_id
      and (m.created_at, m.id) > (v_after, chat_since.after_id)
    order by m.created_at, m.id
    limit 501
  ) p;
  if v_count > 500 then
    v_messages := v_messages - 500;
  end if;

  -- Messages stamped just before the anchor may have committed after it was read.
  select coalesce(jsonb_agg(private.chat_message_json(o.m, o.display_name, o.initials, o.role)
                            order by (o.m).created_at, (o.m).id), '[]'::jsonb)
    into v_overlap
  from (
    select m, pr.display_name, pr.initials, st.role
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    left join private.session_staff_roles(chat_since.session_id) st on st.user_id = m.user_id
    where m.session_id = chat_since.session_id
      and m.created_at >= v_after - interval '5 seconds'
      and (m.created_at, m.id) < (v_after, chat_since.after_id)
    order by m.created_at desc, m.id desc
    limit 100
  ) o;
  return jsonb_build_object('messages', v_messages, 'has_more', v_count > 500, 'overlap', v_overlap);
end;
$$;
comment on function public.chat_since(uuid, uuid) is
  'Catch-up after a reconnect: {messages: [...oldest first...], has_more, overlap} with the messages posted after the '
  'message after_id (which may since have been deleted), at most 500; call again from the last one while has_more. '
  'overlap: the messages stamped in the 5 seconds up to after_id (at most 100, oldest first), since one committed late '
  'may sort before a message already seen: merge them by id. Same message shape and visibility as chat_history. '
  'Errors: not_authenticated, not_found, forbidden, banned, invalid_input (after_id not in this session).';
revoke execute on function public.chat_since(uuid, uuid) from public, anon;
grant execute on function public.chat_since(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- The WHEN clause (the same character class as private.clean_text, at either end) keeps the common
-- case, a body the RPC already trimmed, free of a function call: chat posting is a hot path.
create trigger chat_messages_clean_body before insert or update of body on public.chat_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();

-- Broadcast trigger functions are SECURITY DEFINER: realtime.send inserts into realtime.messages,
-- where clients have no insert policy for broadcasts. Payloads are curated, never the whole row.
create function private.broadcast_new_chat_message()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'id', new.id, 'session_id', new.session_id, 'room_id', new.room_id, 'user_id', new.user_id,
      'display_name', (select p.display_name from public.profiles p where p.id = new.user_id),
      'author_role', (select st.role from public.session_staff st
                      where st.session_id = new.session_id and st.user_id = new.user_id),
      'body', new.body, 'kind', new.kind, 'created_at', new.created_at),
    'new_message', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_new_chat_message() is
  'Trigger: broadcasts new_message {id, session_id, room_id, user_id, display_name, author_role (host, moderator, '
  'speaker or null), body, kind, created_at} on session:<id>.';
revoke execute on function private.broadcast_new_chat_message()
  from public, anon, authenticated, service_role;
create trigger broadcast_new_chat_message
  after insert on public.chat_messages
  for each row execute function private.broadcast_new_chat_message();

create function private.broadcast_chat_message_pinned()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('id', new.id, 'is_pinned', new.is_pinned),
                        'message_pinned', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_chat_message_pinned() is 'Trigger: broadcasts message_pinned {id, is_pinned} on session:<id>.';
revoke execute on function private.broadcast_chat_message_pinned()
  from public, anon, authenticated, service_role;
create trigger broadcast_chat_message_pinned
  after update of is_pinned on public.chat_messages
  for each row when (old.is_pinned is distinct from new.is_pinned and new.deleted_at is null)
  execute function private.broadcast_chat_message_pinned();

create function private.broadcast_chat_message_deleted()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(jsonb_build_object('id', new.id), 'message_deleted', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_chat_message_deleted() is 'Trigger: broadcasts message_deleted {id} on session:<id>.';
revoke execute on function private.broadcast_chat_message_deleted()
  from public, anon, authenticated, service_role;
create trigger broadcast_chat_message_deleted
  after update of deleted_at on public.chat_messages
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function private.broadcast_chat_message_deleted();

-- send_chat_message takes a per-user lock before it checks for a ban, and every new ban takes the
-- same lock (whichever path writes the ban): a send in progress commits before the ban does, and
-- any send after it sees the ban. Without it, a burst of parallel sends already past the check
-- posted after the ban committed (measured: 14 messages up to 233 ms later). Staff, who take no
-- lock, cannot be banned.
-- Security definer: the lock is the one send_chat_message takes for this user and session.
create function private.session_bans_wait_for_sends()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('chat:' || new.session_id::text || ':' || new.user_id::text, 0));
  return new;
end;
$$;
comment on function private.session_bans_wait_for_sends() is
  'Trigger: a new ban waits for the banned user''s chat message in progress (send_chat_message''s per-user lock), so '
  'no message of theirs is posted after the ban. Internal.';
revoke execute on function private.session_bans_wait_for_sends()
  from public, anon, authenticated, service_role;
create trigger session_bans_wait_for_sends before insert on public.session_bans
  for each row execute function private.session_bans_wait_for_sends();
