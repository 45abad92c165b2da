// Booking under real concurrency: many connections, each acting as its own user exactly like
// PostgREST (transaction-local role and request.jwt.claims), against the local database.
//
// 1. 200 users book a 50-seat session with a waitlist at once, 10 rounds with a fresh session each:
//    exactly 50 confirmed and 150 waitlisted with positions exactly 1..150, every round.
// 2. Then 20 confirmed users cancel at once: exactly 20 promoted, those who held positions 1..20,
//    and the remaining waitlist renumbered 1..130 in its previous order.
// 3. The reminder job run by several connections at once sends each due reminder exactly once.
// 4. A host cancels a session while 100 users book it: no active booking survives on the cancelled
//    session, and every booking call either lands before the cancel (then cancelled) or is refused.
// 5. Without a waitlist, 100 users race for 10 seats: 10 confirmed, 90 session_full. One user
//    booking 10 times at once gets one booking and 9 already_booked.
// 6. The reminder job, run by 4 connections while 100 users book, adds each booking's two default
//    reminders exactly once.
// 7. The reminder job runs while a session or a user it is processing is being deleted: neither
//    deadlocks (40P01), and what the job skipped because its row was held it does on its next run.
// After every scenario the per-session seat counts equal the bookings (private.session_seat_drift).
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, type Sql } from "./_lib.ts";

const USERS = 200;
const CAPACITY = 50;
const ROUNDS = 10;
const CANCELS = 20;

async function createSession(admin: Sql, hostId: string, startsIn: string, capacity: number | null, waitlist = true): Promise<string> {
  const [s] = await admin`
    insert into public.sessions (title, starts_at, status, visibility, capacity, waitlist_enabled, created_by)
    values ('Concurrency test', now() + ${startsIn}::interval, 'scheduled', 'public', ${capacity}, ${waitlist}, ${hostId})
    returning id`;
  return s.id;
}

interface Fixture {
  /** postgres role, for fixtures and for reading the stored state. */
  admin: Sql;
  /** One connection per concurrent caller. */
  pool: Sql;
  host: string;
  users: string[];
  /** A scheduled public session hosted by `host`, removed at the end. */
  session(startsIn: string, capacity: number | null, waitlist?: boolean): Promise<string>;
}

/** Creates a host and `users` users, runs `fn`, then removes the sessions, users and connections. */
async function withFixture(prefix: string, users: number, poolSize: number, fn: (f: Fixture) => Promise<void>) {
  const admin = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(DB_URL!, { max: poolSize, prepare: false, onnotice: () => {}, idle_timeout: 5 });
  const [host] = await createUsers(admin, `${prefix}-host`, 1);
  const ids = await createUsers(admin, prefix, users);
  const sessions: string[] = [];
  try {
    await fn({
      admin, pool, host, users: ids,
      session: async (startsIn, capacity, waitlist = true) => {
        const id = await createSession(admin, host, startsIn, capacity, waitlist);
        sessions.push(id);
        return id;
      },
    });
  } finally {
    if (sessions.length) await admin`delete from public.sessions where id = any(${sessions})`;
    await dropUsers(admin, [host, ...ids]);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
}

/** Books as `userId`; the API error code instead of a throw. */
async function book(sql: Sql, userId: string, sessionId: string): Promise<{ status?: string; code?: string }> {
  try {
    const [b] = await asUser(sql, userId, (tx) => tx`select status from public.book_session(${sessionId})`);
    return { status: b.status };
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "PGRST") return { code: JSON.parse(err.message).code };
    throw err;
  }
}

async function assertNoSeatDrift(admin: Sql, sessionIds: string[], label: string) {
  const drift = await admin`select * from private.session_seat_drift() where session_id = any(${sessionIds})`;
  assert.deepEqual([...drift], [], `${label}: seat counts equal the bookings`);
}

