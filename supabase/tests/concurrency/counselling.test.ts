// One-to-one booking under real concurrency: many connections, each acting as its own user exactly
// like PostgREST (transaction-local role and request.jwt.claims), against the local database.
//
// 1. 100 patients book the same slot of one coach at once: exactly one booking, 99 slot_unavailable.
// 2. 50 parallel writes of overlapping one-to-one time of one coach X, each accepted when alone: 34
//    patients book X's slots (09:00, 10:00, 11:00) while coach Y, whose hours start at 09:30, adds X as a
//    second host to Y's four appointments (16 calls). Whatever commits, no two sessions of X overlap where
//    one is a one-to-one, and every refusal is slot_unavailable. (One coach's half-hour starts cannot race:
//    the merged window's grid refuses them before any overlap.)
// 2b. The exclusion constraint, not book_slot's check, decides against a write the check cannot see: while
//    Y's transaction adding X to Y's 09:30 appointment is open, a patient's book_slot of X at 09:00 passes
//    its check, waits on the constraint, and is refused when Y commits; when Y rolls back it is booked.
// 3. The same without book_slot: 50 connections insert overlapping one-to-one sessions of the coach
//    directly as postgres (no advisory lock, no slot check): the exclusion constraint alone lets no
//    overlap commit.
// 4. A patient moves their appointment (reschedule_booking) while another patient books the target
//    slot, 10 rounds: exactly one of the two wins each round, the other gets slot_unavailable.
// 5. book_slot locks only the clock hours of the coach's calendar its slot (and buffers) meets:
//    while one patient's booking of 09:00 is uncommitted, another patient books 11:00 of the same
//    coach without waiting for it, and a third one booking 09:30 (overlapping 09:00) waits, then
//    gets slot_unavailable once the first commits.
// 6. The buffer between appointments holds under concurrency too (it is the booking RPCs' rule,
//    not the exclusion constraint's): 48 patients book the 16 half-hour slots of one morning of a
//    coach with a 15-minute buffer at once, three per slot; no two committed appointments are less
//    than 15 minutes apart, and every refusal is slot_unavailable.
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, codeOf, createUsers, DB_URL, dropUsers, type Sql } from "./_lib.ts";

interface Fixture {
  admin: Sql;
  pool: Sql;
  coach: string;
  patients: string[];
  /** Local date (Amsterdam) ten days from now, as YYYY-MM-DD. */
  day: string;
}

/**
 * A coach (Amsterdam, hourly slots, no buffer or notice) with hours 09:00-12:00 and 09:30-12:30 every day: one
 * window 09:00-12:30 (overlapping rules are merged), slots 09:00, 10:00 and 11:00.
 */
