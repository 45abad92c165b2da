-- Polls: create_poll validation, open_poll/close_poll transitions, vote_poll rules (members, bans,
-- open only, once per user, max_choices, options of the poll), poll_results and results_visibility,
-- the RLS matrix of polls/options/ballots/votes, sharded tallies == vote rows, and the coalesced
-- poll_updated broadcast (aggregates only, final tallies on close).
begin;
\ir ../helpers.sql
select plan(92);

-- Option id of a poll by position.
create function pg_temp.opt(poll text, pos int) returns uuid language sql as $$
  select o.id from public.poll_options o where o.poll_id = poll::uuid and o.position = pos
$$;
grant execute on function pg_temp.opt(text, int) to authenticated, anon, service_role;

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('mia');
select tests.create_supabase_user('max');
select tests.create_supabase_user('mel');
select tests.create_supabase_user('bea');
select tests.create_supabase_user('otto');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000051a1', 'Polls', 'live', 'members', now(), now(), tests.get_supabase_uid('hana')),
       ('00000000-0000-4000-8000-0000000051a2', 'Other', 'live', 'members', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role)
values ('00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid(u), 'confirmed' from unnest(array['mia', 'max', 'mel', 'bea']) u;
insert into public.session_bans (session_id, user_id) values ('00000000-0000-4000-8000-0000000051a1', tests.get_supabase_uid('bea'));

-- Structure ---------------------------------------------------------------------------------------
select policies_are('public', 'polls', array['deactivated accounts read nothing', 'members read non-draft polls and staff all polls']);
select policies_are('public', 'poll_options', array['deactivated accounts read nothing', 'users read the options of polls they can read']);
select policies_are('public', 'poll_ballots', array['deactivated accounts read nothing', 'voters read their own ballots']);
select policies_are('public', 'poll_votes', array['deactivated accounts read nothing', 'voters read their own votes']);
select is((select bool_or(has_table_privilege('authenticated', t, p))
           from unnest(array['public.polls', 'public.poll_options', 'public.poll_ballots', 'public.poll_votes']) t,
                unnest(array['insert', 'update', 'delete']) p), false, 'clients cannot write polls, options, ballots or votes');
select is(has_table_privilege('authenticated', 'private.poll_option_tallies', 'select'), false, 'clients cannot read the tallies');

-- create_poll -------------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b']) $$), 'forbidden',
          'a member cannot create a poll');
select tests.authenticate_as('otto');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b']) $$), 'forbidden',
          'an outsider cannot create a poll');
select tests.authenticate_as_anon();
select throws_ok($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b']) $$, '42501', null,
                 'anon cannot call create_poll');
select tests.authenticate_as('hana');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['only']) $$), 'invalid_input', 'one option is too few');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['1','2','3','4','5','6','7','8','9','10','11']) $$),
          'invalid_input', 'eleven options are too many');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['Yes', ' yes ']) $$), 'invalid_input',
          'options must be distinct (trimmed, case-insensitive)');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', '  ']) $$), 'invalid_input',
          'empty options are refused');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', null]) $$), 'invalid_input',
          'null options are refused');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', '', array['a', 'b']) $$), 'invalid_input',
          'an empty question is refused');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b'], 'ranked') $$), 'invalid_input',
          'an unknown kind is refused');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b'], 'single', 2) $$), 'invalid_input',
          'a single poll has max_choices 1');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b', 'c'], 'multiple', 4) $$),
          'invalid_input', 'max_choices cannot exceed the option count');
