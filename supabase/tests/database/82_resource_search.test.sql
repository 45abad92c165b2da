-- search_resources: ranking (title > tags > description > body), stemming in Dutch, English and
-- Portuguese with the simple fallback for other languages, accents ignored, typo tolerance for short
-- queries, combined filters (kinds, tags, language), pagination, only what the caller may see (drafts,
-- hidden, private and attendees resources), and invalid_input for bad arguments.
begin;
\ir ../helpers.sql
select plan(51);

select tests.create_supabase_user('author');
select tests.create_supabase_user('member');
select tests.create_supabase_user('attendee');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('author');
select tests.get_supabase_uid('author') as author \gset

-- Every resource in this file carries the marker word "zq" in a tag-free way: searches filter on it
-- with kinds/language where needed, and titles are unique, so seeded resources never interfere.
insert into public.resources (title, description, kind, language, tags, body, external_url, visibility, status, author_id) values
  -- ranking: the word "gratitude" in the title, the tags, the description, the body
  ('Zq gratitude journal', null, 'article', 'en', '{}', 'Write three lines a day.', null, 'members', 'published', :'author'),
  ('Zq evening reflection', null, 'article', 'en', array['gratitude'], 'Look back at the day.', null, 'members', 'published', :'author'),
  ('Zq positive habits', 'Building gratitude into your week.', 'article', 'en', '{}', 'Small steps.', null, 'members', 'published', :'author'),
  ('Zq weekly letter', null, 'article', 'en', '{}', 'This week is about gratitude and rest.', null, 'members', 'published', :'author'),
  -- English stemming
  ('Zq running for mental health', null, 'audio', 'en', array['exercise'], null, 'https://example.org/run.mp3', 'public', 'published', :'author'),
  ('Zq sleeping well', null, 'video', 'en', array['sleep'], null, 'https://example.org/sleep.mp4', 'members', 'published', :'author'),
  ('Zq guided meditation for beginners', null, 'audio', 'en', array['meditation'], null, 'https://example.org/med.mp3', 'members', 'published', :'author'),
  -- Dutch stemming
  ('Zq wandelingen tegen somberheid', null, 'pdf', 'nl', array['beweging'], null, 'https://example.org/wandel.pdf', 'members', 'published', :'author'),
  ('Zq beter slapen', 'Ontspanning voor het slapengaan.', 'article', 'nl', array['slaap'], 'Tips.', null, 'members', 'published', :'author'),
  ('Zq ademhaling bij stress', null, 'audio', 'nl', array['stress'], null, 'https://example.org/adem.mp3', 'members', 'published', :'author'),
  -- Portuguese stemming and accents
  ('Zq exercícios para crianças', null, 'pdf', 'pt', array['família'], null, 'https://example.org/criancas.pdf', 'members', 'published', :'author'),
  ('Zq meditando com o coração', null, 'audio', 'pt-BR', array['meditação'], null, 'https://example.org/coracao.mp3', 'members', 'published', :'author'),
  -- simple fallback (German)
  ('Zq Achtsamkeit Übungen', null, 'article', 'de', '{}', 'Kurz.', null, 'members', 'published', :'author'),
  -- never found by others
  ('Zq gratitude draft', null, 'article', 'en', '{}', 'Draft.', null, 'members', 'draft', :'author'),
  ('Zq gratitude private', null, 'article', 'en', '{}', 'Mine.', null, 'private', 'published', :'author'),
  ('Zq gratitude attendees', null, 'article', 'en', '{}', 'Linked.', null, 'attendees', 'published', :'author'),
  ('Zq gratitude hidden', null, 'article', 'en', '{}', 'Hidden.', null, 'members', 'published', :'author');
update public.resources set hidden_at = now(), hidden_reason = 'test' where title = 'Zq gratitude hidden';
-- The attendee is booked on a session the attendees resource is linked to.
insert into public.sessions (id, title, status, visibility, starts_at, created_by)
values ('00000000-0000-4000-8000-0000000082c1', 'Zq session', 'scheduled', 'members', now() + interval '1 day', :'author');
insert into public.bookings (session_id, user_id, status) values ('00000000-0000-4000-8000-0000000082c1', tests.get_supabase_uid('attendee'), 'confirmed');
insert into public.resource_links (resource_id, session_id, added_by)
select id, '00000000-0000-4000-8000-0000000082c1', :'author' from public.resources where title = 'Zq gratitude attendees';

create function pg_temp.found(query text, kinds text[] default null, tags text[] default null, language text default null)
returns text[] language sql as $$
  select coalesce(array_agg(h.title order by h.rank desc, h.published_at desc, h.id), '{}')
  from public.search_resources(query, kinds, tags, language, 100, 0) h where h.title like 'Zq %'
