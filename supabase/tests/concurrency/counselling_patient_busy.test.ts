// A person is never in two one-to-one appointments at once, under real concurrency: many connections,
// each acting as its own user exactly like PostgREST (transaction-local role and request.jwt.claims).
//
// 1. Two tabs: 16 patients each book two different coaches at the same start at once (32 calls in
//    parallel, each patient at an hour of their own): every patient ends with exactly one appointment; every refusal is schedule_conflict
//    (the patient's side) and no patient has two overlapping appointments.
// 2. A coach booked as a patient while being booked: coach A books coach B at hh:00 while 12 patients
//    book A at hh:00, all at once, 8 rounds (different hours): exactly one of them wins each round (A's
//    own booking, refused then with schedule_conflict, or one patient's, the others slot_unavailable);
//    A is never in two appointments at the same time.
// 3. Crosswise: coach A books coach B while B books A, same start, at once, 10 rounds: exactly one wins,
//    the other is refused with a 409 code (never a deadlock, 40P01, nor any other error).
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, outcome, type Sql } from "./_lib.ts";

interface Fixture {
  admin: Sql;
  pool: Sql;
  coaches: string[];
  patients: string[];
  /** Local date (Amsterdam) ten days from now, as YYYY-MM-DD. */
  day: string;
}

/** Coaches (Amsterdam, hourly slots 06:00-22:00, no buffer or notice) and patients. */
async function withCoaches(prefix: string, coaches: number, patients: number, poolSize: number,
                           fn: (f: Fixture) => Promise<void>) {
  const admin = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(DB_URL!, { max: poolSize, prepare: false, onnotice: () => {}, idle_timeout: 5 });
  const coachIds = await createUsers(admin, `${prefix}-coach`, coaches);
  const ids = await createUsers(admin, prefix, patients);
  try {
    await admin`update public.user_roles set role = 'coach' where user_id = any(${coachIds})`;
    await admin`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                select c, 'Europe/Amsterdam', 60, 0, 0, 60 from unnest(${coachIds}::uuid[]) c`;
    await admin`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                select c, w, time '06:00', time '22:00' from unnest(${coachIds}::uuid[]) c, generate_series(1, 7) w`;
    const [{ day }] = await admin`select ((now() at time zone 'Europe/Amsterdam')::date + 10)::text as day`;
    // Open every connection first, so each scenario is a real race.
    await Promise.all(Array.from({ length: poolSize }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));
    await fn({ admin, pool, coaches: coachIds, patients: ids, day });
  } finally {
    await admin`delete from public.sessions where created_by = any(${coachIds})`;
    await dropUsers(admin, [...coachIds, ...ids]);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
}

async function at(admin: Sql, day: string, hour: number): Promise<Date> {
  const [{ start }] = await admin`select ((${day}::date + make_time(${hour}, 0, 0)) at time zone 'Europe/Amsterdam') as start`;
  return start;
}

/** Pairs of scheduled one-to-one appointments of one person (either side) that overlap. */
async function personOverlaps(admin: Sql, users: string[]) {
  return await admin`
    with mine as (
      select st.user_id, s.id, s.starts_at, s.duration_minutes from public.session_staff st
      join public.sessions s on s.id = st.session_id
      where st.user_id = any(${users}) and s.kind = 'one_to_one' and s.status = 'scheduled'
      union all
      select b.user_id, s.id, s.starts_at, s.duration_minutes from public.bookings b
      join public.sessions s on s.id = b.session_id
      where b.user_id = any(${users}) and b.status = 'confirmed' and s.kind = 'one_to_one' and s.status = 'scheduled')
    select a.user_id, a.id, b.id as other
    from mine a join mine b on a.user_id = b.user_id and a.id < b.id
     and tstzrange(a.starts_at, a.starts_at + make_interval(mins => a.duration_minutes))
      && tstzrange(b.starts_at, b.starts_at + make_interval(mins => b.duration_minutes))`;
}

Deno.test({
  name: "two tabs: 16 patients each book two coaches at the same start at once: one appointment each",
  ignore: !DB_URL,
  async fn() {
    await withCoaches("two-tabs", 2, 16, 32, async ({ admin, pool, coaches, patients, day }) => {
      // Patient i books both coaches at 06:00 + i hours: nobody else wants those slots; each patient's two
      // calls are in flight together (and with everyone else's).
      const starts = await Promise.all(patients.map((_, i) => at(admin, day, 6 + i)));
      const results = await Promise.all(patients.flatMap((p, i) => coaches.map((c) =>
        outcome(asUser(pool, p, (tx) => tx`select id from public.book_slot(${c}, ${starts[i]})`))
      )));
      const refused = results.filter((r) => r !== "ok");
      assert.deepEqual([...new Set(refused)], ["schedule_conflict"], `refusals: ${JSON.stringify(results)}`);
      const perPatient = await admin`
        select b.user_id, count(*)::int as n from public.bookings b join public.sessions s on s.id = b.session_id
        where b.user_id = any(${patients}) and b.status = 'confirmed' and s.kind = 'one_to_one' and s.status = 'scheduled'
        group by b.user_id`;
      assert.equal(perPatient.length, patients.length, "every patient has an appointment");
      assert.ok(perPatient.every((r) => r.n === 1), `one appointment each: ${JSON.stringify(perPatient)}`);
      assert.equal(refused.length, patients.length, "one of the two tabs lost, for every patient");
      assert.deepEqual([...await personOverlaps(admin, patients)], []);
    });
  },
});

Deno.test({
  name: "a coach booked as a patient while 12 patients book them, 8 rounds: one winner each round",
  ignore: !DB_URL,
  async fn() {
    await withCoaches("booked-while-booking", 2, 12, 13, async ({ admin, pool, coaches, patients, day }) => {
      const [a, b] = coaches;
      const wins = { coach: 0, patient: 0 };
      for (let round = 0; round < 8; round++) {
        const start = await at(admin, day, 8 + round);
        // The coach's own call goes out at another place among the patients' each round.
        const calls = patients.map((p) => () => outcome(asUser(pool, p, (tx) => tx`select id from public.book_slot(${a}, ${start})`)));
        const mine = () => outcome(asUser(pool, a, (tx) => tx`select id from public.book_slot(${b}, ${start})`));
        const at_ = (round * 5) % (calls.length + 1);
        const all = await Promise.all([...calls.slice(0, at_), mine, ...calls.slice(at_)].map((f) => f()));
        const own = all[at_];
        const others = [...all.slice(0, at_), ...all.slice(at_ + 1)];
        const patientWins = others.filter((r) => r === "ok").length;
        assert.equal((own === "ok" ? 1 : 0) + patientWins, 1, `round ${round}: one winner (${own}, ${others})`);
        if (own === "ok") {
          wins.coach++;
          assert.ok(others.every((r) => r === "slot_unavailable"), `round ${round}: ${others}`);
        } else {
          wins.patient++;
          assert.equal(own, "schedule_conflict", `round ${round}: the coach's own booking`);
          assert.ok(others.filter((r) => r !== "ok").every((r) => r === "slot_unavailable"), `round ${round}: ${others}`);
        }
      }
      assert.deepEqual([...await personOverlaps(admin, [a])], []);
      console.log(`  coach's own booking won ${wins.coach} rounds, a patient's ${wins.patient}`);
    });
  },
});

Deno.test({
  name: "crosswise: coach A books B while B books A at the same start, 10 rounds: one wins, no deadlock",
  ignore: !DB_URL,
  async fn() {
    await withCoaches("crosswise", 2, 0, 2, async ({ admin, pool, coaches, day }) => {
      const [a, b] = coaches;
      for (let round = 0; round < 10; round++) {
        const start = await at(admin, day, 8 + round);
        const results = await Promise.all([
          outcome(asUser(pool, a, (tx) => tx`select id from public.book_slot(${b}, ${start})`)),
          outcome(asUser(pool, b, (tx) => tx`select id from public.book_slot(${a}, ${start})`)),
        ]);
        assert.equal(results.filter((r) => r === "ok").length, 1, `round ${round}: ${results}`);
        const refusal = results.find((r) => r !== "ok")!;
        assert.ok(["slot_unavailable", "schedule_conflict"].includes(refusal), `round ${round}: ${results}`);
      }
      assert.deepEqual([...await personOverlaps(admin, coaches)], []);
    });
  },
});
