-- Data (hand-written, README "Changing the database" step 4): the patient's busy time of the one-to-one
-- appointments booked before private.coach_busy held it (33_counselling.sql, bookings_sync_patient_busy).
-- Appointments that already overlap another one of the same patient cannot be refused after the fact:
-- ON CONFLICT DO NOTHING leaves such a row out (the earlier-inserted one stands), the rest are filled in.
insert into private.coach_busy (session_id, user_id, during, lane)
select s.id, b.user_id, tstzrange(s.starts_at, s.starts_at + make_interval(mins => s.duration_minutes), '[)'), '(,)'::int8range
from public.bookings b
join public.sessions s on s.id = b.session_id
where s.kind = 'one_to_one' and s.status in ('scheduled', 'live') and b.status = 'confirmed'
  and not exists (select 1 from public.session_staff st where st.session_id = s.id and st.user_id = b.user_id)
order by s.starts_at, s.id
on conflict on constraint coach_busy_no_overlap do nothing;