async function withCoach(prefix: string, patients: number, poolSize: number, fn: (f: Fixture) => Promise<void>) {
  const admin = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(DB_URL!, { max: poolSize, prepare: false, onnotice: () => {}, idle_timeout: 5 });
  const [coach] = await createUsers(admin, `${prefix}-coach`, 1);
  const ids = await createUsers(admin, prefix, patients);
  try {
    await admin`update public.user_roles set role = 'coach' where user_id = ${coach}`;
    await admin`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                values (${coach}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await admin`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                select ${coach}, w, t.s, t.e from generate_series(1, 7) w,
                  (values (time '09:00', time '12:00'), (time '09:30', time '12:30')) t (s, e)`;
    const [{ day }] = await admin`select ((now() at time zone 'Europe/Amsterdam')::date + 10)::text as day`;
    // Open every connection first, so each scenario is a real race.
    await Promise.all(Array.from({ length: poolSize }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));
    await fn({ admin, pool, coach, patients: ids, day });
  } finally {
    await admin`delete from public.sessions where created_by = ${coach}`;
    await dropUsers(admin, [coach, ...ids]);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
}

/** One-to-one sessions of the coach that overlap another one (scheduled ones). */
async function overlaps(admin: Sql, coach: string) {
  return await admin`
    select a.id, a.starts_at, b.id as other, b.starts_at as other_starts_at
    from public.sessions a join public.sessions b
      on a.id < b.id and a.created_by = b.created_by
     and tstzrange(a.starts_at, a.starts_at + make_interval(mins => a.duration_minutes))
      && tstzrange(b.starts_at, b.starts_at + make_interval(mins => b.duration_minutes))
    where a.created_by = ${coach} and a.kind = 'one_to_one' and b.kind = 'one_to_one'
      and a.status = 'scheduled' and b.status = 'scheduled'`;
}

Deno.test({
  name: "100 patients book the same slot at once: exactly one booking, 99 slot_unavailable",
  ignore: !DB_URL,
  async fn() {
    await withCoach("same-slot", 100, 100, async ({ admin, pool, coach, patients, day }) => {
      const [{ start }] = await admin`select ((${day}::date + time '10:00') at time zone 'Europe/Amsterdam') as start`;
      const results = await Promise.all(patients.map((p) =>
        asUser(pool, p, (tx) => tx`select status from public.book_slot(${coach}, ${start})`)
          .then((rows) => rows[0].status as string, codeOf)
      ));
      assert.equal(results.filter((r) => r === "confirmed").length, 1, "exactly one confirmed answer");
      assert.equal(results.filter((r) => r === "slot_unavailable").length, 99, "99 slot_unavailable answers");

      const [state] = await admin`
        select count(distinct s.id)::int as sessions, count(b.id)::int as bookings
        from public.sessions s left join public.bookings b on b.session_id = s.id and b.status = 'confirmed'
        where s.created_by = ${coach} and s.kind = 'one_to_one'`;
      assert.deepEqual({ ...state }, { sessions: 1, bookings: 1 }, "one session with one booking is stored");
      const [busy] = await admin`select count(*)::int as n from private.coach_busy where user_id = ${coach}`;
      assert.equal(busy.n, 1, "one busy row for the coach");
    });
  },
});

/** The API error code and message of a failed call (PGRST); rethrows anything else. */
function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof postgres.PostgresError && err.code === "PGRST") {
    const body = JSON.parse(err.message);
    return { code: body.code, message: body.message };
  }
  throw err;
}

/** book_slot's own refusal (its slot check); the exclusion constraint's comes from private.sync_coach_busy. */
const CHECK_REFUSAL = "This time is not a free slot of the coach.";

class Rollback extends Error {}

/** Whether `query` succeeds as `userId` on its own (then rolled back: nothing is kept). */
async function acceptedAlone(sql: Sql, userId: string, query: (tx: postgres.TransactionSql) => Promise<unknown>) {
  try {
    await asUser(sql, userId, async (tx) => {
      await query(tx);
      throw new Rollback();
    });
  } catch (err) {
    if (err instanceof Rollback) return true;
    return errorOf(err).code;
  }
  return false;
}

/**
 * A second coach, Y (Amsterdam, hourly slots from 09:30: 09:30, 10:30, 11:30, 12:30 on the fixture's day), each
 * of those four slots booked by one of the given patients. Their one-to-one appointments overlap every slot of
 * the fixture's coach X (09:00, 10:00, 11:00) by half an hour.
 */
async function withSecondCoach(f: Fixture, bookers: string[], fn: (y: string, appointments: string[]) => Promise<void>) {
  const [y] = await createUsers(f.admin, "overlap-y", 1);
  try {
    await f.admin`update public.user_roles set role = 'coach' where user_id = ${y}`;
    await f.admin`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                  values (${y}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await f.admin`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                  select ${y}, w, time '09:30', time '13:30' from generate_series(1, 7) w`;
    const appointments: string[] = [];
    for (const [k, patient] of bookers.entries()) {
      const [row] = await asUser(f.pool, patient, (tx) => tx`
        select session_id from public.book_slot(${y}, ((${f.day}::date + time '09:30') at time zone 'Europe/Amsterdam')
                                                      + make_interval(hours => ${k}))`);
      appointments.push(row.session_id);
    }
    await fn(y, appointments);
  } finally {
    await f.admin`delete from public.sessions where created_by = ${y}`;
    await f.admin`delete from realtime.messages where topic = ${`user:${y}`}`;
    await f.admin`delete from auth.users where id = ${y}`;
  }
}

/** Scheduled or live sessions in which the user is staff that overlap another such session of theirs. */
async function staffOverlaps(admin: Sql, user: string) {
  return await admin`
    select a.id, a.starts_at, b.id as other, b.starts_at as other_starts_at
    from public.session_staff sa join public.sessions a on a.id = sa.session_id
    join public.session_staff sb on sb.user_id = sa.user_id and sb.session_id > sa.session_id
    join public.sessions b on b.id = sb.session_id
    where sa.user_id = ${user} and a.status in ('scheduled', 'live') and b.status in ('scheduled', 'live')
      and (a.kind = 'one_to_one' or b.kind = 'one_to_one')
      and tstzrange(a.starts_at, a.starts_at + make_interval(mins => a.duration_minutes))
       && tstzrange(b.starts_at, b.starts_at + make_interval(mins => b.duration_minutes))`;
}

Deno.test({
  name: "50 parallel writes of overlapping one-to-one time of one coach, each accepted alone: no overlap commits",
  ignore: !DB_URL,
  async fn() {
    // Coach X's slots (09:00, 10:00, 11:00) are booked with book_slot while coach Y, whose hours start at
    // 09:30, adds X as a second host (a supervisor, add_session_staff) to Y's appointments at 09:30, 10:30,
    // 11:30 and 12:30. Each of these writes alone is accepted; each X slot overlaps two of Y's appointments
    // by half an hour. The half-hour starts of one coach's merged window are refused by its grid before any
    // overlap can happen, so this is how overlapping accepted starts race: two coaches' grids, one coach's
    // busy time. add_session_staff takes no calendar lock and checks no slot: between it and book_slot only
    // the exclusion constraint decides.
    await withCoach("overlap", 50, 50, async (f) => {
      const { admin, pool, coach: x, patients, day } = f;
      await withSecondCoach(f, patients.slice(46), async (y, appointments) => {
        const starts = await admin`
          select s.starts_at from public.available_slots(${x},
            (${day}::date + time '00:00') at time zone 'Europe/Amsterdam',
            (${day}::date + time '23:59') at time zone 'Europe/Amsterdam') s order by 1`;
        assert.equal(starts.length, 3, "X offers 09:00, 10:00 and 11:00");
        for (const [k, s] of starts.entries()) {
          assert.equal(await acceptedAlone(pool, patients[k], (tx) => tx`select public.book_slot(${x}, ${s.starts_at})`), true,
            `booking X at slot ${k} alone is accepted`);
        }
        for (const [k, a] of appointments.entries()) {
          assert.equal(await acceptedAlone(pool, y, (tx) => tx`select public.add_session_staff(${a}, ${x}, 'host')`), true,
            `adding X to Y's appointment ${k} alone is accepted`);
        }
        const bookers = patients.slice(0, 34);
        const results = await Promise.all([
          ...bookers.map((p, i) =>
            asUser(pool, p, (tx) => tx`select status from public.book_slot(${x}, ${starts[i % 3].starts_at})`)
              .then(() => ({ kind: "book", outcome: "accepted" }), (err) => ({ kind: "book", outcome: errorOf(err) }))),
          ...Array.from({ length: 16 }, (_, i) =>
            asUser(pool, y, (tx) => tx`select public.add_session_staff(${appointments[i % 4]}, ${x}, 'host')`)
              .then(() => ({ kind: "staff", outcome: "accepted" }), (err) => ({ kind: "staff", outcome: errorOf(err) }))),
        ]);
        const refusals = results.flatMap((r) => typeof r.outcome === "string" ? [] : [r.outcome]);
        assert.deepEqual([...new Set(refusals.map((e) => e.code))].filter((c) => c !== "slot_unavailable"), [],
          "every refusal is slot_unavailable");
        assert.ok(results.some((r) => r.outcome === "accepted"), "some writes commit");
        assert.deepEqual([...await staffOverlaps(admin, x)], [], "no two sessions of X's overlap where one is a one-to-one");
        assert.deepEqual([...await overlaps(admin, x)], [], "nor two of X's own appointments");
        const [busy] = await admin`
          select count(*)::int as n from private.coach_busy a join private.coach_busy b
            on a.user_id = b.user_id and a.session_id < b.session_id and a.during && b.during
          where a.user_id = ${x}`;
        assert.equal(busy.n, 0, "X's busy rows do not overlap");
        const byConstraint = refusals.filter((e) => e.message !== CHECK_REFUSAL).length;
        console.log(`  ${results.length - refusals.length} accepted, ${refusals.length} refused ` +
          `(${byConstraint} by the exclusion constraint, ${refusals.length - byConstraint} by book_slot's check)`);
      });
    });
  },
});

Deno.test({
  name: "book_slot's check cannot see an uncommitted overlapping write: the exclusion constraint decides (commit: refused, rollback: booked)",
  ignore: !DB_URL,
  async fn() {
    await withCoach("constraint", 5, 6, async (f) => {
      const { admin, pool, coach: x, patients, day } = f;
      await withSecondCoach(f, patients.slice(0, 3), async (y, [y0930, , y1130]) => {
        const [{ s09, s11 }] = await admin`
          select ((${day}::date + time '09:00') at time zone 'Europe/Amsterdam') as s09,
                 ((${day}::date + time '11:00') at time zone 'Europe/Amsterdam') as s11`;
        const timeout = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), ms));
        for (const end of ["commit", "rollback"] as const) {
          // Y adds X to Y's 09:30 (first round) or 11:30 (second) appointment and keeps the transaction open;
          // a patient books X's 09:00 or 11:00, overlapping it by half an hour.
          const [appointment, start, patient] = end === "commit" ? [y0930, s09, patients[3]] : [y1130, s11, patients[4]];
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          let added!: () => void;
          const open = new Promise<void>((resolve) => (added = resolve));
          const held = asUser(pool, y, async (tx) => {
            await tx`select public.add_session_staff(${appointment}, ${x}, 'host')`;
            added();
            await gate;
            if (end === "rollback") throw new Rollback();
          }).then(() => "committed", (err) => err instanceof Rollback ? "rolled back" : Promise.reject(err));
          try {
            await open;
            // X's slot overlapping it: no calendar lock in common, and the uncommitted busy row is invisible to
            // book_slot's check, which passes; its insert then waits on the constraint for the open transaction.
            const contested = asUser(pool, patient, (tx) => tx`select status from public.book_slot(${x}, ${start})`)
              .then((rows) => ({ code: rows[0].status as string, message: "" }), errorOf);
            assert.equal(await Promise.race([contested, timeout(700)]), "still waiting",
              `${end}: the overlapping booking waits for the open write`);
            release();
            assert.equal(await held, end === "commit" ? "committed" : "rolled back");
            const outcome = await contested;
            if (end === "commit") {
              assert.equal(outcome.code, "slot_unavailable", "the overlapping booking is refused once the other commits");
              assert.notEqual(outcome.message, CHECK_REFUSAL, "by the exclusion constraint, not by book_slot's check");
            } else {
              assert.equal(outcome.code, "confirmed", "the overlapping booking goes through once the other rolls back");
            }
          } finally {
            release();
            await held.catch(() => {});
          }
        }
        assert.deepEqual([...await staffOverlaps(admin, x)], [], "no two sessions of X's overlap where one is a one-to-one");
        const [staff] = await admin`select count(*)::int as n from public.session_staff where user_id = ${x} and session_id = ${y0930}`;
        assert.equal(staff.n, 1, "X supervises Y's 09:30 appointment (committed first)");
      });
    });
  },
});

