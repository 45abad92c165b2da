/**
 * dispatch-notifications and unsubscribe against the real local database, through the local router,
 * with a real SMTP server started by the test (smtp-server) and the mails parsed with mailparser:
 * - due reminders of three users (nl, pt, en) become one mail each, in their language and local time
 *   with the zone abbreviation, with the session's .ics (same UID, SEQUENCE and start as the calendar
 *   function's) and List-Unsubscribe / List-Unsubscribe-Post headers; the deliveries end sent;
 * - the unsubscribe link: GET shows a page and changes nothing, the one-click POST turns that kind's
 *   email off (other channels unchanged); tampered and expired tokens are 400;
 * - only the service role or the dispatch secret may dispatch;
 * - SMTP down: the delivery is retried later and delivered once the server is back; a 451 is retried,
 *   a 550 at RCPT fails for good and suppresses the address;
 * - Resend: a local HTTP server standing in for api.resend.com receives the same mail as JSON with
 *   the delivery id as Idempotency-Key.
 * Deliveries that existed before are held back (next_attempt_at + 1 h) and put back afterwards.
 */
import assert from "node:assert/strict";
import ICAL from "ical.js";
import { type ParsedMail, simpleParser } from "mailparser";
import type postgres from "postgres";
import { SMTPServer } from "smtp-server";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { signUnsubscribeToken } from "../_shared/unsubscribe-token.ts";
import { renderMessage } from "../dispatch-notifications/templates.ts";
import { adminDb, holdOtherDeliveries, mintJwt } from "./helpers.ts";

type Sql = postgres.Sql;

const DISPATCH_SECRET = "test-dispatch-secret-0123456789abcdef";
Deno.env.set("DISPATCH_SECRET", DISPATCH_SECRET);
Deno.env.set("UNSUBSCRIBE_SECRET", "test-unsubscribe-secret-0123456789abcdef");
Deno.env.set("SITE_URL", "https://app.example.test");
Deno.env.set("SMTP_TIMEOUT_MS", "2000");
Deno.env.delete("RESEND_API_KEY");

interface Received {
  to: string[];
  raw: string;
}

