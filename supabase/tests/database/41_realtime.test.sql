-- Realtime private channels: the policies on realtime.messages, replayed as the Realtime server
-- checks a join (tests.realtime_access): session:<id> for members who are not banned, user:<id>
-- for that user only, nothing for anon or for malformed topics; presence is the only client write.
begin;
\ir ../helpers.sql
select plan(30);

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('mem', metadata => '{"display_name":"Mem Ber"}');
select tests.create_supabase_user('bill', metadata => '{"display_name":"Bill Banned"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');

insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000000d1', 'Live', 'live', 'public', now(), now(), tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000000d2', 'Other', 'live', 'public', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role)
values ('00000000-0000-4000-8000-0000000000d1', tests.get_supabase_uid('hana'), 'host'),
       ('00000000-0000-4000-8000-0000000000d1', tests.get_supabase_uid('mo'), 'moderator')
on conflict do nothing;
insert into public.bookings (session_id, user_id, status)
values ('00000000-0000-4000-8000-0000000000d1', tests.get_supabase_uid('mem'), 'confirmed'),
       ('00000000-0000-4000-8000-0000000000d1', tests.get_supabase_uid('bill'), 'confirmed'),
       ('00000000-0000-4000-8000-0000000000d2', tests.get_supabase_uid('bill'), 'confirmed');
insert into public.session_bans (session_id, user_id, reason, banned_by)
values ('00000000-0000-4000-8000-0000000000d1', tests.get_supabase_uid('bill'), 'spam', tests.get_supabase_uid('mo'));

select set_config('tests.topic', 'session:00000000-0000-4000-8000-0000000000d1', true);

-- Structure.
select policies_are('realtime', 'messages', array[
  'deactivated accounts receive nothing', 'members receive their sessions'' broadcasts and users their own',
  'members can track their presence on their sessions'' channels',
  -- conversation:<id>, 62_conversation_channels.sql
  'members receive their conversations'' channels',
  'members broadcast and track presence in their conversations']);

-- session:<id>
select results_eq(format($$ select can_read, can_write from tests.realtime_access('hana', %L) $$, current_setting('tests.topic')),
                  $$ values (true, false) $$, 'the host receives the session channel and cannot broadcast');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('mo', %L) $$, current_setting('tests.topic')),
                  $$ values (true, false) $$, 'a moderator receives the session channel');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('mem', %L) $$, current_setting('tests.topic')),
                  $$ values (true, false) $$, 'a booked member receives the session channel and cannot broadcast');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('bill', %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'a banned member is refused the session channel');
select results_eq($$ select can_read, can_write from tests.realtime_access('bill', 'session:00000000-0000-4000-8000-0000000000d2') $$,
                  $$ values (true, false) $$, 'the ban is per session: other sessions still work');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('otto', %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'an outsider is refused the session channel');
select results_eq(format($$ select can_read, can_write from tests.realtime_access(null, %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'anon is refused the session channel');
select results_eq($$ select can_read, can_write from tests.realtime_access('mem', 'session:00000000-0000-4000-8000-00000000ffff') $$,
                  $$ values (false, false) $$, 'an unknown session is refused');

-- user:<id>
select results_eq(format($$ select can_read, can_write from tests.realtime_access('mem', %L) $$, 'user:' || tests.get_supabase_uid('mem')),
                  $$ values (true, false) $$, 'a user receives their own user channel and cannot broadcast on it');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('bill', %L) $$, 'user:' || tests.get_supabase_uid('bill')),
                  $$ values (true, false) $$, 'a banned user still receives their own user channel');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('otto', %L) $$, 'user:' || tests.get_supabase_uid('mem')),
                  $$ values (false, false) $$, 'nobody receives someone else''s user channel');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('hana', %L) $$, 'user:' || tests.get_supabase_uid('mem')),
                  $$ values (false, false) $$, 'not even the host of a shared session');
