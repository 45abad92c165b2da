-- Session and program materials: the view session_materials (one row per material of a session the
-- caller may read: resources attached to the session itself or to its program, through
-- resource_links) and the `materials_added` broadcast on `session:<id>` when a host shares one while
-- the session is scheduled or live. A separate view on purpose: session_cards stays lean.
-- Views: session_materials.

-- ---------------------------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------------------------

-- Security invoker: the caller sees a material only when the policies of resource_links, resources
-- and sessions all let them read it: staff and booked attendees see their sessions' materials, an
-- `attendees` resource only its attendees, a draft or hidden resource only its author and admins.
create view public.session_materials with (security_invoker = true) as
select s.id as session_id,
       l.id as link_id,
       'session'::text as attached_to,
       r.id as resource_id,
       r.title,
       r.description,
       r.kind,
       r.language,
       r.tags,
       r.file_path,
       r.file_mime_type,
       r.file_size_bytes,
       r.external_url,
       r.duration_seconds,
       r.page_count,
       r.visibility,
       r.status,
       r.author_id,
       l.added_by,
       l.created_at as added_at
from public.resource_links l
join public.sessions s on s.id = l.session_id
join public.resources r on r.id = l.resource_id
union all
select s.id, l.id, 'program'::text, r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path,
       r.file_mime_type, r.file_size_bytes, r.external_url, r.duration_seconds, r.page_count, r.visibility, r.status,
       r.author_id, l.added_by, l.created_at
from public.resource_links l
join public.sessions s on s.program_id = l.program_id
join public.resources r on r.id = l.resource_id;
comment on view public.session_materials is
  'Materials of the sessions the caller may read: resources attached to the session (attached_to = session) or to its '
  'program (attached_to = program), only those the caller may read (security invoker: the policies of resource_links, '
  'resources and sessions apply). attached_to: session (the session itself) or program (its program); link_id: the '
  'resource_links row (delete it to detach); status: draft or published (drafts show only to their author and admins). '
  'Filter by session_id; order by added_at.';
-- (No column comments: pg-delta does not write comments on view columns.)
revoke all on table public.session_materials from public, anon, authenticated, service_role;
grant select on table public.session_materials to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md); it
-- also reads the session and resource across RLS. Sends only what every receiver of the topic (its
-- non-banned members) may read: a published, visible, non-private resource.
create function private.broadcast_materials_added()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_resource public.resources;
begin
  if new.session_id is null
     or not exists (select 1 from public.sessions s where s.id = new.session_id and s.status in ('scheduled', 'live')) then
    return null;
  end if;
  select r.* into v_resource from public.resources r where r.id = new.resource_id;
  if v_resource.status <> 'published' or v_resource.hidden_at is not null or v_resource.visibility = 'private' then
    return null;
  end if;
  perform realtime.send(
    jsonb_build_object(
      'session_id', new.session_id, 'link_id', new.id, 'resource_id', v_resource.id, 'title', v_resource.title,
      'kind', v_resource.kind, 'language', v_resource.language, 'added_by', new.added_by, 'added_at', new.created_at),
    'materials_added', 'session:' || new.session_id::text, true);
  return null;
end;
$$;
comment on function private.broadcast_materials_added() is
  'Trigger after a resource is attached to a scheduled or live session: broadcasts materials_added {session_id, link_id, '
  'resource_id, title, kind, language, added_by, added_at} on session:<id>, for a published, visible, non-private resource.';
revoke execute on function private.broadcast_materials_added() from public, anon, authenticated, service_role;

create trigger resource_links_broadcast_materials_added after insert on public.resource_links
  for each row execute function private.broadcast_materials_added();
