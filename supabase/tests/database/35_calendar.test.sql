-- Calendar feeds: the token is returned once and stored only as its SHA-256, a new feed revokes the
-- old one, revoke_calendar_feed() ends it, calendar_feed_events() returns the user's booked and
-- reminded sessions (cancelled ones included, drafts and other users' sessions excluded), the RLS and
-- privilege matrix on calendar_feeds, and who may execute which function.
begin;
\ir ../helpers.sql
select plan(80);

select tests.create_supabase_user('cal_host', metadata => '{"display_name":"Carla Host"}');
select tests.create_supabase_user('cal_moderator');
select tests.create_supabase_user('cal_member');
select tests.create_supabase_user('cal_outsider');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('cal_host');

-- The Saturday before the next end of summer time in Amsterdam (the last Sunday of October) whose
-- 10:00 local is more than a day ahead: a session then starts in summer time (UTC+2), in any year.
select min(d.saturday) as dst_saturday
from generate_series(extract(year from now())::int, extract(year from now())::int + 1) y,
     lateral (select make_date(y, 10, 31) - extract(dow from make_date(y, 10, 31))::int - 1 as saturday) d
where d.saturday + time '08:00' > (now() at time zone 'UTC') + interval '1 day' \gset

-- Fixtures as postgres: sessions of the host (the creator becomes host), bookings and reminders.
create temp table fx (label text primary key, id uuid not null);
insert into fx (label, id) values
  ('public', gen_random_uuid()), ('private', gen_random_uuid()), ('cancelled', gen_random_uuid()),
  ('draft', gen_random_uuid()), ('others', gen_random_uuid()), ('reminder_only', gen_random_uuid()),
  ('self_cancelled', gen_random_uuid()), ('left_then_cancelled', gen_random_uuid());
insert into public.sessions (id, title, description, starts_at, duration_minutes, timezone, status, visibility, created_by)
select fx.id, 'Session ' || fx.label, 'About ' || fx.label,
       case fx.label when 'reminder_only' then (:'dst_saturday' || ' 10:00 Europe/Amsterdam')::timestamptz
                     else now() + interval '10 days' end,
       45, 'Europe/Amsterdam',
       case fx.label when 'draft' then 'draft' else 'scheduled' end,
       case fx.label when 'private' then 'private' else 'public' end,
       tests.get_supabase_uid('cal_host')
from fx;
insert into public.session_staff (session_id, user_id, role)
select fx.id, tests.get_supabase_uid('cal_host'), 'host' from fx
on conflict do nothing;
insert into public.session_staff (session_id, user_id, role)
values ((select id from fx where label = 'public'), tests.get_supabase_uid('cal_moderator'), 'moderator');
insert into public.bookings (session_id, user_id, status, waitlist_position, cancelled_at)
values ((select id from fx where label = 'public'), tests.get_supabase_uid('cal_member'), 'confirmed', null, null),
       ((select id from fx where label = 'private'), tests.get_supabase_uid('cal_member'), 'waitlisted', 1, null),
       ((select id from fx where label = 'cancelled'), tests.get_supabase_uid('cal_member'), 'confirmed', null, null),
       ((select id from fx where label = 'draft'), tests.get_supabase_uid('cal_member'), 'confirmed', null, null),
       ((select id from fx where label = 'others'), tests.get_supabase_uid('cal_outsider'), 'confirmed', null, null),
       ((select id from fx where label = 'self_cancelled'), tests.get_supabase_uid('cal_member'), 'cancelled', null, now() - interval '1 hour'),
       ((select id from fx where label = 'left_then_cancelled'), tests.get_supabase_uid('cal_member'), 'cancelled', null, now() - interval '2 hours');
-- Bookings may add default reminders: none on the cancelled and self-cancelled sessions, so that only the
-- booking can put them in the feed; exactly two on the reminder-only session (no booking).
delete from public.session_reminders where session_id in (select id from fx where label in ('cancelled', 'self_cancelled', 'left_then_cancelled'));
insert into public.session_reminders (session_id, user_id, minutes_before)
values ((select id from fx where label = 'reminder_only'), tests.get_supabase_uid('cal_member'), 60),
       ((select id from fx where label = 'reminder_only'), tests.get_supabase_uid('cal_member'), 10);
-- Cancelling the session cancels its bookings (booking capability's cascade). The member had already
-- cancelled their booking of 'left_then_cancelled' when the host cancelled it (no active booking left).
update public.sessions set status = 'cancelled' where id in (select id from fx where label in ('cancelled', 'left_then_cancelled'));

-- Tokens handed out by create_calendar_feed(), kept for later statements (written as the caller).
create temp table tokens (label text primary key, answer jsonb not null);
grant select, insert on tokens to authenticated, anon, service_role;
grant select on fx to authenticated, anon, service_role;


-- Structure -------------------------------------------------------------------------------------

select has_table('public', 'calendar_feeds', 'calendar_feeds exists');
select is((select relrowsecurity from pg_class where oid = 'public.calendar_feeds'::regclass), true, 'RLS is enabled on calendar_feeds');
select policies_are('public', 'calendar_feeds', array['deactivated accounts read nothing', 'users can read their own calendar feeds'], 'exactly one policy: own rows');
select is(has_column_privilege('authenticated', 'public.calendar_feeds', 'token_hash', 'select'), false,
          'authenticated cannot select token_hash');
select is(has_column_privilege('service_role', 'public.calendar_feeds', 'token_hash', 'select'), false,
          'service_role cannot select token_hash either');
select is(has_column_privilege('authenticated', 'public.calendar_feeds', 'revoked_at', 'select'), true,
          'authenticated can select the other columns');
select is(has_table_privilege('anon', 'public.calendar_feeds', 'select'), false, 'anon has no privilege on calendar_feeds');
select is(
  (select array_agg(p order by p) from unnest(array['insert', 'update', 'delete']) p
    where has_table_privilege('authenticated', 'public.calendar_feeds', p)
       or (p <> 'delete' and has_any_column_privilege('authenticated', 'public.calendar_feeds', p))),
  null, 'authenticated cannot insert, update or delete calendar_feeds');

-- Function privileges: the feed lookup is service_role only.
select is(has_function_privilege('anon', 'public.calendar_feed_events(text)', 'execute'), false, 'anon cannot execute calendar_feed_events');
select is(has_function_privilege('authenticated', 'public.calendar_feed_events(text)', 'execute'), false, 'authenticated cannot execute calendar_feed_events');
select is(has_function_privilege('service_role', 'public.calendar_feed_events(text)', 'execute'), true, 'service_role can execute calendar_feed_events');
select is(has_function_privilege('anon', 'public.calendar_feed_is_active(text)', 'execute'), false, 'anon cannot execute calendar_feed_is_active');
select is(has_function_privilege('authenticated', 'public.calendar_feed_is_active(text)', 'execute'), false, 'authenticated cannot execute calendar_feed_is_active');
select is(has_function_privilege('anon', 'public.create_calendar_feed()', 'execute'), false, 'anon cannot execute create_calendar_feed');
select is(has_function_privilege('anon', 'public.revoke_calendar_feed()', 'execute'), false, 'anon cannot execute revoke_calendar_feed');
select is(has_function_privilege('authenticated', 'public.create_calendar_feed()', 'execute'), true, 'authenticated can execute create_calendar_feed');
select is(has_function_privilege('authenticated', 'public.revoke_calendar_feed()', 'execute'), true, 'authenticated can execute revoke_calendar_feed');
select is(has_function_privilege('authenticated', 'private.calendar_token_hash(text)', 'execute'), false, 'authenticated cannot execute the hash helper');

-- create_calendar_feed(): token once, only its hash stored --------------------------------------

select tests.authenticate_as('cal_member');
insert into tokens (label, answer) select 'member_first', public.create_calendar_feed();
select tests.clear_authentication();

select matches((select answer ->> 'token' from tokens where label = 'member_first'), '^[A-Za-z0-9_-]{43}$',
               'the token is 43 base64url characters (32 random bytes)');
select is((select answer ->> 'path' from tokens where label = 'member_first'),
          'calendar/feed/' || (select answer ->> 'token' from tokens where label = 'member_first') || '.ics',
          'the answer carries the feed path');
select is((select count(*)::int from public.calendar_feeds f, tokens t
            where t.label = 'member_first' and f.id = (t.answer ->> 'id')::uuid
              and f.user_id = tests.get_supabase_uid('cal_member')
              and f.token_hash = extensions.digest(t.answer ->> 'token', 'sha256') and f.revoked_at is null), 1,
          'the row stores the SHA-256 of the token for the caller, active');
select is((select count(*)::int from public.calendar_feeds f, tokens t
            where t.label = 'member_first' and (f::text like '%' || (t.answer ->> 'token') || '%'
                or encode(f.token_hash, 'escape') like '%' || (t.answer ->> 'token') || '%')), 0,
          'the token itself is stored nowhere in the row');
select throws_ok($$ insert into public.calendar_feeds (user_id, token_hash)
                    values (tests.get_supabase_uid('cal_member'), extensions.digest('x', 'sha256')) $$,
                 '23505', null, 'a second active feed per user is impossible');
select throws_ok($$ insert into public.calendar_feeds (user_id, token_hash, revoked_at)
                    values (tests.get_supabase_uid('cal_member'), '\x01'::bytea, now()) $$,
                 '23514', null, 'token_hash must be a SHA-256');

-- calendar_feed_events(): as service_role (the Edge Function) -----------------------------------

select tests.authenticate_as_service_role();
select set_eq(
  $$ select e.session_id from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e $$,
  $$ select id from fx where label in ('public', 'private', 'cancelled', 'reminder_only') $$,
  'the feed holds booked (confirmed, waitlisted), reminded and cancelled sessions, not drafts, self-cancelled bookings nor other users'' sessions');
select is(
  (select e.status from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'cancelled')),
  'cancelled', 'a cancelled session stays in the feed as cancelled');
select is(
  (select e.booking_status from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'cancelled')),
  'cancelled', 'the cancelled session is there through the booking its cancellation cancelled');
