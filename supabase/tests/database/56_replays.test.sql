-- Replays (issue 19, item 10): ended sessions with a replay_url are listed in public.replays for
-- whoever could have attended (public: anyone; members: signed in; private: staff and confirmed
-- bookings; never a banned user; admins all), and for everyone when the program is published on
-- demand, except a private session's replay, never shown to outsiders. Not listed: sessions without
-- a replay or not ended.
begin;
\ir ../helpers.sql
select plan(15);

select tests.create_supabase_user('host', metadata => '{"display_name":"Hana Host"}');
select tests.create_supabase_user('booked', metadata => '{"display_name":"Bram Booked"}');
select tests.create_supabase_user('waitlisted');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('outsider');
select tests.create_supabase_user('admin');
update public.user_roles set role = 'coach' where user_id = tests.get_supabase_uid('host');
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');

insert into public.programs (id, name, status, is_on_demand, replay_video_id, created_by) values
  ('00000000-0000-4000-8000-0000000056b1', 'Live only', 'live', false, null, tests.get_supabase_uid('host')),
  ('00000000-0000-4000-8000-0000000056b2', 'On demand', 'live', true, 'vid-ondemand', tests.get_supabase_uid('host')),
  ('00000000-0000-4000-8000-0000000056b3', 'On demand draft', 'draft', true, 'vid-draft', tests.get_supabase_uid('host'));
-- r_pub, r_mem, r_priv: live-only program; d_mem, d_priv: on-demand; x_mem: on-demand but draft program;
-- n_none: ended without replay; n_sched: scheduled with a replay URL already set.
create function pg_temp.s(id text, program text, visibility text, status text, replay text) returns void language sql as $$
  insert into public.sessions (id, program_id, title, status, visibility, starts_at, started_at, ended_at, replay_url, created_by)
  values (id::uuid, program::uuid, 'Replay ' || right(id, 2), status, visibility,
          case when status = 'ended' then now() - interval '2 days' else now() + interval '2 days' end,
          case when status = 'ended' then now() - interval '2 days' end,
          case when status = 'ended' then now() - interval '2 days' + interval '1 hour' + (right(id, 1)::int * interval '1 second') end,
          replay, tests.get_supabase_uid('host')) $$;
select pg_temp.s('00000000-0000-4000-8000-0000000056a1', '00000000-0000-4000-8000-0000000056b1', 'public', 'ended', 'https://videos.example.com/r1');
select pg_temp.s('00000000-0000-4000-8000-0000000056a2', '00000000-0000-4000-8000-0000000056b1', 'members', 'ended', 'https://videos.example.com/r2');
select pg_temp.s('00000000-0000-4000-8000-0000000056a3', '00000000-0000-4000-8000-0000000056b1', 'private', 'ended', 'https://videos.example.com/r3');
select pg_temp.s('00000000-0000-4000-8000-0000000056a4', '00000000-0000-4000-8000-0000000056b2', 'members', 'ended', 'https://videos.example.com/r4');
select pg_temp.s('00000000-0000-4000-8000-0000000056a5', '00000000-0000-4000-8000-0000000056b2', 'private', 'ended', 'https://videos.example.com/r5');
select pg_temp.s('00000000-0000-4000-8000-0000000056a6', '00000000-0000-4000-8000-0000000056b3', 'members', 'ended', 'https://videos.example.com/r6');
select pg_temp.s('00000000-0000-4000-8000-0000000056a7', '00000000-0000-4000-8000-0000000056b1', 'public', 'ended', null);
select pg_temp.s('00000000-0000-4000-8000-0000000056a8', '00000000-0000-4000-8000-0000000056b1', 'public', 'scheduled', 'https://videos.example.com/r8');
insert into public.bookings (session_id, user_id, status, waitlist_position)
select s, tests.get_supabase_uid('booked'), 'confirmed', null::int from unnest(array['00000000-0000-4000-8000-0000000056a3', '00000000-0000-4000-8000-0000000056a5']::uuid[]) s
union all select '00000000-0000-4000-8000-0000000056a3', tests.get_supabase_uid('waitlisted'), 'waitlisted', 1
union all select s, tests.get_supabase_uid('banned'), 'confirmed', null from unnest(array['00000000-0000-4000-8000-0000000056a1', '00000000-0000-4000-8000-0000000056a3']::uuid[]) s;
insert into public.session_bans (session_id, user_id) select s, tests.get_supabase_uid('banned')
from unnest(array['00000000-0000-4000-8000-0000000056a1', '00000000-0000-4000-8000-0000000056a3', '00000000-0000-4000-8000-0000000056a4']::uuid[]) s;

