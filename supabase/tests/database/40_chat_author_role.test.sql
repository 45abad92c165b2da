-- author_role in chat (issue 19, item 5): chat_history, chat_since (messages and overlap) and the
-- new_message broadcast say whether the author is a host, moderator or speaker of the session
-- (null for everyone else), so clients can show a badge; the staff helper answers only for
-- sessions the caller may see.
begin;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('spe', metadata => '{"display_name":"Spe Speaker"}');
select tests.create_supabase_user('mia', metadata => '{"display_name":"Mia Member"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');

insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by) values
  ('00000000-0000-4000-8000-0000000040c1', 'Chat', 'live', 'members', now(), now(), tests.get_supabase_uid('hana')),
  ('00000000-0000-4000-8000-0000000040c2', 'Private', 'live', 'private', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role) values
  ('00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('mo'), 'moderator'),
  ('00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('spe'), 'speaker');
insert into public.bookings (session_id, user_id, status) values
  ('00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('mia'), 'confirmed');

-- One message each, a second apart (created_at decides the order).
insert into public.chat_messages (id, session_id, user_id, body, created_at) values
  ('00000000-0000-4000-8000-0000000040d1', '00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('mia'), 'first', now() - interval '4 seconds'),
  ('00000000-0000-4000-8000-0000000040d2', '00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('hana'), 'host', now() - interval '3 seconds'),
  ('00000000-0000-4000-8000-0000000040d3', '00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('mo'), 'mod', now() - interval '2 seconds'),
  ('00000000-0000-4000-8000-0000000040d4', '00000000-0000-4000-8000-0000000040c1', tests.get_supabase_uid('spe'), 'speaker', now() - interval '1 second');

select tests.authenticate_as('mia');
select is((select jsonb_agg(jsonb_build_array(m ->> 'body', m -> 'author_role'))
           from jsonb_array_elements(public.chat_history('00000000-0000-4000-8000-0000000040c1') -> 'messages') m),
          '[["speaker", "speaker"], ["mod", "moderator"], ["host", "host"], ["first", null]]'::jsonb,
          'chat_history: author_role host, moderator, speaker, null for a member');
select is((select jsonb_agg(jsonb_build_array(m ->> 'body', m -> 'author_role'))
           from jsonb_array_elements(public.chat_since('00000000-0000-4000-8000-0000000040c1', '00000000-0000-4000-8000-0000000040d2') -> 'messages') m),
          '[["mod", "moderator"], ["speaker", "speaker"]]'::jsonb, 'chat_since messages carry author_role');
select is((select jsonb_agg(jsonb_build_array(m ->> 'body', m -> 'author_role'))
           from jsonb_array_elements(public.chat_since('00000000-0000-4000-8000-0000000040c1', '00000000-0000-4000-8000-0000000040d3') -> 'overlap') m),
          '[["first", null], ["host", "host"]]'::jsonb, 'chat_since overlap carries author_role');
select ok((public.chat_history('00000000-0000-4000-8000-0000000040c1') -> 'messages' -> -1) ? 'author_role',
          'author_role is present (null) for a member''s message');

-- new_message broadcasts.
select public.send_chat_message('00000000-0000-4000-8000-0000000040c1', 'from a member');
select tests.authenticate_as('mo');
select public.send_chat_message('00000000-0000-4000-8000-0000000040c1', 'from a moderator');
select tests.authenticate_as('hana');
select public.send_chat_message('00000000-0000-4000-8000-0000000040c1', 'an announcement', null, 'announcement');
select tests.clear_authentication();
select set_eq($$ select m.payload ->> 'body' as body, m.payload ->> 'author_role' as author_role from realtime.messages m
                 where m.event = 'new_message' and m.topic = 'session:00000000-0000-4000-8000-0000000040c1' and m.payload ? 'author_role' $$,
              $$ values ('first', null::text), ('host', 'host'), ('mod', 'moderator'), ('speaker', 'speaker'),
                        ('from a member', null), ('from a moderator', 'moderator'), ('an announcement', 'host') $$,
              'every new_message payload carries author_role');

-- The role follows the staff table: demoted, a moderator's messages lose the badge.
delete from public.session_staff where session_id = '00000000-0000-4000-8000-0000000040c1' and user_id = tests.get_supabase_uid('mo');
select tests.authenticate_as('mia');
select is((select m -> 'author_role' from jsonb_array_elements(public.chat_history('00000000-0000-4000-8000-0000000040c1') -> 'messages') m
           where m ->> 'body' = 'mod'), 'null'::jsonb, 'the badge is the author''s current role');

-- The staff helper: only sessions the caller may see.
select is((select count(*)::int from private.session_staff_roles('00000000-0000-4000-8000-0000000040c1')), 2,
          'a member reads the staff roles of their session');
select tests.authenticate_as('otto');
select is((select count(*)::int from private.session_staff_roles('00000000-0000-4000-8000-0000000040c2')), 0,
          'an outsider gets nothing for a private session');
select is(tests.error_code($$ select public.chat_history('00000000-0000-4000-8000-0000000040c1') $$), 'forbidden',
          'an outsider still cannot read the chat');
select tests.authenticate_as_anon();
select throws_ok($$ select * from private.session_staff_roles('00000000-0000-4000-8000-0000000040c1') $$, '42501', null,
                 'anon cannot call the staff helper');
select tests.authenticate_as_service_role();
select is((select count(*)::int from private.session_staff_roles('00000000-0000-4000-8000-0000000040c1')), 0,
          'service_role (no user) gets nothing from it');
select tests.clear_authentication();
select is((select prorows from pg_proc where oid = 'private.session_staff_roles(uuid)'::regprocedure), 5::real,
          'the helper has an honest rows estimate');

select * from finish();
rollback;
