-- A ban stops the user's chat messages that were already queued when it was given.
--
-- Why: send_chat_message checked for a ban before it took the per-user lock that serialises one
-- user's posts (and their rate limit). In a burst of parallel sends every call waiting for that lock
-- had already passed the check, so after a moderator's ban_user committed the queued calls still
-- posted and broadcast their messages (measured: 14 messages up to 233 ms after the ban).
--
-- Now send_chat_message takes the lock first and checks the ban after it, and every new ban takes
-- the same lock (a trigger on session_bans, whichever path writes the ban): a send in progress
-- commits before the ban does, and any send after it sees the ban. The checks and their errors are
-- unchanged; staff, who take no lock, cannot be banned. Same body otherwise (as landed in
-- 20261121231000).

create or replace function public.send_chat_message(session_id uuid, body text, room_id uuid default null, kind text default 'message')
returns public.chat_messages
language plpgsql volatile security definer set search_path = '' as $$
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

  insert into public.chat_messages as m (session_id, room_id, user_id, body, kind, created_at)
  values (v_session.id, send_chat_message.room_id, v_uid, v_body, v_kind, v_now)
  returning m.* into v_row;
  return v_row;
end;
$$;

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
revoke execute on function private.session_bans_wait_for_sends() from public, anon, authenticated;

create trigger session_bans_wait_for_sends before insert on public.session_bans
  for each row execute function private.session_bans_wait_for_sends();
