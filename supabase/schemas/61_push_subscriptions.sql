-- Web Push subscriptions: each user's devices (endpoint and keys), own rows only, upserted on the
-- endpoint. The dispatch-notifications Edge Function sends to them (34_notification_delivery.sql).
-- An endpoint is a URL the server POSTs to, so only the hosts of push services are accepted: the
-- built-in ones of today's browsers plus those an operator lists in private.push_service_hosts
-- (self-hosted push services, the tests' local one). private.push_endpoint_problem is the one
-- definition: the insert/update trigger refuses an endpoint it rejects, and the dispatcher asks it again
-- before every send (a row written earlier, or while the list was longer, is never posted to). Such a
-- row is disabled, not deleted (disabled_at, disabled_reason): a host missing from the list, or removed
-- from it for a while, must not cost users their push for good. Listing the host again re-enables it.
-- A row whose keys no request can be encrypted to (a p256dh that is not a P-256 point...) is disabled
-- too (disabled_cause 'keys'): every push to it would fail, and as a user's only device it failed every
-- delivery. The owner's next registration of it (new keys, or the RPC) enables it again.
-- Tables: public.push_subscriptions, private.push_service_hosts.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.push_subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  endpoint text not null,
  p256dh text not null,
  auth text not null,
  user_agent text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  disabled_cause text,
  constraint push_subscriptions_endpoint_unique unique (endpoint),
  constraint push_subscriptions_endpoint_https check (endpoint ~ '^https://[^/\s]+/\S*$' and char_length(endpoint) <= 2048),
  constraint push_subscriptions_p256dh_format check (p256dh ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(p256dh) between 16 and 256),
  constraint push_subscriptions_auth_format check (auth ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(auth) between 16 and 64),
  constraint push_subscriptions_user_agent_length check (user_agent is null or char_length(user_agent) <= 512),
  constraint push_subscriptions_disabled_reason_length check (disabled_reason is null or char_length(disabled_reason) <= 300),
  constraint push_subscriptions_disabled_cause_valid check (disabled_cause is null or disabled_cause in ('endpoint', 'keys'))
);
comment on table public.push_subscriptions is
  'Web Push subscriptions, one per device (browser PushSubscription): own rows only. Upsert with on conflict '
  '(endpoint): it updates the keys of the caller''s own subscription and is refused (42501) for an endpoint of another user.';
comment on column public.push_subscriptions.endpoint is 'Push service URL of the device (https only, unique).';
comment on column public.push_subscriptions.p256dh is 'The subscription''s P-256 public key (base64url), keys.p256dh.';
comment on column public.push_subscriptions.auth is 'The subscription''s authentication secret (base64url), keys.auth.';
comment on column public.push_subscriptions.last_used_at is 'When the backend last delivered a push to it (service role writes it).';
comment on column public.push_subscriptions.disabled_at is
  'Set by the dispatcher when the endpoint is not (or no longer) an allowed push service (private.push_endpoint_problem), '
  'or when no request can be encrypted to the row''s keys (disabled_cause): the device gets no pushes and none are '
  'queued for it, the row is kept. Cleared when the host is allowed again (private.reenable_push_subscriptions; not '
  'for a keys cause), when the endpoint is registered or written again, or when its keys change. Not client-writable.';
comment on column public.push_subscriptions.disabled_reason is
  'Why it is disabled (private.push_endpoint_problem, or the error building a request to its keys), or null.';
comment on column public.push_subscriptions.disabled_cause is
  'What disabled it: endpoint (not an allowed push service) or keys (no request can be encrypted to p256dh/auth); null '
  'while enabled. Not client-writable.';
alter table public.push_subscriptions enable row level security;

create table private.push_service_hosts (
  host text primary key,
  note text,
  created_at timestamptz not null default now(),
  constraint push_service_hosts_host_format
    check (host ~ '^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[1-9][0-9]{0,4})?$'
           and char_length(host) <= 253),
  constraint push_service_hosts_note_length check (note is null or char_length(note) <= 200)
);
comment on table private.push_service_hosts is
  'Push services allowed besides the built-in ones (see private.push_endpoint_problem): a self-hosted push service '
  'or a test receiver. host is a lower-case DNS name or IP address, optionally *.domain (any name below it) and '
  ':port (without one, only 443). Written by the operator (SQL as postgres); empty by default.';

