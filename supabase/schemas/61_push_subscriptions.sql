-- Web Push subscriptions: each user's devices (endpoint and keys), own rows only, upserted on the
-- endpoint. The dispatch-notifications Edge Function sends to them (34_notification_delivery.sql).
-- Tables: public.push_subscriptions.

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
  constraint push_subscriptions_endpoint_unique unique (endpoint),
  constraint push_subscriptions_endpoint_https check (endpoint ~ '^https://[^/\s]+/\S*$' and char_length(endpoint) <= 2048),
  constraint push_subscriptions_p256dh_format check (p256dh ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(p256dh) between 16 and 256),
  constraint push_subscriptions_auth_format check (auth ~ '^[A-Za-z0-9_-]+={0,2}$' and char_length(auth) between 16 and 64),
  constraint push_subscriptions_user_agent_length check (user_agent is null or char_length(user_agent) <= 512)
);
comment on table public.push_subscriptions is
  'Web Push subscriptions, one per device (browser PushSubscription): own rows only. Upsert with on conflict '
  '(endpoint): it updates the keys of the caller''s own subscription and is refused (42501) for an endpoint of another user.';
comment on column public.push_subscriptions.endpoint is 'Push service URL of the device (https only, unique).';
comment on column public.push_subscriptions.p256dh is 'The subscription''s P-256 public key (base64url), keys.p256dh.';
comment on column public.push_subscriptions.auth is 'The subscription''s authentication secret (base64url), keys.auth.';
comment on column public.push_subscriptions.last_used_at is 'When the backend last delivered a push to it (service role writes it).';
alter table public.push_subscriptions enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- push_subscriptions.endpoint is indexed by its unique constraint.
create index push_subscriptions_user_id_idx on public.push_subscriptions (user_id);

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

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
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  if register_push_subscription.endpoint is null
     or register_push_subscription.endpoint !~ '^https://[^/\s]+/\S*$'
     or char_length(register_push_subscription.endpoint) > 2048 then
    perform private.raise_error('invalid_input', 'endpoint is the https URL of the push service (at most 2048 characters).',
      jsonb_build_object('field', 'endpoint'));
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
        last_used_at = case when ps.user_id = excluded.user_id then ps.last_used_at end
  returning ps.* into v_row;
  return v_row;
end;
$$;
comment on function public.register_push_subscription(text, text, text, text) is
  'Registers the caller''s browser push subscription (PushSubscription endpoint, keys.p256dh, keys.auth as auth_key, '
  'optional user agent, cut to 512 characters) and returns the row. Idempotent; an endpoint registered by another '
  'user (a shared device) moves to the caller, so that user''s notifications stop going to it. Errors: '
  'not_authenticated, invalid_input (field endpoint, p256dh or auth_key).';
revoke execute on function public.register_push_subscription(text, text, text, text) from public, anon;
grant execute on function public.register_push_subscription(text, text, text, text) to authenticated, service_role;
