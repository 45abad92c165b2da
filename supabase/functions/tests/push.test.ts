/**
 * Web Push end to end against the real local database: the test makes subscriptions as a browser does
 * (a real P-256 key pair and a 16-byte auth secret per device) and runs a local HTTPS push service
 * (a certificate of a throwaway CA, trusted through PUSH_CA_CERT) that checks every request like a real one:
 * the VAPID JWT (ES256, signed by the key in `k`, audience = the push service origin, expiry within
 * 24 h, our subject), TTL and Urgency of the kind, Content-Encoding aes128gcm; then decrypts the body
 * with http_ece and the device's private key, proving a browser could read it. A 410 from the push
 * service deletes that subscription. GET /push/vapid-public-key gives the frontend the key.
 * The receivers are listed in private.push_service_hosts by each test (nothing local is allowed by default).
 * Then: endpoints that are not push services (rows written around the check: user information, other
 * spellings of the receiver's address, an unlisted port, a host removed from the list) are never posted to
 * and a redirect is not followed; and several devices per user, one failing for a while, are retried one by
 * one without a duplicate to the devices that already got the push; a shared browser that moved to another
 * user (register_push_subscription, before a retry or while the request is with the push service) is never
 * sent the first user's push, deleted or marked by it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createECDH, type ECDH, randomBytes } from "node:crypto";
import ece from "http_ece";
import { importJWK, jwtVerify } from "jose";
import webpush from "web-push";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import type postgres from "postgres";
import { adminDb, holdOtherDeliveries } from "./helpers.ts";

const DISPATCH_SECRET = "test-dispatch-secret-0123456789abcdef";

function b64u(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromB64u(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl). */
async function testCertificates(): Promise<{ ca: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir();
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" }).output();
    assert.ok(out.success, `openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  };
  try {
    await run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
      "-subj", "/CN=push test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
      "-keyout", "ca.key", "-out", "ca.pem");
    await run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
      "-keyout", "key.pem", "-out", "leaf.csr");
    await Deno.writeTextFile(`${dir}/ext.cnf`, "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    await run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
      "-extfile", "ext.cnf", "-out", "cert.pem");
    return {
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Device {
  endpoint: string;
  ecdh: ECDH;
  auth: Uint8Array;
}

interface Received {
  device: string;
  ttl: string | null;
  urgency: string | null;
  payload: Record<string, unknown>;
}

/** The dispatcher's push env for a test: fresh VAPID keys, no mail provider, and the local CA its push
 * services' certificates are signed with. */
async function pushEnv() {
  const vapid = webpush.generateVAPIDKeys();
  Deno.env.set("VAPID_PUBLIC_KEY", vapid.publicKey);
  Deno.env.set("VAPID_PRIVATE_KEY", vapid.privateKey);
  Deno.env.set("VAPID_SUBJECT", "mailto:push-test@example.test");
  Deno.env.set("DISPATCH_SECRET", DISPATCH_SECRET);
  Deno.env.set("SITE_URL", "https://app.example.test");
  for (const name of ["SMTP_URL", "RESEND_API_KEY"]) Deno.env.delete(name);
  const tls = await testCertificates();
  Deno.env.set("PUSH_CA_CERT", tls.ca);
  return { vapid, tls };
}

Deno.test("web push: VAPID-signed, aes128gcm-encrypted pushes a browser can read; 410 deletes the subscription", async () => {
  const sql = adminDb();
  const { vapid, tls } = await pushEnv();
  const devices = new Map<string, Device>();
  const received: Received[] = [];
  const problems: string[] = [];
  const pushService = Deno.serve({ hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const device = devices.get(url.pathname.split("/").pop()!);
      if (!device) return new Response("unknown", { status: 404 });
      if (url.pathname.includes("/gone-")) return new Response("expired", { status: 410 });
      // VAPID (RFC 8292): Authorization: vapid t=<JWT>, k=<public key>
      const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.get("Authorization") ?? "");
      if (!m) {
        problems.push(`no vapid header: ${req.headers.get("Authorization")}`);
        return new Response("unauthorized", { status: 401 });
      }
      const [, jwt, k] = m;
      const point = fromB64u(k);
      try {
        assert.equal(k, vapid.publicKey, "k is our VAPID public key");
        assert.equal(point.length, 65);
        const key = await importJWK({ kty: "EC", crv: "P-256", x: b64u(point.slice(1, 33)), y: b64u(point.slice(33)) }, "ES256");
        const { payload, protectedHeader } = await jwtVerify(jwt, key, { audience: url.origin, algorithms: ["ES256"] });
        assert.equal(protectedHeader.alg, "ES256");
        assert.equal(payload.sub, "mailto:push-test@example.test");
        assert.ok(payload.exp! * 1000 <= Date.now() + 24 * 3600_000 + 60_000, "expires within 24 h");
        assert.equal(req.headers.get("Content-Encoding"), "aes128gcm");
      } catch (err) {
        problems.push(String(err));
        return new Response("forbidden", { status: 403 });
      }
      const body = Buffer.from(await req.arrayBuffer());
      let plain: Uint8Array;
      try {
        plain = ece.decrypt(body, { version: "aes128gcm", privateKey: device.ecdh, authSecret: Buffer.from(device.auth) });
      } catch (err) {
        problems.push(`decrypt: ${err}`);
        return new Response("bad payload", { status: 400 });
      }
      received.push({
        device: url.pathname.split("/").pop()!,
        ttl: req.headers.get("TTL"),
        urgency: req.headers.get("Urgency"),
        payload: JSON.parse(new TextDecoder().decode(plain)),
      });
      return new Response(null, { status: 201, headers: { Location: `${url.origin}/msg/${crypto.randomUUID()}` } });
    });
  // The local receiver is no push service the server knows: the test lists it (private.push_service_hosts).
  const hostEntry = `127.0.0.1:${pushService.addr.port}`;
  await sql`insert into private.push_service_hosts (host, note) values (${hostEntry}, 'tests/push.test.ts')`;
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  const users: string[] = [];
  const sessions: string[] = [];
  let held: { release: () => Promise<void> } | undefined;

  async function user(label: string, locale: string): Promise<string> {
    const id = crypto.randomUUID();
    await sql`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
              values (${id}, ${`push-${label}-${id.slice(0, 8)}@example.test`},
                      ${sql.json({ display_name: `Push ${label}`, timezone: "Europe/Amsterdam" })}, 'authenticated', 'authenticated', now())`;
    await sql`update public.profiles set locale = ${locale} where id = ${id}`;
    users.push(id);
    return id;
  }
  /** A browser's PushSubscription: a fresh P-256 key pair and auth secret. */
  async function subscribe(userId: string, kind: "ok" | "gone"): Promise<string> {
    const name = `${kind}-${crypto.randomUUID()}`;
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = new Uint8Array(randomBytes(16));
    const endpoint = `https://127.0.0.1:${pushService.addr.port}/push/${name}`;
    devices.set(name, { endpoint, ecdh, auth });
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
              values (${userId}, ${endpoint}, ${b64u(new Uint8Array(ecdh.getPublicKey()))}, ${b64u(auth)})`;
    return name;
  }

  try {
    held = await holdOtherDeliveries(sql);
    // The frontend reads the public key.
    const keyRes = await fetch(`${base}/push/vapid-public-key`);
    assert.equal(keyRes.status, 200);
    assert.deepEqual(await keyRes.json(), { public_key: vapid.publicKey });

    const host = await user("host", "en");
    const ann = await user("ann", "nl");
    const ben = await user("ben", "pt");
    const annPhone = await subscribe(ann, "ok");
    const annOld = await subscribe(ann, "gone");
    await subscribe(ben, "gone");
    const sessionId = crypto.randomUUID();
    await sql`insert into public.sessions (id, title, starts_at, status, visibility, timezone, created_by)
              values (${sessionId}, 'Push talk', now() + interval '2 hours', 'scheduled', 'public', 'Europe/Amsterdam', ${host})`;
    sessions.push(sessionId);
    for (const u of [ann, ben]) {
      await sql`select private.notify(${u}, 'session_cancelled', 'Cancelled: Push talk', null, ${`/sessions/${sessionId}`},
                                      ${sql.json({ session_id: sessionId })})`;
    }
    const deliveries = await sql<{ id: string; user_id: string; channel: string }[]>`
      select id, user_id, channel from public.notification_deliveries where user_id = any(${[ann, ben]}::uuid[])`;
    assert.deepEqual(deliveries.map((d) => d.channel).sort(), ["email", "email", "push", "push"], "email and push queued for each");

    const res = await fetch(`${base}/dispatch-notifications`, { method: "POST", headers: { "X-Dispatch-Secret": DISPATCH_SECRET } });
    const summary = await res.json();
    assert.equal(res.status, 200, JSON.stringify(summary));
    assert.deepEqual(summary.channels, ["push"], "without an email transport only push is claimed");
    assert.deepEqual(problems, [], "the push service accepted every request's VAPID and encryption");
    assert.equal(received.filter((r) => r.device === annPhone).length, 1, `one push reached ann's live device: ${JSON.stringify(summary)} ${JSON.stringify(await sql`select channel, status, last_error from public.notification_deliveries where user_id = any(${[ann, ben]}::uuid[])`)}`);
    const push = received.find((r) => r.device === annPhone)!;
    assert.equal(push.device, annPhone);
    assert.equal(push.ttl, "86400", "TTL of session_cancelled");
    assert.equal(push.urgency, "high", "Urgency of session_cancelled");
    assert.equal(push.payload.kind, "session_cancelled");
    assert.ok(String(push.payload.title).startsWith("Geannuleerd: Push talk"), `Dutch title: ${push.payload.title}`);
    assert.match(String(push.payload.body), /Europe\/Amsterdam \(CES?T\)/, "local time with the zone abbreviation");
    assert.equal(push.payload.url, `https://app.example.test/sessions/${sessionId}`);
    assert.ok(typeof push.payload.notification_id === "string", "the in-app notification id, to mark it read");

    const states = await sql<{ user_id: string; status: string; provider_message_id: string | null }[]>`
      select user_id, status, provider_message_id from public.notification_deliveries
      where user_id = any(${[ann, ben]}::uuid[]) and channel = 'push'`;
    assert.deepEqual(states.find((s) => s.user_id === ann), { user_id: ann, status: "sent", provider_message_id: "push:1/2" });
    assert.equal(states.find((s) => s.user_id === ben)?.status, "cancelled", "ben's only device is gone: nothing to send");
    const subs = await sql<{ endpoint: string; used: boolean }[]>`
      select endpoint, last_used_at is not null as used from public.push_subscriptions where user_id = any(${[ann, ben]}::uuid[])`;
    assert.deepEqual(subs.map((s) => ({ ...s })), [{ endpoint: devices.get(annPhone)!.endpoint, used: true }],
      "410 deleted ann's old device and ben's; the live one is marked used");
    assert.ok(!subs.some((s) => s.endpoint.includes(annOld)));
    const emails = await sql`select 1 from public.notification_deliveries where user_id = any(${[ann, ben]}::uuid[])
                             and channel = 'email' and status = 'queued'`;
    assert.equal(emails.length, 2, "email deliveries wait for an email transport");

    Deno.env.delete("VAPID_PUBLIC_KEY");
    const missing = await fetch(`${base}/push/vapid-public-key`);
    assert.equal(missing.status, 503, "no key configured: 503");
    await missing.body?.cancel();
  } finally {
    for (const name of ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_CA_CERT"]) Deno.env.delete(name);
    await sql`delete from public.sessions where id = any(${sessions}::uuid[])`;
    await sql`delete from auth.users where id = any(${users}::uuid[])`;
    await sql`delete from private.push_service_hosts where host = ${hostEntry}`;
    await held?.release();
    await sql.end();
    await server.shutdown();
    await pushService.shutdown();
  }
});