select is(tests.error_code($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a', 'b'], 'single', 1, 'never') $$),
          'invalid_input', 'an unknown results_visibility is refused');
select is(tests.error_status($$ select public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Q?', array['a']) $$), 400, 'invalid_input is 400');
select set_config('tests.p_live', (public.create_poll('00000000-0000-4000-8000-0000000051a1', ' Best day? ', array['Mon', 'Tue', 'Wed'])) ->> 'id', true);
select is((select status || '/' || question || '/' || kind || '/' || max_choices from public.polls where id = current_setting('tests.p_live')::uuid),
          'draft/Best day?/single/1', 'the host creates a draft single-choice poll');
select is((select array_agg(label order by position) from public.poll_options where poll_id = current_setting('tests.p_live')::uuid),
          array['Mon', 'Tue', 'Wed'], 'options keep their order');
select tests.authenticate_as('mo');
select set_config('tests.p_multi', (public.create_poll('00000000-0000-4000-8000-0000000051a1', 'Pick two', array['a', 'b', 'c', 'd'], 'multiple', 2)) ->> 'id', true);
select set_config('tests.p_after_vote', (public.create_poll('00000000-0000-4000-8000-0000000051a1', 'After vote', array['x', 'y'], 'single', 1, 'after_vote')) ->> 'id', true);
select set_config('tests.p_after_close', (public.create_poll('00000000-0000-4000-8000-0000000051a1', 'After close', array['x', 'y'], 'single', 1, 'after_close', true)) ->> 'id', true);
select tests.authenticate_as('hana');
select set_config('tests.p_other', (public.create_poll('00000000-0000-4000-8000-0000000051a2', 'Elsewhere', array['x', 'y'])) ->> 'id', true);
select is((select count(*)::int from public.polls where session_id = '00000000-0000-4000-8000-0000000051a1'), 4, 'the moderator creates polls too');

-- Draft visibility and opening --------------------------------------------------------------------
select tests.authenticate_as('mia');
select is((select count(*)::int from public.polls), 0, 'members do not see draft polls');
select is((select count(*)::int from public.poll_options), 0, 'nor their options');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'not_found', 'voting in a draft poll is not_found for members');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'forbidden', 'a member cannot open a poll');
select tests.authenticate_as('hana');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'poll_not_open', 'staff voting in a draft poll get poll_not_open');
select is((public.open_poll(current_setting('tests.p_live')::uuid)) ->> 'status', 'open', 'the host opens the poll');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'invalid_transition', 'an open poll cannot open again');
select public.open_poll(current_setting('tests.p_multi')::uuid), public.open_poll(current_setting('tests.p_after_vote')::uuid),
       public.open_poll(current_setting('tests.p_after_close')::uuid), public.open_poll(current_setting('tests.p_other')::uuid);
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m where m.topic = 'session:00000000-0000-4000-8000-0000000051a1' and m.event = 'poll_updated'
           and m.private and m.payload ->> 'poll_id' = current_setting('tests.p_live') and m.payload ->> 'status' = 'open'), 1,
          'opening broadcasts poll_updated');

-- vote_poll ---------------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is((select count(*)::int from public.polls where session_id = '00000000-0000-4000-8000-0000000051a1'), 4, 'members see open polls');
select is((public.vote_poll(current_setting('tests.p_live')::uuid, array[pg_temp.opt(current_setting('tests.p_live'), 1)])) ->> 'poll_id',
          current_setting('tests.p_live'), 'a member votes');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'already_voted', 'a second vote is already_voted');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'already_voted', 'also with another option');
select is(tests.error_status(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          409, 'already_voted is 409');
select tests.authenticate_as('max');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1), pg_temp.opt(%L, 2)]) $$,
          current_setting('tests.p_live'), current_setting('tests.p_live'), current_setting('tests.p_live'))), 'invalid_input',
          'two options in a single-choice poll are refused');
select is(tests.error_code(format($$ select public.vote_poll(%L, '{}') $$, current_setting('tests.p_live'))), 'invalid_input', 'no option is refused');
select is(tests.error_code(format($$ select public.vote_poll(%L, null) $$, current_setting('tests.p_live'))), 'invalid_input', 'a null choice is refused');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_other'))),
          'invalid_input', 'an option of another poll is refused');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1), pg_temp.opt(%L, 1)]) $$,
          current_setting('tests.p_multi'), current_setting('tests.p_multi'), current_setting('tests.p_multi'))), 'invalid_input', 'duplicate options are refused');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1), pg_temp.opt(%L, 2), pg_temp.opt(%L, 3)]) $$,
          current_setting('tests.p_multi'), current_setting('tests.p_multi'), current_setting('tests.p_multi'), current_setting('tests.p_multi'))),
          'invalid_input', 'more than max_choices options are refused');
