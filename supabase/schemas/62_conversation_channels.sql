-- Direct messages live: the private Realtime topic `conversation:<uuid>` of one conversation. Its
-- members (and nobody else, a removed member no longer) receive on it, send their own `typing`
-- broadcasts and track Presence there (who has the conversation open); the database sends
-- `conversation_read` there when a member's read marker moves forward (mark_conversation_read).
-- New messages still arrive on each recipient's `user:<id>` (60_direct_messages.sql), with their
-- notification. The session and user topics are in 41_realtime.sql; these policies are added to them
-- (permissive policies: any one that passes allows).
-- Tables: none (policies on realtime.messages, a trigger on conversation_members).
--
-- Realtime authorizes a channel per extension (broadcast, presence) when a client joins, never per
-- event name: a member who may broadcast on the topic may send any event there. Clients therefore
-- take `typing` and Presence as hints from fellow members, and the read state itself from
-- conversation_members.last_read_at (which only mark_conversation_read writes).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The conversation id of a `conversation:<uuid>` topic, null for any other text (never raises).
create function private.topic_conversation_id(topic text)
returns uuid
language sql immutable parallel safe set search_path = '' as $$
  select case
    when topic ~ '^conversation:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    then substr(topic, 14)::uuid
  end
$$;
comment on function private.topic_conversation_id(text) is
  'Conversation id of a Realtime topic of the form conversation:<uuid>; null for anything else (never raises).';
revoke execute on function private.topic_conversation_id(text) from public, anon;
grant execute on function private.topic_conversation_id(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies on realtime.messages
-- ---------------------------------------------------------------------------------------------

create policy "members receive their conversations' channels"
  on realtime.messages for select to authenticated
  using (
    topic = (select realtime.topic())
    and (select private.topic_conversation_id((select realtime.topic()))) in (select private.my_conversation_ids())
  );
create policy "members broadcast and track presence in their conversations"
  on realtime.messages for insert to authenticated
  with check (
    extension in ('broadcast', 'presence')
    and topic = (select realtime.topic())
    and (select private.topic_conversation_id((select realtime.topic()))) in (select private.my_conversation_ids())
  );

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Read receipts: who read up to which message, when the read marker moves forward (never for a call
-- that changes nothing). message_id is the newest message at or before the marker that is not deleted.
-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md), and
-- the reader's update of their own row (mark_conversation_read, security invoker) fires it.
create function private.broadcast_conversation_read()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'conversation_id', new.conversation_id, 'user_id', new.user_id, 'last_read_at', new.last_read_at,
      'message_id', (select m.id from public.direct_messages m
                     where m.conversation_id = new.conversation_id and m.created_at <= new.last_read_at
                       and m.deleted_at is null
                     order by m.created_at desc, m.id desc limit 1)),
    'conversation_read', 'conversation:' || new.conversation_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_conversation_read() is
  'Trigger: broadcasts conversation_read {conversation_id, user_id, last_read_at, message_id} on conversation:<id> '
  'when a member''s last_read_at moves forward. Internal.';
revoke execute on function private.broadcast_conversation_read() from public, anon, authenticated, service_role;
create trigger broadcast_conversation_read after update of last_read_at on public.conversation_members
  for each row when (new.last_read_at > old.last_read_at)
  execute function private.broadcast_conversation_read();
