-- Realtime: who may receive and send on the private channels. Triggers in every capability broadcast
-- with realtime.send() (SECURITY DEFINER, curated payloads, never a whole row); these policies on
-- realtime.messages (a platform table: only its policies are the project's) decide who receives them.
-- Topics: `session:<uuid>` for everything inside a live session, `user:<uuid>` for one person's
-- notifications, bookings, bans and direct messages.

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The session id of a `session:<uuid>` topic, null for any other text. The regex is checked before
-- the cast, so a malformed topic is simply not a session topic and never raises.
create function private.topic_session_id(topic text)
returns uuid
language sql immutable parallel safe set search_path = '' as $$
  select case
    when topic ~ '^session:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    then substr(topic, 9)::uuid
  end
$$;
comment on function private.topic_session_id(text) is
  'Session id of a Realtime topic of the form session:<uuid>; null for anything else (never raises).';
revoke execute on function private.topic_session_id(text) from public, anon;
grant execute on function private.topic_session_id(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies on realtime.messages
-- ---------------------------------------------------------------------------------------------

-- Realtime private channels. Read (receive): `session:<id>` for members who are not banned,
-- `user:<id>` for that user only; anon nothing. Write: clients never broadcast (only the database
-- does, through SECURITY DEFINER triggers); the one client insert allowed is a `presence` row on a
-- session channel the user may read, so clients can track who is in the room.
create policy "members receive their sessions' broadcasts and users their own"
  on realtime.messages for select to authenticated
  using (
    topic = (select realtime.topic())
    and (
      topic = 'user:' || (select auth.uid())::text
      or (
        (select private.topic_session_id((select realtime.topic()))) in (select private.my_session_ids())
        and (select private.topic_session_id((select realtime.topic()))) not in (select private.my_banned_session_ids())
      )
    )
  );
create policy "members can track their presence on their sessions' channels"
  on realtime.messages for insert to authenticated
  with check (
    extension = 'presence'
    and topic = (select realtime.topic())
    and (select private.topic_session_id((select realtime.topic()))) in (select private.my_session_ids())
    and (select private.topic_session_id((select realtime.topic()))) not in (select private.my_banned_session_ids())
  );
