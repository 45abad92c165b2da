-- Notification delivery: the registered notification kinds with their default channels, each
-- user's effective preferences (kind x channel), and the delivery outbox that email and Web Push are
-- sent from (dispatch-notifications Edge Function).
-- Tables: public.notification_kinds, public.notification_deliveries, private.email_suppressions.
-- View: public.my_notification_preferences.
--
-- How a delivery is born and dies:
--   private.notify() (or any insert into public.notifications) -> private.enqueue_notification_deliveries()
--   adds, in the same transaction, one row per channel the recipient's preferences allow (email: the
--   user has an address and the kind is not mailed as a digest; push: the user has a subscription).
--   The dispatcher claims due rows in batches (private.claim_notification_deliveries: FOR UPDATE SKIP
--   LOCKED, status sending with a lease), sends them, and records each result
--   (private.record_notification_deliveries): sent; retry (transient error: exponential backoff with
--   jitter, at most 12 attempts and about a day); failed (permanent error, or out of attempts);
--   cancelled (nothing to send any more). A lease that expires (a dispatcher crashed between claim and
--   record) makes the row claimable again: transport is at-least-once, and the provider idempotency key
--   (the delivery id) makes it exactly-once per key where the provider supports it (Resend).
--   Queued session reminders are cancelled when their session is cancelled or rescheduled, or the
--   user's booking is cancelled.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.notification_kinds (
  kind text primary key,
  default_in_app boolean not null default true,
  default_email boolean not null default false,
  default_push boolean not null default false,
  email_digest boolean not null default false,
  push_ttl_seconds int not null default 86400,
  push_urgency text not null default 'normal',
  attach_ics boolean not null default false,
  constraint notification_kinds_kind_format check (kind ~ '^[a-z][a-z0-9_]{0,49}$'),
  constraint notification_kinds_push_ttl_range check (push_ttl_seconds between 0 and 2419200),
  constraint notification_kinds_push_urgency_valid check (push_urgency in ('very-low', 'low', 'normal', 'high'))
);
comment on table public.notification_kinds is
  'The notification kinds the backend sends, with the channels a user gets when they have no '
  'notification_preferences row for the kind. Readable by everyone (to list the preferences), written by migrations. '
  'A kind that is not registered here is delivered in-app only (unless a preference row says otherwise).';
comment on column public.notification_kinds.email_digest is
  'Email is not sent per notification but as a digest (direct_message: one mail per conversation left unread).';
comment on column public.notification_kinds.push_ttl_seconds is 'Web Push TTL: how long the push service keeps it for an offline device.';
comment on column public.notification_kinds.push_urgency is 'Web Push Urgency header (RFC 8030): very-low, low, normal, high.';
comment on column public.notification_kinds.attach_ics is 'Emails of this kind carry the session''s .ics (same UID and SEQUENCE as the calendar function).';
alter table public.notification_kinds enable row level security;

insert into public.notification_kinds
  (kind, default_in_app, default_email, default_push, email_digest, push_ttl_seconds, push_urgency, attach_ics)
