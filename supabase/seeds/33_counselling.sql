-- Demo one-to-one counselling (issue 16): two counsellors who sign in with password123,
--   counsellor.marieke@example.com 00000000-0000-4000-a000-000000000021  coach, Europe/Amsterdam
--   counsellor.rafael@example.com  00000000-0000-4000-a000-000000000022  coach, America/Sao_Paulo
-- with booking settings, weekly working hours in their own zones and time off; upcoming appointments
-- booked through book_slot as members (so they are free slots by the real rules), one cancelled by
-- its patient through cancel_booking, and a history: a completed appointment with Marieke's private
-- note and a no-show. Everything is placed relative to now(). Runs once as postgres after seed.sql.

insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
select '00000000-0000-0000-0000-000000000000', p.id, 'authenticated', 'authenticated', p.email,
       extensions.crypt('password123', extensions.gen_salt('bf')), now(),
       '{"provider":"email","providers":["email"]}',
       jsonb_build_object('display_name', p.display_name, 'company', p.company, 'title', p.title, 'timezone', p.timezone),
       now() - interval '30 days', now() - interval '30 days', '', '', '', ''
from (values
  ('00000000-0000-4000-a000-000000000021'::uuid, 'counsellor.marieke@example.com', 'Marieke de Wit', 'Praktijk De Wit',
   'Psycholoog', 'Europe/Amsterdam'),
  ('00000000-0000-4000-a000-000000000022'::uuid, 'counsellor.rafael@example.com', 'Rafael Souza', 'Clínica Equilíbrio',
   'Psicólogo clínico', 'America/Sao_Paulo')
) as p (id, email, display_name, company, title, timezone);

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),
       'email', now() - interval '1 day', now() - interval '30 days', now() - interval '30 days'
from auth.users u
where u.id in ('00000000-0000-4000-a000-000000000021', '00000000-0000-4000-a000-000000000022');

update public.user_roles set role = 'coach'
where user_id in ('00000000-0000-4000-a000-000000000021', '00000000-0000-4000-a000-000000000022');

insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values ('00000000-0000-4000-a000-000000000021', 'Europe/Amsterdam', 50, 10, 720, 60, 1440),
       ('00000000-0000-4000-a000-000000000022', 'America/Sao_Paulo', 60, 15, 1440, 45, 2880);

-- Marieke: weekdays 09:00-12:00 and 13:00-17:00, Wednesday evening until 20:00. Rafael: Monday to
-- Thursday 08:00-12:00 and 14:00-18:00, Saturday morning.
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
select '00000000-0000-4000-a000-000000000021'::uuid, w, h.s, h.e
from generate_series(1, 5) w,
     (values (time '09:00', time '12:00'), (time '13:00', time '17:00')) h (s, e)
union all select '00000000-0000-4000-a000-000000000021', 3, '17:00', '20:00'
union all
select '00000000-0000-4000-a000-000000000022'::uuid, w, h.s, h.e
from generate_series(1, 4) w,
     (values (time '08:00', time '12:00'), (time '14:00', time '18:00')) h (s, e)
union all select '00000000-0000-4000-a000-000000000022', 6, '09:00', '12:00';

-- Marieke takes the whole local day a week from now off; Rafael a week of holidays from day 20.
insert into public.coach_time_off (coach_id, starts_at, ends_at, reason)
values ('00000000-0000-4000-a000-000000000021',
        ((now() at time zone 'Europe/Amsterdam')::date + 7)::timestamp at time zone 'Europe/Amsterdam',
        ((now() at time zone 'Europe/Amsterdam')::date + 8)::timestamp at time zone 'Europe/Amsterdam',
        'Training day'),
       ('00000000-0000-4000-a000-000000000022',
        ((now() at time zone 'America/Sao_Paulo')::date + 20)::timestamp at time zone 'America/Sao_Paulo',
        ((now() at time zone 'America/Sao_Paulo')::date + 27)::timestamp at time zone 'America/Sao_Paulo',
        'Férias');

-- History first (in the past, written directly: book_slot only books the future): Marieke's completed
-- appointment with member01 ten days ago at 10:00, with her private note, and member06's no-show three days ago
-- at 14:00 (Amsterdam time).
insert into public.sessions (id, title, topic, starts_at, duration_minutes, timezone, status, visibility, capacity,
                             kind, started_at, ended_at, sequence, created_by)
