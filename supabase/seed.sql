-- Demo data for local development (`supabase start` / scripts): users who can sign in with
-- password123, a sales coaching curriculum and a smart farming Q&A series, sessions that are live,
-- upcoming, ended, draft, private and cancelled relative to now(), streams, breakout rooms and
-- bookings (a full session with a waitlist). Runs once as postgres after the migrations.
--
-- Fixed ids, so docs and test JWTs can refer to them:
--   admin@example.com        00000000-0000-4000-a000-000000000001  admin
--   coach.anna@example.com   00000000-0000-4000-a000-000000000011  coach, main host (sales)
--   coach.pieter@example.com 00000000-0000-4000-a000-000000000012  coach, host (smart farming)
--   coach.sophie@example.com 00000000-0000-4000-a000-000000000013  member with a pending coach application
--   member01..20@example.com 00000000-0000-4000-a000-0000000001NN  members (member01 is booked on most sessions)
--   programs 00000000-0000-4000-b000-00000000000N, event ...-c000-..., sessions ...-d000-0000000000NN

-- ---------------------------------------------------------------------------------------------
-- Users (auth.users + auth.identities; the identity trigger creates profiles and member roles)
-- ---------------------------------------------------------------------------------------------
create temporary table seed_people (id uuid, email text, display_name text, company text, title text, timezone text);


insert into seed_people values
  ('00000000-0000-4000-a000-000000000001', 'admin@example.com', 'Eva Jansen', 'Live Sessions', 'Platform admin', 'Europe/Amsterdam'),
  ('00000000-0000-4000-a000-000000000011', 'coach.anna@example.com', 'Anna de Vries', 'Closing Academy', 'Senior sales coach', 'Europe/Amsterdam'),
  ('00000000-0000-4000-a000-000000000012', 'coach.pieter@example.com', 'Pieter Bakker', 'AgriTech Lab', 'Precision farming expert', 'Europe/Amsterdam'),
  ('00000000-0000-4000-a000-000000000013', 'coach.sophie@example.com', 'Sophie Williams', 'Growth Partners', 'Account executive', 'Europe/London');

insert into seed_people
select ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid,
       'member' || lpad(n::text, 2, '0') || '@example.com',
       p.display_name, p.company, p.title, p.timezone
from (values
  (1, 'Daan Visser', 'Visser Installatietechniek', 'Account manager', 'Europe/Amsterdam'),
  (2, 'Emma Smit', 'Smit & Zonen', 'Sales director', 'Europe/Amsterdam'),
  (3, 'James Carter', 'Northwind Traders', 'Business development rep', 'Europe/London'),
  (4, 'Lotte Meijer', 'Boerderij De Eik', 'Farm manager', 'Europe/Amsterdam'),
  (5, 'Oliver Brown', 'Contoso Ltd', 'Sales engineer', 'Europe/London'),
  (6, 'Sanne de Boer', 'De Boer Logistiek', 'Inside sales', 'Europe/Amsterdam'),
  (7, 'Thomas Mulder', 'Mulder Agro', 'Agronomist', 'Europe/Amsterdam'),
  (8, 'Charlotte Evans', 'Fabrikam', 'Customer success lead', 'America/New_York'),
  (9, 'Bram de Groot', 'GreenField Robotics', 'Founder', 'Europe/Amsterdam'),
  (10, 'Isabel Bos', 'Bos Consultancy', 'Consultant', 'Europe/Amsterdam'),
  (11, 'Harry Wilson', 'Tailspin Toys', 'Regional sales manager', 'Europe/London'),
  (12, 'Fleur Vos', 'Vos Kaasmakerij', 'Owner', 'Europe/Amsterdam'),
  (13, 'Noah Peters', 'Peters Melkveehouderij', 'Dairy farmer', 'Europe/Amsterdam'),
  (14, 'Grace Taylor', 'Litware', 'SDR team lead', 'Europe/Dublin'),
  (15, 'Julia Hendriks', 'Hendriks Software', 'Account executive', 'Europe/Amsterdam'),
  (16, 'Luuk van Dijk', 'Van Dijk Kassen', 'Greenhouse manager', 'Europe/Amsterdam'),
  (17, 'Amelia Clarke', 'Wide World Importers', 'Key account manager', 'Europe/London'),
  (18, 'Sem Dekker', 'Dekker Machines', 'Sales trainee', 'Europe/Amsterdam'),
  (19, 'Mila Jacobs', 'Jacobs Zaden', 'Product specialist', 'Europe/Brussels'),
  (20, 'George Hughes', 'Adventure Works', 'VP Sales', 'UTC')
) as p(n, display_name, company, title, timezone);

insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
select '00000000-0000-0000-0000-000000000000', p.id, 'authenticated', 'authenticated', p.email,
       extensions.crypt('password123', extensions.gen_salt('bf')), now(),
       '{"provider":"email","providers":["email"]}',
       jsonb_build_object('display_name', p.display_name, 'company', p.company, 'title', p.title, 'timezone', p.timezone),
       now() - interval '30 days', now() - interval '30 days', '', '', '', ''
from seed_people p;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select p.id::text, p.id, jsonb_build_object('sub', p.id::text, 'email', p.email, 'email_verified', true),
       'email', now() - interval '1 day', now() - interval '30 days', now() - interval '30 days'
from seed_people p;

update public.user_roles set role = 'admin' where user_id = '00000000-0000-4000-a000-000000000001';
update public.user_roles set role = 'coach'
where user_id in ('00000000-0000-4000-a000-000000000011', '00000000-0000-4000-a000-000000000012');

-- Sophie applied to become a coach; she stays a member until an admin approves.
do $$
begin
  if to_regclass('public.coach_applications') is not null
     and exists (select 1 from information_schema.columns
                 where table_schema = 'public' and table_name = 'coach_applications' and column_name = 'motivation') then
    execute $sql$
      insert into public.coach_applications (user_id, motivation)
      values ('00000000-0000-4000-a000-000000000013',
              'Ik coach al vijf jaar SDR-teams en wil live sessies geven over cold calling en discovery.')
    $sql$;
  end if;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Programs and events
-- ---------------------------------------------------------------------------------------------
insert into public.programs (id, name, description, status, is_on_demand, replay_video_id, thumbnail_url, created_by, created_at) values
  ('00000000-0000-4000-b000-000000000001', 'Sales Mastery: van Discovery tot Closing',
   'Een live curriculum in vier fases: discovery, value selling, closing en onderhandelen. Elke week live coaching en Q&A met Anna de Vries.',
   'live', true, 'sales-mastery-2026', 'https://images.example.com/programs/sales-mastery.jpg',
   '00000000-0000-4000-a000-000000000011', now() - interval '21 days'),
  ('00000000-0000-4000-b000-000000000002', 'Smart Farming Expert Q&A',
   'Maandelijkse expert-sessies over precisielandbouw, sensoren, drones en data op het boerenerf.',
   'live', false, null, 'https://images.example.com/programs/smart-farming.jpg',
   '00000000-0000-4000-a000-000000000012', now() - interval '20 days');

insert into public.events (id, program_id, title, slug, description, status, starts_at, ends_at, created_by) values
  ('00000000-0000-4000-c000-000000000001', '00000000-0000-4000-b000-000000000001', 'Sales Kick-off 2026', 'sales-kickoff-2026',
   'De kick-off week van het curriculum: playbook, discovery en de eerste live coaching.', 'live',
   date_trunc('day', now()) - interval '7 days', date_trunc('day', now()) + interval '14 days',
   '00000000-0000-4000-a000-000000000011'),
  ('00000000-0000-4000-c000-000000000002', '00000000-0000-4000-b000-000000000002', 'AgriTech Dag', 'agritech-dag-2026',
   'Een dag vol expert Q&A over data-gedreven landbouw.', 'draft',
   date_trunc('day', now()) + interval '30 days', date_trunc('day', now()) + interval '31 days',
   '00000000-0000-4000-a000-000000000012');

-- ---------------------------------------------------------------------------------------------
-- Sessions (the creator becomes host through the sessions trigger)
-- ---------------------------------------------------------------------------------------------
-- The rows carry their meeting details, which live in session_secrets: written once here, then split.
create temporary table seed_sessions as
  select s.*, null::text as meeting_url, null::text as meeting_password from public.sessions s with no data;