select is((select count(*)::int from public.poll_ballots where user_id = tests.get_supabase_uid('max')), 0, 'refused votes leave no ballot');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live')),
                'another member votes');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1), pg_temp.opt(%L, 3)]) $$,
                current_setting('tests.p_multi'), current_setting('tests.p_multi'), current_setting('tests.p_multi')), 'two options in a multiple-choice poll');
select is((select count(*)::int from public.poll_votes), 3, 'a voter reads only their own vote rows');
select tests.authenticate_as('mel');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live')), 'a third vote');
select is((select count(*)::int from public.poll_votes), 1, 'mel reads one vote row');
select throws_ok(format($$ insert into public.poll_votes (poll_id, option_id, user_id) values (%L, pg_temp.opt(%L, 3), %L) $$,
                 current_setting('tests.p_live'), current_setting('tests.p_live'), tests.get_supabase_uid('mel')), '42501', null, 'votes cannot be inserted directly');
select throws_ok(format($$ delete from public.poll_ballots where poll_id = %L $$, current_setting('tests.p_live')), '42501', null,
                 'ballots cannot be deleted by clients');
select tests.authenticate_as('bea');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'banned', 'a banned member cannot vote');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'forbidden', 'an outsider cannot vote');
select is(tests.error_code(format($$ select * from public.poll_results(%L) $$, current_setting('tests.p_live'))), 'not_found',
          'an outsider gets not_found for results');
select is((select count(*)::int from public.polls), 0, 'an outsider reads no polls');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.vote_poll(%L, '{}') $$, current_setting('tests.p_live')), '42501', null, 'anon cannot vote');
select throws_ok(format($$ select * from public.poll_results(%L) $$, current_setting('tests.p_live')), '42501', null, 'anon cannot read results');

-- Results -----------------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select results_eq(format($$ select label, votes, share, voters from public.poll_results(%L) $$, current_setting('tests.p_live')),
                  $$ values ('Mon'::text, 1::bigint, 0.3333::numeric, 3::bigint), ('Tue', 2, 0.6667, 3), ('Wed', 0, 0, 3) $$,
                  'live results: count and share per option, distinct voters');
select results_eq(format($$ select label, votes, share, voters from public.poll_results(%L) $$, current_setting('tests.p_multi')),
                  $$ values ('a'::text, 1::bigint, 1::numeric, 1::bigint), ('b', 0, 0, 1), ('c', 1, 1, 1), ('d', 0, 0, 1) $$,
                  'multiple choice: share is votes per voter');
select is((select count(*)::int from public.poll_results(current_setting('tests.p_after_vote')::uuid)), 0, 'after_vote: no results before voting');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_after_vote'), current_setting('tests.p_after_vote')),
                'vote in the after_vote poll');
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_after_vote')::uuid)), 1, 'after_vote: results once voted');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_after_close'), current_setting('tests.p_after_close')),
                'vote in the after_close poll');
select is((select count(*)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 0, 'after_close: no results while open, even for voters');
select tests.authenticate_as('max');
select is((select count(*)::int from public.poll_results(current_setting('tests.p_after_vote')::uuid)), 0, 'after_vote: a non-voter sees nothing');
select tests.authenticate_as('mo');
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 1, 'staff always see results');
select tests.authenticate_as_service_role();
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_live')::uuid)), 3, 'the service role reads results');