values
  ('session_reminder',          true,  true,  true,  false, 3600,   'high',   true),
  ('booking_confirmed',         false, true,  false, false, 86400,  'normal', true),
  ('booking_promoted',          true,  true,  true,  false, 86400,  'high',   true),
  ('session_rescheduled',       true,  true,  true,  false, 86400,  'high',   true),
  ('session_cancelled',         true,  true,  true,  false, 86400,  'high',   true),
  ('direct_message',            true,  true,  true,  true,  3600,   'normal', false),
  ('coach_application_decided', true,  true,  false, false, 604800, 'normal', false),
  ('one_to_one_booked',         true,  true,  true,  false, 86400,  'normal', true),
  ('announcement',              true,  true,  false, false, 86400,  'normal', false),
  ('support_ticket_reply',      true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_status',     true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_assigned',   true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_opened',     true,  true,  false, false, 604800, 'normal', false)
on conflict (kind) do nothing;

create table public.notification_deliveries (
  id uuid primary key default gen_random_uuid(),
  notification_id uuid,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  channel text not null,
  session_id uuid,
  payload jsonb not null,
  status text not null default 'queued',
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  provider_message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint notification_deliveries_channel_valid check (channel in ('email', 'push')),
  constraint notification_deliveries_status_valid
    check (status in ('queued', 'sending', 'sent', 'failed', 'cancelled') and (status = 'sent') = (sent_at is not null)),
  constraint notification_deliveries_payload_object check (jsonb_typeof(payload) = 'object'),
  constraint notification_deliveries_last_error_length check (last_error is null or char_length(last_error) <= 1000),
  constraint notification_deliveries_provider_message_id_length
    check (provider_message_id is null or char_length(provider_message_id) <= 300)
);
comment on table public.notification_deliveries is
  'The delivery outbox: one row per (notification, channel) the recipient''s preferences allow, created in the '
  'notification''s transaction and sent by the dispatch-notifications Edge Function. Users read the status of their '
  'own rows only (id, notification_id, kind, channel, status, created_at, sent_at); nothing else is client-readable.';
comment on column public.notification_deliveries.notification_id is
  'The in-app notification it delivers; null when in-app is off for the kind (no notifications row). Not a foreign '
  'key: a user deleting the in-app row does not stop its email.';
comment on column public.notification_deliveries.session_id is 'payload.data.session_id, for cancelling a session''s queued reminders.';
comment on column public.notification_deliveries.payload is 'What to send: {title, body, link, data} as the notification had them.';
comment on column public.notification_deliveries.status is
  'queued (waiting for next_attempt_at) -> sending (claimed; next_attempt_at is the lease end) -> sent | queued '
  '(retry) | failed | cancelled.';
comment on column public.notification_deliveries.attempts is 'Claims so far; at most 12.';
comment on column public.notification_deliveries.next_attempt_at is
  'queued: not before this instant (backoff); sending: the claim''s lease end, after which another dispatcher may take it.';
comment on column public.notification_deliveries.provider_message_id is 'The provider''s id of the sent message (SMTP Message-ID, Resend id, push service location).';
alter table public.notification_deliveries enable row level security;

create table private.email_suppressions (
  email text primary key,
  reason text not null,
  detail text,
  created_at timestamptz not null default now(),
  constraint email_suppressions_email_lower check (email = lower(email) and char_length(email) between 3 and 320),
  constraint email_suppressions_reason_valid check (reason in ('bounce', 'complaint')),
  constraint email_suppressions_detail_length check (detail is null or char_length(detail) <= 1000)
);
comment on table private.email_suppressions is
  'Addresses that no email goes to any more: a hard bounce (the receiving server refused the recipient, or the '
  'provider reported a bounce) or a complaint (marked as spam). Written by the dispatcher and the provider webhook.';

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- The claim: due rows in time order.
create index notification_deliveries_due_idx on public.notification_deliveries (next_attempt_at)
  where status in ('queued', 'sending');
create index notification_deliveries_user_id_idx on public.notification_deliveries (user_id);
-- Cancelling a session's (or a booking's) queued reminders.
create index notification_deliveries_queued_session_idx on public.notification_deliveries (session_id)
  where status = 'queued' and session_id is not null;
-- One delivery per (notification, channel).
create unique index notification_deliveries_notification_channel_key
  on public.notification_deliveries (notification_id, channel) where notification_id is not null;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The channels a user gets for a kind: their preference row, else the kind's defaults, else
-- (an unregistered kind) in-app only.
create function private.notification_channels(user_id uuid, kind text)
returns table (in_app boolean, email boolean, push boolean, email_digest boolean)
language sql stable rows 1 set search_path = '' as $$
  select coalesce(np.in_app, k.default_in_app, true),
         coalesce(np.email, k.default_email, false),
         coalesce(np.push, k.default_push, false),
         coalesce(k.email_digest, false)
  from (select 1) as one
  left join public.notification_kinds k on k.kind = notification_channels.kind
  left join public.notification_preferences np
    on np.user_id = notification_channels.user_id and np.kind = notification_channels.kind;
$$;
comment on function private.notification_channels(uuid, text) is
  'Effective channels of a user for a kind: the notification_preferences row, else the kind''s defaults '
  '(notification_kinds), else in-app only. email_digest: the kind''s email goes out as a digest. Internal.';
revoke execute on function private.notification_channels(uuid, text) from public, anon, authenticated;
grant execute on function private.notification_channels(uuid, text) to service_role;

-- The one definition of "this account receives email and push": its profile is active (a deactivated
-- or deleted account cannot sign in to act on anything; a deleted one's address is
-- deleted-<id>@deleted.invalid). Used where deliveries are queued (private.enqueue_notification_deliveries,
-- private.queue_direct_message_digests) and by the dispatcher's context
-- (private.notification_delivery_context: a delivery queued before the account left is cancelled).
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and its query is planned again
-- on every call; this plan is cached for the session.
create function private.receives_notifications(user_id uuid)
returns boolean
language plpgsql stable set search_path = '' as $$
begin
  return not exists (select 1 from public.profiles p
                     where p.id = receives_notifications.user_id and p.status <> 'active');
