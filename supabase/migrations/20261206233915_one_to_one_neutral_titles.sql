-- Data (hand-written, README "Changing the database" step 4): one-to-one appointments booked before
-- book_slot gave them the neutral title (33_counselling.sql) carried the patient's topic as their
-- title, and every subject, push title and calendar SUMMARY is built from the title. They get the
-- neutral title "One-to-one session" (the topic stays in sessions.topic), and the in-app notifications
-- already written about them, whose titles are "<prefix>: <session title>" ("Booking confirmed: ",
-- "Reminder: ", "Cancelled: ", "New time: "), get the neutral title after the same prefix (their bodies
-- never held the title), as do the copies in the email and push deliveries not sent yet (payload.title;
-- the templates of the session kinds read the session's title at dispatch time anyway). The sequence
-- is bumped so that calendar apps replace the SUMMARY they hold. No trigger acts on these columns
-- alone (the admin audit trigger does nothing without a signed-in admin).
update public.notifications n
   set title = left(n.title, char_length(n.title) - char_length(s.title)) || 'One-to-one session'
  from public.sessions s
 where s.kind = 'one_to_one'
   and s.title <> 'One-to-one session'
   and n.data ->> 'session_id' = s.id::text
   and n.title like '%: ' || replace(replace(replace(s.title, '\', '\\'), '%', '\%'), '_', '\_');

update public.notification_deliveries d
   set payload = jsonb_set(d.payload, '{title}',
                           to_jsonb(left(d.payload ->> 'title', char_length(d.payload ->> 'title') - char_length(s.title))
                                    || 'One-to-one session'))
  from public.sessions s
 where s.kind = 'one_to_one'
   and s.title <> 'One-to-one session'
   and d.session_id = s.id
   and d.status <> 'sent'
   and d.payload ->> 'title' like '%: ' || replace(replace(replace(s.title, '\', '\\'), '%', '\%'), '_', '\_');

update public.sessions s
   set title = 'One-to-one session', sequence = s.sequence + 1
 where s.kind = 'one_to_one'
   and s.title <> 'One-to-one session';