Deno.test({
  name: "50 direct inserts of overlapping one-to-one sessions: the exclusion constraint alone lets no overlap commit",
  ignore: !DB_URL,
  async fn() {
    await withCoach("raw", 0, 50, async ({ admin, pool, coach, day }) => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        pool.begin((tx) => tx`
          insert into public.sessions (title, starts_at, duration_minutes, status, visibility, capacity, kind, created_by)
          values ('Raw', ((${day}::date + time '09:00') at time zone 'Europe/Amsterdam') + make_interval(mins => ${(i % 10) * 10}),
                  60, 'scheduled', 'private', 1, 'one_to_one', ${coach})
          returning id`).then(() => "inserted", codeOf)
      ));
      const inserted = results.filter((r) => r === "inserted").length;
      assert.ok(inserted >= 1, "at least one insert commits");
      assert.equal(results.filter((r) => r === "slot_unavailable").length, 50 - inserted, "every other insert is slot_unavailable");
      assert.deepEqual([...await overlaps(admin, coach)], [], "no two one-to-one sessions of the coach overlap");
    });
  },
});

Deno.test({
  name: "reschedule_booking races book_slot for the same target slot: one wins, 10 rounds",
  ignore: !DB_URL,
  async fn() {
    await withCoach("race", 2, 4, async ({ admin, pool, coach, patients: [mover, booker], day }) => {
      for (let round = 0; round < 10; round++) {
        const [{ from, target }] = await admin`
          select ((${day}::date + ${round}::int + time '09:00') at time zone 'Europe/Amsterdam') as from,
                 ((${day}::date + ${round}::int + time '11:00') at time zone 'Europe/Amsterdam') as target`;
        const [booking] = await asUser(pool, mover, (tx) => tx`select id from public.book_slot(${coach}, ${from})`);
        const [moved, booked] = await Promise.all([
          asUser(pool, mover, (tx) => tx`select starts_at from public.reschedule_booking(${booking.id}, ${target})`)
            .then(() => "moved", codeOf),
          asUser(pool, booker, (tx) => tx`select status from public.book_slot(${coach}, ${target})`)
            .then(() => "booked", codeOf),
        ]);
        assert.deepEqual([moved, booked].sort(),
          moved === "moved" ? ["moved", "slot_unavailable"] : ["booked", "slot_unavailable"],
          `round ${round}: one of the two wins (${moved}, ${booked})`);
        const [state] = await admin`
          select count(*)::int as n from public.sessions
          where created_by = ${coach} and kind = 'one_to_one' and status = 'scheduled' and starts_at = ${target}`;
        assert.equal(state.n, 1, `round ${round}: one appointment at the target`);
      }
      assert.deepEqual([...await overlaps(admin, coach)], [], "no two one-to-one sessions of the coach overlap");
    });
  },
});

