/**
 * Idempotent sends under real concurrency: 20 parallel retries of one client id, each on its own
 * connection in a PostgREST-like transaction as the same user, create exactly one message and one
 * broadcast, and every call answers that message: send_chat_message as a member (who takes the
 * per-user lock) and as a host (no lock: the unique index decides), send_direct_message (one
 * notification too) and ask_question. The retries are not charged to the rate limit either: with
 * chat_rate_limit 2, the member can still post another message afterwards.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { apiCode, asUser as asUserTx, dbUrl, insertUsers } from "./_lib.ts";

const RETRIES = 20;

type Outcome = { ok: true; id: string } | { ok: false; code: string };

/** One statement as `userId`, in one transaction, the way PostgREST runs an RPC; answers the id it returns. */
function asUser(sql: postgres.Sql, userId: string, run: (tx: postgres.TransactionSql) => Promise<{ id: string }[]>): Promise<Outcome> {
  return asUserTx(sql, userId, async (tx) => {
    const [row] = await run(tx);
    return row.id;
  }).then((id): Outcome => ({ ok: true, id: String(id) }), (err) => ({ ok: false, code: apiCode(err) }));
}

function assertOneAnswer(outcomes: Outcome[], what: string): string {
  const failed = outcomes.filter((o) => !o.ok);
  assert.deepEqual(failed, [], `${what}: every retry succeeds`);
  const ids = new Set(outcomes.map((o) => (o as { id: string }).id));
  assert.equal(ids.size, 1, `${what}: every retry answers the same message (${[...ids].join(", ")})`);
  return [...ids][0];
}

Deno.test("idempotent sends: 20 parallel retries of one client id create one message", async (t) => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: RETRIES, prepare: false, onnotice: () => {} });
  const host = crypto.randomUUID(), member = crypto.randomUUID(), friend = crypto.randomUUID();
  const users = [host, member, friend];
  let session: string | undefined;
  try {
    await insertUsers(admin, "idempotent", users);
    await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
    [{ id: session }] = await admin`
      insert into public.sessions (title, status, visibility, starts_at, started_at, chat_rate_limit, created_by)
      values ('idempotent sends', 'live', 'members', now(), now(), 2, ${host}) returning id`;
    await admin`insert into public.bookings (session_id, user_id, status) values (${session!}, ${member}, 'confirmed')`;
    // Open every connection up front so the calls really run side by side.
    await Promise.all(Array.from({ length: RETRIES }, () => pool`select pg_sleep(0.05)`));

    for (const [who, userId] of [["a member", member], ["the host", host]] as const) {
      await t.step(`send_chat_message as ${who}`, async () => {
        const key = crypto.randomUUID();
        const outcomes = await Promise.all(Array.from({ length: RETRIES }, () =>
          asUser(pool, userId, (tx) => tx`select id from public.send_chat_message(${session!}::uuid, 'only once', null, 'message', ${key}::uuid)`)
        ));
        const id = assertOneAnswer(outcomes, `chat (${who})`);
        const [{ rows, broadcasts }] = await admin`
          select (select count(*)::int from public.chat_messages where client_id = ${key}) as rows,
                 (select count(*)::int from realtime.messages where event = 'new_message' and payload ->> 'id' = ${id}) as broadcasts`;
        assert.equal(rows, 1, `chat (${who}): rows`);
        assert.equal(broadcasts, 1, `chat (${who}): new_message broadcasts`);
      });
    }

    await t.step("the member's retries were not charged to the rate limit (2 per minute)", async () => {
      const next = await asUser(pool, member, (tx) => tx`select id from public.send_chat_message(${session!}::uuid, 'second', null, 'message', ${crypto.randomUUID()}::uuid)`);
      assert.ok(next.ok, JSON.stringify(next));
      const third = await asUser(pool, member, (tx) => tx`select id from public.send_chat_message(${session!}::uuid, 'third', null, 'message', ${crypto.randomUUID()}::uuid)`);
      assert.deepEqual(third, { ok: false, code: "rate_limited" });
    });

    await t.step("send_direct_message", async () => {
      const [{ id: conversation }] = await asUserTx(admin, member, async (tx) => {
        return await tx`select (public.start_conversation(array[${friend}]::uuid[])).id`;
      });
      const key = crypto.randomUUID();
      const outcomes = await Promise.all(Array.from({ length: RETRIES }, () =>
        asUser(pool, member, (tx) => tx`select id from public.send_direct_message(${conversation}::uuid, 'only once', ${key}::uuid)`)
      ));
      const id = assertOneAnswer(outcomes, "direct message");
      const [{ rows, broadcasts, notifications }] = await admin`
        select (select count(*)::int from public.direct_messages where client_id = ${key}) as rows,
               (select count(*)::int from realtime.messages where event = 'direct_message' and payload ->> 'id' = ${id}) as broadcasts,
               (select count(*)::int from public.notifications where user_id = ${friend} and kind = 'direct_message') as notifications`;
      assert.deepEqual({ rows, broadcasts, notifications }, { rows: 1, broadcasts: 1, notifications: 1 });
    });

    await t.step("ask_question", async () => {
      const key = crypto.randomUUID();
      const outcomes = await Promise.all(Array.from({ length: RETRIES }, () =>
        asUser(pool, member, (tx) => tx`select (public.ask_question(${session!}::uuid, 'Only once?', false, ${key}::uuid)) ->> 'id' as id`)
      ));
      const id = assertOneAnswer(outcomes, "question");
      const [{ rows, broadcasts }] = await admin`
        select (select count(*)::int from public.questions where client_id = ${key}) as rows,
               (select count(*)::int from realtime.messages where event = 'question_updated' and payload ->> 'id' = ${id}) as broadcasts`;
      assert.deepEqual({ rows, broadcasts }, { rows: 1, broadcasts: 1 });
    });
  } finally {
    if (session) await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from public.conversations where created_by in ${admin(users)}`;
    await admin`delete from auth.users where id in ${admin(users)}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
