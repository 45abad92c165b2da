/**
 * Chat rate limit under real concurrency: one user fires 50 parallel send_chat_message calls on 50
 * connections (each a PostgREST-like transaction as that user); exactly chat_rate_limit (5) get
 * through and the 45 others are rate_limited. Repeated with fresh sessions. Also: 50 different
 * users posting at once all get through (the lock is per user and session, not per session).
 */
import assert from "node:assert/strict";
import postgres from "postgres";

const CALLS = 50;
const ROUNDS = 3;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

type Outcome = { ok: true } | { ok: false; code: string };

/** send_chat_message as `userId`, in one transaction, the way PostgREST runs an RPC. */
async function send(sql: postgres.Sql, userId: string, sessionId: string, body: string): Promise<Outcome> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@example.test` });
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
      await tx`select id from public.send_chat_message(${sessionId}::uuid, ${body})`;
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "PGRST") return { ok: false, code: JSON.parse(err.message).code };
    throw err;
  }
}

async function createUsers(admin: postgres.Sql, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => crypto.randomUUID());
  for (const id of ids) {
    await admin`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
                values (${id}, ${`chat-concurrency-${id}@example.test`}, ${admin.json({ display_name: "Chat Load" })},
                        'authenticated', 'authenticated', now())`;
  }
  return ids;
}

async function createSession(admin: postgres.Sql, hostId: string, memberIds: string[]): Promise<string> {
  const [{ id }] = await admin`insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
                               values ('chat concurrency', 'live', 'public', now(), now(), ${hostId}) returning id`;
  await admin`insert into public.bookings ${admin(memberIds.map((user_id) => ({ session_id: id, user_id, status: "confirmed" })))}`;
  return id;
}

Deno.test("chat: 50 parallel sends by one user let exactly chat_rate_limit through", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CALLS, prepare: false, onnotice: () => {} });
  const [host, member] = await createUsers(admin, 2);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  const sessions: string[] = [];
  try {
    // Open every connection up front so the calls really run side by side.
    await Promise.all(Array.from({ length: CALLS }, () => pool`select pg_sleep(0.05)`));
    for (let round = 1; round <= ROUNDS; round++) {
      const session = await createSession(admin, host, [member]);
      sessions.push(session);
      const outcomes = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => send(pool, member, session, `round ${round} message ${i}`)),
      );
      const ok = outcomes.filter((o) => o.ok).length;
      const codes = new Set(outcomes.filter((o): o is { ok: false; code: string } => !o.ok).map((o) => o.code));
      assert.equal(ok, 5, `round ${round}: ${ok} messages got through`);
      assert.deepEqual([...codes], ["rate_limited"], `round ${round}: refusals ${[...codes]}`);
      const [{ n }] = await admin`select count(*)::int as n from public.chat_messages where session_id = ${session}`;
      assert.equal(n, 5, `round ${round}: ${n} rows stored`);
    }
  } finally {
    if (sessions.length) await admin`delete from public.sessions where id in ${admin(sessions)}`;
    await admin`delete from auth.users where id in ${admin([host, member])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});

Deno.test("chat: 50 users posting at once all get through", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CALLS, prepare: false, onnotice: () => {} });
  const [host, ...members] = await createUsers(admin, CALLS + 1);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  let session: string | undefined;
  try {
    session = await createSession(admin, host, members);
    const outcomes = await Promise.all(members.map((m, i) => send(pool, m, session!, `hello ${i}`)));
    assert.equal(outcomes.filter((o) => o.ok).length, CALLS);
    const [{ n, authors }] = await admin`select count(*)::int as n, count(distinct user_id)::int as authors
                                         from public.chat_messages where session_id = ${session}`;
    assert.deepEqual([n, authors], [CALLS, CALLS]);
  } finally {
    if (session) await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id in ${admin([host, ...members])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