Deno.test({
  name: "200 parallel bookings of 50 seats: exactly 50 confirmed and waitlist 1..150, 10 rounds; 20 parallel cancellations promote positions 1..20",
  ignore: !DB_URL,
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    await withFixture("booker", USERS, USERS, async ({ admin, pool, users, session }) => {
      // Open every connection before the first round, so each round is a real 200-way race.
      await Promise.all(Array.from({ length: USERS }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));

      for (let round = 1; round <= ROUNDS; round++) {
        const sessionId = await session("30 days", CAPACITY);

        const results = await Promise.all(users.map((u) =>
          asUser(pool, u, (tx) => tx`select status, waitlist_position from public.book_session(${sessionId})`)
            .then((rows) => ({ user: u, status: rows[0].status as string, position: rows[0].waitlist_position as number | null }))
        ));

        const confirmed = results.filter((r) => r.status === "confirmed");
        const waitlisted = results.filter((r) => r.status === "waitlisted");
        assert.equal(confirmed.length, CAPACITY, `round ${round}: confirmed answers`);
        assert.equal(waitlisted.length, USERS - CAPACITY, `round ${round}: waitlisted answers`);
        assert.deepEqual(
          waitlisted.map((r) => r.position!).sort((a, b) => a - b),
          Array.from({ length: USERS - CAPACITY }, (_, i) => i + 1),
          `round ${round}: answered positions are exactly 1..${USERS - CAPACITY}`,
        );

        // The stored state, not only the answers.
        const [state] = await admin`
          select count(*) filter (where status = 'confirmed')::int as confirmed,
                 count(*) filter (where status = 'waitlisted')::int as waitlisted,
                 coalesce(array_agg(waitlist_position order by waitlist_position) filter (where status = 'waitlisted'), '{}') as positions,
                 count(distinct user_id)::int as users
          from public.bookings where session_id = ${sessionId}`;
        assert.equal(state.confirmed, CAPACITY, `round ${round}: stored confirmed`);
        assert.equal(state.waitlisted, USERS - CAPACITY, `round ${round}: stored waitlisted`);
        assert.equal(state.users, USERS, `round ${round}: one booking per user`);
        assert.deepEqual(state.positions, Array.from({ length: USERS - CAPACITY }, (_, i) => i + 1),
          `round ${round}: stored positions 1..${USERS - CAPACITY}`);
        await assertNoSeatDrift(admin, [sessionId], `round ${round} after booking`);

        // booking_confirmed (email by default): exactly one queued email per confirmed booking, none for
        // the waitlisted. book_session queues it before the seat lock on its guess; in a race like this one
        // most waitlisted calls guessed "confirmed" (counted once: 1,500 of 1,500 over 10 rounds) and took
        // their confirmation back after the claim.
        const mails = await admin<{ user_id: string; status: string }[]>`
          select user_id, status from public.notification_deliveries
          where session_id = ${sessionId} and kind = 'booking_confirmed'`;
        assert.ok(mails.every((m) => m.status === "queued"), `round ${round}: confirmations are queued`);
        assert.deepEqual(mails.map((m) => m.user_id).sort(), confirmed.map((r) => r.user).sort(),
          `round ${round}: one confirmation per confirmed booking, none for the waitlisted`);

        // 20 confirmed users cancel at once.
        const before = new Map(waitlisted.map((r) => [r.user, r.position!]));
        const cancelling = confirmed.slice(0, CANCELS).map((r) => r.user);
        const cancelled = await Promise.all(cancelling.map((u) =>
          asUser(pool, u, (tx) => tx`select status from public.cancel_booking(${sessionId})`)
        ));
        assert.ok(cancelled.every((rows) => rows[0].status === "cancelled"), `round ${round}: every cancellation succeeds`);

        const after = await admin`
          select user_id, status, waitlist_position from public.bookings
          where session_id = ${sessionId} and status <> 'cancelled'`;
        const promoted = after.filter((b) => b.status === "confirmed" && before.has(b.user_id)).map((b) => before.get(b.user_id)!);
        assert.equal(after.filter((b) => b.status === "confirmed").length, CAPACITY, `round ${round}: seats refilled to ${CAPACITY}`);
        assert.deepEqual(promoted.sort((a, b) => a - b), Array.from({ length: CANCELS }, (_, i) => i + 1),
          `round ${round}: exactly the positions 1..${CANCELS} were promoted`);
        const remaining = after.filter((b) => b.status === "waitlisted")
          .sort((a, b) => a.waitlist_position - b.waitlist_position);
        assert.deepEqual(remaining.map((b) => b.waitlist_position),
          Array.from({ length: USERS - CAPACITY - CANCELS }, (_, i) => i + 1), `round ${round}: waitlist renumbered 1..130`);
        assert.deepEqual(remaining.map((b) => before.get(b.user_id)),
          Array.from({ length: USERS - CAPACITY - CANCELS }, (_, i) => i + CANCELS + 1), `round ${round}: waitlist order kept`);

        const [notified] = await admin`
          select count(*)::int as n from public.notifications
          where kind = 'booking_promoted' and data ->> 'session_id' = ${sessionId}`;
        assert.equal(notified.n, CANCELS, `round ${round}: one notification per promoted user`);
        await assertNoSeatDrift(admin, [sessionId], `round ${round} after cancelling`);
      }
    });
  },
});

