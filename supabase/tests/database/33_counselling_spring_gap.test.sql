-- One-to-one counselling, working-hour bounds inside a spring-forward gap: a local time that does not
-- exist (Amsterdam skips 02:00-03:00 on the last Sunday of March) is the transition instant, so a window
-- "until 02:30" ends at 03:00 summer time (it offered 03:00-03:30, outside the wall-clock window) and a
-- window "from 02:30" starts at 03:00. Slots on the next such Sunday after now (2027-03-28 as of December
-- 2026; the suite's clock 400 days ahead gives the next one), and the conversion at fixed instants.
begin;
\ir ../helpers.sql
select plan(12);

select tests.create_supabase_user('sg_coach_end', metadata => '{"display_name":"Ebbe Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('sg_coach_start', metadata => '{"display_name":"Stijn Coach","timezone":"Europe/Amsterdam"}');
select tests.create_supabase_user('sg_patient', metadata => '{"display_name":"Pim Patient"}');
update public.user_roles set role = 'coach'
 where user_id in (tests.get_supabase_uid('sg_coach_end'), tests.get_supabase_uid('sg_coach_start'));
select tests.get_supabase_uid('sg_coach_end') as coach_end, tests.get_supabase_uid('sg_coach_start') as coach_start \gset

-- The next Sunday on which Amsterdam starts summer time (last Sunday of March), at least two days ahead.
select min(s) as spring
from generate_series(extract(year from now())::int, extract(year from now())::int + 1) y,
     lateral (values (make_date(y, 3, 31) - extract(dow from make_date(y, 3, 31))::int)) v (s)
where s > (now() at time zone 'Europe/Amsterdam')::date + 2 \gset

-- 30-minute slots, no buffer or notice, two years ahead. coach_end works Sundays 00:00-02:30,
-- coach_start Sundays 02:30-04:00.
insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes,
                                           horizon_days, late_cancel_minutes)
values (:'coach_end', 'Europe/Amsterdam', 30, 0, 0, 730, 60), (:'coach_start', 'Europe/Amsterdam', 30, 0, 0, 730, 60);
insert into public.coach_availability (coach_id, weekday, start_time, end_time)
values (:'coach_end', 7, '00:00', '02:30'), (:'coach_start', 7, '02:30', '04:00');

create function pg_temp.local_slots(p_coach uuid, p_day date) returns text[]
language sql as $$
  select array_agg(to_char(s.starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') || '-'
                   || to_char(s.ends_at at time zone 'Europe/Amsterdam', 'HH24:MI') order by s.starts_at)
  from public.available_slots(p_coach, (p_day + time '00:00') at time zone 'Europe/Amsterdam',
                              ((p_day + 1) + time '00:00') at time zone 'Europe/Amsterdam') s
$$;
grant execute on function pg_temp.local_slots(uuid, date) to authenticated;

select tests.authenticate_as('sg_patient');
select is(pg_temp.local_slots(:'coach_end', :'spring'), array['00:00-00:30', '00:30-01:00', '01:00-01:30', '01:30-03:00'],
          'spring forward (' || :'spring' || '): hours 00:00-02:30 end at the transition: four slots, the last '
          'one 01:30-02:00 winter time (03:00 on the clock), none at 03:00-03:30');
select is((select max(s.ends_at) from public.available_slots(:'coach_end', (:'spring'::date + time '00:00') at time zone 'Europe/Amsterdam',
                                                            (:'spring'::date + 1 + time '00:00') at time zone 'Europe/Amsterdam') s),
          (:'spring'::date + time '03:00') at time zone 'Europe/Amsterdam',
          '... the last slot ends at the transition (03:00 summer time)');
select is(tests.error_code(format('select public.book_slot(%L, %L)', :'coach_end',
            (:'spring'::date + time '03:00') at time zone 'Europe/Amsterdam')),
          'slot_unavailable', '... and book_slot refuses 03:00 summer time, outside the window');
select is(pg_temp.local_slots(:'coach_start', :'spring'), array['03:00-03:30', '03:30-04:00'],
          'hours 02:30-04:00 start at the transition, the first minute of the window on the clock: 03:00 and 03:30');
select is((select status from public.book_slot(:'coach_start', (:'spring'::date + time '03:00') at time zone 'Europe/Amsterdam')),
          'confirmed', '... and book_slot takes 03:00 summer time');
-- A week later the same hours are the plain ones.
select is(pg_temp.local_slots(:'coach_end', :'spring'::date + 7), array['00:00-00:30', '00:30-01:00', '01:00-01:30', '01:30-02:00', '02:00-02:30'],
          'a week later 00:00-02:30 gives its five slots');
select tests.clear_authentication();

-- The conversion itself, at fixed instants (a pure function).
select is(private.local_instant('Europe/Amsterdam', '2027-03-28 02:30'), '2027-03-28 01:00+00'::timestamptz,
          'local_instant: 02:30 on 2027-03-28 does not exist: the transition, 03:00 summer time (01:00 UTC)');
select is(private.local_instant('Europe/Amsterdam', '2027-03-28 02:00'), '2027-03-28 01:00+00'::timestamptz,
          'local_instant: 02:00 that night is the transition too');
select is(private.local_instant('Europe/Amsterdam', '2027-03-28 01:59'), '2027-03-28 00:59+00'::timestamptz,
          'local_instant: 01:59 is winter time');
select is(private.local_instant('Europe/Amsterdam', '2027-03-28 03:00'), '2027-03-28 01:00+00'::timestamptz,
          'local_instant: 03:00 is summer time');
select is(private.local_instant('Australia/Lord_Howe', '2027-10-03 02:15'), '2027-10-02 15:30+00'::timestamptz,
          'local_instant: a half-hour gap (Lord Howe skips 02:00-02:30): 02:15 is the transition');
select is(private.local_instant('America/Sao_Paulo', '2018-11-04 00:30'), '2018-11-04 03:00+00'::timestamptz,
          'local_instant: Sao Paulo''s last gap (2018-11-04 00:00-01:00): 00:30 is the transition, 01:00 summer time');

select * from finish();
rollback;
