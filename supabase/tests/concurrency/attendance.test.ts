/**
 * Attendance against the end of a session, with two real connections: a join racing end_session
 * never leaves an interval open on the ended session. While the end's transaction is open a join
 * is refused at once (invalid_transition: the session is ending); while a join's transaction is open
 * the end waits for it and then closes its interval. Without the session's attendance lock the join read the
 * session as live and inserted its interval after the end's close had run.
 */
import assert from "node:assert/strict";
import postgres from "postgres";

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

const claims = (userId: string) => JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@example.test` });

/** One PostgREST-like transaction as `userId`: runs `statement`, then waits for `hold` before committing. */
function asUser(sql: postgres.Sql, userId: string, statement: (tx: postgres.TransactionSql) => Promise<unknown>, hold?: Promise<void>) {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims(userId)}, true)`;
    const result = await statement(tx);
    await hold;
    return result;
  });
}

function errorCode(err: unknown): string {
  if (err instanceof postgres.PostgresError && err.code === "PGRST") return JSON.parse(err.message).code;
  throw err;
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
  for (const id of [host, viewer]) {
    await admin`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
                values (${id}, ${`attendance-race-${id}@example.test`}, ${admin.json({ display_name: "Attendance Race" })},
                        'authenticated', 'authenticated', now())`;
  }
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
      const joinOutcome = join.then(() => "joined", errorCode);
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
