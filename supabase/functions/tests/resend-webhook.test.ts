/**
 * resend-webhook through the local router, with real HTTP requests signed by the test the way Resend
 * (Svix) signs them, against the real local database:
 * - email.bounced (permanent) and email.complained suppress the recipients (private.email_suppressions,
 *   the SMTP 550 path): no more email is queued for them, and a queued one is no longer wanted;
 * - a transient bounce and unknown event types are 200 and change nothing; a redelivery changes nothing;
 * - tampered bodies, wrong secrets, stale or future timestamps, missing headers: 401, nothing written;
 * - signed bodies that are not Resend events: 400 invalid_input; other methods 405; no secret 503.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { adminDb, signWebhook } from "./helpers.ts";

const SECRET_BYTES = crypto.getRandomValues(new Uint8Array(24));
const SECRET = "whsec_" + btoa(String.fromCharCode(...SECRET_BYTES));

/** Svix headers for `body`, as Resend sends them. */
function svix(body: string, { secret = SECRET, id = `msg_${crypto.randomUUID()}`, timestamp = Math.floor(Date.now() / 1000) } = {}) {
  return signWebhook(body, { secret, id, timestamp, headerPrefix: "svix" });
}

function event(type: string, to: unknown, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    type,
    created_at: new Date().toISOString(),
    data: { email_id: `em_${crypto.randomUUID()}`, from: "Live Sessions <notify@example.test>", to, subject: "Reminder", ...extra },
  });
}

