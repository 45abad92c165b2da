-- Demo resources library (issue 17): audio, PDFs, videos, articles and links in Dutch, English and
-- Portuguese by coaches Anna de Vries (sales) and Pieter Bakker (smart farming) and the admin
-- (wellbeing), with every visibility, a draft, a private note and one hidden by the admin; attached
-- to seeded sessions and programs as their materials; and a week of views and downloads by members
-- (resource_activity, with resource_daily_stats derived from it, so the numbers agree).
-- Files are metadata only (file_path, MIME type, size, duration or pages): the rows Storage would
-- hold for them are not seeded, so a download of a seeded file finds nothing until a file is
-- uploaded to that path. Runs once as postgres after seed.sql.
-- Ids: resources 00000000-0000-4000-8f00-0000000000NN.

insert into public.resources (id, author_id, title, description, kind, language, tags, body, file_path, file_mime_type,
                              file_size_bytes, external_url, duration_seconds, page_count, visibility, status, published_at, created_at)
select id, author_id, title, description, kind, language, tags, body,
       case when file_name is not null then author_id::text || '/' || id::text || '/' || file_name end,
       file_mime_type, file_size_bytes, external_url, duration_seconds, page_count, visibility, status,
       case when status = 'published' then now() - published_days_ago * interval '1 day' end,
       now() - (published_days_ago + 1) * interval '1 day'
