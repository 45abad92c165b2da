-- Demo Q&A, polls and a survey in the seeded live session "Live Q&A: Discovery Technieken"
-- (…d000-000000000001, qa_moderation on): published, answered, anonymous and pending questions with
-- upvotes, an open poll with live results and votes, a closed poll, and an open feedback survey with
-- a few responses. Runs once as postgres after seed.sql and seeds/40_chat.sql; rows go in directly
-- (the triggers keep upvote counts and poll tallies, exactly as the RPCs would).
-- Ids: questions …4000-9a00-…, polls …4000-9b00-…, options …4000-9b10-…, survey …4000-9c00-….
-- Members 101 and 103-114 hold confirmed bookings (member02 moderates, member13 is banned).

insert into public.questions (id, session_id, user_id, body, is_anonymous, status, answer, answered_at, answered_by, created_at)
values
  ('00000000-0000-4000-9a00-000000000001', '00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000104',
   'Hoe open je een discovery call zonder dat het een verhoor wordt?', false, 'answered',
   'Begin met hun agenda: vraag wat ze vandaag zeker willen bespreken, en bouw je vragen daarop.',
   now() - interval '9 minutes', '00000000-0000-4000-a000-000000000011', now() - interval '15 minutes'),
  ('00000000-0000-4000-9a00-000000000002', '00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000105',
   'Is there a template for quantifying pain in euros?', false, 'published', null, null, null, now() - interval '13 minutes'),
  ('00000000-0000-4000-9a00-000000000003', '00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000110',
   'Wat doe je als de echte beslisser nooit in de call zit?', true, 'published', null, null, null, now() - interval '11 minutes'),
  ('00000000-0000-4000-9a00-000000000004', '00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000107',
   'Werkt deze aanpak ook voor agrarische klanten met lange beslistrajecten?', false, 'published', null, null, null, now() - interval '6 minutes'),
  ('00000000-0000-4000-9a00-000000000005', '00000000-0000-4000-d000-000000000001', '00000000-0000-4000-a000-000000000108',
   'Can you share the slides after the session?', false, 'pending', null, null, null, now() - interval '2 minutes');

-- Upvotes: the counters follow through the question_upvotes trigger.
insert into public.question_upvotes (question_id, user_id, created_at)
select ('00000000-0000-4000-9a00-00000000000' || u.q)::uuid, ('00000000-0000-4000-a000-0000000001' || lpad(u.m::text, 2, '0'))::uuid,
       now() - interval '5 minutes'
from (values (1, 1), (1, 3), (1, 5), (1, 6), (1, 9),
             (2, 1), (2, 4), (2, 8), (2, 11), (2, 12), (2, 14), (2, 3),
             (3, 4), (3, 6), (3, 7), (3, 9),
             (4, 10), (4, 12)) as u (q, m);

-- An open poll with live results, voted by nine members, and a closed one from earlier.
insert into public.polls (id, session_id, question, kind, max_choices, status, results_visibility, is_anonymous, opened_at, closed_at,
                          created_by, created_at)
values
  ('00000000-0000-4000-9b00-000000000001', '00000000-0000-4000-d000-000000000001', 'Welke discovery-vraag gebruik je het vaakst?',
   'single', 1, 'open', 'live', false, now() - interval '7 minutes', null, '00000000-0000-4000-a000-000000000011', now() - interval '8 minutes'),
  ('00000000-0000-4000-9b00-000000000002', '00000000-0000-4000-d000-000000000001', 'Which topics should the next session cover?',
   'multiple', 2, 'closed', 'after_close', true, now() - interval '17 minutes', now() - interval '12 minutes',
   '00000000-0000-4000-a000-000000000102', now() - interval '18 minutes');
