/**
 * No state leaks between callers behind a transaction pooler (issue 21 item 1). Runs in npm test's
 * pooled pass, against PgBouncer in transaction mode (scripts/lib.sh pooler_start): the database
 * `postgres_single` of the pooler reaches Postgres through exactly ONE server connection, so every client
 * below shares it, transaction after transaction, as Edge Functions share Supavisor's connections.
 *
 * 1. The setup can leak: a value one client sets at session level is seen by another client's next
 *    transaction on the same server backend (otherwise this test could not fail).
 * 2. Two users' requests through the real `asCaller` (supabase/functions/_shared/db.ts), interleaved with
 *    anon requests and with a careless client that sets role, claims, search_path and statement_timeout at
 *    session level between them: every transaction runs on that one backend and sees only its own identity
 *    (current_user, auth.uid(), auth.role(), auth.jwt()), the search_path and the statement timeout of its
 *    role; writes land under the right user.
 * 3. asCaller leaves nothing behind: after its transactions the connection carries no role and no claims.
 *
 * Needs POOLER_SINGLE_DB_URL (the `postgres_single` database of the pooler, as postgres).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asCaller, closeDb } from "../../functions/_shared/db.ts";
import type { Claims } from "../../functions/_shared/auth.ts";

const ROUNDS = 40;

function singleUrl(): string {
  const url = Deno.env.get("POOLER_SINGLE_DB_URL");
  if (!url) throw new Error("POOLER_SINGLE_DB_URL is not set: this test runs in npm test's pooled pass (scripts/test.sh)");
  return url;
}

interface Seen {
  pid: number;
  current_user: string;
  uid: string | null;
  role: string | null;
  jwt_sub: string | null;
  search_path: string;
  statement_timeout: string;
}

const SEE = (tx: postgres.TransactionSql) =>
  tx<Seen[]>`select pg_backend_pid() as pid, current_user, auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'sub' as jwt_sub,
                   current_setting('search_path') as search_path, current_setting('statement_timeout') as statement_timeout,
                   pg_sleep(random() * 0.005)`;

Deno.test("pooling: no role, claims or settings leak between callers on one server connection", async () => {
  const url = singleUrl();
  const savedUrl = Deno.env.get("SUPABASE_DB_URL");
  // asCaller's pool goes through the one-connection database of the pooler, with three client connections.
  await closeDb();
  Deno.env.set("SUPABASE_DB_URL", url);
  Deno.env.set("DB_POOL_MAX", "3");
  const admin = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  const careless = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  const users: string[] = [];
  try {
    for (const label of ["a", "b"]) {
      const [{ id }] = await admin`
        insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
        values (gen_random_uuid(), ${`pooling-${label}-${crypto.randomUUID().slice(0, 8)}@example.test`},
                ${admin.json({ display_name: "Pooling " + label })}, 'authenticated', 'authenticated', now())
        returning id`;
      users.push(id);
    }
    const [a, b] = users;
    const claimsOf = (sub: string): Claims => ({ sub, role: "authenticated", aud: "authenticated" });

    // 1. The pooler shares session state between clients: the test environment can leak.
    const [{ pid: carelessPid }] = await careless`select pg_backend_pid() as pid,
      set_config('request.jwt.claims', ${JSON.stringify(claimsOf(a))}, false)`;
    const [probe] = await admin`select pg_backend_pid() as pid, current_setting('request.jwt.claims', true) as claims`;
    assert.equal(probe.pid, carelessPid, "both clients reach the same server backend");
    assert.equal(JSON.parse(probe.claims).sub, a, "a session-level setting of one client is visible to the next one");

    // 2. Interleaved requests of a, b and anon, with the careless client polluting the session between them.
    const pollute = (who: string) =>
      careless.unsafe(`set role authenticated; set search_path = pg_temp, auth, public;
                       set statement_timeout = '42s';
                       select set_config('request.jwt.claims', '${JSON.stringify(claimsOf(who))}', false),
                              set_config('request.jwt.claim.sub', '${who}', false)`);
    const pids = new Set<number>();
    const expectOwn = async (claims: Claims) => {
      const [seen] = await asCaller(claims, SEE);
      pids.add(seen.pid);
      const who = claims.sub ?? null;
      assert.deepEqual(
        { current_user: seen.current_user, uid: seen.uid, role: seen.role, jwt_sub: seen.jwt_sub },
        { current_user: claims.role, uid: who, role: claims.role, jwt_sub: who },
        `a ${claims.role} request of ${who} saw another identity`,
      );
      assert.equal(seen.search_path, "public, extensions", "the caller's search_path");
      assert.equal(seen.statement_timeout, claims.role === "anon" ? "3s" : "8s", "the role's statement timeout");
    };
    for (let round = 0; round < ROUNDS; round++) {
      await pollute(round % 2 ? a : b);
      await Promise.all([
        expectOwn(claimsOf(a)),
        expectOwn(claimsOf(b)),
        expectOwn({ role: "anon" }),
        careless`select 1`, // the careless client's next statement shares the backend too
        expectOwn(claimsOf(round % 2 ? b : a)),
      ]);
    }
    // Writes land under the caller: each user marks their own (nonexistent) notifications read and
    // sets their own display name; the rows show who wrote.
    await Promise.all(users.flatMap((u) => [
      asCaller(claimsOf(u), (tx) => tx`update public.profiles set display_name = ${"Own " + u.slice(0, 8)} where id = auth.uid()`),
      pollute(u === a ? b : a),
    ]));
    assert.equal(pids.size, 1, `every request ran on the one server connection (backends: ${[...pids]})`);
    assert.deepEqual([...pids], [carelessPid]);

    // 3. asCaller leaves nothing at session level: with the careless client's settings reset, a bare
    // statement after the requests sees the pooler's own role and no claims.
    await careless.unsafe(`reset role; reset search_path; reset statement_timeout;
                           select set_config('request.jwt.claims', '', false), set_config('request.jwt.claim.sub', '', false)`);
    await Promise.all([expectOwn(claimsOf(a)), expectOwn(claimsOf(b))]);
    const [after] = await admin`select pg_backend_pid() as pid, current_user, auth.uid() as uid,
                                       coalesce(current_setting('request.jwt.claims', true), '') as claims,
                                       current_setting('statement_timeout') as statement_timeout`;
    assert.deepEqual({ ...after }, { pid: carelessPid, current_user: "postgres", uid: null, claims: "", statement_timeout: "0" });
    const names = await admin`select id, display_name from public.profiles where id = any(${users}::uuid[]) order by id`;
    for (const row of names) assert.equal(row.display_name, "Own " + row.id.slice(0, 8), "a profile written by its own user only");
  } finally {
    await closeDb();
    if (savedUrl) Deno.env.set("SUPABASE_DB_URL", savedUrl);
    Deno.env.delete("DB_POOL_MAX");
    await careless.unsafe("reset all; reset role").catch(() => {});
    await admin`delete from auth.users where id = any(${users}::uuid[])`.catch(() => {});
    await careless.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
