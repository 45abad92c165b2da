-- Resource search: search_resources(query, kinds, tags, language, limit, offset), full text ranked
-- title > tags > description > body, stemmed in each resource's own language (Dutch, English,
-- Portuguese; `simple` for any other), accents ignored, typo-tolerant for short queries (trigram
-- similarity of the title), filters combined, only published resources the caller may read (the
-- resources policies apply: security invoker). The search columns and indexes are on the table
-- (80_resources.sql).

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------

-- A named row type (not RETURNS TABLE): its columns tags and language would clash with the
-- function's arguments of the same names.
create type public.resource_search_hit as (
  id uuid,
  title text,
  description text,
  kind text,
  language text,
  tags text[],
  file_path text,
  external_url text,
  duration_seconds integer,
  page_count integer,
  author_id uuid,
  published_at timestamptz,
  rank real,
  matched text
);
comment on type public.resource_search_hit is
  'One search_resources result: the resource''s public columns, rank and matched (text, similar or all).';

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER, on purpose, with the read rule of the resources policies written out in the
-- query (80_resources.sql, "users read the resources visible to them"; 82_resource_search.test.sql
-- checks, per actor, that search finds exactly what the caller can select). Under RLS the planner
-- may not use the search indexes: @@ and <% are not leakproof, so they cannot run before the
-- policy's own conditions, and every search became a scan of the whole table (about 0.6 s at
-- 100,000 resources). The query is parsed once per configuration and each resource is matched with
-- the query of its own language, so one GIN index on search_vector serves every language, and a
-- short plain query also uses the trigram index on search_title.
create function private.search_resources_page(
  query text,
  kinds text[],
  tags text[],
  language text,
  page_limit integer,
  page_offset integer
) returns setof public.resource_search_hit
-- No parallel workers: starting them costs more than a page of 20 results.
language plpgsql stable security definer set search_path = '' set max_parallel_workers_per_gather = 0 rows 20 as $$
declare
  v_query text := nullif(btrim(regexp_replace(search_resources_page.query, '[[:space:]]+', ' ', 'g')), '');
  v_plain text;
  v_kinds text[];
  v_tags text[];
  v_language text := nullif(btrim(search_resources_page.language), '');
  v_nl tsquery;
  v_en tsquery;
  v_pt tsquery;
  v_simple tsquery;
  v_fuzzy boolean;
  v_uid uuid := (select auth.uid());
  -- service_role reads every resource (it bypasses RLS), like an admin.
  v_admin boolean := coalesce((select auth.role()) = 'service_role', false) or (v_uid is not null and private.is_admin());
  v_attendee_ids uuid[];
  v_found int;
  v_text_total int;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  perform private.require_flat_array(search_resources_page.kinds, 'kinds');
  perform private.require_flat_array(search_resources_page.tags, 'tags');
  if char_length(v_query) > 200 then
    perform private.raise_error('invalid_input', 'The query must be at most 200 characters.',
      jsonb_build_object('field', 'query', 'max', 200));
  end if;
  if search_resources_page.page_limit is null or search_resources_page.page_limit not between 1 and 100 then
    perform private.raise_error('invalid_input', 'limit must be between 1 and 100.',
      jsonb_build_object('field', 'limit', 'min', 1, 'max', 100));
  end if;
  if search_resources_page.page_offset is null or search_resources_page.page_offset not between 0 and 10000 then
    perform private.raise_error('invalid_input', 'offset must be between 0 and 10000.',
      jsonb_build_object('field', 'offset', 'min', 0, 'max', 10000));
  end if;
  if cardinality(search_resources_page.kinds) > 0 then
    v_kinds := array(select distinct k from unnest(search_resources_page.kinds) k);
    if exists (select 1 from unnest(v_kinds) k where k is null or k not in ('audio', 'pdf', 'video', 'article', 'link')) then
      perform private.raise_error('invalid_input', 'kinds are audio, pdf, video, article or link.',
        jsonb_build_object('field', 'kinds'));
    end if;
  end if;
  if cardinality(search_resources_page.tags) > 0 then
    v_tags := array(select distinct lower(btrim(t)) from unnest(search_resources_page.tags) t where nullif(btrim(t), '') is not null);
    if cardinality(v_tags) > 20 then
      perform private.raise_error('invalid_input', 'At most 20 tags.', jsonb_build_object('field', 'tags', 'max', 20));
    end if;
    if cardinality(v_tags) = 0 then
      v_tags := null;
    end if;
  end if;
  if v_language is not null and v_language !~ '^[a-z]{2}(-[A-Z]{2})?$' then
    perform private.raise_error('invalid_input', 'language is an ISO 639-1 code such as nl, en or pt-BR.',
      jsonb_build_object('field', 'language'));
  end if;

  -- What the caller may read beyond public and members resources (the resources policies).
  if v_uid is not null and not v_admin then
    v_attendee_ids := array(select a.id from private.my_attendee_resource_ids() as a (id));
  end if;

  if v_query is not null then
    v_plain := private.unaccent_immutable(v_query);
    v_nl := websearch_to_tsquery('pg_catalog.dutch'::regconfig, v_plain);
    v_en := websearch_to_tsquery('pg_catalog.english'::regconfig, v_plain);
    v_pt := websearch_to_tsquery('pg_catalog.portuguese'::regconfig, v_plain);
    v_simple := websearch_to_tsquery('pg_catalog.simple'::regconfig, v_plain);
    -- A single plain word of 3-40 characters also matches titles with a typo (pg_trgm word
    -- similarity, threshold pg_trgm.word_similarity_threshold, 0.6 by default). Only one word: the
    -- trigram index finds candidates by the query's trigrams, and several words share so many that
    -- the scan approached the whole table.
    v_fuzzy := char_length(v_plain) between 3 and 40 and v_plain !~ '[["[:space:]-]';
    v_plain := lower(v_plain);
  end if;

  -- Without a query: the newest first (the published_at index).
  if v_query is null then
    return query
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at, 0::real, 'all'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    order by r.published_at desc, r.id
    limit search_resources_page.page_limit offset search_resources_page.page_offset;
    return;
  end if;

  -- Text matches: one branch per configuration, each resource matched with the query of its own
  -- language, each branch a scan of the GIN index on search_vector.
  return query
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at,
           (1 + ts_rank('{0.1, 0.2, 0.4, 1.0}', r.search_vector, v_nl))::real, 'text'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and r.search_config = 'dutch' and r.search_vector @@ v_nl
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    union all
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at,
           (1 + ts_rank('{0.1, 0.2, 0.4, 1.0}', r.search_vector, v_en))::real, 'text'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and r.search_config = 'english' and r.search_vector @@ v_en
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    union all
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at,
           (1 + ts_rank('{0.1, 0.2, 0.4, 1.0}', r.search_vector, v_pt))::real, 'text'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and r.search_config = 'portuguese' and r.search_vector @@ v_pt
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    union all
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at,
           (1 + ts_rank('{0.1, 0.2, 0.4, 1.0}', r.search_vector, v_simple))::real, 'text'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and r.search_config = 'simple' and r.search_vector @@ v_simple
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    order by 13 desc, 12 desc, 1
    limit search_resources_page.page_limit offset search_resources_page.page_offset;
  get diagnostics v_found = row_count;

  -- Then, when the page is not full, titles that are only similar (typos), ranked below every text
  -- match (rank < 1): the trigram index on search_title.
  if v_fuzzy and v_found < search_resources_page.page_limit then
    if v_found = 0 and search_resources_page.page_offset > 0 then
      select count(*)::int into v_text_total from (
        select 1 from public.resources r
        where r.status = 'published' and r.hidden_at is null and r.search_vector @@ (case r.search_config
                when 'dutch' then v_nl when 'english' then v_en
                when 'portuguese' then v_pt else v_simple end)
          and (v_kinds is null or r.kind = any (v_kinds))
          and (v_tags is null or r.tags @> v_tags)
          and (v_language is null or r.language = v_language or r.language like v_language || '-%')
          and (r.visibility = 'public'
               or (v_uid is not null and r.visibility = 'members')
               or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
               or r.author_id = v_uid
               or v_admin)
        limit search_resources_page.page_offset) t;
    else
      v_text_total := search_resources_page.page_offset + v_found;
    end if;
    return query
    select r.id, r.title, r.description, r.kind, r.language, r.tags, r.file_path, r.external_url, r.duration_seconds,
           r.page_count, r.author_id, r.published_at,
           extensions.word_similarity(v_plain, r.search_title)::real, 'similar'
    from public.resources r
    where r.status = 'published' and r.hidden_at is null
      and v_plain operator(extensions.<%) r.search_title
      and not r.search_vector @@ (case r.search_config
            when 'dutch' then v_nl when 'english' then v_en
            when 'portuguese' then v_pt else v_simple end)
      and (v_kinds is null or r.kind = any (v_kinds))
      and (v_tags is null or r.tags @> v_tags)
      and (v_language is null or r.language = v_language or r.language like v_language || '-%')
      and (r.visibility = 'public'
           or (v_uid is not null and r.visibility = 'members')
           or (r.visibility = 'attendees' and r.id = any (v_attendee_ids))
           or r.author_id = v_uid
           or v_admin)
    order by 13 desc, 12 desc, 1
    limit search_resources_page.page_limit - v_found offset greatest(search_resources_page.page_offset - v_text_total, 0);
  end if;