/**
 * A local HTTPS push service for the tests below: every request is logged by device name (the last path
 * segment); a device with a script answers its statuses in turn (then 201), a 201 body is decrypted with
 * the device's key (proof it was a real, readable push) and kept in `received`.
 */
interface LocalPushService {
  port: number;
  /** Device names in the order requests came in (every request, whatever the answer). */
  requests: string[];
  received: { device: string; payload: Record<string, unknown> }[];
  problems: string[];
  shutdown(): Promise<void>;
}
function startPushService(
  tls: { cert: string; key: string },
  devices: Map<string, Device>,
  script: Map<string, { status: number; headers?: Record<string, string> }[]> = new Map(),
  /** Runs when a device's request has arrived, before the push service answers (something happening mid-send). */
  during?: (device: string) => Promise<void>,
): LocalPushService {
  const requests: string[] = [];
  const received: LocalPushService["received"] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
    async (req) => {
      const name = new URL(req.url).pathname.split("/").pop()!;
      requests.push(name);
      const body = Buffer.from(await req.arrayBuffer());
      if (during) await during(name);
      const next = script.get(name)?.shift();
      if (next && (next.status < 200 || next.status >= 300)) {
        return new Response(null, { status: next.status, headers: next.headers });
      }
      const device = devices.get(name);
      if (!device) return new Response("unknown", { status: 404 });
      try {
        const plain = ece.decrypt(body, { version: "aes128gcm", privateKey: device.ecdh, authSecret: Buffer.from(device.auth) });
        received.push({ device: name, payload: JSON.parse(new TextDecoder().decode(plain)) });
      } catch (err) {
        problems.push(`decrypt ${name}: ${err}`);
        return new Response("bad payload", { status: 400 });
      }
      return new Response(null, { status: 201 });
    });
  return { port: server.addr.port, requests, received, problems, shutdown: () => server.shutdown() };
}

