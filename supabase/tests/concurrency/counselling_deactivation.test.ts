// Deactivation races one-to-one bookings, under real concurrency (each call in its own transaction as its
// user, the way PostgREST runs it).
//
// 1. A coach is deactivated while patients book them: one patient's book_slot has checked the coach and
//    written the appointment but not committed yet (the transaction stays open 400 ms), and 15 more
//    patients book other slots of the coach at the same time as the admin's deactivate_user. Afterwards the
//    coach has no scheduled appointment: every booking that went through was cancelled with the rest, the
//    others were refused (not_found: no such coach). Before the account lock, the appointment written
//    while the deactivation ran stayed scheduled (the cancellation did not see it).
// 2. The same from the patient's side: a patient's book_slot is in flight (uncommitted) while an admin
//    deactivates the patient: afterwards the patient has no confirmed booking (cancelled with their others).
//    (A patient not seen for 5 minutes was already safe by accident: the write guard's last_seen_at update
//    locked their profile row, which the deactivation locks too; one seen recently was not.)
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, outcome, type Sql } from "./_lib.ts";

interface Fixture {
  db: Sql;
  pool: Sql;
  adminUser: string;
  coach: string;
  patients: string[];
  /** Starts of 16 free hourly slots of the coach (ten days from now, Amsterdam). */
  slots: Date[];
}

async function withCoach(prefix: string, patients: number, fn: (f: Fixture) => Promise<void>) {
  const db = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(DB_URL!, { max: patients + 2, prepare: false, onnotice: () => {}, idle_timeout: 5 });
  const [coach, adminUser] = await createUsers(db, `${prefix}-staff`, 2);
  const ids = await createUsers(db, prefix, patients);
  try {
    await db`update public.user_roles set role = 'coach' where user_id = ${coach}`;
    await db`update public.user_roles set role = 'admin' where user_id = ${adminUser}`;
    await db`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
             values (${coach}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await db`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
             select ${coach}, w, time '06:00', time '22:00' from generate_series(1, 7) w`;
    const rows = await db`
      select ((((now() at time zone 'Europe/Amsterdam')::date + 10) + make_time(h, 0, 0)) at time zone 'Europe/Amsterdam') as start
      from generate_series(6, 21) h order by 1`;
    // Open every connection first, so each scenario is a real race.
    await Promise.all(Array.from({ length: patients + 2 }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));
    await fn({ db, pool, adminUser, coach, patients: ids, slots: rows.map((r) => r.start) });
  } finally {
    await db`delete from public.sessions where created_by = ${coach}`;
    const all = [coach, adminUser, ...ids];
    await dropUsers(db, all);
    await pool.end({ timeout: 5 });
    await db.end({ timeout: 5 });
  }
}

Deno.test({
  name: "a coach deactivated while 16 patients book them (one booking in flight): no scheduled appointment is left",
  ignore: !DB_URL,
  async fn() {
    await withCoach("deactivate-coach", 16, async ({ db, pool, adminUser, coach, patients, slots }) => {
      const [first, ...rest] = patients;
      let written!: () => void;
      const inFlight = new Promise<void>((resolve) => written = resolve);
      // The first patient's booking is written (the coach checked) and stays uncommitted for 400 ms.
      const held = outcome(asUser(pool, first, async (tx) => {
        await tx`select id from public.book_slot(${coach}, ${slots[0]})`;
        written();
        await tx`select pg_sleep(0.4)`;
      }));
      await inFlight;
      const [deactivated, ...others] = await Promise.all([
        outcome(asUser(pool, adminUser, (tx) => tx`select public.deactivate_user(${coach}, 'left')`)),
        ...rest.map((p, i) => outcome(asUser(pool, p, (tx) => tx`select id from public.book_slot(${coach}, ${slots[i + 1]})`))),
      ]);
      assert.equal(deactivated, "ok");
      assert.equal(await held, "ok", "the booking in flight commits");
      assert.ok(others.every((r) => r === "ok" || r === "not_found"), `others: ${others}`);
      const left = await db`
        select s.id, s.starts_at from public.sessions s
        join public.session_staff st on st.session_id = s.id and st.user_id = ${coach} and st.role = 'host'
        where s.kind = 'one_to_one' and s.status in ('scheduled', 'live')`;
      assert.deepEqual([...left], [], "no scheduled appointment of the deactivated coach");
      const [{ n }] = await db`select count(*)::int as n from public.bookings b join public.sessions s on s.id = b.session_id
                               where s.created_by = ${coach} and b.status = 'confirmed'`;
      assert.equal(n, 0, "no confirmed booking with them");
      const [{ told }] = await db`select count(*)::int as told from public.notifications
                                  where user_id = ${first} and kind = 'session_cancelled'`;
      assert.equal(told, 1, "the patient whose booking was in flight is told it is cancelled");
    });
  },
});

Deno.test({
  name: "a patient deactivated while their booking is in flight: no confirmed booking is left",
  ignore: !DB_URL,
  async fn() {
    await withCoach("deactivate-patient", 1, async ({ db, pool, adminUser, coach, patients: [patient], slots }) => {
      // Seen a minute ago: the write guard does not touch (lock) the patient's profile row again, which
      // would make the deactivation wait by accident.
      await db`update public.profiles set last_seen_at = now() - interval '1 minute' where id = ${patient}`;
      let written!: () => void;
      const inFlight = new Promise<void>((resolve) => written = resolve);
      const held = outcome(asUser(pool, patient, async (tx) => {
        await tx`select id from public.book_slot(${coach}, ${slots[3]})`;
        written();
        await tx`select pg_sleep(0.4)`;
      }));
      await inFlight;
      assert.equal(await outcome(asUser(pool, adminUser, (tx) => tx`select public.deactivate_user(${patient}, 'abuse')`)), "ok");
      assert.equal(await held, "ok");
      const [{ n }] = await db`select count(*)::int as n from public.bookings where user_id = ${patient} and status = 'confirmed'`;
      assert.equal(n, 0, "the deactivated patient holds no confirmed booking");
      const [{ s }] = await db`select count(*)::int as s from public.sessions where created_by = ${coach} and status = 'scheduled'`;
      assert.equal(s, 0, "and the appointment is cancelled (the coach's slot is free again)");
    });
  },
});