Deno.test({
  name: "book_slot waits only for bookings of the same hours of the coach: other hours go ahead, an overlapping one waits and is refused",
  ignore: !DB_URL,
  async fn() {
    await withCoach("hours", 3, 4, async ({ admin, pool, coach, patients: [first, other, overlapping], day }) => {
      const [{ s09, s0930, s11 }] = await admin`
        select ((${day}::date + time '09:00') at time zone 'Europe/Amsterdam') as s09,
               ((${day}::date + time '09:30') at time zone 'Europe/Amsterdam') as s0930,
               ((${day}::date + time '11:00') at time zone 'Europe/Amsterdam') as s11`;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let firstBooked!: () => void;
      const booked = new Promise<void>((resolve) => (firstBooked = resolve));
      // The first booking stays uncommitted (its hour locks held) until the gate opens.
      const held = asUser(pool, first, async (tx) => {
        const [row] = await tx`select status from public.book_slot(${coach}, ${s09})`;
        firstBooked();
        await gate;
        return row.status as string;
      });
      try {
        await booked;
        const timeout = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), ms));
        // Another hour of the same coach: answered while the first booking is still open.
        const elsewhere = await Promise.race([
          asUser(pool, other, (tx) => tx`select status from public.book_slot(${coach}, ${s11})`)
            .then((rows) => rows[0].status as string, codeOf),
          timeout(5000),
        ]);
        assert.equal(elsewhere, "confirmed", "a booking of 11:00 does not wait for the open booking of 09:00");
        // 09:30 overlaps 09:00-10:00: same hour, so it waits for the first booking ...
        const contested = asUser(pool, overlapping, (tx) => tx`select status from public.book_slot(${coach}, ${s0930})`)
          .then((rows) => rows[0].status as string, codeOf);
        assert.equal(await Promise.race([contested, timeout(700)]), "still waiting", "a booking of 09:30 waits for the open 09:00");
        release();
        assert.equal(await held, "confirmed", "the first booking commits");
        // ... and, once it has committed, sees it and is refused (no overlap, no deadlock).
        assert.equal(await contested, "slot_unavailable", "the overlapping booking is then refused");
      } finally {
        release();
        await held.catch(() => {});
      }
      assert.deepEqual([...await overlaps(admin, coach)], [], "no two one-to-one sessions of the coach overlap");
    });
  },
});