from (values
  -- Anna de Vries: sales (nl, en)
  ('00000000-0000-4000-8f00-000000000001'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Discovery-vragenlijst: 25 open vragen', 'Werkblad voor je volgende discovery call, met voorbeelden per fase.',
   'pdf', 'nl', array['discovery', 'vragen', 'werkblad'], null, 'discovery-vragenlijst.pdf', 'application/pdf', 482133::bigint, null,
   null, 6, 'attendees', 'published', 10),
  ('00000000-0000-4000-8f00-000000000002'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Pijn kwantificeren in vijf stappen', 'Van symptoom naar business case: rekenvoorbeelden uit de praktijk.',
   'article', 'nl', array['discovery', 'business case'], E'# Pijn kwantificeren\n\n1. Benoem het symptoom.\n2. Vraag naar de frequentie.\n3. Reken de kosten per keer uit.\n4. Vermenigvuldig naar een jaar.\n5. Laat de klant het getal bevestigen.',
   null, null, null, null, null, null, 'members', 'published', 9),
  ('00000000-0000-4000-8f00-000000000003'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Replay: Kick-off Het Sales Playbook', 'De opname van de kick-off, met de opzet van het playbook.',
   'video', 'nl', array['playbook', 'replay'], null, 'kickoff-playbook.mp4', 'video/mp4', 312457216::bigint, null,
   3840, null, 'attendees', 'published', 7),
  ('00000000-0000-4000-8f00-000000000004'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Closing checklist', 'Trial closes, next steps and the signature: a one-page checklist.',
   'pdf', 'en', array['closing', 'checklist'], null, 'closing-checklist.pdf', 'application/pdf', 158720::bigint, null,
   null, 1, 'members', 'published', 6),
  ('00000000-0000-4000-8f00-000000000005'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Handling price objections', 'Five answers to "it is too expensive", role-played.',
   'audio', 'en', array['objection handling', 'pricing'], null, 'price-objections.mp3', 'audio/mpeg', 14680064::bigint, null,
   917, null, 'public', 'published', 5),
  ('00000000-0000-4000-8f00-000000000006'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Value selling: ROI-calculator', 'Spreadsheet-template om de ROI van je voorstel door te rekenen.',
   'link', 'nl', array['value selling', 'roi'], null, null, null, null, 'https://docs.example.com/templates/roi-calculator',
   null, null, 'members', 'published', 4),
  ('00000000-0000-4000-8f00-000000000007'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Onderhandelen met inkoop (concept)', 'Fase 4, nog in voorbereiding.',
   'article', 'nl', array['negotiation'], E'# Onderhandelen met inkoop\n\nWordt aangevuld.', null, null, null, null, null, null,
   'members', 'draft', 0),
  ('00000000-0000-4000-8f00-000000000008'::uuid, '00000000-0000-4000-a000-000000000011'::uuid,
   'Notities pipeline review Daan', 'Persoonlijke voorbereiding.',
   'article', 'nl', array['pipeline'], E'Deals in fase 3 nalopen; forecast Q1 bespreken.', null, null, null, null, null, null,
   'private', 'published', 3),
  -- Pieter Bakker: smart farming (nl, pt)
  ('00000000-0000-4000-8f00-000000000009'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'NDVI-beelden lezen', 'Wat de kleuren op je taakkaart betekenen, met voorbeelden van drie percelen.',
   'pdf', 'nl', array['drones', 'ndvi', 'precisielandbouw'], null, 'ndvi-beelden-lezen.pdf', 'application/pdf', 2621440::bigint, null,
   null, 14, 'public', 'published', 8),
  ('00000000-0000-4000-8f00-00000000000a'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'Replay: Bodemsensoren & Data', 'De opname van de expert Q&A over bodemsensoren.',
   'video', 'nl', array['bodemsensoren', 'replay'], null, 'bodemsensoren-replay.mp4', 'video/mp4', 268435456::bigint, null,
   3600, null, 'attendees', 'published', 6),
  ('00000000-0000-4000-8f00-00000000000b'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'Irrigação inteligente: guia prático', 'Como usar sensores de humidade e previsões do tempo para regar menos.',
   'pdf', 'pt', array['irrigação', 'sensores'], null, 'irrigacao-inteligente.pdf', 'application/pdf', 1835008::bigint, null,
   null, 9, 'members', 'published', 5),
  ('00000000-0000-4000-8f00-00000000000c'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'Drones na agricultura de precisão', 'Entrevista em áudio sobre mapas de tarefas e custos por hectare.',
   'audio', 'pt-BR', array['drones', 'agricultura de precisão'], null, 'drones-agricultura.m4a', 'audio/mp4', 22020096::bigint, null,
   1380, null, 'public', 'published', 4),
  ('00000000-0000-4000-8f00-00000000000d'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'Sensor price list 2026', 'Supplier prices for soil moisture sensors.',
   'link', 'en', array['sensors'], null, null, null, null, 'https://suppliers.example.com/price-list-2026',
   null, null, 'members', 'published', 3),
  -- Eva Jansen (admin): wellbeing (en, nl, pt)
  ('00000000-0000-4000-8f00-00000000000e'::uuid, '00000000-0000-4000-a000-000000000001'::uuid,
   'Breathing exercise for stressful calls', 'A four-minute guided breathing exercise before a difficult conversation.',
   'audio', 'en', array['stress', 'breathing', 'wellbeing'], null, 'breathing-exercise.mp3', 'audio/mpeg', 3932160::bigint, null,
   245, null, 'public', 'published', 12),
  ('00000000-0000-4000-8f00-00000000000f'::uuid, '00000000-0000-4000-a000-000000000001'::uuid,
   'Beter slapen na een drukke week', 'Vijf gewoontes voor een rustiger avond.',
   'article', 'nl', array['slaap', 'wellbeing'], E'# Beter slapen\n\n- Vaste tijden\n- Geen schermen na tienen\n- Een korte wandeling\n- Schrijf je zorgen op\n- Een ademhalingsoefening',
   null, null, null, null, null, null, 'members', 'published', 11),
  ('00000000-0000-4000-8f00-000000000010'::uuid, '00000000-0000-4000-a000-000000000001'::uuid,
   'Gerir a ansiedade no trabalho', 'Exercícios curtos para momentos de ansiedade antes de uma reunião.',
   'article', 'pt', array['ansiedade', 'bem-estar'], E'# Gerir a ansiedade\n\nRespire fundo, conte até quatro e escreva o que o preocupa.',
   null, null, null, null, null, null, 'members', 'published', 10),
  ('00000000-0000-4000-8f00-000000000011'::uuid, '00000000-0000-4000-a000-000000000001'::uuid,
   'Mindfulness for sales teams', 'A short video series on focus between calls.',
   'video', 'en', array['mindfulness', 'focus', 'wellbeing'], null, null, null, null, 'https://videos.example.com/mindfulness-sales',
   1260, null, 'members', 'published', 9),
  ('00000000-0000-4000-8f00-000000000012'::uuid, '00000000-0000-4000-a000-000000000012'::uuid,
   'Goedkope drones: onze ervaringen', 'Reviews van budgetdrones.',
   'link', 'nl', array['drones'], null, null, null, null, 'https://affiliate.example.com/drones?ref=pieter',
   null, null, 'public', 'published', 2)
) as r (id, author_id, title, description, kind, language, tags, body, file_name, file_mime_type, file_size_bytes, external_url,
        duration_seconds, page_count, visibility, status, published_days_ago);