values ('00000000-0000-4000-d100-000000000001', 'One-to-one session', 'Werkstress',
        (((now() at time zone 'Europe/Amsterdam')::date - 10 + time '10:00') at time zone 'Europe/Amsterdam'), 50, 'Europe/Amsterdam', 'ended', 'private', 1, 'one_to_one',
        (((now() at time zone 'Europe/Amsterdam')::date - 10 + time '10:00') at time zone 'Europe/Amsterdam'), (((now() at time zone 'Europe/Amsterdam')::date - 10 + time '10:00') at time zone 'Europe/Amsterdam') + interval '50 minutes',
        2, '00000000-0000-4000-a000-000000000021'),
       ('00000000-0000-4000-d100-000000000002', 'One-to-one session', null,
        (((now() at time zone 'Europe/Amsterdam')::date - 3 + time '14:00') at time zone 'Europe/Amsterdam'), 50, 'Europe/Amsterdam', 'ended', 'private', 1, 'one_to_one',
        (((now() at time zone 'Europe/Amsterdam')::date - 3 + time '14:00') at time zone 'Europe/Amsterdam'), (((now() at time zone 'Europe/Amsterdam')::date - 3 + time '14:00') at time zone 'Europe/Amsterdam') + interval '20 minutes',
        2, '00000000-0000-4000-a000-000000000021');
insert into public.bookings (id, session_id, user_id, status, no_show_at, created_at)
values ('00000000-0000-4000-d200-000000000001', '00000000-0000-4000-d100-000000000001',
        '00000000-0000-4000-a000-000000000101', 'confirmed', null, now() - interval '14 days'),
       ('00000000-0000-4000-d200-000000000002', '00000000-0000-4000-d100-000000000002',
        '00000000-0000-4000-a000-000000000106', 'confirmed', (((now() at time zone 'Europe/Amsterdam')::date - 3 + time '14:00') at time zone 'Europe/Amsterdam') + interval '20 minutes',
        now() - interval '6 days');
insert into public.session_notes (session_id, author_id, body, created_at, updated_at)
values ('00000000-0000-4000-d100-000000000001', '00000000-0000-4000-a000-000000000021',
        'Daan: werkdruk door nieuwe targets, slaapt slecht. Afgesproken: dagboek bijhouden, volgende keer grenzen stellen.',
        (((now() at time zone 'Europe/Amsterdam')::date - 10 + time '10:00') at time zone 'Europe/Amsterdam') + interval '55 minutes',
        (((now() at time zone 'Europe/Amsterdam')::date - 10 + time '10:00') at time zone 'Europe/Amsterdam') + interval '55 minutes');

-- Upcoming appointments, booked as the members themselves (book_slot as the caller, as the app does):
-- the n-th free slot from two days ahead, so each is a real free slot with notice and buffers.
do $$
declare
  v record;
  v_start timestamptz;
  v_booking public.bookings;
begin
  for v in
    select * from (values
      ('00000000-0000-4000-a000-000000000101'::uuid, '00000000-0000-4000-a000-000000000021'::uuid, 1, 'Slaap en werkdruk', false),
      ('00000000-0000-4000-a000-000000000104'::uuid, '00000000-0000-4000-a000-000000000021'::uuid, 4, null, false),
      ('00000000-0000-4000-a000-000000000102'::uuid, '00000000-0000-4000-a000-000000000021'::uuid, 9, 'Loopbaankeuze', true),
      ('00000000-0000-4000-a000-000000000108'::uuid, '00000000-0000-4000-a000-000000000022'::uuid, 2, 'Burnout recovery', false),
      ('00000000-0000-4000-a000-000000000119'::uuid, '00000000-0000-4000-a000-000000000022'::uuid, 6, null, false)
    ) as t (patient, coach, nth, topic, cancel_after)
  loop
    select s.starts_at into v_start
    from public.available_slots(v.coach, now() + interval '2 days', now() + interval '30 days') s
    order by s.starts_at offset v.nth - 1 limit 1;
    perform set_config('request.jwt.claims', jsonb_build_object('sub', v.patient, 'role', 'authenticated')::text, true);
    perform set_config('request.jwt.claim.sub', v.patient::text, true);
    v_booking := public.book_slot(v.coach, v_start, v.topic);
    if v.cancel_after then
      perform public.cancel_booking(v_booking.session_id);
    end if;
  end loop;
  perform set_config('request.jwt.claims', '', true);
  perform set_config('request.jwt.claim.sub', '', true);
end;
$$;
