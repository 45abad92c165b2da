-- Resource tracking: track_resource_view / track_resource_download (counted once per user per 10
-- minutes, per UTC day with unique users, only for resources the caller may read), resource_stats for
-- the author and admins, and the RLS of resource_activity and resource_daily_stats (author, another
-- coach, attendee, member, anon, admin, service_role). Parallel exactness: supabase/tests/concurrency/
-- resource_tracking.test.ts.
begin;
\ir ../helpers.sql
select plan(45);

select tests.create_supabase_user('author');
select tests.create_supabase_user('coach2');
select tests.create_supabase_user('attendee');
select tests.create_supabase_user('member');
select tests.create_supabase_user('member2');
select tests.create_supabase_user('admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('author'), tests.get_supabase_uid('coach2'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
select tests.get_supabase_uid('author') as author, tests.get_supabase_uid('member') as member,
       tests.get_supabase_uid('member2') as member2 \gset

\set r_pdf     '00000000-0000-4000-8000-0000000083a1'
\set r_article '00000000-0000-4000-8000-0000000083a2'
\set r_private '00000000-0000-4000-8000-0000000083a3'
\set r_att     '00000000-0000-4000-8000-0000000083a4'
\set r_draft   '00000000-0000-4000-8000-0000000083a5'
\set r_hidden  '00000000-0000-4000-8000-0000000083a6'
insert into public.resources (id, title, kind, body, external_url, visibility, status, author_id) values
  (:'r_pdf', 'Worksheet', 'pdf', null, 'https://example.org/w.pdf', 'members', 'published', :'author'),
  (:'r_article', 'Article', 'article', 'Text', null, 'public', 'published', :'author'),
  (:'r_private', 'Private', 'pdf', null, 'https://example.org/p.pdf', 'private', 'published', :'author'),
  (:'r_att', 'Attendees', 'pdf', null, 'https://example.org/a.pdf', 'attendees', 'published', :'author'),
  (:'r_draft', 'Draft', 'pdf', null, 'https://example.org/d.pdf', 'members', 'draft', :'author'),
  (:'r_hidden', 'Hidden', 'pdf', null, 'https://example.org/h.pdf', 'members', 'published', :'author');
update public.resources set hidden_at = now(), hidden_reason = 'test' where id = :'r_hidden';
insert into public.sessions (id, title, status, visibility, starts_at, created_by)
values ('00000000-0000-4000-8000-0000000083c1', 'Tracked session', 'scheduled', 'members', now() + interval '1 day', :'author');
insert into public.bookings (session_id, user_id, status)
values ('00000000-0000-4000-8000-0000000083c1', tests.get_supabase_uid('attendee'), 'confirmed');
insert into public.resource_links (resource_id, session_id, added_by) values (:'r_att', '00000000-0000-4000-8000-0000000083c1', :'author');

create function pg_temp.today_stats(resource_id uuid) returns text language sql security definer as $$
  select coalesce((select row(d.views, d.downloads, d.unique_viewers, d.unique_downloaders)::text
                   from public.resource_daily_stats d where d.resource_id = today_stats.resource_id
                     and d.day = (now() at time zone 'utc')::date), 'none')
$$;
grant execute on function pg_temp.today_stats(uuid) to authenticated;

-- Structure -------------------------------------------------------------------------------------
select policies_are('public', 'resource_activity', array['deactivated accounts read nothing', 'users read their own resource activity']);
select policies_are('public', 'resource_daily_stats', array['deactivated accounts read nothing', 'authors and admins read the daily numbers of resources']);
select is(has_table_privilege('authenticated', 'public.resource_activity', 'INSERT, UPDATE, DELETE'), false, 'clients never write activity');
select is(has_table_privilege('authenticated', 'public.resource_daily_stats', 'INSERT, UPDATE, DELETE'), false, 'nor daily numbers');
select is(has_table_privilege('anon', 'public.resource_daily_stats', 'SELECT'), false, 'anon reads no numbers');

-- Views, once per window ----------------------------------------------------------------------------
select tests.authenticate_as('member');
select is(public.track_resource_view(:'r_pdf'), '{"counted": true}'::jsonb, 'a member''s first view counts');
select is(public.track_resource_view(:'r_pdf'), '{"counted": false}'::jsonb, 'a repeat within 10 minutes does not');
select is(public.track_resource_view(:'r_pdf'), '{"counted": false}'::jsonb, 'nor a third');
select is(pg_temp.today_stats(:'r_pdf'), '(1,0,1,0)', 'one view, one unique viewer today');
select is((select row(kind, counted)::text from public.resource_activity where resource_id = :'r_pdf'), '(view,1)',
          'the member reads their own activity row');
select tests.clear_authentication();
-- 11 minutes later (same UTC day): counted again, still one unique viewer today.
update public.resource_activity set last_counted_at = now() - interval '11 minutes' where user_id = :'member';
select tests.authenticate_as('member');
select is(public.track_resource_view(:'r_pdf'), '{"counted": true}'::jsonb, 'after the window a view counts again');
select is(pg_temp.today_stats(:'r_pdf'), '(2,0,1,0)', 'two views, still one unique viewer today');
select tests.clear_authentication();
-- member2 last viewed it yesterday: today they are a new unique viewer of the day.
insert into public.resource_activity (resource_id, user_id, kind, first_at, last_counted_at, last_day)
values (:'r_pdf', :'member2', 'view', now() - interval '1 day', now() - interval '1 day', (now() at time zone 'utc')::date - 1);
select tests.authenticate_as('member2');
select is(public.track_resource_view(:'r_pdf'), '{"counted": true}'::jsonb, 'a viewer from yesterday counts today');
select is(pg_temp.today_stats(:'r_pdf'), '(3,0,2,0)', 'and is a unique viewer of today');
select is((select row(counted, previous_day = (now() at time zone 'utc')::date - 1)::text from public.resource_activity
           where resource_id = :'r_pdf' and kind = 'view'), '(2,t)', 'member2 reads only their own row: counted twice, previous day kept');

-- Downloads ------------------------------------------------------------------------------------------
select is(public.track_resource_download(:'r_pdf'), '{"counted": true}'::jsonb, 'a download counts');
select is(public.track_resource_download(:'r_pdf'), '{"counted": false}'::jsonb, 'a repeated download does not');
select is(pg_temp.today_stats(:'r_pdf'), '(3,1,2,1)', 'downloads and unique downloaders are counted apart from views');
select is(tests.error_code(format('select public.track_resource_download(%L)', :'r_article')), 'invalid_input',
          'an article has nothing to download');
select is(public.track_resource_view(:'r_article'), '{"counted": true}'::jsonb, 'but its view counts');

-- Only what the caller may read ---------------------------------------------------------------------
select tests.authenticate_as('member');
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_private')), 'not_found', 'a private resource: not_found');
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_att')), 'not_found', 'an attendees resource for a non-attendee');
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_draft')), 'not_found', 'a draft');
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_hidden')), 'not_found', 'a hidden resource');
select is(tests.error_code(format('select public.track_resource_view(%L)', gen_random_uuid())), 'not_found', 'an unknown id');
select is(tests.error_code('select public.track_resource_view(null)'), 'not_found', 'null');
select tests.authenticate_as('attendee');
select is(public.track_resource_view(:'r_att'), '{"counted": true}'::jsonb, 'an attendee of the linked session counts');
select tests.authenticate_as('author');
select is(public.track_resource_view(:'r_private'), '{"counted": true}'::jsonb, 'the author''s own private resource counts');
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_draft')), 'not_found', 'the author''s draft does not');
select tests.authenticate_as_anon();
select throws_ok(format('select public.track_resource_view(%L)', :'r_article'), '42501', null, 'anon cannot track');
select tests.authenticate_as_service_role();
select is(tests.error_code(format('select public.track_resource_view(%L)', :'r_article')), 'not_authenticated',
          'service_role without a user is not a viewer');

-- Numbers for the author and admins --------------------------------------------------------------------
select tests.authenticate_as('author');
select is((select public.resource_stats(:'r_pdf') - 'days'),
          jsonb_build_object('resource_id', :'r_pdf', 'views', 3, 'downloads', 1, 'unique_viewers', 2, 'unique_downloaders', 1),
          'the author: totals (unique users over all days)');
select is((public.resource_stats(:'r_pdf') -> 'days' -> 0) - 'day',
          '{"views": 3, "downloads": 1, "unique_viewers": 2, "unique_downloaders": 1}'::jsonb, 'and today''s numbers');
select is(jsonb_array_length(public.resource_stats(:'r_pdf', 1) -> 'days'), 1, 'days = 1: today only');
select is((select count(*)::int from public.resource_daily_stats), 4, 'the author reads the daily rows of their resources');
select is((select count(*)::int from public.resource_activity), 1, 'but only their own activity rows');
select is(tests.error_code(format('select public.resource_stats(%L, 0)', :'r_pdf')), 'invalid_input', 'days 1-366');
select tests.authenticate_as('coach2');
select is(tests.error_code(format('select public.resource_stats(%L)', :'r_pdf')), 'not_found', 'another coach: not_found');
select is((select count(*)::int from public.resource_daily_stats), 0, 'another coach reads no daily rows');
select tests.authenticate_as('member');
select is(tests.error_code(format('select public.resource_stats(%L)', :'r_pdf')), 'not_found', 'a member: not_found');
select is((select count(*)::int from public.resource_daily_stats), 0, 'a member reads no daily rows');
select tests.authenticate_as('admin');
select is((public.resource_stats(:'r_pdf') ->> 'views')::int, 3, 'an admin reads the numbers');
select is((select count(*)::int from public.resource_daily_stats d join public.resources r on r.id = d.resource_id
           where r.author_id = :'author'), 4, 'and every daily row (of this author''s resources too)');
select is((select count(*)::int from public.resource_activity), 0, 'but no one else''s activity');
select tests.authenticate_as_anon();
select throws_ok(format('select public.resource_stats(%L)', :'r_pdf'), '42501', null, 'anon cannot read numbers');

select * from finish();
rollback;
