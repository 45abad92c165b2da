/**
 * dispatch-notifications against the real local database, with a local HTTP server standing in for
 * api.resend.com: a delivery queued for an account that is deactivated or deleted before the dispatcher
 * gets to it is not sent. notification_delivery_context wants neither channel for such an account
 * (private.receives_notifications, the rule enqueue and the digest job use), so the dispatcher cancels it;
 * the active reader queued at the same moment is mailed. (deactivate_user also cancels what is queued; the
 * statuses here are written directly, as a deactivation committing after the dispatcher claimed would leave
 * them.) Deliveries that existed before are held back (next_attempt_at + 1 h) and put back afterwards.
 */
import assert from "node:assert/strict";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { adminDb, holdOtherDeliveries } from "./helpers.ts";

const DISPATCH_SECRET = "test-dispatch-secret-0123456789abcdef";
Deno.env.set("DISPATCH_SECRET", DISPATCH_SECRET);
Deno.env.set("UNSUBSCRIBE_SECRET", "test-unsubscribe-secret-0123456789abcdef");
Deno.env.set("SITE_URL", "https://app.example.test");

Deno.test("dispatch-notifications: deliveries of an account deactivated or deleted since they were queued are cancelled, not sent", async () => {
  const sql = adminDb();
  const users: string[] = [];
  const requests: { to: string[] }[] = [];
  const resend = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    requests.push({ to: body.to });
    return Response.json({ id: `re_${requests.length}` });
  });
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("RESEND_API_KEY", "re_test_key");
  Deno.env.set("RESEND_API_URL", `http://127.0.0.1:${resend.addr.port}`);
  const held = await holdOtherDeliveries(sql);
  try {
    const make = async (label: string) => {
      const id = crypto.randomUUID();
      const email = `inactive-${label}-${id.slice(0, 8)}@example.test`;
      await sql`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
                values (${id}, ${email}, ${sql.json({ display_name: `Inactive ${label}` })}, 'authenticated', 'authenticated', now())`;
      users.push(id);
      return { id, email };
    };
    const active = await make("active");
    const paused = await make("paused");
    const gone = await make("gone");
    for (const u of [active, paused, gone]) {
      await sql`select private.notify(${u.id}, 'session_cancelled', 'Cancelled: Evening class', 'It will not take place.', '/sessions')`;
    }
    const queued = await sql<{ id: string; user_id: string }[]>`
      select id, user_id from public.notification_deliveries
      where user_id = any(${users}::uuid[]) and channel = 'email' and status = 'queued'`;
    assert.equal(queued.length, 3, "setup: an email queued for each of the three while they were active");

    // Then one account is deactivated and one deleted (its address replaced, as erase_account does).
    await sql`update public.profiles set status = 'deactivated', status_changed_at = now() where id = ${paused.id}`;
    await sql`update public.profiles set status = 'deleted', status_changed_at = now() where id = ${gone.id}`;
    await sql`update auth.users set email = 'deleted-' || id::text || '@deleted.invalid' where id = ${gone.id}`;

    const res = await fetch(`${base}/dispatch-notifications`, { method: "POST", headers: { "X-Dispatch-Secret": DISPATCH_SECRET } });
    assert.equal(res.status, 200, await res.text());
    const to = requests.flatMap((r) => r.to);
    assert.ok(to.includes(active.email), "the active reader is mailed");
    assert.ok(!to.includes(paused.email), "the deactivated account is not mailed");
    assert.ok(!to.some((a) => a.endsWith("@deleted.invalid")), "nothing goes to a deleted account's placeholder address");
    const states = await sql<{ user_id: string; status: string }[]>`
      select user_id, status from public.notification_deliveries where id = any(${queued.map((q) => q.id)}::uuid[])`;
    const byUser = Object.fromEntries(states.map((s) => [s.user_id, s.status]));
    assert.deepEqual(byUser, { [active.id]: "sent", [paused.id]: "cancelled", [gone.id]: "cancelled" });
  } finally {
    Deno.env.delete("RESEND_API_KEY");
    Deno.env.delete("RESEND_API_URL");
    await sql`delete from auth.users where id = any(${users}::uuid[])`;
    await held.release();
    await sql.end();
    await server.shutdown();
    await resend.shutdown();
  }
});
