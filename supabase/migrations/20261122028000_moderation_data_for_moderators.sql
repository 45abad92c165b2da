-- Deleted chat messages and the ban list are for hosts and moderators, not for speakers.
--
-- Why: the chat_messages policy let every staff member of a session (session_staff, so speakers
-- too) read moderated-away messages, and the session_bans policy let them read every ban with its
-- reason and who gave it. Speakers have no moderation power (delete_message, ban_user and unban_user
-- refuse them), and hidden content elsewhere (pending questions, draft polls and surveys, since
-- 20261121234000) is limited to hosts and moderators. chat_history and chat_since read through the
-- chat_messages policy, so they follow.

alter policy "members read the chat of their sessions and staff also read del" on public.chat_messages
  using (
    session_id in (select private.my_chat_session_ids())
    and (deleted_at is null or session_id in (select private.staff_session_ids(array['host', 'moderator'])))
  );

alter policy "staff read the bans of their sessions and users read their own " on public.session_bans
  using (session_id in (select private.staff_session_ids(array['host', 'moderator'])) or user_id = (select auth.uid()));