end;
$$;
comment on function private.receives_notifications(uuid) is
  'True when the account receives email and push: its profile is active (not deactivated nor deleted). The one rule '
  'of enqueue_notification_deliveries, queue_direct_message_digests and notification_delivery_context. Internal.';
revoke execute on function private.receives_notifications(uuid) from public, anon, authenticated, service_role;

-- Security definer: called from private.notify and the notifications trigger, whatever the caller.
-- One INSERT ... SELECT with the effective channels (the rules of private.notification_channels,
-- inline: that SQL function is planned again on every call) and the address and subscription checks.
create function private.enqueue_notification_deliveries(notification_id uuid, user_id uuid, kind text,
                                                        payload jsonb)
returns int
language plpgsql volatile security definer set search_path = '' as $$
#variable_conflict use_column
declare
  v_session uuid;
  v_count int;
begin
  if payload #>> '{data,session_id}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_session := (payload #>> '{data,session_id}')::uuid;
  end if;
  insert into public.notification_deliveries (notification_id, user_id, kind, channel, session_id, payload)
  select enqueue_notification_deliveries.notification_id, enqueue_notification_deliveries.user_id,
         enqueue_notification_deliveries.kind, ch.channel, v_session, enqueue_notification_deliveries.payload
  from (select coalesce(np.email, k.default_email, false) and not coalesce(k.email_digest, false) as email,
               coalesce(np.push, k.default_push, false) as push
        from (select 1) as one
        left join public.notification_kinds k on k.kind = enqueue_notification_deliveries.kind
        left join public.notification_preferences np
          on np.user_id = enqueue_notification_deliveries.user_id and np.kind = enqueue_notification_deliveries.kind) c
  cross join (values ('email'), ('push')) as ch (channel)
  -- A deactivated or deleted account is mailed and pushed nothing (private.receives_notifications):
  -- every email and push recipient is chosen here, whatever notified them.
  where private.receives_notifications(enqueue_notification_deliveries.user_id)
    and ((ch.channel = 'email' and c.email
         and exists (select 1 from auth.users u
                     where u.id = enqueue_notification_deliveries.user_id and u.email is not null and u.email <> ''
                       and not exists (select 1 from private.email_suppressions es where es.email = lower(u.email))))
     or (ch.channel = 'push' and c.push
         and exists (select 1 from public.push_subscriptions ps
                     where ps.user_id = enqueue_notification_deliveries.user_id and ps.disabled_at is null)))
  on conflict (notification_id, channel) where notification_id is not null do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.enqueue_notification_deliveries(uuid, uuid, text, jsonb) is
  'Queues the email and push deliveries of one notification that the recipient''s effective preferences allow (email: '
  'the user has an address that is not suppressed and the kind is not a digest kind; push: the user has at least one '
  'subscription that is not disabled), none for a deactivated or deleted account. '
  'Returns the rows added. Called by the notifications insert trigger and by private.notify when in-app is off.';
revoke execute on function private.enqueue_notification_deliveries(uuid, uuid, text, jsonb)
  from public, anon, authenticated, service_role;

-- The dispatcher's claim. Runs as service_role or postgres (the Edge Function's connection).
create function private.claim_notification_deliveries(batch_size int default 50, lease_seconds int default 120,
                                                      channels text[] default null)
returns setof public.notification_deliveries
language plpgsql volatile rows 50 set search_path = '' as $$
begin
  if batch_size is null or batch_size not between 1 and 1000 then
    perform private.raise_error('invalid_input', 'batch_size is 1 to 1000.',
      jsonb_build_object('field', 'batch_size', 'min', 1, 'max', 1000));
  end if;
  if lease_seconds is null or lease_seconds not between 5 and 3600 then
    perform private.raise_error('invalid_input', 'lease_seconds is 5 to 3600.',
      jsonb_build_object('field', 'lease_seconds', 'min', 5, 'max', 3600));
  end if;
  -- A claim whose lease ran out after its last attempt is not retried again.
  update public.notification_deliveries d
     set status = 'failed', last_error = coalesce(d.last_error, 'lease expired on the last attempt'),
         updated_at = now()
   where d.status = 'sending' and d.next_attempt_at <= now() and d.attempts >= 12
     and (channels is null or d.channel = any (channels));
  return query
  with due as (
    select d.id
    from public.notification_deliveries d
    where d.status in ('queued', 'sending') and d.next_attempt_at <= now()
      and (channels is null or d.channel = any (channels))
    order by d.next_attempt_at
    limit batch_size
    for update skip locked
  )
  update public.notification_deliveries d
     set status = 'sending', attempts = d.attempts + 1,
         next_attempt_at = now() + make_interval(secs => lease_seconds), updated_at = now()
    from due
   where d.id = due.id
  returning d.*;
