-- Admin statistics: the hourly rollups equal a recount from the base tables after a randomized
-- sequence of writes by many users through the RPCs (bookings, cancellations, chat, questions,
-- votes, tickets), waitlist promotions and session transitions are counted, admin_stats answers
-- admins (and service_role) only, validates its input, and groups by day or week in a zone.
begin;
\ir ../helpers.sql
select plan(22);

-- Every write of this transaction lands in the current hour (now() is the transaction's start).
create view tests.rollup_now as
  select metric, sum(n)::bigint as n from private.stats_hourly
  where hour = date_trunc('hour', now(), 'UTC') group by metric;
create view tests.recount_now as
  select metric, n from private.stats_recount(date_trunc('hour', now(), 'UTC'), date_trunc('hour', now(), 'UTC') + interval '1 hour');
create temporary table before_rollup as select * from tests.rollup_now;
create temporary table before_recount as select * from tests.recount_now;
grant select on tests.rollup_now, tests.recount_now to authenticated, service_role;

select tests.create_supabase_user('ada');
select tests.create_supabase_user('hank');
select tests.create_supabase_user('mia');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('ada');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('hank');
select tests.create_supabase_user('user_' || g) from generate_series(1, 12) g;


insert into public.sessions (id, title, starts_at, status, started_at, visibility, capacity, waitlist_enabled, created_by)
select ('ffffffff-0000-4000-8000-00000000000' || g)::uuid, 'Stats session ' || g,
       case when g <= 2 then now() - interval '10 minutes' else now() + interval '2 days' end,
       case when g <= 2 then 'live' else 'scheduled' end,
       case when g <= 2 then now() - interval '10 minutes' end,
       'public', case when g = 4 then 2 end, g = 4, tests.get_supabase_uid('hank')
from generate_series(1, 4) g;
select tests.authenticate_as('hank');
select set_config('tests.poll', (public.create_poll('ffffffff-0000-4000-8000-000000000001', 'Ready?', array['Yes', 'No']) ->> 'id'), true);
select public.open_poll(current_setting('tests.poll')::uuid);
select tests.clear_authentication();

-- A randomized sequence of writes (fixed seed, so a failure replays), refusals included.
select setseed(0.18);
do $$
declare
  v_user text;
  v_session uuid;
  v_roll float8;
begin
  for i in 1 .. 300 loop
    v_user := 'user_' || (1 + floor(random() * 12))::int;
    v_session := ('ffffffff-0000-4000-8000-00000000000' || (1 + floor(random() * 4))::int)::uuid;
    v_roll := random();
    perform tests.authenticate_as(v_user);
    begin
      if v_roll < 0.30 then
        perform public.book_session(v_session);
      elsif v_roll < 0.45 then
        perform public.cancel_booking(v_session);
      elsif v_roll < 0.70 then
        perform public.send_chat_message(v_session, 'message ' || i);
      elsif v_roll < 0.80 then
        perform public.ask_question(v_session, 'question ' || i || '?');
      elsif v_roll < 0.92 then
        perform public.vote_poll(current_setting('tests.poll')::uuid,
          array[(select o.id from public.poll_options o where o.poll_id = current_setting('tests.poll')::uuid
                 order by o.position limit 1)]);
      else
        perform public.open_support_ticket('Ticket ' || i, 'Body ' || i);
      end if;
    exception when others then
      null;  -- refused writes (already booked, not a member, rate limits ...) count nothing
    end;
    perform tests.clear_authentication();
  end loop;
end
$$;

-- Rollups = recount ------------------------------------------------------------------------------
select results_eq(
  $$ select r.metric, coalesce(r.n, 0) - coalesce(b.n, 0) from tests.recount_now r left join before_recount b using (metric)
     where r.metric in ('bookings', 'chat_messages', 'questions', 'poll_votes', 'tickets_opened') order by 1 $$,
  $$ select r.metric, coalesce(r.n, 0) - coalesce(b.n, 0) from tests.rollup_now r left join before_rollup b using (metric)
     where r.metric in ('bookings', 'chat_messages', 'questions', 'poll_votes', 'tickets_opened') order by 1 $$,
  'after 300 random writes the hourly rollups equal a recount of bookings, chat messages, questions, votes and tickets');
select ok((select count(*) from tests.recount_now r left join before_recount b using (metric)
           where coalesce(r.n, 0) - coalesce(b.n, 0) > 0
             and r.metric in ('bookings', 'chat_messages', 'questions', 'poll_votes', 'tickets_opened')) = 5,
          'the random sequence wrote every kind of row (the comparison is not vacuous)');
select is((select coalesce(r.n, 0) - coalesce(b.n, 0) from tests.rollup_now r left join before_rollup b using (metric)
           where r.metric = 'cancellations'),
          (select count(*)::bigint from public.bookings where cancelled_at = now()),
          'cancellations equal the bookings cancelled in the period');
select is((select coalesce(r.n, 0) - coalesce(b.n, 0) from tests.rollup_now r left join before_rollup b using (metric)
           where r.metric = 'new_users'),
          (select count(*)::bigint from public.profiles where created_at = now()), 'new users equal the profiles created');

-- Waitlist promotions and session transitions ---------------------------------------------------------
insert into public.sessions (id, title, starts_at, status, visibility, capacity, waitlist_enabled, created_by) values
  ('ffffffff-0000-4000-8000-000000000099', 'One seat', now() + interval '4 days', 'scheduled', 'public', 1, true, tests.get_supabase_uid('hank'));
select set_config('tests.promotions', coalesce((select n::text from tests.rollup_now where metric = 'waitlist_promotions'), '0'), true);
select set_config('tests.cancelled_sessions', coalesce((select n::text from tests.rollup_now where metric = 'sessions_cancelled'), '0'), true);
select tests.authenticate_as('mia');
select is((public.book_session('ffffffff-0000-4000-8000-000000000099')).status, 'confirmed', 'mia takes the seat');
select tests.authenticate_as('ada');
select is((public.book_session('ffffffff-0000-4000-8000-000000000099')).status, 'waitlisted', 'ada waits');
select tests.authenticate_as('mia');
select lives_ok($$ select public.cancel_booking('ffffffff-0000-4000-8000-000000000099') $$, 'mia cancels');
select tests.clear_authentication();
select is((select n from tests.rollup_now where metric = 'waitlist_promotions'), current_setting('tests.promotions')::bigint + 1,
          'ada''s promotion is counted');
select tests.authenticate_as('hank');
select lives_ok($$ select public.cancel_session('ffffffff-0000-4000-8000-000000000099', 'Stats test') $$, 'hank cancels the session');
select tests.clear_authentication();
select is((select n from tests.rollup_now where metric = 'sessions_cancelled'), current_setting('tests.cancelled_sessions')::bigint + 1,
          'the cancelled session is counted');

-- admin_stats ------------------------------------------------------------------------------------------
select set_config('tests.expected_messages', (select sum(n)::text from private.stats_hourly where metric = 'chat_messages'
  and hour >= date_trunc('hour', now() - interval '1 day', 'UTC') and hour < now() + interval '1 hour'), true);
select tests.authenticate_as('ada');
select set_config('tests.stats', public.admin_stats(now() - interval '1 day', now() + interval '1 hour', 'day', 'Europe/Amsterdam')::text, true);
select is(current_setting('tests.stats')::jsonb -> 'totals' ->> 'chat_messages', current_setting('tests.expected_messages'),
          'admin_stats totals are the rollups of the period');
select is((select sum((s -> 'metrics' ->> 'bookings')::bigint)::bigint from jsonb_array_elements(current_setting('tests.stats')::jsonb -> 'series') s),
          (current_setting('tests.stats')::jsonb -> 'totals' ->> 'bookings')::bigint, 'the daily series adds up to the totals');
select ok((select bool_and(to_char((s ->> 'start')::timestamptz at time zone 'Europe/Amsterdam', 'HH24:MI') = '00:00')
           from jsonb_array_elements(current_setting('tests.stats')::jsonb -> 'series') s),
          'each day starts at midnight in the requested zone');
select ok((current_setting('tests.stats')::jsonb -> 'totals' ->> 'active_users')::int >= 12, 'the active users of the day are counted');
select ok((current_setting('tests.stats')::jsonb -> 'tickets') ?& array['open', 'pending', 'overdue'], 'open, pending and overdue tickets');
select is(jsonb_array_length(public.admin_stats(now() - interval '90 days', now(), 'week', 'UTC') -> 'series') <= 14, true,
          'weekly buckets over 90 days');
select is(tests.error_code($$ select public.admin_stats(now(), now() - interval '1 day') $$), 'invalid_input', 'from after to is invalid_input');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now(), 'month') $$), 'invalid_input', 'an unknown bucket is invalid_input');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now(), 'day', 'Mars/Base') $$), 'invalid_input',
          'an unknown zone is invalid_input');
select tests.authenticate_as('hank');
select is(tests.error_code($$ select public.admin_stats(now() - interval '1 day', now()) $$), 'forbidden', 'a coach is refused');
select tests.authenticate_as_anon();
select throws_ok($$ select public.admin_stats(now() - interval '1 day', now()) $$, '42501', null, 'anon is refused');
select tests.authenticate_as_service_role();
select ok(public.admin_stats(now() - interval '1 day', now()) ? 'totals', 'the service role reads the statistics');

select * from finish();
rollback;