Deno.test({
  name: "the reminder job run by 4 connections at once sends each due reminder exactly once",
  ignore: !DB_URL,
  async fn() {
    await withFixture("reminded", 100, 4, async ({ admin, pool, users, session }) => {
      const sessionId = await session("10 minutes", null);
      await admin`insert into public.bookings (session_id, user_id, status)
                  select ${sessionId}, u, 'confirmed' from unnest(${users}::uuid[]) u`;
      await admin`insert into public.session_reminders (session_id, user_id, minutes_before)
                  select ${sessionId}, u, m from unnest(${users}::uuid[]) u, (values (15), (30)) as v (m)`;
      // The real pg_cron job may run meanwhile too: that is part of the test.
      await Promise.all(Array.from({ length: 4 }, () => pool`select private.send_due_reminders()`));
      const [counts] = await admin`
        select count(*)::int as notifications, count(distinct data ->> 'reminder_id')::int as reminders
        from public.notifications where kind = 'session_reminder' and data ->> 'session_id' = ${sessionId}`;
      assert.equal(counts.notifications, 200, "one notification per due reminder");
      assert.equal(counts.reminders, 200, "no reminder sent twice");
      const [pending] = await admin`select count(*)::int as n from public.session_reminders
                                    where session_id = ${sessionId} and notified_at is null`;
      assert.equal(pending.n, 0, "every due reminder is claimed");
    });
  },
});

Deno.test({
  name: "a host cancels a session while 100 users book it: no active booking survives, 5 rounds",
  ignore: !DB_URL,
  async fn() {
    await withFixture("cbooker", 100, 101, async ({ admin, pool, host, users, session }) => {
      await Promise.all(Array.from({ length: 101 }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));
      for (let round = 1; round <= 5; round++) {
        const sessionId = await session("30 days", 30);
        // Half of the users book at once; when 5 * round of them have answered, the host cancels
        // and the other half books at the same moment.
        let answered = 0, go!: () => void;
        const halfway = new Promise<void>((r) => go = r);
        const first = users.slice(0, 50).map((u) => book(pool, u, sessionId).then((r) => {
          if (++answered === 5 * round) go();
          return r;
        }));
        const cancel = halfway
          .then(() => asUser(pool, host, (tx) => tx`select status from public.cancel_session(${sessionId}, 'test')`));
        const second = halfway.then(() => Promise.all(users.slice(50).map((u) => book(pool, u, sessionId))));
        const results = [...await Promise.all(first), ...await second];
        const [cancelled] = await cancel;
        assert.equal(cancelled.status, "cancelled", `round ${round}: the session is cancelled`);
        for (const r of results) {
          assert.ok(r.status === "confirmed" || r.status === "waitlisted" || r.code === "invalid_transition",
            `round ${round}: a booking either lands or is refused as invalid_transition (got ${JSON.stringify(r)})`);
        }
        const [active] = await admin`select count(*)::int as n from public.bookings
                                     where session_id = ${sessionId} and status <> 'cancelled'`;
        assert.equal(active.n, 0, `round ${round}: no active booking on the cancelled session`);
        const landed = results.filter((r) => r.status).length;
        const [stored] = await admin`select count(*)::int as n from public.bookings where session_id = ${sessionId}`;
        assert.equal(stored.n, landed, `round ${round}: every booking that landed is kept, cancelled`);
        await assertNoSeatDrift(admin, [sessionId], `round ${round}`);
      }
    });
  },
});

Deno.test({
  name: "no waitlist: 100 users race for 10 seats (10 confirmed, 90 session_full); one user booking 10 times at once gets one booking",
  ignore: !DB_URL,
  async fn() {
    await withFixture("fbooker", 100, 100, async ({ admin, pool, users, session }) => {
      const full = await session("30 days", 10, false);
      const results = await Promise.all(users.map((u) => book(pool, u, full)));
      assert.equal(results.filter((r) => r.status === "confirmed").length, 10, "exactly 10 confirmed");
      assert.equal(results.filter((r) => r.code === "session_full").length, 90, "the other 90 are session_full");
      const [stored] = await admin`select count(*)::int as n from public.bookings where session_id = ${full}`;
      assert.equal(stored.n, 10, "only the 10 confirmed bookings are stored");

      const twice = await session("30 days", 5);
      const repeats = await Promise.all(Array.from({ length: 10 }, () => book(pool, users[0], twice)));
      assert.equal(repeats.filter((r) => r.status === "confirmed").length, 1, "one booking");
      assert.equal(repeats.filter((r) => r.code === "already_booked").length, 9, "nine already_booked");
      await assertNoSeatDrift(admin, [full, twice], "after the races");
    });
  },
});

