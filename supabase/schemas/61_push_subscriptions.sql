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
