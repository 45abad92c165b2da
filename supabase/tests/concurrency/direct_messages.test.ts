/**
 * Direct messages under real concurrency, each call a PostgREST-like transaction as the user on its
 * own connection:
 * - 20 parallel start_conversation calls between the same two users (10 from each side) all return
 *   one and the same conversation, and exactly one direct conversation (and pair row) exists; repeated
 *   with fresh pairs.
 * - 40 parallel send_direct_message calls by one user let exactly 20 through (the per-user limit),
 *   the others are rate_limited with a Retry-After.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUserResult as asUser, createUsers, dbUrl } from "./_lib.ts";

const CALLS = 20;
const ROUNDS = 3;

async function cleanup(admin: postgres.Sql, users: string[]) {
  if (users.length === 0) return;
  await admin`delete from public.conversations where created_by = any(${users}::uuid[])`;
  await admin`delete from auth.users where id = any(${users}::uuid[])`;
}

Deno.test("direct messages: 20 parallel start_conversation calls between two users yield one conversation", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CALLS, prepare: false, onnotice: () => {} });
  const users: string[] = [];
  try {
    // Open every connection up front so the calls really run side by side.
    await Promise.all(Array.from({ length: CALLS }, () => pool`select 1`));
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await createUsers(admin, "dm", 2);
      users.push(a, b);
      const outcomes = await Promise.all(Array.from({ length: CALLS }, (_, i) => {
        const [caller, other] = i % 2 === 0 ? [a, b] : [b, a];
        return asUser(pool, caller, async (tx) => {
          const [row] = await tx`select id, kind from public.start_conversation(${[other]}::uuid[])`;
          return row as { id: string; kind: string };
        });
      }));
      const ids = new Set(outcomes.map((o) => {
        assert.ok(o.ok, `round ${round}: every call succeeds (${JSON.stringify(o)})`);
        assert.equal(o.value.kind, "direct");
        return o.value.id;
      }));
      assert.equal(ids.size, 1, `round ${round}: every call returned the same conversation`);
      const [{ conversations, members, pairs }] = await admin`
        select (select count(*)::int from public.conversations c
                where c.kind = 'direct' and c.created_by in (${a}, ${b})) as conversations,
               (select count(*)::int from public.conversation_members m where m.conversation_id = ${[...ids][0]}) as members,
               (select count(*)::int from private.direct_pairs p
                where p.user_low = least(${a}::uuid, ${b}::uuid) and p.user_high = greatest(${a}::uuid, ${b}::uuid)) as pairs`;
      assert.equal(conversations, 1, `round ${round}: exactly one direct conversation exists`);
      assert.equal(members, 2, `round ${round}: with exactly two members`);
      assert.equal(pairs, 1, `round ${round}: and one pair row`);
    }
  } finally {
    await cleanup(admin, users);
    await pool.end();
    await admin.end();
  }
});

Deno.test("direct messages: 40 parallel sends by one user let exactly 20 through", async () => {
  const SENDS = 40;
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: SENDS, prepare: false, onnotice: () => {} });
  const users = await createUsers(admin, "dm", 3);
  const [sender, r1, r2] = users;
  try {
    await Promise.all(Array.from({ length: SENDS }, () => pool`select 1`));
    const conversations: string[] = [];
    for (const other of [r1, r2]) {
      const o = await asUser(pool, sender, async (tx) => {
        const [row] = await tx`select id from public.start_conversation(${[other]}::uuid[])`;
        return row.id as string;
      });
      assert.ok(o.ok);
      conversations.push(o.value);
    }
    const outcomes = await Promise.all(Array.from({ length: SENDS }, (_, i) =>
      asUser(pool, sender, async (tx) => {
        await tx`select id from public.send_direct_message(${conversations[i % 2]}::uuid, ${`message ${i}`})`;
        return true;
      })));
    const ok = outcomes.filter((o) => o.ok).length;
    const limited = outcomes.filter((o) => !o.ok && o.code === "rate_limited");
    assert.equal(ok, 20, "exactly 20 messages get through across both conversations");
    assert.equal(limited.length, SENDS - 20, "every other call is rate_limited");
    for (const o of limited) {
      assert.ok(!o.ok && Number(o.retryAfter) >= 1 && Number(o.retryAfter) <= 60, "with a Retry-After of 1..60 s");
    }
    const [{ stored }] = await admin`select count(*)::int as stored from public.direct_messages where user_id = ${sender}`;
    assert.equal(stored, 20, "20 messages are stored");
  } finally {
    await cleanup(admin, users);
    await pool.end();
    await admin.end();
  }
});
