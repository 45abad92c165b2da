/**
 * The send-message Edge Function against the real local database (SUPABASE_DB_URL): every status
 * it answers (201, 400, 401, 403, 404, 405, 409, 429 with Retry-After), all through send_chat_message
 * as the caller, and idempotent retries (Idempotency-Key header or body client_id). Fixtures are
 * written as postgres and removed at the end.
 */
import assert from "node:assert/strict";
import { handler } from "../send-message/handler.ts";
import { closeDb } from "../_shared/db.ts";
import { adminDb, mintJwt } from "./helpers.ts";

interface User {
  id: string;
  email: string;
}

// A parsed JSON answer: the tests read its fields directly.
// deno-lint-ignore no-explicit-any
type Json = any;

const newUser = (label: string): User => {
  const id = crypto.randomUUID();
  return { id, email: `send-message-${label}-${id}@example.test` };
};

const tokenFor = (u: User) => mintJwt({ sub: u.id, role: "authenticated", aud: "authenticated", email: u.email });

async function post(
  body: unknown,
  token?: string,
  method = "POST",
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Json }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await handler(new Request("http://localhost/send-message", {
    method,
    headers,
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  }));
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

function assertError(res: { status: number; json: Json }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, "string");
  assert.ok("details" in res.json.error);
}

