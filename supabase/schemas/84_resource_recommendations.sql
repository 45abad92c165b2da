-- Resource recommendations: recommended_resources(limit) for the caller, each row with its reason:
-- the materials of their sessions and programs (booked, staffed or joined), resources sharing tags
-- with what they attend and open, what users who opened the same resources opened, and, to fill
-- up, what is popular this month. Never what they already viewed or downloaded, never their own,
-- never what they may not read.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------

create type public.resource_recommendation as (
  id uuid,
  title text,
  description text,
  kind text,
  language text,
  tags text[],
  file_path text,
  external_url text,
  author_id uuid,
  published_at timestamptz,
  score real,
  reason text,
  reason_details jsonb
);
comment on type public.resource_recommendation is
  'One recommended_resources row: the resource''s public columns, score, reason (session_material, program_material, '
  'shared_tags, similar_users, popular) and reason_details.';

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: "what similar users opened" reads other users' resource_activity, which RLS
-- keeps private; only resource ids and user counts leave the function. The resources read rule is
-- written out as in search_resources (84_resource_recommendations.test.sql checks that nothing the
-- caller may not read comes out).
create function private.recommended_resources_page(page_limit integer)
returns setof public.resource_recommendation
language plpgsql stable security definer set search_path = '' rows 10 as $$
declare
  v_uid uuid := (select auth.uid());
  v_admin boolean;
  v_attendee_ids uuid[];
  v_sessions uuid[];
  v_programs uuid[];
  v_seen uuid[];
  v_tags text[];
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'recommended_resources'));
  end if;
  if recommended_resources_page.page_limit is null or recommended_resources_page.page_limit not between 1 and 50 then
    perform private.raise_error('invalid_input', 'limit must be between 1 and 50.', jsonb_build_object('field', 'limit', 'min', 1, 'max', 50));
  end if;
  v_admin := private.is_admin();
  v_attendee_ids := array(select a.id from private.my_attendee_resource_ids() as a (id));
  -- Their sessions: staff, confirmed bookings (past ones too), public sessions they joined; not banned.
  v_sessions := array(select m.id from private.my_chat_session_ids() as m (id));
  v_programs := array(select distinct s.program_id from public.sessions s where s.id = any (v_sessions) and s.program_id is not null);
  v_seen := array(select a.resource_id from public.resource_activity a where a.user_id = v_uid);
  -- Their interests: the tags of their sessions' and programs' materials and of what they opened,
  -- and their sessions' topics.
  v_tags := array(
    select distinct t from (
      select unnest(r.tags) as t from public.resources r
      where r.id in (select l.resource_id from public.resource_links l
                     where l.session_id = any (v_sessions) or l.program_id = any (v_programs))
         or r.id = any (v_seen)
      union all
      select lower(btrim(s.topic)) from public.sessions s where s.id = any (v_sessions) and nullif(btrim(s.topic), '') is not null
    ) x);

  return query
  with candidates as (
    select l.resource_id, 3.0::real as score, 'session_material'::text as reason,
           jsonb_build_object('session_id', s.id, 'session_title', s.title) as details
    from public.resource_links l join public.sessions s on s.id = l.session_id
    where l.session_id = any (v_sessions)
    union all
    select l.resource_id, 2.5::real, 'program_material',
           jsonb_build_object('program_id', p.id, 'program_name', p.name)
    from public.resource_links l join public.programs p on p.id = l.program_id
    where l.program_id = any (v_programs)
    union all
    select r.id, (1 + least(cardinality(array(select unnest(r.tags) intersect select unnest(v_tags))), 4) * 0.25)::real,
           'shared_tags', jsonb_build_object('tags', to_jsonb(array(select unnest(r.tags) intersect select unnest(v_tags) order by 1)))
    from public.resources r
    where cardinality(v_tags) > 0 and r.tags && v_tags and r.status = 'published' and r.hidden_at is null
    union all
    -- Users who opened what the caller opened (the 200 most recent), and what else they opened.
    select o.resource_id, (0.9 + least(count(distinct o.user_id), 10) * 0.1)::real, 'similar_users',
           jsonb_build_object('users', count(distinct o.user_id))
    from (select distinct a.user_id from public.resource_activity a
          where a.resource_id = any (v_seen) and a.user_id <> v_uid
          order by a.user_id limit 200) co
    join public.resource_activity o on o.user_id = co.user_id
    group by o.resource_id
    union all
    (select d.resource_id, (0.5 * least(sum(d.views), 1000) / 1000.0)::real, 'popular',
            jsonb_build_object('views', sum(d.views))
     from public.resource_daily_stats d
     where d.day > (now() at time zone 'utc')::date - 30
     group by d.resource_id
     order by sum(d.views) desc
     limit 50)
  ), best as (
    select distinct on (c.resource_id) c.resource_id, c.score, c.reason, c.details
    from candidates c
    where not (c.resource_id = any (v_seen))
    order by c.resource_id, c.score desc, c.reason
  )
  select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.author_id,
         r.published_at, b.score, b.reason, b.details
  from best b
  join public.resources r on r.id = b.resource_id
  where r.status = 'published' and r.hidden_at is null
    and r.author_id <> v_uid
    and (r.visibility in ('public', 'members')
         or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
         or v_admin)
  order by b.score desc, r.published_at desc, r.id
  limit recommended_resources_page.page_limit;
end;
$$;
comment on function private.recommended_resources_page(integer) is
  'The body of public.recommended_resources (its limit argument is page_limit here: plpgsql_check refuses reserved '
  'words as parameter names). Security definer: reads other users'' activity (counts only) and applies the resources '
  'read rule itself. Internal.';
revoke execute on function private.recommended_resources_page(integer) from public, anon;
grant execute on function private.recommended_resources_page(integer) to authenticated, service_role;

-- SECURITY INVOKER: the API's name and argument name; private.recommended_resources_page does the work.
create function public.recommended_resources("limit" integer default 10)
returns setof public.resource_recommendation
language sql stable security invoker set search_path = '' rows 10 as $$
  select r.* from private.recommended_resources_page(recommended_resources."limit") r
$$;
comment on function public.recommended_resources(integer) is
  'Resources for the caller to open next, best first, each with a reason: session_material (attached to a session '
  'they are booked on, staff of or joined; details: session_id, session_title), program_material (attached to the '
  'program of such a session; program_id, program_name), shared_tags (tags shared with the materials and topics of '
  'their sessions and with what they opened; tags), similar_users (opened by users who opened the same resources; '
  'users), popular (most viewed in the last 30 days; views). Never one they viewed or downloaded, authored, or may not '
  'read. limit 1-50 (default 10). Errors: not_authenticated, invalid_input.';
revoke execute on function public.recommended_resources(integer) from public, anon;
grant execute on function public.recommended_resources(integer) to authenticated, service_role;