end;
$$;
comment on function private.claim_notification_deliveries(int, int, text[]) is
  'Claims up to batch_size (1-1000) due deliveries of the given channels (null = all; a dispatcher claims only the '
  'channels it can send) (queued and due, or sending with an expired lease), oldest first, '
  'skipping rows another dispatcher holds (FOR UPDATE SKIP LOCKED): sets status sending, attempts + 1 and a lease of '
  'lease_seconds (5-3600). Returns them; record each with private.record_notification_deliveries passing its '
  'attempts. Errors: invalid_input. For the dispatcher (service_role).';
revoke execute on function private.claim_notification_deliveries(int, int, text[]) from public, anon, authenticated;
grant execute on function private.claim_notification_deliveries(int, int, text[]) to service_role;

-- Backoff of the n-th retry: 30 s doubling up to 6 h, times a jitter of 0.5 to 1.5.
create function private.delivery_backoff(attempts int)
returns interval
language sql volatile set search_path = '' as $$
  select make_interval(secs => least(30 * power(2, greatest(attempts, 1) - 1), 21600) * (0.5 + random()));
$$;
comment on function private.delivery_backoff(int) is
  'Delay before the next attempt after attempt n: 30 s * 2^(n-1), at most 6 h, with jitter x0.5-1.5. Internal.';
revoke execute on function private.delivery_backoff(int) from public, anon, authenticated;
grant execute on function private.delivery_backoff(int) to service_role;

create function private.record_notification_deliveries(results jsonb)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  if results is null or jsonb_typeof(results) <> 'array' then
    perform private.raise_error('invalid_input', 'results is an array of {id, attempt, outcome}.',
      jsonb_build_object('field', 'results'));
  end if;
  if exists (select 1 from jsonb_array_elements(results) e
             where jsonb_typeof(e) <> 'object'
                or coalesce(e ->> 'outcome', '') not in ('sent', 'retry', 'failed', 'cancelled')
                or coalesce(e ->> 'id', '') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                or coalesce(e ->> 'attempt', '') !~ '^[0-9]{1,4}$'
                or coalesce(e ->> 'retry_after_seconds', '0') !~ '^[0-9]{1,6}$') then
    perform private.raise_error('invalid_input',
      'Each result needs id (uuid), attempt (the claimed attempts) and outcome sent, retry, failed or cancelled.',
      jsonb_build_object('field', 'results'));
  end if;
  -- Only the claim that is still current is recorded: same attempt, still sending. A dispatcher whose
  -- lease ran out and was claimed again records nothing.
  update public.notification_deliveries d
     set status = case
                    when r.outcome = 'retry' and (d.attempts >= 12 or now() + r.delay > d.created_at + interval '1 day')
                      then 'failed'
                    when r.outcome = 'retry' then 'queued'
                    else r.outcome end,
         next_attempt_at = case when r.outcome = 'retry' then now() + r.delay else d.next_attempt_at end,
         sent_at = case when r.outcome = 'sent' then now() end,
         last_error = case when r.outcome = 'sent' then coalesce(left(r.error, 1000), d.last_error) else left(r.error, 1000) end,
         provider_message_id = coalesce(left(r.provider_message_id, 300), d.provider_message_id),
         updated_at = now()
    from (select x.*, case when x.outcome = 'retry'
                           then greatest(private.delivery_backoff(x.attempt),
                                         make_interval(secs => coalesce(x.retry_after_seconds, 0))) end as delay
          from jsonb_to_recordset(results) as x (id uuid, attempt int, outcome text, error text,
                                                 provider_message_id text, retry_after_seconds int)) as r
   where d.id = r.id and d.status = 'sending' and d.attempts = r.attempt;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.record_notification_deliveries(jsonb) is
  'Records the results of claimed deliveries, in one statement: [{id, attempt, outcome, error?, provider_message_id?, '
  'retry_after_seconds?}]. outcome sent (an error given with it, such as the devices of a push that failed, '
  'becomes last_error); retry (transient: queued again after an exponential backoff with jitter, or '
  'at least retry_after_seconds; failed after 12 attempts or when the next attempt would be more than a day after '
  'the delivery was queued); failed (permanent); cancelled (nothing to send). Only a current claim (status sending, '
  'attempts = attempt) is changed. Returns the rows changed. Errors: invalid_input. For the dispatcher (service_role).';
revoke execute on function private.record_notification_deliveries(jsonb) from public, anon, authenticated;
grant execute on function private.record_notification_deliveries(jsonb) to service_role;

-- The zone abbreviation (or UTC offset) in force at an instant, as private.format_local_time shows it.
create function private.zone_abbreviation(ts timestamptz, tz text)
returns text
language plpgsql stable set search_path = '' set timezone = 'UTC' as $$
declare
  v_abbrev text;
