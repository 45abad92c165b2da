-- Display names made only of invisible characters are empty.
--
-- Why: the profile trigger trimmed and collapsed only what '\s' matches, and the check counts
-- characters after btrim(). A display name of zero-width spaces (U+200B) or no-break spaces (U+00A0)
-- was stored, and the user appeared blank wherever their name is shown: host names on session
-- cards and in calendars, chat authors, direct messages.
--
-- Now the trigger collapses every Unicode space to one space and trims with private.clean_text (which
-- also removes zero-width and direction marks at the ends), so such a name is empty and the
-- existing check refuses it (1 to 80 characters). Same initials rule.

create or replace function private.profiles_derive_initials()
returns trigger
language plpgsql set search_path = '' as $$
declare
  v_words text[];
begin
  new.display_name := private.clean_text(
    regexp_replace(new.display_name, '[[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'));
  v_words := regexp_split_to_array(new.display_name, ' ');
  new.initials := upper(left(coalesce(v_words[1], ''), 1) || left(coalesce(v_words[2], ''), 1));
  return new;
end;
$$;