$$;
create function pg_temp.found_set(query text, kinds text[] default null, tags text[] default null, language text default null)
returns text[] language sql as $$
  select coalesce(array_agg(h.title order by h.title), '{}')
  from public.search_resources(query, kinds, tags, language, 100, 0) h where h.title like 'Zq %'
$$;
create function pg_temp.matched(query text, title text) returns text language sql as $$
  select h.matched from public.search_resources(query, null, null, null, 100, 0) h where h.title = matched.title
$$;
grant execute on function pg_temp.found(text, text[], text[], text), pg_temp.found_set(text, text[], text[], text),
  pg_temp.matched(text, text) to anon, authenticated;

select tests.authenticate_as('member');
-- Ranking ----------------------------------------------------------------------------------------
select is(pg_temp.found('gratitude'), array['Zq gratitude journal', 'Zq evening reflection', 'Zq positive habits', 'Zq weekly letter'],
          'a match in the title ranks above the tags, above the description, above the body');
select ok((select bool_and(h.rank > 1 and h.matched = 'text') from public.search_resources('gratitude', null, null, null, 100, 0) h
           where h.title like 'Zq %'), 'text matches rank above 1 and say matched = text');
select is(pg_temp.found('"gratitude journal"'), array['Zq gratitude journal'], 'a quoted phrase matches the phrase only');
select is(pg_temp.found_set('gratitude -journal'), array['Zq evening reflection', 'Zq positive habits', 'Zq weekly letter'],
          'web search syntax: -word excludes');

-- Stemming per language ---------------------------------------------------------------------------
select is(pg_temp.found('runs'), array['Zq running for mental health'], 'English: runs finds running');
select is(pg_temp.found('sleep'), array['Zq sleeping well'], 'English: sleep finds sleeping (and not the Dutch slapen)');
select is(pg_temp.found('wandeling'), array['Zq wandelingen tegen somberheid'], 'Dutch: wandeling finds wandelingen');
select is(pg_temp.found('slaap'), array['Zq beter slapen'], 'Dutch: slaap finds slapen (title and tag)');
select is(pg_temp.found('ontspannen'), array['Zq beter slapen'], 'Dutch: ontspannen finds Ontspanning in the description');
select is(pg_temp.found('exercício'), array['Zq exercícios para crianças'], 'Portuguese: exercício finds exercícios');
select is(pg_temp.found('criança'), array['Zq exercícios para crianças'], 'Portuguese: criança finds crianças');
select is(pg_temp.found('meditar', null, null, 'pt'), array['Zq meditando com o coração'],
          'Portuguese (pt-BR): meditar finds meditando');
select is(pg_temp.found('ubungen'), array['Zq Achtsamkeit Übungen'], 'another language (de) falls back to simple: the word itself, accents ignored');
select is(pg_temp.matched('übung', 'Zq Achtsamkeit Übungen'), 'similar', 'the simple fallback does not stem (only typo tolerance finds it)');

-- Accents and typos -----------------------------------------------------------------------------------
select is(pg_temp.found('criancas'), array['Zq exercícios para crianças'], 'criancas without the cedilla finds crianças');
select is(pg_temp.found('CORAÇÃO'), array['Zq meditando com o coração'], 'any case, with or without accents');
select is(pg_temp.found('coracao'), array['Zq meditando com o coração'], 'coracao finds coração');
select is(pg_temp.found('ademhalng'), array['Zq ademhaling bij stress'], 'a short query with a typo finds the title (Dutch)');
select is(pg_temp.matched('ademhalng', 'Zq ademhaling bij stress'), 'similar', 'and says matched = similar');
select is(pg_temp.found('meditaton'), array['Zq guided meditation for beginners', 'Zq meditando com o coração'],
          'a typo in English finds meditation first, then the similar meditando');
select ok((select max(h.rank) < 1 from public.search_resources('meditaton', null, null, null, 100, 0) h where h.matched = 'similar'),
          'a similar match ranks below every text match');
select is((select array_agg(h.title) from public.search_resources('meditaton', null, null, null, 1, 1) h),
          array['Zq meditando com o coração'], 'similar matches page too (limit 1, offset 1)');
select is((select count(*)::int from public.search_resources('meditaton', null, null, null, 5, 2) h where h.title like 'Zq %'), 0,
          'and an offset past them is empty');
select is(pg_temp.found('ademhalng stress'), '{}'::text[], 'typo tolerance is for a single word only');
select is(pg_temp.found('xyzzy'), '{}'::text[], 'nothing like it: nothing found');
select is(pg_temp.found('the'), '{}'::text[], 'a stop word alone finds nothing and raises nothing');

