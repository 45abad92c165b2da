import assert from "node:assert/strict";
import { asCaller, closeDb, isSocketFault } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import type { Claims } from "../_shared/auth.ts";
import "./helpers.ts";

const serviceRole: Claims = { role: "service_role" };
const anon: Claims = { role: "anon" };
const user: Claims = { role: "authenticated", sub: crypto.randomUUID() };

async function apiErrorOf(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${err}`);
    return err;
  }
  assert.fail("expected an error");
}

Deno.test("db: asCaller and the Postgres error mapping", async (t) => {
  try {
    await t.step("asCaller sets role and claims for one transaction only", async () => {
      const [row] = await asCaller(user, (tx) => tx`select current_user, auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'sub' as jwt_sub`);
      assert.deepEqual({ ...row }, { current_user: "authenticated", uid: user.sub, role: "authenticated", jwt_sub: user.sub });
      const [after] = await asCaller(anon, (tx) => tx`select current_user, auth.uid() as uid`);
      assert.deepEqual({ ...after }, { current_user: "anon", uid: null });
    });

    await t.step("a role outside the allowlist is refused before any SQL", async () => {
      const err = await apiErrorOf(asCaller({ role: "postgres" } as unknown as Claims, (tx) => tx`select 1`));
      assert.equal(err.status, 401);
    });

    await t.step("PGRST rate_limited -> 429 with Retry-After", async () => {
      const err = await apiErrorOf(asCaller(serviceRole, (tx) => tx`select private.raise_error('rate_limited', 'x', null, 7)`));
      assert.equal(err.code, "rate_limited");
      assert.equal(err.message, "x");
      assert.equal(err.status, 429);
      assert.equal(err.headers["Retry-After"], "7");
    });

    await t.step("PGRST keeps code, message, details and status", async () => {
      const err = await apiErrorOf(asCaller(user, (tx) => tx`select private.raise_error('session_full', 'The session is full', '{"capacity":3}'::jsonb)`));
      assert.deepEqual([err.code, err.message, err.details, err.status], ["session_full", "The session is full", { capacity: 3 }, 409]);
      const unauth = await apiErrorOf(asCaller(anon, (tx) => tx`select private.raise_error('not_authenticated', 'Sign in')`));
      assert.equal(unauth.status, 401);
      assert.equal(unauth.headers["WWW-Authenticate"], "Bearer");
    });

    await t.step("42501 -> 401 for anon, 403 forbidden otherwise", async () => {
      const q = (tx: Parameters<Parameters<typeof asCaller>[1]>[0]) => tx`select count(*) from auth.users`;
      assert.equal((await apiErrorOf(asCaller(anon, q))).status, 401);
      const err = await apiErrorOf(asCaller(user, q));
      assert.deepEqual([err.code, err.status], ["forbidden", 403]);
    });

    await t.step("constraint and data errors -> 409 / 400, missing objects -> 404, others -> 500", async () => {
      const cases: Array<[string, string, number]> = [
        ["create temp table t (id int primary key); insert into t values (1), (1)", "conflict", 409],
        ["create temp table t (n int check (n > 0)); insert into t values (0)", "invalid_input", 400],
        ["create temp table t (n int not null); insert into t values (null)", "invalid_input", 400],
        ["select 'abc'::int", "invalid_input", 400],
        ["do $$ begin raise exception 'nope'; end $$", "invalid_input", 400],
        ["select * from public.no_such_table", "not_found", 404],
        ["select public.no_such_function()", "not_found", 404],
        ["set local statement_timeout = 10; select pg_sleep(1)", "internal_error", 500],
        ["select * from pg_sleep('x'::text::int)", "invalid_input", 400],
      ];
      for (const [statement, code, status] of cases) {
        const err = await apiErrorOf(asCaller(serviceRole, (tx) => tx.unsafe(statement)));
        assert.deepEqual([err.code, err.status], [code, status], statement);
      }
    });
  } finally {
    await closeDb();
  }
});

Deno.test("db: isSocketFault recognises only postgres.js losing its server", () => {
  const timerFault = new TypeError("Cannot read properties of null (reading 'write')");
  timerFault.stack = `${timerFault.message}\n    at Immediate.nextWrite (file:///cache/npm/registry.npmjs.org/postgres/3.4.9/src/connection.js:255:22)`;
  assert.equal(isSocketFault(timerFault), true, "the write-timer TypeError of a dead socket");
  assert.equal(isSocketFault(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })), true, "an unawaited reset");
  const ownBug = new TypeError("Cannot read properties of null (reading 'write')");
  ownBug.stack = `${ownBug.message}\n    at handler (file:///functions/send-message/handler.ts:10:5)`;
  assert.equal(isSocketFault(ownBug), false, "the same message from a function's own code is not swallowed");
  assert.equal(isSocketFault(new Error("boom")), false);
  assert.equal(isSocketFault(null), false);
});
