-- Demo chat in the seeded live session "Live Q&A: Discovery Technieken" (…d000-000000000001): a
-- welcome announcement pinned by the host, questions and answers from booked members, the moderator
-- steering, one spam message deleted by the moderator and its author banned. Runs once as postgres
-- after seed.sql (config.toml [db.seed]); the rows go in directly, with timestamps spread over the
-- last 18 minutes (the RPC would stamp them all now and rate-limit the burst).
-- Ids: messages 00000000-0000-4000-8c00-0000000000NN.

insert into public.chat_messages (id, session_id, room_id, user_id, body, kind, is_pinned, pinned_at, created_at)
select ('00000000-0000-4000-8c00-0000000000' || lpad(m.n::text, 2, '0'))::uuid,
       '00000000-0000-4000-d000-000000000001', m.room_id::uuid, m.user_id::uuid, m.body, m.kind,
       m.pinned, case when m.pinned then now() - interval '17 minutes' end,
       now() - m.ago
from (values
  (1, null, '00000000-0000-4000-a000-000000000011', 'Welkom allemaal! Stel je vragen over discovery calls hier in de chat of via Q&A.', 'announcement', true, interval '18 minutes'),
  (2, null, '00000000-0000-4000-a000-000000000101', 'Goedemiddag! Fijn dat deze sessie live is.', 'message', false, interval '17 minutes 30 seconds'),
  (3, null, '00000000-0000-4000-a000-000000000103', 'Hi from London, following along with the English slides.', 'message', false, interval '17 minutes'),
  (4, null, '00000000-0000-4000-a000-000000000104', 'Hoe open je een discovery call zonder dat het een verhoor wordt?', 'message', false, interval '15 minutes 40 seconds'),
  (5, null, '00000000-0000-4000-a000-000000000102', 'Goede vraag Lotte, die neemt Anna zo mee. Zet vervolgvragen gerust in Q&A.', 'message', false, interval '15 minutes'),
  (6, null, '00000000-0000-4000-a000-000000000105', 'Is there a template for quantifying pain in euros?', 'message', false, interval '13 minutes 20 seconds'),
  (7, null, '00000000-0000-4000-a000-000000000113', 'Koop nu goedkope volgers!!! www.spam.example', 'message', false, interval '12 minutes'),
  (8, null, '00000000-0000-4000-a000-000000000106', 'Die vraag over de beslisser herken ik: vaak zit de echte koper niet in de call.', 'message', false, interval '10 minutes'),
  (9, null, '00000000-0000-4000-a000-000000000011', 'De template voor pijn kwantificeren staat in de programmapagina onder "Materialen".', 'message', false, interval '8 minutes 30 seconds'),
  (10, null, '00000000-0000-4000-a000-000000000107', 'Thanks! Werkt dit ook voor agrarische klanten met lange beslistrajecten?', 'message', false, interval '6 minutes'),
  (11, '00000000-0000-4000-e000-000000000002', '00000000-0000-4000-a000-000000000104', 'In de breakout: wie wil er beginnen met de openingsvraag?', 'message', false, interval '4 minutes'),
  (12, '00000000-0000-4000-e000-000000000002', '00000000-0000-4000-a000-000000000106', 'Ik! "Wat heeft jullie doen besluiten om nu naar dit probleem te kijken?"', 'message', false, interval '3 minutes 30 seconds'),
  (13, null, '00000000-0000-4000-a000-000000000108', 'Great session so far, the five-why exercise really clicked for me.', 'message', false, interval '2 minutes'),
  (14, null, '00000000-0000-4000-a000-000000000102', 'Nog 5 minuten tot de breakouts sluiten, rond je laatste oefening af.', 'message', false, interval '1 minute')
) as m(n, room_id, user_id, body, kind, pinned, ago);

-- The spam message, deleted by the moderator (member02), and its author banned from the session.
update public.chat_messages
   set deleted_at = now() - interval '11 minutes 30 seconds', deleted_by = '00000000-0000-4000-a000-000000000102'
 where id = '00000000-0000-4000-8c00-000000000007';
insert into public.session_bans (session_id, user_id, reason, banned_by, created_at)
values ('00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000113', 'Spam in de chat',
        '00000000-0000-4000-a000-000000000102', now() - interval '11 minutes 30 seconds');
