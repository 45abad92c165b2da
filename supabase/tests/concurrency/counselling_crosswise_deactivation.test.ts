// Two coaches who are each other's patients, deactivated (or deleted) at the same moment, under real
// concurrency (each act in its own transaction as an admin, the way PostgREST runs it).
//
// Coach X has appointments as the patient of coach Y, and Y as the patient of X. Deactivating X cancels X's
// bookings (cancel_future_bookings: Y's appointments) and the appointments X coaches
// (cancel_hosted_one_to_ones); deactivating Y the same crosswise. Each function locked its own sessions in id
// order, but in two passes: X locked Y's appointments, Y locked X's, then each waited for the other's
// (40P01 for one of them, after deadlock_timeout). Now both lock the union in one id-ordered statement
// first (private.lock_account_sessions): one act waits for the other, both succeed, every appointment of
// the two ends cancelled. Repeated over fresh pairs, with deactivate_user and delete_user.
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, outcome } from "./_lib.ts";

const ROUNDS = 8;
const APPOINTMENTS = 3; // per direction

for (const act of ["deactivate_user", "delete_user"] as const) {
  Deno.test({
    name: `two coaches who are each other's patients, ${act} of both at once (${ROUNDS} rounds): no deadlock`,
    ignore: !DB_URL,
    async fn() {
      const db = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
      const pool = postgres(DB_URL!, { max: 4, prepare: false, onnotice: () => {}, idle_timeout: 5 });
      const created: string[] = [];
      try {
        const [adminUser] = await createUsers(db, `crosswise-${act}-admin`, 1);
        created.push(adminUser);
        await db`update public.user_roles set role = 'admin' where user_id = ${adminUser}`;
        await Promise.all(Array.from({ length: 4 }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));
        const outcomes: string[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const [x, y] = await createUsers(db, `crosswise-${act}-${round}`, 2);
          created.push(x, y);
          await db`update public.user_roles set role = 'coach' where user_id in (${x}, ${y})`;
          await db`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                   select c, 'Europe/Amsterdam', 60, 0, 0, 60 from unnest(${[x, y]}::uuid[]) c`;
          await db`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                   select c, w, time '06:00', time '22:00' from unnest(${[x, y]}::uuid[]) c, generate_series(1, 7) w`;
          const slots = (await db`
            select ((((now() at time zone 'Europe/Amsterdam')::date + 10) + make_time(h, 0, 0)) at time zone 'Europe/Amsterdam') as start
            from generate_series(6, 6 + 2 * ${APPOINTMENTS} - 1) h order by 1`).map((r) => r.start as Date);
          // X is Y's patient at the even hours, Y is X's at the odd ones.
          for (let i = 0; i < APPOINTMENTS; i++) {
            await asUser(db, x, (tx) => tx`select public.book_slot(${y}, ${slots[2 * i]})`);
            await asUser(db, y, (tx) => tx`select public.book_slot(${x}, ${slots[2 * i + 1]})`);
          }
          const both = await Promise.all([x, y].map((u) =>
            outcome(asUser(pool, adminUser, (tx) =>
              act === "deactivate_user" ? tx`select public.deactivate_user(${u}, 'left')` : tx`select public.delete_user(${u})`))
          ));
          outcomes.push(...both);
          const [{ open }] = await db`
            select count(*)::int as open from public.sessions
            where created_by in (${x}, ${y}) and kind = 'one_to_one' and status in ('scheduled', 'live')`;
          if (both.every((o) => o === "ok")) assert.equal(open, 0, `round ${round}: every appointment of the two is cancelled`);
        }
        assert.deepEqual(outcomes.filter((o) => o !== "ok"), [], `every ${act} succeeds (40P01 is a deadlock)`);
      } finally {
        await db`delete from public.sessions where created_by = any(${created})`;
        await dropUsers(db, created);
        await pool.end({ timeout: 5 });
        await db.end({ timeout: 5 });
      }
    },
  });
}
