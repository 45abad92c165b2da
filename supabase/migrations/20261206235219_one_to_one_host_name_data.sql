-- Data (hand-written, README "Changing the database" step 4): the seat rows of one-to-one sessions
-- (session_seats.host_id/host_name, read by session_cards and a session's .ics) were written by the former
-- private.first_host, which named whichever host's id sorted first when a second host was added in the
-- booking's transaction. They get the coach (private.first_host now: private.one_to_one_coach).
update private.session_seats ss
   set host_id = h.user_id, host_name = h.display_name
  from public.sessions s
 cross join lateral private.first_host(s.id) h
 where s.id = ss.session_id
   and s.kind = 'one_to_one'
   and (ss.host_id, ss.host_name) is distinct from (h.user_id, h.display_name);
