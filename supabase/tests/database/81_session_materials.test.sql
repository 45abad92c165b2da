-- Session materials: the view session_materials (session and program links, as the host, a booked
-- attendee, a banned attendee, a member, an outsider coach, anon, admin and service_role), and the
-- materials_added broadcast on session:<id> (curated payload, only for published, visible, non-private
-- resources on scheduled or live sessions, received by members who are not banned).
begin;
\ir ../helpers.sql
select plan(25);

select tests.create_supabase_user('host');
select tests.create_supabase_user('coach2');
select tests.create_supabase_user('booked');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('member');
select tests.create_supabase_user('admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('host'), tests.get_supabase_uid('coach2'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
select tests.get_supabase_uid('host') as host \gset

\set prog '00000000-0000-4000-8000-0000000081b1'
\set live '00000000-0000-4000-8000-0000000081c1'
\set later '00000000-0000-4000-8000-0000000081c2'
\set ended '00000000-0000-4000-8000-0000000081c3'
insert into public.programs (id, name, status, created_by) values (:'prog', 'Mindfulness course', 'live', :'host');
insert into public.sessions (id, program_id, title, status, visibility, starts_at, started_at, ended_at, created_by) values
  (:'live', :'prog', 'Week 1 live', 'live', 'members', now() - interval '10 minutes', now() - interval '10 minutes', null, :'host'),
  (:'later', null, 'Open evening', 'scheduled', 'public', now() + interval '1 day', null, null, :'host'),
  (:'ended', null, 'Last week', 'ended', 'members', now() - interval '7 days', now() - interval '7 days', now() - interval '7 days' + interval '1 hour', :'host');
insert into public.bookings (session_id, user_id, status) values
  (:'live', tests.get_supabase_uid('booked'), 'confirmed'),
  (:'live', tests.get_supabase_uid('banned'), 'confirmed');
insert into public.session_bans (session_id, user_id) values (:'live', tests.get_supabase_uid('banned'));

\set r_slides '00000000-0000-4000-8000-0000000081a1'
\set r_sheet  '00000000-0000-4000-8000-0000000081a2'
\set r_replay '00000000-0000-4000-8000-0000000081a3'
\set r_draft  '00000000-0000-4000-8000-0000000081a4'
\set r_public '00000000-0000-4000-8000-0000000081a5'
select tests.authenticate_as('host');
insert into public.resources (id, title, kind, external_url, visibility, status, language) values
  (:'r_slides', 'Slides week 1', 'pdf', 'https://example.org/slides.pdf', 'attendees', 'published', 'en'),
  (:'r_sheet', 'Werkblad ademhaling', 'pdf', 'https://example.org/werkblad.pdf', 'members', 'published', 'nl'),
  (:'r_replay', 'Replay week 0', 'video', 'https://example.org/replay.mp4', 'attendees', 'published', 'en'),
  (:'r_draft', 'Notes (draft)', 'link', 'https://example.org/notes', 'attendees', 'draft', 'en'),
  (:'r_public', 'Open evening flyer', 'pdf', 'https://example.org/flyer.pdf', 'public', 'published', 'en');
select tests.clear_authentication();

create function tests.material_broadcasts(session_id uuid) returns setof jsonb language sql as $$
  select m.payload - 'id' - 'added_at' || jsonb_build_object('_private', m.private)
  from realtime.messages m
  where m.topic = 'session:' || session_id and m.event = 'materials_added'
  order by m.inserted_at, m.payload ->> 'title';
$$;
create function pg_temp.materials(session_id uuid) returns text[] language sql as $$
  select coalesce(array_agg(title || ' (' || attached_to || ')' order by title), '{}')
  from public.session_materials m where m.session_id = materials.session_id
$$;
grant execute on function pg_temp.materials(uuid) to anon, authenticated, service_role;

-- Sharing live -----------------------------------------------------------------------------------
select tests.authenticate_as('host');
select lives_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L), (%L, %L), (%L, %L) $$,
                       :'r_slides', :'live', :'r_sheet', :'live', :'r_draft', :'live'),
                'the host shares three materials in the live session');
select lives_ok(format($$ insert into public.resource_links (resource_id, program_id) values (%L, %L) $$, :'r_replay', :'prog'),
                'the host attaches a replay to the program');
