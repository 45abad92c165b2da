/**
 * Support tickets under real concurrency, each call a PostgREST-like transaction as the user on its
 * own connection: 20 parallel open_support_ticket calls by one user let exactly 5 through (the
 * per-hour limit), the others are rate_limited with a Retry-After of at most an hour; another
 * user opening at the same time is not affected.
 */
import assert from "node:assert/strict";
import postgres from "postgres";

const CALLS = 20;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; retryAfter?: string };

/** Runs `fn` as `userId` in one transaction, the way PostgREST runs an RPC. */
async function asUser<T>(sql: postgres.Sql, userId: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<Outcome<T>> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@example.test` });
  try {
    const value = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
      return await fn(tx);
    });
    return { ok: true, value: value as T };
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "PGRST") {
      const detail = err.detail ? JSON.parse(err.detail) : {};
      return { ok: false, code: JSON.parse(err.message).code, retryAfter: detail.headers?.["Retry-After"] };
    }
    throw err;
  }
}

Deno.test("support tickets: 20 parallel opens by one user let exactly 5 through", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CALLS + 2, prepare: false, onnotice: () => {} });
  const users = [crypto.randomUUID(), crypto.randomUUID()];
  try {
    for (const id of users) {
      await admin`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
                  values (${id}, ${`ticket-concurrency-${id}@example.test`}, ${admin.json({ display_name: "Ticket Load" })},
                          'authenticated', 'authenticated', now())`;
    }
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