insert into seed_sessions (id, program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone,
                             status, visibility, capacity, waitlist_enabled, price_cents, currency, meeting_url, meeting_password,
                             replay_url, thumbnail_url, slow_mode_seconds, qa_moderation, sequence, cancel_reason,
                             started_at, ended_at, created_by, created_at) values
  -- live now
  ('00000000-0000-4000-d000-000000000001', '00000000-0000-4000-b000-000000000001', '00000000-0000-4000-c000-000000000001',
   'Live Q&A: Discovery Technieken', 'Stel je vragen over discovery calls: open vragen, pijn kwantificeren en de juiste beslissers vinden.',
   'Discovery', 1, now() - interval '20 minutes', 60, 'Europe/Amsterdam', 'live', 'public', 50, false, 0, 'EUR',
   'https://meet.example.com/discovery-qa', 'disc0very', null, 'https://images.example.com/sessions/discovery.jpg',
   0, true, 2, null, now() - interval '18 minutes', null, '00000000-0000-4000-a000-000000000011', now() - interval '14 days'),
  -- upcoming, full, with a waitlist
  ('00000000-0000-4000-d000-000000000002', '00000000-0000-4000-b000-000000000001', null,
   'Live Coaching: Closing Mastery', 'Kleine groep, live rollenspel: trial closes, bezwaren en de laatste stap naar de handtekening.',
   'Closing', 3, date_trunc('hour', now()) + interval '2 days 10 hours', 90, 'Europe/Amsterdam', 'scheduled', 'members', 6, true, 0, 'EUR',
   'https://meet.example.com/closing-mastery', 'cl0se!', null, 'https://images.example.com/sessions/closing.jpg',
   10, false, 1, null, null, null, '00000000-0000-4000-a000-000000000011', now() - interval '10 days'),
  -- upcoming, paid
  ('00000000-0000-4000-d000-000000000003', '00000000-0000-4000-b000-000000000001', null,
   'Live Coaching: Value Selling', 'Van features naar business value: ROI-verhalen die inkopers overtuigen.',
   'Value selling', 2, date_trunc('hour', now()) + interval '5 days 14 hours', 60, 'Europe/Amsterdam', 'scheduled', 'public', 30, true, 4900, 'EUR',
   'https://meet.example.com/value-selling', null, null, 'https://images.example.com/sessions/value.jpg',
   0, false, 1, null, null, null, '00000000-0000-4000-a000-000000000011', now() - interval '9 days'),
  -- ended, with a replay
  ('00000000-0000-4000-d000-000000000004', '00000000-0000-4000-b000-000000000001', '00000000-0000-4000-c000-000000000001',
   'Kick-off: Het Sales Playbook', 'De start van het curriculum: hoe het programma werkt en het playbook dat we samen bouwen.',
   'Playbook', 1, date_trunc('hour', now()) - interval '7 days', 60, 'Europe/Amsterdam', 'ended', 'public', null, false, 0, 'EUR',
   'https://meet.example.com/kickoff', null, 'https://videos.example.com/replays/kickoff', 'https://images.example.com/sessions/kickoff.jpg',
   0, false, 3, null, date_trunc('hour', now()) - interval '7 days', date_trunc('hour', now()) - interval '7 days' + interval '64 minutes',
   '00000000-0000-4000-a000-000000000011', now() - interval '20 days'),
  ('00000000-0000-4000-d000-000000000005', '00000000-0000-4000-b000-000000000001', null,
   'Workshop: Bezwaren Ombuigen', 'Objection handling in de praktijk met echte cases van deelnemers.',
   'Objection handling', 2, date_trunc('hour', now()) - interval '3 days', 75, 'Europe/Amsterdam', 'ended', 'members', 40, false, 0, 'EUR',
   'https://meet.example.com/objections', null, 'https://videos.example.com/replays/objections', null,
   0, false, 3, null, date_trunc('hour', now()) - interval '3 days', date_trunc('hour', now()) - interval '3 days' + interval '80 minutes',
   '00000000-0000-4000-a000-000000000011', now() - interval '12 days'),
  -- draft
  ('00000000-0000-4000-d000-000000000006', '00000000-0000-4000-b000-000000000001', null,
   'Live Coaching: Onderhandelen met Inkoop', 'Fase 4: korting voorkomen, concessies ruilen en de inkoper als partner.',
   'Negotiation', 4, date_trunc('hour', now()) + interval '14 days', 60, 'Europe/Amsterdam', 'draft', 'public', 40, true, 0, 'EUR',
   null, null, null, null, 0, false, 0, null, null, null, '00000000-0000-4000-a000-000000000011', now() - interval '1 day'),
  -- private one-on-one
  ('00000000-0000-4000-d000-000000000007', '00000000-0000-4000-b000-000000000001', null,
   '1-op-1: Pipeline Review', 'Persoonlijke review van je pipeline en forecast.',
   'Pipeline', null, date_trunc('hour', now()) + interval '1 day 9 hours', 30, 'Europe/Amsterdam', 'scheduled', 'private', 1, false, 0, 'EUR',
   'https://meet.example.com/pipeline-review-daan', 'pipe1ine', null, null, 0, false, 1, null, null, null,
   '00000000-0000-4000-a000-000000000011', now() - interval '5 days'),
  -- cancelled
  ('00000000-0000-4000-d000-000000000008', '00000000-0000-4000-b000-000000000001', null,
   'Cold Calling Bootcamp', 'Een ochtend bellen met live feedback.',
   'Prospecting', 1, date_trunc('hour', now()) + interval '3 days 9 hours', 120, 'Europe/Amsterdam', 'cancelled', 'public', 20, false, 0, 'EUR',
   'https://meet.example.com/cold-calling', null, null, null, 0, false, 2, 'De coach is helaas ziek; we plannen een nieuwe datum.', null, null,
   '00000000-0000-4000-a000-000000000011', now() - interval '8 days'),
  -- smart farming
  ('00000000-0000-4000-d000-000000000009', '00000000-0000-4000-b000-000000000002', null,
   'Expert Q&A: Precisielandbouw met Drones', 'Taakkaarten, NDVI-beelden en wat drones echt opleveren per hectare.',
   'Drones', null, date_trunc('hour', now()) + interval '1 day 19 hours', 60, 'Europe/Amsterdam', 'scheduled', 'public', null, false, 0, 'EUR',
   'https://meet.example.com/drones-qa', null, null, 'https://images.example.com/sessions/drones.jpg', 0, true, 1, null, null, null,
   '00000000-0000-4000-a000-000000000012', now() - interval '6 days'),
  ('00000000-0000-4000-d000-000000000010', '00000000-0000-4000-b000-000000000002', null,
   'Expert Q&A: Bodemsensoren & Data', 'Vocht, temperatuur en nutriënten meten: welke sensoren, welke dashboards.',
   'Soil sensors', null, date_trunc('hour', now()) - interval '6 days' + interval '19 hours', 60, 'Europe/Amsterdam', 'ended', 'public', null, false, 0, 'EUR',
   'https://meet.example.com/soil-qa', null, 'https://videos.example.com/replays/soil-sensors', null, 0, true, 3, null,
   date_trunc('hour', now()) - interval '6 days' + interval '19 hours', date_trunc('hour', now()) - interval '6 days' + interval '20 hours',
   '00000000-0000-4000-a000-000000000012', now() - interval '15 days'),
  ('00000000-0000-4000-d000-000000000011', '00000000-0000-4000-b000-000000000002', null,
   'Expert Q&A: Smart Irrigation', 'Druppelirrigatie sturen op weersvoorspelling en sensordata.',
   'Irrigation', null, date_trunc('hour', now()) + interval '21 days', 60, 'UTC', 'draft', 'members', 100, false, 0, 'EUR',
   null, null, null, null, 0, false, 0, null, null, null, '00000000-0000-4000-a000-000000000012', now() - interval '2 days');