select results_eq(format($$ select can_read, can_write from tests.realtime_access(null, %L) $$, 'user:' || tests.get_supabase_uid('mem')),
                  $$ values (false, false) $$, 'anon receives no user channel');

-- Malformed topics are denied, never an error.
select results_eq($$ select can_read, can_write from tests.realtime_access('mem', 'session:not-a-uuid') $$,
                  $$ values (false, false) $$, 'session:<garbage> is denied');
select results_eq($$ select can_read, can_write from tests.realtime_access('mem', 'session:00000000-0000-4000-8000-0000000000d1x') $$,
                  $$ values (false, false) $$, 'a uuid with trailing text is denied');
select results_eq($$ select can_read, can_write from tests.realtime_access('mem', 'session:') $$,
                  $$ values (false, false) $$, 'an empty session id is denied');
select results_eq($$ select can_read, can_write from tests.realtime_access('mem', 'lobby') $$,
                  $$ values (false, false) $$, 'an unknown topic kind is denied');
select is(private.topic_session_id('session:00000000-0000-4000-8000-0000000000D1'), '00000000-0000-4000-8000-0000000000d1'::uuid,
          'topic_session_id parses an upper-case uuid');
select is(private.topic_session_id('session:zzzzzzzz-0000-4000-8000-0000000000d1'), null, 'topic_session_id returns null for garbage');

-- Presence: members may track presence on their session channel, nothing else.
create function pg_temp.try_insert(identifier text, topic text, extension text) returns boolean language plpgsql as $$
declare v_claims jsonb := case when identifier is null then '{"role":"anon"}'::jsonb else tests.user_claims(identifier) end;
begin
  begin
    perform set_config('role', case when identifier is null then 'anon' else 'authenticated' end, true),
            set_config('realtime.topic', topic, true),
            set_config('request.jwt.claims', v_claims::text, true);
    insert into realtime.messages (topic, extension, private, payload, event) values (topic, extension, true, '{}', 'presence');
    raise exception using errcode = 'P0004', message = 'allowed';
  exception
    when sqlstate 'P0004' then perform set_config('role', 'postgres', true); return true;
    when insufficient_privilege then perform set_config('role', 'postgres', true); return false;
  end;
end $$;
select is(pg_temp.try_insert('mem', current_setting('tests.topic'), 'presence'), true, 'a member may track presence on the session channel');
select is(pg_temp.try_insert('hana', current_setting('tests.topic'), 'presence'), true, 'staff may track presence');
select is(pg_temp.try_insert('mem', current_setting('tests.topic'), 'broadcast'), false, 'a member may not broadcast');
select is(pg_temp.try_insert('bill', current_setting('tests.topic'), 'presence'), false, 'a banned member may not track presence');
select is(pg_temp.try_insert('otto', current_setting('tests.topic'), 'presence'), false, 'an outsider may not track presence');
select is(pg_temp.try_insert(null, current_setting('tests.topic'), 'presence'), false, 'anon may not track presence');
select is(pg_temp.try_insert('mem', 'user:' || tests.get_supabase_uid('mem'), 'presence'), false, 'no presence on user channels');

-- Unbanning restores access at the next authorization.
delete from public.session_bans where user_id = tests.get_supabase_uid('bill');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('bill', %L) $$, current_setting('tests.topic')),
                  $$ values (true, false) $$, 'after unban the member receives the channel again');

-- The database broadcasts as the owner: a send from a trigger lands whatever the caller.
select tests.authenticate_as('mem');
select public.send_chat_message('00000000-0000-4000-8000-0000000000d1', 'ping');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages r where r.topic = current_setting('tests.topic')
             and r.event = 'new_message' and r.private and r.payload ->> 'body' = 'ping'), 1,
          'a member''s message is broadcast on the session channel');
select is((select r.private from realtime.messages r where r.topic = current_setting('tests.topic') and r.event = 'new_message'),
          true, 'broadcasts are private');

select * from finish();
rollback;
