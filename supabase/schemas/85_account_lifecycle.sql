-- Account lifecycle: admins deactivate and reactivate accounts, users delete their own account and
-- admins delete any (personal data erased, public contributions kept under "Deleted user", counts
-- unchanged), profiles.last_seen_at follows the user's writes at most once per 5 minutes. A
-- deactivated or deleted user writes nothing: one trigger on every table a user's actions write
-- refuses the write with account_deactivated (403), whatever RPC or policy allowed it, and Supabase
-- Auth issues them no new token and refreshes none (auth.users.banned_until). Nor do they read
-- anything while the token they hold is still valid: one restrictive policy on every table signed-in
-- users read (and on realtime.messages and storage.objects) calls private.account_read_guard() as an
-- initplan, one primary key probe per statement, not per row, and the security definer RPCs that
-- read call it first. The access token hook carries the status (account_status claim,
-- 10_identity.sql). Every act is audited.
-- Tables: none (columns on profiles, triggers and policies on the users' tables).

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------

-- The one definition of a session that is "not over yet" for the account lifecycle: live, or scheduled
-- with its planned end still ahead. A scheduled session whose end has passed (a past appointment its
-- coach never completed: nothing closes those automatically) is history.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and is planned again on every
-- call (it runs once per session row the lifecycle looks at); a PL/pgSQL expression is evaluated directly.
create function private.session_not_over(status text, starts_at timestamptz, duration_minutes int)
returns boolean
language plpgsql stable set search_path = '' as $$
begin
  return session_not_over.status = 'live'
      or (session_not_over.status = 'scheduled'
          and session_not_over.starts_at + make_interval(mins => session_not_over.duration_minutes) > now());
end;
$$;
comment on function private.session_not_over(text, timestamptz, int) is
  'True for a live session, or a scheduled one whose planned end (starts_at + duration_minutes) is after now(): what '
  'the account lifecycle cancels or leaves (cancel_future_bookings, cancel_hosted_one_to_ones). Internal.';
revoke execute on function private.session_not_over(text, timestamptz, int) from public, anon, authenticated, service_role;

-- Locks, in one statement and in id order, every session the account lifecycle may change for a user:
-- those of their bookings not cancelled and the one-to-one appointments they staff, not over yet
-- (private.session_not_over). Both cancel_future_bookings and cancel_hosted_one_to_ones call it first: two
-- passes, each in id order, deadlocked (40P01) for two coaches who are each other's patients deactivated
-- at once (each locked the appointment it is the patient of, then waited for the one it coaches, which
-- the other held). One ordered set: one of them waits for the other from its first lock on. The second
-- call in one act finds the rows already locked by its transaction. Internal.
create function private.lock_account_sessions(user_id uuid)
returns void
language plpgsql volatile set search_path = '' as $$
begin
  -- One IN over a UNION (a semi-join probing the sessions' primary key), not an OR of two IN lists (a
  -- scan of every session).
  perform 1 from public.sessions s
   where s.id in (select b.session_id from public.bookings b
                  where b.user_id = lock_account_sessions.user_id and b.status <> 'cancelled'
                  union
                  select st.session_id from public.session_staff st
                  join public.sessions o on o.id = st.session_id and o.kind = 'one_to_one'
                  where st.user_id = lock_account_sessions.user_id)
     and private.session_not_over(s.status, s.starts_at, s.duration_minutes)
   order by s.id
   for no key update of s;
end;
$$;
comment on function private.lock_account_sessions(uuid) is
  'Locks (FOR NO KEY UPDATE, one statement, id order) the sessions not over yet of a user''s bookings not cancelled and '
  'of the one-to-one appointments they staff: the lock order of cancel_future_bookings and cancel_hosted_one_to_ones. '
  'Internal (account deactivation and deletion).';
revoke execute on function private.lock_account_sessions(uuid) from public, anon, authenticated, service_role;

-- Cancels the user's active bookings of sessions that are not over: live ones, and scheduled ones
-- whose planned end is still ahead. A scheduled session whose end has passed (a past appointment its
-- coach never completed: nothing closes those automatically) is history: its booking stays as it was.
-- The booking triggers promote the waitlists and renumber them (30_booking.sql), take the user out of
-- breakout rooms and delete their reminders, as for any other way a booking leaves. The late-cancel
-- rule of one-to-one appointments (private.bookings_check_late_cancel, 33_counselling.sql) does not
-- apply: the transaction-local setting private.lifecycle_cancel is 'on' around the update (a patient
-- deleting their account inside the notice, or during a live appointment, is not refused). Lock
-- order: the sessions first, in id order, as cancel_booking and the host actions lock the session
-- before its bookings; a promotion updates another user's booking, so two accounts deleted at once
-- whose bookings share sessions (or a host cancelling one of them) deadlocked (40P01) when each went
-- through the sessions in its own order (concurrency/account_lifecycle.test.ts); and the sessions of the
-- one-to-one appointments they staff go in the same ordered set (private.lock_account_sessions;
-- concurrency/counselling_crosswise_deactivation.test.ts). Internal: runs inside security definer RPCs.
create function private.cancel_future_bookings(user_id uuid)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_count int;
begin
  perform private.lock_account_sessions(cancel_future_bookings.user_id);
  perform set_config('private.lifecycle_cancel', 'on', true);
  update public.bookings b
     set status = 'cancelled', cancelled_at = now(), waitlist_position = null
   where b.user_id = cancel_future_bookings.user_id
     and b.status <> 'cancelled'
     and b.session_id in (select s.id from public.sessions s
                          where private.session_not_over(s.status, s.starts_at, s.duration_minutes));
  get diagnostics v_count = row_count;
  perform set_config('private.lifecycle_cancel', '', true);
  return v_count;
end;
$$;
comment on function private.cancel_future_bookings(uuid) is
  'Cancels a user''s active bookings of live sessions and of scheduled ones not yet over (waitlists promoted by the '
  'booking triggers; the one-to-one late-cancel rule does not apply: private.lifecycle_cancel); bookings of past '
  'sessions stay. Returns how many. Internal (account deactivation and deletion).';
revoke execute on function private.cancel_future_bookings(uuid) from public, anon, authenticated, service_role;

-- Signs the user out everywhere: deletes their Supabase Auth sessions (their refresh tokens go with
-- them, on delete cascade), as Supabase's guides advise for removing access server-side, so no
-- refresh token mints another access token (banned_until refuses new sign-ins). Dynamic SQL and
-- guarded: the local platform emulation has no auth.sessions (null), and where the owner of the
-- RPCs may not delete from it the act still completes (null: the ban and the read and write guards
-- still hold). Returns how many sessions it deleted. Internal: runs inside security definer RPCs.
create function private.revoke_auth_sessions(user_id uuid)
returns int
language plpgsql volatile set search_path = '' as $$
declare
  v_sessions regclass := to_regclass('auth.sessions');
  v_count int;
begin
  if v_sessions is null then
    return null;
  end if;
  execute format('delete from %s s where s.user_id = $1', v_sessions) using revoke_auth_sessions.user_id;
  get diagnostics v_count = row_count;
  return v_count;
exception when insufficient_privilege then
  return null;
end;
$$;
comment on function private.revoke_auth_sessions(uuid) is
  'Deletes a user''s auth.sessions (refresh tokens cascade): signed out everywhere. Returns how many, or null where '
  'auth.sessions does not exist or may not be written. Internal.';
revoke execute on function private.revoke_auth_sessions(uuid) from public, anon, authenticated, service_role;

-- The account lock: a transaction advisory lock per user (hashtextextended('account:<user id>', 0)).
-- A lifecycle act (deactivate, delete, reactivate) takes it exclusively before it reads the profile;
-- book_slot takes it shared for the coach and the caller before it checks them (33_counselling.sql).
-- So a booking that checked the coach before a deactivation commits has committed before the
-- deactivation cancels the coach's appointments (the cancellation sees it), and one that comes later
-- waits and then finds the account deactivated; bookings of one coach never wait for each other
-- (shared locks do not conflict). Keys in ascending order: no two callers wait crosswise.
create function private.lock_accounts(user_ids uuid[], exclusive boolean)
returns void
language plpgsql volatile set search_path = '' as $$
declare
  v_key bigint;
begin
  for v_key in
    select distinct pg_catalog.hashtextextended('account:' || u::text, 0) k
    from unnest(lock_accounts.user_ids) u where u is not null order by k
  loop
    if lock_accounts.exclusive then
      perform pg_catalog.pg_advisory_xact_lock(v_key);
    else
      perform pg_catalog.pg_advisory_xact_lock_shared(v_key);
    end if;
  end loop;
end;
$$;
comment on function private.lock_accounts(uuid[], boolean) is
  'Takes the account locks of the users until commit (hashtextextended(''account:<user id>'', 0), ascending): '
  'exclusive for a lifecycle act, shared for a booking that relies on the account being active (book_slot). '
  'Internal.';
revoke execute on function private.lock_accounts(uuid[], boolean) from public, anon, authenticated, service_role;

-- The target of an admin's lifecycle act, locked. Internal: runs inside security definer RPCs.
create function private.profile_for_lifecycle(user_id uuid, admin_only boolean)
returns public.profiles
language plpgsql volatile set search_path = '' as $$
declare
  v_profile public.profiles;
begin
  if (select auth.uid()) is null then
    perform private.raise_error('not_authenticated', 'Sign in first.', jsonb_build_object('user_id', profile_for_lifecycle.user_id));
  end if;
  if profile_for_lifecycle.admin_only and not private.is_admin() then
    perform private.raise_error('forbidden', 'Only admins can do this.', jsonb_build_object('required_role', 'admin'));
  end if;
  -- Waits for the bookings of this user in flight (book_slot holds the lock shared), and holds new
  -- ones off until this act commits (private.lock_accounts).
  perform private.lock_accounts(array[profile_for_lifecycle.user_id], true);
  select p.* into v_profile from public.profiles p where p.id = profile_for_lifecycle.user_id for update;
  if v_profile.id is null then
    perform private.raise_error('not_found', 'No such user.', jsonb_build_object('user_id', profile_for_lifecycle.user_id));
  end if;
  if v_profile.status = 'deleted' then
    perform private.raise_error('invalid_transition', 'The account was deleted.', jsonb_build_object('user_id', v_profile.id));
  end if;
  if exists (select 1 from public.user_roles ur where ur.user_id = v_profile.id and ur.role = 'admin') then
    perform private.raise_error('conflict', 'An admin account cannot be deactivated or deleted; change its role first.',
      jsonb_build_object('user_id', v_profile.id));
  end if;
  return v_profile;
end;
$$;
comment on function private.profile_for_lifecycle(uuid, boolean) is
  'Locks (the account lock, private.lock_accounts, then the row) and returns the profile a lifecycle act targets: not_authenticated, forbidden (admin_only and not admin), '
  'not_found, invalid_transition (deleted), conflict (an admin). Internal.';
revoke execute on function private.profile_for_lifecycle(uuid, boolean) from public, anon, authenticated, service_role;

-- Erases the personal data of an account and marks it deleted. Keeps the rows others rely on
-- (bookings, chat messages, questions, votes, direct messages: counts and reports stay correct);
-- those show the profile, which now reads "Deleted user". Internal.
create function private.erase_account(user_id uuid)
returns public.profiles
language plpgsql volatile set search_path = '' as $$
declare
  v_uid uuid := erase_account.user_id;
  v_profile public.profiles;
begin
  perform private.cancel_future_bookings(v_uid);
  -- Their patients' appointments with them (33_counselling.sql), before their notifications go.
  perform private.cancel_hosted_one_to_ones(v_uid, private.cancel_reason_text('coach_unavailable'));
  delete from public.push_subscriptions x where x.user_id = v_uid;
  delete from public.notification_preferences x where x.user_id = v_uid;
  delete from public.notification_deliveries x where x.user_id = v_uid;
  delete from public.notifications x where x.user_id = v_uid;
  delete from public.calendar_feeds x where x.user_id = v_uid;
  delete from public.session_notes x where x.author_id = v_uid;
  delete from public.session_reminders x where x.user_id = v_uid;
  delete from public.coach_applications x where x.user_id = v_uid;
  delete from public.support_tickets x where x.user_id = v_uid;
  update public.profiles p
     set display_name = 'Deleted user', avatar_url = null, company = null, title = null, bio = null,
         timezone = 'UTC', locale = 'en', status = 'deleted', status_changed_at = now(), last_seen_at = null
   where p.id = v_uid
  returning p.* into v_profile;
  -- No sign-in, no token, no trace of the address; the row stays for the foreign keys.
  update auth.users u
     set email = 'deleted-' || u.id::text || '@deleted.invalid', phone = null, encrypted_password = '',
         raw_user_meta_data = '{}'::jsonb, banned_until = 'infinity'
   where u.id = v_uid;
  delete from auth.identities i where i.user_id = v_uid;
  perform private.revoke_auth_sessions(v_uid);
  return v_profile;
end;
$$;
comment on function private.erase_account(uuid) is
  'Erases an account''s personal data (profile fields, push subscriptions, preferences, notifications and their '
  'deliveries, calendar feeds, reminders, coach applications, support tickets, email, phone, password, identities, '
  'Auth sessions), cancels its future bookings and the one-to-one appointments it hosts, and marks it deleted; public '
  'contributions stay under "Deleted user". '
  'Internal.';
revoke execute on function private.erase_account(uuid) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Views and RPCs
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: writes profiles.status and auth.users, cancels another user's bookings.
create function public.deactivate_user(user_id uuid, reason text default null)
returns public.profiles
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_reason text := nullif(private.clean_text(deactivate_user.reason), '');
  v_before public.profiles := private.profile_for_lifecycle(deactivate_user.user_id, true);
  v_after public.profiles;
  v_cancelled int;
  v_appointments int;
  v_sessions int;
begin
  if char_length(v_reason) > 500 then
    perform private.raise_error('invalid_input', 'The reason must be at most 500 characters.',
      jsonb_build_object('field', 'reason', 'max', 500));
  end if;
  if v_before.status <> 'active' then
    perform private.raise_error('invalid_transition', 'The account is not active.',
      jsonb_build_object('user_id', v_before.id, 'status', v_before.status));
  end if;
  update public.profiles p set status = 'deactivated', status_changed_at = now()
   where p.id = v_before.id
  returning p.* into v_after;
  update auth.users u set banned_until = 'infinity' where u.id = v_before.id;
  v_sessions := private.revoke_auth_sessions(v_before.id);
  v_cancelled := private.cancel_future_bookings(v_before.id);
  -- A deactivated coach cannot hold their upcoming one-to-one appointments: their patients are told now.
  v_appointments := private.cancel_hosted_one_to_ones(v_before.id, private.cancel_reason_text('coach_unavailable'));
  -- Nothing more is queued for them (private.receives_notifications); what was queued before is not
  -- sent either (the dispatcher's context cancels one already claimed).
  update public.notification_deliveries d
     set status = 'cancelled', last_error = 'account deactivated', updated_at = now()
   where d.user_id = v_before.id and d.status = 'queued';
  perform private.audit('user_deactivated', 'user', v_before.id,
    jsonb_build_object('status', v_before.status), jsonb_build_object('status', v_after.status),
    jsonb_build_object('reason', v_reason, 'bookings_cancelled', v_cancelled, 'sessions_revoked', v_sessions,
                       'appointments_cancelled', v_appointments));
  return v_after;
end;
$$;
comment on function public.deactivate_user(uuid, text) is
  'Admins deactivate an account (reason up to 500 characters, kept in the audit log): every read and write of the '
  'user is refused (account_deactivated), their Auth sessions are deleted (signed out everywhere) and Supabase Auth '
  'issues no new token, their bookings of live sessions and of scheduled ones not yet over are cancelled (waitlists '
  'promoted) so they leave the rosters, the upcoming or live one-to-one appointments they coach are cancelled (their '
  'patients get session_cancelled), and they leave the staff of other coaches'' upcoming ones; past ones stay. They are '
  'mailed and pushed nothing more (their queued deliveries are cancelled). Returns the profile. Errors: not_authenticated, '
  'forbidden, not_found, conflict (an admin), invalid_transition (not active), invalid_input.';
revoke execute on function public.deactivate_user(uuid, text) from public, anon;
grant execute on function public.deactivate_user(uuid, text) to authenticated;

create function public.reactivate_user(user_id uuid)
returns public.profiles
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.profiles := private.profile_for_lifecycle(reactivate_user.user_id, true);
  v_after public.profiles;
begin
  if v_before.status <> 'deactivated' then
    perform private.raise_error('invalid_transition', 'The account is not deactivated.',
      jsonb_build_object('user_id', v_before.id, 'status', v_before.status));
  end if;
  update public.profiles p set status = 'active', status_changed_at = now()
   where p.id = v_before.id
  returning p.* into v_after;
  update auth.users u set banned_until = null where u.id = v_before.id;
  perform private.audit('user_reactivated', 'user', v_before.id,
    jsonb_build_object('status', v_before.status), jsonb_build_object('status', v_after.status));
  return v_after;
end;
$$;
comment on function public.reactivate_user(uuid) is
  'Admins reactivate a deactivated account (cancelled bookings stay cancelled). Returns the profile. Errors: '
  'not_authenticated, forbidden, not_found, conflict (an admin), invalid_transition (not deactivated).';
revoke execute on function public.reactivate_user(uuid) from public, anon;
grant execute on function public.reactivate_user(uuid) to authenticated;

create function public.delete_user(user_id uuid)
returns public.profiles
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.profiles := private.profile_for_lifecycle(delete_user.user_id, true);
  v_after public.profiles := private.erase_account(v_before.id);
begin
  perform private.audit('user_deleted', 'user', v_before.id,
    jsonb_build_object('status', v_before.status), jsonb_build_object('status', v_after.status));
  return v_after;
end;
$$;
comment on function public.delete_user(uuid) is
  'Admins delete an account: personal data erased, public contributions kept under "Deleted user", future bookings '
  'and hosted one-to-one appointments cancelled. Final. Returns the profile. Errors: not_authenticated, forbidden, not_found, conflict (an admin), '
  'invalid_transition (already deleted).';
revoke execute on function public.delete_user(uuid) from public, anon;
grant execute on function public.delete_user(uuid) to authenticated;

create function public.delete_my_account()
returns public.profiles
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_before public.profiles := private.profile_for_lifecycle((select auth.uid()), false);
  v_after public.profiles := private.erase_account(v_before.id);
begin
  perform private.audit('account_deleted', 'user', v_before.id,
    jsonb_build_object('status', v_before.status), jsonb_build_object('status', v_after.status));
  return v_after;
end;
$$;
comment on function public.delete_my_account() is
  'The caller deletes their own account, as delete_user does; a deactivated account may delete itself too. Final. '
  'Errors: not_authenticated, conflict (admins change their role first).';
revoke execute on function public.delete_my_account() from public, anon;
grant execute on function public.delete_my_account() to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------

-- Restrictive: ANDed with every permissive read policy of the table. A deactivated or deleted user
-- whose access token is still valid reads nothing (account_deactivated, 403, as soon as a row would
-- be checked); everyone else is unaffected. The guard is an initplan: once per statement.
create policy "deactivated accounts read nothing" on public.announcements as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.attendance_intervals as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.audit_log as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.bookings as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.calendar_feeds as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.chat_messages as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.coach_applications as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.coach_availability as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.coach_booking_settings as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.coach_time_off as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.conversation_members as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.conversations as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.direct_messages as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.events as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.notification_deliveries as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.notification_preferences as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.notifications as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.poll_ballots as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.poll_options as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.poll_votes as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.polls as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.profiles as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.programs as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.push_subscriptions as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.question_upvotes as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.questions as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.resource_activity as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.resource_daily_stats as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.resource_links as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.resources as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.room_assignments as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.rooms as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_bans as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_notes as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_reminders as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_secrets as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_staff as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.session_viewer_stats as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.sessions as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.streams as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.support_tickets as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.survey_fields as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.survey_responses as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.surveys as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.ticket_messages as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read nothing" on public.user_roles as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts receive nothing" on realtime.messages as restrictive
  for select to authenticated using ((select private.account_read_guard()));
create policy "deactivated accounts read no files" on storage.objects as restrictive
  for select to authenticated using ((select private.account_read_guard()));

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: reads and touches the caller's profile whatever the table's RLS. One primary
-- key probe per written row; the last_seen_at update writes at most once per 5 minutes per user.
-- Rows written by the backend without a user (jobs, service_role, postgres) pass untouched.
create function private.account_write_guard()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_status public.account_status;
  v_seen timestamptz;
begin
  if v_uid is null then
    return coalesce(new, old);
  end if;
  select p.status, p.last_seen_at into v_status, v_seen from public.profiles p where p.id = v_uid;
  -- A status change is a lifecycle RPC at work (clients cannot write status): a deactivated user
  -- may still delete their account.
  if v_status <> 'active' then
    if tg_table_name = 'profiles' then
      if new.status is distinct from old.status then
        return new;
      end if;
    end if;
    perform private.raise_error('account_deactivated', 'This account is ' || v_status::text || '.',
      jsonb_build_object('account_status', v_status));
  end if;
  if tg_table_name <> 'profiles' and (v_seen is null or v_seen < now() - interval '5 minutes') then
    update public.profiles p set last_seen_at = now()
     where p.id = v_uid and (p.last_seen_at is null or p.last_seen_at < now() - interval '5 minutes');
  end if;
  return coalesce(new, old);
end;
$$;
comment on function private.account_write_guard() is
  'Trigger before a user''s write: refuses it (account_deactivated, 403) when the acting user (auth.uid()) is '
  'deactivated or deleted, and sets their profiles.last_seen_at at most once per 5 minutes. Internal.';
revoke execute on function private.account_write_guard() from public, anon, authenticated, service_role;

create trigger attendance_intervals_account_guard before insert or update on public.attendance_intervals
  for each row execute function private.account_write_guard();
create trigger bookings_account_guard before insert or update on public.bookings
  for each row execute function private.account_write_guard();
create trigger calendar_feeds_account_guard before insert or update on public.calendar_feeds
  for each row execute function private.account_write_guard();
create trigger chat_messages_account_guard before insert or update on public.chat_messages
  for each row execute function private.account_write_guard();
create trigger coach_applications_account_guard before insert on public.coach_applications
  for each row execute function private.account_write_guard();
create trigger conversations_account_guard before insert on public.conversations
  for each row execute function private.account_write_guard();
create trigger direct_messages_account_guard before insert or update on public.direct_messages
  for each row execute function private.account_write_guard();
create trigger events_account_guard before insert or update on public.events
  for each row execute function private.account_write_guard();
create trigger notification_preferences_account_guard before insert or update on public.notification_preferences
  for each row execute function private.account_write_guard();
create trigger poll_votes_account_guard before insert on public.poll_votes
  for each row execute function private.account_write_guard();
create trigger polls_account_guard before insert or update on public.polls
  for each row execute function private.account_write_guard();
create trigger profiles_account_guard before update on public.profiles
  for each row execute function private.account_write_guard();
create trigger programs_account_guard before insert or update on public.programs
  for each row execute function private.account_write_guard();
create trigger push_subscriptions_account_guard before insert or update on public.push_subscriptions
  for each row execute function private.account_write_guard();
create trigger question_upvotes_account_guard before insert on public.question_upvotes
  for each row execute function private.account_write_guard();
create trigger questions_account_guard before insert or update of body, status, answer on public.questions
  for each row execute function private.account_write_guard();
create trigger resources_account_guard before insert or update on public.resources
  for each row execute function private.account_write_guard();
create trigger room_assignments_account_guard before insert on public.room_assignments
  for each row execute function private.account_write_guard();
create trigger session_reminders_account_guard before insert on public.session_reminders
  for each row execute function private.account_write_guard();
create trigger sessions_account_guard before insert or update on public.sessions
  for each row execute function private.account_write_guard();
create trigger support_tickets_account_guard before insert on public.support_tickets
  for each row execute function private.account_write_guard();
create trigger survey_responses_account_guard before insert on public.survey_responses
  for each row execute function private.account_write_guard();
create trigger ticket_messages_account_guard before insert on public.ticket_messages
  for each row execute function private.account_write_guard();
