-- conversation:<id> (issue 19, item 6): the members of a conversation read and write its private
-- channel (typing broadcasts, Presence), an outsider neither, a removed member no longer, anon
-- nothing; replayed as the Realtime server authorizes a join (tests.realtime_access). And
-- conversation_read: sent when mark_conversation_read moves a member's read marker forward, never
-- when it does not.
begin;
\ir ../helpers.sql
select plan(24);

select tests.create_supabase_user('ann', metadata => '{"display_name":"Ann Sender"}');
select tests.create_supabase_user('ben', metadata => '{"display_name":"Ben Reader"}');
select tests.create_supabase_user('cat', metadata => '{"display_name":"Cat Group"}');
select tests.create_supabase_user('otto', metadata => '{"display_name":"Otto Outsider"}');
select tests.get_supabase_uid('ann') as ann, tests.get_supabase_uid('ben') as ben, tests.get_supabase_uid('cat') as cat \gset

select tests.authenticate_as('ann');
select (public.start_conversation(array[:'ben', :'cat']::uuid[], 'Coaching group')).id as conv \gset
select (public.start_conversation(array[:'ben']::uuid[])).id as pair \gset
select tests.clear_authentication();
select set_config('tests.topic', 'conversation:' || :'conv', true);

select policies_are('realtime', 'messages', array[
  'deactivated accounts receive nothing', 'members receive their sessions'' broadcasts and users their own',
  'members can track their presence on their sessions'' channels',
  'members receive their conversations'' channels',
  'members broadcast and track presence in their conversations']);

-- Read and write (broadcast: typing) -------------------------------------------------------------
select results_eq(format($$ select can_read, can_write from tests.realtime_access('ann', %L) $$, current_setting('tests.topic')),
                  $$ values (true, true) $$, 'the owner reads and writes the conversation channel');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('ben', %L) $$, current_setting('tests.topic')),
                  $$ values (true, true) $$, 'a member reads and writes it (typing)');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('otto', %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'an outsider neither reads nor writes');
select results_eq(format($$ select can_read, can_write from tests.realtime_access(null, %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'anon neither reads nor writes');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('cat', %L) $$, 'conversation:' || :'pair'),
                  $$ values (false, false) $$, 'a member of one conversation gets nothing of another');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('ann', %L) $$, 'conversation:' || gen_random_uuid()),
                  $$ values (false, false) $$, 'an unknown conversation is refused');
select results_eq($$ select can_read, can_write from tests.realtime_access('ann', 'conversation:not-a-uuid') $$,
                  $$ values (false, false) $$, 'a malformed conversation topic is refused, never an error');
select results_eq(format($$ select can_read, can_write from tests.realtime_access('ann', %L) $$, 'conversation:' || :'conv' || 'x'),
                  $$ values (false, false) $$, 'a uuid with trailing text is refused');
select is(private.topic_conversation_id('conversation:' || upper(:'conv')), :'conv'::uuid, 'topic_conversation_id parses an upper-case uuid');
select is(private.topic_conversation_id('session:' || :'conv'), null, 'a session topic is not a conversation topic');

-- Presence ---------------------------------------------------------------------------------------
create function pg_temp.try_insert(identifier text, topic text, extension text) returns boolean language plpgsql as $$
declare v_claims jsonb := case when identifier is null then '{"role":"anon"}'::jsonb else tests.user_claims(identifier) end;
begin
  begin
    perform set_config('role', case when identifier is null then 'anon' else 'authenticated' end, true),
            set_config('realtime.topic', topic, true),
            set_config('request.jwt.claims', v_claims::text, true);
    insert into realtime.messages (topic, extension, private, payload, event) values (topic, extension, true, '{}', 'typing');
    raise exception using errcode = 'P0004', message = 'allowed';
  exception
    when sqlstate 'P0004' then perform set_config('role', 'postgres', true); return true;
    when insufficient_privilege then perform set_config('role', 'postgres', true); return false;
  end;
end $$;
select is(pg_temp.try_insert('ben', current_setting('tests.topic'), 'presence'), true, 'a member tracks presence on the conversation');
select is(pg_temp.try_insert('ben', current_setting('tests.topic'), 'broadcast'), true, 'a member sends a typing broadcast');
select is(pg_temp.try_insert('otto', current_setting('tests.topic'), 'presence'), false, 'an outsider cannot track presence there');
select is(pg_temp.try_insert(null, current_setting('tests.topic'), 'broadcast'), false, 'anon cannot broadcast there');
select is(pg_temp.try_insert('ben', current_setting('tests.topic'), 'postgres_changes'), false, 'no other extension');

-- A removed member no longer --------------------------------------------------------------------
delete from public.conversation_members where conversation_id = :'conv' and user_id = :'cat';
select results_eq(format($$ select can_read, can_write from tests.realtime_access('cat', %L) $$, current_setting('tests.topic')),
                  $$ values (false, false) $$, 'a removed member neither reads nor writes at the next authorization');
select is(pg_temp.try_insert('cat', current_setting('tests.topic'), 'presence'), false, 'nor tracks presence');

-- conversation_read ------------------------------------------------------------------------------
create function pg_temp.reads() returns setof jsonb language sql as $$
  select m.payload from realtime.messages m where m.event = 'conversation_read' and m.topic = current_setting('tests.topic')
  order by m.payload ->> 'last_read_at' $$;
select tests.authenticate_as('ann');
select (public.send_direct_message(:'conv', 'First')).id as m1 \gset
select tests.authenticate_as('ben');
select public.mark_conversation_read(:'conv');
select tests.clear_authentication();
select is((select count(*)::int from pg_temp.reads()), 1, 'marking read broadcasts conversation_read once');
select is((select p - 'id' - 'last_read_at' from pg_temp.reads() p),
          jsonb_build_object('conversation_id', :'conv', 'user_id', :'ben', 'message_id', :'m1'),
          'who read up to which message');
select is((select (p ->> 'last_read_at')::timestamptz from pg_temp.reads() p),
          (select last_read_at from public.conversation_members where conversation_id = :'conv' and user_id = :'ben'),
          'with the stored read marker');
select is((select private from realtime.messages where event = 'conversation_read' limit 1), true, 'conversation_read is private');

select tests.authenticate_as('ben');
select public.mark_conversation_read(:'conv');
select tests.clear_authentication();
select is((select count(*)::int from pg_temp.reads()), 1, 'marking read again without a new message broadcasts nothing');

select tests.authenticate_as('ann');
select (public.send_direct_message(:'conv', 'Second')).id as m2 \gset
select tests.authenticate_as('ben');
select public.mark_conversation_read(:'conv');
select tests.clear_authentication();
select is((select array_agg(p ->> 'message_id') from pg_temp.reads() p), array[:'m1', :'m2'],
          'a new message read moves the marker forward: a second conversation_read');

select * from finish();
rollback;
