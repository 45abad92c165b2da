/**
 * The notification outbox under real concurrency: 8 dispatchers, each on its own connection as
 * service_role, claim batches of 25 (private.claim_notification_deliveries, FOR UPDATE SKIP LOCKED)
 * and record them sent, all at once, until nothing is left. Every one of 400 queued deliveries is
 * claimed exactly once and ends sent with one attempt. Deliveries that existed before the test are
 * held back (next_attempt_at moved an hour ahead) and put back afterwards.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { dbUrl, insertUsers } from "./_lib.ts";

const DISPATCHERS = 8;
const BATCH = 25;
const NOTIFICATIONS = 200; // x 2 channels

type Claimed = { id: string; attempts: number };

/** One dispatcher: claim, record sent, until a claim comes back empty. Returns what it claimed. */
async function dispatcher(sql: postgres.Sql): Promise<string[]> {
  const mine: string[] = [];
  for (;;) {
    const rows = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'service_role', true)`;
      return await tx<Claimed[]>`select id, attempts from private.claim_notification_deliveries(${BATCH}, 60)`;
    });
    if (rows.length === 0) return mine;
    mine.push(...rows.map((r) => r.id));
    const results = rows.map((r) => ({ id: r.id, attempt: r.attempts, outcome: "sent", provider_message_id: `m-${r.id}` }));
    const [{ n }] = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'service_role', true)`;
      return await tx<{ n: number }[]>`select private.record_notification_deliveries(${tx.json(results)}) as n`;
    });
    assert.equal(n, rows.length, "every result of a current claim is recorded");
  }
}

Deno.test("outbox: 8 parallel dispatchers claim and record every delivery exactly once", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: DISPATCHERS, prepare: false, onnotice: () => {} });
  const user = crypto.randomUUID();
  let held: { id: string; next_attempt_at: Date }[] = [];
  try {
    await Promise.all(Array.from({ length: DISPATCHERS }, () => pool`select 1`));
    held = await admin`update public.notification_deliveries d set next_attempt_at = d.next_attempt_at + interval '1 hour'
                       where d.status in ('queued', 'sending') returning d.id, d.next_attempt_at - interval '1 hour' as next_attempt_at`;
    await insertUsers(admin, "outbox", [user]);
    await admin`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
                values (${user}, ${`https://fcm.googleapis.com/fcm/send/${user}`},
                        'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
                        'tBHItJI5svbpez7KI4CCXg')`;
    await admin`select private.notify(${user}, 'session_cancelled', 'Cancelled ' || g) from generate_series(1, ${NOTIFICATIONS}) g`;
    const [{ queued }] = await admin<{ queued: number }[]>`
      select count(*)::int as queued from public.notification_deliveries where user_id = ${user} and status = 'queued'`;
    assert.equal(queued, NOTIFICATIONS * 2, "one email and one push delivery per notification");

    const claimed = (await Promise.all(Array.from({ length: DISPATCHERS }, () => dispatcher(pool)))).flat();
    assert.equal(claimed.length, NOTIFICATIONS * 2, "as many claims as deliveries");
    assert.equal(new Set(claimed).size, claimed.length, "no delivery was claimed twice");
    const rows = await admin<{ status: string; attempts: number; n: number }[]>`
      select status, attempts, count(*)::int as n from public.notification_deliveries where user_id = ${user} group by 1, 2`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ status: "sent", attempts: 1, n: NOTIFICATIONS * 2 }],
      "every delivery is sent, on its first attempt");
  } finally {
    await admin`delete from auth.users where id = ${user}`;
    for (const h of held) {
      await admin`update public.notification_deliveries set next_attempt_at = ${h.next_attempt_at} where id = ${h.id}`;
    }
    await pool.end();
    await admin.end();
  }
});