/** The env and fixtures the dispatcher tests below share; `close` undoes them. */
async function pushFixture() {
  const sql = adminDb();
  const { tls } = await pushEnv();
  const devices = new Map<string, Device>();
  const users: string[] = [];
  const hosts: string[] = [];
  const services: LocalPushService[] = [];
  // Keep every other due delivery out of this test's dispatches.
  const held = await holdOtherDeliveries(sql);
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  return {
    sql,
    devices,
    service(
      script?: Map<string, { status: number; headers?: Record<string, string> }[]>,
      during?: (device: string) => Promise<void>,
    ): LocalPushService {
      const svc = startPushService(tls, devices, script, during);
      services.push(svc);
      return svc;
    },
    /** Lists host[:port] in private.push_service_hosts (removed again by close). */
    async allow(host: string): Promise<void> {
      await sql`insert into private.push_service_hosts (host, note) values (${host}, 'tests/push.test.ts')`;
      hosts.push(host);
    },
    async user(label: string): Promise<string> {
      const id = crypto.randomUUID();
      await sql`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
                values (${id}, ${`push-${label}-${id.slice(0, 8)}@example.test`},
                        ${sql.json({ display_name: `Push ${label}`, timezone: "Europe/Amsterdam" })}, 'authenticated', 'authenticated', now())`;
      users.push(id);
      return id;
    },
    /** A browser's keys for a device named `name` at `endpoint` (not stored: the caller inserts the row). */
    device(name: string, endpoint: string): { endpoint: string; p256dh: string; auth: string } {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const auth = new Uint8Array(randomBytes(16));
      devices.set(name, { endpoint, ecdh, auth });
      return { endpoint, p256dh: b64u(new Uint8Array(ecdh.getPublicKey())), auth: b64u(auth) };
    },
    /** register_push_subscription as `user` (a browser signed in as them registering its subscription). */
    async register(user: string, k: { endpoint: string; p256dh: string; auth: string }): Promise<{ id: string; user_id: string }> {
      return await sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: "authenticated", aud: "authenticated" })}, true)`;
        const [row] = await tx<{ id: string; user_id: string }[]>`
          select id, user_id from public.register_push_subscription(${k.endpoint}, ${k.p256dh}, ${k.auth})`;
        return row;
      });
    },
    /** One push delivery (session_cancelled: push on by default) for each user; returns their ids by user. */
    async notify(userIds: string[]): Promise<Map<string, string>> {
      for (const u of userIds) {
        await sql`select private.notify(${u}, 'session_cancelled', 'Cancelled: Push talk', null, '/sessions', '{}'::jsonb)`;
      }
      const rows = await sql<{ id: string; user_id: string }[]>`
        select id, user_id from public.notification_deliveries where user_id = any(${userIds}::uuid[]) and channel = 'push'`;
      return new Map(rows.map((r) => [r.user_id, r.id]));
    },
    async dispatch(): Promise<Record<string, unknown>> {
      const res = await fetch(`${base}/dispatch-notifications`, { method: "POST", headers: { "X-Dispatch-Secret": DISPATCH_SECRET } });
      const summary = await res.json();
      assert.equal(res.status, 200, JSON.stringify(summary));
      return summary;
    },
    async close(): Promise<void> {
      for (const name of ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_CA_CERT"]) Deno.env.delete(name);
      await sql`delete from auth.users where id = any(${users}::uuid[])`;
      await sql`delete from private.push_service_hosts where host = any(${hosts})`;
      await held.release();
      await sql.end();
      await server.shutdown();
      for (const svc of services) await svc.shutdown();
    },
  };
}

Deno.test("web push: only push services are posted to (registration and send), redirects are not followed", async () => {
  const f = await pushFixture();
  const { sql } = f;
  const other = f.service(); // never listed: any request it gets is a request to somewhere the server must not go
  const redirectTo = `https://127.0.0.1:${other.port}/push/redirected`;
  const svc = f.service(new Map([["ann-redirect", [{ status: 307, headers: { Location: redirectTo } }]]]));
  try {
    const ann = await f.user("ann");
    const ben = await f.user("ben");
    const cat = await f.user("cat");
    const insert = (tx: postgres.TransactionSql | typeof sql, user: string, k: { endpoint: string; p256dh: string; auth: string }) =>
      tx`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (${user}, ${k.endpoint}, ${k.p256dh}, ${k.auth})`;

    // Not listed by default: the test's own receiver is refused like any other host.
    const phone = f.device("ann-phone", `https://127.0.0.1:${svc.port}/push/ann-phone`);
    await assert.rejects(insert(sql, ann, phone), (err: Error) => {
      assert.match(err.message, /"code": ?"invalid_input"/);
      assert.match(err.message, new RegExp(`endpoint host 127\\.0\\.0\\.1:${svc.port} is not a known push service`));
      return true;
    });
    await f.allow(`127.0.0.1:${svc.port}`);
    await insert(sql, ann, phone);
    await insert(sql, ann, f.device("ann-redirect", `https://127.0.0.1:${svc.port}/push/ann-redirect`));

    // Rows a path without the check wrote (an import, a restore, an old version): all point at a local server.
    const smuggled = {
      userinfo: `https://fcm.googleapis.com@127.0.0.1:${svc.port}/push/ann-userinfo`,
      otherPort: `https://127.0.0.1:${other.port}/push/ann-other`,
      localhost: `https://localhost:${svc.port}/push/ann-localhost`,
      ben: `https://127.0.0.1:${other.port}/push/ben-only`,
    };
    await sql.begin(async (tx) => {
      await tx`alter table public.push_subscriptions disable trigger push_subscriptions_endpoint_guard`;
      await insert(tx, ann, f.device("ann-userinfo", smuggled.userinfo));
      await insert(tx, ann, f.device("ann-other", smuggled.otherPort));
      await insert(tx, ann, f.device("ann-localhost", smuggled.localhost));
      // Other spellings of the listed receiver's address: each would reach it if the check parsed loosely.
      for (const [name, endpoint] of [
        ["ann-trailing-dot", `https://127.0.0.1.:${svc.port}/push/ann-trailing-dot`],
        ["ann-decimal", `https://2130706433:${svc.port}/push/ann-decimal`],
        ["ann-hex", `https://0x7f000001:${svc.port}/push/ann-hex`],
        ["ann-upper", `https://LOCALHOST:${svc.port}/push/ann-upper`],
        ["ann-backslash", `https://127.0.0.1:${svc.port}\\@fcm.googleapis.com/push/ann-backslash`],
        ["ann-metadata", "https://169.254.169.254/latest/meta-data/ann-metadata"],
      ]) await insert(tx, ann, f.device(name, endpoint));
      await insert(tx, ben, f.device("ben-only", smuggled.ben));
      await tx`alter table public.push_subscriptions enable trigger push_subscriptions_endpoint_guard`;
    });
    // A device registered while its host was listed, and the host removed from the list since.
    await f.allow(`127.0.0.1:${other.port}`);
    await insert(sql, cat, f.device("cat-old", `https://127.0.0.1:${other.port}/push/cat-old`));
    await sql`delete from private.push_service_hosts where host = ${`127.0.0.1:${other.port}`}`;

    const deliveries = await f.notify([ann, ben, cat]);
    const summary = await f.dispatch();
    assert.deepEqual(svc.problems, []);
    assert.deepEqual(svc.received.map((r) => r.device), ["ann-phone"], `one readable push, to ann's phone: ${JSON.stringify(summary)}`);
    assert.deepEqual([...svc.requests].sort(), ["ann-phone", "ann-redirect"],
      "the listed receiver saw only the two allowed devices (not the userinfo or localhost rows that resolve to it)");
    assert.deepEqual(other.requests, [], "nothing reached the unlisted server: no redirect followed, no smuggled row posted");

    const rows = await sql<{ user_id: string; status: string; last_error: string | null; provider_message_id: string | null }[]>`
      select user_id, status, last_error, provider_message_id from public.notification_deliveries
      where id = any(${[...deliveries.values()]}::uuid[])`;
    const of = (u: string) => rows.find((r) => r.user_id === u)!;
    assert.equal(of(ann).status, "sent");
    assert.match(of(ann).last_error ?? "", /307 redirect not followed/);
    assert.match(of(ann).last_error ?? "", /must not carry user information/);
    assert.match(of(ann).last_error ?? "", new RegExp(`endpoint host 127\\.0\\.0\\.1:${other.port} is not a known push service`));
    assert.match(of(ann).last_error ?? "", new RegExp(`endpoint host localhost:${svc.port} is not a known push service`));
    assert.deepEqual(
      (await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from private.push_delivery_devices
                                                  where delivery_id = ${deliveries.get(ann)!} group by 1 order by 1`).map((r) => ({ ...r })),
      [{ status: "failed", n: 1 }, { status: "refused", n: 9 }, { status: "sent", n: 1 }],
      "per device: the phone sent, the redirect failed, the nine smuggled rows refused (none posted)",
    );
    assert.equal(of(ben).status, "failed", "ben's only device is not a push service: a permanent failure");
    assert.match(of(ben).last_error ?? "", /refused not sent, disabled: endpoint host 127\.0\.0\.1:\d+ is not a known push service/);
    assert.equal(of(cat).status, "failed", "cat's host was removed from the list: not posted to");
    assert.match(of(cat).last_error ?? "", new RegExp(`endpoint host 127\\.0\\.0\\.1:${other.port} is not a known push service`));

    // Refused rows are disabled, not deleted: a host missing from the list (or removed for a while) must not cost
    // the users their push for good.
    const left = await sql<{ endpoint: string; disabled: boolean; disabled_reason: string | null }[]>`
      select endpoint, disabled_at is not null as disabled, disabled_reason from public.push_subscriptions
      where user_id = any(${[ann, ben, cat]}::uuid[]) order by endpoint`;
    assert.equal(left.length, 13, "no subscription deleted");
    assert.deepEqual(left.filter((r) => !r.disabled).map((r) => r.endpoint).sort(),
      [phone.endpoint, `https://127.0.0.1:${svc.port}/push/ann-redirect`].sort(),
      "the phone and the redirecting one stay enabled (a redirect is a push service's answer, not our rule)");
    assert.deepEqual(left.filter((r) => r.disabled).map((r) => /^endpoint .+/.test(r.disabled_reason ?? "")),
      Array(11).fill(true), "the eleven refused ones are disabled, each with the reason");
    assert.match(left.find((r) => r.endpoint === smuggled.userinfo)!.disabled_reason ?? "", /must not carry user information/);

    // Next notification: ann's disabled devices are skipped (not even recorded again), ben and cat, whose only
    // devices are disabled, get no push delivery at all.
    await f.notify([ann, ben, cat]);
    const fresh = (await sql<{ id: string }[]>`
      select id from public.notification_deliveries where channel = 'push' and user_id = ${ann}
        and id <> all(${[...deliveries.values()]}::uuid[])`).map((r) => r.id);
    const [{ n: queued }] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.notification_deliveries where channel = 'push' and user_id = any(${[ben, cat]}::uuid[])
        and id <> all(${[...deliveries.values()]}::uuid[])`;
    assert.equal(queued, 0, "no push is queued for a user whose every device is disabled");
    assert.equal(fresh.length, 1, "ann still has enabled devices: her push is queued");
    await f.dispatch();
    assert.deepEqual([...svc.requests].sort(), ["ann-phone", "ann-phone", "ann-redirect", "ann-redirect"]);
    assert.deepEqual(other.requests, []);
    assert.deepEqual(
      (await sql<{ status: string }[]>`select status from private.push_delivery_devices where delivery_id = ${fresh[0]} order by 1`)
        .map((r) => r.status),
      ["sent", "sent"], "only the two enabled devices are tried (the redirect's script is spent: 201 now)",
    );

    // The operator lists cat's host again: her device (and the rows on that host) are enabled again and get pushes.
    await f.allow(`127.0.0.1:${other.port}`);
    assert.deepEqual(
      (await sql<{ endpoint: string }[]>`select endpoint from public.push_subscriptions
                                         where user_id = any(${[ann, ben, cat]}::uuid[]) and disabled_at is null order by 1`)
        .map((r) => r.endpoint),
      [smuggled.otherPort, smuggled.ben, `https://127.0.0.1:${other.port}/push/cat-old`, phone.endpoint,
        `https://127.0.0.1:${svc.port}/push/ann-redirect`].sort(),
      "re-enabled by listing the host: exactly the rows on it",
    );
    await f.notify([cat]);
    await f.dispatch();
    assert.deepEqual(other.received.map((r) => r.device), ["cat-old"], "cat's device gets her push again");
  } finally {
    await f.close();
  }
});

