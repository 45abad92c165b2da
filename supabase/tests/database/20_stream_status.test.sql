-- stream_status (issue 19, item 1): a stream that is added live or changes status (live, ended,
-- error) is broadcast on session:<id> with a curated payload (never source_url), under the same
-- members-only topic rules as the other session events.
begin;
\ir ../helpers.sql
select plan(17);

select tests.create_supabase_user('host', metadata => '{"display_name":"Hanna Host"}');
select tests.create_supabase_user('moderator', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('booked', metadata => '{"display_name":"Bram Booked"}');
select tests.create_supabase_user('banned', metadata => '{"display_name":"Ben Banned"}');
select tests.create_supabase_user('outsider', metadata => '{"display_name":"Otto Outsider"}');

insert into public.sessions (id, title, starts_at, status, visibility, created_by, started_at) values
  ('aaaaaaaa-0000-4000-8000-0000000005a1', 'Live with a stream', now() - interval '5 minutes', 'live', 'members',
   tests.get_supabase_uid('host'), now() - interval '5 minutes');
insert into public.session_staff (session_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-0000000005a1', tests.get_supabase_uid('moderator'), 'moderator');
insert into public.bookings (session_id, user_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000005a1', tests.get_supabase_uid('booked'), 'confirmed'),
  ('aaaaaaaa-0000-4000-8000-0000000005a1', tests.get_supabase_uid('banned'), 'confirmed');
insert into public.session_bans (session_id, user_id, banned_by) values
  ('aaaaaaaa-0000-4000-8000-0000000005a1', tests.get_supabase_uid('banned'), tests.get_supabase_uid('host'));

create function tests.stream_broadcasts() returns setof jsonb language sql as $$
  select m.payload || jsonb_build_object('_private', m.private, '_extension', m.extension)
  from realtime.messages m
  where m.topic = 'session:aaaaaaaa-0000-4000-8000-0000000005a1' and m.event = 'stream_status'
  order by m.inserted_at, m.payload ->> 'changed_at', m.payload ->> 'status';
$$;

-- A stream added idle says nothing; going live, failing and ending each broadcast once.
select tests.authenticate_as('host');
insert into public.streams (session_id, source_type, source_url) values
  ('aaaaaaaa-0000-4000-8000-0000000005a1', 'rtmp', 'rtmps://ingest.example.com/live/streamkey42');
select tests.clear_authentication();
update public.streams set id = 'aaaaaaaa-0000-4000-8000-0000000005b1' where session_id = 'aaaaaaaa-0000-4000-8000-0000000005a1';
select is((select count(*)::int from tests.stream_broadcasts()), 0, 'a stream added idle is not broadcast');

select tests.authenticate_as('host');
update public.streams set status = 'live' where id = 'aaaaaaaa-0000-4000-8000-0000000005b1';
select tests.clear_authentication();
select is((select count(*)::int from tests.stream_broadcasts()), 1, 'idle -> live broadcasts stream_status');
select is((select p - 'changed_at' - 'id' from tests.stream_broadcasts() p),
          jsonb_build_object('session_id', 'aaaaaaaa-0000-4000-8000-0000000005a1', 'stream_id', 'aaaaaaaa-0000-4000-8000-0000000005b1',
                             'source_type', 'rtmp', 'status', 'live', 'previous_status', 'idle',
                             '_private', true, '_extension', 'broadcast'),
          'the payload: session, stream, source type, new and previous status; private broadcast');
select ok(not exists (select 1 from tests.stream_broadcasts() p where p::text like '%streamkey42%'),
          'the payload never carries the source URL (an rtmp stream key)');

select tests.authenticate_as('host');
update public.streams set status = 'live' where id = 'aaaaaaaa-0000-4000-8000-0000000005b1';
select tests.clear_authentication();
select is((select count(*)::int from tests.stream_broadcasts()), 1, 'setting the same status again broadcasts nothing');

select tests.authenticate_as('host');
select lives_ok($$ update public.streams set status = 'error' where id = 'aaaaaaaa-0000-4000-8000-0000000005b1' $$,
                'error is a stream status');
update public.streams set status = 'ended' where id = 'aaaaaaaa-0000-4000-8000-0000000005b1';
select throws_ok($$ update public.streams set status = 'paused' where id = 'aaaaaaaa-0000-4000-8000-0000000005b1' $$,
                 '23514', null, 'an unknown status is rejected');
select tests.clear_authentication();
select is((select array_agg(p ->> 'status' order by p ->> 'changed_at', p ->> 'status') from tests.stream_broadcasts() p),
          array['ended', 'error', 'live'], 'live, error and ended are each broadcast once (one transaction: same changed_at)');
select is((select p ->> 'previous_status' from tests.stream_broadcasts() p where p ->> 'status' = 'ended'), 'error',
          'previous_status follows the stream');

-- A stream added already live is broadcast.
insert into public.streams (id, session_id, source_type, source_url, status) values
  ('aaaaaaaa-0000-4000-8000-0000000005b2', 'aaaaaaaa-0000-4000-8000-0000000005a1', 'youtube', 'https://youtu.be/abc', 'live');
select is((select p ->> 'previous_status' from tests.stream_broadcasts() p where p ->> 'stream_id' = 'aaaaaaaa-0000-4000-8000-0000000005b2'),
          null, 'a stream inserted live is broadcast, without a previous status');

-- Only hosts change a stream: a moderator's update changes nothing and broadcasts nothing.
select tests.authenticate_as('moderator');
update public.streams set status = 'ended' where id = 'aaaaaaaa-0000-4000-8000-0000000005b2';
select tests.clear_authentication();
select is((select count(*)::int from tests.stream_broadcasts() p where p ->> 'stream_id' = 'aaaaaaaa-0000-4000-8000-0000000005b2'), 1,
          'a moderator cannot change a stream''s status (RLS), so nothing is broadcast');

-- Who receives them: the session topic's rules (members who are not banned), nobody writes.
select results_eq($$ select can_read, can_write from tests.realtime_access('host', 'session:aaaaaaaa-0000-4000-8000-0000000005a1') $$,
                  $$ values (true, false) $$, 'the host receives stream_status');
select results_eq($$ select can_read, can_write from tests.realtime_access('booked', 'session:aaaaaaaa-0000-4000-8000-0000000005a1') $$,
                  $$ values (true, false) $$, 'a booked member receives stream_status and cannot send it');
select results_eq($$ select can_read, can_write from tests.realtime_access('banned', 'session:aaaaaaaa-0000-4000-8000-0000000005a1') $$,
                  $$ values (false, false) $$, 'a banned member does not receive it');
select results_eq($$ select can_read, can_write from tests.realtime_access('outsider', 'session:aaaaaaaa-0000-4000-8000-0000000005a1') $$,
                  $$ values (false, false) $$, 'an outsider does not receive it');
select results_eq($$ select can_read, can_write from tests.realtime_access(null, 'session:aaaaaaaa-0000-4000-8000-0000000005a1') $$,
                  $$ values (false, false) $$, 'anon does not receive it');
select ok(not has_function_privilege('authenticated', 'private.broadcast_stream_status()', 'execute'),
          'clients cannot call the broadcast function');

select * from finish();
rollback;
