-- Support tickets: any signed-in user opens a ticket (subject, first message, category, optional
-- session or booking it concerns) and talks with the admins in its thread; admins see every ticket,
-- assign it, set its status and priority, and write internal notes the author never sees (no row,
-- view, broadcast or notification carries them, and they change nothing on the ticket row the
-- author reads). First response and resolution times are recorded; a ticket waiting longer for an
-- admin answer than its priority's target is overdue (public.overdue(ticket)). Both sides are
-- notified through private.notify (kinds support_ticket_opened, support_ticket_reply,
-- support_ticket_status, support_ticket_assigned). Opening is limited to 5 tickets per hour (429).
-- Every admin act on a ticket is audited (audit_log).
-- Tables: public.support_tickets, public.ticket_messages.

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------

create type public.ticket_status as enum ('open', 'pending', 'resolved', 'closed');
comment on type public.ticket_status is
  'open (waiting for the admins), pending (waiting for the user), resolved, closed (no more replies).';

create type public.ticket_priority as enum ('low', 'normal', 'high', 'urgent');
comment on type public.ticket_priority is
  'Priority of a support ticket; sets the response target: urgent 1 h, high 4 h, normal 24 h, low 72 h.';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  subject text not null,
  category text not null default 'other',
  session_id uuid references public.sessions (id) on delete set null,
  booking_id uuid references public.bookings (id) on delete set null,
  status public.ticket_status not null default 'open',
  priority public.ticket_priority not null default 'normal',
  assigned_to uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_message_at timestamptz not null default now(),
  awaiting_response_since timestamptz default now(),
  response_due_at timestamptz,
  first_response_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  -- Written as one flat AND (not BETWEEN ... AND ...): it reads back the same from a migration.
  constraint support_tickets_subject_length
    check (char_length(subject) >= 3 and char_length(subject) <= 200 and subject = btrim(subject)),
  constraint support_tickets_category_valid
    check (category in ('account', 'booking', 'session', 'technical', 'billing', 'abuse', 'other')),
  constraint support_tickets_due_when_awaiting check ((awaiting_response_since is null) = (response_due_at is null))
);
comment on table public.support_tickets is
  'A user''s support request. Opened with open_support_ticket() (5 per hour), answered in ticket_messages. The author '
  'reads their own tickets, admins read all; nobody writes rows directly (RPCs only).';
comment on column public.support_tickets.category is 'account, booking, session, technical, billing, abuse or other.';
comment on column public.support_tickets.session_id is 'The session the ticket concerns (one the author may see), if any.';
comment on column public.support_tickets.booking_id is 'The author''s booking the ticket concerns, if any.';
comment on column public.support_tickets.assigned_to is 'The admin handling it (assign_support_ticket), null = unassigned.';
comment on column public.support_tickets.last_message_at is 'Time of the latest message the author can read (internal notes do not count).';
comment on column public.support_tickets.awaiting_response_since is
  'Since when the author waits for an admin answer (their latest unanswered message); null once an admin replied or the ticket is resolved or closed.';
comment on column public.support_tickets.response_due_at is
  'awaiting_response_since + the priority''s target (urgent 1 h, high 4 h, normal 24 h, low 72 h); past it the ticket is overdue.';
comment on column public.support_tickets.first_response_at is 'First admin reply the author can read; first response time = first_response_at - created_at.';
comment on column public.support_tickets.resolved_at is 'When it was last resolved or closed; cleared when it reopens. Resolution time = resolved_at - created_at.';
comment on column public.support_tickets.closed_at is 'When it was closed; a closed ticket takes no more replies.';
alter table public.support_tickets enable row level security;

create table public.ticket_messages (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  author_id uuid references auth.users (id) on delete set null,
  body text not null,
  is_internal boolean not null default false,
  created_at timestamptz not null default now(),
  constraint ticket_messages_body_length check (char_length(body) >= 1 and char_length(body) <= 5000 and body = btrim(body))
);
comment on table public.ticket_messages is
  'The thread of a support ticket: the author''s messages, admin replies and admin-only internal notes. The author '
  'reads the non-internal messages of their tickets; admins read all. Written by open_support_ticket() and '
  'reply_to_support_ticket() only.';
