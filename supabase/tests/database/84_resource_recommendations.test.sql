-- recommended_resources: the materials of the caller's sessions and programs, shared tags (from
-- their sessions' materials and topics and what they opened), what similar users opened, popular
-- ones; each with its reason; never what they viewed, authored or may not read (private, hidden,
-- draft, attendees of a session they do not attend); anon and bad limits refused.
begin;
\ir ../helpers.sql
select plan(17);

select tests.create_supabase_user('author');
select tests.create_supabase_user('coach2');
select tests.create_supabase_user('member');
select tests.create_supabase_user('peer');
select tests.create_supabase_user('newcomer');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('author'), tests.get_supabase_uid('coach2'));
select tests.get_supabase_uid('author') as author, tests.get_supabase_uid('coach2') as coach2,
       tests.get_supabase_uid('member') as member, tests.get_supabase_uid('peer') as peer \gset

\set prog '00000000-0000-4000-8000-0000000084b1'
\set s1 '00000000-0000-4000-8000-0000000084c1'
\set s2 '00000000-0000-4000-8000-0000000084c2'
\set s3 '00000000-0000-4000-8000-0000000084c3'
insert into public.programs (id, name, status, created_by) values (:'prog', 'Calm minds', 'live', :'author');
insert into public.sessions (id, program_id, title, topic, status, visibility, starts_at, created_by) values
  (:'s1', :'prog', 'Calm minds 1', null, 'scheduled', 'members', now() + interval '1 day', :'author'),
  (:'s2', :'prog', 'Calm minds 2', null, 'scheduled', 'members', now() + interval '8 days', :'author'),
  (:'s3', null, 'Evening talk', ' Sleep ', 'scheduled', 'members', now() + interval '2 days', :'author');
insert into public.bookings (session_id, user_id, status) values (:'s1', :'member', 'confirmed'), (:'s3', :'member', 'confirmed');

insert into public.resources (id, title, kind, body, visibility, status, tags, author_id) values
  ('00000000-0000-4000-8000-0000000084a1', 'R slides', 'article', 'x', 'attendees', 'published', array['anxiety'], :'author'),
  ('00000000-0000-4000-8000-0000000084a2', 'R program guide', 'article', 'x', 'members', 'published', '{}', :'author'),
  ('00000000-0000-4000-8000-0000000084a3', 'R sleep hygiene', 'article', 'x', 'members', 'published', array['sleep'], :'author'),
  ('00000000-0000-4000-8000-0000000084a4', 'R anxiety toolkit', 'article', 'x', 'members', 'published', array['anxiety', 'cbt'], :'author'),
  ('00000000-0000-4000-8000-0000000084a5', 'R peer favourite', 'article', 'x', 'members', 'published', '{}', :'author'),
  ('00000000-0000-4000-8000-0000000084a6', 'R already seen', 'article', 'x', 'members', 'published', array['cbt'], :'author'),
  ('00000000-0000-4000-8000-0000000084a7', 'R private sleep', 'article', 'x', 'private', 'published', array['sleep'], :'author'),
  ('00000000-0000-4000-8000-0000000084a8', 'R hidden sleep', 'article', 'x', 'members', 'published', array['sleep'], :'author'),
  ('00000000-0000-4000-8000-0000000084a9', 'R draft sleep', 'article', 'x', 'members', 'draft', array['sleep'], :'author'),
  ('00000000-0000-4000-8000-0000000084aa', 'R other session sleep', 'article', 'x', 'attendees', 'published', array['sleep'], :'author'),
  ('00000000-0000-4000-8000-0000000084ab', 'R popular talk', 'article', 'x', 'public', 'published', '{}', :'coach2'),
  ('00000000-0000-4000-8000-0000000084ac', 'R seen material', 'article', 'x', 'members', 'published', '{}', :'author');
update public.resources set hidden_at = now(), hidden_reason = 'test' where title = 'R hidden sleep';
insert into public.resource_links (resource_id, session_id, program_id, added_by) values
  ('00000000-0000-4000-8000-0000000084a1', :'s1', null, :'author'),
  ('00000000-0000-4000-8000-0000000084ac', :'s1', null, :'author'),
  ('00000000-0000-4000-8000-0000000084a2', null, :'prog', :'author'),
  ('00000000-0000-4000-8000-0000000084aa', :'s2', null, :'author');