begin
  perform set_config('TimeZone', coalesce(tz, 'UTC'), true);
  v_abbrev := to_char(ts, 'TZ');
  return case when v_abbrev ~ '^[+-]' then 'UTC' || v_abbrev else nullif(v_abbrev, '') end;
end;
$$;
comment on function private.zone_abbreviation(timestamptz, text) is
  'The abbreviation (CET, CEST, EST) or UTC offset (UTC+04) of an IANA zone at an instant, reading the name as a '
  'zone; as private.format_local_time prints it. Internal.';
revoke execute on function private.zone_abbreviation(timestamptz, text) from public, anon, authenticated;
grant execute on function private.zone_abbreviation(timestamptz, text) to service_role;

-- What the dispatcher needs to render claimed deliveries. Security definer: it reads auth.users.
create function private.notification_delivery_context(delivery_ids uuid[])
returns table (delivery_id uuid, email text, email_enabled boolean, push_enabled boolean, attach_ics boolean,
               display_name text, locale text, timezone text, session_id uuid, session_title text,
               session_description text, cancel_reason text,
               starts_at timestamptz, duration_minutes int, session_status text, sequence int,
               session_updated_at timestamptz, host_name text, zone_abbreviation text, booking_status text,
               reminder_minutes int[], previous_zone_abbreviation text, session_kind text,
               notice_title text, notice_body text, ics_summary text)
language sql stable security definer rows 50 set search_path = '' as $$
  select d.id, u.email,
         c.email and u.email is not null and r.receives
           and not exists (select 1 from private.email_suppressions es where es.email = lower(u.email)),
         c.push and r.receives, coalesce(k.attach_ics, false), p.display_name, coalesce(p.locale, 'en'),
         z.tz, s.id, s.title, s.description, s.cancel_reason, s.starts_at, s.duration_minutes, s.status, s.sequence, s.updated_at,
         -- The host's name (private.first_host: a one-to-one's coach, else the first host).
         (select h.display_name from private.first_host(s.id) h),
         case when s.id is not null then private.zone_abbreviation(s.starts_at, z.tz) end,
         (select b.status from public.bookings b
          where b.session_id = s.id and b.user_id = d.user_id and b.status <> 'cancelled'),
         (select array_agg(r.minutes_before order by r.minutes_before) from public.session_reminders r
          where r.session_id = s.id and r.user_id = d.user_id),
         -- The zone abbreviation at a reschedule's previous start (prev, below) in the same zone.
         case when s.id is not null then private.zone_abbreviation(prev.at, z.tz) end,
         s.kind,
         -- A one-to-one appointment's notice, now (its current time, the reader's language and zone): the one
         -- definition of that wording (private.appointment_notice), as the in-app row was written.
         n.title, n.body,
         -- The attached .ics's SUMMARY for this reader (a shared calendar: no patient name on the coach's side).
         case when s.kind = 'one_to_one'
              then (select sm.title from private.appointment_notice(d.user_id, s.id, 'summary') sm) end
  from public.notification_deliveries d
  join auth.users u on u.id = d.user_id
  left join public.profiles p on p.id = d.user_id
  left join public.sessions s on s.id = d.session_id
  left join public.notification_kinds k on k.kind = d.kind
  cross join lateral private.notification_channels(d.user_id, d.kind) c
  cross join lateral (select private.reader_timezone(d.user_id, s.timezone) as tz) z
  -- An account deactivated or deleted since the delivery was queued: neither channel is wanted (the
  -- dispatcher cancels it).
  cross join lateral (select private.receives_notifications(d.user_id) as receives) r
  -- A reschedule's previous start (data.previous_starts_at, as the trigger writes it); the shape is checked
  -- first so a malformed value reads as null rather than failing the batch.
  cross join lateral (select case when d.kind = 'session_rescheduled'
                                       and d.payload -> 'data' ->> 'previous_starts_at'
                                           ~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([+-]\d{2}:\d{2}|Z)$'
                                  then (d.payload -> 'data' ->> 'previous_starts_at')::timestamptz end as at) prev
  -- Called for one-to-one sessions only: in the subquery, the kind is a one-time filter above the call (an ON
  -- clause would filter its result after calling it for every delivery); OFFSET 0 keeps the subquery from
  -- being pulled up into the join, where the guard would become that ON clause again.
  left join lateral (select an.title, an.body
                     from private.appointment_notice(d.user_id, s.id, d.kind, prev.at) an
                     where s.kind = 'one_to_one'
                     offset 0) n on true
  where d.id = any (delivery_ids);