comment on column public.ticket_messages.author_id is 'Who wrote it; null once that account is deleted.';
comment on column public.ticket_messages.is_internal is
  'An admin-only note: never readable by, broadcast or notified to the ticket''s author.';
alter table public.ticket_messages enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index support_tickets_user_id_idx on public.support_tickets (user_id, created_at desc);
create index support_tickets_assigned_to_idx on public.support_tickets (assigned_to) where assigned_to is not null;
create index support_tickets_session_id_idx on public.support_tickets (session_id) where session_id is not null;
create index support_tickets_booking_id_idx on public.support_tickets (booking_id) where booking_id is not null;
-- The admin queue: unresolved tickets by due time.
create index support_tickets_queue_idx on public.support_tickets (response_due_at)
  where status in ('open', 'pending');
create index ticket_messages_ticket_id_idx on public.ticket_messages (ticket_id, created_at);
create index ticket_messages_author_id_idx on public.ticket_messages (author_id);

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

create function private.ticket_response_target(priority public.ticket_priority)
returns interval
language sql immutable parallel safe set search_path = '' as $$
  select case priority
    when 'urgent' then interval '1 hour'
    when 'high' then interval '4 hours'
    when 'normal' then interval '24 hours'
    else interval '72 hours'
  end
$$;
comment on function private.ticket_response_target(public.ticket_priority) is
  'How long an admin answer may take at a priority: urgent 1 h, high 4 h, normal 24 h, low 72 h.';
revoke execute on function private.ticket_response_target(public.ticket_priority) from public, anon;
grant execute on function private.ticket_response_target(public.ticket_priority) to authenticated, service_role;

-- Locks a ticket for an admin action. Internal: runs inside security definer RPCs.
create function private.ticket_for_admin(ticket_id uuid)
returns public.support_tickets
language plpgsql volatile set search_path = '' as $$
declare
  v_ticket public.support_tickets;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('ticket_id', ticket_for_admin.ticket_id));
  end if;
  if not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins can do this.', jsonb_build_object('required_role', 'admin'));
  end if;
  select t.* into v_ticket from public.support_tickets t where t.id = ticket_for_admin.ticket_id for update;
  if v_ticket.id is null then
    perform private.raise_error('not_found', 'Ticket not found.', jsonb_build_object('ticket_id', ticket_for_admin.ticket_id));
  end if;
  return v_ticket;
end;
$$;
comment on function private.ticket_for_admin(uuid) is
  'Locks and returns a support ticket for an admin action: not_authenticated, forbidden (not admin), not_found. Internal.';
revoke execute on function private.ticket_for_admin(uuid) from public, anon, authenticated, service_role;

-- SECURITY DEFINER: the ticket's author may not read user_roles of others; notifies every admin
-- (or only the assignee, when there is one).
create function private.notify_ticket_admins(ticket public.support_tickets, kind text, title text, body text)
returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_admin uuid;
begin
  for v_admin in
    select ur.user_id from public.user_roles ur
    where ur.role = 'admin'
      and (ticket.assigned_to is null or ur.user_id = ticket.assigned_to)
      and ur.user_id <> coalesce((select auth.uid()), '00000000-0000-0000-0000-000000000000'::uuid)
  loop
    perform private.notify(v_admin, notify_ticket_admins.kind, notify_ticket_admins.title, left(notify_ticket_admins.body, 500),
      '/admin/support/' || ticket.id::text,
      jsonb_build_object('ticket_id', ticket.id, 'status', ticket.status, 'priority', ticket.priority));
  end loop;
end;
$$;
comment on function private.notify_ticket_admins(public.support_tickets, text, text, text) is
  'Notifies the assignee of a ticket, or every admin when it is unassigned (never the caller). Internal.';