Deno.test("resend-webhook: signed bounces and complaints suppress the address; forged, stale and malformed requests change nothing", async () => {
  const sql: postgres.Sql = adminDb();
  const server = await startFunctionsServer(0);
  const url = `http://127.0.0.1:${server.port}/functions/v1/resend-webhook`;
  const users: string[] = [];
  const addresses: string[] = [];
  const post = (body: string, headers: Record<string, string>) => fetch(url, { method: "POST", headers, body });
  const expectStatus = async (res: Response, status: number, code?: string) => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    if (code) assert.equal(JSON.parse(text).error.code, code, text);
    return text ? JSON.parse(text) : null;
  };
  const suppressed = async () =>
    (await sql<{ email: string; reason: string; detail: string }[]>`
      select email, reason, detail from private.email_suppressions where email = any(${addresses}) order by email`).map((r) => ({ ...r }));
  const createUser = async (label: string) => {
    const id = crypto.randomUUID();
    const email = `resend-${label}-${id.slice(0, 8)}@example.test`;
    await sql`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
              values (${id}, ${email}, ${sql.json({ display_name: label })}, 'authenticated', 'authenticated', now())`;
    users.push(id);
    addresses.push(email);
    return { id, email };
  };
  try {
    const bounced = await createUser("bounced");
    const complainer = await createUser("complainer");
    const soft = await createUser("soft");
    const bystander = await createUser("bystander");
    // A queued email for the bounced address: after the webhook the dispatcher no longer wants it.
    await sql`select private.notify(${bounced.id}, 'session_cancelled', 'Cancelled')`;
    const [queued] = await sql<{ id: string }[]>`select id from public.notification_deliveries where user_id = ${bounced.id} and channel = 'email'`;

    // Not configured: 503, in the error shape.
    Deno.env.delete("RESEND_WEBHOOK_SECRET");
    const body0 = event("email.bounced", [bounced.email]);
    await expectStatus(await post(body0, svix(body0)), 503, "service_unavailable");
    Deno.env.set("RESEND_WEBHOOK_SECRET", SECRET);

    // Forged and stale requests: 401, nothing written.
    const body = event("email.bounced", [bounced.email], { bounce: { type: "Permanent", subType: "General", message: "550 5.1.1 user unknown" } });
    const good = svix(body);
    await expectStatus(await post(body.replace("Reminder", "Reminder!"), good), 401, "not_authenticated"); // tampered body
    await expectStatus(await post(body, svix(body, { secret: "whsec_" + btoa("another-secret-of-24-bytes") })), 401, "not_authenticated");
    await expectStatus(await post(body, { ...good, "svix-id": "msg_other" }), 401, "not_authenticated"); // id not the signed one
    const now = Math.floor(Date.now() / 1000);
    await expectStatus(await post(body, svix(body, { timestamp: now - 301 })), 401, "not_authenticated"); // expired
    await expectStatus(await post(body, svix(body, { timestamp: now + 301 })), 401, "not_authenticated"); // from the future
    await expectStatus(await post(body, { "content-type": "application/json" }), 401, "not_authenticated"); // unsigned
    await expectStatus(await post(body, { ...good, "svix-signature": "v1,AAAA" }), 401, "not_authenticated");
    const standard = Object.fromEntries(Object.entries(good).map(([k, v]) => [k.replace(/^svix-/, "webhook-"), v]));
    await expectStatus(await post(body, standard), 401, "not_authenticated"); // Standard Webhooks names: not Resend's
    assert.deepEqual(await suppressed(), [], "nothing was suppressed by refused requests");
    await expectStatus(await fetch(url, { method: "GET" }), 405, "method_not_allowed");

    // A permanent bounce, signed (with a stale signature first in the list, as during a key rotation).
    const rotated = { ...good, "svix-signature": `v1,${btoa("x".repeat(32))} ${good["svix-signature"]}` };
    const ok = await expectStatus(await post(body, rotated), 200);
    assert.deepEqual(ok, { received: true, type: "email.bounced", suppressed: 1 });
    let rows = await suppressed();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email, bounced.email);
    assert.equal(rows[0].reason, "bounce");
    assert.match(rows[0].detail, /^resend email\.bounced: em_[0-9a-f-]+: General: 550 5\.1\.1 user unknown$/);
    // Resend retries: the same event again is accepted and changes nothing.
    await expectStatus(await post(body, svix(body)), 200);
    assert.equal((await suppressed()).length, 1, "a redelivery adds nothing");
    const [ctx] = await sql<{ email_enabled: boolean }[]>`select email_enabled from private.notification_delivery_context(${[queued.id]}::uuid[])`;
    assert.equal(ctx.email_enabled, false, "the queued email is no longer wanted (the dispatcher cancels it)");
    await sql`select private.notify(${bounced.id}, 'session_cancelled', 'Again')`;
    const more = await sql`select 1 from public.notification_deliveries where user_id = ${bounced.id} and channel = 'email' and id <> ${queued.id}`;
    assert.equal(more.length, 0, "no more email is queued for a suppressed address");

    // A complaint, the recipient written as "Name <address>" in upper case.
    const complaint = event("email.complained", [`Some One <${complainer.email.toUpperCase()}>`]);
    assert.deepEqual(await expectStatus(await post(complaint, svix(complaint)), 200),
      { received: true, type: "email.complained", suppressed: 1 });
    rows = await suppressed();
    assert.deepEqual(rows.map((r) => [r.email, r.reason]).sort(),
      [[bounced.email, "bounce"], [complainer.email, "complaint"]].sort());

    // A bounce that was not permanent, and events of other types: 200, ignored.
    const transient = event("email.bounced", [soft.email], { bounce: { type: "Transient", subType: "MailboxFull", message: "452" } });
    const t = await expectStatus(await post(transient, svix(transient)), 200);
    assert.equal(t.suppressed, 0);
    assert.equal(t.ignored, true);
    for (const type of ["email.delivered", "email.sent", "email.opened", "contact.created", "email.delivery_delayed"]) {
      const other = event(type, [bystander.email]);
      const r = await expectStatus(await post(other, svix(other)), 200);
      assert.deepEqual(r, { received: true, type, suppressed: 0, ignored: true });
    }
    // Signed, but not a Resend event: 400.
    for (const bad of ["not json", "[1,2]", "null", JSON.stringify({ data: {} }), JSON.stringify({ type: "" }),
      JSON.stringify({ type: "email.bounced" }), event("email.bounced", []), event("email.bounced", ["not-an-address"]),
      event("email.complained", [soft.email, 42]), event("email.bounced", Array.from({ length: 51 }, (_, i) => `x${i}@example.test`))]) {
      await expectStatus(await post(bad, svix(bad)), 400, "invalid_input");
    }
    rows = await suppressed();
    assert.deepEqual(rows.map((r) => r.email).sort(), [bounced.email, complainer.email].sort(),
      "only the permanent bounce and the complaint were suppressed");
  } finally {
    Deno.env.delete("RESEND_WEBHOOK_SECRET");
    await sql`delete from private.email_suppressions where email = any(${addresses})`;
    await sql`delete from auth.users where id = any(${users}::uuid[])`;
    await sql.end();
    await server.shutdown();
  }
});