select is(
  (select count(*)::int from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'left_then_cancelled')),
  0, 'a session cancelled after the member cancelled their own booking does not come back into their feed');
select is(
  (select ss.cancelled_at from private.session_seats ss where ss.session_id = (select id from fx where label = 'cancelled')),
  (select b.cancelled_at from public.bookings b where b.session_id = (select id from fx where label = 'cancelled')),
  'the seat row keeps the cancellation time, the one the cascade stamps on the bookings it cancels');
select is(
  (select e.booking_status from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'private')),
  'waitlisted', 'booking_status tells a waitlisted booking');
select is(
  (select row(e.reminder_minutes, e.booking_status, e.host_name, e.link, e.title, e.description, e.duration_minutes, e.timezone)::text
     from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'reminder_only')),
  row('{10,60}'::int[], null::text, 'Carla Host', '/sessions/' || (select id from fx where label = 'reminder_only'),
      'Session reminder_only', 'About reminder_only', 45, 'Europe/Amsterdam')::text,
  'a reminder-only session: reminders ascending, no booking, host name, app link, details');
select is(
  (select e.starts_at from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'reminder_only')),
  (:'dst_saturday' || ' 08:00Z')::timestamptz, 'starts_at is the exact instant (10:00 Amsterdam summer time = 08:00 UTC)');