-- Broadcast rules ---------------------------------------------------------------------------------
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m where m.event = 'poll_updated'
           and m.payload ->> 'poll_id' in (current_setting('tests.p_after_vote'), current_setting('tests.p_after_close'))
           and (m.payload -> 'options' <> 'null'::jsonb or m.payload -> 'voters' <> 'null'::jsonb)), 0,
          'no counts are broadcast for after_vote or after_close polls while open');
select is((select count(*)::int from realtime.messages m where m.event = 'poll_updated' and m.payload ->> 'poll_id' = current_setting('tests.p_live')
           and m.payload ->> 'status' = 'open'), 2,
          'three votes within 500 ms give one coalesced broadcast (plus the opening one)');
update private.poll_broadcast_throttle set last_broadcast_at = now() - interval '1 second' where poll_id = current_setting('tests.p_live')::uuid;
select tests.authenticate_as('hana');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 3)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live')),
                'the host votes after the throttle window');
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m where m.event = 'poll_updated' and m.payload ->> 'poll_id' = current_setting('tests.p_live')
           and m.payload ->> 'status' = 'open'), 3, 'a vote after the window is broadcast');
select is((select array_agg(k order by k) from realtime.messages m, jsonb_object_keys(m.payload) k
           where m.event = 'poll_updated' and m.payload ->> 'poll_id' = current_setting('tests.p_live') and m.payload ->> 'voters' = '4'),
          array['id', 'options', 'poll_id', 'results_visibility', 'status', 'voters'], 'poll_updated carries aggregates only');
select is((select count(*)::int from realtime.messages m where m.event = 'poll_updated'
           and position(tests.get_supabase_uid('mia')::text in m.payload::text) > 0), 0, 'no broadcast names a voter');

-- Votes the 500 ms throttle held back are sent by the minute job (flush-live-counts).
-- poll_updated messages of the live poll carrying its current voter count.
create function pg_temp.live_poll_broadcasts() returns int language sql as $$
  select count(*)::int from realtime.messages m where m.event = 'poll_updated' and m.payload ->> 'poll_id' = current_setting('tests.p_live')
    and (m.payload ->> 'voters')::int = (select sum(t.voters)::int from private.poll_voter_tallies t where t.poll_id = current_setting('tests.p_live')::uuid) $$;
select set_config('tests.sent_before', pg_temp.live_poll_broadcasts()::text, true);
update private.poll_broadcast_throttle set last_broadcast_at = now() - interval '1 second', last_voters = 1
where poll_id = current_setting('tests.p_live')::uuid;
select ok(private.flush_live_counts() >= 1, 'the job sends what the throttle held back');
select is(pg_temp.live_poll_broadcasts(), current_setting('tests.sent_before')::int + 1, 'one poll_updated with the current voter count');
update private.poll_broadcast_throttle set last_broadcast_at = now() - interval '1 second' where poll_id = current_setting('tests.p_live')::uuid;
select private.flush_live_counts();
select is(pg_temp.live_poll_broadcasts(), current_setting('tests.sent_before')::int + 1, 'nothing more once subscribers are up to date');

-- close_poll --------------------------------------------------------------------------------------
select tests.authenticate_as('mia');
select is(tests.error_code(format($$ select public.close_poll(%L) $$, current_setting('tests.p_live'))), 'forbidden', 'a member cannot close a poll');
select tests.authenticate_as('hana');
select is((public.close_poll(current_setting('tests.p_live')::uuid)) ->> 'status', 'closed', 'the host closes the poll');
select is(tests.error_code(format($$ select public.close_poll(%L) $$, current_setting('tests.p_live'))), 'invalid_transition', 'a closed poll cannot close again');
select public.close_poll(current_setting('tests.p_after_close')::uuid), public.close_poll(current_setting('tests.p_after_vote')::uuid);
select tests.authenticate_as('max');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'poll_not_open', 'voting in a closed poll is poll_not_open');
select is(tests.error_status(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          409, 'poll_not_open is 409');
select tests.authenticate_as('mia');
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 1, 'after_close: results once closed');
select tests.clear_authentication();
select is((select m.payload -> 'options' from realtime.messages m where m.event = 'poll_updated'
           and m.payload ->> 'poll_id' = current_setting('tests.p_live') and m.payload ->> 'status' = 'closed'),
          (select jsonb_agg(jsonb_build_object('option_id', o.id, 'votes', (select count(*) from public.poll_votes v where v.option_id = o.id)) order by o.position)
           from public.poll_options o where o.poll_id = current_setting('tests.p_live')::uuid),
          'the close broadcast carries the final tallies');