insert into public.sessions (id, program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone, status,
  visibility, capacity, waitlist_enabled, price_cents, currency, replay_url, thumbnail_url,
  slow_mode_seconds, qa_moderation, sequence, cancel_reason, started_at, ended_at, created_by, created_at)
select id, program_id, event_id, title, description, topic, phase, starts_at, duration_minutes, timezone, status,
  visibility, capacity, waitlist_enabled, price_cents, currency, replay_url, thumbnail_url,
  slow_mode_seconds, qa_moderation, sequence, cancel_reason, started_at, ended_at, created_by, created_at
from seed_sessions;
insert into public.session_secrets (session_id, meeting_url, meeting_password)
select id, meeting_url, meeting_password from seed_sessions where meeting_url is not null or meeting_password is not null;
drop table seed_sessions;

-- Extra staff: a moderator and a guest speaker on the live Q&A.
insert into public.session_staff (session_id, user_id, role) values
  ('00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000102', 'moderator'),
  ('00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000012', 'speaker'),
  ('00000000-0000-4000-d000-000000000002', '00000000-0000-4000-a000-000000000102', 'moderator'),
  ('00000000-0000-4000-d000-000000000009', '00000000-0000-4000-a000-000000000104', 'moderator');

-- ---------------------------------------------------------------------------------------------
-- Streams and breakout rooms
-- ---------------------------------------------------------------------------------------------
insert into public.streams (session_id, source_type, source_url, status) values
  ('00000000-0000-4000-d000-000000000001', 'youtube', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'live'),
  ('00000000-0000-4000-d000-000000000001', 'rtmp', 'rtmps://ingest.example.com:443/live/sk_discovery_7f3a', 'live'),
  ('00000000-0000-4000-d000-000000000002', 'hls', 'https://stream.example.com/live/closing-mastery/index.m3u8', 'idle'),
  ('00000000-0000-4000-d000-000000000004', 'youtube', 'https://youtu.be/kickoff2026', 'ended'),
  ('00000000-0000-4000-d000-000000000009', 'jitsi', 'https://meet.jit.si/precisielandbouw-drones', 'idle');

