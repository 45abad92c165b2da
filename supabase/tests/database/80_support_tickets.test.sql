-- Support tickets: structure, the RLS matrix of support_tickets and ticket_messages (author, other
-- user, coach, admin, anon, service_role), opening (validation, session/booking checks, rate limit
-- 429), the thread (author replies, admin replies, internal notes that never reach the author in
-- rows, the ticket row, notifications or broadcasts), assignment, status and priority with their
-- timestamps and the overdue rule, notifications to both sides, and audit rows for every admin act.
begin;
\ir ../helpers.sql
select plan(77);

select tests.create_supabase_user('ada');
select tests.create_supabase_user('bea');
select tests.create_supabase_user('uma');
select tests.create_supabase_user('ole');
select tests.create_supabase_user('carl');
-- Seeds may hold admins: make ada and bea the only ones, so "every admin" is known.
update public.user_roles set role = 'admin' where user_id in (tests.get_supabase_uid('ada'), tests.get_supabase_uid('bea'));
update public.user_roles set role = 'member'
 where role = 'admin' and user_id not in (tests.get_supabase_uid('ada'), tests.get_supabase_uid('bea'));
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('carl');
select set_config('tests.audit_from', (select coalesce(max(id), 0)::text from public.audit_log), true);

insert into public.sessions (id, title, starts_at, status, visibility, created_by) values
  ('cccccccc-0000-4000-8000-000000000001', 'Public workshop', now() + interval '2 days', 'scheduled', 'public', tests.get_supabase_uid('carl')),
  ('cccccccc-0000-4000-8000-000000000002', 'Private coaching', now() + interval '2 days', 'scheduled', 'private', tests.get_supabase_uid('carl'));
insert into public.bookings (id, session_id, user_id, status) values
  ('cccccccc-0000-4000-8000-000000000011', 'cccccccc-0000-4000-8000-000000000001', tests.get_supabase_uid('uma'), 'confirmed'),
  ('cccccccc-0000-4000-8000-000000000012', 'cccccccc-0000-4000-8000-000000000001', tests.get_supabase_uid('ole'), 'confirmed');

-- Structure ---------------------------------------------------------------------------------------
select is(tests.tables_without_rls('public') && array['support_tickets', 'ticket_messages'], false,
          'support_tickets and ticket_messages have RLS');
select policies_are('public', 'support_tickets', array['deactivated accounts read nothing', 'users read their own tickets and admins read every ticket']);
select policies_are('public', 'ticket_messages', array[
  'deactivated accounts read nothing', 'authors read the public messages of their tickets, admins all']);
select is(has_table_privilege('authenticated', 'public.support_tickets', 'INSERT')
          or has_table_privilege('authenticated', 'public.support_tickets', 'UPDATE')
          or has_table_privilege('authenticated', 'public.support_tickets', 'DELETE')
          or has_table_privilege('authenticated', 'public.ticket_messages', 'INSERT')
          or has_table_privilege('authenticated', 'public.ticket_messages', 'UPDATE')
          or has_table_privilege('authenticated', 'public.ticket_messages', 'DELETE'), false,
          'authenticated writes tickets and messages only through the RPCs');
select is(has_table_privilege('anon', 'public.support_tickets', 'SELECT')
          or has_table_privilege('anon', 'public.ticket_messages', 'SELECT')
          or has_function_privilege('anon', 'public.open_support_ticket(text, text, text, uuid, uuid)', 'execute')
          or has_function_privilege('anon', 'public.reply_to_support_ticket(uuid, text, boolean)', 'execute'), false,
          'anon has no access to tickets');

-- Opening -------------------------------------------------------------------------------------------
select tests.authenticate_as('uma');
select set_config('tests.t1', (public.open_support_ticket('  Cannot join the workshop ', E'The join button does nothing.\n',
  'session', 'cccccccc-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000011')).id::text, true);
select results_eq($$ select subject, category, status::text, priority::text, session_id, booking_id, user_id
                     from public.support_tickets where id = current_setting('tests.t1')::uuid $$,
                  $$ values ('Cannot join the workshop'::text, 'session'::text, 'open'::text, 'normal'::text,
                             'cccccccc-0000-4000-8000-000000000001'::uuid, 'cccccccc-0000-4000-8000-000000000011'::uuid,
                             tests.get_supabase_uid('uma')) $$,
                  'uma opens a ticket: trimmed subject, category, session and booking, open and normal');
select is((select response_due_at - created_at from public.support_tickets where id = current_setting('tests.t1')::uuid),
          interval '24 hours', 'a normal ticket is due within 24 hours');
select results_eq($$ select body, author_id, is_internal from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid $$,
                  $$ values ('The join button does nothing.'::text, tests.get_supabase_uid('uma'), false) $$,
                  'the body is the first message of the thread, trimmed');