select is((select (m.payload -> 'voters')::int from realtime.messages m where m.event = 'poll_updated'
           and m.payload ->> 'poll_id' = current_setting('tests.p_after_close') and m.payload ->> 'status' = 'closed'), 1,
          'an after_close poll broadcasts its counts once closed');
select is((select m.payload -> 'options' from realtime.messages m where m.event = 'poll_updated'
           and m.payload ->> 'poll_id' = current_setting('tests.p_after_vote') and m.payload ->> 'status' = 'closed'), 'null'::jsonb,
          'an after_vote poll never broadcasts its counts to the whole session');

-- Tallies are derived from the vote rows ---------------------------------------------------------
select is((select count(*)::int from public.poll_options o
           where (select coalesce(sum(t.votes), 0) from private.poll_option_tallies t where t.option_id = o.id)
              <> (select count(*) from public.poll_votes v where v.option_id = o.id)), 0,
          'sharded option tallies equal the vote rows of every option');
delete from auth.users where id = tests.get_supabase_uid('mel');
select is((select count(*)::int from public.polls p
           where (select coalesce(sum(t.voters), 0) from private.poll_voter_tallies t where t.poll_id = p.id)
              <> (select count(*) from public.poll_ballots b where b.poll_id = p.id)), 0,
          'after deleting a voter, voter tallies still equal the ballots');
select is((select sum(votes)::int from private.poll_option_tallies where poll_id = current_setting('tests.p_live')::uuid), 3,
          'and their vote left the option tallies');

-- Ending the session closes its open polls (the poll in 51a2 is open), with the final status broadcast.
select tests.authenticate_as('hana');
select public.end_session('00000000-0000-4000-8000-0000000051a2') is not null as ended;
select tests.clear_authentication();
select is((select status from public.polls where id = current_setting('tests.p_other')::uuid), 'closed',
          'ending the session closes its open polls');
select is((select count(*)::int from realtime.messages m where m.topic = 'session:00000000-0000-4000-8000-0000000051a2'
           and m.event = 'poll_updated' and m.payload ->> 'poll_id' = current_setting('tests.p_other') and m.payload ->> 'status' = 'closed'), 1,
          'and broadcasts the closed poll');
insert into public.bookings (session_id, user_id, status)
values ('00000000-0000-4000-8000-0000000051a2', tests.get_supabase_uid('bea'), 'confirmed');
select tests.authenticate_as('bea');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 1)]) $$, current_setting('tests.p_other'), current_setting('tests.p_other'))),
          'poll_not_open', 'nobody votes in a poll of an ended session');
select tests.clear_authentication();

-- Drift check (private.poll_tally_drift) -------------------------------------------------------------
select tests.clear_authentication();
select is((select count(*) from private.poll_tally_drift()), 0::bigint,
          'poll_tally_drift: the sharded tallies equal the vote and ballot rows');
update private.poll_option_tallies set votes = votes + 1
where (poll_id, option_id, shard) = (select poll_id, option_id, shard from private.poll_option_tallies where votes > 0 order by 1, 2, 3 limit 1);
update private.poll_voter_tallies set voters = voters + 1
where (poll_id, shard) = (select poll_id, shard from private.poll_voter_tallies where voters > 0 order by 1, 2 limit 1);
select is((select count(*) from private.poll_tally_drift()), 2::bigint,
          'poll_tally_drift: an option tally and a voter tally off by one are listed');

select * from finish();
rollback;
