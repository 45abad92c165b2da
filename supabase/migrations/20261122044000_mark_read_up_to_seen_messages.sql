-- mark_conversation_read marks read up to the newest message the caller can see, not up to the clock.
--
-- Why: last_read_at was set to clock_timestamp(), and my_conversations counts as unread the other
-- members' messages created after it. A message's created_at is stamped before its transaction
-- commits, so a message still committing while the recipient marked the conversation read (they
-- could not have seen it) got a created_at before last_read_at: once committed it was never
-- counted unread, while its notification stayed unread.
--
-- Now last_read_at moves to the created_at of the newest message of the conversation visible to
-- the caller when they mark it read (never backwards); a message committed later counts as unread.
-- Same signature, errors and grants.

create or replace function public.mark_conversation_read(conversation_id uuid)
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
