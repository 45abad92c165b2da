-- Announcements: admins reach everyone, program owners the members of their program.
-- send_announcement only records the announcement; the pg_cron job `send-announcements`
-- (90_cron_jobs.sql) fans it out as notifications of kind `announcement` in batches, never in the
-- caller's transaction, through private.notify (31_reminders.sql), so each user gets it in the app and
-- by the email and push channels their preferences choose (34_notification_delivery.sql).
-- Tables: public.announcements.
--
-- Exactly once: recipients are taken in user id order after the announcement's cursor; a batch's
-- notifications and the cursor move commit together, and a run takes the announcement row with
-- `for update skip locked`, so two runs never work on the same announcement at once.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.announcements (
  id uuid primary key default gen_random_uuid(),
  scope text not null,
  program_id uuid references public.programs (id) on delete cascade,
  title text not null,
  body text not null,
  status text not null default 'queued',
  recipients_done int not null default 0,
  last_recipient_id uuid,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  constraint announcements_scope_valid check ((scope = 'everyone' and program_id is null)
                                              or (scope = 'program' and program_id is not null)),
  constraint announcements_title_length check (char_length(title) >= 1 and char_length(title) <= 200 and title = btrim(title)),
  constraint announcements_body_length check (char_length(body) >= 1 and char_length(body) <= 2000 and body = btrim(body)),
  constraint announcements_status_valid check (status in ('queued', 'sending', 'sent')),
  constraint announcements_recipients_done_not_negative check (recipients_done >= 0),
  constraint announcements_completed_when_sent check ((status = 'sent') = (completed_at is not null))
);
comment on table public.announcements is
  'Announcements by admins (scope everyone) and program owners (scope program: the program''s members). Created only by '
  'send_announcement; the send-announcements job fans them out as notifications of kind announcement. Admins read all, '
  'senders their own.';
comment on column public.announcements.scope is 'everyone (every user), or program (program_id''s members: confirmed bookings and staff of its sessions).';
comment on column public.announcements.status is 'queued -> sending (batches under way) -> sent.';
comment on column public.announcements.recipients_done is 'Users the announcement has been delivered to so far.';
comment on column public.announcements.last_recipient_id is 'Fan-out cursor: recipients are taken in user id order after it.';
alter table public.announcements enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------