$$;
comment on function private.notification_delivery_context(uuid[]) is
  'For the dispatcher: per delivery the recipient''s address, whether email and push are (still) wanted for its kind '
  '(a suppressed address is not, nor anything for an account deactivated or deleted since: private.receives_notifications), whether the kind attaches the .ics, name, locale and time zone (private.reader_timezone: profile, else the session''s, else UTC), and its '
  'session (title, description, cancel reason, start, duration, status, calendar sequence, host name, the zone abbreviation at the '
  'start, the recipient''s booking status and reminder lead times; for session_rescheduled the zone abbreviation at '
  'data.previous_starts_at; its kind, group or one_to_one: one-to-one notices have their own appointment wording; '
  'the host name is a one-to-one''s coach, private.one_to_one_coach); notice_title and notice_body: for a one-to-one appointment, its notice for this reader now '
  '(private.appointment_notice: the one definition of appointment wording, en/nl/pt, the reader''s zone; null for '
  'group sessions and kinds without it, for which it is not called); ics_summary: the attached .ics''s SUMMARY for a one-to-one appointment '
  '("Appointment with <coach>" / "Appointment with a patient", the reader''s language), else null. For service_role.';
revoke execute on function private.notification_delivery_context(uuid[]) from public, anon, authenticated;
grant execute on function private.notification_delivery_context(uuid[]) to service_role;

-- Security definer: writes another user's preference, on the strength of a signed token the
-- unsubscribe function has verified.
create function private.unsubscribe_email(user_id uuid, kind text)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
#variable_conflict use_column
begin
  if not exists (select 1 from auth.users u where u.id = unsubscribe_email.user_id) then
    return false;
  end if;
  insert into public.notification_preferences (user_id, kind, in_app, email, push)
  select unsubscribe_email.user_id, unsubscribe_email.kind, c.in_app, false, c.push
  from private.notification_channels(unsubscribe_email.user_id, unsubscribe_email.kind) c
  on conflict on constraint notification_preferences_pkey do update set email = false;
  -- what is still queued for that kind is not mailed either
  update public.notification_deliveries d
     set status = 'cancelled', last_error = 'unsubscribed', updated_at = now()
   where d.user_id = unsubscribe_email.user_id and d.kind = unsubscribe_email.kind and d.channel = 'email'
     and d.status = 'queued';
  return true;
end;
$$;
comment on function private.unsubscribe_email(uuid, text) is
  'Turns email off for one user and kind (keeping the other channels as they are) and cancels that kind''s queued '
  'emails; false when the user no longer exists. Called by the unsubscribe Edge Function after it verified the '
  'signed token. For service_role.';
revoke execute on function private.unsubscribe_email(uuid, text) from public, anon, authenticated;
grant execute on function private.unsubscribe_email(uuid, text) to service_role;

create function private.suppress_email(email text, reason text, detail text default null)
returns void
language sql volatile security definer set search_path = '' as $$
  insert into private.email_suppressions (email, reason, detail)
  values (lower(trim(suppress_email.email)), suppress_email.reason, left(suppress_email.detail, 1000))
  on conflict (email) do update set reason = excluded.reason, detail = excluded.detail;
$$;
comment on function private.suppress_email(text, text, text) is
  'Records a hard bounce or complaint (reason bounce or complaint) for an address: no more email is queued or sent '
  'to it. For service_role (the dispatcher, the provider webhook).';
revoke execute on function private.suppress_email(text, text, text) from public, anon, authenticated;
grant execute on function private.suppress_email(text, text, text) to service_role;