/** A real SMTP server on a free port; rejects RCPT TO per address with `reject(address)`. */
async function startSmtp(reject: (address: string) => number | null = () => null, port = 0) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address: { address: string }, _session: unknown, callback: (err?: Error | null) => void) {
      const code = reject(address.address);
      if (code) {
        const err = new Error(code >= 500 ? "No such user" : "Try again later") as Error & { responseCode: number };
        err.responseCode = code;
        return callback(err);
      }
      callback();
    },
    onData(stream: NodeJS.ReadableStream, session: { envelope: { rcptTo: { address: string }[] } }, callback: () => void) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        const size = chunks.reduce((n, c) => n + c.length, 0);
        const all = new Uint8Array(size);
        let o = 0;
        for (const c of chunks) {
          all.set(c, o);
          o += c.length;
        }
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: new TextDecoder().decode(all) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  return {
    port: address.port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Fixture {
  sql: Sql;
  users: string[];
  sessions: string[];
  held?: { release: () => Promise<void> };
}

async function cleanup(f: Fixture) {
  await f.sql`delete from public.sessions where id = any(${f.sessions}::uuid[])`;
  await f.sql`delete from public.conversations where created_by = any(${f.users}::uuid[])`;
  await f.sql`delete from private.email_suppressions where email like 'notify-%@example.test'`;
  await f.sql`delete from auth.users where id = any(${f.users}::uuid[])`;
  await f.held?.release();
}

async function createUser(f: Fixture, label: string, meta: Record<string, unknown>, locale = "en"): Promise<{ id: string; email: string }> {
  const id = crypto.randomUUID();
  const email = `notify-${label}-${id.slice(0, 8)}@example.test`;
  await f.sql`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
              values (${id}, ${email}, ${f.sql.json({ display_name: `Notify ${label}`, ...meta })},
                      'authenticated', 'authenticated', now())`;
  await f.sql`update public.profiles set locale = ${locale} where id = ${id}`;
  f.users.push(id);
  return { id, email };
}

async function createSession(f: Fixture, host: string, title: string, startsInMinutes: number): Promise<string> {
  const id = crypto.randomUUID();
  await f.sql`insert into public.sessions (id, title, starts_at, status, visibility, timezone, created_by)
              values (${id}, ${title}, now() + make_interval(mins => ${startsInMinutes}), 'scheduled', 'public',
                      'Europe/Amsterdam', ${host})`;
  f.sessions.push(id);
  return id;
}

function dispatchRequest(base: string, headers: HeadersInit = { "X-Dispatch-Secret": DISPATCH_SECRET }, method = "POST") {
  return fetch(`${base}/dispatch-notifications`, { method, headers });
}

async function dispatchOk(base: string): Promise<Record<string, number>> {
  const res = await dispatchRequest(base);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

function header(mail: ParsedMail, name: string): string | undefined {
  return mail.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, "").replace(/\r?\n\s+/g, " ");
}

function hhmm(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
}

Deno.test("dispatch-notifications: reminders mailed in the reader's language and zone, with .ics and one-click unsubscribe", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "host", {});
    const nl = await createUser(f, "nl", { timezone: "Europe/Amsterdam" }, "nl");
    const pt = await createUser(f, "pt", { timezone: "America/Sao_Paulo" }, "pt-BR");
    const en = await createUser(f, "en", { timezone: "Asia/Dubai" }, "en");
    await f.sql`update public.user_roles set role = 'coach' where user_id = ${host.id}`;
    const sessionId = await createSession(f, host.id, "Discovery Technieken", 20);
    for (const u of [nl, pt, en]) {
      await f.sql`insert into public.bookings (session_id, user_id, status) values (${sessionId}, ${u.id}, 'confirmed')`;
      // A 30 minute reminder is due now.
      await f.sql`insert into public.session_reminders (session_id, user_id, minutes_before) values (${sessionId}, ${u.id}, 30)`;
    }
    await f.sql`select private.send_due_reminders()`;
    const queued = await f.sql<{ id: string; user_id: string }[]>`
      select id, user_id from public.notification_deliveries
      where session_id = ${sessionId} and kind = 'session_reminder' and channel = 'email' and status = 'queued'`;
    assert.equal(queued.length, 3, "one email delivery per reader");

    // Only the scheduler may dispatch.
    assert.equal((await dispatchRequest(base, {})).status, 401, "no credentials: 401");
    assert.equal((await dispatchRequest(base, { "X-Dispatch-Secret": "wrong-secret-wrong-secret" })).status, 401, "a wrong secret: 401");
    const userJwt = await mintJwt({ sub: nl.id, role: "authenticated", aud: "authenticated" });
    assert.equal((await dispatchRequest(base, { Authorization: `Bearer ${userJwt}` })).status, 403, "a user: 403");
    assert.equal((await dispatchRequest(base, { "X-Dispatch-Secret": DISPATCH_SECRET }, "GET")).status, 405, "GET: 405");
    assert.equal(smtp.received.length, 0, "nothing was sent by refused calls");
    // Counts are this test's rows and mails only: pg_cron jobs of the test database (reminders, digests of
    // seeded data) may queue other deliveries meanwhile, and the dispatcher sends those too.

    const summary = await dispatchOk(base);
    assert.ok(summary.sent >= 3, JSON.stringify(summary));
    const mine = (r: Received) => [nl, pt, en].some((u) => r.to.includes(u.email));
    assert.equal(smtp.received.filter(mine).length, 3, "three mails reached the SMTP server, one per reader");

    const [session] = await f.sql<{ starts_at: Date; sequence: number }[]>`select starts_at, sequence from public.sessions where id = ${sessionId}`;
    const abbrev = async (tz: string) =>
      (await f.sql<{ a: string }[]>`select private.zone_abbreviation(${session.starts_at}, ${tz}) as a`)[0].a;
    const calendarIcs = await (await fetch(`${base}/calendar/sessions/${sessionId}.ics`)).text();
    const calendarEvent = new ICAL.Component(ICAL.parse(calendarIcs)).getFirstSubcomponent("vevent")!;

    const expectations = [
      { user: nl, subject: "Herinnering: Discovery Technieken begint", zone: "Europe/Amsterdam", lang: "nl", join: "Deelnemen aan de sessie" },
      { user: pt, subject: "Lembrete: Discovery Technieken começa", zone: "America/Sao_Paulo", lang: "pt", join: "Entrar na sessão" },
      { user: en, subject: "Reminder: Discovery Technieken starts", zone: "Asia/Dubai", lang: "en", join: "Join the session" },
    ];
    const unsubscribeLinks = new Map<string, string>();
    for (const e of expectations) {
      const raw = smtp.received.find((r) => r.to.includes(e.user.email));
      assert.ok(raw, `a mail to ${e.lang}`);
      const mail = await simpleParser(raw.raw);
      const local = `${hhmm(session.starts_at, e.zone)} ${e.zone} (${await abbrev(e.zone)})`;
      assert.ok(mail.subject?.startsWith(e.subject), `${e.lang} subject: ${mail.subject}`);
      assert.ok(mail.subject?.includes(local), `${e.lang} subject has the local time with the zone abbreviation: ${mail.subject} / ${local}`);
      assert.ok(mail.text?.includes(local), `${e.lang} text body has the local time`);
      assert.ok(mail.text?.includes(`${e.join}: https://app.example.test/sessions/${sessionId}`), `${e.lang} text has the join link`);
      assert.ok(typeof mail.html === "string" && mail.html.includes(`lang="${e.lang}"`) && mail.html.includes(e.join), `${e.lang} html`);
      assert.equal(header(mail, "Content-Language"), e.lang);
      const delivery = queued.find((q) => q.user_id === e.user.id)!;
      assert.equal(mail.messageId, `<${delivery.id}@live-sessions>`, "the Message-ID is the delivery id");
      // RFC 8058
      const listUnsubscribe = header(mail, "List-Unsubscribe");
      assert.match(listUnsubscribe ?? "", new RegExp(`^<${base}/unsubscribe/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>$`));
      assert.equal(header(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
      unsubscribeLinks.set(e.lang, listUnsubscribe!.slice(1, -1));
      // The .ics: the calendar function's UID, SEQUENCE and start.
      const ics = mail.attachments.find((a) => a.filename === "session.ics");
      assert.ok(ics, `${e.lang}: .ics attached`);
      assert.match(ics.contentType, /^text\/calendar/);
      const event = new ICAL.Component(ICAL.parse(ics.content.toString("utf-8"))).getFirstSubcomponent("vevent")!;
      assert.equal(event.getFirstPropertyValue("uid"), `${sessionId}@live-sessions`);
      assert.equal(event.getFirstPropertyValue("uid"), calendarEvent.getFirstPropertyValue("uid"), "same UID as the calendar feed");
      assert.equal(Number(event.getFirstPropertyValue("sequence")), Number(calendarEvent.getFirstPropertyValue("sequence")), "same SEQUENCE");
      assert.equal(Number(event.getFirstPropertyValue("sequence")), session.sequence);
      const start = (event.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime();
      assert.equal(start, Math.floor(session.starts_at.getTime() / 1000) * 1000, "DTSTART is the session's start (to the second)");
      assert.equal(start, (calendarEvent.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime(), "as in the calendar feed");
      assert.deepEqual(event.getAllSubcomponents("valarm").map((a) => String(a.getFirstPropertyValue("trigger"))), ["-PT30M"],
        "the reader's own reminder is the alarm");
    }
    const states = await f.sql<{ status: string; provider_message_id: string }[]>`
      select status, provider_message_id from public.notification_deliveries where id = any(${queued.map((q) => q.id)}::uuid[])`;
    assert.ok(states.every((s) => s.status === "sent" && s.provider_message_id?.endsWith("@live-sessions>")), JSON.stringify(states));
    await dispatchOk(base);
    assert.equal(smtp.received.filter(mine).length, 3, "a second run sends none of them again");

    // Unsubscribe: GET changes nothing, one-click POST turns session_reminder email off.
    const link = unsubscribeLinks.get("nl")!;
    const prefs = async () =>
      (await f.sql<{ in_app: boolean; email: boolean; push: boolean }[]>`
        select c.in_app, c.email, c.push from private.notification_channels(${nl.id}, 'session_reminder') c`)[0];
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("Content-Type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.ok(html.includes('method="post"') && html.includes("Afmelden"), "a Dutch page with a button");
    assert.deepEqual({ ...(await prefs()) }, { in_app: true, email: true, push: true }, "GET changed nothing");
    const post = await fetch(link, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    assert.equal(post.status, 200, await post.text());
    assert.deepEqual({ ...(await prefs()) }, { in_app: true, email: false, push: true }, "the one-click POST turned only email off");
    const others = await f.sql<{ email: boolean }[]>`select c.email from private.notification_channels(${pt.id}, 'session_reminder') c`;
    assert.equal(others[0].email, true, "another reader is unaffected");
    // Bad and expired tokens.
    const tampered = link.replace(/\/unsubscribe\/(.)/, (_, c) => `/unsubscribe/${c === "W" ? "X" : "W"}`);
    const bad = await fetch(tampered, { method: "POST", body: "List-Unsubscribe=One-Click" });
    assert.equal(bad.status, 400, "a tampered token is 400");
    await bad.body?.cancel();
    const expired = await signUnsubscribeToken(pt.id, "session_reminder", { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const old = await fetch(`${base}/unsubscribe/${expired}`, { method: "POST", body: "List-Unsubscribe=One-Click" });
    assert.equal(old.status, 400, "an expired token is 400");
    assert.ok((await old.text()).includes("expired"));
    assert.equal(others[0].email, true);

    // Next reminders for the nl reader queue no email any more.
    await f.sql`insert into public.session_reminders (session_id, user_id, minutes_before) values (${sessionId}, ${nl.id}, 60)`;
    await f.sql`select private.send_due_reminders()`;
    const nlEmails = await f.sql`select 1 from public.notification_deliveries where user_id = ${nl.id} and status = 'queued'`;
    assert.equal(nlEmails.length, 0, "after unsubscribing, reminders queue no email for that reader");

    // A direct message left unread for 10 minutes: one digest mail, in the reader's language.
    const [conv] = await f.sql<{ id: string }[]>`
      insert into public.conversations (kind, created_by, last_message_at) values ('direct', ${en.id}, now() - interval '11 minutes')
      returning id`;
    await f.sql`insert into public.conversation_members (conversation_id, user_id, role, last_read_at)
                values (${conv.id}, ${en.id}, 'owner', now() - interval '1 hour'), (${conv.id}, ${pt.id}, 'member', now() - interval '1 hour')`;
    await f.sql`insert into public.direct_messages (conversation_id, user_id, body, created_at)
                values (${conv.id}, ${en.id}, 'Can we move our call?', now() - interval '12 minutes'),
                       (${conv.id}, ${en.id}, 'Tomorrow works too', now() - interval '11 minutes')`;
    await f.sql`select private.queue_direct_message_digests()`;
    await dispatchOk(base);
    const digests = smtp.received.filter((r) => r.to.includes(pt.email));
    assert.equal(digests.length, 2, "the reminder and one digest reached the pt reader");
    const digest = await simpleParser(digests[1].raw);
    assert.equal(digest.subject, "2 mensagens não lidas de Notify en");
    assert.ok(digest.text?.includes("Notify en: Can we move our call?") && digest.text.includes("Notify en: Tomorrow works too"), digest.text);
    assert.ok(digest.text?.includes(`Ler e responder: https://app.example.test/messages/${conv.id}`), digest.text);
    assert.equal(header(digest, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert.equal(digest.attachments.length, 0, "no .ics for a message digest");
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

Deno.test("dispatch-notifications: SMTP down is retried and delivered later; 451 is retried, 550 fails and suppresses", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  // A port nothing listens on.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const downPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${downPort}`);
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "host2", {});
    const reader = await createUser(f, "reader", { timezone: "Europe/Amsterdam" }, "nl");
    const later = await createUser(f, "later", {});
    const bounce = await createUser(f, "bounce", {});
    const sessionId = await createSession(f, host.id, "Cancelled talk", 120);
    for (const u of [reader, later, bounce]) {
      await f.sql`select private.notify(${u.id}, 'session_cancelled', 'Cancelled', null, ${`/sessions/${sessionId}`},
                                        ${f.sql.json({ session_id: sessionId })})`;
    }
    const ids = await f.sql<{ id: string; user_id: string }[]>`
      select id, user_id from public.notification_deliveries where user_id = any(${[reader.id, later.id, bounce.id]}::uuid[])`;
    assert.equal(ids.length, 3);

    const down = await dispatchOk(base);
    assert.ok(down.retry >= 3, `SMTP down: every delivery is retried (${JSON.stringify(down)})`);
    const afterDown = await f.sql<{ status: string; attempts: number; due_later: boolean; last_error: string }[]>`
      select status, attempts, next_attempt_at > now() as due_later, last_error from public.notification_deliveries
      where id = any(${ids.map((i) => i.id)}::uuid[])`;
    assert.ok(afterDown.every((d) => d.status === "queued" && d.attempts === 1 && d.due_later && d.last_error),
      JSON.stringify(afterDown));
    await dispatchOk(base);
    const still = await f.sql<{ attempts: number }[]>`select attempts from public.notification_deliveries where id = any(${ids.map((i) => i.id)}::uuid[])`;
    assert.ok(still.every((d) => d.attempts === 1), "not claimed again before its backoff");

    // The server is back (451 for one address, 550 for another); the backoff has passed.
    smtp = await startSmtp((a) => a.startsWith("notify-later") ? 451 : a.startsWith("notify-bounce") ? 550 : null);
    Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
    await f.sql`update public.notification_deliveries set next_attempt_at = now() where id = any(${ids.map((i) => i.id)}::uuid[])`;
    await dispatchOk(base);
    const readerMails = smtp.received.filter((r) => r.to.includes(reader.email));
    assert.equal(readerMails.length, 1, "the reader's mail arrived once");
    assert.equal(smtp.received.filter((r) => r.to.includes(later.email) || r.to.includes(bounce.email)).length, 0);
    const mail = await simpleParser(readerMails[0].raw);
    assert.ok(mail.subject?.startsWith("Geannuleerd: Cancelled talk"), mail.subject);
    const state = async (id: string) =>
      (await f.sql<{ status: string; attempts: number; last_error: string | null }[]>`
        select status, attempts, last_error from public.notification_deliveries where id = ${id}`)[0];
    const of = (u: { id: string }) => ids.find((i) => i.user_id === u.id)!.id;
    assert.equal((await state(of(reader))).status, "sent");
    assert.equal((await state(of(reader))).attempts, 2, "delivered on the second attempt");
    const l = await state(of(later));
    assert.equal(l.status, "queued", "451: retried later");
    assert.match(l.last_error ?? "", /451/);
    const b = await state(of(bounce));
    assert.equal(b.status, "failed", "550: permanent");
    assert.match(b.last_error ?? "", /550/);
    const suppressed = await f.sql`select reason from private.email_suppressions where email = ${bounce.email}`;
    assert.equal(suppressed[0]?.reason, "bounce", "the refused address is suppressed");
    await f.sql`select private.notify(${bounce.id}, 'session_cancelled', 'Again')`;
    const more = await f.sql`select 1 from public.notification_deliveries where user_id = ${bounce.id} and status = 'queued'`;
    assert.equal(more.length, 0, "no more email is queued for a suppressed address");
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp?.close();
  }
});

Deno.test("dispatch-notifications: Resend's HTTP API with the delivery id as Idempotency-Key", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const requests: { headers: Headers; body: Record<string, unknown> }[] = [];
  let failNext = 1;
  let watched = "";
  const resend = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    requests.push({ headers: req.headers, body });
    if (failNext > 0 && req.headers.get("Idempotency-Key") === watched) {
      failNext--;
      return new Response(JSON.stringify({ name: "rate_limit_exceeded" }), { status: 429, headers: { "Retry-After": "7" } });
    }
    return Response.json({ id: `re_${requests.length}` });
  });
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("RESEND_API_KEY", "re_test_key");
  Deno.env.set("RESEND_API_URL", `http://127.0.0.1:${resend.addr.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "host3", {});
    const reader = await createUser(f, "resend", { timezone: "America/Sao_Paulo" }, "pt");
    const sessionId = await createSession(f, host.id, "Aula ao vivo", 90);
    await f.sql`insert into public.bookings (session_id, user_id, status) values (${sessionId}, ${reader.id}, 'confirmed')`;
    await f.sql`select private.notify(${reader.id}, 'booking_confirmed', 'Booked', null, ${`/sessions/${sessionId}`},
                                      ${f.sql.json({ session_id: sessionId })})`;
    const [delivery] = await f.sql<{ id: string }[]>`select id from public.notification_deliveries where user_id = ${reader.id}`;
    watched = delivery.id;

    await dispatchOk(base);
    const [retried] = await f.sql<{ status: string; wait: number }[]>`
      select status, extract(epoch from next_attempt_at - now())::int as wait from public.notification_deliveries where id = ${delivery.id}`;
    assert.equal(retried.status, "queued");
    assert.ok(retried.wait >= 6, `Retry-After is honoured (${retried.wait} s)`);
    await f.sql`update public.notification_deliveries set next_attempt_at = now() where id = ${delivery.id}`;
    await dispatchOk(base);
    const mine = requests.filter((r) => r.headers.get("Idempotency-Key") === delivery.id);
    assert.equal(mine.length, 2, "one refused attempt and one accepted");
    for (const r of mine) {
      assert.equal(r.headers.get("Authorization"), "Bearer re_test_key");
      assert.equal(r.headers.get("Idempotency-Key"), delivery.id, "the delivery id is the idempotency key, on every attempt");
    }
    assert.deepEqual(mine[0].body, mine[1].body, "the retry sends the same body (same idempotency key, same payload)");
    const body = mine[1].body as {
      to: string[]; subject: string; text: string; headers: Record<string, string>;
      attachments: { filename: string; content: string }[];
    };
    assert.deepEqual(body.to, [reader.email]);
    assert.ok(body.subject.startsWith("Reserva confirmada: Aula ao vivo"), body.subject);
    assert.equal(body.headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    assert.match(body.headers["List-Unsubscribe"], /^<http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/unsubscribe\/[^>]+>$/);
    const ics = new TextDecoder().decode(Uint8Array.from(atob(body.attachments[0].content), (c) => c.charCodeAt(0)));
    const event = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent("vevent")!;
    assert.equal(event.getFirstPropertyValue("uid"), `${sessionId}@live-sessions`);
    const [state] = await f.sql<{ status: string; provider_message_id: string }[]>`
      select status, provider_message_id from public.notification_deliveries where id = ${delivery.id}`;
    assert.deepEqual({ ...state }, { status: "sent", provider_message_id: "re_2" });
  } finally {
    Deno.env.delete("RESEND_API_KEY");
    Deno.env.delete("RESEND_API_URL");
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await resend.shutdown();
  }
});

Deno.test("dispatch-notifications: two dispatchers at once send every delivery exactly once", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  // Small batches and little concurrency, so the two calls take turns claiming.
  Deno.env.set("DISPATCH_BATCH_SIZE", "7");
  Deno.env.set("DISPATCH_CONCURRENCY", "2");
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const reader = await createUser(f, "twice", {});
    await f.sql`select private.notify(${reader.id}, 'session_cancelled', 'Cancelled ' || g) from generate_series(1, 60) g`;
    const ids = await f.sql<{ id: string }[]>`select id from public.notification_deliveries where user_id = ${reader.id}`;
    assert.equal(ids.length, 60);
    const [a, b] = await Promise.all([dispatchOk(base), dispatchOk(base)]);
    assert.ok(a.claimed > 0 && b.claimed > 0, `both dispatchers worked (${a.claimed} + ${b.claimed})`);
    const mails = smtp.received.filter((r) => r.to.includes(reader.email));
    assert.equal(mails.length, 60, "60 mails for 60 deliveries");
    const messageIds = new Set(await Promise.all(mails.map(async (m) => (await simpleParser(m.raw)).messageId)));
    assert.deepEqual([...messageIds].sort(), ids.map((i) => `<${i.id}@live-sessions>`).sort(), "each delivery exactly once");
    const states = await f.sql<{ status: string; attempts: number; n: number }[]>`
      select status, attempts, count(*)::int as n from public.notification_deliveries where user_id = ${reader.id} group by 1, 2`;
    assert.deepEqual(states.map((s) => ({ ...s })), [{ status: "sent", attempts: 1, n: 60 }]);
  } finally {
    Deno.env.delete("DISPATCH_BATCH_SIZE");
    Deno.env.delete("DISPATCH_CONCURRENCY");
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

/** One PostgREST-shaped transaction as a signed-in user (role and JWT claims local to it). */
function asUser<T>(sql: Sql, userId: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" })}, true),
                    set_config('request.jwt.claim.sub', ${userId}, true)`;
    return await fn(tx);
  }) as Promise<T>;
}

Deno.test("dispatch-notifications: booking confirmations (book_session, book_slot) are mailed with the .ics and join link", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "bchost", {});
    const booker = await createUser(f, "booker", { timezone: "Europe/Amsterdam" }, "nl");
    const waiter = await createUser(f, "waiter", {}, "en");
    const coach = await createUser(f, "bccoach", { timezone: "Europe/Amsterdam" }, "nl");
    const patient = await createUser(f, "patient", { timezone: "America/Sao_Paulo" }, "pt");
    await f.sql`update public.user_roles set role = 'coach' where user_id = any(${[host.id, coach.id]}::uuid[])`;
    const sessionId = await createSession(f, host.id, "Ontdekkingsgesprek", 180);
    await f.sql`update public.sessions set capacity = 1, waitlist_enabled = true where id = ${sessionId}`;

    // The booker books through the RPC, as the app does; the second user lands on the waitlist.
    const [booking] = await asUser(f.sql, booker.id, (tx) => tx<{ status: string }[]>`select status from public.book_session(${sessionId})`);
    assert.equal(booking.status, "confirmed");
    const [waiting] = await asUser(f.sql, waiter.id, (tx) => tx<{ status: string }[]>`select status from public.book_session(${sessionId})`);
    assert.equal(waiting.status, "waitlisted");

    // The patient books a slot of the coach (hours 09-12 in Amsterdam, three days ahead).
    await f.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                values (${coach.id}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await f.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                select ${coach.id}::uuid, w, time '09:00', time '12:00' from generate_series(1, 7) w`;
    const [slot] = await f.sql<{ at: Date }[]>`
      select (((now() at time zone 'Europe/Amsterdam')::date + 3) + time '10:00') at time zone 'Europe/Amsterdam' as at`;
    const [slotBooking] = await asUser(f.sql, patient.id, (tx) =>
      tx<{ session_id: string }[]>`select session_id from public.book_slot(${coach.id}, ${slot.at}, 'Carreira')`);
    f.sessions.push(slotBooking.session_id);

    await dispatchOk(base);
    const to = (u: { email: string }) => smtp.received.filter((r) => r.to.includes(u.email));
    assert.equal(to(booker).length, 1, "the booker gets one mail");
    assert.equal(to(waiter).length, 0, "a waitlisted booking is not confirmed by mail");
    assert.equal(to(patient).length, 1, "the patient gets one mail (the confirmation)");
    assert.equal(to(coach).length, 1, "the coach gets one mail (one_to_one_booked), no confirmation");

    const [session] = await f.sql<{ starts_at: Date; sequence: number }[]>`select starts_at, sequence from public.sessions where id = ${sessionId}`;
    const [abbrev] = await f.sql<{ a: string }[]>`select private.zone_abbreviation(${session.starts_at}, 'Europe/Amsterdam') as a`;
    const local = `${hhmm(session.starts_at, "Europe/Amsterdam")} Europe/Amsterdam (${abbrev.a})`;
    const mail = await simpleParser(to(booker)[0].raw);
    assert.ok(mail.subject?.startsWith("Boeking bevestigd: Ontdekkingsgesprek"), mail.subject);
    assert.ok(mail.text?.includes(`Je hebt een plek voor Ontdekkingsgesprek,`) && mail.text.includes(local),
      `the body has the local time with the zone: ${mail.text} / ${local}`);
    assert.ok(mail.text?.includes(`Deelnemen aan de sessie: https://app.example.test/sessions/${sessionId}`), mail.text);
    assert.equal(header(mail, "X-Notification-Kind"), "booking_confirmed");
    assert.equal(header(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    const calendarIcs = await (await fetch(`${base}/calendar/sessions/${sessionId}.ics`)).text();
    const feedEvent = new ICAL.Component(ICAL.parse(calendarIcs)).getFirstSubcomponent("vevent")!;
    const ics = mail.attachments.find((a) => a.filename === "session.ics");
    assert.ok(ics, ".ics attached");
    const event = new ICAL.Component(ICAL.parse(ics.content.toString("utf-8"))).getFirstSubcomponent("vevent")!;
    assert.equal(event.getFirstPropertyValue("uid"), feedEvent.getFirstPropertyValue("uid"), "the calendar feed's UID");
    assert.equal(Number(event.getFirstPropertyValue("sequence")), Number(feedEvent.getFirstPropertyValue("sequence")), "and SEQUENCE");
    assert.equal((event.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime(),
      (feedEvent.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime(), "and start");

    const pmail = await simpleParser(to(patient)[0].raw);
    const [pabbrev] = await f.sql<{ a: string }[]>`select private.zone_abbreviation(${slot.at}, 'America/Sao_Paulo') as a`;
    // A one-to-one appointment has its own wording (not "a seat"): the coach's name and the time (below).
    assert.equal(pmail.subject, "Consulta confirmada", "the subject has no topic (the patient's free text: lock screens, previews)");
    assert.ok(pmail.text?.includes("Sua sessão individual com Notify bccoach está marcada para"), pmail.text);
    assert.ok(!pmail.text?.includes("Carreira") && !String(pmail.html).includes("Carreira"), "no topic in the mail's text or HTML");
    assert.ok(pmail.text?.includes(`${hhmm(slot.at, "America/Sao_Paulo")} America/Sao_Paulo (${pabbrev.a})`), pmail.text);
    assert.ok(pmail.text?.includes(`Entrar na sessão: https://app.example.test/sessions/${slotBooking.session_id}`), pmail.text);
    const pics = pmail.attachments.find((a) => a.filename === "session.ics");
    assert.ok(pics, "the patient's .ics");
    const pevent = new ICAL.Component(ICAL.parse(pics.content.toString("utf-8"))).getFirstSubcomponent("vevent")!;
    assert.equal(pevent.getFirstPropertyValue("uid"), `${slotBooking.session_id}@live-sessions`, "the feed's UID of the one-to-one");
    assert.equal((pevent.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().getTime(), slot.at.getTime());
    const cmail = await simpleParser(to(coach)[0].raw);
    assert.equal(header(cmail, "X-Notification-Kind"), "one_to_one_booked");
    // The coach's notice in their language, with the appointment's time in their zone (it said only "A patient
    // booked a one-to-one session with you.", in English).
    const [cabbrev] = await f.sql<{ a: string }[]>`select private.zone_abbreviation(${slot.at}, 'Europe/Amsterdam') as a`;
    // Never the patient's topic in the subject (mail previews, lock screens) nor in the body: "Nieuwe afspraak: Carreira"
    // and "Een cliënt heeft Carreira bij je geboekt" before; the coach reads the topic in the app.
    assert.equal(cmail.subject, "Nieuwe afspraak");
    assert.ok(cmail.text?.includes("Een cliënt heeft een individuele sessie bij je geboekt voor") &&
      cmail.text.includes(`${hhmm(slot.at, "Europe/Amsterdam")} Europe/Amsterdam (${cabbrev.a})`), cmail.text);
    assert.ok(!cmail.text?.includes("Carreira") && !String(cmail.html).includes("Carreira"), "no topic in the mail's text or HTML");
    // The same notice in English and Portuguese (the coach's locale changed): grammatical, no topic. The wording
    // is the database's (private.appointment_notice), what the dispatcher's context hands to the templates.
    for (const [locale, subject, line] of [
      ["en", "New appointment", "A patient booked a one-to-one session with you for "],
      ["pt", "Nova consulta", "Um paciente agendou uma sessão individual com você para "],
    ] as const) {
      await f.sql`update public.profiles set locale = ${locale} where id = ${coach.id}`;
      const [n] = await f.sql<{ title: string; body: string }[]>`
        select * from private.appointment_notice(${coach.id}, ${slotBooking.session_id}, 'one_to_one_booked')`;
      const msg = renderMessage({
        kind: "one_to_one_booked", locale, timezone: "Europe/Amsterdam", url: null, displayName: null,
        payload: { title: "New appointment", data: {} },
        session: { title: "One-to-one session", startsAt: slot.at, status: "scheduled", cancelReason: null,
                   zoneAbbreviation: cabbrev.a, bookingStatus: null, kind: "one_to_one", notice: n },
      });
      assert.equal(msg.subject, subject);
      assert.ok(msg.lines[0].startsWith(line) && msg.lines.every((l) => !l.includes("Carreira")), msg.lines.join(" / "));
    }
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

Deno.test("dispatch-notifications: a one-to-one booking_confirmed names the coach and the time in the reader's zone (en, nl, pt), not a seat", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const coach = await createUser(f, "o2ocoach", { timezone: "Europe/Amsterdam" }, "nl");
    await f.sql`update public.user_roles set role = 'coach' where user_id = ${coach.id}`;
    await f.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                values (${coach.id}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await f.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                select ${coach.id}::uuid, w, time '09:00', time '12:00' from generate_series(1, 7) w`;
    const readers = [
      { label: "o2o-en", locale: "en", zone: "Europe/London", hour: "09:00", topic: null,
        subject: "Appointment confirmed", line: "Your one-to-one session with Notify o2ocoach is booked for" },
      { label: "o2o-nl", locale: "nl", zone: "Europe/Amsterdam", hour: "10:00", topic: "Slaap",
        subject: "Afspraak bevestigd", line: "Je individuele sessie met Notify o2ocoach is geboekt voor" },
      { label: "o2o-pt", locale: "pt", zone: "America/Sao_Paulo", hour: "11:00", topic: "Carreira",
        subject: "Consulta confirmada", line: "Sua sessão individual com Notify o2ocoach está marcada para" },
    ];
    for (const r of readers) {
      const user = await createUser(f, r.label, { timezone: r.zone }, r.locale);
      const [slot] = await f.sql<{ at: Date }[]>`
        select (((now() at time zone 'Europe/Amsterdam')::date + 3) + ${r.hour}::time) at time zone 'Europe/Amsterdam' as at`;
      const [booked] = await asUser(f.sql, user.id, (tx) =>
        tx<{ session_id: string }[]>`select session_id from public.book_slot(${coach.id}, ${slot.at}, ${r.topic})`);
      f.sessions.push(booked.session_id);
      Object.assign(r, { email: user.email, at: slot.at, session: booked.session_id });
    }

    await dispatchOk(base);
    for (const r of readers as (typeof readers[number] & { email: string; at: Date; session: string })[]) {
      const mails = smtp.received.filter((m) => m.to.includes(r.email));
      assert.equal(mails.length, 1, `${r.locale}: one mail`);
      const mail = await simpleParser(mails[0].raw);
      assert.equal(header(mail, "X-Notification-Kind"), "booking_confirmed");
      const [abbrev] = await f.sql<{ a: string }[]>`select private.zone_abbreviation(${r.at}, ${r.zone}) as a`;
      const when = `${hhmm(r.at, r.zone)} ${r.zone}${abbrev.a && abbrev.a !== r.zone ? ` (${abbrev.a})` : ""}`;
      assert.equal(mail.subject, r.subject, `${r.locale}: the subject, without the topic`);
      assert.ok(mail.text?.includes(r.line) && mail.text.includes(when), `${r.locale}: ${mail.text} / ${when}`);
      assert.ok(String(mail.html).includes(r.line), `${r.locale}: the HTML part too`);
      assert.ok(!/seat|plek|lugar/i.test(mail.text ?? ""), `${r.locale}: no seat wording: ${mail.text}`);
      assert.ok(mail.attachments.some((a) => a.filename === "session.ics"), `${r.locale}: the .ics`);
    }
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

Deno.test("dispatch-notifications: each call runs the reminder job first, so a reminder is mailed one dispatcher interval after it falls due", async () => {
  // The bound from the schedules: a reminder due at T is queued and sent by the first dispatcher call after
  // T (the call runs private.send_due_reminders, then claims), so it is mailed by T + interval + the call's
  // time budget, with no outbox backlog of more than one call ahead of it. Production: pg_cron + pg_net
  // (90_cron_jobs.sql); locally: npm start's loop (scripts/notify-local.mjs).
  const cronJobs = await Deno.readTextFile(new URL("../../schemas/90_cron_jobs.sql", import.meta.url));
  const production = Number(/cron\.schedule\('dispatch-notifications', '(\d+) seconds'/.exec(cronJobs)?.[1]);
  const localLoop = await Deno.readTextFile(new URL("../../../scripts/notify-local.mjs", import.meta.url));
  const local = Number(/process\.env\.DISPATCH_INTERVAL_SECONDS \?\? (\d+)\)/.exec(localLoop)?.[1]);
  const handlerSource = await Deno.readTextFile(new URL("../dispatch-notifications/handler.ts", import.meta.url));
  const budgetSeconds = Number(/Deno\.env\.get\("DISPATCH_BUDGET_MS"\) \?\? (\d+)_?(\d*)\)/.exec(handlerSource)?.slice(1).join("")) / 1000;
  assert.ok(production > 0 && local > 0 && budgetSeconds > 0, `${production} ${local} ${budgetSeconds}`);
  assert.ok(production + budgetSeconds <= 60, `production: every ${production} s + a ${budgetSeconds} s call is within a minute`);
  assert.ok(local + budgetSeconds <= 60, `npm start: every ${local} s + a ${budgetSeconds} s call is within a minute`);
  assert.ok(/export async function queueDueReminders[\s\S]*send_due_reminders/.test(handlerSource) &&
    /const reminders = await queueDueReminders\(\);\s*const \{ senders, close \} = await configuredSenders\(\);/.test(handlerSource),
    "the handler runs the reminder job before it sends");

  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "duehost", {});
    const booker = await createUser(f, "duebooker", { timezone: "Europe/Lisbon" }, "pt");
    await f.sql`update public.user_roles set role = 'coach' where user_id = ${host.id}`;
    // Starts 15 minutes and 3 seconds from now: the booking gets the 15-minute default reminder, due in 3 s.
    const sessionId = crypto.randomUUID();
    await f.sql`insert into public.sessions (id, title, starts_at, status, visibility, timezone, created_by)
                values (${sessionId}, 'Mentoria', now() + interval '15 minutes 3 seconds', 'scheduled', 'public', 'Europe/Lisbon', ${host.id})`;
    f.sessions.push(sessionId);
    const [booking] = await asUser(f.sql, booker.id, (tx) => tx<{ status: string }[]>`select status from public.book_session(${sessionId})`);
    assert.equal(booking.status, "confirmed");
    const [{ wait_ms }] = await f.sql<{ wait_ms: number }[]>`
      select greatest(0, extract(epoch from (starts_at - interval '15 minutes' - clock_timestamp())) * 1000)::int + 300 as wait_ms
      from public.sessions where id = ${sessionId}`;
    await new Promise((resolve) => setTimeout(resolve, wait_ms));

    // One call, no cron run needed: the default reminder is added, falls due, is notified and mailed.
    const summary = await dispatchOk(base);
    assert.equal(typeof summary.reminders, "number", JSON.stringify(summary));
    const mails = await Promise.all(smtp.received.filter((r) => r.to.includes(booker.email)).map((r) => simpleParser(r.raw)));
    assert.deepEqual(mails.map((m) => header(m, "X-Notification-Kind")).sort(), ["booking_confirmed", "session_reminder"],
      `the confirmation and the 15-minute reminder, after one call: ${JSON.stringify(summary)}`);
    const reminder = mails.find((m) => header(m, "X-Notification-Kind") === "session_reminder")!;
    assert.ok(reminder.subject?.startsWith("Lembrete: Mentoria começa"), reminder.subject);
    const ics = reminder.attachments.find((a) => a.filename === "session.ics");
    assert.ok(ics, "the reminder carries the .ics");
    const event = new ICAL.Component(ICAL.parse(ics.content.toString("utf-8"))).getFirstSubcomponent("vevent")!;
    assert.equal(event.getFirstPropertyValue("uid"), `${sessionId}@live-sessions`);
    assert.deepEqual(event.getAllSubcomponents("valarm").map((a) => String(a.getFirstPropertyValue("trigger"))), ["-PT15M"]);
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

Deno.test("dispatch-notifications: a reschedule mail says it moved from the previous time to the new one, in the reader's language and zone", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const host = await createUser(f, "rshost", {});
    const readers = [
      { ...(await createUser(f, "rsnl", { timezone: "Europe/Amsterdam" }, "nl")), tz: "Europe/Amsterdam",
        pattern: (from: string, to: string) => `Verhuizing is verplaatst van ${from} naar ${to}.` },
      { ...(await createUser(f, "rspt", { timezone: "America/Sao_Paulo" }, "pt")), tz: "America/Sao_Paulo",
        pattern: (from: string, to: string) => `Verhuizing foi remarcada de ${from} para ${to}.` },
      { ...(await createUser(f, "rsen", { timezone: "Asia/Tokyo" }, "en")), tz: "Asia/Tokyo",
        pattern: (from: string, to: string) => `Verhuizing has moved from ${from} to ${to}.` },
    ];
    const odd = await createUser(f, "rsodd", { timezone: "Europe/Amsterdam" }, "en");
    await f.sql`update public.user_roles set role = 'coach' where user_id = ${host.id}`;
    const sessionId = await createSession(f, host.id, "Verhuizing", 3 * 24 * 60);
    for (const r of readers) {
      await asUser(f.sql, r.id, (tx) => tx`select public.book_session(${sessionId})`);
    }
    const [{ starts_at: previous }] = await f.sql<{ starts_at: Date }[]>`select starts_at from public.sessions where id = ${sessionId}`;
    // Five days and two hours later (a different date and hour in every zone).
    const [moved] = await asUser(f.sql, host.id, (tx) =>
      tx<{ starts_at: Date }[]>`select starts_at from public.reschedule_session(${sessionId}, ${previous}::timestamptz + interval '5 days 2 hours')`);
    // A reschedule notification without a usable previous time (malformed, written by hand) keeps the old wording.
    await f.sql`select private.notify(${odd.id}, 'session_rescheduled', 'New time: Verhuizing', null, ${`/sessions/${sessionId}`},
                  ${f.sql.json({ session_id: sessionId, previous_starts_at: "2027-13-45T10:00:00+00:00" })})`;

    await dispatchOk(base);
    const rescheduled = async (u: { email: string }) =>
      (await Promise.all(smtp.received.filter((r) => r.to.includes(u.email)).map((r) => simpleParser(r.raw))))
        .filter((m) => header(m, "X-Notification-Kind") === "session_rescheduled");
    for (const r of readers) {
      const mails = await rescheduled(r);
      assert.equal(mails.length, 1, `${r.tz}: one reschedule mail`);
      const [abbr] = await f.sql<{ from: string; to: string }[]>`
        select private.zone_abbreviation(${previous}, ${r.tz}) as from, private.zone_abbreviation(${moved.starts_at}, ${r.tz}) as to`;
      const local = (at: Date, abbreviation: string) => {
        const lang = r.tz === "Europe/Amsterdam" ? "nl-NL" : r.tz === "America/Sao_Paulo" ? "pt-BR" : "en-GB";
        const text = new Intl.DateTimeFormat(lang, {
          timeZone: r.tz, weekday: "short", day: "numeric", month: "short", year: "numeric",
          hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        }).format(at);
        return `${text} ${r.tz}${abbreviation.toUpperCase() !== r.tz.toUpperCase() ? ` (${abbreviation})` : ""}`;
      };
      const expected = r.pattern(local(previous, abbr.from), local(moved.starts_at, abbr.to));
      assert.ok(mails[0].text?.includes(expected), `${r.tz}: ${mails[0].text} / expected ${expected}`);
      assert.ok(mails[0].html && mails[0].html.includes(hhmm(previous, r.tz)) && mails[0].html.includes(hhmm(moved.starts_at, r.tz)),
        `${r.tz}: the HTML part has both times`);
    }
    const oddMails = await rescheduled(odd);
    assert.equal(oddMails.length, 1, "the hand-written one is mailed too (no error for the batch)");
    assert.ok(oddMails[0].text?.includes("Verhuizing now starts ") && !oddMails[0].text.includes("moved from"), oddMails[0].text);
    const [{ statuses }] = await f.sql<{ statuses: string[] }[]>`
      select array_agg(distinct status) as statuses from public.notification_deliveries
      where session_id = ${sessionId} and kind = 'session_rescheduled' and channel = 'email'`;
    assert.deepEqual(statuses, ["sent"]);
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

Deno.test("dispatch-notifications: a one-to-one appointment's reminder and cancellation mails and its .ics carry no topic", async () => {
  // The patient's topic ("Panic attacks") is no title: subjects, push titles and calendar SUMMARYs show on lock
  // screens, in mail previews and in shared calendars. book_slot titles the appointment "One-to-one session"; the
  // topic stays in sessions.topic for its coach and patient (33_counselling_topic.test.sql).
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  const TOPIC = /panic/i;
  try {
    f.held = await holdOtherDeliveries(f.sql);
    const coach = await createUser(f, "tpcoach", { timezone: "Europe/Amsterdam" }, "en");
    const patient = await createUser(f, "tppatient", { timezone: "Europe/Amsterdam" }, "en");
    await f.sql`update public.user_roles set role = 'coach' where user_id = ${coach.id}`;
    await f.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                values (${coach.id}, 'Europe/Amsterdam', 60, 0, 0, 60)`;
    await f.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                select ${coach.id}::uuid, w, time '00:00', time '24:00' from generate_series(1, 7) w`;
    const [slot] = await f.sql<{ at: Date }[]>`select date_trunc('hour', now()) + interval '3 days' as at`;
    const [booked] = await asUser(f.sql, patient.id, (tx) =>
      tx<{ session_id: string }[]>`select session_id from public.book_slot(${coach.id}, ${slot.at}, 'Panic attacks')`);
    const sessionId = booked.session_id;
    f.sessions.push(sessionId);
    // A reminder of the patient that is due now (a week before a start three days ahead), and one of the coach.
    await f.sql`insert into public.session_reminders (session_id, user_id, minutes_before)
                values (${sessionId}, ${patient.id}, 10080), (${sessionId}, ${coach.id}, 10080)`;
    await dispatchOk(base);
    // The coach cancels it: the patient's cancellation mail.
    await asUser(f.sql, coach.id, (tx) => tx`select public.cancel_session(${sessionId}, 'I am ill')`);
    await dispatchOk(base);

    const mailsOf = async (u: { email: string }) =>
      await Promise.all(smtp.received.filter((r) => r.to.includes(u.email)).map((r) => simpleParser(r.raw)));
    const kinds = (mails: ParsedMail[]) => mails.map((m) => header(m, "X-Notification-Kind")).sort();
    const pmails = await mailsOf(patient);
    const cmails = await mailsOf(coach);
    assert.deepEqual(kinds(pmails), ["booking_confirmed", "session_cancelled", "session_reminder"], "the patient's mails");
    assert.deepEqual(kinds(cmails), ["one_to_one_booked", "session_reminder"], "the coach's mails");
    const byKind = (mails: ParsedMail[], kind: string) => mails.find((m) => header(m, "X-Notification-Kind") === kind)!;
    // Appointment wording (no title, no topic): see the one-to-one wording test below.
    assert.ok(byKind(pmails, "session_reminder").subject?.startsWith("Reminder: your appointment with Notify tpcoach starts "),
      byKind(pmails, "session_reminder").subject);
    assert.ok(byKind(cmails, "session_reminder").subject?.startsWith("Reminder: appointment with a patient starts "),
      byKind(cmails, "session_reminder").subject);
    assert.equal(byKind(pmails, "session_cancelled").subject, "Cancelled: your appointment with Notify tpcoach");
    let icsCount = 0;
    for (const mail of [...pmails, ...cmails]) {
      const what = `${header(mail, "X-Notification-Kind")} to ${mail.to && "text" in mail.to ? mail.to.text : ""}`;
      assert.ok(!TOPIC.test(mail.subject ?? ""), `${what}: no topic in the subject: ${mail.subject}`);
      assert.ok(!TOPIC.test(mail.text ?? "") && !TOPIC.test(String(mail.html)), `${what}: no topic in the text or HTML`);
      for (const a of mail.attachments) {
        const content = a.content.toString("utf-8");
        assert.ok(!TOPIC.test(content), `${what}: no topic in the attachment ${a.filename}`);
        if (a.filename?.endsWith(".ics")) {
          icsCount++;
          const event = new ICAL.Component(ICAL.parse(content)).getFirstSubcomponent("vevent")!;
          // The patient's calendar names the coach; the coach's never names the patient (shared calendars).
          assert.equal(event.getFirstPropertyValue("summary"),
            pmails.includes(mail) ? "Appointment with Notify tpcoach" : "Appointment with a patient", `${what}: the .ics SUMMARY`);
        }
      }
    }
    assert.ok(icsCount >= 3, `the reminders and the confirmation carry an .ics (${icsCount})`);

    // The calendar function: the patient's feed and the coach's .ics of the session (the coach reads the topic
    // in the app, never in a calendar).
    const [{ token }] = await asUser(f.sql, patient.id, (tx) =>
      tx<{ token: string }[]>`select public.create_calendar_feed() ->> 'token' as token`);
    const feed = await fetch(`${base}/calendar/feed/${token}.ics`);
    const feedText = await feed.text();
    assert.equal(feed.status, 200, feedText);
    const feedEvents = new ICAL.Component(ICAL.parse(feedText)).getAllSubcomponents("vevent");
    assert.deepEqual(feedEvents.map((e) => e.getFirstPropertyValue("summary")), ["Appointment with Notify tpcoach"], "the patient's feed");
    assert.ok(!TOPIC.test(feedText), "no topic anywhere in the patient's feed");
    const coachJwt = await mintJwt({ sub: coach.id, role: "authenticated", aud: "authenticated", email: coach.email });
    const one = await fetch(`${base}/calendar/sessions/${sessionId}.ics`, { headers: { Authorization: `Bearer ${coachJwt}` } });
    const oneText = await one.text();
    assert.equal(one.status, 200, oneText);
    assert.equal(new ICAL.Component(ICAL.parse(oneText)).getFirstSubcomponent("vevent")!.getFirstPropertyValue("summary"),
      "Appointment with a patient", "the coach's .ics of the appointment: no patient name");
    assert.ok(!oneText.includes("tppatient"), "no patient name anywhere in the coach's .ics");
    assert.ok(!TOPIC.test(oneText), "no topic anywhere in it");
    // The topic itself is kept for the two of them.
    const [kept] = await f.sql<{ topic: string }[]>`select topic from public.sessions where id = ${sessionId}`;
    assert.equal(kept.topic, "Panic attacks");
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});

// --- One-to-one appointment wording (branch wording) ----------------------------------------------------------

Deno.test("dispatch-notifications: one-to-one reminders, reschedules and cancellations use appointment wording for patient and coach (en, nl, pt), no patient name to the coach", async () => {
  const f: Fixture = { sql: adminDb(), users: [], sessions: [] };
  const smtp = await startSmtp();
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  Deno.env.set("FUNCTIONS_BASE_URL", base);
  Deno.env.set("SMTP_URL", `smtp://127.0.0.1:${smtp.port}`);
  const { pushPayload } = await import("../dispatch-notifications/push.ts");
  const W = {
    en: {
      zone: "Europe/London",
      summary: ["Appointment with {coach}", "Appointment with a patient"],
      patient: {
        reminder: "Reminder: your appointment with {coach} starts {when}",
        moved: "Your appointment with {coach} has moved from {from} to {when}.",
        movedSubject: "New time for your appointment with {coach}",
        cancelled: ["Cancelled: your appointment with {coach}", "Your appointment with {coach} ({when}) has been cancelled."],
      },
      coach: {
        reminder: "Reminder: appointment with a patient starts {when}",
        moved: "Your appointment with a patient has moved from {from} to {when}.",
        movedSubject: "New time for an appointment with a patient",
        cancelled: ["Cancelled: appointment with a patient", "Your appointment with a patient ({when}) has been cancelled."],
      },
    },
    nl: {
      zone: "Europe/Amsterdam",
      summary: ["Afspraak met {coach}", "Afspraak met een cliënt"],
      patient: {
        reminder: "Herinnering: je afspraak met {coach} begint {when}",
        moved: "Je afspraak met {coach} is verplaatst van {from} naar {when}.",
        movedSubject: "Nieuwe tijd voor je afspraak met {coach}",
        cancelled: ["Geannuleerd: je afspraak met {coach}", "Je afspraak met {coach} ({when}) is geannuleerd."],
      },
      coach: {
        reminder: "Herinnering: afspraak met een cliënt begint {when}",
        moved: "Je afspraak met een cliënt is verplaatst van {from} naar {when}.",
        movedSubject: "Nieuwe tijd voor een afspraak met een cliënt",
        cancelled: ["Geannuleerd: afspraak met een cliënt", "Je afspraak met een cliënt ({when}) is geannuleerd."],
      },
    },
    pt: {
      zone: "America/Sao_Paulo",
      summary: ["Consulta com {coach}", "Consulta com um paciente"],
      patient: {
        reminder: "Lembrete: sua consulta com {coach} começa {when}",
        moved: "Sua consulta com {coach} foi remarcada de {from} para {when}.",
        movedSubject: "Novo horário da sua consulta com {coach}",
        cancelled: ["Cancelada: sua consulta com {coach}", "Sua consulta com {coach} ({when}) foi cancelada."],
      },
      coach: {
        reminder: "Lembrete: consulta com um paciente começa {when}",
        moved: "Sua consulta com um paciente foi remarcada de {from} para {when}.",
        movedSubject: "Novo horário de uma consulta com um paciente",
        cancelled: ["Cancelada: consulta com um paciente", "Sua consulta com um paciente ({when}) foi cancelada."],
      },
    },
  } as const;
  const fillIn = (t: string, v: Record<string, string>) => t.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  try {
    f.held = await holdOtherDeliveries(f.sql);
    for (const lang of ["en", "nl", "pt"] as const) {
      const w = W[lang];
      const coach = await createUser(f, `wc${lang}`, { timezone: w.zone }, lang);
      const patient = await createUser(f, `wp${lang}`, { timezone: w.zone }, lang);
      const patientName = `Notify wp${lang}`;
      await f.sql`update public.user_roles set role = 'coach' where user_id = ${coach.id}`;
      await f.sql`insert into public.coach_booking_settings (coach_id, timezone, slot_minutes, buffer_minutes, min_notice_minutes, horizon_days)
                  values (${coach.id}, ${w.zone}, 60, 0, 0, 60)`;
      await f.sql`insert into public.coach_availability (coach_id, weekday, start_time, end_time)
                  select ${coach.id}::uuid, wd, time '00:00', time '24:00' from generate_series(1, 7) wd`;
      const [slots] = await f.sql<{ a: Date; b: Date; c: Date; d: Date }[]>`
        select date_trunc('hour', now()) + interval '3 days' as a, date_trunc('hour', now()) + interval '4 days' as b,
               date_trunc('hour', now()) + interval '5 days 2 hours' as c, date_trunc('hour', now()) + interval '2 days' as d`;
      const book = async (at: Date) => {
        const [b] = await asUser(f.sql, patient.id, (tx) =>
          tx<{ id: string; session_id: string }[]>`select id, session_id from public.book_slot(${coach.id}, ${at}, 'Grief after loss')`);
        f.sessions.push(b.session_id);
        return b;
      };
      const a = await book(slots.a);
      const b = await book(slots.d);
      await f.sql`insert into public.session_reminders (session_id, user_id, minutes_before)
                  values (${a.session_id}, ${patient.id}, 4350), (${a.session_id}, ${coach.id}, 4350)`;
      // Due now (3 days and 30 minutes before A), and no longer once A has moved a day later.
      await dispatchOk(base);
      // The patient moves A (the coach is told), then the coach moves it again (the patient is told).
      await asUser(f.sql, patient.id, (tx) => tx`select public.reschedule_booking(${a.id}, ${slots.b})`);
      await dispatchOk(base);
      await asUser(f.sql, coach.id, (tx) => tx`select public.reschedule_booking(${a.id}, ${slots.c})`);
      await dispatchOk(base);
      // The calendar function's .ics of the appointment, for each side: the patient's names the coach, the coach's
      // never names the patient.
      for (const [who, expected] of [[patient, W[lang].summary[0].replace("{coach}", `Notify wc${lang}`)], [coach, W[lang].summary[1]]] as const) {
        const jwt = await mintJwt({ sub: who.id, role: "authenticated", aud: "authenticated", email: who.email });
        const res = await fetch(`${base}/calendar/sessions/${a.session_id}.ics`, { headers: { Authorization: `Bearer ${jwt}` } });
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.equal(new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent("vevent")!.getFirstPropertyValue("summary"), expected,
          `${lang}: the calendar function's SUMMARY for ${who === coach ? "the coach" : "the patient"}`);
        if (who === coach) assert.ok(!text.includes(patientName) && !/grief/i.test(text), `${lang}: no patient name or topic`);
      }
      // The coach cancels A (the patient is told); the patient cancels B (the coach is told).
      await asUser(f.sql, coach.id, (tx) => tx`select public.cancel_session(${a.session_id}, null)`);
      await asUser(f.sql, patient.id, (tx) => tx`select public.cancel_booking(${b.session_id})`);
      await dispatchOk(base);

      const mailsOf = async (u: { email: string }) =>
        await Promise.all(smtp.received.filter((r) => r.to.includes(u.email)).map((r) => simpleParser(r.raw)));
      const only = (mails: ParsedMail[], kind: string) => {
        const found = mails.filter((m) => header(m, "X-Notification-Kind") === kind);
        assert.equal(found.length, 1, `${lang}: one ${kind} mail (${mails.map((m) => header(m, "X-Notification-Kind"))})`);
        return found[0];
      };
      const [abbr] = await f.sql<{ zb: string; zc: string; zd: string; za: string }[]>`
        select private.zone_abbreviation(${slots.a}, ${w.zone}) as za, private.zone_abbreviation(${slots.b}, ${w.zone}) as zb,
               private.zone_abbreviation(${slots.c}, ${w.zone}) as zc, private.zone_abbreviation(${slots.d}, ${w.zone}) as zd`;
      // The time as the database words it for this reader (private.local_time_text: day and month names of the
      // language, the zone and its abbreviation), checked on its own in 33_appointment_wording.test.sql.
      const times = new Map<number, string>();
      for (const d of [slots.a, slots.b, slots.c, slots.d]) {
        const [t] = await f.sql<{ t: string }[]>`select private.local_time_text(${d}, ${w.zone}, ${lang}) as t`;
        assert.ok(t.t.includes(`${hhmm(d, w.zone)} ${w.zone}`), t.t);
        times.set(d.getTime(), t.t);
      }
      const at = (d: Date, _abbreviation: string) => times.get(d.getTime())!;
      const coachName = `Notify wc${lang}`;
      const pm = await mailsOf(patient);
      const cm = await mailsOf(coach);

      // The patient: the coach's name, the time in the patient's zone.
      const pRem = only(pm, "session_reminder");
      const summaryOf = (m: ParsedMail) => {
        const a = m.attachments.find((x) => x.filename === "session.ics");
        assert.ok(a, `${lang}: the .ics of ${header(m, "X-Notification-Kind")}`);
        return new ICAL.Component(ICAL.parse(a.content.toString("utf-8"))).getFirstSubcomponent("vevent")!.getFirstPropertyValue("summary");
      };
      assert.equal(summaryOf(pRem), W[lang].summary[0].replace("{coach}", coachName), `${lang}: the patient's .ics SUMMARY`);
      assert.equal(summaryOf(only(cm, "session_reminder")), W[lang].summary[1], `${lang}: the coach's .ics SUMMARY, no name`);
      assert.equal(pRem.subject, fillIn(w.patient.reminder, { coach: coachName, when: at(slots.a, abbr.za) }), `${lang} patient reminder`);
      const pMoved = only(pm, "session_rescheduled");
      assert.equal(pMoved.subject, fillIn(w.patient.movedSubject, { coach: coachName }), `${lang} patient reschedule subject`);
      const pMovedLine = fillIn(w.patient.moved, { coach: coachName, from: at(slots.b, abbr.zb), when: at(slots.c, abbr.zc) });
      assert.ok(pMoved.text?.includes(pMovedLine), `${lang}: ${pMoved.text} / ${pMovedLine}`);
      const pCancel = only(pm, "session_cancelled");
      assert.equal(pCancel.subject, fillIn(w.patient.cancelled[0], { coach: coachName }));
      const pCancelLine = fillIn(w.patient.cancelled[1], { coach: coachName, when: at(slots.c, abbr.zc) });
      assert.ok(pCancel.text?.includes(pCancelLine) && String(pCancel.html).includes(pCancelLine.split(" (")[0]),
        `${lang}: ${pCancel.text} / ${pCancelLine}`);

      // The coach: "a patient", never the patient's name or topic, in any part of any mail.
      const cRem = only(cm, "session_reminder");
      assert.equal(cRem.subject, fillIn(w.coach.reminder, { when: at(slots.a, abbr.za) }), `${lang} coach reminder`);
      const cMoved = only(cm, "session_rescheduled");
      assert.equal(cMoved.subject, w.coach.movedSubject, `${lang} coach reschedule subject`);
      const cMovedLine = fillIn(w.coach.moved, { from: at(slots.a, abbr.za), when: at(slots.b, abbr.zb) });
      assert.ok(cMoved.text?.includes(cMovedLine), `${lang}: ${cMoved.text} / ${cMovedLine}`);
      const cCancel = only(cm, "session_cancelled");
      assert.equal(cCancel.subject, w.coach.cancelled[0]);
      const cCancelLine = fillIn(w.coach.cancelled[1], { when: at(slots.d, abbr.zd) });
      assert.ok(cCancel.text?.includes(cCancelLine), `${lang}: ${cCancel.text} / ${cCancelLine}`);
      for (const m of [...pm, ...cm]) {
        const all = `${m.subject}\n${m.text}\n${m.html}`;
        assert.ok(!/grief/i.test(all), `${lang}: no topic in ${header(m, "X-Notification-Kind")}`);
        assert.ok(!/One-to-one session/.test(`${m.subject}\n${m.text}`), `${lang}: no title wording: ${m.subject}`);
      }
      for (const m of cm) {
        assert.ok(!`${m.subject}\n${m.text}\n${m.html}`.includes(patientName), `${lang}: no patient name to the coach: ${m.subject}`);
      }

      // The push of the same deliveries (lock screens): same wording, rendered from the same context.
      const rows = await f.sql<{ id: string; user_id: string; kind: string; payload: Record<string, unknown> }[]>`
        select id, user_id, kind, payload from public.notification_deliveries
        where session_id = ${a.session_id} and kind = 'session_reminder' and channel = 'email'`;
      for (const d of rows) {
        const [ctx] = await f.sql`select * from private.notification_delivery_context(${[d.id]}::uuid[])`;
        const push = JSON.parse(pushPayload({ ...d, channel: "push", attempts: 1, created_at: new Date(), notification_id: null } as never,
          ctx as never, null, null));
        const side = d.user_id === coach.id ? w.coach : w.patient;
        // Rendered now, from the appointment as it is now (moved to C).
        assert.equal(push.title, fillIn(side.reminder, { coach: coachName, when: at(slots.c, abbr.zc) }), `${lang}: push title`);
        if (d.user_id === coach.id) assert.ok(!push.title.includes(patientName) && !push.body.includes(patientName));
      }
    }
  } finally {
    await cleanup(f);
    await f.sql.end();
    await server.shutdown();
    await smtp.close();
  }
});