Deno.test("web push: several devices, one failing for a while: only that device is retried, none gets it twice", async () => {
  const f = await pushFixture();
  const { sql } = f;
  const script = new Map<string, { status: number; headers?: Record<string, string> }[]>([
    ["ann-laptop", [{ status: 503 }]], // down once, then 201
    ["ann-old", [{ status: 410 }]], // the push service forgot it
    ["bob-tablet", [{ status: 503 }, { status: 429, headers: { "Retry-After": "1" } }, { status: 503 }]], // never in time
  ]);
  const svc = f.service(script);
  await f.allow(`127.0.0.1:${svc.port}`);
  try {
    const ann = await f.user("ann");
    const bob = await f.user("bob");
    const cid = await f.user("cid");
    const subscribe = async (user: string, name: string) => {
      const k = f.device(name, `https://127.0.0.1:${svc.port}/push/${name}`);
      const [row] = await sql<{ id: string }[]>`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
                                               values (${user}, ${k.endpoint}, ${k.p256dh}, ${k.auth}) returning id`;
      return row.id;
    };
    const annPhone = await subscribe(ann, "ann-phone");
    const annLaptop = await subscribe(ann, "ann-laptop");
    const annOld = await subscribe(ann, "ann-old");
    const bobPhone = await subscribe(bob, "bob-phone");
    const bobTablet = await subscribe(bob, "bob-tablet");
    await subscribe(cid, "cid-phone"); // unsubscribes before the retry
    script.set("cid-phone", [{ status: 502 }]);
    const deliveries = await f.notify([ann, bob, cid]);
    const delivery = async (u: string) =>
      (await sql<{ status: string; attempts: number; provider_message_id: string | null; last_error: string | null; sent: boolean }[]>`
        select status, attempts, provider_message_id, last_error, sent_at is not null as sent
        from public.notification_deliveries where id = ${deliveries.get(u)!}`)[0];
    const devices = async (u: string) =>
      Object.fromEntries((await sql<{ subscription_id: string; status: string; attempts: number; http_status: number | null }[]>`
        select subscription_id, status, attempts, http_status from private.push_delivery_devices
        where delivery_id = ${deliveries.get(u)!}`).map((r) => [r.subscription_id, `${r.status}/${r.attempts}/${r.http_status}`]));
    const count = (device: string) => svc.received.filter((r) => r.device === device).length;

    // Attempt 1: ann's phone gets it, her laptop answers 503, her old device 410.
    await f.dispatch();
    assert.deepEqual(svc.problems, []);
    assert.deepEqual([count("ann-phone"), count("ann-laptop"), count("bob-phone"), count("bob-tablet")], [1, 0, 1, 0]);
    const first = await delivery(ann);
    assert.equal(first.status, "queued", "a device is still to retry: the delivery is not sent yet");
    assert.equal(first.provider_message_id, "push:1/3");
    assert.match(first.last_error ?? "", new RegExp(`subscription ${annLaptop}\\): retry 503`), "the waiting device is named");
    assert.deepEqual(await devices(ann), { [annPhone]: "sent/1/201", [annLaptop]: "retry/1/503", [annOld]: "gone/1/410" });
    assert.deepEqual((await sql`select id from public.push_subscriptions where id = ${annOld}`).length, 0, "410 deleted it");
    await sql`delete from public.push_subscriptions where user_id = ${cid}`;

    // Attempt 2 (made due now): only the laptop is sent to; it answers 201.
    await sql`update public.notification_deliveries set next_attempt_at = now() where id = any(${[...deliveries.values()]}::uuid[])`;
    await f.dispatch();
    assert.deepEqual([count("ann-phone"), count("ann-laptop")], [1, 1], "the laptop got it once, the phone was not sent it again");
    const second = await delivery(ann);
    assert.deepEqual({ ...second, last_error: undefined }, {
      status: "sent", attempts: 2, provider_message_id: "push:2/3", last_error: undefined, sent: true,
    });
    assert.match(second.last_error ?? "", /gone 410/, "what happened to the old device is recorded");
    assert.deepEqual(await devices(ann), { [annPhone]: "sent/1/201", [annLaptop]: "sent/2/201", [annOld]: "gone/1/410" });
    assert.equal((await sql`select 1 from public.push_subscriptions where id = ${annLaptop} and last_used_at is not null`).length, 1);
    const cidDelivery = await delivery(cid);
    assert.equal(cidDelivery.status, "cancelled", "cid's only device was unsubscribed before the retry");
    assert.match(cidDelivery.last_error ?? "", /unsubscribed before the retry/);

    // Bob's tablet keeps failing (503, 429, 503): when the retries run out the delivery is still sent (his phone got it)
    // and the tablet is recorded as given up.
    assert.equal((await delivery(bob)).status, "queued");
    await sql`update public.notification_deliveries set attempts = 11, next_attempt_at = now() where id = ${deliveries.get(bob)!}`;
    await f.dispatch();
    assert.deepEqual([count("bob-phone"), count("bob-tablet")], [1, 0]);
    assert.equal(svc.requests.filter((n) => n === "bob-phone").length, 1, "the phone was posted to once in all");
    assert.equal(svc.requests.filter((n) => n === "bob-tablet").length, 3, "the tablet on every attempt");
    const bobs = await delivery(bob);
    assert.deepEqual([bobs.status, bobs.attempts, bobs.sent, bobs.provider_message_id], ["sent", 12, true, "push:1/2"]);
    assert.deepEqual(await devices(bob), { [bobPhone]: "sent/1/201", [bobTablet]: "failed/3/503" });
    const [tablet] = await sql<{ error: string }[]>`select error from private.push_delivery_devices where subscription_id = ${bobTablet}`;
    assert.match(tablet.error, /^given up: 503/);
  } finally {
    await f.close();
  }
});

