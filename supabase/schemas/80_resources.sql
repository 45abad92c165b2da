-- Resources library: audio, PDFs, videos, articles and links that coaches share, with who may see
-- each one (public, members, attendees of linked sessions and programs, private to its author),
-- drafts, admin hiding, the links that make a resource a session's or program's material, and the
-- files themselves in the private Storage bucket `resources` with the policies on storage.objects
-- that Supabase Storage checks as the caller (upload, download, signed URL, delete).
-- Tables: resources, resource_links. Bucket: resources (storage.buckets row and storage.objects policies).
-- Search columns (search_vector, search_title) and their extensions (unaccent, pg_trgm) are here
-- with the table; the search RPC itself is in 82_resource_search.sql.
--
-- A file lives at `<author id>/<resource id>/<file name>` in the bucket: the first folder is the
-- uploader's own, the second names the one resource the file belongs to (resources.file_path must
-- lie under it), so a file belongs to exactly one resource and is readable exactly when that
-- resource is. Upload order: insert the resource as a draft (the client may choose its id, and set
-- file_path, file_mime_type and file_size_bytes right away), upload the file to its folder, publish.

-- ---------------------------------------------------------------------------------------------
-- Extensions
-- ---------------------------------------------------------------------------------------------

-- Both are trusted extensions the platform offers in the `extensions` schema (postgres may create
-- them there, as the local emulation allows too).
create extension if not exists unaccent with schema extensions;
create extension if not exists pg_trgm with schema extensions;

-- ---------------------------------------------------------------------------------------------
-- Helper functions used by constraints and generated columns
-- ---------------------------------------------------------------------------------------------

-- The MIME types a file of each kind may have; the bucket's allowed_mime_types is their union
-- (80_resources.test.sql checks that the two agree).
create function private.resource_mime_types(kind text)
returns text[]
language sql immutable parallel safe set search_path = '' as $$
  select case kind
    when 'audio' then array['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/x-m4a']
    when 'pdf' then array['application/pdf']
    when 'video' then array['video/mp4', 'video/webm', 'video/quicktime']
    else array[]::text[]
  end
$$;
comment on function private.resource_mime_types(text) is
  'MIME types a resource file of this kind may have (audio, pdf, video); empty for article and link.';
revoke execute on function private.resource_mime_types(text) from public;
grant execute on function private.resource_mime_types(text) to anon, authenticated, service_role;

-- The largest file of each kind; the bucket's file_size_limit is the largest of them.
create function private.resource_max_file_size(kind text)
returns bigint
language sql immutable parallel safe set search_path = '' as $$
  select case kind
    when 'pdf' then 50::bigint * 1024 * 1024
    when 'audio' then 200::bigint * 1024 * 1024
    when 'video' then 500::bigint * 1024 * 1024
    else 0::bigint
  end
$$;
comment on function private.resource_max_file_size(text) is
  'Largest file in bytes for a resource of this kind: pdf 50 MiB, audio 200 MiB, video 500 MiB, 0 for article and link.';
revoke execute on function private.resource_max_file_size(text) from public;
grant execute on function private.resource_max_file_size(text) to anon, authenticated, service_role;

-- True when a MIME type (parameters such as `; charset=` ignored, any case) is allowed for the kind.
create function private.resource_mime_allowed(kind text, mime_type text)
returns boolean
language sql immutable parallel safe set search_path = '' as $$
  select coalesce(
    lower(btrim(split_part(mime_type, ';', 1))) = any (private.resource_mime_types(kind)), false)
$$;
comment on function private.resource_mime_allowed(text, text) is
  'True when the MIME type (parameters ignored, any case) is one a file of the resource kind may have.';
revoke execute on function private.resource_mime_allowed(text, text) from public;
grant execute on function private.resource_mime_allowed(text, text) to anon, authenticated, service_role;

-- Tags are stored normalized (trimmed, lower case, unique, sorted) by a trigger; this is the rule
-- the stored array must satisfy.
create function private.resource_tags_valid(tags text[])
returns boolean
language sql immutable parallel safe set search_path = '' as $$
  select tags is not null and cardinality(tags) <= 20
     and coalesce((select bool_and(t is not null and char_length(t) between 1 and 40) from unnest(tags) t), true)
