/**
 * Chat rate limit under real concurrency: one user fires 50 parallel send_chat_message calls on 50
 * connections (each a PostgREST-like transaction as that user); exactly chat_rate_limit (5) get
 * through and the 45 others are rate_limited. Repeated with fresh sessions. Also: 50 different
 * users posting at once all get through (the lock is per user and session, not per session). And a
 * ban given while the user's sends are queued on that lock is ordered after them: nothing of theirs
 * is posted once the ban has committed.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { apiCode, asUser, createUsers, dbUrl } from "./_lib.ts";

const CALLS = 50;
const ROUNDS = 3;

type Outcome = { ok: true } | { ok: false; code: string };

/** send_chat_message as `userId`, in one transaction, the way PostgREST runs an RPC. */
function send(sql: postgres.Sql, userId: string, sessionId: string, body: string): Promise<Outcome> {
  return asUser(sql, userId, (tx) => tx`select id from public.send_chat_message(${sessionId}::uuid, ${body})`)
    .then((): Outcome => ({ ok: true }), (err) => ({ ok: false, code: apiCode(err) }));
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
  const [host, member] = await createUsers(admin, "chat", 2);
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
  const [host, ...members] = await createUsers(admin, "chat", CALLS + 1);
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

Deno.test("chat: a ban is ordered after the user's queued sends, and nothing is posted after it", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 12, prepare: false, onnotice: () => {} });
  const [host, member] = await createUsers(admin, "chat", 2);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  let session: string | undefined;
  const holder = await admin.reserve();
  try {
    session = await createSession(admin, host, [member]);
    await admin`update public.sessions set chat_rate_limit = 1000 where id = ${session}`;
    await Promise.all(Array.from({ length: 12 }, () => pool`select pg_sleep(0.05)`));
    // The user's post in progress: hold their per-user chat lock, so that the sends queue behind it.
    await holder`begin`;
    await holder`select pg_advisory_xact_lock(hashtextextended(${"chat:" + session + ":" + member}, 0))`;
    const sends = Array.from({ length: 8 }, (_, i) => send(pool, member, session!, `queued ${i}`));
    await new Promise((r) => setTimeout(r, 300));
    const ban = asUser(pool, host, async (tx) => {
      await tx`select public.ban_user(${session!}::uuid, ${member}::uuid, 'spam')`;
    }).then(async () => (await pool`select clock_timestamp() as t`)[0].t as Date);
    await new Promise((r) => setTimeout(r, 300));
    await holder`commit`;
    const bannedBy = await ban;
    const outcomes = await Promise.all(sends);
    assert.ok(outcomes.every((o) => o.ok || o.code === "banned"), JSON.stringify(outcomes));
    const [{ late }] = await admin`select count(*)::int as late from public.chat_messages
                                   where session_id = ${session} and user_id = ${member} and created_at >= ${bannedBy}`;
    assert.equal(late, 0, "no message is posted after the ban committed");
    assert.deepEqual(await send(pool, member, session, "after the ban"), { ok: false, code: "banned" });
  } finally {
    holder.release();
    if (session) await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id in ${admin([host, member])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
