-- open_poll on a closed poll reopens it (issue 19, item 4): votes kept (voters stay voted, others
-- may vote), poll_updated sent, results visibility rules unchanged; staff only; not once the
-- session is over; an open poll cannot open again.
begin;
\ir ../helpers.sql
select plan(20);

create function pg_temp.opt(poll text, pos int) returns uuid language sql as $$
  select o.id from public.poll_options o where o.poll_id = poll::uuid and o.position = pos
$$;
grant execute on function pg_temp.opt(text, int) to authenticated, anon, service_role;

select tests.create_supabase_user('hana', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('mo', metadata => '{"display_name":"Mo Moderator"}');
select tests.create_supabase_user('mia');
select tests.create_supabase_user('max');
select tests.create_supabase_user('otto');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hana');
insert into public.sessions (id, title, status, visibility, starts_at, started_at, created_by)
values ('00000000-0000-4000-8000-0000000052a1', 'Polls', 'live', 'members', now(), now(), tests.get_supabase_uid('hana'));
insert into public.session_staff (session_id, user_id, role)
values ('00000000-0000-4000-8000-0000000052a1', tests.get_supabase_uid('mo'), 'moderator');
insert into public.bookings (session_id, user_id, status)
select '00000000-0000-4000-8000-0000000052a1', tests.get_supabase_uid(u), 'confirmed' from unnest(array['mia', 'max']) u;

create function pg_temp.broadcasts(poll text) returns table (status text, voters int) language sql as $$
  select m.payload ->> 'status', (m.payload ->> 'voters')::int from realtime.messages m
  where m.event = 'poll_updated' and m.payload ->> 'poll_id' = poll order by m.inserted_at, m.id $$;

select tests.authenticate_as('hana');
select set_config('tests.p_live', (public.create_poll('00000000-0000-4000-8000-0000000052a1', 'Live?', array['a', 'b'])) ->> 'id', true);
select set_config('tests.p_after_close', (public.create_poll('00000000-0000-4000-8000-0000000052a1', 'Later?', array['a', 'b'],
                                          'single', 1, 'after_close')) ->> 'id', true);
select public.open_poll(current_setting('tests.p_live')::uuid), public.open_poll(current_setting('tests.p_after_close')::uuid);
select tests.authenticate_as('mia');
select public.vote_poll(current_setting('tests.p_live')::uuid, array[pg_temp.opt(current_setting('tests.p_live'), 1)]);
select public.vote_poll(current_setting('tests.p_after_close')::uuid, array[pg_temp.opt(current_setting('tests.p_after_close'), 2)]);
select tests.authenticate_as('hana');
select public.close_poll(current_setting('tests.p_live')::uuid), public.close_poll(current_setting('tests.p_after_close')::uuid);

-- Who may reopen.
select tests.authenticate_as('mia');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'forbidden', 'a member cannot reopen a poll');
select tests.authenticate_as('otto');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'forbidden',
          'an outsider cannot reopen a poll of a session they can see');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live')), '42501', null, 'anon cannot call open_poll');
select tests.clear_authentication();
select is((select status from public.polls where id = current_setting('tests.p_live')::uuid), 'closed', 'refused reopens change nothing');

-- The host reopens: votes kept, poll_updated sent.
select tests.authenticate_as('hana');
select is((public.open_poll(current_setting('tests.p_live')::uuid)) - array['id', 'session_id', 'question', 'kind', 'max_choices',
            'results_visibility', 'is_anonymous', 'options', 'created_at', 'opened_at'],
          '{"status": "open", "closed_at": null}'::jsonb, 'the host reopens a closed poll: open, closed_at cleared');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'invalid_transition',
          'an open poll cannot open again');
select tests.clear_authentication();
select bag_eq(format($$ select * from pg_temp.broadcasts(%L) $$, current_setting('tests.p_live')),
                  $$ values ('open', 0), ('open', 1), ('closed', 1), ('open', 1) $$,
                  'open, the vote, close and reopen each send poll_updated; the reopen carries the kept votes (live results)');
select is((select count(*)::int from public.poll_ballots where poll_id = current_setting('tests.p_live')::uuid), 1, 'the ballot is kept');
select ok((select opened_at >= created_at and closed_at is null from public.polls where id = current_setting('tests.p_live')::uuid),
          'opened_at is the latest opening');

select tests.authenticate_as('mia');
select is(tests.error_code(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live'))),
          'already_voted', 'who voted before the close stays voted');
select tests.authenticate_as('max');
select lives_ok(format($$ select public.vote_poll(%L, array[pg_temp.opt(%L, 2)]) $$, current_setting('tests.p_live'), current_setting('tests.p_live')),
                'a member who had not voted votes in the reopened poll');
select is((select array_agg(votes order by position) from public.poll_results(current_setting('tests.p_live')::uuid)), array[1, 1]::bigint[],
          'the results hold the old and the new vote');

-- A moderator reopens too; results visibility is unchanged: after_close hides the results again.
select tests.authenticate_as('mia');
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 1,
          'after_close: the closed poll shows its results');
select tests.authenticate_as('mo');
select is((public.open_poll(current_setting('tests.p_after_close')::uuid)) ->> 'status', 'open', 'a moderator reopens a poll');
select tests.authenticate_as('mia');
select is((select count(*)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 0,
          'after_close: reopened, its results are hidden from members until it closes again');
select tests.clear_authentication();
select bag_eq(format($$ select * from pg_temp.broadcasts(%L) $$, current_setting('tests.p_after_close')),
              $$ values ('open', null::int), ('closed', 1), ('open', null) $$,
              'the reopen broadcast of an after_close poll carries no counts');
select tests.authenticate_as('mo');
select is((select sum(votes)::int from public.poll_results(current_setting('tests.p_after_close')::uuid)), 1, 'staff still see them');

-- Not once the session is over: ending it closes the polls, and they stay closed.
select tests.authenticate_as('hana');
select public.end_session('00000000-0000-4000-8000-0000000052a1');
select is(tests.error_code(format($$ select public.open_poll(%L) $$, current_setting('tests.p_live'))), 'invalid_transition',
          'a poll of an ended session cannot reopen');
select tests.clear_authentication();
select is((select array_agg(status) from public.polls where session_id = '00000000-0000-4000-8000-0000000052a1'), array['closed', 'closed'],
          'both polls are closed with the session');

-- service_role passes the staff check.
update public.sessions set status = 'live', ended_at = null where id = '00000000-0000-4000-8000-0000000052a1';
select tests.authenticate_as_service_role();
select is((public.open_poll(current_setting('tests.p_live')::uuid)) ->> 'status', 'open', 'service_role reopens a poll');

select * from finish();
rollback;