create function pg_temp.mine() returns text[] language sql as $$
  select coalesce(array_agg(right(session_id::text, 2) order by session_id), '{}') from public.replays
  where session_id::text like '00000000-0000-4000-8000-0000000056a%' $$;
grant execute on function pg_temp.mine() to anon, authenticated, service_role;

select tests.authenticate_as_anon();
select is(pg_temp.mine(), array['a1', 'a4'], 'a visitor: public replays and the members replay of a published on-demand program');
select tests.authenticate_as('outsider');
select is(pg_temp.mine(), array['a1', 'a2', 'a4', 'a6'], 'a signed-in outsider: public and members replays, never a private one');
select tests.authenticate_as('booked');
select is(pg_temp.mine(), array['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'a confirmed booking also watches the private replays they booked');
select tests.authenticate_as('waitlisted');
select is(pg_temp.mine(), array['a1', 'a2', 'a4', 'a6'], 'a waitlisted user could not attend the private session: no replay');
select tests.authenticate_as('banned');
select is(pg_temp.mine(), array['a2', 'a6'], 'a banned user gets no replay of the sessions they are banned from, on-demand included');
select tests.authenticate_as('host');
select is(pg_temp.mine(), array['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'the host watches all their replays');
select tests.authenticate_as('admin');
select is(pg_temp.mine(), array['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'an admin watches every replay');
select tests.authenticate_as_service_role();
select is(pg_temp.mine(), array['a1', 'a4'], 'service_role (no user) lists what a visitor sees');

-- The card.
select tests.authenticate_as_anon();
select is((select jsonb_build_object('url', replay_url, 'program', program_name, 'on_demand', program_is_on_demand,
                                     'video', program_replay_video_id, 'host', host_name, 'visibility', visibility)
           from public.replays where session_id = '00000000-0000-4000-8000-0000000056a4'),
          '{"url": "https://videos.example.com/r4", "program": "On demand", "on_demand": true, "video": "vid-ondemand",
            "host": "Hana Host", "visibility": "members"}'::jsonb,
          'a replay carries its URL, its program''s on-demand video and the host');
select is((select program_replay_video_id from public.replays where session_id = '00000000-0000-4000-8000-0000000056a1'), null,
          'no on-demand video for a program that is not on demand');
select is((select array_agg(right(session_id::text, 2)) from (select session_id from public.replays
            where session_id::text like '00000000-0000-4000-8000-0000000056a%' limit 2) x), array['a4', 'a1'],
          'newest first');
select is(tests.error_code($$ select meeting_url from public.replays $$), '42703', 'no meeting details in a replay');
select tests.clear_authentication();
select is(has_table_privilege('authenticated', 'public.replays', 'insert') or has_table_privilege('anon', 'public.replays', 'update'), false,
          'replays is read-only');
select is((select reloptions from pg_class where oid = 'public.replays'::regclass), array['security_invoker=true'], 'the view is security invoker');

-- Plans: the listing does not scan sessions that are not ended replays.
select ok((select count(*) from pg_indexes where indexname = 'sessions_replays_idx') = 1, 'a partial index serves the listing');

select * from finish();
rollback;
