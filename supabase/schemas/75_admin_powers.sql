-- Admin powers: platform admins pass every host and moderator check (private.is_session_staff and
-- private.staff_session_ids in 20_sessions.sql, which every host RPC and policy goes through:
-- edit, publish, start, end, cancel, reschedule, staff, chat and Q&A moderation, polls, surveys,
-- rooms, bans, reports) without becoming staff of the session. Each write an admin makes that way
-- on a session they do not host or moderate is audited here, by triggers on the tables those acts
-- change, whatever RPC or policy made it.
-- Tables: none (triggers on sessions, session_staff, session_bans, streams, chat_messages,
-- questions, polls, surveys, rooms, room_assignments).

-- ---------------------------------------------------------------------------------------------
-- Trigger functions
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: reads user_roles, session_staff and rooms across RLS and appends to audit_log.
-- Returns at once for anyone who is not an admin (one indexed lookup), so member paths that touch
-- these tables (joining a room) pay almost nothing.
create function private.audit_admin_session_act()
returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_row jsonb;
  v_session_id uuid;
  v_target_id uuid;
  v_strip text[];
begin
  if v_uid is null or not private.is_admin() then
    return null;
  end if;
  v_row := to_jsonb(coalesce(new, old));
  v_session_id := case
    when tg_table_name = 'sessions' then (v_row ->> 'id')::uuid
    when tg_table_name = 'room_assignments' then
      (select r.session_id from public.rooms r where r.id = (v_row ->> 'room_id')::uuid)
    else (v_row ->> 'session_id')::uuid
  end;
  -- A host or moderator of the session acts as staff, not through admin powers.
  if exists (select 1 from public.session_staff st
             where st.session_id = v_session_id and st.user_id = v_uid and st.role in ('host', 'moderator')) then
    return null;
  end if;
  v_target_id := coalesce((v_row ->> 'id')::uuid, (v_row ->> 'user_id')::uuid);
  -- A one-to-one appointment's topic is its participants' (33_counselling.sql): an admin acting on it
  -- through admin powers does not read it, nor does the audit log keep it (its before and after).
  v_strip := case when tg_table_name = 'sessions' and v_row ->> 'kind' = 'one_to_one' then array['topic'] else '{}' end;
  perform private.audit(
    'admin_' || tg_table_name || '_' || case tg_op when 'INSERT' then 'inserted' when 'UPDATE' then 'updated' else 'deleted' end,
    tg_table_name, v_target_id,
    case when tg_op = 'INSERT' then null else to_jsonb(old) - v_strip end,
    case when tg_op = 'DELETE' then null else to_jsonb(new) - v_strip end,
    jsonb_build_object('session_id', v_session_id)
      || case when v_row ? 'user_id' and tg_table_name <> 'sessions' then jsonb_build_object('user_id', v_row ->> 'user_id')
              else '{}'::jsonb end);
  return null;
end;
$$;
comment on function private.audit_admin_session_act() is
  'Trigger after a write to a session''s tables: when the actor is a platform admin who is not host or moderator of '
  'that session, appends admin_<table>_<inserted|updated|deleted> to audit_log with the changed fields (a one-to-one '
  'appointment''s without its topic). Internal.';
revoke execute on function private.audit_admin_session_act() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Moderation writes only: a chat message or question being posted, upvoted or counted is not an
-- admin act, and those hot paths do not fire these triggers.
create trigger sessions_audit_admin_act after update or delete on public.sessions
  for each row execute function private.audit_admin_session_act();
create trigger session_staff_audit_admin_act after insert or update or delete on public.session_staff
  for each row execute function private.audit_admin_session_act();
create trigger session_bans_audit_admin_act after insert or update or delete on public.session_bans
  for each row execute function private.audit_admin_session_act();
create trigger streams_audit_admin_act after insert or update or delete on public.streams
  for each row execute function private.audit_admin_session_act();
create trigger chat_messages_audit_admin_act after update of is_pinned, deleted_at on public.chat_messages
  for each row execute function private.audit_admin_session_act();
create trigger questions_audit_admin_act after update of status, answer or delete on public.questions
  for each row execute function private.audit_admin_session_act();
create trigger polls_audit_admin_act after insert or update or delete on public.polls
  for each row execute function private.audit_admin_session_act();
create trigger surveys_audit_admin_act after insert or update or delete on public.surveys
  for each row execute function private.audit_admin_session_act();
create trigger rooms_audit_admin_act after insert or update or delete on public.rooms
  for each row execute function private.audit_admin_session_act();
create trigger room_assignments_audit_admin_act after insert or delete on public.room_assignments
  for each row execute function private.audit_admin_session_act();