select is(
  (select e.reminder_minutes from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'private')),
  (select coalesce(array_agg(r.minutes_before order by r.minutes_before), '{}')
     from public.session_reminders r
    where r.session_id = (select id from fx where label = 'private') and r.user_id = tests.get_supabase_uid('cal_member')),
  'reminder_minutes of a booked session are exactly the user''s reminders');
select is(
  (select e.sequence from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first')) e
    where e.session_id = (select id from fx where label = 'public')),
  (select s.sequence from public.sessions s where s.id = (select id from fx where label = 'public')),
  'sequence is the session''s calendar sequence');
select is((select count(*)::int from public.calendar_feed_events('not-a-token')), 0, 'an unknown token returns nothing');
select is(public.calendar_feed_is_active((select answer ->> 'token' from tokens where label = 'member_first')), true,
          'calendar_feed_is_active: true for the active token');
select is(public.calendar_feed_is_active('not-a-token'), false, 'calendar_feed_is_active: false for an unknown token');
select tests.clear_authentication();

-- A new feed revokes the old one ----------------------------------------------------------------

select tests.authenticate_as('cal_member');
insert into tokens (label, answer) select 'member_second', public.create_calendar_feed();
select tests.clear_authentication();

select isnt((select answer ->> 'token' from tokens where label = 'member_second'),
            (select answer ->> 'token' from tokens where label = 'member_first'), 'a new feed has a new token');