Deno.test({
  name: "48 parallel bookings of adjacent half-hour slots with a 15-minute buffer: no two appointments closer than the buffer",
  ignore: !DB_URL,
  async fn() {
    await withCoach("buffer", 48, 48, async ({ admin, pool, coach, patients, day }) => {
      await admin`update public.coach_booking_settings set slot_minutes = 30, buffer_minutes = 15 where coach_id = ${coach}`;
      await admin`delete from public.coach_availability where coach_id = ${coach}`;
      await admin`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                  select ${coach}, w, '06:00', '14:00' from generate_series(1, 7) w`;
      const starts = await admin`
        select s.starts_at from public.available_slots(${coach},
          (${day}::date + time '00:00') at time zone 'Europe/Amsterdam',
          (${day}::date + time '23:59') at time zone 'Europe/Amsterdam') s order by 1`;
      assert.equal(starts.length, 16, "16 half-hour slots are offered, each adjacent to the next");
      const results = await Promise.all(patients.map((p, i) =>
        asUser(pool, p, (tx) => tx`select status from public.book_slot(${coach}, ${starts[i % 16].starts_at})`)
          .then((rows) => rows[0].status as string, codeOf)
      ));
      const booked = results.filter((r) => r === "confirmed").length;
      assert.ok(booked >= 6 && booked <= 8, `between 6 and 8 appointments fit with the buffer (got ${booked})`);
      assert.equal(results.filter((r) => r === "slot_unavailable").length, 48 - booked, "every other answer is slot_unavailable");
      const tooClose = await admin`
        select a.starts_at, b.starts_at as next
        from public.sessions a join public.sessions b
          on a.created_by = b.created_by and a.id <> b.id and b.starts_at >= a.starts_at
         and b.starts_at < a.starts_at + make_interval(mins => a.duration_minutes + 15)
        where a.created_by = ${coach} and a.kind = 'one_to_one' and b.kind = 'one_to_one'
          and a.status = 'scheduled' and b.status = 'scheduled'`;
      assert.deepEqual([...tooClose], [], "no appointment starts within 15 minutes of the end of another");
    });
  },
});