select lives_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L), (%L, %L) $$,
                       :'r_public', :'later', :'r_sheet', :'ended'),
                'and materials to a scheduled and an ended session');
select tests.clear_authentication();
select is(array(select p ->> 'title' from tests.material_broadcasts(:'live') p), array['Slides week 1', 'Werkblad ademhaling'],
          'materials_added goes out for the two published materials, not for the draft');
select is((select p from tests.material_broadcasts(:'live') p where p ->> 'title' = 'Slides week 1'),
          jsonb_build_object('session_id', :'live', 'link_id', (select id from public.resource_links where resource_id = :'r_slides'),
                             'resource_id', :'r_slides', 'title', 'Slides week 1', 'kind', 'pdf', 'language', 'en',
                             'added_by', :'host', '_private', true),
          'the payload: session, link, resource, title, kind, language, who added it; a private broadcast');
select is((select count(*)::int from tests.material_broadcasts(:'later')), 1, 'a scheduled session hears of its material too');
select is((select count(*)::int from tests.material_broadcasts(:'ended')), 0, 'an ended session does not');
select is((select count(*)::int from realtime.messages m where m.event = 'materials_added' and m.payload::text like '%Replay%'), 0,
          'a program link is not broadcast');
select is((tests.realtime_access('booked', 'session:' || :'live')).can_read, true, 'a booked attendee receives the session''s broadcasts');
select is((tests.realtime_access('banned', 'session:' || :'live')).can_read, false, 'a banned attendee does not');
select is((tests.realtime_access('member', 'session:' || :'live')).can_read, false, 'nor a member who is not booked');

-- session_materials ----------------------------------------------------------------------------------
select tests.authenticate_as('host');
select is(pg_temp.materials(:'live'), array['Notes (draft) (session)', 'Replay week 0 (program)', 'Slides week 1 (session)',
                                           'Werkblad ademhaling (session)'],
          'the host sees every material of the session, the program''s and their own draft included');
select is((select status from public.session_materials where session_id = :'live' and resource_id = :'r_draft'), 'draft',
          'the host sees that the draft is a draft');
select tests.authenticate_as('booked');
select is(pg_temp.materials(:'live'), array['Replay week 0 (program)', 'Slides week 1 (session)', 'Werkblad ademhaling (session)'],
          'a booked attendee sees the session''s and the program''s published materials');
select tests.authenticate_as('banned');
select is(pg_temp.materials(:'live'), array['Werkblad ademhaling (session)'],
          'a banned attendee sees only what any member may read (the members worksheet)');
select tests.authenticate_as('member');
select is(pg_temp.materials(:'live'), array['Werkblad ademhaling (session)'],
          'a member who is not booked sees only the members worksheet of a members session');
select is(pg_temp.materials(:'later'), array['Open evening flyer (session)'], 'and the public flyer of a public session');
select tests.authenticate_as('coach2');
select is(pg_temp.materials(:'live'), array['Werkblad ademhaling (session)'], 'another coach sees no attendees material');
select tests.authenticate_as_anon();
select is(pg_temp.materials(:'live'), '{}'::text[], 'anon sees nothing of a members session');
select is(pg_temp.materials(:'later'), array['Open evening flyer (session)'], 'anon sees the public flyer of a public session');
select tests.authenticate_as('admin');
select is(cardinality(pg_temp.materials(:'live')), 4, 'an admin sees every material');
select tests.authenticate_as_service_role();
select is(cardinality(pg_temp.materials(:'live')), 4, 'service_role sees every material');
select tests.authenticate_as_anon();
select throws_ok($$ insert into public.resource_links (resource_id, session_id) values (gen_random_uuid(), gen_random_uuid()) $$,
                 '42501', null, 'anon cannot attach materials');

-- Hiding a resource removes it from the materials ----------------------------------------------------
select tests.authenticate_as('admin');
select lives_ok(format($$ select public.hide_resource(%L, 'Wrong file') $$, :'r_slides'), 'an admin hides the slides');
select tests.authenticate_as('booked');
select is(pg_temp.materials(:'live'), array['Replay week 0 (program)', 'Werkblad ademhaling (session)'],
          'the hidden slides leave the attendee''s materials');

select * from finish();
rollback;