select is(tests.error_code($$ select public.open_support_ticket('Hi', 'body') $$), 'invalid_input', 'a subject under 3 characters is refused');
select is(tests.error_code($$ select public.open_support_ticket('Help please', E' \u200b ') $$), 'invalid_input', 'a blank body is refused');
select is(tests.error_code($$ select public.open_support_ticket('Help please', 'body', 'gossip') $$), 'invalid_input', 'an unknown category is refused');
select is(tests.error_code($$ select public.open_support_ticket('Help please', 'body', 'session', 'cccccccc-0000-4000-8000-000000000002') $$),
          'not_found', 'a session the user cannot see is not_found');
select is(tests.error_code($$ select public.open_support_ticket('Help please', 'body', 'booking', null, 'cccccccc-0000-4000-8000-000000000012') $$),
          'not_found', 'another user''s booking is not_found');
select tests.clear_authentication();
select results_eq($$ select user_id, kind from public.notifications
                     where kind = 'support_ticket_opened' and data ->> 'ticket_id' = current_setting('tests.t1') order by user_id $$,
                  $$ select id, 'support_ticket_opened'::text from auth.users
                     where id in (tests.get_supabase_uid('ada'), tests.get_supabase_uid('bea')) order by id $$,
                  'every admin is notified of the new ticket');
select tests.authenticate_as_anon();
select throws_ok($$ select public.open_support_ticket('Help please', 'body') $$, '42501', null, 'anon cannot open a ticket');
select throws_ok($$ select count(*) from public.support_tickets $$, '42501', null, 'anon cannot read tickets');
select throws_ok($$ select count(*) from public.ticket_messages $$, '42501', null, 'anon cannot read ticket messages');

-- Internal notes --------------------------------------------------------------------------------------
select tests.clear_authentication();
select set_config('tests.t1_row', (select to_jsonb(t) from public.support_tickets t where id = current_setting('tests.t1')::uuid)::text, true);
select set_config('tests.realtime_before', (select count(*)::text from realtime.messages), true);
select tests.authenticate_as('ada');
select lives_ok($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'INTERNAL-7f3a: user is on an old browser', true) $$,
                'an admin writes an internal note');
select tests.authenticate_as('uma');
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid), 1,
          'the author does not read the internal note');
select is((select count(*)::int from public.ticket_messages where body like '%INTERNAL-7f3a%'), 0,
          'the author finds the note by no filter');
select is((select to_jsonb(t) from public.support_tickets t where id = current_setting('tests.t1')::uuid)::text,
          current_setting('tests.t1_row'), 'the internal note changes nothing on the ticket row the author reads');
select is((select count(*)::int from public.notifications where body like '%INTERNAL-7f3a%' or title like '%INTERNAL-7f3a%'), 0,
          'no notification of the author carries the note');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where body like '%INTERNAL-7f3a%' or title like '%INTERNAL-7f3a%'
           or data::text like '%INTERNAL-7f3a%'), 0, 'no notification of anyone carries the note');
select is((select count(*)::int from realtime.messages where payload::text like '%INTERNAL-7f3a%'), 0,
          'no broadcast carries the note');
select is((select count(*)::text from realtime.messages), current_setting('tests.realtime_before'),
          'the internal note broadcasts nothing at all');
select is((select count(*)::int from public.audit_log where before::text like '%INTERNAL-7f3a%' or after::text like '%INTERNAL-7f3a%'
           or details::text like '%INTERNAL-7f3a%'), 0, 'the audit row of the note does not repeat its text');
select tests.authenticate_as('bea');
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid and is_internal), 1,
          'another admin reads the internal note');
select tests.authenticate_as('uma');
select is(tests.error_code($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'sneaky', true) $$),
          'forbidden', 'the author cannot write an internal note');

-- RLS matrix -----------------------------------------------------------------------------------------
select tests.authenticate_as('ole');
select is((select count(*)::int from public.support_tickets where id = current_setting('tests.t1')::uuid), 0,
          'another user does not read the ticket');
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid), 0,
          'another user reads none of its messages');
select is(tests.error_code($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'me too') $$), 'not_found',
          'another user cannot reply to it');
select is(tests.error_code($$ select public.set_support_ticket_status(current_setting('tests.t1')::uuid, 'closed') $$), 'forbidden',
          'a member cannot set a ticket''s status');
select tests.authenticate_as('carl');
select is((select count(*)::int from public.support_tickets where id = current_setting('tests.t1')::uuid), 0,
          'a coach (host of the session it concerns) does not read the ticket');