revoke execute on function private.notify_ticket_admins(public.support_tickets, text, text, text)
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.support_tickets from public, anon, authenticated, service_role;
grant select on table public.support_tickets to authenticated;
grant all on table public.support_tickets to service_role;
create policy "users read their own tickets and admins read every ticket"
  on public.support_tickets for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

revoke all on table public.ticket_messages from public, anon, authenticated, service_role;
grant select on table public.ticket_messages to authenticated;
grant all on table public.ticket_messages to service_role;
-- The author's branch reads the ticket through its own RLS (own tickets only) and never an
-- internal note.
create policy "authors read the public messages of their tickets, admins all"
  on public.ticket_messages for select to authenticated
  using ((select private.is_admin())
         or (not is_internal
             and exists (select 1 from public.support_tickets t
                         where t.id = ticket_messages.ticket_id and t.user_id = (select auth.uid()))));

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- PostgREST computed field: support_tickets?select=*,overdue.
create function public.overdue(ticket public.support_tickets)
returns boolean
language sql stable set search_path = '' as $$
  select ticket.status in ('open', 'pending') and ticket.response_due_at is not null and ticket.response_due_at < now()
$$;
comment on function public.overdue(public.support_tickets) is
  'True when the ticket waits for an admin answer past its priority''s target (response_due_at). Computed field: '
  'support_tickets?select=*,overdue.';
revoke execute on function public.overdue(public.support_tickets) from public, anon;
grant execute on function public.overdue(public.support_tickets) to authenticated, service_role;

-- SECURITY DEFINER: clients have no insert grant on support_tickets or ticket_messages.
create function public.open_support_ticket(subject text, body text, category text default 'other',
                                           session_id uuid default null, booking_id uuid default null)
returns public.support_tickets
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_subject text := private.clean_text(open_support_ticket.subject);
  v_body text := private.clean_text(open_support_ticket.body);
  v_category text := coalesce(nullif(btrim(open_support_ticket.category), ''), 'other');
  v_recent int;
  v_oldest timestamptz;
  v_ticket public.support_tickets;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in to open a ticket.', jsonb_build_object('function', 'open_support_ticket'));
  end if;
  if v_subject is null or char_length(v_subject) not between 3 and 200 then
    perform private.raise_error('invalid_input', 'The subject must be 3 to 200 characters.',
      jsonb_build_object('field', 'subject', 'min', 3, 'max', 200));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 5000 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 5000 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 5000));
  end if;
  if v_category not in ('account', 'booking', 'session', 'technical', 'billing', 'abuse', 'other') then
    perform private.raise_error('invalid_input', 'Unknown category.',
      jsonb_build_object('field', 'category', 'allowed',
        jsonb_build_array('account', 'booking', 'session', 'technical', 'billing', 'abuse', 'other')));
  end if;
  if open_support_ticket.session_id is not null and not private.can_see_session(open_support_ticket.session_id) then
    perform private.raise_error('not_found', 'Session not found.', jsonb_build_object('session_id', open_support_ticket.session_id));
  end if;
  if open_support_ticket.booking_id is not null and not exists (
       select 1 from public.bookings b where b.id = open_support_ticket.booking_id and b.user_id = v_uid) then
    perform private.raise_error('not_found', 'Booking not found.', jsonb_build_object('booking_id', open_support_ticket.booking_id));
  end if;

  -- One user's opens are serialized so that parallel calls cannot all pass the count.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('support_tickets:' || v_uid::text, 0));
  select count(*)::int, min(t.created_at) into v_recent, v_oldest
  from (select t.created_at from public.support_tickets t
        where t.user_id = v_uid and t.created_at > now() - interval '1 hour'
        order by t.created_at desc limit 5) t;
  if v_recent >= 5 then
    perform private.raise_error('rate_limited', 'At most 5 tickets per hour.',
      jsonb_build_object('limit', 5, 'window_seconds', 3600),
      -- Capped: a call that waited for the lock started before the tickets it counts.
      least(3600, ceil(extract(epoch from v_oldest + interval '1 hour' - now()))::int));
  end if;

  insert into public.support_tickets as t (user_id, subject, category, session_id, booking_id, response_due_at)
  values (v_uid, v_subject, v_category, open_support_ticket.session_id, open_support_ticket.booking_id,
          now() + private.ticket_response_target('normal'))
  returning t.* into v_ticket;
  insert into public.ticket_messages (ticket_id, author_id, body) values (v_ticket.id, v_uid, v_body);
  perform private.notify_ticket_admins(v_ticket, 'support_ticket_opened', 'New support ticket: ' || v_subject, v_body);
  return v_ticket;