-- The member opened "already seen" and "seen material"; the peer opened "already seen" and "peer favourite".
insert into public.resource_activity (resource_id, user_id, kind) values
  ('00000000-0000-4000-8000-0000000084a6', :'member', 'view'),
  ('00000000-0000-4000-8000-0000000084ac', :'member', 'download'),
  ('00000000-0000-4000-8000-0000000084a6', :'peer', 'view'),
  ('00000000-0000-4000-8000-0000000084a5', :'peer', 'view');
insert into public.resource_daily_stats (resource_id, day, views, unique_viewers)
values ('00000000-0000-4000-8000-0000000084ab', (now() at time zone 'utc')::date - 1, 500, 400),
       ('00000000-0000-4000-8000-0000000084a3', (now() at time zone 'utc')::date - 40, 900, 800);

create function pg_temp.recs() returns text[] language sql as $$
  select coalesce(array_agg(r.title || ': ' || r.reason order by r.score desc, r.title), '{}')
  from public.recommended_resources(50) r where r.title like 'R %'
$$;
grant execute on function pg_temp.recs() to authenticated;

select tests.authenticate_as('member');
select is(pg_temp.recs(), array[
  'R slides: session_material',
  'R program guide: program_material',
  'R anxiety toolkit: shared_tags',
  'R sleep hygiene: shared_tags',
  'R peer favourite: similar_users',
  'R popular talk: popular'],
  'the member gets their session''s and program''s materials, shared tags, what a similar user opened, a popular one, best first');
select is((select reason_details from public.recommended_resources(50) where title = 'R slides'),
          jsonb_build_object('session_id', :'s1', 'session_title', 'Calm minds 1'), 'session_material names the session');
select is((select reason_details from public.recommended_resources(50) where title = 'R program guide'),
          jsonb_build_object('program_id', :'prog', 'program_name', 'Calm minds'), 'program_material names the program');
select is((select reason_details from public.recommended_resources(50) where title = 'R anxiety toolkit'), '{"tags": ["anxiety", "cbt"]}'::jsonb,
          'shared_tags lists the shared tags (anxiety from the session''s slides, cbt from what they opened)');
select is((select reason_details from public.recommended_resources(50) where title = 'R sleep hygiene'), '{"tags": ["sleep"]}'::jsonb,
          'a session topic counts as a tag (trimmed, lower case)');
select is((select reason_details from public.recommended_resources(50) where title = 'R peer favourite'), '{"users": 1}'::jsonb,
          'similar_users counts the users');
select is((select reason_details from public.recommended_resources(50) where title = 'R popular talk'), '{"views": 500}'::jsonb,
          'popular counts the views of the last 30 days only');
select ok(not exists (select 1 from public.recommended_resources(50) r
                      where r.title in ('R already seen', 'R seen material')), 'never what they viewed or downloaded');
select ok(not exists (select 1 from public.recommended_resources(50) r
                      where r.title in ('R private sleep', 'R hidden sleep', 'R draft sleep', 'R other session sleep')),
          'never a private, hidden, draft or other session''s attendees resource, tags or not');
select ok((select bool_and(exists (select 1 from public.resources x where x.id = r.id)) from public.recommended_resources(50) r),
          'every recommendation is one the member can select under RLS');
select is((select count(*)::int from public.recommended_resources(2)), 2, 'limit');

select tests.authenticate_as('newcomer');
select is(pg_temp.recs(), array['R popular talk: popular'], 'a newcomer gets what is popular');
select tests.authenticate_as('author');
select ok(not exists (select 1 from public.recommended_resources(50) r where r.author_id = :'author'),
          'an author is never recommended their own resources');

select tests.authenticate_as('member');
select is(tests.error_code('select * from public.recommended_resources(0)'), 'invalid_input', 'limit 0');
select is(tests.error_code('select * from public.recommended_resources(51)'), 'invalid_input', 'limit 51');
select tests.authenticate_as_service_role();
select is(tests.error_code('select * from public.recommended_resources()'), 'not_authenticated', 'service_role without a user');
select tests.authenticate_as_anon();
select throws_ok('select * from public.recommended_resources()', '42501', null, 'anon gets no recommendations');

select * from finish();
rollback;