insert into public.poll_options (id, poll_id, label, position)
values
  ('00000000-0000-4000-9b10-000000000011', '00000000-0000-4000-9b00-000000000001', 'Wat heeft jullie doen besluiten om nu te kijken?', 1),
  ('00000000-0000-4000-9b10-000000000012', '00000000-0000-4000-9b00-000000000001', 'Wat kost dit probleem jullie per maand?', 2),
  ('00000000-0000-4000-9b10-000000000013', '00000000-0000-4000-9b00-000000000001', 'Wie beslist er nog meer mee?', 3),
  ('00000000-0000-4000-9b10-000000000014', '00000000-0000-4000-9b00-000000000001', 'Wat gebeurt er als jullie niets doen?', 4),
  ('00000000-0000-4000-9b10-000000000021', '00000000-0000-4000-9b00-000000000002', 'Negotiation', 1),
  ('00000000-0000-4000-9b10-000000000022', '00000000-0000-4000-9b00-000000000002', 'Value selling', 2),
  ('00000000-0000-4000-9b10-000000000023', '00000000-0000-4000-9b00-000000000002', 'Cold outreach', 3);
insert into private.poll_broadcast_throttle (poll_id)
values ('00000000-0000-4000-9b00-000000000001'), ('00000000-0000-4000-9b00-000000000002');

-- One ballot per voter, then one vote row per chosen option (the tallies follow by trigger).
create temporary table seed_poll_ballots (poll int, m int, options int[]);
insert into seed_poll_ballots values
  (1, 1, array[2]), (1, 3, array[1]), (1, 4, array[2]), (1, 5, array[3]), (1, 6, array[2]),
  (1, 7, array[4]), (1, 8, array[1]), (1, 9, array[2]), (1, 12, array[3]),
  (2, 1, array[1, 2]), (2, 4, array[2]), (2, 5, array[2, 3]), (2, 10, array[1]), (2, 14, array[1, 2]);
insert into public.poll_ballots (poll_id, user_id, created_at)
select ('00000000-0000-4000-9b00-00000000000' || v.poll)::uuid, ('00000000-0000-4000-a000-0000000001' || lpad(v.m::text, 2, '0'))::uuid,
       now() - interval '4 minutes'
from seed_poll_ballots v;
insert into public.poll_votes (poll_id, option_id, user_id, created_at)
select ('00000000-0000-4000-9b00-00000000000' || v.poll)::uuid, ('00000000-0000-4000-9b10-0000000000' || v.poll || o)::uuid,
       ('00000000-0000-4000-a000-0000000001' || lpad(v.m::text, 2, '0'))::uuid, now() - interval '4 minutes'
from seed_poll_ballots v
cross join unnest(v.options) o;

-- An open feedback survey with three responses.
insert into public.surveys (id, session_id, title, status, created_by, created_at)
values ('00000000-0000-4000-9c00-000000000001', '00000000-0000-4000-d000-000000000001', 'Feedback: Discovery Technieken', 'open',
        '00000000-0000-4000-a000-000000000011', now() - interval '3 minutes');
insert into public.survey_fields (id, survey_id, position, prompt, kind, options, required)
values
  ('00000000-0000-4000-9c10-000000000001', '00000000-0000-4000-9c00-000000000001', 1, 'Hoe waardeer je deze sessie?', 'rating',
   '{"min":1,"max":5}', true),
  ('00000000-0000-4000-9c10-000000000002', '00000000-0000-4000-9c00-000000000001', 2, 'Wat was het nuttigst?', 'choice',
   '{"choices":["De vragenlijst","De voorbeelden","De breakouts","De Q&A"],"multiple":true}', false),
  ('00000000-0000-4000-9c10-000000000003', '00000000-0000-4000-9c00-000000000001', 3, 'Wat kunnen we verbeteren?', 'text',
   '{"max_length":1000}', false);
insert into public.survey_responses (survey_id, user_id, answers, created_at)
values
  ('00000000-0000-4000-9c00-000000000001', '00000000-0000-4000-a000-000000000104',
   '{"00000000-0000-4000-9c10-000000000001":5,"00000000-0000-4000-9c10-000000000002":["De voorbeelden","De Q&A"]}', now() - interval '2 minutes'),
  ('00000000-0000-4000-9c00-000000000001', '00000000-0000-4000-a000-000000000105',
   '{"00000000-0000-4000-9c10-000000000001":4,"00000000-0000-4000-9c10-000000000003":"More English examples, please."}', now() - interval '1 minute'),
  ('00000000-0000-4000-9c00-000000000001', '00000000-0000-4000-a000-000000000109',
   '{"00000000-0000-4000-9c10-000000000001":4,"00000000-0000-4000-9c10-000000000002":["De breakouts"]}', now() - interval '1 minute');
