/**
 * Attendance against the end of a session, with two real connections: a join racing end_session
 * never leaves an interval open on the ended session. While the end's transaction is open a join
 * is refused at once (invalid_transition: the session is ending); while a join's transaction is open
 * the end waits for it and then closes its interval. Without the session's attendance lock the join read the
 * session as live and inserted its interval after the end's close had run.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { apiCode, asUser as asUserTx, dbUrl, insertUsers } from "./_lib.ts";

/** One PostgREST-like transaction as `userId`: runs `statement`, then waits for `hold` before committing. */
function asUser(sql: postgres.Sql, userId: string, statement: (tx: postgres.TransactionSql) => Promise<unknown>, hold?: Promise<void>) {
  return asUserTx(sql, userId, async (tx) => {
    const result = await statement(tx);
    await hold;
    return result;
  });
}

/** Settles with "pending" if `promise` has not settled within `ms`. */
function stateAfter(promise: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    promise.then(() => "done", () => "failed"),
    new Promise<string>((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);
}

Deno.test("attendance: a join racing the end of its session leaves no interval open", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const [host, viewer] = [crypto.randomUUID(), crypto.randomUUID()];
  await insertUsers(admin, "attendance-race", [host, viewer]);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  const sessions: string[] = [];
  const liveSession = async () => {
    const [{ id }] = await admin`insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
                                 values ('attendance race', 'live', 'public', now(), now(), ${host}) returning id`;
    sessions.push(id);
    return id as string;
  };
  const openIntervals = async (session: string) =>
    (await admin`select count(*)::int as n from public.attendance_intervals where session_id = ${session} and left_at is null`)[0].n;
  try {
    await t_endFirst();
    await t_joinFirst();
  } finally {
    if (sessions.length) await admin`delete from public.sessions where id in ${admin(sessions)}`;
    await admin`delete from auth.users where id in ${admin([host, viewer])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }

  // The end's transaction is open: the join waits, then finds the session ended.
  async function t_endFirst() {
    const session = await liveSession();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    let ended!: () => void;
    const endRan = new Promise<void>((resolve) => (ended = resolve));
    const end = asUser(pool, host, async (tx) => {
      await tx`select public.end_session(${session}::uuid)`;
      ended();
    }, hold);
    await endRan;
    try {
      const join = asUser(pool, viewer, (tx) => tx`select public.join_session(${session}::uuid)`);
      const joinOutcome = join.then(() => "joined", apiCode);
      assert.equal(await stateAfter(join, 300), "failed", "the join does not wait for the end in flight");
      assert.equal(await joinOutcome, "invalid_transition", "it is refused: the session is ending");
    } finally {
      release(); // also when an assertion failed: the cleanup's delete would wait for this open transaction forever
    }
    await end;
    assert.equal(await openIntervals(session), 0, "no interval is left open");
  }

  // The join's transaction is open: the end waits, then closes the join's interval.
  async function t_joinFirst() {
    const session = await liveSession();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    let joined!: () => void;
    const joinRan = new Promise<void>((resolve) => (joined = resolve));
    const join = asUser(pool, viewer, async (tx) => {
      await tx`select public.join_session(${session}::uuid)`;
      joined();
    }, hold);
    await joinRan;
    const end = asUser(pool, host, (tx) => tx`select public.end_session(${session}::uuid)`);
    try {
      assert.equal(await stateAfter(end, 300), "pending", "the end waits for the join in flight");
    } finally {
      release(); // also when the assertion failed (see above)
    }
    await join;
    await end;
    assert.equal(await openIntervals(session), 0, "the end closed the join's interval");
    const [{ n }] = await admin`select count(*)::int as n from public.attendance_intervals where session_id = ${session}`;
    assert.equal(n, 1, "the join's interval is kept, closed");
  }
});

/**
 * The O(1) viewer count under parallel writes: 60 viewers on 16 connections join (some on two
 * connections), heartbeat, leave one connection or all, and re-join, in random order, while an operator
 * ages some intervals (a silent connection) and the minute job runs. Every call succeeds (no deadlock
 * between the presence rows, the viewer buckets and the stats row), and afterwards the presence rows,
 * buckets and private.viewer_count equal a recount over the intervals (private.viewer_count_drift()),
 * under the count's whole-bucket window (some connections are aged to its exact edge).
 */
Deno.test("attendance: parallel joins, heartbeats and leaves keep the viewer count exact", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 16, prepare: false, onnotice: () => {} });
  const host = crypto.randomUUID();
  const viewers = Array.from({ length: 60 }, () => crypto.randomUUID());
  await insertUsers(admin, "viewer-count", [host, ...viewers]);
  const [{ id: session }] = await admin`
    insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
    values ('viewer count race', 'live', 'public', now(), now(), ${host}) returning id`;
  try {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const errors: string[] = [];
    const deadline = performance.now() + 3000;
    let calls = 0;
    await Promise.all([
      ...Array.from({ length: 16 }, async () => {
        while (performance.now() < deadline) {
          const user = viewers[Math.floor(random() * viewers.length)];
          const conn = random() < 0.3 ? "phone" : "laptop";
          const r = random();
          const statement = r < 0.6 ? `select public.heartbeat('${session}', '${conn}')`
            : r < 0.75 ? `select public.join_session('${session}', '${conn}')`
            : r < 0.9 ? `select public.leave_session('${session}', '${conn}')`
            : `select public.leave_session('${session}', null)`;
          try {
            await asUser(pool, user, (tx) => tx.unsafe(statement));
            calls++;
          } catch (e) {
            errors.push(String((e as Error).message));
          }
        }
      }),
      (async () => {
        while (performance.now() < deadline) {
          // An operator ages a few connections past the window (as a client that went silent), and
          // the minute job runs.
          // Some land just inside or just outside the count's window (its first instant, or a
          // microsecond before it), the rest anywhere 61-91 s ago. One interval per statement: a
          // statement moving several users between bucket rows locks those rows in row order, not in
          // the ascending bucket order every API write keeps, and can deadlock with a heartbeat (the
          // API's only multi-user write, end_session, holds the session's attendance lock, which
          // keeps joins and heartbeats out).
          const aged = await admin`select id from public.attendance_intervals
                                   where session_id = ${session} and left_at is null order by random() limit 3`;
          for (const { id } of aged) {
            await admin`update public.attendance_intervals
                        set joined_at = least(joined_at, now() - interval '2 minutes'),
                            last_heartbeat_at = case when random() < 0.5
                              then now() - interval '61 seconds' - random() * interval '30 seconds'
                              else to_timestamp((floor(extract(epoch from now()) / 10) - 6) * 10)
                                   - (random() < 0.5)::int * interval '1 microsecond' end
                        where id = ${id} and left_at is null`;
          }
          await admin`select private.flush_live_counts()`;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
    ]);
    assert.deepEqual(errors, [], "every join, heartbeat and leave succeeds");
    assert.ok(calls > 100, `enough calls ran in parallel (${calls})`);
    const drift = await admin`select * from private.viewer_count_drift() where session_id = ${session}`;
    assert.deepEqual([...drift], [], "presence rows, buckets and count equal the recount");
    // One statement, one now(): the count's documented window (the current 10-second bucket and the 6
    // before it), written out without private.viewer_bucket.
    const [{ n, recount }] = await admin`
      select private.viewer_count(${session}) as n,
             (select count(distinct user_id)::int from public.attendance_intervals
              where session_id = ${session} and left_at is null
                and last_heartbeat_at >= to_timestamp((floor(extract(epoch from now()) / 10) - 6) * 10)) as recount`;
    assert.equal(n, recount, "viewer_count equals the recount");
    assert.ok(n > 0, "some viewers are present");
  } finally {
    await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id in ${admin([host, ...viewers])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});

/**
 * leave_session and the end of the session never run at the same time on a session (the attendance
 * lock: shared by leaves, exclusive by the end): both close intervals and move users between viewer
 * buckets, and in parallel they could wait for each other's rows (npm test's fuzz once got a 40P01
 * from end_session). A leave in flight makes the end wait; then both succeed and nothing stays open.
 */
Deno.test("attendance: the end of a session waits for a leave in flight, and both succeed", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 4, prepare: false, onnotice: () => {} });
  const host = crypto.randomUUID();
  const viewers = Array.from({ length: 20 }, () => crypto.randomUUID());
  await insertUsers(admin, "leave-end", [host, ...viewers]);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  const [{ id: session }] = await admin`
    insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
    values ('leave and end', 'live', 'public', now(), now(), ${host}) returning id`;
  try {
    for (const v of viewers) await asUser(pool, v, (tx) => tx`select public.join_session(${session}::uuid, 'tab')`);
    // The held leave closes nothing (this viewer already left): the end waits for its lock, not its rows.
    await asUser(pool, viewers[0], (tx) => tx`select public.leave_session(${session}::uuid, null)`);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    let left!: () => void;
    const leaveRan = new Promise<void>((resolve) => (left = resolve));
    const leave = asUser(pool, viewers[0], async (tx) => {
      await tx`select public.leave_session(${session}::uuid, null)`;
      left();
    }, hold);
    await leaveRan;
    const end = asUser(pool, host, (tx) => tx`select public.end_session(${session}::uuid)`);
    try {
      assert.equal(await stateAfter(end, 300), "pending", "the end waits for the leave in flight");
    } finally {
      release(); // also when the assertion failed: the cleanup would wait for the open transaction
    }
    await leave;
    await end;
    const [{ open }] = await admin`select count(*)::int as open from public.attendance_intervals
                                   where session_id = ${session} and left_at is null`;
    assert.equal(open, 0, "no interval is left open");
    const drift = await admin`select * from private.viewer_count_drift() where session_id = ${session}`;
    assert.deepEqual([...drift], [], "presence rows and buckets equal the recount");
  } finally {
    await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id in ${admin([host, ...viewers])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});

/**
 * A join in flight holds the session's attendance lock (shared) and then writes its interval, whose
 * foreign key takes a key-share lock on the session row. end_session and cancel_session once locked
 * the session row first (select ... for update) and took the attendance lock after it (their
 * trigger): with a join between its lock and its insert, each waited for the other and PostgreSQL
 * broke the deadlock with 40P01, a 500 for the host or the viewer (found by the fuzz). The row is now
 * locked `for no key update` (private.session_for_host), which key-share locks do not wait for. Here the
 * viewer's transaction holds the attendance lock (a heartbeat), the end starts, then the same
 * transaction opens a second interval (another tab): it must not wait for the end, and then the end
 * succeeds and closes both intervals.
 */
for (const action of ["end_session", "cancel_session"] as const) {
  Deno.test(`attendance: ${action} and a join in flight take their locks in one order (no deadlock)`, async () => {
    const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
    const pool = postgres(dbUrl(), { max: 3, prepare: false, onnotice: () => {} });
    const [host, viewer] = [crypto.randomUUID(), crypto.randomUUID()];
    await insertUsers(admin, "lock-order", [host, viewer]);
    await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
    const [{ id: session }] = await admin`
      insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
      values ('lock order', 'live', 'public', now(), now(), ${host}) returning id`;
    try {
      await asUser(pool, viewer, (tx) => tx`select public.join_session(${session}::uuid, 'tab')`);
      let endStarted!: () => void;
      const started = new Promise<void>((resolve) => (endStarted = resolve));
      let heartbeatDone!: () => void;
      const beat = new Promise<void>((resolve) => (heartbeatDone = resolve));
      const viewerTx = asUser(pool, viewer, async (tx) => {
        await tx`select public.heartbeat(${session}::uuid, 'tab')`; // holds the attendance lock (shared)
        heartbeatDone();
        await started;
        await tx`select public.join_session(${session}::uuid, 'second-tab')`; // inserts an interval
      });
      await beat;
      const end = asUser(pool, host, (tx) =>
        action === "end_session" ? tx`select public.end_session(${session}::uuid)` : tx`select public.cancel_session(${session}::uuid, 'Lock order')`);
      assert.equal(await stateAfter(end, 300), "pending", `${action} waits for the join in flight`);
      endStarted();
      await viewerTx; // a deadlock would reject one of the two with 40P01
      await end;
      const [{ open, status }] = await admin`
        select (select count(*)::int from public.attendance_intervals where session_id = ${session} and left_at is null) as open,
               (select status::text from public.sessions where id = ${session}) as status`;
      assert.equal(open, 0, "the end closed both intervals");
      assert.equal(status, action === "end_session" ? "ended" : "cancelled");
    } finally {
      await admin`delete from public.sessions where id = ${session}`;
      await admin`delete from auth.users where id in ${admin([host, viewer])}`;
      await pool.end({ timeout: 5 });
      await admin.end({ timeout: 5 });
    }
  });
}