select is((select count(*)::int from public.calendar_feeds where user_id = tests.get_supabase_uid('cal_member')), 2,
          'the old feed row is kept');
select is((select count(*)::int from public.calendar_feeds
            where user_id = tests.get_supabase_uid('cal_member') and revoked_at is null), 1, 'only one is active');
select isnt((select revoked_at from public.calendar_feeds where id = (select (answer ->> 'id')::uuid from tokens where label = 'member_first')),
            null, 'the old feed is revoked');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_first'))), 0,
          'the old token returns nothing');
select is((select count(*)::int from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_second'))), 4,
          'the new token returns the feed');
select tests.clear_authentication();

-- Other users' feeds, for the RLS matrix.
select tests.authenticate_as('cal_host');
insert into tokens (label, answer) select 'host', public.create_calendar_feed();
select tests.authenticate_as('cal_moderator');
insert into tokens (label, answer) select 'moderator', public.create_calendar_feed();
select tests.clear_authentication();

-- RLS matrix on calendar_feeds ------------------------------------------------------------------

select tests.authenticate_as('cal_member');
select is((select count(*)::int from public.calendar_feeds), 2, 'booked member: sees their own two rows');
select is((select count(*)::int from public.calendar_feeds where user_id <> (select auth.uid())), 0,
          'booked member: sees no other user''s feed');
select throws_ok($$ select token_hash from public.calendar_feeds $$, '42501', null, 'booked member: cannot select token_hash');
select throws_ok($$ insert into public.calendar_feeds (user_id, token_hash)
                    values ((select auth.uid()), extensions.digest('mine', 'sha256')) $$,
                 '42501', null, 'booked member: cannot insert (no chosen tokens)');
select throws_ok($$ update public.calendar_feeds set revoked_at = null $$, '42501', null, 'booked member: cannot un-revoke');
select throws_ok($$ delete from public.calendar_feeds $$, '42501', null, 'booked member: cannot delete');
select tests.authenticate_as('cal_host');
select results_eq($$ select user_id from public.calendar_feeds $$, $$ values (tests.get_supabase_uid('cal_host')) $$,
                  'host: sees only their own feed');
select throws_ok($$ update public.calendar_feeds set revoked_at = now() where user_id = tests.get_supabase_uid('cal_member') $$,
                 '42501', null, 'host: cannot revoke a member''s feed directly');
select tests.authenticate_as('cal_moderator');
select results_eq($$ select user_id from public.calendar_feeds $$, $$ values (tests.get_supabase_uid('cal_moderator')) $$,
                  'moderator: sees only their own feed');
select tests.authenticate_as('cal_outsider');
select is((select count(*)::int from public.calendar_feeds), 0, 'outsider without a feed: sees no rows');
select tests.authenticate_as_anon();
select throws_ok($$ select id from public.calendar_feeds $$, '42501', null, 'anon: cannot read calendar_feeds');
select throws_ok($$ select public.create_calendar_feed() $$, '42501', null, 'anon: cannot create a feed');
select throws_ok($$ select * from public.calendar_feed_events('x') $$, '42501', null, 'anon: cannot call calendar_feed_events');
select throws_ok($$ insert into public.calendar_feeds (user_id, token_hash)
                    values (tests.get_supabase_uid('cal_member'), extensions.digest('anon', 'sha256')) $$,
                 '42501', null, 'anon: cannot insert');
select throws_ok($$ update public.calendar_feeds set revoked_at = now() $$, '42501', null, 'anon: cannot update');
select throws_ok($$ delete from public.calendar_feeds $$, '42501', null, 'anon: cannot delete');
select throws_ok($$ select public.revoke_calendar_feed() $$, '42501', null, 'anon: cannot revoke a feed');
select throws_ok($$ select public.calendar_feed_is_active('x') $$, '42501', null, 'anon: cannot call calendar_feed_is_active');
select tests.authenticate_as('cal_outsider');
select throws_ok($$ delete from public.calendar_feeds where user_id = tests.get_supabase_uid('cal_member') $$,
                 '42501', null, 'outsider: cannot delete another user''s feed');
select throws_ok($$ select public.calendar_feed_is_active((select answer ->> 'token' from tokens where label = 'member_second')) $$,
                 '42501', null, 'authenticated: cannot probe tokens with calendar_feed_is_active');
select throws_ok($$ select * from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_second')) $$,
                 '42501', null, 'authenticated: cannot call calendar_feed_events, even with a real token');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.calendar_feeds where user_id in (tests.get_supabase_uid('cal_member'),
            tests.get_supabase_uid('cal_host'), tests.get_supabase_uid('cal_moderator'))), 4, 'service_role: reads every feed row');