end;
$$;
comment on function public.open_support_ticket(text, text, text, uuid, uuid) is
  'Opens a support ticket for the caller: subject (3-200), body (the first message, 1-5000), category (account, booking, '
  'session, technical, billing, abuse, other), optional session_id (one the caller may see) and booking_id (their own). '
  'Priority normal, due within 24 h. Admins are notified (support_ticket_opened). Returns the ticket. Errors: '
  'not_authenticated, invalid_input, not_found (session or booking), rate_limited (more than 5 per hour, 429 with Retry-After).';
revoke execute on function public.open_support_ticket(text, text, text, uuid, uuid) from public, anon;
grant execute on function public.open_support_ticket(text, text, text, uuid, uuid) to authenticated;

-- SECURITY DEFINER: clients have no insert grant on ticket_messages nor update grant on tickets.
-- An internal note touches nothing the author can read: not the ticket row, not a notification.
create function public.reply_to_support_ticket(ticket_id uuid, body text, internal boolean default false)
returns public.ticket_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_admin boolean := private.is_admin();
  v_body text := private.clean_text(reply_to_support_ticket.body);
  v_internal boolean := coalesce(reply_to_support_ticket.internal, false);
  v_ticket public.support_tickets;
  v_before public.support_tickets;
  v_message public.ticket_messages;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('ticket_id', reply_to_support_ticket.ticket_id));
  end if;
  select t.* into v_ticket from public.support_tickets t where t.id = reply_to_support_ticket.ticket_id for update;
  if v_ticket.id is null or (v_ticket.user_id <> v_uid and not v_admin) then
    perform private.raise_error('not_found', 'Ticket not found.', jsonb_build_object('ticket_id', reply_to_support_ticket.ticket_id));
  end if;
  if v_internal and not v_admin then
    perform private.raise_error('forbidden', 'Only admins write internal notes.', jsonb_build_object('required_role', 'admin'));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 5000 then
    perform private.raise_error('invalid_input', 'The message must be 1 to 5000 characters.',
      jsonb_build_object('field', 'body', 'min', 1, 'max', 5000));
  end if;
  if v_ticket.status = 'closed' and not v_internal then
    perform private.raise_error('invalid_transition', 'The ticket is closed.',
      jsonb_build_object('ticket_id', v_ticket.id, 'status', v_ticket.status));
  end if;

  insert into public.ticket_messages as m (ticket_id, author_id, body, is_internal)
  values (v_ticket.id, v_uid, v_body, v_internal)
  returning m.* into v_message;
  v_before := v_ticket;

  if v_internal then
    null;  -- nothing on the ticket row changes
  elsif v_ticket.user_id = v_uid then
    -- The author writes: the ticket waits for the admins again (a resolved one reopens).
    update public.support_tickets t
       set status = 'open',
           last_message_at = v_message.created_at,
           awaiting_response_since = coalesce(t.awaiting_response_since, v_message.created_at),
           response_due_at = coalesce(t.awaiting_response_since, v_message.created_at) + private.ticket_response_target(t.priority),
           resolved_at = null
     where t.id = v_ticket.id
    returning t.* into v_ticket;
    perform private.notify_ticket_admins(v_ticket, 'support_ticket_reply', 'Reply on ticket: ' || v_ticket.subject, v_body);
  else
    -- An admin answers: the ticket waits for the author.
    update public.support_tickets t
       set status = case when t.status = 'open' then 'pending'::public.ticket_status else t.status end,
           last_message_at = v_message.created_at,
           awaiting_response_since = null,
           response_due_at = null,
           first_response_at = coalesce(t.first_response_at, v_message.created_at)
     where t.id = v_ticket.id
    returning t.* into v_ticket;
    perform private.notify(v_ticket.user_id, 'support_ticket_reply', 'Support replied: ' || v_ticket.subject,
      left(v_body, 500), '/support/' || v_ticket.id::text,
      jsonb_build_object('ticket_id', v_ticket.id, 'message_id', v_message.id, 'status', v_ticket.status));
  end if;

  if v_admin and v_before.user_id <> v_uid then
    perform private.audit('support_ticket_replied', 'support_ticket', v_ticket.id,
      jsonb_build_object('status', v_before.status, 'first_response_at', v_before.first_response_at),
      jsonb_build_object('status', v_ticket.status, 'first_response_at', v_ticket.first_response_at),
      jsonb_build_object('message_id', v_message.id, 'internal', v_internal));
  end if;
  return v_message;
