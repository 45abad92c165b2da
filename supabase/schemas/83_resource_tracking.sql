-- Resource tracking: track_resource_view(resource_id) and track_resource_download(resource_id) count
-- what signed-in users open, once per user per 10 minutes (repeated calls inside that window count
-- once), per resource and UTC day (views, downloads, unique viewers and downloaders that day), and
-- in total (unique users: one resource_activity row per user); resource_stats(resource_id, days)
-- gives a resource's author (and admins) the numbers. Exact under concurrency: every count is one
-- INSERT ... ON CONFLICT DO UPDATE, so calls on one row are serialised by its row lock and a repeat
-- inside the window sees the committed last count.
-- Tables: resource_activity, resource_daily_stats.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.resource_activity (
  resource_id uuid not null references public.resources (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  first_at timestamptz not null default now(),
  last_counted_at timestamptz not null default now(),
  -- UTC day of the last counted call, and of the one before it (null on the first).
  last_day date not null default (now() at time zone 'utc')::date,
  previous_day date,
  counted integer not null default 1,
  primary key (resource_id, user_id, kind),
  constraint resource_activity_kind_valid check (kind in ('view', 'download')),
  constraint resource_activity_counted_positive check (counted > 0)
);
comment on table public.resource_activity is
  'One row per user, resource and kind (view, download): when they first and last opened it (counted calls only) and '
  'how many calls counted. Written only by track_resource_view / track_resource_download; each user reads their own.';
comment on column public.resource_activity.counted is 'Calls that counted: at most one per 10 minutes.';
alter table public.resource_activity enable row level security;

create table public.resource_daily_stats (
  resource_id uuid not null references public.resources (id) on delete cascade,
  day date not null,
  views integer not null default 0,
  downloads integer not null default 0,
  unique_viewers integer not null default 0,
  unique_downloaders integer not null default 0,
  primary key (resource_id, day),
  constraint resource_daily_stats_not_negative check (views >= 0 and downloads >= 0 and unique_viewers >= 0 and unique_downloaders >= 0)
);
comment on table public.resource_daily_stats is
  'Per resource and UTC day: counted views and downloads (at most one per user per 10 minutes) and the distinct users '
  'who viewed or downloaded it that day. The resource''s author and admins read it; written only by the tracking RPCs.';
alter table public.resource_daily_stats enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index resource_activity_user_id_idx on public.resource_activity (user_id, kind, last_counted_at desc);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: the read rule of the resources policies for one resource, across RLS (the
-- tracking RPCs run as definer). Published and not hidden only: an author opening a draft is not
-- counted.
create function private.can_track_resource(resource_id uuid)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_resource public.resources;
begin
  if v_uid is null then
    return false;
  end if;
  select r.* into v_resource from public.resources r where r.id = can_track_resource.resource_id;
  if v_resource.id is null or v_resource.status <> 'published' or v_resource.hidden_at is not null then
    return false;
  end if;
  return v_resource.visibility in ('public', 'members')
      or v_resource.author_id = v_uid
      or (v_resource.visibility = 'attendees' and v_resource.id in (select a.id from private.my_attendee_resource_ids() as a (id)))
      or private.is_admin();
end;
$$;
comment on function private.can_track_resource(uuid) is
  'True when the signed-in caller may read the resource and it is published and not hidden: what the tracking RPCs '
  'count. Security definer: the resources read rule across RLS.';
revoke execute on function private.can_track_resource(uuid) from public, anon;
grant execute on function private.can_track_resource(uuid) to authenticated, service_role;

-- SECURITY DEFINER: writes the tracking tables, which no client role may write.
create function private.track_resource(resource_id uuid, kind text)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_today date := (now() at time zone 'utc')::date;
  v_activity public.resource_activity;
  v_new_today boolean;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('resource_id', track_resource.resource_id));
  end if;
  if track_resource.resource_id is null or not private.can_track_resource(track_resource.resource_id) then
    perform private.raise_error('not_found', 'Resource not found.', jsonb_build_object('resource_id', track_resource.resource_id));
  end if;
  if track_resource.kind = 'download'
     and not exists (select 1 from public.resources r
                     where r.id = track_resource.resource_id and (r.file_path is not null or r.external_url is not null)) then
    perform private.raise_error('invalid_input', 'This resource has nothing to download.',
      jsonb_build_object('resource_id', track_resource.resource_id, 'field', 'resource_id'));
  end if;

  -- The row lock of ON CONFLICT serialises one user's calls on one resource; the WHERE sees the
  -- last committed count, so a repeat inside the window updates nothing and returns no row.
  insert into public.resource_activity as a (resource_id, user_id, kind)
  values (track_resource.resource_id, v_uid, track_resource.kind)
  on conflict on constraint resource_activity_pkey do update
    set last_counted_at = now(), previous_day = a.last_day, last_day = v_today, counted = a.counted + 1
    where a.last_counted_at <= now() - interval '10 minutes'
  returning a.* into v_activity;
  if v_activity.resource_id is null then
    return jsonb_build_object('counted', false);
  end if;

  v_new_today := v_activity.counted = 1 or v_activity.previous_day is distinct from v_today;
  insert into public.resource_daily_stats as d (resource_id, day, views, downloads, unique_viewers, unique_downloaders)
  values (track_resource.resource_id, v_today,
          (track_resource.kind = 'view')::int, (track_resource.kind = 'download')::int,
          (track_resource.kind = 'view' and v_new_today)::int, (track_resource.kind = 'download' and v_new_today)::int)
  on conflict on constraint resource_daily_stats_pkey do update
    set views = d.views + excluded.views, downloads = d.downloads + excluded.downloads,
        unique_viewers = d.unique_viewers + excluded.unique_viewers,
        unique_downloaders = d.unique_downloaders + excluded.unique_downloaders;
  return jsonb_build_object('counted', true);
