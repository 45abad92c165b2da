/**
 * Counselling benches (issue 16).
 * 1. available_slots over 30 days for a coach with 200 booked one-to-one sessions (working hours
 *    08:00-20:00 every day in Europe/Amsterdam, 30-minute slots: 720 candidate slots, each checked
 *    against time off and busy time), called as a patient. Target: 0.1x or more of the latest-50
 *    indexed read (50 newest rows of an indexed table by its primary key, with the same transaction
 *    shape: claims set, one query), measured in the same run.
 * 2. book_slot under 16 parallel clients on one coach: every call books a distinct free slot, as 16
 *    patients choosing different free hours would: the coach's 10-minute slots of the next 180 days
 *    (25,920) in a fixed pseudo-random order (md5 of the start), taken one after the other by
 *    whichever client is next. An op is one successful booking: the slot check, the session with its
 *    staff, busy and seat rows, the booking and the coach's notification, one round trip each
 *    (Bench.rpcAsUser). Every call is expected to succeed; a refusal counts as an error. Calls of
 *    the same clock hours of the coach wait for each other (private.lock_calendars); with
 *    random slots that is rare, as it is for real patients.
 *    Target: 0.3x of hotCounter or more, measured in slices between slices of hotCounter.
 * 3. The floor of book_slot on this machine (informational, no target): the six rows one booking
 *    writes, by plain INSERTs into copies of the tables (same indexes, checks and exclusion
 *    constraint; no triggers, foreign keys, RLS or slot check), measured the same way as 2.
 */
import postgres from "postgres";
import { printTopStatements } from "./lib.ts";
import type { Bench, Tx } from "./lib.ts";