-- Filters ----------------------------------------------------------------------------------------------
select is(pg_temp.found_set('zq', array['audio']), array['Zq ademhaling bij stress', 'Zq guided meditation for beginners',
                                                     'Zq meditando com o coração', 'Zq running for mental health'],
          'kinds filter (audio only)');
select is(pg_temp.found_set('zq', array['audio', 'pdf'], array['Meditation']), array['Zq guided meditation for beginners'],
          'kinds and tags together (tags any case)');
select is(pg_temp.found_set('zq', null, array['sleep', 'exercise']), '{}'::text[], 'tags: all of them');
select is(pg_temp.found_set('zq', null, null, 'pt'), array['Zq exercícios para crianças', 'Zq meditando com o coração'],
          'language pt also finds pt-BR');
select is(pg_temp.found_set('zq', null, null, 'nl'), array['Zq ademhaling bij stress', 'Zq beter slapen', 'Zq wandelingen tegen somberheid'],
          'language nl');
select is((select count(*)::int from public.search_resources(null, array['pdf'], null, 'nl', 100, 0) h where h.title like 'Zq %'), 1,
          'without a query: filters only');
select is((select h.matched from public.search_resources(null, array['pdf'], null, 'nl', 100, 0) h where h.title like 'Zq %'), 'all',
          'and matched = all');
select is((select count(*)::int from public.search_resources('gratitude', null, null, 'en', 2, 1)), 2, 'limit and offset page');

-- Only what the caller may see ----------------------------------------------------------------------
select is(pg_temp.found('draft or private or hidden or attendees'), '{}'::text[],
          'a member never finds drafts, hidden, private or attendees resources');
select tests.authenticate_as('attendee');
select is(pg_temp.found('attendees'), array['Zq gratitude attendees'], 'an attendee of the linked session finds the attendees resource');
select tests.authenticate_as('author');
select is(pg_temp.found('private'), array['Zq gratitude private'], 'the author finds their private resource');
select is(pg_temp.found('draft'), '{}'::text[], 'search lists published resources only, the author''s drafts neither');
select tests.authenticate_as_anon();
select is(pg_temp.found_set('zq'), array['Zq running for mental health'], 'anon finds public resources only');

-- Search finds exactly what the caller may select (its read rule is the resources policies', written
-- out: see 82_resource_search.sql) -------------------------------------------------------------------
create function pg_temp.same_as_rls() returns boolean language sql as $$
  select array(select h.id from public.search_resources(null, null, null, null, 100, 0) h where h.title like 'Zq %' order by h.id)
           = array(select r.id from public.resources r where r.status = 'published' and r.hidden_at is null and r.title like 'Zq %' order by r.id)
     and array(select h.id from public.search_resources('zq', null, null, null, 100, 0) h where h.title like 'Zq %' order by h.id)
           = array(select r.id from public.resources r where r.status = 'published' and r.hidden_at is null and r.title like 'Zq %' order by r.id)
$$;
grant execute on function pg_temp.same_as_rls() to anon, authenticated, service_role;
select tests.authenticate_as('member');
select ok(pg_temp.same_as_rls(), 'member: search (with and without a query) = the published resources RLS lets them select');
select tests.authenticate_as('attendee');
select ok(pg_temp.same_as_rls(), 'attendee: the same');
select tests.authenticate_as('author');
select ok(pg_temp.same_as_rls(), 'author: the same');
select tests.authenticate_as_anon();
select ok(pg_temp.same_as_rls(), 'anon: the same');
select tests.clear_authentication();
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('member');
select tests.authenticate_as('member');
select ok(pg_temp.same_as_rls(), 'admin: the same');
select is((select count(*)::int from public.search_resources('zq', null, null, null, 100, 0)), 15,
          'an admin finds all 15 published, not hidden ones (private and attendees included)');
select tests.clear_authentication();
update public.user_roles set role = 'member' where user_id = tests.get_supabase_uid('member');
select tests.authenticate_as_service_role();
select ok(pg_temp.same_as_rls(), 'service_role: the same');

-- Bad arguments ------------------------------------------------------------------------------------
select tests.authenticate_as('member');
select is(tests.error_code($$ select * from public.search_resources('x', null, null, null, 0, 0) $$), 'invalid_input', 'limit 0');
select is(tests.error_code($$ select * from public.search_resources('x', null, null, null, 20, -1) $$), 'invalid_input', 'a negative offset');
select is(tests.error_code($$ select * from public.search_resources('x', array['pdf', 'exe']) $$), 'invalid_input', 'an unknown kind');
select is(tests.error_code($$ select * from public.search_resources('x', array[array['pdf']]) $$), 'invalid_input', 'nested kinds');
select is(tests.error_code(format($$ select * from public.search_resources(%L) $$, repeat('a', 201))), 'invalid_input',
          'a query over 200 characters');

select * from finish();
rollback;