-- What each device made of a push delivery: one delivery goes to every subscription of the user, and
-- a device that failed transiently is retried alone (the devices that got it are not sent it again).
create table private.push_delivery_devices (
  delivery_id uuid not null references public.notification_deliveries (id) on delete cascade,
  subscription_id uuid not null,
  endpoint_host text not null,
  status text not null,
  attempts int not null default 1,
  http_status int,
  error text,
  updated_at timestamptz not null default now(),
  constraint push_delivery_devices_pkey primary key (delivery_id, subscription_id),
  constraint push_delivery_devices_status_valid check (status in ('sent', 'retry', 'gone', 'failed', 'refused')),
  constraint push_delivery_devices_attempts_positive check (attempts > 0),
  constraint push_delivery_devices_endpoint_host_length check (char_length(endpoint_host) <= 300),
  constraint push_delivery_devices_error_length check (error is null or char_length(error) <= 300)
);
comment on table private.push_delivery_devices is
  'Per device (subscription) outcome of a push delivery, written by the dispatcher after each attempt: sent (the '
  'push service accepted it: never sent again), retry (429/5xx/network: the only devices the next attempt sends '
  'to), gone (404/410: subscription deleted; or no longer the user''s before the retry: nothing deleted), failed '
  '(other answers, or given up with the delivery), refused (not a push service '
  'endpoint: not posted, the subscription disabled). failed also covers a request that could not be built for the '
  'device (keys no request can be encrypted to: the subscription is disabled, cause keys). No foreign key to the '
  'subscription: the record outlives a deleted one. Deleted with its delivery.';

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- push_subscriptions.endpoint is indexed by its unique constraint.
create index push_subscriptions_user_id_idx on public.push_subscriptions (user_id);

-- ---------------------------------------------------------------------------------------------
-- Endpoint check
-- ---------------------------------------------------------------------------------------------