end;
$$;
comment on function private.search_resources_page(text, text[], text[], text, integer, integer) is
  'The body of public.search_resources (its limit and offset arguments are page_limit and page_offset here: plpgsql_check '
  'refuses reserved words as parameter names). Security definer: applies the resources read rule itself. Internal.';
revoke execute on function private.search_resources_page(text, text[], text[], text, integer, integer) from public;
-- anon too: visitors search the public resources (listed in the anon guard of 00_foundation.test.sql).
grant execute on function private.search_resources_page(text, text[], text[], text, integer, integer)
  to anon, authenticated, service_role;

-- SECURITY INVOKER: the API's name and argument names; private.search_resources_page does the work.
create function public.search_resources(
  query text default null,
  kinds text[] default null,
  tags text[] default null,
  language text default null,
  "limit" integer default 20,
  "offset" integer default 0
) returns setof public.resource_search_hit
language sql stable security invoker set search_path = '' rows 20 as $$
  -- Nested arrays are invalid_input before anything else (private.require_flat_array, as every RPC).
  select p.*
  from (select private.require_flat_array(search_resources.kinds, 'kinds'),
               private.require_flat_array(search_resources.tags, 'tags')) as checked,
       lateral private.search_resources_page(search_resources.query, search_resources.kinds, search_resources.tags,
                                             search_resources.language, search_resources."limit", search_resources."offset") p
$$;
comment on function public.search_resources(text, text[], text[], text, integer, integer) is
  'Searches the published resources the caller may read. query (optional, up to 200 characters, web search syntax: '
  'words, "phrases", or, -not): full text in each resource''s language (nl, en, pt stemmed; others simple), accents '
  'ignored, ranked title above tags above description above body; a single word (3-40 characters) also finds titles '
  'with a typo (matched = similar, ranked below every text match). kinds (any of), tags (all of), language (nl also '
  'finds nl-BE) filter together. Without a query: the newest first (matched = all). rank: 1 + ts_rank for text '
  'matches, the title''s word similarity (0-1) for similar ones, 0 without a query. limit 1-100 (default 20), '
  'offset 0-10000. Errors: invalid_input.';
revoke execute on function public.search_resources(text, text[], text[], text, integer, integer) from public;
grant execute on function public.search_resources(text, text[], text[], text, integer, integer) to anon, authenticated, service_role;
