-- A direct message deleted (or edited) by moderation no longer lives on in its notification.
--
-- Why: the direct_message notification copies the first 200 characters of the message. When a
-- message was deleted (service_role sets deleted_at: moderation, support), members no longer saw it
-- in direct_messages or my_conversations, but the recipient's notification still showed its text,
-- pointing at the deleted message. An edited message kept its old text there too.
--
-- Now, when a message's deleted_at is set, each unread notification that shows it moves on to the
-- next message of the conversation the recipient has not written themselves (title, text and
-- message_id), or is deleted when there is none; a read one is deleted (a later message may have its
-- own). When its body changes, the notification shows the new text.

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
revoke execute on function private.direct_message_changed() from public, anon, authenticated;

create trigger direct_message_changed after update of body, deleted_at on public.direct_messages
  for each row
  when (old.deleted_at is distinct from new.deleted_at and new.deleted_at is not null
        or old.body is distinct from new.body and new.deleted_at is null)
  execute function private.direct_message_changed();