Deno.test("web push: a shared browser that moved to another user is never deleted or marked by the first user's push", async () => {
  const f = await pushFixture();
  const { sql } = f;
  // Set by the test: what happens to a device while its request is with the push service.
  const midSend = new Map<string, () => Promise<void>>();
  const script = new Map<string, { status: number; headers?: Record<string, string> }[]>([
    ["shared-laptop", [{ status: 503 }]], // down for ann's first attempt
    ["hand-me-down", [{ status: 410 }]], // forgotten by the push service, answered after it moved to dan
  ]);
  const svc = f.service(script, async (device) => {
    const step = midSend.get(device);
    midSend.delete(device);
    if (step) await step();
  });
  await f.allow(`127.0.0.1:${svc.port}`);
  try {
    const ann = await f.user("ann");
    const ben = await f.user("ben");
    const cid = await f.user("cid");
    const dan = await f.user("dan");
    const url = (name: string) => `https://127.0.0.1:${svc.port}/push/${name}`;
    const annPhone = await f.register(ann, f.device("ann-phone", url("ann-phone")));
    // One browser has one subscription (endpoint and keys) whoever is signed in: the next user registers the same.
    const laptopKeys = f.device("shared-laptop", url("shared-laptop"));
    const oldKeys = f.device("hand-me-down", url("hand-me-down"));
    const pcKeys = f.device("hand-on", url("hand-on"));
    const laptop = await f.register(ann, laptopKeys);
    await f.register(cid, oldKeys);
    const cidPc = await f.register(cid, pcKeys);
    // While the push service has cid's requests, dan signs in on both browsers and registers them.
    let moved: { id: string; user_id: string } | undefined;
    let movedOn: { id: string; user_id: string } | undefined;
    midSend.set("hand-me-down", async () => {
      moved = await f.register(dan, oldKeys);
    });
    midSend.set("hand-on", async () => {
      movedOn = await f.register(dan, pcKeys);
    });
    const deliveries = await f.notify([ann, cid]);

    // Attempt 1: ann's phone gets it, the shared laptop answers 503 (waits for a retry).
    await f.dispatch();
    assert.deepEqual(svc.problems, []);
    const [annDevices] = await sql<{ n: number }[]>`
      select count(*)::int as n from private.push_delivery_devices where delivery_id = ${deliveries.get(ann)!} and status = 'retry'`;
    assert.equal(annDevices.n, 1, "the laptop waits for a retry");
    // cid's two browsers moved to dan during the send, keeping their ids: the 410 and the 201 were for cid's
    // push, the rows are dan's now: neither deleted nor marked used.
    assert.equal(moved?.user_id, dan);
    assert.equal(movedOn?.id, cidPc.id, "register_push_subscription keeps the row's id when it moves");
    assert.deepEqual(
      (await sql<{ user_id: string; used: boolean }[]>`
        select user_id, last_used_at is not null as used from public.push_subscriptions
        where id = any(${[moved!.id, cidPc.id]}::uuid[])`).map((r) => ({ ...r })),
      [{ user_id: dan, used: false }, { user_id: dan, used: false }],
      "dan's two subscriptions survive cid's 410 and are not marked used by cid's delivery",
    );

    // Ben signs in on the shared laptop and registers it: the row (same id) is his now.
    const taken = await f.register(ben, laptopKeys);
    assert.deepEqual(taken, { id: laptop.id, user_id: ben });
    const laptopRequests = svc.requests.filter((n) => n === "shared-laptop").length;

    // Attempt 2 of ann's delivery: the laptop is no longer hers: not sent to, and ben's row is left alone.
    await sql`update public.notification_deliveries set next_attempt_at = now() where id = ${deliveries.get(ann)!}`;
    await f.dispatch();
    assert.equal(svc.requests.filter((n) => n === "shared-laptop").length, laptopRequests, "ann's push never reaches ben's laptop");
    assert.deepEqual(
      (await sql<{ id: string; user_id: string }[]>`select id, user_id from public.push_subscriptions where id = ${laptop.id}`)
        .map((r) => ({ ...r })),
      [{ id: laptop.id, user_id: ben }],
      "ann's retry did not delete ben's subscription",
    );
    const [annDelivery] = await sql<{ status: string; last_error: string }[]>`
      select status, last_error from public.notification_deliveries where id = ${deliveries.get(ann)!}`;
    assert.equal(annDelivery.status, "sent", "ann's phone got it; the laptop is no longer hers");
    assert.match(annDelivery.last_error, /moved to another user/);
    assert.equal(svc.received.filter((r) => r.device === "ann-phone").length, 1);
    assert.equal((await sql`select 1 from public.push_subscriptions where id = ${annPhone.id}`).length, 1);

    // A 410 for a row that is still the recipient's deletes it (the scoping does not stop the real case).
    script.set("ann-phone", [{ status: 410 }]);
    await f.notify([ann]);
    await f.dispatch();
    assert.equal((await sql`select 1 from public.push_subscriptions where id = ${annPhone.id}`).length, 0, "ann's own 410 deletes her phone");
  } finally {
    await f.close();
  }
});