$$;
comment on function private.resource_tags_valid(text[]) is
  'True for at most 20 tags of 1-40 characters each (no nulls).';
revoke execute on function private.resource_tags_valid(text[]) from public;
grant execute on function private.resource_tags_valid(text[]) to anon, authenticated, service_role;

-- unaccent() is stable (its dictionary could change); with the dictionary named it is safe to
-- treat as immutable, which generated columns and index expressions need.
create function private.unaccent_immutable(value text)
returns text
language sql immutable parallel safe strict set search_path = '' as $$
  select extensions.unaccent('extensions.unaccent'::regdictionary, value)
$$;
comment on function private.unaccent_immutable(text) is 'unaccent() with its dictionary named, immutable: for generated columns and indexes.';
revoke execute on function private.unaccent_immutable(text) from public;
grant execute on function private.unaccent_immutable(text) to anon, authenticated, service_role;

-- Text search configuration of a resource language: Dutch, English and Portuguese stem; any other
-- language falls back to `simple` (lower case, no stemming). Regional variants (pt-BR) use their language.
create function private.resource_ts_config(language text)
returns regconfig
language sql immutable parallel safe set search_path = '' as $$
  select case split_part(coalesce(language, ''), '-', 1)
    when 'nl' then 'pg_catalog.dutch'::regconfig
    when 'en' then 'pg_catalog.english'::regconfig
    when 'pt' then 'pg_catalog.portuguese'::regconfig
    else 'pg_catalog.simple'::regconfig
  end
$$;
comment on function private.resource_ts_config(text) is
  'Text search configuration for a resource language: nl dutch, en english, pt portuguese (regional variants too), else simple.';
revoke execute on function private.resource_ts_config(text) from public;
grant execute on function private.resource_ts_config(text) to anon, authenticated, service_role;

