/**
 * The push dispatcher's write-back (private.record_push_subscription_states) against the operator's edit of the
 * host list, under real concurrency. 8 dispatchers, each on its own connection as service_role, report a
 * refused endpoint for 40 users' devices (the host was not listed when they read it) and then mark them used, as
 * dispatch-notifications does, while the operator lists the host again on another connection (its trigger
 * re-enables disabled rows). Whatever the interleaving, once the host is listed no device on it may stay
 * disabled: a write-back that comes after the edit sees the host and disables nothing, and an edit that comes
 * after a write-back re-enables what it disabled (the SHARE lock on private.push_service_hosts orders them).
 * Nothing deadlocks. Ten rounds.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { dbUrl, insertUsers } from "./_lib.ts";

const DISPATCHERS = 8;
const USERS = 40;
const ROUNDS = 10;
const P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
const AUTH = "tBHItJI5svbpez7KI4CCXg";

Deno.test("push write-back: a host listed again during the write-backs leaves no device on it disabled", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const operator = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: DISPATCHERS, prepare: false, onnotice: () => {} });
  const host = `race-${crypto.randomUUID().slice(0, 8)}.push.example.test`;
  const users = Array.from({ length: USERS }, () => crypto.randomUUID());
  try {
    await Promise.all(Array.from({ length: DISPATCHERS }, () => pool`select 1`));
    await insertUsers(admin, "push-race", users);
    await admin`insert into private.push_service_hosts (host, note) values (${host}, 'tests/concurrency')`;
    const subs = await admin<{ id: string; user_id: string; endpoint: string }[]>`
      insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
      select u, 'https://' || ${host} || '/push/' || u, ${P256DH}, ${AUTH} from unnest(${users}::uuid[]) u
      returning id, user_id, endpoint`;

    for (let round = 0; round < ROUNDS; round++) {
      // The host is removed; the dispatchers read the devices as refused.
      await admin`delete from private.push_service_hosts where host = ${host}`;
      await admin`update public.push_subscriptions set disabled_at = null, disabled_reason = null, disabled_cause = null
                  where user_id = any(${users}::uuid[])`;
      const queue = [...subs];
      const dispatcher = async () => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          const sub = s;
          await pool.begin(async (tx) => {
            await tx`select set_config('role', 'service_role', true)`;
            await tx`select private.record_push_subscription_states(${sub.user_id},
                       ${tx.json([{ id: sub.id, endpoint: sub.endpoint, state: "refused" }])})`;
            await tx`update public.push_subscriptions set last_used_at = now() where id = ${sub.id}`;
          });
        }
      };
      const operatorEdit = async () => {
        // Somewhere in the middle of the write-backs.
        await new Promise((r) => setTimeout(r, 2 + round * 3));
        await operator`insert into private.push_service_hosts (host, note) values (${host}, 'tests/concurrency')`;
      };
      await Promise.all([...Array.from({ length: DISPATCHERS }, dispatcher), operatorEdit()]);
      const [{ disabled }] = await admin<{ disabled: number }[]>`
        select count(*)::int as disabled from public.push_subscriptions
        where user_id = any(${users}::uuid[]) and disabled_at is not null`;
      assert.equal(disabled, 0, `round ${round}: the host is listed, yet ${disabled} device(s) on it stayed disabled`);
    }
  } finally {
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await admin`delete from private.push_service_hosts where host = ${host}`;
    await Promise.all([admin.end(), operator.end(), pool.end()]);
  }
});