create index announcements_program_id_idx on public.announcements (program_id);
create index announcements_created_by_idx on public.announcements (created_by);
create index announcements_pending_idx on public.announcements (created_at) where status <> 'sent';

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The next recipients of an announcement after the cursor, in user id order. Program members: a
-- confirmed booking or a staff role in one of the program's sessions.
create function private.announcement_recipients(announcement public.announcements, after_user_id uuid, batch_size int)
returns setof uuid
language plpgsql stable rows 1000 set search_path = '' as $$
begin
  if (announcement).scope = 'everyone' then
    return query
      select u.id from auth.users u
      where u.id > coalesce(after_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
      order by u.id limit batch_size;
  else
    return query
      select m.user_id from (
        select b.user_id from public.bookings b join public.sessions s on s.id = b.session_id
        where s.program_id = (announcement).program_id and b.status = 'confirmed'
        union
        select st.user_id from public.session_staff st join public.sessions s on s.id = st.session_id
        where s.program_id = (announcement).program_id) m
      where m.user_id > coalesce(after_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
      order by m.user_id limit batch_size;
  end if;
end;
$$;
comment on function private.announcement_recipients(public.announcements, uuid, int) is
  'The next batch_size recipients of an announcement after after_user_id, in user id order (everyone: every user; '
  'program: confirmed bookings and staff of its sessions). Internal.';
revoke execute on function private.announcement_recipients(public.announcements, uuid, int)
  from public, anon, authenticated, service_role;

-- The job. One batch = the next batch_size recipients of the oldest pending announcement nobody else
-- is sending: notified through private.notify, and the cursor moved, in this transaction. Runs up to
-- max_batches batches (several announcements may take turns) and returns how many users it reached.
-- Runs as the cron job's owner (postgres); service_role may run it too.
create function private.send_announcement_batches(batch_size int default 1000, max_batches int default 10)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_announcement public.announcements;
  v_user uuid;
  v_last uuid;
  v_sent int;
  v_total int := 0;
begin
  for i in 1 .. greatest(coalesce(max_batches, 1), 1) loop
    select a.* into v_announcement from public.announcements a
    where a.status <> 'sent'
    order by a.created_at, a.id
    limit 1
    for update skip locked;
    exit when v_announcement.id is null;
    v_sent := 0;
    v_last := null;
    for v_user in select r from private.announcement_recipients(v_announcement, v_announcement.last_recipient_id,
                                                                 greatest(coalesce(batch_size, 1000), 1)) r loop
      perform private.notify(v_user, 'announcement', v_announcement.title, v_announcement.body, null,
        jsonb_build_object('announcement_id', v_announcement.id, 'scope', v_announcement.scope,
                           'program_id', v_announcement.program_id));
      v_sent := v_sent + 1;
      v_last := v_user;
    end loop;
    update public.announcements a
       set recipients_done = a.recipients_done + v_sent,
           last_recipient_id = coalesce(v_last, a.last_recipient_id),
           status = case when v_sent < greatest(coalesce(batch_size, 1000), 1) then 'sent' else 'sending' end,
           completed_at = case when v_sent < greatest(coalesce(batch_size, 1000), 1) then now() end
     where a.id = v_announcement.id;
    v_total := v_total + v_sent;
    v_announcement := null;
  end loop;
  return v_total;
end;
$$;
comment on function private.send_announcement_batches(int, int) is
  'The send-announcements job: up to max_batches batches of batch_size recipients of pending announcements (oldest '
  'first, rows locked with skip locked), each user notified once (kind announcement, private.notify), cursor and '
  'count moved with the batch; an announcement is sent when a batch comes back short. Returns the users reached.';
revoke execute on function private.send_announcement_batches(int, int) from public, anon, authenticated;
grant execute on function private.send_announcement_batches(int, int) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

revoke all on table public.announcements from public, anon, authenticated, service_role;
grant select on table public.announcements to authenticated;
grant all on table public.announcements to service_role;
create policy "admins read all announcements and senders their own" on public.announcements
  for select to authenticated
  using (created_by = (select auth.uid()) or (select private.is_admin()));

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: clients cannot insert announcements; the scope is checked here.
create function public.send_announcement(scope text, title text, body text)
returns public.announcements
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := (select auth.uid());
  v_scope text := btrim(send_announcement.scope);
  v_title text := private.clean_text(send_announcement.title);
  v_body text := private.clean_text(send_announcement.body);
  v_program public.programs;
  v_row public.announcements;
begin
  if v_uid is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('function', 'send_announcement'));
  end if;
  if v_scope is null or not (v_scope = 'everyone'
       or v_scope ~ '^program:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') then
    perform private.raise_error('invalid_input', 'scope is everyone or program:<program id>.', jsonb_build_object('field', 'scope'));
  end if;
  if v_title is null or char_length(v_title) not between 1 and 200 then
    perform private.raise_error('invalid_input', 'The title is 1 to 200 characters.', jsonb_build_object('field', 'title'));
  end if;
  if v_body is null or char_length(v_body) not between 1 and 2000 then
    perform private.raise_error('invalid_input', 'The body is 1 to 2000 characters.', jsonb_build_object('field', 'body'));
  end if;
  if v_scope = 'everyone' then
    if not private.is_admin() then
      perform private.raise_error('forbidden', 'Only admins announce to everyone.', jsonb_build_object('scope', v_scope));
    end if;
    insert into public.announcements as a (scope, title, body, created_by)
    values ('everyone', v_title, v_body, v_uid)
    returning a.* into v_row;
  else
    select p.* into v_program from public.programs p where p.id = substr(v_scope, 9)::uuid;
    -- Visible as the programs policy says: published ones, one's own drafts, all for admins.
    if v_program.id is null or not (v_program.status <> 'draft' or v_program.created_by = v_uid or private.is_admin()) then
      perform private.raise_error('not_found', 'Program not found.', jsonb_build_object('scope', v_scope));
    end if;
    if v_program.created_by is distinct from v_uid and not private.is_admin() then
      perform private.raise_error('forbidden', 'Only the program''s owner and admins announce to its members.',
        jsonb_build_object('program_id', v_program.id));
    end if;
    insert into public.announcements as a (scope, program_id, title, body, created_by)
    values ('program', v_program.id, v_title, v_body, v_uid)
    returning a.* into v_row;
  end if;
  return v_row;
end;
$$;
comment on function public.send_announcement(text, text, text) is
  'Admins (scope ''everyone'') and program owners or admins (scope ''program:<program id>'': the program''s members, '
  'i.e. confirmed bookings and staff of its sessions) announce title (1-200) and body (1-2000, trimmed). Returns the '
  'queued announcement; the send-announcements job delivers it within about a minute per 10,000 users, as '
  'notifications of kind announcement (data {announcement_id, scope, program_id}) by the channels each user chose. '
  'Errors: not_authenticated, invalid_input, not_found (program), forbidden.';
revoke execute on function public.send_announcement(text, text, text) from public, anon;
grant execute on function public.send_announcement(text, text, text) to authenticated, service_role;