select throws_ok($$ select token_hash from public.calendar_feeds $$, '42501', null, 'service_role: cannot select token_hash');
select throws_ok($$ insert into public.calendar_feeds (user_id, token_hash)
                    values (tests.get_supabase_uid('cal_member'), extensions.digest('svc', 'sha256')) $$,
                 '42501', null, 'service_role: cannot insert (tokens come only from create_calendar_feed)');
select throws_ok($$ update public.calendar_feeds set revoked_at = null $$, '42501', null, 'service_role: cannot update');
select throws_ok($$ delete from public.calendar_feeds $$, '42501', null, 'service_role: cannot delete');
select is(tests.error_code('select public.create_calendar_feed()'), 'not_authenticated',
          'service_role: create_calendar_feed answers not_authenticated (a feed belongs to a user)');
select tests.clear_authentication();
select is((select count(*)::int from public.calendar_feeds where user_id = tests.get_supabase_uid('cal_member') and revoked_at is null), 1,
          'nothing changed after the denied writes');

-- Unauthenticated callers get not_authenticated ---------------------------------------------------

select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role":"authenticated"}', true);
select is(tests.error_code('select public.create_calendar_feed()'), 'not_authenticated', 'create without a user: not_authenticated');
select is(tests.error_code('select public.revoke_calendar_feed()'), 'not_authenticated', 'revoke without a user: not_authenticated');
select tests.clear_authentication();

-- revoke_calendar_feed() ----------------------------------------------------------------------------

select tests.authenticate_as('cal_member');
select is(public.revoke_calendar_feed(), true, 'revoke: true when an active feed was revoked');
select is(public.revoke_calendar_feed(), false, 'revoke again: false, nothing active');
select is((select count(*)::int from public.calendar_feeds where revoked_at is null), 0, 'the member has no active feed');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'member_second'))), 0,
          'a revoked token returns nothing');
select is(public.calendar_feed_is_active((select answer ->> 'token' from tokens where label = 'member_second')), false,
          'a revoked token is not active');
select is((select count(*)::int from public.calendar_feed_events((select answer ->> 'token' from tokens where label = 'host'))), 0,
          'the host''s feed is empty (they booked nothing) but still resolvable');
select is(public.calendar_feed_is_active((select answer ->> 'token' from tokens where label = 'host')), true,
          'other users'' feeds are untouched by the member''s revoke');
select tests.clear_authentication();

select * from finish();
rollback;