-- Production scheduling (Supabase's "scheduling Edge Functions" pattern): pg_cron calls this, and it
-- POSTs to dispatch-notifications through pg_net with the URL and secret kept in Vault (secrets
-- project_url and dispatch_secret). Dynamic SQL: pg_net and Vault do not exist everywhere (not in the
-- local emulation, where npm start calls the function itself).
create function private.dispatch_notifications_via_http()
returns bigint
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_url text;
  v_secret text;
  v_request bigint;
begin
  if to_regnamespace('net') is null or to_regclass('vault.decrypted_secrets') is null then
    return null;
  end if;
  -- The schema names go through format() so that the statement is only resolved where it runs.
  execute format('select (select decrypted_secret from %1$I.decrypted_secrets where name = %2$L),
                         (select decrypted_secret from %1$I.decrypted_secrets where name = %3$L)',
                 'vault', 'project_url', 'dispatch_secret')
    into v_url, v_secret;
  if v_url is null or v_secret is null then
    return null;
  end if;
  execute format('select %I.http_post(url := $1, headers := $2, body := %L::jsonb, timeout_milliseconds := 30000)',
                 'net', '{}')
    into v_request
    using rtrim(v_url, '/') || '/functions/v1/dispatch-notifications',
          jsonb_build_object('Content-Type', 'application/json', 'X-Dispatch-Secret', v_secret);
  return v_request;
end;
$$;
comment on function private.dispatch_notifications_via_http() is
  'The dispatch-notifications pg_cron job (every 20 seconds, only where pg_net exists): POSTs to the '
  'dispatch-notifications Edge Function through pg_net, with the Vault secrets project_url and dispatch_secret. '
  'Returns the pg_net request id, or null when pg_net, Vault or a secret is missing.';
revoke execute on function private.dispatch_notifications_via_http() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.notification_kinds from public, anon, authenticated, service_role;
grant select on table public.notification_kinds to anon, authenticated;
grant all on table public.notification_kinds to service_role;
create policy "everyone can read the notification kinds" on public.notification_kinds
  for select to anon, authenticated using (true);

revoke all on table private.email_suppressions from public, anon, authenticated, service_role;
grant select on table private.email_suppressions to service_role;

revoke all on table public.notification_deliveries from public, anon, authenticated, service_role;
grant select (id, notification_id, kind, channel, status, created_at, sent_at)
  on table public.notification_deliveries to authenticated;
grant all on table public.notification_deliveries to service_role;
create policy "users can read the status of their own deliveries" on public.notification_deliveries
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

create view public.my_notification_preferences
with (security_invoker = true) as
select k.kind,
       coalesce(np.in_app, k.default_in_app) as in_app,
       coalesce(np.email, k.default_email) as email,
       coalesce(np.push, k.default_push) as push,
       k.email_digest,
       np.kind is not null as customized
from public.notification_kinds k
left join public.notification_preferences np on np.kind = k.kind and np.user_id = (select auth.uid());
comment on view public.my_notification_preferences is
  'Every registered kind with the caller''s effective channels (their preference row, else the kind''s defaults); '
  'customized = they have a row. Change with set_notification_preference.';
revoke all on table public.my_notification_preferences from public, anon, authenticated, service_role;
grant select on table public.my_notification_preferences to authenticated, service_role;

-- SECURITY INVOKER: RLS and the column grants of notification_preferences apply.
create function public.set_notification_preference(kind text, in_app boolean default null,
                                                   email boolean default null, push boolean default null)
returns public.my_notification_preferences
language plpgsql volatile set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_row public.my_notification_preferences;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', null);
  end if;
  select p.* into v_row from public.my_notification_preferences p where p.kind = set_notification_preference.kind;
  if not found then
    perform private.raise_error('invalid_input', 'Unknown notification kind.',
      jsonb_build_object('field', 'kind', 'kind', set_notification_preference.kind));
  end if;
  insert into public.notification_preferences as np (user_id, kind, in_app, email, push)
  values (v_uid, v_row.kind, coalesce(set_notification_preference.in_app, v_row.in_app),
          coalesce(set_notification_preference.email, v_row.email), coalesce(set_notification_preference.push, v_row.push))
  on conflict on constraint notification_preferences_pkey do update
    set in_app = excluded.in_app, email = excluded.email, push = excluded.push;
  select p.* into v_row from public.my_notification_preferences p where p.kind = set_notification_preference.kind;
  return v_row;
end;
$$;
comment on function public.set_notification_preference(text, boolean, boolean, boolean) is
  'Sets the caller''s channels for one registered kind; a null argument keeps that channel as it is (effective '
  'value). Returns the effective row. Errors: not_authenticated, invalid_input (unknown kind).';
revoke execute on function public.set_notification_preference(text, boolean, boolean, boolean) from public, anon;
grant execute on function public.set_notification_preference(text, boolean, boolean, boolean)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Every new notification: the `notification` broadcast on user:<user_id> (31_reminders.sql) and its
-- email and push deliveries, in one trigger (one call per row; the two were separate triggers).
-- Security definer: realtime.send runs as the caller and realtime.messages has RLS (PLATFORM.md), and
-- the deliveries are not writable by whoever created the notification.
create function private.notifications_after_insert()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('id', new.id, 'kind', new.kind, 'title', new.title, 'link', new.link),
    'notification', 'user:' || new.user_id::text, true);
  perform private.enqueue_notification_deliveries(new.id, new.user_id, new.kind,
    jsonb_build_object('title', new.title, 'body', new.body, 'link', new.link, 'data', new.data));
  return null;
end;
$$;
comment on function private.notifications_after_insert() is
  'Trigger after insert on notifications: broadcasts `notification` {id, kind, title, link} on the private topic '
  'user:<user_id> and queues the row''s email and push deliveries in the same transaction.';