-- Hidden by the admin, with the reason the author sees.
update public.resources
   set hidden_at = now() - interval '1 day', hidden_by = '00000000-0000-4000-a000-000000000001',
       hidden_reason = 'Affiliate links are not allowed in the library.'
 where id = '00000000-0000-4000-8f00-000000000012';

-- Session and program materials.
insert into public.resource_links (resource_id, session_id, program_id, added_by, created_at) values
  ('00000000-0000-4000-8f00-000000000001', '00000000-0000-4000-d000-000000000001', null, '00000000-0000-4000-a000-000000000011', now() - interval '25 minutes'),
  ('00000000-0000-4000-8f00-000000000002', '00000000-0000-4000-d000-000000000001', null, '00000000-0000-4000-a000-000000000011', now() - interval '10 minutes'),
  ('00000000-0000-4000-8f00-000000000004', '00000000-0000-4000-d000-000000000002', null, '00000000-0000-4000-a000-000000000011', now() - interval '2 days'),
  ('00000000-0000-4000-8f00-000000000003', '00000000-0000-4000-d000-000000000004', null, '00000000-0000-4000-a000-000000000011', now() - interval '6 days'),
  ('00000000-0000-4000-8f00-000000000006', '00000000-0000-4000-d000-000000000003', null, '00000000-0000-4000-a000-000000000011', now() - interval '3 days'),
  ('00000000-0000-4000-8f00-000000000005', null, '00000000-0000-4000-b000-000000000001', '00000000-0000-4000-a000-000000000011', now() - interval '5 days'),
  ('00000000-0000-4000-8f00-000000000009', '00000000-0000-4000-d000-000000000009', null, '00000000-0000-4000-a000-000000000012', now() - interval '4 days'),
  ('00000000-0000-4000-8f00-00000000000a', '00000000-0000-4000-d000-000000000010', null, '00000000-0000-4000-a000-000000000012', now() - interval '5 days'),
  ('00000000-0000-4000-8f00-00000000000b', null, '00000000-0000-4000-b000-000000000002', '00000000-0000-4000-a000-000000000012', now() - interval '5 days'),
  ('00000000-0000-4000-8f00-00000000000c', null, '00000000-0000-4000-b000-000000000002', '00000000-0000-4000-a000-000000000012', now() - interval '4 days');

-- A week of views and downloads: each member opened some of the published resources they may read
-- (public and members ones) on one day; downloads for files only. One activity row per user,
-- resource and kind, and the daily numbers are counted from those rows.
insert into public.resource_activity (resource_id, user_id, kind, first_at, last_counted_at, last_day, counted)
select r.id, u.id, k.kind, t.at, t.at, (t.at at time zone 'utc')::date, 1
from public.resources r
cross join (select ('00000000-0000-4000-a000-0000000001' || lpad(n::text, 2, '0'))::uuid as id, n from generate_series(1, 20) n) u
cross join (values ('view'), ('download')) as k (kind)
cross join lateral (select now() - ((u.n * 7 + ascii(right(r.id::text, 1))) % 7) * interval '1 day' - (u.n % 5) * interval '1 hour' as at) t
where r.status = 'published' and r.hidden_at is null and r.visibility in ('public', 'members')
  and (u.n + ascii(right(r.id::text, 1))) % 3 <> 0
  and (k.kind = 'view' or (r.file_path is not null and (u.n + ascii(right(r.id::text, 1))) % 2 = 0));

insert into public.resource_daily_stats (resource_id, day, views, downloads, unique_viewers, unique_downloaders)
select a.resource_id, a.last_day,
       count(*) filter (where a.kind = 'view'), count(*) filter (where a.kind = 'download'),
       count(*) filter (where a.kind = 'view'), count(*) filter (where a.kind = 'download')
from public.resource_activity a
where a.resource_id::text like '00000000-0000-4000-8f00-%'
group by a.resource_id, a.last_day;
