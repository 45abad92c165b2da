-- chat_since also returns the messages of the 5 seconds before its anchor, so a message committed
-- late is not lost on a reconnect.
--
-- Why: a message's created_at is stamped inside send_chat_message, before its transaction commits,
-- and only one user's posts are serialised. Two members posting at once can commit in the other
-- order: a client that had already seen the later-stamped message B, while A (stamped a moment
-- earlier) was still committing, asked chat_since(B) after a reconnect and never received A, which
-- sorts before B.
--
-- Now chat_since returns, next to messages (unchanged: the messages after the anchor, oldest first,
-- at most 500, has_more), overlap: the messages stamped in the 5 seconds up to the anchor, other
-- than the anchor itself, oldest first, at most 100. The time between stamping and commit is
-- milliseconds, so a message committed late is among them; the client merges them by id (it has
-- seen most of them already). Same visibility, errors and grants.

create or replace function public.chat_since(session_id uuid, after_id uuid)
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

  select coalesce(jsonb_agg(private.chat_message_json(p.m, p.display_name, p.initials)
                            order by (p.m).created_at, (p.m).id), '[]'::jsonb),
         count(*)::int
    into v_messages, v_count
  from (
    select m, pr.display_name, pr.initials
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
    where m.session_id = chat_since.session_id
      and (m.created_at, m.id) > (v_after, chat_since.after_id)
    order by m.created_at, m.id
    limit 501
  ) p;
  if v_count > 500 then
    v_messages := v_messages - 500;
  end if;

  -- Messages stamped just before the anchor may have committed after it was read.
  select coalesce(jsonb_agg(private.chat_message_json(o.m, o.display_name, o.initials)
                            order by (o.m).created_at, (o.m).id), '[]'::jsonb)
    into v_overlap
  from (
    select m, pr.display_name, pr.initials
    from public.chat_messages m
    left join public.profiles pr on pr.id = m.user_id
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