end;
$$;
comment on function public.reply_to_support_ticket(uuid, text, boolean) is
  'Adds a message (1-5000) to a ticket: its author, or an admin; internal = true (admins only) writes a note the author '
  'never sees. An author''s message reopens the ticket (open, due again by its priority''s target) and notifies the '
  'assignee or the admins; an admin reply sets pending and first_response_at and notifies the author '
  '(support_ticket_reply). Errors: not_authenticated, not_found (not your ticket), forbidden (internal note by a '
  'non-admin), invalid_input, invalid_transition (the ticket is closed).';
revoke execute on function public.reply_to_support_ticket(uuid, text, boolean) from public, anon;
grant execute on function public.reply_to_support_ticket(uuid, text, boolean) to authenticated;

-- SECURITY DEFINER: clients have no update grant on support_tickets; the admin check is here.
create function public.set_support_ticket_status(ticket_id uuid, status public.ticket_status)
returns public.support_tickets
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.support_tickets := private.ticket_for_admin(set_support_ticket_status.ticket_id);
  v_ticket public.support_tickets;
begin
  if set_support_ticket_status.status is null then
    perform private.raise_error('invalid_input', 'A status is required.', jsonb_build_object('field', 'status'));
  end if;
  if set_support_ticket_status.status = v_before.status then
    return v_before;
  end if;
  update public.support_tickets t
     set status = set_support_ticket_status.status,
         resolved_at = case when set_support_ticket_status.status in ('resolved', 'closed') then coalesce(t.resolved_at, now()) end,
         closed_at = case when set_support_ticket_status.status = 'closed' then now() end,
         awaiting_response_since = case when set_support_ticket_status.status in ('resolved', 'closed') then null
                                        else t.awaiting_response_since end,
         response_due_at = case when set_support_ticket_status.status in ('resolved', 'closed') then null
                                else t.response_due_at end
   where t.id = v_before.id
  returning t.* into v_ticket;
  perform private.audit('support_ticket_status_set', 'support_ticket', v_ticket.id,
    jsonb_build_object('status', v_before.status, 'resolved_at', v_before.resolved_at, 'closed_at', v_before.closed_at),
    jsonb_build_object('status', v_ticket.status, 'resolved_at', v_ticket.resolved_at, 'closed_at', v_ticket.closed_at));
  perform private.notify(v_ticket.user_id, 'support_ticket_status',
    'Your ticket is ' || v_ticket.status::text || ': ' || v_ticket.subject, null, '/support/' || v_ticket.id::text,
    jsonb_build_object('ticket_id', v_ticket.id, 'status', v_ticket.status));
  return v_ticket;
end;
$$;
comment on function public.set_support_ticket_status(uuid, public.ticket_status) is
  'Admins set a ticket''s status (open, pending, resolved, closed); resolved and closed record resolved_at and stop the '
  'response clock, closed also closed_at; reopening clears them. Audited; the author is notified (support_ticket_status). '
  'Setting the current status changes nothing. Errors: not_authenticated, forbidden, not_found, invalid_input.';