select is(tests.error_code($$ select public.assign_support_ticket(current_setting('tests.t1')::uuid, tests.get_supabase_uid('carl')) $$),
          'forbidden', 'a coach cannot assign tickets');
select throws_ok($$ update public.support_tickets set status = 'closed' where id = current_setting('tests.t1')::uuid $$, '42501', null,
                 'a coach cannot update tickets directly');
select tests.authenticate_as('uma');
select throws_ok($$ update public.support_tickets set priority = 'urgent' where id = current_setting('tests.t1')::uuid $$, '42501', null,
                 'the author cannot update the ticket directly');
select throws_ok($$ insert into public.ticket_messages (ticket_id, author_id, body) values
                   (current_setting('tests.t1')::uuid, (select auth.uid()), 'direct') $$, '42501', null,
                 'the author cannot insert messages directly');
select throws_ok($$ delete from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid $$, '42501', null,
                 'the author cannot delete messages');
select tests.authenticate_as('ada');
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid), 2,
          'an admin reads the whole thread');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid), 2,
          'the service role reads the whole thread');

-- Admin reply, author reply, assignment, priority, overdue ---------------------------------------------
select tests.authenticate_as('ada');
select lives_ok($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'Please try another browser.') $$,
                'ada answers uma');
select tests.clear_authentication();
select results_eq($$ select status::text, first_response_at is not null, response_due_at, awaiting_response_since
                     from public.support_tickets where id = current_setting('tests.t1')::uuid $$,
                  $$ values ('pending'::text, true, null::timestamptz, null::timestamptz) $$,
                  'an admin answer sets pending, records the first response and stops the clock');
select results_eq($$ select kind, body from public.notifications where user_id = tests.get_supabase_uid('uma') $$,
                  $$ values ('support_ticket_reply'::text, 'Please try another browser.'::text) $$,
                  'uma is notified of the answer, and only of the answer');
select tests.authenticate_as('uma');
select is((select count(*)::int from public.ticket_messages where ticket_id = current_setting('tests.t1')::uuid), 2,
          'the author reads her message and the answer');
select tests.authenticate_as('ada');
select is(tests.error_code($$ select public.assign_support_ticket(current_setting('tests.t1')::uuid, tests.get_supabase_uid('carl')) $$),
          'invalid_input', 'a ticket is assigned to admins only');
select is((public.assign_support_ticket(current_setting('tests.t1')::uuid, tests.get_supabase_uid('bea'))).assigned_to,
          tests.get_supabase_uid('bea'), 'ada assigns the ticket to bea');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('bea') and kind = 'support_ticket_assigned'), 1,
          'bea is notified of the assignment');
select tests.authenticate_as('uma');
select lives_ok($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'Still broken in Firefox.') $$,
                'uma replies');
select tests.clear_authentication();
select results_eq($$ select status::text, response_due_at - awaiting_response_since, awaiting_response_since = last_message_at
                     from public.support_tickets where id = current_setting('tests.t1')::uuid $$,
                  $$ values ('open'::text, interval '24 hours', true) $$,
                  'the author''s reply reopens the ticket and starts the clock again');
select results_eq($$ select user_id from public.notifications where kind = 'support_ticket_reply'
                     and data ->> 'ticket_id' = current_setting('tests.t1') and user_id <> tests.get_supabase_uid('uma') $$,
                  $$ values (tests.get_supabase_uid('bea')) $$,
                  'the reply notifies the assignee only');
select tests.authenticate_as('ada');
select is((select response_due_at - awaiting_response_since from public.set_support_ticket_priority(current_setting('tests.t1')::uuid, 'urgent')),
          interval '1 hour', 'urgent: due one hour after the author started waiting');
select tests.clear_authentication();
select is((select public.overdue(t) from public.support_tickets t where id = current_setting('tests.t1')::uuid), false,
          'a ticket within its target is not overdue');
update public.support_tickets
   set awaiting_response_since = now() - interval '2 hours', response_due_at = now() - interval '1 hour'
 where id = current_setting('tests.t1')::uuid;
select tests.authenticate_as('uma');
select is((select public.overdue(t) from public.support_tickets t where id = current_setting('tests.t1')::uuid), true,
          'waiting 2 hours on an urgent ticket is overdue');
select tests.authenticate_as('ada');
select is((select public.overdue(t) from public.set_support_ticket_priority(current_setting('tests.t1')::uuid, 'high') as t), false,
          'lowering the priority to high (4 h) makes it on time again');

-- Status: resolved, reopened, closed -----------------------------------------------------------------
select results_eq($$ select status::text, resolved_at is not null, response_due_at from
                     public.set_support_ticket_status(current_setting('tests.t1')::uuid, 'resolved') $$,
                  $$ values ('resolved'::text, true, null::timestamptz) $$,
                  'resolving records resolved_at and stops the clock');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where user_id = tests.get_supabase_uid('uma') and kind = 'support_ticket_status'), 1,
          'uma is notified of the status');