Deno.test("web push: a device whose keys cannot be encrypted to fails for good, the others get the push, nothing waits", async () => {
  const f = await pushFixture();
  const { sql } = f;
  const svc = f.service();
  await f.allow(`127.0.0.1:${svc.port}`);
  try {
    const ann = await f.user("ann");
    const url = (name: string) => `https://127.0.0.1:${svc.port}/push/${name}`;
    const phone = f.device("ann-phone", url("ann-phone"));
    const [good] = await sql<{ id: string }[]>`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
      values (${ann}, ${phone.endpoint}, ${phone.p256dh}, ${phone.auth}) returning id`;
    // Keys that pass the format checks but no browser made: 65 bytes starting 0x04 that are not a point on P-256,
    // and a 33-byte key (a compressed point: the Web Push key must be the uncompressed one).
    const offCurve = b64u(Uint8Array.from([4, ...new Array(64).fill(1)]));
    const short = b64u(Uint8Array.from([2, ...new Array(32).fill(7)]));
    const broken: string[] = [];
    for (const [name, p256dh] of [["ann-off-curve", offCurve], ["ann-short-key", short]]) {
      const k = f.device(name, url(name));
      const [row] = await sql<{ id: string }[]>`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
        values (${ann}, ${k.endpoint}, ${p256dh}, ${k.auth}) returning id`;
      broken.push(row.id);
    }
    const deliveries = await f.notify([ann]);
    await f.dispatch();
    assert.deepEqual(svc.problems, []);
    assert.deepEqual(svc.requests, ["ann-phone"], "nothing was posted for the broken devices");
    assert.equal(svc.received.length, 1, "the phone got its push");
    const [delivery] = await sql<{ status: string; provider_message_id: string; last_error: string }[]>`
      select status, provider_message_id, last_error from public.notification_deliveries where id = ${deliveries.get(ann)!}`;
    assert.equal(delivery.status, "sent", "not held for a retry by the broken devices");
    assert.equal(delivery.provider_message_id, "push:1/3");
    const devices = await sql<{ subscription_id: string; status: string; error: string | null }[]>`
      select subscription_id, status, error from private.push_delivery_devices where delivery_id = ${deliveries.get(ann)!}`;
    assert.equal(devices.find((d) => d.subscription_id === good.id)?.status, "sent");
    for (const id of broken) {
      const d = devices.find((r) => r.subscription_id === id);
      assert.equal(d?.status, "failed", `broken device ${id}: failed for good`);
      assert.match(d?.error ?? "", /^not sent, the subscription's keys are unusable: ./);
    }

    // A user with only a broken device: the delivery fails at once instead of waiting about a day.
    const bob = await f.user("bob");
    const k = f.device("bob-off-curve", url("bob-off-curve"));
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (${bob}, ${k.endpoint}, ${offCurve}, ${k.auth})`;
    const bobs = await f.notify([bob]);
    await f.dispatch();
    const [bobDelivery] = await sql<{ status: string; attempts: number }[]>`
      select status, attempts from public.notification_deliveries where id = ${bobs.get(bob)!}`;
    assert.deepEqual({ ...bobDelivery }, { status: "failed", attempts: 1 });

    // A bad VAPID key is the operator's, not the devices': the delivery stays queued for a retry.
    const cid = await f.user("cid");
    const ck = f.device("cid-phone", url("cid-phone"));
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values (${cid}, ${ck.endpoint}, ${ck.p256dh}, ${ck.auth})`;
    Deno.env.set("VAPID_PRIVATE_KEY", b64u(new Uint8Array(16)));
    const cids = await f.notify([cid]);
    await f.dispatch();
    const [cidDelivery] = await sql<{ status: string; last_error: string }[]>`
      select status, last_error from public.notification_deliveries where id = ${cids.get(cid)!}`;
    assert.equal(cidDelivery.status, "queued");
    assert.match(cidDelivery.last_error, /^VAPID configuration: /);
    assert.equal((await sql`select 1 from private.push_delivery_devices where delivery_id = ${cids.get(cid)!}`).length, 0,
      "no device is blamed");
  } finally {
    await f.close();
  }
});

Deno.test("web push: a host the operator lists again while the pushes are out is not disabled by the dispatcher", async () => {
  const f = await pushFixture();
  const { sql } = f;
  const laptopService = f.service();
  const laptopHost = `127.0.0.1:${laptopService.port}`;
  // While ann's phone's push is with its push service, the operator lists the laptop's host again (its
  // trigger re-enables disabled rows: the laptop is not disabled yet, so it changes nothing then).
  let listed = false;
  const svc = f.service(undefined, async (device) => {
    if (device === "ann-phone" && !listed) {
      listed = true;
      await f.allow(laptopHost);
    }
  });
  await f.allow(`127.0.0.1:${svc.port}`);
  try {
    const ann = await f.user("ann");
    const phone = f.device("ann-phone", `https://127.0.0.1:${svc.port}/push/ann-phone`);
    const laptop = f.device("ann-laptop", `https://${laptopHost}/push/ann-laptop`);
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
              values (${ann}, ${phone.endpoint}, ${phone.p256dh}, ${phone.auth})`;
    // Registered while its host was listed, then the host was removed from the list.
    await f.allow(laptopHost);
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
              values (${ann}, ${laptop.endpoint}, ${laptop.p256dh}, ${laptop.auth})`;
    await sql`delete from private.push_service_hosts where host = ${laptopHost}`;

    const first = await f.notify([ann]);
    await f.dispatch();
    assert.ok(listed, "(the host was listed again during the send)");
    assert.deepEqual(laptopService.requests, [], "the laptop was refused when the dispatcher read the list: not posted to");
    const [row] = await sql<{ disabled_at: Date | null; disabled_reason: string | null; disabled_cause: string | null }[]>`
      select disabled_at, disabled_reason, disabled_cause from public.push_subscriptions where endpoint = ${laptop.endpoint}`;
    assert.deepEqual({ ...row }, { disabled_at: null, disabled_reason: null, disabled_cause: null },
      "the laptop is not disabled: its host is allowed at the moment the dispatcher writes back");
    const [device] = await sql<{ status: string }[]>`
      select pd.status from private.push_delivery_devices pd join public.push_subscriptions ps on ps.id = pd.subscription_id
      where pd.delivery_id = ${first.get(ann)!} and ps.endpoint = ${laptop.endpoint}`;
    assert.equal(device.status, "refused", "(this delivery was not posted to it)");

    // The next push reaches the laptop.
    await sql`delete from public.notification_deliveries where id = ${first.get(ann)!}`;
    await f.notify([ann]);
    await f.dispatch();
    assert.deepEqual(laptopService.received.map((r) => r.device), ["ann-laptop"], "the laptop gets the next push");
    assert.deepEqual([...laptopService.problems, ...svc.problems], []);

    // Still refused when the dispatcher writes back: disabled, with the reason of that moment.
    await sql`delete from private.push_service_hosts where host = ${laptopHost}`;
    await sql`delete from public.notification_deliveries where user_id = ${ann}`;
    await f.notify([ann]);
    await f.dispatch();
    const [after] = await sql<{ disabled: boolean; disabled_reason: string | null; disabled_cause: string | null }[]>`
      select disabled_at is not null as disabled, disabled_reason, disabled_cause from public.push_subscriptions
      where endpoint = ${laptop.endpoint}`;
    assert.equal(after.disabled, true, "a host still refused at write-back: disabled");
    assert.equal(after.disabled_cause, "endpoint");
    assert.match(after.disabled_reason ?? "", /is not a known push service/);
  } finally {
    await f.close();
  }
});

Deno.test("web push: a device whose keys cannot be used is disabled with the reason, skipped, and enabled when registered again", async () => {
  const f = await pushFixture();
  const { sql } = f;
  const svc = f.service();
  await f.allow(`127.0.0.1:${svc.port}`);
  try {
    const url = (name: string) => `https://127.0.0.1:${svc.port}/push/${name}`;
    const offCurve = b64u(Uint8Array.from([4, ...new Array(64).fill(1)]));
    type Row = { disabled: boolean; disabled_cause: string | null; disabled_reason: string | null };
    const state = async (endpoint: string) =>
      (await sql<Row[]>`select disabled_at is not null as disabled, disabled_cause, disabled_reason
                        from public.push_subscriptions where endpoint = ${endpoint}`)[0];

    // bob's only device has keys no request can be encrypted to.
    const bob = await f.user("bob");
    const bobPhone = f.device("bob-phone", url("bob-phone"));
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
              values (${bob}, ${bobPhone.endpoint}, ${offCurve}, ${bobPhone.auth})`;
    // ann has a working phone and a broken tablet.
    const ann = await f.user("ann");
    const annPhone = f.device("ann-phone", url("ann-phone"));
    const annTablet = f.device("ann-tablet", url("ann-tablet"));
    await sql`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)
              values (${ann}, ${annPhone.endpoint}, ${annPhone.p256dh}, ${annPhone.auth}),
                     (${ann}, ${annTablet.endpoint}, ${offCurve}, ${annTablet.auth})`;

    const first = await f.notify([ann, bob]);
    await f.dispatch();
    const [bobFirst] = await sql<{ status: string }[]>`select status from public.notification_deliveries where id = ${first.get(bob)!}`;
    assert.equal(bobFirst.status, "failed", "(the delivery that met the broken keys fails, as before)");
    for (const endpoint of [bobPhone.endpoint, annTablet.endpoint]) {
      const s = await state(endpoint);
      assert.equal(s.disabled, true, `${endpoint}: disabled`);
      assert.equal(s.disabled_cause, "keys");
      assert.match(s.disabled_reason ?? "", /^the subscription's keys are unusable: ./);
    }
    assert.equal((await state(annPhone.endpoint)).disabled, false, "the working phone is not");

    // A change of the host list does not enable a row disabled for its keys.
    await f.allow(`127.0.0.1:${svc.port + 1}`);
    assert.equal((await state(bobPhone.endpoint)).disabled, true, "listing a host does not enable it");

    // The next notification: no push is queued for bob (his only device is disabled), ann's goes to the phone only.
    await sql`delete from public.notification_deliveries where user_id = any(${[ann, bob]}::uuid[])`;
    const second = await f.notify([ann, bob]);
    assert.equal(second.has(bob), false, "no push delivery is queued for bob: it cannot fail any more");
    await f.dispatch();
    const [annSecond] = await sql<{ status: string; provider_message_id: string }[]>`
      select status, provider_message_id from public.notification_deliveries where id = ${second.get(ann)!}`;
    assert.deepEqual({ ...annSecond }, { status: "sent", provider_message_id: "push:1/1" }, "ann's push: the phone only, sent");

    // bob registers the device again (the browser's real keys now): enabled, and the next push reaches it.
    await f.register(bob, bobPhone);
    assert.deepEqual({ ...(await state(bobPhone.endpoint)) }, { disabled: false, disabled_cause: null, disabled_reason: null },
      "registered again: enabled");
    // ann's tablet gets new keys through a plain update of its row (the client's upsert of the keys).
    await sql`update public.push_subscriptions set p256dh = ${annTablet.p256dh} where endpoint = ${annTablet.endpoint}`;
    assert.equal((await state(annTablet.endpoint)).disabled, false, "new keys: enabled");
    await sql`delete from public.notification_deliveries where user_id = any(${[ann, bob]}::uuid[])`;
    await f.notify([ann, bob]);
    await f.dispatch();
    assert.deepEqual(svc.received.map((r) => r.device).sort(), ["ann-phone", "ann-phone", "ann-phone", "ann-tablet", "bob-phone"],
      "then every device gets its push (ann's phone had one per notification)");
    assert.deepEqual(svc.problems, []);
  } finally {
    await f.close();
  }
});