Deno.test({
  name: "the reminder job run by 4 connections while 100 users book adds each booking's default reminders exactly once",
  ignore: !DB_URL,
  async fn() {
    await withFixture("dbooker", 100, 104, async ({ admin, pool, users, session }) => {
      const sessionId = await session("3 days", null);
      const jobs = Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 5; i++) await pool`select private.add_pending_default_reminders()`;
      }));
      const results = await Promise.all(users.map((u) => book(pool, u, sessionId)));
      await jobs;
      assert.ok(results.every((r) => r.status === "confirmed"), "every booking is confirmed");
      await pool`select private.add_pending_default_reminders()`;
      const [counts] = await admin`
        select count(*)::int as reminders, count(distinct user_id)::int as users,
               count(*) filter (where minutes_before = 1440)::int as day, count(*) filter (where minutes_before = 15)::int as quarter
        from public.session_reminders where session_id = ${sessionId}`;
      assert.deepEqual({ ...counts }, { reminders: 200, users: 100, day: 100, quarter: 100 },
        "two default reminders per booking, none twice");
      const [pending] = await admin`select count(*)::int as n from public.bookings
                                    where session_id = ${sessionId} and default_reminders_pending`;
      assert.equal(pending.n, 0, "no booking left pending");
    });
  },
});

Deno.test({
  name: "the reminder job does not deadlock with deleting a session or a user it is processing, and loses nothing it skips",
  ignore: !DB_URL,
  async fn() {
    await withFixture("lockorder", 4, 4, async ({ admin, pool, users, session }) => {
      const [booker, leaver, reminded, kept] = users;
      const deleted = await session("3 days", null);
      const other = await session("3 days", null);
      const soon = await session("10 minutes", null);
      const held = await session("3 days", null);
      for (const [u, s] of [[booker, deleted], [leaver, other], [kept, held]]) {
        assert.equal((await book(pool, u, s)).status, "confirmed");
      }
      await admin`insert into public.session_reminders (session_id, user_id, minutes_before) values (${soon}, ${reminded}, 15)`;

      // A writer holds a row that the job's writes reference (as a DELETE does before it cascades
      // to the job's rows), the job runs, then the writer deletes or gives up. Before the fix the job
      // locked its rows first, then waited for the writer's row: a deadlock, one of the two failed.
      async function whileHeld(lock: string, id: string, then: (writer: postgres.ReservedSql) => Promise<unknown>) {
        const writer = await pool.reserve();
        try {
          await writer`begin`;
          await writer.unsafe(lock, [id]);
          const job = pool`select private.send_due_reminders()`;
          // Let the job reach the held row (or finish, as it must now).
          await Promise.race([job, new Promise((r) => setTimeout(r, 500))]);
          await then(writer);
          await writer`commit`;
          await job;
        } finally {
          writer.release();
        }
      }
      await whileHeld("select 1 from public.sessions where id = $1 for update", deleted,
        (w) => w`delete from public.sessions where id = ${deleted}`);
      await whileHeld("select 1 from auth.users where id = $1 for update", leaver,
        (w) => w`delete from auth.users where id = ${leaver}`);
      await whileHeld("select 1 from auth.users where id = $1 for update", reminded,
        (w) => w`delete from auth.users where id = ${reminded}`);
      await whileHeld("select 1 from public.sessions where id = $1 for update", held, async () => {});

      const [gone] = await admin`
        select (select count(*) from public.sessions where id = ${deleted})::int as sessions,
               (select count(*) from auth.users where id = any(${[leaver, reminded]}))::int as users,
               (select count(*) from public.bookings where user_id = any(${[leaver, reminded]}))::int as bookings,
               (select count(*) from public.session_reminders where user_id = any(${[leaver, reminded]}))::int as reminders`;
      assert.deepEqual({ ...gone }, { sessions: 0, users: 0, bookings: 0, reminders: 0 }, "both deletes went through");
      // What the job skipped while its row was held, it does on its next run.
      await pool`select private.send_due_reminders()`;
      const reminders = await admin`select minutes_before from public.session_reminders
                                    where session_id = ${held} and user_id = ${kept} order by 1`;
      assert.deepEqual(reminders.map((r) => r.minutes_before), [15, 1440], "the skipped booking gets its default reminders");
    });
  },
});