insert into public.rooms (id, session_id, name, topic, speaker, thumbnail_url, is_main_stage, capacity, closes_at, status) values
  ('00000000-0000-4000-e000-000000000001', '00000000-0000-4000-d000-000000000001', 'Main stage', 'Discovery Q&A', 'Anna de Vries',
   'https://images.example.com/rooms/main.jpg', true, null, null, 'open'),
  ('00000000-0000-4000-e000-000000000002', '00000000-0000-4000-d000-000000000001', 'Breakout: Open vragen', 'Open vragen oefenen in duo''s',
   'Emma Smit', null, false, 8, now() + interval '25 minutes', 'open'),
  ('00000000-0000-4000-e000-000000000003', '00000000-0000-4000-d000-000000000001', 'Breakout: Pijn kwantificeren', 'Van symptoom naar business case',
   'Pieter Bakker', null, false, 8, now() + interval '25 minutes', 'open'),
  ('00000000-0000-4000-e000-000000000004', '00000000-0000-4000-d000-000000000004', 'Breakout: Playbook', 'Je eigen playbook opzetten',
   'Anna de Vries', null, false, 10, now() - interval '7 days' + interval '50 minutes', 'closed');

insert into public.room_assignments (room_id, user_id)
select case when n % 2 = 0 then '00000000-0000-4000-e000-000000000002'::uuid else '00000000-0000-4000-e000-000000000003'::uuid end,
       ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid
from generate_series(3, 10) n;

-- ---------------------------------------------------------------------------------------------
-- Bookings
-- ---------------------------------------------------------------------------------------------
-- Live Q&A: members 01 and 03-14 confirmed (02 moderates).
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000001', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '6 days' + n * interval '3 hours'
from generate_series(1, 14) n where n <> 2;
-- Closing Mastery: 6 seats taken, 3 on the waitlist.
insert into public.bookings (session_id, user_id, status, waitlist_position, created_at)
select '00000000-0000-4000-d000-000000000002', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid,
       case when n <= 7 then 'confirmed' else 'waitlisted' end,
       case when n <= 7 then null else n - 7 end,
       now() - interval '5 days' + n * interval '2 hours'
from generate_series(1, 10) n where n <> 2;
-- Value Selling: a few seats taken, one cancellation.
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000003', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '2 days' + n * interval '1 hour'
from unnest(array[1, 5, 8, 12, 15, 17]) n;
insert into public.bookings (session_id, user_id, status, created_at, cancelled_at) values
  ('00000000-0000-4000-d000-000000000003', '00000000-0000-4000-a000-000000000119', 'cancelled', now() - interval '3 days', now() - interval '1 day');
-- Ended kick-off and workshop.
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000004', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '12 days'
from generate_series(1, 18) n;
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000005', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '8 days'
from generate_series(1, 11) n;
-- Private pipeline review for member01; drones Q&A; the cancelled bootcamp's bookings were cancelled.
insert into public.bookings (session_id, user_id, status, created_at) values
  ('00000000-0000-4000-d000-000000000007', '00000000-0000-4000-a000-000000000101', 'confirmed', now() - interval '5 days');
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000009', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '4 days'
from unnest(array[1, 4, 7, 9, 13, 16, 19]) n;
insert into public.bookings (session_id, user_id, status, created_at)
select '00000000-0000-4000-d000-000000000010', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'confirmed',
       now() - interval '10 days'
from unnest(array[4, 7, 13, 16]) n;
insert into public.bookings (session_id, user_id, status, created_at, cancelled_at)
select '00000000-0000-4000-d000-000000000008', ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid, 'cancelled',
       now() - interval '7 days', now() - interval '1 day'
from generate_series(1, 5) n;
