-- Demo direct messages: a 1:1 between member01 (Daan Visser) and coach Anna de Vries with one
-- message Daan has not read yet, a small practice group (Lotte Meijer, Daan Visser, Sanne de Boer)
-- with unread messages for Daan and Sanne, and a fully read 1:1 between coach Pieter Bakker and
-- member02 (Emma Smit). Runs once as postgres after seed.sql (config.toml [db.seed]); rows go in
-- directly with timestamps spread over the last two days (the RPC would stamp them all now).
-- Ids: conversations 00000000-0000-4000-8d00-0000000000NN, messages 00000000-0000-4000-8e00-0000000000NN.

insert into public.conversations (id, kind, title, created_by, created_at)
values
  ('00000000-0000-4000-8d00-000000000001', 'direct', null, '00000000-0000-4000-a000-000000000101', now() - interval '2 days'),
  ('00000000-0000-4000-8d00-000000000002', 'group', 'Discovery oefengroep', '00000000-0000-4000-a000-000000000104',
   now() - interval '1 day 6 hours'),
  ('00000000-0000-4000-8d00-000000000003', 'direct', null, '00000000-0000-4000-a000-000000000012', now() - interval '1 day');

insert into private.direct_pairs (user_low, user_high, conversation_id)
values
  (least('00000000-0000-4000-a000-000000000101'::uuid, '00000000-0000-4000-a000-000000000011'::uuid),
   greatest('00000000-0000-4000-a000-000000000101'::uuid, '00000000-0000-4000-a000-000000000011'::uuid),
   '00000000-0000-4000-8d00-000000000001'),
  (least('00000000-0000-4000-a000-000000000012'::uuid, '00000000-0000-4000-a000-000000000102'::uuid),
   greatest('00000000-0000-4000-a000-000000000012'::uuid, '00000000-0000-4000-a000-000000000102'::uuid),
   '00000000-0000-4000-8d00-000000000003');

-- What each member has read (last_read_at): Daan has not read Anna's last message (4) nor Lotte's (8), Sanne has not read 7 and 8;
-- everyone else is up to date.
insert into public.conversation_members (conversation_id, user_id, role, joined_at, last_read_at)
select m.conversation_id::uuid, m.user_id::uuid, m.role, c.created_at, now() - m.read_ago
from (values
  ('00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000101', 'owner', interval '1 day 22 hours'),
  ('00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000011', 'member', interval '1 day 22 hours'),
  ('00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000104', 'owner', interval '45 minutes'),
  ('00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000101', 'member', interval '20 hours'),
  ('00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000106', 'member', interval '1 day 5 hours'),
  ('00000000-0000-4000-8d00-000000000003', '00000000-0000-4000-a000-000000000012', 'owner', interval '22 hours 50 minutes'),
  ('00000000-0000-4000-8d00-000000000003', '00000000-0000-4000-a000-000000000102', 'member', interval '22 hours 50 minutes')
) as m(conversation_id, user_id, role, read_ago)
join public.conversations c on c.id = m.conversation_id::uuid;

insert into public.direct_messages (id, conversation_id, user_id, body, created_at)
select ('00000000-0000-4000-8e00-0000000000' || lpad(m.n::text, 2, '0'))::uuid, m.conversation_id::uuid, m.user_id::uuid,
       m.body, now() - m.ago
from (values
  (1, '00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000101',
   'Hoi Anna, waar vind ik de template om pijn in euro''s te kwantificeren?', interval '2 days'),
  (2, '00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000011',
   'Hoi Daan! Die staat op de programmapagina onder "Materialen". Vul hem in voor je volgende call.', interval '1 day 23 hours'),
  (3, '00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000101',
   'Top, gevonden. Mag ik mijn ingevulde versie met je delen voor feedback?', interval '1 day 22 hours'),
  (4, '00000000-0000-4000-8d00-000000000001', '00000000-0000-4000-a000-000000000011',
   'Zeker, stuur maar. Ik kijk er voor de sessie van donderdag naar.', interval '3 hours'),
  (5, '00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000104',
   'Zullen we voor de volgende sessie samen de openingsvragen oefenen?', interval '1 day 6 hours'),
  (6, '00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000106',
   'Goed idee! Donderdagavond 20:00 kan ik.', interval '1 day 5 hours'),
  (7, '00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000101',
   'Ik ben erbij. Ik neem de rol van inkoper.', interval '20 hours'),
  (8, '00000000-0000-4000-8d00-000000000002', '00000000-0000-4000-a000-000000000104',
   'Prima, dan speel ik de beslisser die niet in de call zit.', interval '45 minutes'),
  (9, '00000000-0000-4000-8d00-000000000003', '00000000-0000-4000-a000-000000000102',
   'Pieter, bedankt voor de sessie over precisielandbouw. Zijn de slides beschikbaar?', interval '1 day'),
  (10, '00000000-0000-4000-8d00-000000000003', '00000000-0000-4000-a000-000000000012',
   'Graag gedaan Emma, de slides staan bij de replay.', interval '23 hours'),
  (11, '00000000-0000-4000-8d00-000000000003', '00000000-0000-4000-a000-000000000102',
   'Gevonden, dank je!', interval '22 hours 50 minutes')
) as m(n, conversation_id, user_id, body, ago);

-- The broadcast trigger created direct_message notifications for these rows. The seed keeps none:
-- 30_booking_notifications.test.sql counts every notification in the database (service_role) and
-- expects only its own, so seeded notifications would break it. Unread state lives in last_read_at.
delete from public.notifications n
 where n.kind = 'direct_message' and n.data ->> 'conversation_id' like '00000000-0000-4000-8d00-%';

update public.conversations c
   set last_message_at = (select max(m.created_at) from public.direct_messages m where m.conversation_id = c.id)
 where c.id::text like '00000000-0000-4000-8d00-%';