-- Why the endpoint is not a push service URL, or null when it is. The authority is parsed strictly (a
-- DNS name or IPv4 address and an optional port, nothing else), so every URL parser sees the same host:
-- user information (https://fcm.googleapis.com@evil/), a backslash, '?' or '#' before the path, IPv6
-- brackets, a trailing dot are all refused. The host matches case-insensitively; the port must be the
-- entry's (443 when the entry names none). Security definer: it reads private.push_service_hosts
-- for the trigger of any writer.
create function private.push_endpoint_problem(endpoint text)
returns text
language plpgsql stable security definer set search_path = '' as $$
declare
  v_parts text[];
  v_host text;
  v_port int;
begin
  if endpoint is null then
    return 'endpoint is missing';
  end if;
  if char_length(endpoint) > 2048 then
    return 'endpoint is longer than 2048 characters';
  end if;
  if endpoint !~ '^https://' then
    return 'endpoint must be an https:// URL';
  end if;
  v_parts := regexp_match(endpoint, '^https://([^/?#\\]*)(.*)$');
  if v_parts[1] ~ '@' then
    return 'endpoint must not carry user information (user@host)';
  end if;
  if v_parts[2] !~ '^/\S*$' then
    return 'endpoint must be https://host/path without spaces';
  end if;
  v_parts := regexp_match(lower(v_parts[1]), '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)(:([0-9]{1,5}))?$');
  if v_parts is null or char_length(v_parts[1]) > 253 then
    return 'endpoint host must be a plain host name (no trailing dot, no IPv6 literal)';
  end if;
  v_host := v_parts[1];
  v_port := coalesce(v_parts[6]::int, 443);
  if exists (
    select 1
    from (select h, (regexp_match(h, '^([^:]+)(:([0-9]+))?$'))[1] as name,
                 coalesce((regexp_match(h, ':([0-9]+)$'))[1]::int, 443) as port
          from unnest(array['fcm.googleapis.com', 'android.googleapis.com', 'updates.push.services.mozilla.com',
                            '*.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com']) as b (h)
          union all
          select s.host, (regexp_match(s.host, '^([^:]+)(:([0-9]+))?$'))[1],
                 coalesce((regexp_match(s.host, ':([0-9]+)$'))[1]::int, 443)
          from private.push_service_hosts s) as e
    where e.port = v_port
      and (e.name = v_host
           or (e.name like '*.%' and v_host like '%' || substr(e.name, 2) and v_host !~ '^[0-9.]+$'))
  ) then
    return null;
  end if;
  return format('endpoint host %s is not a known push service', v_host || case when v_parts[6] is not null then ':' || v_port else '' end);
end;
$$;
comment on function private.push_endpoint_problem(text) is
  'Why endpoint is not the URL of an allowed push service (text), or null when it is: https only, a plain host (no '
  'user information, trailing dot or IPv6 literal) that is a built-in push service (fcm.googleapis.com, '
  'android.googleapis.com, updates.push.services.mozilla.com, *.push.services.mozilla.com, *.push.apple.com, '
  '*.notify.windows.com; port 443) or listed in private.push_service_hosts. The one definition the insert/update '
  'trigger of push_subscriptions and the dispatcher (before each send) use.';
revoke execute on function private.push_endpoint_problem(text) from public, anon, authenticated;
grant execute on function private.push_endpoint_problem(text) to service_role;

-- Every write of an endpoint (the RPC, a direct insert or upsert, an update, the service role).
create function private.push_subscriptions_endpoint_guard()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_problem text := private.push_endpoint_problem(new.endpoint);
begin
  if v_problem is not null then
    perform private.raise_error('invalid_input', v_problem || '.', jsonb_build_object('field', 'endpoint'));
  end if;
  -- An endpoint written (again) and allowed now: a mark of the dispatcher no longer holds.
  new.disabled_at := null;
  new.disabled_reason := null;
  new.disabled_cause := null;
  return new;
end;
$$;
comment on function private.push_subscriptions_endpoint_guard() is
  'Trigger of push_subscriptions: refuses (invalid_input, field endpoint) an endpoint private.push_endpoint_problem rejects, '
  'and clears disabled_at/disabled_reason of one it accepts.';
revoke execute on function private.push_subscriptions_endpoint_guard() from public, anon, authenticated, service_role;
create trigger push_subscriptions_endpoint_guard before insert or update of endpoint on public.push_subscriptions
  for each row execute function private.push_subscriptions_endpoint_guard();

-- Re-enables the disabled subscriptions whose endpoint is allowed again. Runs after every change of
-- private.push_service_hosts; after a change of the built-in list (a migration redefining
-- private.push_endpoint_problem) run it by hand: select private.reenable_push_subscriptions();
create function private.reenable_push_subscriptions()
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  update public.push_subscriptions ps
     set disabled_at = null, disabled_reason = null, disabled_cause = null
   where ps.disabled_at is not null and ps.disabled_cause is distinct from 'keys'
     and private.push_endpoint_problem(ps.endpoint) is null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.reenable_push_subscriptions() is
  'Clears disabled_at/disabled_reason of the push subscriptions disabled for their endpoint (not for their keys) whose '
  'endpoint private.push_endpoint_problem accepts again; returns how many. Called by the trigger on private.push_service_hosts; run it by hand after changing the '
  'built-in list.';
revoke execute on function private.reenable_push_subscriptions() from public, anon, authenticated, service_role;

create function private.push_service_hosts_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.reenable_push_subscriptions();
  return null;
end;
$$;
comment on function private.push_service_hosts_changed() is
  'Trigger of private.push_service_hosts (after insert or update): re-enables the subscriptions the list allows again.';
revoke execute on function private.push_service_hosts_changed() from public, anon, authenticated, service_role;
create trigger push_service_hosts_changed after insert or update on private.push_service_hosts
  for each statement execute function private.push_service_hosts_changed();

-- New keys for a row disabled for its keys (a client's update of p256dh/auth): it is tried again.
create function private.push_subscriptions_keys_changed()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  new.disabled_at := null;
  new.disabled_reason := null;
  new.disabled_cause := null;
  return new;
end;
$$;
comment on function private.push_subscriptions_keys_changed() is
  'Trigger of push_subscriptions: a row disabled for its keys (disabled_cause keys) whose p256dh or auth changes is '
  'enabled again.';
revoke execute on function private.push_subscriptions_keys_changed() from public, anon, authenticated, service_role;
create trigger push_subscriptions_keys_changed before update of p256dh, auth on public.push_subscriptions
  for each row
  when (old.disabled_cause = 'keys' and (old.p256dh, old.auth) is distinct from (new.p256dh, new.auth))
  execute function private.push_subscriptions_keys_changed();

-- What the dispatcher learnt about a user's devices, written back after a send. Each change holds only
-- for a row that is still the user's with the endpoint (and, for keys, the keys) the send used: a
-- shared browser's row may have moved to another user, or been registered again, meanwhile. An
-- endpoint is disabled only if private.push_endpoint_problem still refuses it now, and enabled only if
-- it still accepts it: the dispatcher's answer was computed before the sends, and the operator may have
-- listed (or removed) the host since. The SHARE lock on private.push_service_hosts orders this with
-- such an edit: an edit committed first is seen here; an edit that comes later waits for this
-- transaction, and its trigger (private.reenable_push_subscriptions) then sees the row this disabled.
-- Callers run it before any other write of their transaction (no row lock held while waiting).
-- Security definer: service_role may not take that lock.
create function private.record_push_subscription_states(user_id uuid, changes jsonb)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int := 0;
  v_rows int;
begin
  if jsonb_typeof(changes) is distinct from 'array' then
    perform private.raise_error('invalid_input', 'changes must be a JSON array.', jsonb_build_object('field', 'changes'));
  end if;
  if exists (select 1 from jsonb_array_elements(changes) e where e ->> 'state' in ('refused', 'allowed')) then
    lock table private.push_service_hosts in share mode;
  end if;
  update public.push_subscriptions ps
     set disabled_at = coalesce(ps.disabled_at, now()), disabled_cause = 'endpoint',
         disabled_reason = left(private.push_endpoint_problem(ps.endpoint), 300)
    from jsonb_to_recordset(changes) as x (id uuid, endpoint text, state text)
   where x.state = 'refused' and ps.id = x.id and ps.user_id = record_push_subscription_states.user_id
     and ps.endpoint = x.endpoint
     and private.push_endpoint_problem(ps.endpoint) is not null;
  get diagnostics v_rows = row_count;
  v_count := v_count + v_rows;
  update public.push_subscriptions ps
     set disabled_at = null, disabled_reason = null, disabled_cause = null
    from jsonb_to_recordset(changes) as x (id uuid, endpoint text, state text)
   where x.state = 'allowed' and ps.id = x.id and ps.user_id = record_push_subscription_states.user_id
     and ps.endpoint = x.endpoint
     and ps.disabled_at is not null and ps.disabled_cause is distinct from 'keys'
     and private.push_endpoint_problem(ps.endpoint) is null;
  get diagnostics v_rows = row_count;
  v_count := v_count + v_rows;
  update public.push_subscriptions ps
     set disabled_at = coalesce(ps.disabled_at, now()), disabled_cause = 'keys', disabled_reason = left(x.reason, 300)
    from jsonb_to_recordset(changes) as x (id uuid, endpoint text, state text, p256dh text, auth text, reason text)
   where x.state = 'unusable_keys' and ps.id = x.id and ps.user_id = record_push_subscription_states.user_id
     and ps.endpoint = x.endpoint and ps.p256dh = x.p256dh and ps.auth = x.auth;
  get diagnostics v_rows = row_count;
  return v_count + v_rows;
end;
$$;
comment on function private.record_push_subscription_states(uuid, jsonb) is
  'The dispatcher''s write-back of a user''s devices after a send: changes is an array of {id, endpoint, state, '
  'p256dh, auth, reason}; state refused disables the row (cause endpoint, reason private.push_endpoint_problem) if '
  'the endpoint is still refused now, allowed enables a row disabled for its endpoint if it is accepted now, '
  'unusable_keys disables it (cause keys, the reason given) if its keys are still those. Only rows still the '
  'user''s with that endpoint; ordered with edits of private.push_service_hosts by a SHARE lock. Returns the rows '
  'changed. For service_role (dispatch-notifications).';
revoke execute on function private.record_push_subscription_states(uuid, jsonb) from public, anon, authenticated;
grant execute on function private.record_push_subscription_states(uuid, jsonb) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table private.push_service_hosts from public, anon, authenticated, service_role;
grant select on table private.push_service_hosts to service_role;
revoke all on table private.push_delivery_devices from public, anon, authenticated, service_role;
grant select, insert, update on table private.push_delivery_devices to service_role;

revoke all on table public.push_subscriptions from public, anon, authenticated, service_role;
grant select, delete on table public.push_subscriptions to authenticated;
grant all on table public.push_subscriptions to service_role;
grant insert (user_id, endpoint, p256dh, auth, user_agent) on table public.push_subscriptions to
  authenticated;
grant update (endpoint, p256dh, auth, user_agent) on table public.push_subscriptions to authenticated;
create policy "users read their own push subscriptions"
  on public.push_subscriptions for select to authenticated
  using (user_id = (select auth.uid()));
create policy "users add their own push subscriptions"
  on public.push_subscriptions for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "users update their own push subscriptions"
  on public.push_subscriptions for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users delete their own push subscriptions"
  on public.push_subscriptions for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Per-device outcome of push deliveries
-- ---------------------------------------------------------------------------------------------

-- A push delivery whose retries run out (private.record_notification_deliveries or the claim turn it
-- failed) may already have reached some of the user's devices: then it is sent, not failed, and the
-- devices still waiting are marked failed (given up). A permanent failure never has a sent device (the
-- dispatcher reports sent then), so only the give-up case changes.
create function private.push_delivery_given_up()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update private.push_delivery_devices pd
     set status = 'failed', error = left('given up: ' || coalesce(pd.error, 'no answer'), 300), updated_at = now()
   where pd.delivery_id = new.id and pd.status = 'retry';
  if exists (select 1 from private.push_delivery_devices pd where pd.delivery_id = new.id and pd.status = 'sent') then
    new.status := 'sent';
    new.sent_at := now();
  end if;
  return new;
end;
$$;
comment on function private.push_delivery_given_up() is
  'Trigger of notification_deliveries (push, sending -> failed): marks the devices still to retry failed (given up) '
  'and keeps the delivery sent when a device got it (private.push_delivery_devices).';
revoke execute on function private.push_delivery_given_up() from public, anon, authenticated, service_role;
create trigger notification_deliveries_push_given_up before update of status on public.notification_deliveries
  for each row when (new.channel = 'push' and old.status = 'sending' and new.status = 'failed')
  execute function private.push_delivery_given_up();

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- A browser has one push endpoint whoever is signed in. When a second person signs in on it (a shared
-- or handed-on device) the plain upsert is refused (the endpoint is another user's), so they got no
-- pushes and the device kept showing the first user's notifications. Registering through this RPC
-- moves the endpoint to the caller: only the browser (and the push service) knows it, so presenting
-- it proves the device is in the caller's hands. Security definer: RLS does not let a user take over
-- another user's row. Sign-out should still delete the device's row (delete ... where endpoint = ...).
create function public.register_push_subscription(endpoint text, p256dh text, auth_key text,
                                                  user_agent text default null)
returns public.push_subscriptions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_row public.push_subscriptions;
  v_problem text;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  v_problem := private.push_endpoint_problem(register_push_subscription.endpoint);
  if v_problem is not null then
    perform private.raise_error('invalid_input', v_problem || '.', jsonb_build_object('field', 'endpoint'));
  end if;
  if register_push_subscription.p256dh is null or register_push_subscription.p256dh !~ '^[A-Za-z0-9_-]+={0,2}$'
     or char_length(register_push_subscription.p256dh) not between 16 and 256 then
    perform private.raise_error('invalid_input', 'p256dh is the subscription''s base64url public key (keys.p256dh).',
      jsonb_build_object('field', 'p256dh'));
  end if;
  if register_push_subscription.auth_key is null or register_push_subscription.auth_key !~ '^[A-Za-z0-9_-]+={0,2}$'
     or char_length(register_push_subscription.auth_key) not between 16 and 64 then
    perform private.raise_error('invalid_input', 'auth_key is the subscription''s base64url secret (keys.auth).',
      jsonb_build_object('field', 'auth_key'));
  end if;
  insert into public.push_subscriptions as ps (user_id, endpoint, p256dh, auth, user_agent)
  values (v_uid, register_push_subscription.endpoint, register_push_subscription.p256dh,
          register_push_subscription.auth_key, left(register_push_subscription.user_agent, 512))
  on conflict on constraint push_subscriptions_endpoint_unique do update
    set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent,
        -- a device that changes hands starts afresh
        created_at = case when ps.user_id = excluded.user_id then ps.created_at else now() end,
        last_used_at = case when ps.user_id = excluded.user_id then ps.last_used_at end,
        -- registered again and allowed (checked above): a disabled device is enabled again
        disabled_at = null, disabled_reason = null, disabled_cause = null
  returning ps.* into v_row;
  return v_row;
end;
$$;
comment on function public.register_push_subscription(text, text, text, text) is
  'Registers the caller''s browser push subscription (PushSubscription endpoint, keys.p256dh, keys.auth as auth_key, '
  'optional user agent, cut to 512 characters) and returns the row. Idempotent; an endpoint registered by another '
  'user (a shared device) moves to the caller, so that user''s notifications stop going to it. Errors: '
  'not_authenticated, invalid_input (field endpoint: not https, or not the host of a push service, see '
  'private.push_endpoint_problem; p256dh or auth_key).';
revoke execute on function public.register_push_subscription(text, text, text, text) from public, anon;
grant execute on function public.register_push_subscription(text, text, text, text) to authenticated, service_role;