export default async function (b: Bench) {
  const clients = b.baseline.clients;
  const [reader, booker] = await b.createUsers(2, "bench-counsellor");
  const patients = await b.createUsers(64, "bench-patient", { skipSignupTrigger: true });
  // The reader's 200 appointments have patients of their own: a patient is never in two appointments at
  // once, so the booking patients below must be free at the slots they book.
  const readerPatients = await b.createUsers(16, "bench-reader-patient", { skipSignupTrigger: true });
  await b.sql`update public.user_roles set role = 'coach' where user_id in (${reader}, ${booker})`;
  b.onCleanup(async () => {
    await b.sql`delete from public.sessions where created_by in (${reader}, ${booker})`;
    await b.sql`delete from realtime.messages where topic = any(${[reader, booker, ...patients, ...readerPatients].map((u) => `user:${u}`)})`;
  });

  // 1. available_slots: 30-minute slots 08:00-20:00 every day, 200 of the next 30 days' slots booked.
  await b.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
              values (${reader}, 'Europe/Amsterdam', 30, 0, 0, 60)`;
  await b.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
              select ${reader}, w, '08:00', '20:00' from generate_series(1, 7) w`;
  const booked = await b.sql`
    with slots as (
      select s.starts_at, row_number() over (order by s.starts_at) as n
      from public.available_slots(${reader}, now() + interval '1 day', now() + interval '31 days') s)
    insert into public.sessions (title, starts_at, duration_minutes, timezone, status, visibility, capacity, kind, created_by)
    select 'Bench appointment', starts_at, 30, 'Europe/Amsterdam', 'scheduled', 'private', 1, 'one_to_one', ${reader}
    from slots where n % 3 = 0 limit 200
    returning id`;
  await b.sql`insert into public.bookings (session_id, user_id, status)
              select s, (${readerPatients}::uuid[])[1 + (row_number() over ()) % ${readerPatients.length}], 'confirmed'
              from unnest(${booked.map((r) => r.id)}::uuid[]) s`;
  await b.sql`analyze public.sessions, public.bookings, private.coach_busy, public.coach_availability, public.coach_time_off`;
  const [count] = await b.sql`
    select count(*)::int as n from public.available_slots(${reader}, now() + interval '1 day', now() + interval '31 days')`;
  console.log(`  available_slots: ${booked.length} booked sessions, ${count.n} free slots over 30 days`);

  const claims = JSON.stringify({ sub: patients[0], role: "authenticated" });
  const latest50 = await b.throughput("latest 50 rows by primary key (indexed read, postgres)", {
    clients,
    seconds: 4,
    op: (sql) => sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      return await tx`select id, k, v, created_at from bench.inserts order by id desc limit 50`;
    }),
  });
  const slots = await b.throughput("available_slots over 30 days, 200 booked, as a patient", {
    clients,
    seconds: 4,
    op: (sql) => b.asUser(sql, patients[0], (tx: Tx) =>
      tx`select starts_at, ends_at from public.available_slots(${reader}, now() + interval '1 day', now() + interval '31 days')`),
  });
  b.report("available_slots (30 days, 200 booked)", slots.opsPerSec, "latest-50 indexed read", latest50.opsPerSec, { min: 0.1 });
  b.report("available_slots unexpected errors", slots.errors + latest50.errors, "zero", 1, { max: 0 }, "errors");

  // 2. book_slot: 10-minute slots around the clock for 180 days, each call takes the next one of
  // them in a fixed pseudo-random order (distinct patients pick distinct hours of the calendar).
  await b.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
              values (${booker}, 'Europe/Amsterdam', 10, 0, 0, 200)`;
  await b.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
              select ${booker}, w, '00:00', '24:00' from generate_series(1, 7) w`;
  const free = (await b.sql`
    select s.starts_at from generate_series(0, 1) k,
      lateral public.available_slots(${booker}, now() + interval '1 day' + k * interval '90 days',
                                     now() + interval '1 day' + (k + 1) * interval '90 days') s
    order by md5(s.starts_at::text)`).map((r) => (r.starts_at as Date).toISOString());
  let next = 0;
  // Where the time goes: pg_stat_statements (preloaded by scripts/bench.sh) over the book_slot run,
  // nested statements included, read as the superuser.
  const adminUrl = Deno.env.get("SUPABASE_ADMIN_DB_URL");
  const su = adminUrl ? postgres(adminUrl, { onnotice: () => {}, max: 1 }) : null;
  b.onCleanup(async () => await su?.end({ timeout: 5 }));
  if (su) await su`select extensions.pg_stat_statements_reset()`.catch(() => {});
  const result = await b.interleaved("book_slot, one coach, distinct free slots in random order", "hotCounter", {
    clients,
    seconds: 3,
    op: (sql) => {
      const k = next++;
      if (k >= free.length) throw new Error("book_slot bench ran out of free slots");
      return b.rpcAsUser(sql, patients[k % patients.length],
        `select public.book_slot(${b.literal(booker)}, ${b.literal(free[k])}::timestamptz)`);
    },
  });
  await printTopStatements(su, "top statements by total time during the book_slot slices (pg_stat_statements, nested included)");
  // The cost of one call without any concurrency (one client, one after the other).
  await b.latency("book_slot, one client, distinct free slots", {
    runs: 200,
    op: (sql) => {
      const k = next++;
      if (k >= free.length) throw new Error("book_slot bench ran out of free slots");
      return b.rpcAsUser(sql, patients[k % patients.length],
        `select public.book_slot(${b.literal(booker)}, ${b.literal(free[k])}::timestamptz)`);
    },
  });
  const [made] = await b.sql`
    select count(*)::int as n from public.sessions where created_by = ${booker} and kind = 'one_to_one'`;

  // 3. The floor of these rows on this machine (informational, no target): what one booking writes
  // (the session, its host's staff row, its seat row, the coach's and the patient's busy rows, the
  // booking; not the two notifications) by a PL/pgSQL function of plain INSERTs into copies of the tables with their
  // indexes, checks and the exclusion constraint, but without triggers, foreign keys, RLS, or any
  // check of the caller or the slot: same slots, clients, transaction shape and baseline slices. No
  // book_slot that writes these rows can be faster than this here.
  await b.sql.unsafe(`
    drop table if exists bench.floor_sessions, bench.floor_session_staff, bench.floor_session_seats,
                         bench.floor_coach_busy, bench.floor_bookings;
    create table bench.floor_sessions (like public.sessions including all);
    create table bench.floor_session_staff (like public.session_staff including all);
    create table bench.floor_session_seats (like private.session_seats including all);
    create table bench.floor_coach_busy (like private.coach_busy including all);
    create table bench.floor_bookings (like public.bookings including all);
    create or replace function bench.floor_book(coach_id uuid, starts_at timestamptz)
    returns uuid language plpgsql security definer set search_path = '' as $$
    declare
      v_session_id uuid;
      v_booking_id uuid;
    begin
      insert into bench.floor_sessions (title, starts_at, duration_minutes, timezone, status, visibility, capacity,
                                        waitlist_enabled, kind, created_by)
      values ('One-to-one session', floor_book.starts_at, 10, 'Europe/Amsterdam', 'scheduled', 'private', 1, false,
              'one_to_one', floor_book.coach_id)
      returning id into v_session_id;
      insert into bench.floor_session_staff (session_id, user_id, role) values (v_session_id, floor_book.coach_id, 'host');
      insert into bench.floor_session_seats (session_id, status, capacity, waitlist_enabled, host_id, host_name)
      values (v_session_id, 'scheduled', 1, false, floor_book.coach_id, 'Coach');
      insert into bench.floor_coach_busy (session_id, user_id, during, lane)
      values (v_session_id, floor_book.coach_id, tstzrange(floor_book.starts_at, floor_book.starts_at + interval '10 minutes'), '(,)'),
             (v_session_id, (select auth.uid()), tstzrange(floor_book.starts_at, floor_book.starts_at + interval '10 minutes'), '(,)');
      insert into bench.floor_bookings (session_id, user_id, status, default_reminders_pending)
      values (v_session_id, (select auth.uid()), 'confirmed', true)
      returning id into v_booking_id;
      return v_booking_id;
    end;
    $$;
    grant usage on schema bench to authenticated;
    grant execute on function bench.floor_book(uuid, timestamptz) to authenticated;`);
  // The same slots in the same order; after the last one, again for another (made-up) coach id and patient.
  let nextFloor = 0;
  const floorCoaches: string[] = [];
  const floor = await b.interleaved("floor: the same rows by plain INSERTs (no triggers, keys, RLS or checks)", "hotCounter", {
    clients,
    seconds: 3,
    op: (sql) => {
      const k = nextFloor++;
      const round = Math.floor(k / free.length);
      const coach = floorCoaches[round] ??= crypto.randomUUID();
      // Another patient for a slot's next round (a patient's busy rows must not overlap either).
      return b.rpcAsUser(sql, patients[(k + round) % patients.length],
        `select bench.floor_book(${b.literal(coach)}, ${b.literal(free[k % free.length])}::timestamptz)`);
    },
  });
  console.log(`  floor of book_slot's rows: ${Math.round(floor.opsPerSec)} ops/s = ${(floor.opsPerSec / floor.baseline).toFixed(2)}x ` +
    `of hotCounter (informational; ${floor.errors} errors)`);
  console.log(`  book_slot: ${made.n} appointments booked of ${free.length} free slots`);
  b.report("book_slot (16 clients, one coach)", result.opsPerSec, "hotCounter (measured between its slices)", result.baseline,
    { min: 0.3 });
  b.report("book_slot unexpected errors", result.errors, "zero", 1, { max: 0 }, "errors");
}
