/**
 * The jitsi Edge Function against the real local database (SUPABASE_DB_URL): the room for staff
 * (moderator) and confirmed attendees, with tokens verified by jose (HS256 with JITSI_APP_ID /
 * JITSI_APP_SECRET; RS256 for JaaS with JITSI_PRIVATE_KEY and JITSI_KEY_ID) carrying the right claims;
 * the unauthenticated meet.jit.si answer without a token; the room name stable per session and
 * derived from a server secret; and the refusals: no token 401, outsiders and patients of other
 * sessions 403/404, too early and ended sessions 403, bad paths 404, other methods 405.
 * Fixtures are written as postgres and removed at the end.
 */
import assert from "node:assert/strict";
import { decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from "jose";
import { handler, roomName } from "../jitsi/handler.ts";
import { adminDb, mintJwt } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const JITSI_ENV = ["JITSI_APP_ID", "JITSI_APP_SECRET", "JITSI_PRIVATE_KEY", "JITSI_KEY_ID", "JITSI_DOMAIN", "JITSI_AUDIENCE",
  "JITSI_ROOM_SECRET"];

/** Runs fn with exactly these JITSI_* variables set, restoring the previous ones afterwards. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const saved = new Map(JITSI_ENV.map((k) => [k, Deno.env.get(k)]));
  for (const k of JITSI_ENV) Deno.env.delete(k);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

async function get(path: string, token?: string, method = "GET"): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await handler(new Request(`http://localhost${path}`, { method, headers }));
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

function assertError(res: { status: number; json: Json }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.error.code, code);
}

interface User {
  id: string;
  email: string;
  name: string;
}

Deno.test("jitsi: room, tokens and refusals", async (t) => {
  const admin = adminDb();
  const mk = (label: string): User => {
    const id = crypto.randomUUID();
    return { id, email: `jitsi-${label}-${id}@example.test`, name: `Jitsi ${label}` };
  };
  const coach = mk("coach"), patient = mk("patient"), other = mk("other"), outsider = mk("outsider");
  const users = [coach, patient, other, outsider];
  const appt = crypto.randomUUID(), otherAppt = crypto.randomUUID(), group = crypto.randomUUID();
  const early = crypto.randomUUID(), ended = crypto.randomUUID(), over = crypto.randomUUID();
  const sessions = [appt, otherAppt, group, early, ended, over];
  const token = (u: User) => mintJwt({ sub: u.id, role: "authenticated", aud: "authenticated", email: u.email });
  try {
    for (const u of users) {
      await admin`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
                  values (${u.id}, 'authenticated', 'authenticated', ${u.email}, ${admin.json({ display_name: u.name })}, now(), now())`;
    }
    await admin`update public.user_roles set role = 'coach' where user_id = ${coach.id}`;
    await admin`update public.profiles set avatar_url = 'https://example.test/coach.png' where id = ${coach.id}`;
    // appt starts in 5 minutes (its room is open), otherAppt a day later for another patient (its
    // room is not open, but the patient of appt must not even see it), early in 2 hours (+2 days); a
    // public group session open now; one ended; one whose planned end has passed.
    const one = [[appt, "5 minutes", patient], [otherAppt, "5 minutes", other], [early, "2 hours", patient]] as const;
    let offset = 0;
    for (const [id, startsIn, p] of one) {
      await admin`insert into public.sessions (id, title, starts_at, duration_minutes, status, visibility, capacity, kind, created_by)
                  values (${id}, 'Appointment', now() + ${startsIn}::interval + make_interval(mins => ${offset}), 50,
                          'scheduled', 'private', 1, 'one_to_one', ${coach.id})`;
      await admin`insert into public.bookings (session_id, user_id, status) values (${id}, ${p.id}, 'confirmed')`;
      offset += 60 * 24;
    }
    // Open for 3 more minutes, ending before the coach's appointment starts (no overlap).
    await admin`insert into public.sessions (id, title, starts_at, duration_minutes, status, visibility, created_by)
                values (${group}, 'Group', now() - interval '57 minutes', 60, 'scheduled', 'public', ${coach.id})`;
    await admin`insert into public.bookings (session_id, user_id, status) values (${group}, ${patient.id}, 'confirmed')`;
    await admin`insert into public.sessions (id, title, starts_at, status, started_at, ended_at, visibility, created_by)
                values (${ended}, 'Ended', now() - interval '2 days', 'ended', now() - interval '2 days', now() - interval '2 days' + interval '1 hour', 'public', ${coach.id})`;
    await admin`insert into public.sessions (id, title, starts_at, duration_minutes, status, visibility, created_by)
                values (${over}, 'Over', now() - interval '3 days', 30, 'scheduled', 'public', ${coach.id})`;
    for (const id of [ended, over]) {
      await admin`insert into public.bookings (session_id, user_id, status) values (${id}, ${patient.id}, 'confirmed')`;
    }

    await t.step("HS256: staff and attendee get the room; the token verifies with jose and carries the claims", async () => {
      await withEnv({ JITSI_APP_ID: "live-sessions", JITSI_APP_SECRET: "a-jitsi-app-secret-of-enough-length", JITSI_DOMAIN: "meet.example.test" }, async () => {
        const staff = await get(`/functions/v1/jitsi/sessions/${appt}`, await token(coach));
        assert.equal(staff.status, 200, JSON.stringify(staff.json));
        const attendee = await get(`/jitsi/sessions/${appt}`, await token(patient));
        assert.equal(attendee.status, 200, JSON.stringify(attendee.json));
        assert.equal(staff.json.domain, "meet.example.test");
        assert.equal(staff.json.room, attendee.json.room, "one room per session");
        assert.equal(staff.json.url, `https://meet.example.test/${staff.json.room}?jwt=${staff.json.jwt}`);
        const secret = new TextEncoder().encode("a-jitsi-app-secret-of-enough-length");
        const { payload: s, protectedHeader } = await jwtVerify(staff.json.jwt, secret,
          { algorithms: ["HS256"], issuer: "live-sessions", audience: "jitsi", subject: "meet.example.test" });
        assert.equal(protectedHeader.alg, "HS256");
        assert.equal(s.room, staff.json.room);
        assert.deepEqual((s.context as Json).user, { id: coach.id, name: coach.name, avatar: "https://example.test/coach.png",
          email: coach.email, moderator: true });
        const { payload: p } = await jwtVerify(attendee.json.jwt, secret, { algorithms: ["HS256"], audience: "jitsi" });
        assert.equal((p.context as Json).user.moderator, false, "the patient is no moderator");
        assert.equal((p.context as Json).user.email, patient.email);
        assert.equal((p.context as Json).user.name, patient.name);
        const [row] = await admin`select floor(extract(epoch from starts_at))::bigint as start, duration_minutes from public.sessions where id = ${appt}`;
        assert.equal(p.nbf, Number(row.start) - 600, "nbf: the room opens 10 minutes before the start");
        assert.equal(p.exp, Number(row.start) + row.duration_minutes * 60 + 900, "exp: the planned end plus 15 minutes");
        await assert.rejects(jwtVerify(attendee.json.jwt, new TextEncoder().encode("another-secret-of-enough-length-xx")),
          "a token signed with another secret does not verify");
      });
    });

    await t.step("the room name is stable, per session, and derived from the server secret", async () => {
      await withEnv({}, async () => {
        const a = await get(`/jitsi/sessions/${appt}`, await token(coach));
        const b = await get(`/jitsi/sessions/${appt}`, await token(patient));
        const g = await get(`/jitsi/sessions/${group}`, await token(coach));
        assert.equal(a.json.room, b.json.room);
        assert.notEqual(a.json.room, g.json.room, "another session, another room");
        assert.match(a.json.room, /^ls[0-9a-f]{32}$/);
        assert.ok(!a.json.room.includes(appt.replaceAll("-", "").slice(0, 8)), "the session id does not show");
        assert.equal(a.json.room, await roomName(appt));
      });
      let withSecret = "";
      await withEnv({ JITSI_ROOM_SECRET: "room-secret-one" }, async () => {
        withSecret = (await get(`/jitsi/sessions/${appt}`, await token(coach))).json.room;
        assert.equal((await get(`/jitsi/sessions/${appt}`, await token(coach))).json.room, withSecret, "stable across calls");
      });
      await withEnv({ JITSI_ROOM_SECRET: "room-secret-two" }, async () => {
        assert.notEqual((await get(`/jitsi/sessions/${appt}`, await token(coach))).json.room, withSecret,
          "another server secret, another name: it cannot be guessed from the id");
      });
    });

    await t.step("without JITSI_APP_ID: meet.jit.si, no token", async () => {
      await withEnv({}, async () => {
        const res = await get(`/jitsi/sessions/${appt}`, await token(patient));
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal(res.json.domain, "meet.jit.si");
        assert.equal(res.json.jwt, null);
        assert.equal(res.json.url, `https://meet.jit.si/${res.json.room}`);
      });
    });

    await t.step("RS256 for JaaS: kid, iss chat, aud jitsi, sub = app id; verifies with the public key", async () => {
      const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
      const pem = await exportPKCS8(privateKey);
      const appId = "vpaas-magic-cookie-0123456789abcdef";
      await withEnv({ JITSI_PRIVATE_KEY: pem, JITSI_KEY_ID: `${appId}/4f4910`, JITSI_APP_ID: appId }, async () => {
        const res = await get(`/jitsi/sessions/${appt}`, await token(coach));
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal(res.json.domain, "8x8.vc");
        const room = await roomName(appt);
        assert.equal(res.json.room, `${appId}/${room}`);
        assert.equal(res.json.url, `https://8x8.vc/${appId}/${room}?jwt=${res.json.jwt}`);
        assert.equal(decodeProtectedHeader(res.json.jwt).kid, `${appId}/4f4910`);
        const key = await importSPKI(await exportSPKI(publicKey), "RS256");
        const { payload } = await jwtVerify(res.json.jwt, key, { algorithms: ["RS256"], issuer: "chat", audience: "jitsi", subject: appId });
        assert.equal(payload.room, room);
        assert.equal((payload.context as Json).user.moderator, true);
        assert.equal((payload.context as Json).user.email, coach.email);
        const other = await generateKeyPair("RS256");
        await assert.rejects(jwtVerify(res.json.jwt, other.publicKey), "another key does not verify it");
      });
      await withEnv({ JITSI_PRIVATE_KEY: pem, JITSI_APP_ID: appId }, async () => {
        assert.equal((await get(`/jitsi/sessions/${appt}`, await token(coach))).status, 500, "a private key without a key id is a server misconfiguration");
      });
    });

    await t.step("refusals", async () => {
      await withEnv({ JITSI_APP_ID: "live-sessions", JITSI_APP_SECRET: "a-jitsi-app-secret-of-enough-length" }, async () => {
        assertError(await get(`/jitsi/sessions/${appt}`), 401, "not_authenticated");
        assertError(await get(`/jitsi/sessions/${appt}`, await token(other)), 404, "not_found");
        assertError(await get(`/jitsi/sessions/${otherAppt}`, await token(patient)), 404, "not_found");
        assertError(await get(`/jitsi/sessions/${appt}`, await token(outsider)), 404, "not_found");
        const group403 = await get(`/jitsi/sessions/${group}`, await token(outsider));
        assertError(group403, 403, "forbidden");
        assert.equal(group403.json.error.details.reason, "not_attendee", "a public session's visitor without a seat");
        assert.equal((await get(`/jitsi/sessions/${group}`, await token(patient))).status, 200, "its confirmed attendee enters");
        const tooEarly = await get(`/jitsi/sessions/${early}`, await token(patient));
        assertError(tooEarly, 403, "forbidden");
        assert.equal(tooEarly.json.error.details.reason, "too_early");
        assertError(await get(`/jitsi/sessions/${early}`, await token(coach)), 403, "forbidden");
        const done = await get(`/jitsi/sessions/${ended}`, await token(patient));
        assertError(done, 403, "forbidden");
        assert.equal(done.json.error.details.reason, "ended");
        const past = await get(`/jitsi/sessions/${over}`, await token(patient));
        assertError(past, 403, "forbidden");
        assert.equal(past.json.error.details.reason, "ended", "past its planned end");
        await admin`update public.bookings set status = 'cancelled', cancelled_at = now() where session_id = ${group} and user_id = ${patient.id}`;
        assertError(await get(`/jitsi/sessions/${group}`, await token(patient)), 403, "forbidden");
        assertError(await get(`/jitsi/sessions/not-a-uuid`, await token(patient)), 404, "not_found");
        assertError(await get(`/jitsi/sessions/${crypto.randomUUID()}`, await token(patient)), 404, "not_found");
        assertError(await get(`/jitsi/rooms/${appt}`, await token(patient)), 404, "not_found");
        assert.equal((await get(`/jitsi/sessions/${appt}`, await token(patient), "POST")).status, 405);
      });
    });
  } finally {
    await admin`delete from public.sessions where id = any(${sessions})`;
    await admin`delete from realtime.messages where topic = any(${users.map((u) => `user:${u.id}`)})`;
    await admin`delete from auth.users where id = any(${users.map((u) => u.id)})`;
    await admin.end();
    const { closeDb } = await import("../_shared/db.ts");
    await closeDb();
  }
});