revoke execute on function private.notifications_after_insert() from public, anon, authenticated, service_role;
create trigger notifications_after_insert after insert on public.notifications
  for each row execute function private.notifications_after_insert();

-- A cancelled or rescheduled session's queued reminders are cancelled (a rescheduled session's
-- reminders are re-armed against the new start and sent again; session_rescheduled tells the new time).
-- Security definer: the deliveries belong to other users.
create function private.sessions_cancel_queued_reminders()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.notification_deliveries d
     set status = 'cancelled',
         last_error = case when new.status = 'cancelled' then 'session cancelled' else 'session rescheduled' end,
         updated_at = now()
   where d.session_id = new.id and d.status = 'queued'
     and (d.kind = 'session_reminder'
          or (new.status = 'cancelled' and d.kind in ('booking_confirmed', 'booking_promoted')));
  return null;
end;
$$;
comment on function private.sessions_cancel_queued_reminders() is
  'Trigger after a session is cancelled or its starts_at changes: cancels its queued session_reminder deliveries, and '
  'on cancellation its queued booking_confirmed and booking_promoted ones (session_cancelled tells them).';
revoke execute on function private.sessions_cancel_queued_reminders() from public, anon, authenticated, service_role;
create trigger sessions_cancel_queued_reminders after update of status, starts_at on public.sessions
  for each row
  when ((new.status = 'cancelled' and old.status <> 'cancelled') or new.starts_at is distinct from old.starts_at)
  execute function private.sessions_cancel_queued_reminders();

-- Security definer: the trigger runs as whoever cancels the booking (the user, or a session cascade).
create function private.bookings_cancel_queued_reminders()
returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.notification_deliveries d
     set status = 'cancelled', last_error = 'booking cancelled', updated_at = now()
   where d.session_id = new.session_id and d.status = 'queued' and d.user_id = new.user_id
     and ((d.kind = 'session_reminder'
           and not exists (select 1 from public.session_staff st
                           where st.session_id = new.session_id and st.user_id = new.user_id))
          or d.kind in ('booking_confirmed', 'booking_promoted'));
  return null;
end;
$$;
comment on function private.bookings_cancel_queued_reminders() is
  'Trigger after a booking is cancelled: cancels that user''s queued session_reminder deliveries for the session '
  '(unless they are staff of it) and their queued booking_confirmed and booking_promoted ones.';
revoke execute on function private.bookings_cancel_queued_reminders() from public, anon, authenticated, service_role;
create trigger bookings_cancel_queued_reminders after update of status on public.bookings
  for each row
  when (new.status = 'cancelled' and old.status <> 'cancelled')
  execute function private.bookings_cancel_queued_reminders();

-- Booked users and staff learn a session's new time (session_rescheduled), each in their own zone.
-- Security definer: notifies other users.
create function private.sessions_notify_rescheduled()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_actor uuid := (select auth.uid());
  v_user record;
  v_notice_title text;
  v_notice_body text;
begin
  for v_user in
    select u.user_id, private.reader_timezone(u.user_id, new.timezone) as tz
    from (select b.user_id from public.bookings b where b.session_id = new.id and b.status <> 'cancelled'
          union
          select st.user_id from public.session_staff st where st.session_id = new.id) u
    where u.user_id is distinct from v_actor
  loop
    -- A one-to-one appointment: its own wording in the reader's language, from the previous time to the new one.
    select n.title, n.body into v_notice_title, v_notice_body
    from private.appointment_notice(v_user.user_id, new.id, 'session_rescheduled', old.starts_at) n
    where new.kind = 'one_to_one';
    perform private.notify(v_user.user_id, 'session_rescheduled', coalesce(v_notice_title, 'New time: ' || new.title),
      coalesce(v_notice_body, 'Now starts ' || private.format_local_time(new.starts_at, v_user.tz) || '.'),
      '/sessions/' || new.id::text,
      jsonb_build_object('session_id', new.id, 'starts_at', new.starts_at, 'previous_starts_at', old.starts_at,
                         'duration_minutes', new.duration_minutes, 'timezone', v_user.tz));
  end loop;
  return null;
end;
$$;
comment on function private.sessions_notify_rescheduled() is
  'Trigger after a scheduled or live session''s starts_at changes: notifies every active booking''s user and every '
  'staff member except the one who moved it (session_rescheduled, with the new time in their zone).';
revoke execute on function private.sessions_notify_rescheduled() from public, anon, authenticated, service_role;
create trigger sessions_notify_rescheduled after update of starts_at on public.sessions
  for each row
  when (new.starts_at is distinct from old.starts_at and new.status in ('scheduled', 'live'))
  execute function private.sessions_notify_rescheduled();