-- The same, by name (a regconfig column would block pg_upgrade: Supabase's unsupported_reg_types lint).
create function private.resource_ts_config_name(language text)
returns text
language sql immutable parallel safe set search_path = '' as $$
  select case split_part(coalesce(language, ''), '-', 1)
    when 'nl' then 'dutch' when 'en' then 'english' when 'pt' then 'portuguese' else 'simple'
  end
$$;
comment on function private.resource_ts_config_name(text) is
  'Name of private.resource_ts_config(language): dutch, english, portuguese or simple.';
revoke execute on function private.resource_ts_config_name(text) from public;
grant execute on function private.resource_ts_config_name(text) to anon, authenticated, service_role;

-- The weights rank title above tags above description above body (A > B > C > D), all without
-- accents, stemmed in the resource's own language.
create function private.resource_search_vector(language text, title text, tags text[], description text, body text)
returns tsvector
language sql immutable parallel safe set search_path = '' as $$
  select setweight(to_tsvector(private.resource_ts_config(language), coalesce(private.unaccent_immutable(title), '')), 'A')
      || setweight(to_tsvector(private.resource_ts_config(language),
                               coalesce(private.unaccent_immutable(pg_catalog.array_to_string(tags, ' ')), '')), 'B')
      || setweight(to_tsvector(private.resource_ts_config(language), coalesce(private.unaccent_immutable(description), '')), 'C')
      || setweight(to_tsvector(private.resource_ts_config(language), coalesce(private.unaccent_immutable(left(body, 100000)), '')), 'D')
$$;
comment on function private.resource_search_vector(text, text, text[], text, text) is
  'Search document of a resource: title (weight A), tags (B), description (C), the first 100,000 characters of the body (D), '
  'unaccented and stemmed in the resource''s language (private.resource_ts_config).';
revoke execute on function private.resource_search_vector(text, text, text[], text, text) from public;
grant execute on function private.resource_search_vector(text, text, text[], text, text) to anon, authenticated, service_role;

create function private.resource_search_title(title text)
returns text
language sql immutable parallel safe set search_path = '' as $$
  select lower(private.unaccent_immutable(title))
$$;
comment on function private.resource_search_title(text) is 'A title lower case and unaccented, for typo-tolerant (trigram) matching.';
revoke execute on function private.resource_search_title(text) from public;
grant execute on function private.resource_search_title(text) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.resources (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  description text,
  kind text not null,
  language text not null default 'en',
  tags text[] not null default '{}',
  body text,
  file_path text,
  file_mime_type text,
  file_size_bytes bigint,
  external_url text,
  duration_seconds int,
  page_count int,
  visibility text not null default 'members',
  status text not null default 'draft',
  published_at timestamptz,
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  hidden_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Last: pg-delta creates a column whose default calls auth.uid() after the others, and the
  -- schema check compares column order.
  author_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  search_vector tsvector generated always as (private.resource_search_vector(language, title, tags, description, body)) stored,
  search_title text generated always as (private.resource_search_title(title)) stored,
  search_config text generated always as (private.resource_ts_config_name(language)) stored,
  constraint resources_title_length check (char_length(title) between 1 and 200),
  constraint resources_description_length check (description is null or char_length(description) <= 5000),
  constraint resources_kind_valid check (kind in ('audio', 'pdf', 'video', 'article', 'link')),
  constraint resources_language_format check (language ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  constraint resources_tags_valid check (private.resource_tags_valid(tags)),
  constraint resources_body_length check (body is null or char_length(body) <= 200000),
  constraint resources_body_only_articles check (body is null or kind = 'article'),
  constraint resources_file_only_file_kinds check (file_path is null or kind in ('audio', 'pdf', 'video')),
  -- The file lies in the author's folder, under the resource's own folder: one resource per file.
  constraint resources_file_path_in_own_folder check (
    file_path is null
    or (starts_with(file_path, author_id::text || '/' || id::text || '/')
        and char_length(file_path) <= 1024
        and file_path !~ '(^|/)\.\.?(/|$)'
        and right(file_path, 1) <> '/')),
  constraint resources_file_mime_type_valid check (
    file_mime_type is null or (file_path is not null and private.resource_mime_allowed(kind, file_mime_type))),
  constraint resources_file_size_valid check (
    file_size_bytes is null
    or (file_path is not null and file_size_bytes between 0 and private.resource_max_file_size(kind))),
  constraint resources_external_url_https check (external_url is null or external_url ~ '^https://\S+$'),
  constraint resources_external_url_length check (external_url is null or char_length(external_url) <= 2000),
  constraint resources_one_source check (not (file_path is not null and external_url is not null)),
  constraint resources_external_url_kinds check (external_url is null or kind <> 'article'),
  constraint resources_duration_only_media check (
    duration_seconds is null or (kind in ('audio', 'video') and duration_seconds between 1 and 86400)),
  constraint resources_page_count_only_pdf check (page_count is null or (kind = 'pdf' and page_count between 1 and 10000)),
  constraint resources_visibility_valid check (visibility in ('public', 'members', 'attendees', 'private')),
  constraint resources_status_valid check (status in ('draft', 'published')),
  -- A published resource has its content: an article its body, a link its URL, a file kind its
  -- file or an external URL (a video on a video platform).
  constraint resources_published_has_content check (
    status = 'draft'
    or (kind = 'article' and body is not null)
    or (kind = 'link' and external_url is not null)
    or (kind in ('audio', 'pdf', 'video') and (file_path is not null or external_url is not null))),
  constraint resources_published_has_published_at check (status = 'draft' or published_at is not null),
  constraint resources_hidden_has_reason check (
    (hidden_at is null and hidden_reason is null and hidden_by is null)
    or (hidden_at is not null and hidden_reason is not null and char_length(hidden_reason) between 1 and 500))
);
comment on table public.resources is
  'Library resources (audio, pdf, video, article, link). Coaches and admins create them (author_id = the caller); '
  'authors edit and delete their own, admins delete any and hide any with hide_resource. Readable: by the author and '
  'admins always; by others once published and not hidden, per visibility. A file lives in the Storage bucket '
  '`resources` at file_path (`<author_id>/<id>/<file name>`).';
comment on column public.resources.author_id is 'The creating coach or admin, set from auth.uid(); clients cannot change it.';
comment on column public.resources.kind is 'audio, pdf, video (a file in Storage or an external_url), article (markdown body) or link (external_url). Fixed at creation.';
comment on column public.resources.language is 'ISO 639-1 code (optionally with region, e.g. pt-BR); nl, en and pt get language-aware search stemming, others a simple one.';
comment on column public.resources.tags is 'Up to 20 tags of 1-40 characters, stored trimmed, lower case, unique and sorted.';
comment on column public.resources.body is 'Markdown body of an article (kind article only), up to 200,000 characters.';
comment on column public.resources.file_path is
  'Object name in the Storage bucket resources: `<author_id>/<id>/<file name>` (audio, pdf, video only). Download it with '
  'supabase.storage.from(''resources'').download(file_path) or createSignedUrl(file_path, seconds).';
comment on column public.resources.file_mime_type is 'MIME type of the file, one allowed for the kind (private.resource_mime_types).';
comment on column public.resources.file_size_bytes is 'Size of the file in bytes, at most private.resource_max_file_size(kind).';
comment on column public.resources.external_url is 'https URL of a link, or of an audio/pdf/video hosted elsewhere (never together with file_path).';
comment on column public.resources.duration_seconds is 'Length of an audio or video, when known.';
comment on column public.resources.page_count is 'Pages of a pdf, when known.';
comment on column public.resources.visibility is
  'public: anyone, anon included; members: signed-in users; attendees: staff and non-banned members of a linked session, '
  'or of any session of a linked program (resource_links); private: its author (and admins) only.';
comment on column public.resources.status is 'draft (its author and admins only) or published.';
comment on column public.resources.published_at is 'When it was first published (kept when it goes back to draft).';
comment on column public.resources.hidden_at is 'Set by an admin with hide_resource: hidden from everyone but its author and admins.';
comment on column public.resources.search_vector is 'Generated: the search document (private.resource_search_vector), for search_resources.';
comment on column public.resources.search_title is 'Generated: the title lower case and unaccented, for typo-tolerant search.';
comment on column public.resources.search_config is 'Generated: the text search configuration of the language: dutch, english, portuguese or simple.';
comment on column public.resources.hidden_reason is 'Why an admin hid it (1-500 characters); shown to the author.';
alter table public.resources enable row level security;

create table public.resource_links (
  id uuid primary key default gen_random_uuid(),
  resource_id uuid not null references public.resources (id) on delete cascade,
  session_id uuid references public.sessions (id) on delete cascade,
  program_id uuid references public.programs (id) on delete cascade,
  created_at timestamptz not null default now(),
  -- Last, as resources.author_id.
  added_by uuid default auth.uid() references auth.users (id) on delete set null,
  constraint resource_links_one_target check ((session_id is null) <> (program_id is null)),
  constraint resource_links_session_once unique (resource_id, session_id),
  constraint resource_links_program_once unique (resource_id, program_id)
);
comment on table public.resource_links is
  'A resource attached to a session or a program (exactly one of session_id, program_id): the materials of that session '
  'or program. Session hosts and moderators attach to their sessions, program creators to their programs, admins to '
  'any, and only resources they can read that are not private. Readable with the resource and the session or program.';
comment on column public.resource_links.added_by is 'Who attached it, set from auth.uid().';
alter table public.resource_links enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index resources_author_id_idx on public.resources (author_id, created_at desc);
create index resources_hidden_by_idx on public.resources (hidden_by) where hidden_by is not null;
create unique index resources_file_path_key on public.resources (file_path) where file_path is not null;
create index resources_published_idx on public.resources (published_at desc, id)
  where status = 'published' and hidden_at is null;
create index resources_tags_idx on public.resources using gin (tags);
-- fastupdate off: resources are written rarely and searched often; with the pending list on, every
-- search also scanned the entries not yet merged (tens of milliseconds after a bulk import).
create index resources_search_vector_idx on public.resources using gin (search_vector) with (fastupdate = off)
  where status = 'published' and hidden_at is null;
create index resources_search_title_trgm_idx on public.resources using gin (search_title extensions.gin_trgm_ops)
  with (fastupdate = off)
  where status = 'published' and hidden_at is null;
create index resource_links_session_id_idx on public.resource_links (session_id, created_at) where session_id is not null;
create index resource_links_program_id_idx on public.resource_links (program_id, created_at) where program_id is not null;
create index resource_links_added_by_idx on public.resource_links (added_by);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: reads resource_links, sessions, staff, bookings and bans across RLS (the
-- visibility rule of `attendees` resources would otherwise recurse through the resource_links
-- policy, which reads resources). One call per query: policies use it in set form.
create function private.my_attendee_resource_ids()
returns setof uuid
language plpgsql stable security definer set search_path = '' rows 20 as $$
declare
  v_uid uuid := auth.uid();
begin
  if v_uid is null then
    return;
  end if;
  return query
    with my_sessions as (
      select m.id from private.my_chat_session_ids() as m (id)
    )
    select l.resource_id from public.resource_links l
    where l.session_id in (select ms.id from my_sessions ms)
    union
    select l.resource_id from public.resource_links l
    where l.program_id in (
      select s.program_id from public.sessions s where s.id in (select ms.id from my_sessions ms) and s.program_id is not null
      union
      select p.id from public.programs p where p.created_by = v_uid);
end;
$$;
comment on function private.my_attendee_resource_ids() is
  'Resources linked to a session the caller is a non-banned member of (staff, confirmed booking, joined a public one), '
  'or to a program of such a session or created by the caller: who sees `attendees` resources. Security definer: reads '
  'links, sessions, staff, bookings and bans across RLS. For policies, in set form.';
revoke execute on function private.my_attendee_resource_ids() from public, anon;
grant execute on function private.my_attendee_resource_ids() to authenticated, service_role;

-- SECURITY INVOKER on purpose: it reads public.resources under the caller's own RLS, and authors
-- read their own resources. Used by the storage.objects upload policies.
create function private.resource_upload_allowed(object_name text, metadata jsonb)
returns boolean
language sql stable set search_path = '' as $$
  -- CASE: the uuid cast runs only on a name of the right shape.
  select case
    when object_name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$'
         and object_name !~ '/\.\.?$'
    then exists (
       select 1 from public.resources r
       where r.id = split_part(object_name, '/', 2)::uuid
         and r.author_id = (select auth.uid())
         and r.author_id::text = split_part(object_name, '/', 1)
         and r.kind in ('audio', 'pdf', 'video')
         and (metadata ->> 'mimetype' is null or private.resource_mime_allowed(r.kind, metadata ->> 'mimetype'))
         and (metadata ->> 'size' is null
              or (jsonb_typeof(metadata -> 'size') = 'number'
                  and (metadata ->> 'size')::numeric <= private.resource_max_file_size(r.kind))))
    else false
  end
$$;
comment on function private.resource_upload_allowed(text, jsonb) is
  'For the storage.objects upload policies: the object name is `<caller id>/<resource id>/<file name>` for a file-kind '
  'resource the caller authored, and the metadata, when present, has a MIME type and size allowed for its kind.';
revoke execute on function private.resource_upload_allowed(text, jsonb) from public, anon;
grant execute on function private.resource_upload_allowed(text, jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.resources from public, anon, authenticated, service_role;
grant select on table public.resources to anon, authenticated;
grant delete on table public.resources to authenticated;
grant all on table public.resources to service_role;
grant insert (id, title, description, kind, language, tags, body, file_path, file_mime_type, file_size_bytes, external_url,
  duration_seconds, page_count, visibility, status) on table public.resources to authenticated;
-- Never author_id, kind, published_at or the hidden_* columns (hide_resource owns them).
grant update (title, description, language, tags, body, file_path, file_mime_type, file_size_bytes, external_url,
  duration_seconds, page_count, visibility, status) on table public.resources to authenticated;

create policy "anyone can read published public resources" on public.resources
  for select to anon
  using (status = 'published' and hidden_at is null and visibility = 'public');
create policy "users read the resources visible to them" on public.resources
  for select to authenticated
  using (
    author_id = (select auth.uid())
    or (select private.is_admin())
    or (status = 'published' and hidden_at is null
        and (visibility in ('public', 'members')
             or (visibility = 'attendees' and id in (select private.my_attendee_resource_ids())))));
create policy "coaches and admins create resources" on public.resources
  for insert to authenticated
  with check ((select private.is_coach_or_admin()) and author_id = (select auth.uid()));
create policy "authors update their resources" on public.resources
  for update to authenticated
  using (author_id = (select auth.uid()))
  with check (author_id = (select auth.uid()));
create policy "authors and admins delete resources" on public.resources
  for delete to authenticated
  using (author_id = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.resource_links from public, anon, authenticated, service_role;
grant select on table public.resource_links to anon, authenticated;
grant insert (resource_id, session_id, program_id) on table public.resource_links to authenticated;
grant delete on table public.resource_links to authenticated;
grant all on table public.resource_links to service_role;
-- Reading a link needs reading its resource (the resources policies, as the caller) and its session
-- or program (their policies).
create policy "anyone can read links between public resources and sessions" on public.resource_links
  for select to anon
  using (resource_id in (select r.id from public.resources r)
         and (session_id in (select s.id from public.sessions s) or program_id in (select p.id from public.programs p)));
create policy "users read the links of resources and sessions they can read" on public.resource_links
  for select to authenticated
  using (resource_id in (select r.id from public.resources r)
         and (session_id in (select private.visible_session_ids())
              or program_id in (select p.id from public.programs p)));
create policy "hosts, program creators and admins attach readable resources" on public.resource_links
  for insert to authenticated
  with check (
    added_by = (select auth.uid())
    and resource_id in (select r.id from public.resources r where r.visibility <> 'private')
    and ((select private.is_admin())
         or session_id in (select private.staff_session_ids(array['host', 'moderator']))
         or program_id in (select p.id from public.programs p where p.created_by = (select auth.uid()))));
create policy "hosts, program creators, adders and admins detach resources" on public.resource_links
  for delete to authenticated
  using (
    added_by = (select auth.uid())
    or (select private.is_admin())
    or session_id in (select private.staff_session_ids(array['host', 'moderator']))
    or program_id in (select p.id from public.programs p where p.created_by = (select auth.uid())));

-- ---------------------------------------------------------------------------------------------
-- Storage: the private bucket `resources` and its policies on storage.objects
-- ---------------------------------------------------------------------------------------------

-- Data, not schema: `supabase db diff` does not see it (a hand-written migration inserts it).
-- Private: every download goes through Storage with the caller's token (download, createSignedUrl),
-- which checks the select policy below. Storage itself refuses a file over file_size_limit (413)
-- or of another Content-Type (422 invalid_mime_type) before it writes anything.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('resources', 'resources', false, 500 * 1024 * 1024,
        array['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/x-m4a',
              'application/pdf', 'video/mp4', 'video/webm', 'video/quicktime'])
on conflict (id) do update
  set public = excluded.public, file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- Storage checks these as the caller. An upload first tests an INSERT (bucket_id, name, owner,
-- version; no metadata yet), then writes the row with its metadata as the storage admin; an
-- upsert tests an INSERT ... ON CONFLICT DO UPDATE; download and createSignedUrl SELECT the row;
-- remove DELETEs it. The metadata checks apply to any write that carries metadata.
create policy "coaches upload resource files into their own resource folders" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'resources'
    and (select private.is_coach_or_admin())
    and private.resource_upload_allowed(name, metadata));
create policy "authors replace the files in their own resource folders" on storage.objects
  for update to authenticated
  using (bucket_id = 'resources' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (
    bucket_id = 'resources'
    and (select private.is_coach_or_admin())
    and private.resource_upload_allowed(name, metadata));
-- A file is readable when the one resource whose file_path it is can be read by the caller (the
-- resources policies decide, as the caller), by its uploader, and by admins.
create policy "anyone can read the files of public resources" on storage.objects
  for select to anon
  using (bucket_id = 'resources' and exists (select 1 from public.resources r where r.file_path = objects.name));
create policy "users read the files of the resources they can read" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'resources'
    and ((storage.foldername(name))[1] = (select auth.uid())::text
         or exists (select 1 from public.resources r where r.file_path = objects.name)
         or (select private.is_admin())));
create policy "authors and admins delete resource files" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'resources'
    and ((storage.foldername(name))[1] = (select auth.uid())::text or (select private.is_admin())));

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients have no update grant on the hidden_* columns, and admins may not be
-- the author (the update policy is the author's).
create function public.hide_resource(resource_id uuid, reason text)
returns public.resources
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_reason text := private.clean_text(hide_resource.reason);
  v_row public.resources;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'hide_resource'));
  end if;
  if not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins can hide resources.', jsonb_build_object('resource_id', hide_resource.resource_id));
  end if;
  if v_reason is null or char_length(v_reason) not between 1 and 500 then
    perform private.raise_error('invalid_input', 'A reason of 1-500 characters is required.',
      jsonb_build_object('field', 'reason', 'max', 500));
  end if;
  update public.resources r
     set hidden_at = coalesce(r.hidden_at, now()), hidden_by = v_uid, hidden_reason = v_reason
   where r.id = hide_resource.resource_id
  returning r.* into v_row;
  if v_row.id is null then
    perform private.raise_error('not_found', 'Resource not found.', jsonb_build_object('resource_id', hide_resource.resource_id));
  end if;
  return v_row;
end;
$$;
comment on function public.hide_resource(uuid, text) is
  'Admins hide a resource from everyone but its author and admins, with a reason (1-500 characters; hiding again '
  'updates it). Its file becomes unreadable to others too. Errors: not_authenticated, forbidden (not an admin), '
  'invalid_input (reason), not_found.';
revoke execute on function public.hide_resource(uuid, text) from public, anon;
grant execute on function public.hide_resource(uuid, text) to authenticated, service_role;

-- SECURITY DEFINER: as hide_resource.
create function public.unhide_resource(resource_id uuid)
returns public.resources
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_row public.resources;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'unhide_resource'));
  end if;
  if not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins can unhide resources.', jsonb_build_object('resource_id', unhide_resource.resource_id));
  end if;
  update public.resources r
     set hidden_at = null, hidden_by = null, hidden_reason = null
   where r.id = unhide_resource.resource_id
  returning r.* into v_row;
  if v_row.id is null then
    perform private.raise_error('not_found', 'Resource not found.', jsonb_build_object('resource_id', unhide_resource.resource_id));
  end if;
  return v_row;