end;
$$;
comment on function private.track_resource(uuid, text) is
  'Counts a view or download of a resource by the caller (at most once per 10 minutes per user and kind): '
  'resource_activity and resource_daily_stats. Internal: the body of track_resource_view / track_resource_download.';
revoke execute on function private.track_resource(uuid, text) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.resource_activity from public, anon, authenticated, service_role;
grant select on table public.resource_activity to authenticated;
grant all on table public.resource_activity to service_role;
create policy "users read their own resource activity" on public.resource_activity
  for select to authenticated
  using (user_id = (select auth.uid()));

revoke all on table public.resource_daily_stats from public, anon, authenticated, service_role;
grant select on table public.resource_daily_stats to authenticated;
grant all on table public.resource_daily_stats to service_role;
create policy "authors and admins read the daily numbers of resources" on public.resource_daily_stats
  for select to authenticated
  using ((select private.is_admin())
         or resource_id in (select r.id from public.resources r where r.author_id = (select auth.uid())));

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER (both): they write tables no client may write; see private.track_resource.
create function public.track_resource_view(resource_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
begin
  return private.track_resource(track_resource_view.resource_id, 'view');
end;
$$;
comment on function public.track_resource_view(uuid) is
  'Counts a view of a resource the caller may read (published, not hidden): {counted: true}, or {counted: false} for a '
  'repeat by the same user within 10 minutes. Errors: not_authenticated, not_found (unknown or not readable).';
revoke execute on function public.track_resource_view(uuid) from public, anon;
grant execute on function public.track_resource_view(uuid) to authenticated, service_role;

create function public.track_resource_download(resource_id uuid)
returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
begin
  return private.track_resource(track_resource_download.resource_id, 'download');
end;
$$;
comment on function public.track_resource_download(uuid) is
  'Counts a download of a resource the caller may read (call it with Storage download / createSignedUrl): {counted: '
  'true}, or {counted: false} for a repeat within 10 minutes. Errors: not_authenticated, not_found, invalid_input '
  '(an article: nothing to download).';
revoke execute on function public.track_resource_download(uuid) from public, anon;
grant execute on function public.track_resource_download(uuid) to authenticated, service_role;

-- SECURITY DEFINER: unique users over all days are the resource_activity rows of other users,
-- which the author may not read.
create function public.resource_stats(resource_id uuid, days integer default 30)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_author uuid;
begin
  perform private.account_read_guard();  -- a deactivated account reads nothing (85_account_lifecycle.sql)
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('resource_id', resource_stats.resource_id));
  end if;
  if resource_stats.days is null or resource_stats.days not between 1 and 366 then
    perform private.raise_error('invalid_input', 'days must be between 1 and 366.', jsonb_build_object('field', 'days', 'min', 1, 'max', 366));
  end if;
  select r.author_id into v_author from public.resources r where r.id = resource_stats.resource_id;
  if v_author is null or (v_author <> v_uid and not private.is_admin()) then
    perform private.raise_error('not_found', 'Resource not found.', jsonb_build_object('resource_id', resource_stats.resource_id));
  end if;
  return jsonb_build_object(
    'resource_id', resource_stats.resource_id,
    'views', (select coalesce(sum(d.views), 0) from public.resource_daily_stats d where d.resource_id = resource_stats.resource_id),
    'downloads', (select coalesce(sum(d.downloads), 0) from public.resource_daily_stats d where d.resource_id = resource_stats.resource_id),
    'unique_viewers', (select count(*) from public.resource_activity a where a.resource_id = resource_stats.resource_id and a.kind = 'view'),
    'unique_downloaders', (select count(*) from public.resource_activity a where a.resource_id = resource_stats.resource_id and a.kind = 'download'),
    'days', coalesce((
      select jsonb_agg(jsonb_build_object('day', d.day, 'views', d.views, 'downloads', d.downloads,
                                          'unique_viewers', d.unique_viewers, 'unique_downloaders', d.unique_downloaders)
                       order by d.day desc)
      from public.resource_daily_stats d
      where d.resource_id = resource_stats.resource_id
        and d.day > (now() at time zone 'utc')::date - resource_stats.days), '[]'::jsonb));
end;
$$;
comment on function public.resource_stats(uuid, integer) is
  'For the resource''s author and admins: {resource_id, views, downloads, unique_viewers, unique_downloaders (all time), '
  'days: [{day, views, downloads, unique_viewers, unique_downloaders}] for the last `days` UTC days (1-366, default 30), '
  'newest first, days without activity left out}. Errors: not_authenticated, invalid_input, not_found (not the author).';
revoke execute on function public.resource_stats(uuid, integer) from public, anon;
grant execute on function public.resource_stats(uuid, integer) to authenticated, service_role;