select tests.authenticate_as('uma');
select lives_ok($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'It came back.') $$, 'uma writes on the resolved ticket');
select results_eq($$ select status::text, resolved_at from public.support_tickets where id = current_setting('tests.t1')::uuid $$,
                  $$ values ('open'::text, null::timestamptz) $$, 'which reopens it');
select tests.authenticate_as('ada');
select is((public.set_support_ticket_status(current_setting('tests.t1')::uuid, 'closed')).closed_at is not null, true, 'ada closes it');
select lives_ok($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'Closed after a call.', true) $$,
                'an internal note on a closed ticket is fine');
select is(tests.error_code($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'One more thing') $$),
          'invalid_transition', 'an admin cannot reply publicly on a closed ticket');
select tests.authenticate_as('uma');
select is(tests.error_code($$ select public.reply_to_support_ticket(current_setting('tests.t1')::uuid, 'One more thing') $$),
          'invalid_transition', 'the author cannot reply on a closed ticket');
select is(tests.error_code($$ select public.reply_to_support_ticket(gen_random_uuid(), 'Hello') $$), 'not_found', 'an unknown ticket is not_found');
select tests.authenticate_as('ada');
select is(tests.error_code($$ select public.set_support_ticket_status(gen_random_uuid(), 'open') $$), 'not_found',
          'an admin acting on an unknown ticket gets not_found');
select is(tests.error_code($$ select public.set_support_ticket_priority(current_setting('tests.t1')::uuid, null) $$), 'invalid_input',
          'a null priority is invalid_input');

-- Audit of every admin act -------------------------------------------------------------------------
select tests.clear_authentication();
select results_eq($$ select action, count(*)::int from public.audit_log
                     where id > current_setting('tests.audit_from')::bigint and target_id = current_setting('tests.t1')::uuid
                     group by action order by action $$,
                  $$ values ('support_ticket_assigned'::text, 1), ('support_ticket_priority_set', 2),
                            ('support_ticket_replied', 3), ('support_ticket_status_set', 2) $$,
                  'every admin act on the ticket is audited (replies and notes, assignment, priority, status)');
select results_eq($$ select actor_id, before, after from public.audit_log
                     where id > current_setting('tests.audit_from')::bigint and action = 'support_ticket_assigned' $$,
                  $$ values (tests.get_supabase_uid('ada'), '{"assigned_to":null}'::jsonb,
                             jsonb_build_object('assigned_to', tests.get_supabase_uid('bea'))) $$,
                  'the assignment audit row says who, before and after');
select is((select count(*)::int from public.audit_log where id > current_setting('tests.audit_from')::bigint
           and target_id = current_setting('tests.t1')::uuid and actor_id = tests.get_supabase_uid('uma')), 0,
          'the author''s own acts are not admin acts');

-- Rate limit ---------------------------------------------------------------------------------------------
select tests.authenticate_as('uma');
select lives_ok($$ select public.open_support_ticket('Ticket ' || g, 'Body ' || g) from generate_series(2, 5) g $$,
                'uma opens four more tickets within the hour (five in all)');
select is(tests.error_code($$ select public.open_support_ticket('Ticket six', 'Body six') $$), 'rate_limited',
          'the sixth ticket within an hour is rate_limited');
select is(tests.error_status($$ select public.open_support_ticket('Ticket six', 'Body six') $$), 429, 'with status 429');
select ok((tests.error_detail($$ select public.open_support_ticket('Ticket six', 'Body six') $$) -> 'headers' ->> 'Retry-After')::int
          between 3590 and 3600, 'and Retry-After until the oldest of the five is an hour old');
select tests.clear_authentication();
update public.support_tickets set created_at = now() - interval '61 minutes' where id = current_setting('tests.t1')::uuid;
select tests.authenticate_as('uma');
select lives_ok($$ select public.open_support_ticket('Ticket six', 'Body six') $$, 'once the oldest is over an hour old, uma opens again');
select is((select count(*)::int from public.support_tickets), 6, 'uma reads her own six tickets');
select tests.authenticate_as('ole');
select lives_ok($$ select public.open_support_ticket('My own problem', 'Body') $$, 'the limit is per user: ole still opens one');
select is((select count(*)::int from public.support_tickets), 1, 'ole reads only his own ticket');
select tests.authenticate_as('bea');
select is((select count(*)::int from public.support_tickets where user_id in (tests.get_supabase_uid('uma'), tests.get_supabase_uid('ole'))), 7,
          'an admin reads every ticket');

select * from finish();
rollback;