end;
$$;
comment on function public.unhide_resource(uuid) is
  'Admins make a hidden resource visible again (per its visibility). Errors: not_authenticated, forbidden, not_found.';
revoke execute on function public.unhide_resource(uuid) from public, anon;
grant execute on function public.unhide_resource(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Normalizes what users type (title trimmed of every kind of blank, tags trimmed, lower case,
-- unique and sorted, blank optional text to null) and stamps published_at on the first publish.
create function private.resources_normalize()
returns trigger
language plpgsql set search_path = '' as $$
begin
  new.title := private.clean_text(new.title);
  new.description := nullif(private.clean_text(new.description), '');
  new.tags := coalesce(array(
    select distinct lower(private.clean_text(t)) from unnest(new.tags) t
    where nullif(private.clean_text(t), '') is not null
    order by 1), '{}');
  new.file_mime_type := nullif(lower(btrim(split_part(new.file_mime_type, ';', 1))), '');
  if new.status = 'published' and new.published_at is null then
    new.published_at := now();
  end if;
  return new;
end;
$$;
comment on function private.resources_normalize() is
  'Trigger before writing a resource: cleans title, description, tags and file_mime_type; sets published_at on the first publish.';
revoke execute on function private.resources_normalize() from public, anon, authenticated, service_role;

create trigger resources_normalize before insert or update on public.resources
  for each row execute function private.resources_normalize();
create trigger resources_set_updated_at before update on public.resources
  for each row execute function private.set_updated_at();
