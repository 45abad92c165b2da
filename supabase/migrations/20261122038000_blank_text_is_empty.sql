-- Messages, direct messages, questions and conversation titles made only of invisible or non-ASCII
-- blank characters are empty.
--
-- Why: the RPCs trimmed with btrim(), which removes only the ASCII space, and the tables' checks use
-- the same rule. A chat message of newlines and tabs, no-break spaces (U+00A0), zero-width spaces
-- (U+200B) or ideographic spaces (U+3000) was accepted and broadcast to the whole audience as an
-- empty bubble; the same went for direct messages, questions and group titles.
--
-- Now private.clean_text() trims every Unicode space, line break, tab and invisible formatting
-- character from both ends, and a BEFORE trigger on chat_messages, direct_messages and questions
-- stores the cleaned body, refusing an empty one with invalid_input (400) like the RPCs' own length
-- check; a blank conversation title becomes no title (null), as a title of spaces already did.

create function private.clean_text(value text)
returns text
language sql immutable parallel safe set search_path = '' as $$
  select pg_catalog.regexp_replace(value,
    '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]+$',
    '', 'g')
$$;
comment on function private.clean_text(text) is
  'The text without leading and trailing whitespace of any kind: ASCII and Unicode spaces, line breaks, tabs, '
  'zero-width and direction marks, the byte order mark. Null stays null.';
revoke execute on function private.clean_text(text) from public, anon;
grant execute on function private.clean_text(text) to authenticated, service_role;

-- Security definer not needed: it only rewrites the row being written.
create function private.clean_body()
returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_table_name = 'conversations' then
    new.title := nullif(private.clean_text(new.title), '');
    return new;
  end if;
  new.body := private.clean_text(new.body);
  if new.body = '' then
    perform private.raise_error('invalid_input', 'The text is empty.', jsonb_build_object('field', 'body'));
  end if;
  return new;
end;
$$;
comment on function private.clean_body() is
  'Trigger before writing user text: trims body (chat_messages, direct_messages, questions) with private.clean_text and '
  'refuses it when nothing is left (invalid_input); a blank conversations.title becomes null. Internal.';
revoke execute on function private.clean_body() from public, anon, authenticated;

-- The WHEN clause (the same character class as private.clean_text, at either end) keeps the common
-- case, a body the RPC already trimmed, free of a function call: chat posting is a hot path.
create trigger chat_messages_clean_body before insert or update of body on public.chat_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();
create trigger direct_messages_clean_body before insert or update of body on public.direct_messages
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();
create trigger questions_clean_body before insert or update of body on public.questions
  for each row
  when (new.body ~ '^[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|[[:space:]\u0085\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]$')
  execute function private.clean_body();
create trigger conversations_clean_title before insert or update of title on public.conversations
  for each row execute function private.clean_body();