Deno.test("send-message: every status through send_chat_message", async (t) => {
  const admin = adminDb();
  const host = newUser("host"), member = newUser("member"), banned = newUser("banned"), outsider = newUser("outsider");
  const users = [host, member, banned, outsider];
  const live = crypto.randomUUID(), privateSession = crypto.randomUUID(), noChat = crypto.randomUUID(), slow = crypto.randomUUID();
  const sessions = [live, privateSession, noChat, slow];
  try {
    for (const u of users) {
      await admin`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
                  values (${u.id}, 'authenticated', 'authenticated', ${u.email}, ${admin.json({ display_name: "Send Message Test" })}, now(), now())`;
    }
    await admin`update public.user_roles set role = 'coach' where user_id = ${host.id}`;
    for (const [id, visibility, chat, slowMode] of [[live, "public", true, 0], [privateSession, "private", true, 0], [noChat, "public", false, 0], [slow, "public", true, 30]] as const) {
      await admin`insert into public.sessions (id, title, status, visibility, starts_at, started_at, chat_enabled, slow_mode_seconds, chat_rate_limit, created_by)
                  values (${id}, 'send-message test', 'live', ${visibility}, now(), now(), ${chat}, ${slowMode}, 2, ${host.id})`;
      for (const u of [member, banned]) {
        await admin`insert into public.bookings (session_id, user_id, status) values (${id}, ${u.id}, 'confirmed')`;
      }
    }
    await admin`insert into public.session_bans (session_id, user_id, banned_by) values (${live}, ${banned.id}, ${host.id})`;
    const room = crypto.randomUUID();
    await admin`insert into public.rooms (id, session_id, name) values (${room}, ${live}, 'Breakout')`;
    const memberToken = await tokenFor(member);

    await t.step("201 with the stored message", async () => {
      const res = await post({ session_id: live, body: "  Hello from the edge  ", room_id: room }, memberToken);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.json.body, "Hello from the edge");
      assert.equal(res.json.user_id, member.id);
      assert.equal(res.json.session_id, live);
      assert.equal(res.json.room_id, room);
      assert.equal(res.json.kind, "message");
      const [row] = await admin`select body, user_id from public.chat_messages where id = ${res.json.id}`;
      assert.deepEqual({ ...row }, { body: "Hello from the edge", user_id: member.id });
    });

    await t.step("429 rate_limited with Retry-After beyond chat_rate_limit", async () => {
      const ok = await post({ session_id: live, body: "second" }, memberToken);
      assert.equal(ok.status, 201);
      const res = await post({ session_id: live, body: "third" }, memberToken);
      assertError(res, 429, "rate_limited");
      const retry = Number(res.headers.get("retry-after"));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    });

    await t.step("429 slow_mode with Retry-After", async () => {
      assert.equal((await post({ session_id: slow, body: "first" }, memberToken)).status, 201);
      const res = await post({ session_id: slow, body: "too soon" }, memberToken);
      assertError(res, 429, "slow_mode");
      assert.equal(res.headers.get("retry-after"), "30");
    });

    await t.step("400 invalid_input with field errors from zod", async () => {
      const res = await post({ session_id: "not-a-uuid", body: 42 }, memberToken);
      assertError(res, 400, "invalid_input");
      assert.ok(Array.isArray(res.json.error.details.fieldErrors.session_id));
      assert.ok(Array.isArray(res.json.error.details.fieldErrors.body));
      const extra = await post({ session_id: live, body: "x", user_id: outsider.id }, memberToken);
      assertError(extra, 400, "invalid_input");
      assertError(await post("{not json", memberToken), 400, "invalid_input");
    });

    await t.step("400 invalid_input from the database for a body the RPC refuses", async () => {
      // Input is checked before slow mode, so a blank body is invalid_input even while slow mode waits.
      const res = await post({ session_id: slow, body: " ".repeat(3) }, memberToken);
      assertError(res, 400, "invalid_input");
      assert.equal(res.json.error.details.field, "body");
      const long = await post({ session_id: live, body: "x".repeat(501) }, await tokenFor(host));
      assertError(long, 400, "invalid_input");
    });

    await t.step("401 without, with a malformed and with a forged JWT", async () => {
      assertError(await post({ session_id: live, body: "hi" }), 401, "not_authenticated");
      assertError(await post({ session_id: live, body: "hi" }, "not.a.jwt"), 401, "not_authenticated");
      const forged = await mintJwt({ sub: member.id, role: "authenticated" }, { secret: "another-secret-with-at-least-32-characters!!" });
      const res = await post({ session_id: live, body: "hi" }, forged);
      assertError(res, 401, "not_authenticated");
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
    });

    await t.step("401 for the anon role (no user to post as)", async () => {
      const res = await post({ session_id: live, body: "hi" }, await mintJwt({ role: "anon" }));
      assertError(res, 401, "not_authenticated");
    });

    await t.step("403 banned, chat_disabled, forbidden", async () => {
      assertError(await post({ session_id: live, body: "hi" }, await tokenFor(banned)), 403, "banned");
      assertError(await post({ session_id: noChat, body: "hi" }, memberToken), 403, "chat_disabled");
      assertError(await post({ session_id: live, body: "hi" }, await tokenFor(outsider)), 403, "forbidden");
      assertError(await post({ session_id: live, body: "hi", kind: "announcement" }, memberToken), 403, "forbidden");
    });

    await t.step("404 for an invisible or unknown session", async () => {
      assertError(await post({ session_id: privateSession, body: "hi" }, await tokenFor(outsider)), 404, "not_found");
      assertError(await post({ session_id: crypto.randomUUID(), body: "hi" }, memberToken), 404, "not_found");
    });

    await t.step("405 for anything but POST", async () => {
      const res = await post(null, memberToken, "GET");
      assertError(res, 405, "method_not_allowed");
      assert.match(res.headers.get("allow") ?? "", /POST/);
    });

    await t.step("nothing was stored by the refused calls", async () => {
      const [{ n }] = await admin`select count(*)::int as n from public.chat_messages where session_id in ${admin(sessions)}`;
      assert.equal(n, 3);
    });

    await t.step("Idempotency-Key and client_id: a retry answers the first message, stored and charged once", async () => {
      const idem = crypto.randomUUID();
      sessions.push(idem);
      await admin`insert into public.sessions (id, title, status, visibility, starts_at, started_at, chat_rate_limit, created_by)
                  values (${idem}, 'send-message idempotency', 'live', 'public', now(), now(), 2, ${host.id})`;
      await admin`insert into public.bookings (session_id, user_id, status) values (${idem}, ${member.id}, 'confirmed')`;
      const key = crypto.randomUUID();
      const first = await post({ session_id: idem, body: "once" }, memberToken, "POST", { "Idempotency-Key": key });
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assert.equal(first.json.client_id, key);
      // Retries: the same header, the same id in the body, both together.
      for (const retry of [
        await post({ session_id: idem, body: "once" }, memberToken, "POST", { "Idempotency-Key": key }),
        await post({ session_id: idem, body: "once", client_id: key }, memberToken),
        await post({ session_id: idem, body: "once", client_id: key.toUpperCase() }, memberToken, "POST", { "Idempotency-Key": key }),
      ]) {
        assert.equal(retry.status, 201, JSON.stringify(retry.json));
        assert.equal(retry.json.id, first.json.id);
      }
      // The retries were not charged: with chat_rate_limit 2, one more message goes through, then 429.
      assert.equal((await post({ session_id: idem, body: "two" }, memberToken, "POST", { "Idempotency-Key": crypto.randomUUID() })).status, 201);
      assertError(await post({ session_id: idem, body: "three" }, memberToken, "POST", { "Idempotency-Key": crypto.randomUUID() }), 429, "rate_limited");
      assert.equal((await post({ session_id: idem, body: "once" }, memberToken, "POST", { "Idempotency-Key": key })).json.id, first.json.id,
        "at the limit a retry still answers the first message");
      const [{ n }] = await admin`select count(*)::int as n from public.chat_messages where session_id = ${idem}`;
      assert.equal(n, 2);
      // Bad keys.
      assertError(await post({ session_id: idem, body: "x" }, memberToken, "POST", { "Idempotency-Key": "not-a-uuid" }), 400, "invalid_input");
      assertError(await post({ session_id: idem, body: "x", client_id: crypto.randomUUID() }, memberToken, "POST", { "Idempotency-Key": key }),
        400, "invalid_input");
      assertError(await post({ session_id: idem, body: "x", client_id: "nope" }, memberToken), 400, "invalid_input");
      // The same key in another session: 409 conflict.
      assertError(await post({ session_id: slow, body: "elsewhere" }, memberToken, "POST", { "Idempotency-Key": key }), 409, "conflict");
    });
  } finally {
    await admin`delete from public.sessions where id in ${admin(sessions)}`;
    await admin`delete from auth.users where id in ${admin(users.map((u) => u.id))}`;
    await admin.end();
    await closeDb();
  }
});
