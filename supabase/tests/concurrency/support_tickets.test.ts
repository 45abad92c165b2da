/**
 * Support tickets under real concurrency, each call a PostgREST-like transaction as the user on its
 * own connection: 20 parallel open_support_ticket calls by one user let exactly 5 through (the
 * per-hour limit), the others are rate_limited with a Retry-After of at most an hour; another
 * user opening at the same time is not affected.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUserResult as asUser, dbUrl, insertUsers } from "./_lib.ts";

const CALLS = 20;

Deno.test("support tickets: 20 parallel opens by one user let exactly 5 through", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CALLS + 2, prepare: false, onnotice: () => {} });
  const users = [crypto.randomUUID(), crypto.randomUUID()];
  try {
    await insertUsers(admin, "ticket", users);
    const [busy, other] = users;
    await Promise.all(Array.from({ length: CALLS + 2 }, () => pool`select 1`));
    const open = (user: string, i: number) =>
      asUser(pool, user, async (tx) => {
        const [row] = await tx`select id from public.open_support_ticket(${`Parallel ticket ${i}`}, ${`Body ${i}`})`;
        return row.id as string;
      });
    const [outcomes, others] = await Promise.all([
      Promise.all(Array.from({ length: CALLS }, (_, i) => open(busy, i))),
      Promise.all([open(other, 100), open(other, 101)]),
    ]);
    const ok = outcomes.filter((o) => o.ok).length;
    const limited = outcomes.filter((o) => !o.ok && o.code === "rate_limited");
    assert.equal(ok, 5, "exactly 5 tickets get through");
    assert.equal(limited.length, CALLS - 5, "every other call is rate_limited");
    for (const o of limited) {
      assert.ok(!o.ok && Number(o.retryAfter) >= 1 && Number(o.retryAfter) <= 3600, "with a Retry-After of 1..3600 s");
    }
    assert.ok(others.every((o) => o.ok), "another user opening at the same time is not limited");
    const [{ stored }] = await admin`select count(*)::int as stored from public.support_tickets where user_id = ${busy}`;
    assert.equal(stored, 5, "5 tickets are stored");
    const [{ messages }] = await admin`
      select count(*)::int as messages from public.ticket_messages m
      join public.support_tickets t on t.id = m.ticket_id where t.user_id = ${busy}`;
    assert.equal(messages, 5, "each with its first message");
  } finally {
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await pool.end();
    await admin.end();
  }
});