revoke execute on function public.set_support_ticket_status(uuid, public.ticket_status) from public, anon;
grant execute on function public.set_support_ticket_status(uuid, public.ticket_status) to authenticated;

create function public.set_support_ticket_priority(ticket_id uuid, priority public.ticket_priority)
returns public.support_tickets
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.support_tickets := private.ticket_for_admin(set_support_ticket_priority.ticket_id);
  v_ticket public.support_tickets;
begin
  if set_support_ticket_priority.priority is null then
    perform private.raise_error('invalid_input', 'A priority is required.', jsonb_build_object('field', 'priority'));
  end if;
  if set_support_ticket_priority.priority = v_before.priority then
    return v_before;
  end if;
  update public.support_tickets t
     set priority = set_support_ticket_priority.priority,
         response_due_at = t.awaiting_response_since + private.ticket_response_target(set_support_ticket_priority.priority)
   where t.id = v_before.id
  returning t.* into v_ticket;
  perform private.audit('support_ticket_priority_set', 'support_ticket', v_ticket.id,
    jsonb_build_object('priority', v_before.priority, 'response_due_at', v_before.response_due_at),
    jsonb_build_object('priority', v_ticket.priority, 'response_due_at', v_ticket.response_due_at));
  return v_ticket;
end;
$$;
comment on function public.set_support_ticket_priority(uuid, public.ticket_priority) is
  'Admins set a ticket''s priority (low, normal, high, urgent); the response due time follows the new target. Audited. '
  'Errors: not_authenticated, forbidden, not_found, invalid_input.';
revoke execute on function public.set_support_ticket_priority(uuid, public.ticket_priority) from public, anon;
grant execute on function public.set_support_ticket_priority(uuid, public.ticket_priority) to authenticated;

create function public.assign_support_ticket(ticket_id uuid, assignee_id uuid)
returns public.support_tickets
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.support_tickets := private.ticket_for_admin(assign_support_ticket.ticket_id);
  v_ticket public.support_tickets;
begin
  if assign_support_ticket.assignee_id is not null and not exists (
       select 1 from public.user_roles ur where ur.user_id = assign_support_ticket.assignee_id and ur.role = 'admin') then
    perform private.raise_error('invalid_input', 'Tickets are assigned to admins only.',
      jsonb_build_object('field', 'assignee_id', 'assignee_id', assign_support_ticket.assignee_id));
  end if;
  if assign_support_ticket.assignee_id is not distinct from v_before.assigned_to then
    return v_before;
  end if;
  update public.support_tickets t
     set assigned_to = assign_support_ticket.assignee_id
   where t.id = v_before.id
  returning t.* into v_ticket;
  perform private.audit('support_ticket_assigned', 'support_ticket', v_ticket.id,
    jsonb_build_object('assigned_to', v_before.assigned_to), jsonb_build_object('assigned_to', v_ticket.assigned_to));
  if v_ticket.assigned_to is not null and v_ticket.assigned_to <> (select auth.uid()) then
    perform private.notify(v_ticket.assigned_to, 'support_ticket_assigned', 'Ticket assigned to you: ' || v_ticket.subject,
      null, '/admin/support/' || v_ticket.id::text,
      jsonb_build_object('ticket_id', v_ticket.id, 'status', v_ticket.status, 'priority', v_ticket.priority));
  end if;
  return v_ticket;
end;
$$;
comment on function public.assign_support_ticket(uuid, uuid) is
  'Admins assign a ticket to an admin (null unassigns). Audited; the assignee is notified (support_ticket_assigned). '
  'Errors: not_authenticated, forbidden, not_found, invalid_input (the assignee is not an admin).';
revoke execute on function public.assign_support_ticket(uuid, uuid) from public, anon;
grant execute on function public.assign_support_ticket(uuid, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

create trigger support_tickets_set_updated_at
  before update on public.support_tickets
  for each row execute function private.set_updated_at();
