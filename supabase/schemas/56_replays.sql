-- Replays: the ended sessions that have a recording (sessions.replay_url), listed in the view
-- `replays` with their program's on-demand video, for whoever could have attended the session, and
-- for everyone when its program is offered on demand, but never a private session's replay for
-- anyone outside it (staff, confirmed bookings).
-- Tables: none (view public.replays).
--
-- Who could have attended: the session's staff and admins; a public session: anyone, visitors
-- included (they need only sign in); a members session: signed-in users; a private session:
-- confirmed bookings. Never a user banned from the session. A published on-demand program
-- (programs.is_on_demand, not a draft) opens the replays of its public and members sessions to
-- everyone, visitors included; its private sessions keep the rule above.

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- The replay listing scans ended sessions with a recording, newest first.
create index sessions_replays_idx on public.sessions (ended_at desc, id) where status = 'ended' and replay_url is not null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- Security definer: the rule above reaches sessions the caller cannot read through RLS (a members
-- session of an on-demand program, for a visitor) and reads staff, bookings and bans; it returns
-- only the replay's card, never meeting details. Executable by anon on purpose (listed in the
-- structural guard of 00_foundation.test.sql).
create function private.visible_replays()
returns table (session_id uuid, program_id uuid, event_id uuid, title text, description text, topic text,
               thumbnail_url text, visibility text, starts_at timestamptz, started_at timestamptz, ended_at timestamptz,
               replay_url text, program_name text, program_is_on_demand boolean, program_replay_video_id text,
               host_name text)
language plpgsql stable security definer rows 100 set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_admin boolean := v_uid is not null and private.is_admin();
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  return query
    select s.id, s.program_id, s.event_id, s.title, s.description, s.topic, s.thumbnail_url, s.visibility,
           s.starts_at, s.started_at, s.ended_at, s.replay_url, p.name, coalesce(p.is_on_demand, false),
           case when p.is_on_demand then p.replay_video_id end,
           (select h.display_name from private.first_host(s.id) h)
    from public.sessions s
    left join public.programs p on p.id = s.program_id
    where s.status = 'ended' and s.replay_url is not null
      -- Admins: not a one-to-one appointment they take no part in (its topic is the patient's).
      and ((v_admin and s.kind <> 'one_to_one')
        or (v_uid is not null and exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = v_uid))
        or (not (v_uid is not null and exists (select 1 from public.session_bans b where b.session_id = s.id and b.user_id = v_uid))
            and (case s.visibility
                   when 'public' then true
                   when 'members' then v_uid is not null or (p.is_on_demand and p.status <> 'draft')
                   else v_uid is not null and exists (select 1 from public.bookings bk
                                                      where bk.session_id = s.id and bk.user_id = v_uid and bk.status = 'confirmed')
                 end)))
    order by s.ended_at desc, s.id;
end;
$$;
comment on function private.visible_replays() is
  'The replays the caller may watch (see the header of 56_replays.sql for the rule), newest first. Backs the view '
  'public.replays. Security definer: reads sessions, staff, bookings and bans across RLS.';
revoke execute on function private.visible_replays() from public;
grant execute on function private.visible_replays() to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------------------------

create view public.replays with (security_invoker = true) as
select r.session_id, r.program_id, r.event_id, r.title, r.description, r.topic, r.thumbnail_url, r.visibility,
       r.starts_at, r.started_at, r.ended_at, r.replay_url, r.program_name, r.program_is_on_demand,
       r.program_replay_video_id, r.host_name
from private.visible_replays() r;
comment on view public.replays is
  'Ended sessions with a replay (replay_url) the caller may watch, newest first: whoever could have attended (staff, '
  'admins but not in a one-to-one appointment they take no part in; public: anyone; members: signed-in users; private: confirmed bookings; never a banned user), and everyone for '
  'the public and members sessions of a published on-demand program (program_replay_video_id is its on-demand video). '
  'A private session''s replay is never listed for outsiders. Filter with PostgREST (program_id=eq.<id>, ...).';
revoke all on table public.replays from public, anon, authenticated, service_role;
grant select on table public.replays to anon, authenticated, service_role;
