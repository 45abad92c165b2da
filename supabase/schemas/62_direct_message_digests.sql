-- Direct message email digests: a member whose message from others stays unread for 10 minutes
-- gets one email per conversation (at most one an hour), instead of one mail per message. Queued as
-- notification_deliveries (34_notification_delivery.sql) of kind direct_message, channel email, by
-- the pg_cron job direct-message-digests (90_cron_jobs.sql); the dispatcher renders them.
-- Tables: private.direct_message_digests.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table private.direct_message_digests (
  user_id uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  last_digest_at timestamptz not null,
  covered_until timestamptz not null,
  constraint direct_message_digests_pkey primary key (user_id, conversation_id)
);
comment on table private.direct_message_digests is
  'The last direct message digest of each member and conversation: when it was queued and the newest message it '
  'covered (a message is digested once; a conversation at most once an hour).';
alter table private.direct_message_digests enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

-- The digest job looks at conversations with recent messages only.
create index conversations_last_message_at_idx on public.conversations (last_message_at) where last_message_at is not null;
create index direct_message_digests_conversation_id_idx on private.direct_message_digests (conversation_id);

-- ---------------------------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------------------------

-- The direct message digest job (pg_cron, every minute). Runs as the cron job's owner.
create function private.queue_direct_message_digests()
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  with unread as (
    -- members with messages of others they have not read, newer than their last digest
    select cm.conversation_id, cm.user_id, m.user_id as sender_id, m.body, m.created_at
    from public.conversations c
    join public.conversation_members cm on cm.conversation_id = c.id
    left join private.direct_message_digests g on g.user_id = cm.user_id and g.conversation_id = c.id
    join public.direct_messages m
      on m.conversation_id = c.id and m.user_id <> cm.user_id and m.deleted_at is null
     and m.created_at > greatest(cm.last_read_at, g.covered_until)
    where c.last_message_at > now() - interval '1 day'
      and (g.last_digest_at is null or g.last_digest_at <= now() - interval '1 hour')
  ), due as (
    select u.conversation_id, u.user_id, count(*)::int as unread_count, max(u.created_at) as newest
    from unread u
    group by u.conversation_id, u.user_id
    -- the oldest unread message has waited 10 minutes
    having min(u.created_at) <= now() - interval '10 minutes'
  ), wanted as (
    select d.*
    from due d
    join auth.users au on au.id = d.user_id
    cross join lateral private.notification_channels(d.user_id, 'direct_message') ch
    where ch.email and au.email is not null and au.email <> ''
      and private.receives_notifications(d.user_id)  -- not a deactivated or deleted account
      and not exists (select 1 from private.email_suppressions es where es.email = lower(au.email))
  ), marked as (
    insert into private.direct_message_digests as g (user_id, conversation_id, last_digest_at, covered_until)
    select w.user_id, w.conversation_id, now(), w.newest from wanted w
    on conflict on constraint direct_message_digests_pkey do update
      set last_digest_at = excluded.last_digest_at, covered_until = excluded.covered_until
    returning g.user_id, g.conversation_id
  )
  insert into public.notification_deliveries (user_id, kind, channel, payload)
  select w.user_id, 'direct_message', 'email',
         jsonb_build_object(
           'title', w.unread_count || ' unread messages',
           'body', null,
           'link', '/messages/' || w.conversation_id::text,
           'data', jsonb_build_object(
             'digest', true, 'conversation_id', w.conversation_id, 'unread_count', w.unread_count,
             'conversation_title', c.title,
             'messages', (select jsonb_agg(jsonb_build_object('from', coalesce(p.display_name, 'someone'),
                                                              'body', left(x.body, 200), 'at', x.created_at)
                                           order by x.created_at)
                          from (select u.sender_id, u.body, u.created_at from unread u
                                where u.user_id = w.user_id and u.conversation_id = w.conversation_id
                                order by u.created_at desc limit 5) x
                          left join public.profiles p on p.id = x.sender_id)))
  from wanted w
  join marked mk on mk.user_id = w.user_id and mk.conversation_id = w.conversation_id
  join public.conversations c on c.id = w.conversation_id;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.queue_direct_message_digests() is
  'The direct-message-digests pg_cron job (every minute): for each member whose oldest unread message of others in a '
  'conversation (newer than their last digest) has waited 10 minutes, and whose last digest of it is at least an '
  'hour old, queues one email delivery (kind direct_message, payload.data: digest, conversation_id, unread_count, '
  'the latest 5 messages with sender and a 200-character excerpt) when their direct_message email is on and their '
  'account receives mail (private.receives_notifications: not deactivated or deleted). Returns the digests queued.';
revoke execute on function private.queue_direct_message_digests() from public, anon, authenticated, service_role;

-- private.direct_message_digests: no grants (the job runs as its owner).
