/**
 * The calendar Edge Function against the real local database (SUPABASE_DB_URL), through the local
 * router. Fixtures (users, sessions, staff, bookings, reminders) are written as postgres and removed at
 * the end; reschedules and cancellations go through the lifecycle RPCs as the host, feeds through
 * create_calendar_feed()/revoke_calendar_feed() as the member. Every .ics answer is parsed with ical.js.
 */
import assert from "node:assert/strict";
import ICAL from "ical.js";
import type postgres from "postgres";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { adminDb, mintJwt } from "./helpers.ts";

type Sql = postgres.Sql;

interface User {
  id: string;
  email: string;
  name: string;
}

function newUser(label: string): User {
  const id = crypto.randomUUID();
  return { id, email: `calendar-${label}-${id}@example.test`, name: `Calendar ${label[0].toUpperCase()}${label.slice(1)}` };
}

function claimsOf(user: User): Record<string, unknown> {
  return { sub: user.id, role: "authenticated", aud: "authenticated", email: user.email };
}

/** Runs `fn` in one transaction as `user`, the way PostgREST does. */
function asUser<T>(sql: Sql, user: User, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify(claimsOf(user))}, true),
                    set_config('request.jwt.claim.sub', ${user.id}, true)`;
    return await fn(tx);
  }) as Promise<T>;
}

/** The VEVENTs of an iCalendar text, parsed by ical.js (which throws on malformed input). */
function parseEvents(text: string): ICAL.Component[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  assert.equal(calendar.name, "vcalendar");
  return calendar.getAllSubcomponents("vevent");
}

function eventByUid(events: ICAL.Component[], sessionId: string): ICAL.Component | undefined {
  return events.find((e) => e.getFirstPropertyValue("uid") === `${sessionId}@live-sessions`);
}

/** DTSTART/DTEND as written: UTC ("...Z"), no TZID parameter. */
function utcTime(event: ICAL.Component, name: "dtstart" | "dtend" | "dtstamp"): string {
  const prop = event.getFirstProperty(name);
  assert.ok(prop, `${name} present`);
  assert.equal(prop.getParameter("tzid"), undefined, `${name} has no TZID`);
  const value = prop.getFirstValue() as ICAL.Time;
  assert.equal(value.zone?.tzid, "UTC", `${name} is UTC`);
  return value.toJSDate().toISOString();
}

/** Instants of the fixtures, all relative to the database's clock (a test never depends on the calendar date). */
interface Days {
  /** "YYYY-MM-DDTHH:MM:00Z" on the day `offset` days after the database's today (UTC). */
  at(offset: number, time: string): string;
  /** The Saturday before and the Monday after the next end of summer time in Europe/Amsterdam, "YYYY-MM-DD". */
  saturdayBeforeDst: string;
  mondayAfterDst: string;
}

const DAY_MS = 86_400_000;

/** The last Sunday of October of `year` (midnight UTC): the EU's summer time ends that day at 01:00 UTC. */
function lastSundayOfOctober(year: number): Date {
  const day = new Date(Date.UTC(year, 9, 31));
  day.setUTCDate(31 - day.getUTCDay());
  return day;
}

async function daysFrom(sql: Sql): Promise<Days> {
  const [{ now }] = await sql<{ now: Date }[]>`select now()`;
  const ymd = (date: Date) => date.toISOString().slice(0, 10);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  // The next end of summer time whose Saturday 10:00 (Amsterdam) is still more than a day ahead.
  let sunday = lastSundayOfOctober(now.getUTCFullYear());
  if (sunday.getTime() - DAY_MS + 8 * 3_600_000 < now.getTime() + DAY_MS) sunday = lastSundayOfOctober(now.getUTCFullYear() + 1);
  return {
    at: (offset, time) => `${ymd(new Date(today + offset * DAY_MS))}T${time}:00Z`,
    saturdayBeforeDst: ymd(new Date(sunday.getTime() - DAY_MS)),
    mondayAfterDst: ymd(new Date(sunday.getTime() + DAY_MS)),
  };
}

/** "2027-01-05T10:00:00Z" as ical.js gives it back: "2027-01-05T10:00:00.000Z". */
const iso = (instant: string) => new Date(instant).toISOString();

function alarmTriggers(event: ICAL.Component): number[] {
  return event.getAllSubcomponents("valarm")
    .map((alarm) => (alarm.getFirstPropertyValue("trigger") as ICAL.Duration).toSeconds())
    .sort((a, b) => a - b);
}

Deno.test("calendar: single sessions and feeds as .ics", async (t) => {
  const server = await startFunctionsServer(0);
  const admin = adminDb();
  const base = `http://127.0.0.1:${server.port}/functions/v1/calendar`;
  const host = newUser("host");
  const member = newUser("member");
  const outsider = newUser("outsider");
  const sessionIds: string[] = [];

  const createSession = async (fields: { title: string; starts_at: string; visibility: string; timezone?: string; duration?: number }) => {
    const [row] = await admin<{ id: string }[]>`
      insert into public.sessions (title, description, starts_at, duration_minutes, timezone, status, visibility, created_by)
      values (${fields.title}, ${"About " + fields.title}, ${fields.starts_at}::timestamptz, ${fields.duration ?? 60},
              ${fields.timezone ?? "UTC"}, 'scheduled', ${fields.visibility}, ${host.id})
      returning id`;
    sessionIds.push(row.id);
    await admin`insert into public.session_staff (session_id, user_id, role) values (${row.id}, ${host.id}, 'host')
                on conflict do nothing`;
    return row.id;
  };
  const book = (sessionId: string, user: User, status = "confirmed") =>
    admin`insert into public.bookings (session_id, user_id, status, waitlist_position)
          values (${sessionId}, ${user.id}, ${status}, ${status === "waitlisted" ? 1 : null})`;
  const remind = (sessionId: string, user: User, minutes: number) =>
    admin`insert into public.session_reminders (session_id, user_id, minutes_before) values (${sessionId}, ${user.id}, ${minutes})`;
  // Booking may add default reminders (booking engineer's trigger): compare with what the database holds.
  const reminderTriggers = async (sessionId: string, user: User) =>
    (await admin<{ m: number }[]>`select minutes_before as m from public.session_reminders
                                  where session_id = ${sessionId} and user_id = ${user.id}`)
      .map((r) => -60 * r.m).sort((a, b) => a - b);
  const createFeed = async (user: User) => {
    const [{ feed }] = await asUser(admin, user, (tx) => tx<{ feed: { token: string; path: string } }[]>`select public.create_calendar_feed() as feed`);
    return feed;
  };
  const get = (path: string, headers: HeadersInit = {}) => fetch(`${base}${path}`, { headers });
  const getIcs = async (path: string, headers: HeadersInit = {}) => {
    const res = await get(path, headers);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(res.headers.get("content-type"), "text/calendar; charset=utf-8");
    return { res, text, events: parseEvents(text) };
  };
  const expectError = async (res: Response, status: number, code: string) => {
    const body = await res.json();
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, "string");
  };

  try {
    for (const user of [host, member, outsider]) {
      await admin`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
                  values (${user.id}, 'authenticated', 'authenticated', ${user.email},
                          ${admin.json({ display_name: user.name })}, now(), now())`;
    }
    await admin`update public.user_roles set role = 'coach' where user_id = ${host.id}`;
    const memberJwt = await mintJwt(claimsOf(member));
    const outsiderJwt = await mintJwt(claimsOf(outsider));
    const hostJwt = await mintJwt(claimsOf(host));

    const days = await daysFrom(admin);
    const publicId = await createSession({ title: "Public workshop", starts_at: days.at(30, "10:00"), visibility: "public" });
    const privateId = await createSession({ title: "Private coaching", starts_at: days.at(31, "15:30"), visibility: "private", duration: 45 });
    const cancelledId = await createSession({ title: "Cancelled talk", starts_at: days.at(32, "09:00"), visibility: "public" });
    // A weekly-style pair across the next end of summer time in Amsterdam (10:00 local both days).
    const beforeDst = await createSession({ title: "Before DST", starts_at: `${days.saturdayBeforeDst}T10:00:00+02:00`, visibility: "members", timezone: "Europe/Amsterdam" });
    const afterDst = await createSession({ title: "After DST", starts_at: `${days.mondayAfterDst}T10:00:00+01:00`, visibility: "members", timezone: "Europe/Amsterdam" });
    const othersId = await createSession({ title: "Someone else's", starts_at: days.at(33, "09:00"), visibility: "public" });

    await remind(publicId, member, 15);
    await remind(publicId, member, 60);
    await book(privateId, member);
    await book(cancelledId, member, "waitlisted");
    await remind(cancelledId, member, 30);
    await book(beforeDst, member);
    await book(afterDst, member);
    await book(othersId, outsider);

    let publicEtag = "";
    let publicSequence = 0;

    await t.step("a public session without a JWT: UTC times, stable UID, SEQUENCE, CONFIRMED, public cache", async () => {
      const { res, events } = await getIcs(`/sessions/${publicId}.ics`);
      assert.equal(events.length, 1);
      const [event] = events;
      assert.equal(event.getFirstPropertyValue("uid"), `${publicId}@live-sessions`);
      assert.equal(event.getFirstPropertyValue("summary"), "Public workshop");
      assert.equal(event.getFirstPropertyValue("description"), "About Public workshop");
      assert.equal(utcTime(event, "dtstart"), iso(days.at(30, "10:00")));
      assert.equal(utcTime(event, "dtend"), iso(days.at(30, "11:00")));
      assert.ok(utcTime(event, "dtstamp"));
      assert.equal(event.getFirstPropertyValue("status"), "CONFIRMED");
      assert.equal(event.getFirstPropertyValue("url"), `http://127.0.0.1:3000/sessions/${publicId}`);
      const [{ sequence }] = await admin<{ sequence: number }[]>`select sequence from public.sessions where id = ${publicId}`;
      publicSequence = sequence;
      assert.equal(Number(event.getFirstPropertyValue("sequence")), sequence);
      assert.equal(event.getAllSubcomponents("valarm").length, 0, "no reminders on a single-session download");
      assert.equal(event.getFirstProperty("organizer")?.getParameter("cn"), host.name, "anon sees the host as ORGANIZER");
      assert.match(res.headers.get("cache-control") ?? "", /^public, max-age=300$/);
      publicEtag = res.headers.get("etag") ?? "";
      assert.match(publicEtag, /^"[0-9a-f]{64}"$/);
    });

    await t.step("the host's name is the ORGANIZER for a signed-in caller too", async () => {
      const { res, events } = await getIcs(`/sessions/${publicId}.ics`, { Authorization: `Bearer ${memberJwt}` });
      const organizer = events[0].getFirstProperty("organizer");
      assert.ok(organizer);
      assert.equal(organizer.getParameter("cn"), host.name);
      assert.match(String(organizer.getFirstValue()), /^mailto:/i);
      assert.doesNotMatch(String(organizer.getFirstValue()), new RegExp(host.email), "the host's address is not published");
      assert.match(res.headers.get("cache-control") ?? "", /^private, max-age=300$/);
    });

    await t.step("ETag: the same body has the same tag, If-None-Match answers 304", async () => {
      const again = await get(`/sessions/${publicId}.ics`);
      await again.body?.cancel();
      assert.equal(again.headers.get("etag"), publicEtag);
      for (const tag of [publicEtag, `W/${publicEtag}`, `"nope", ${publicEtag}`, "*"]) {
        const res = await get(`/sessions/${publicId}.ics`, { "If-None-Match": tag });
        assert.equal(res.status, 304, tag);
        assert.equal(await res.text(), "");
        assert.equal(res.headers.get("etag"), publicEtag);
      }
      const stale = await get(`/sessions/${publicId}.ics`, { "If-None-Match": '"0000"' });
      await stale.body?.cancel();
      assert.equal(stale.status, 200);
    });

    await t.step("a reschedule keeps the UID, increments SEQUENCE, moves DTSTART and changes the ETag", async () => {
      await asUser(admin, host, (tx) => tx`select public.reschedule_session(${publicId}, ${days.at(30, "12:00")}::timestamptz, 90)`);
      const { res, events } = await getIcs(`/sessions/${publicId}.ics`);
      const [event] = events;
      assert.equal(event.getFirstPropertyValue("uid"), `${publicId}@live-sessions`);
      assert.equal(Number(event.getFirstPropertyValue("sequence")), publicSequence + 1);
      assert.equal(utcTime(event, "dtstart"), iso(days.at(30, "12:00")));
      assert.equal(utcTime(event, "dtend"), iso(days.at(30, "13:30")));
      assert.notEqual(res.headers.get("etag"), publicEtag);
      const old = await get(`/sessions/${publicId}.ics`, { "If-None-Match": publicEtag });
      await old.body?.cancel();
      assert.equal(old.status, 200, "the old ETag no longer matches");
    });

    await t.step("a private session: 404 for anon and outsiders, visible with a booked member's JWT", async () => {
      await expectError(await get(`/sessions/${privateId}.ics`), 404, "not_found");
      await expectError(await get(`/sessions/${privateId}.ics`, { Authorization: `Bearer ${outsiderJwt}` }), 404, "not_found");
      const { res, events } = await getIcs(`/sessions/${privateId}.ics`, { Authorization: `Bearer ${memberJwt}` });
      assert.equal(events[0].getFirstPropertyValue("uid"), `${privateId}@live-sessions`);
      assert.equal(utcTime(events[0], "dtstart"), iso(days.at(31, "15:30")));
      assert.equal(utcTime(events[0], "dtend"), iso(days.at(31, "16:15")));
      assert.match(res.headers.get("cache-control") ?? "", /^private/);
    });

    await t.step("single sessions across the DST change are exact in UTC", async () => {
      // The pair really is on both sides of the change: 10:00 in Amsterdam is UTC+2, then UTC+1.
      const local = await admin<{ id: string; local: string }[]>`
        select id, to_char(starts_at at time zone 'Europe/Amsterdam', 'HH24:MI') || ' ' ||
                   to_char(starts_at at time zone 'Europe/Amsterdam' - (starts_at at time zone 'UTC'), 'HH24:MI') as local
        from public.sessions where id in (${beforeDst}, ${afterDst})`;
      assert.deepEqual(Object.fromEntries(local.map((r) => [r.id, r.local])), { [beforeDst]: "10:00 02:00", [afterDst]: "10:00 01:00" });
      const before = await getIcs(`/sessions/${beforeDst}.ics`, { Authorization: `Bearer ${memberJwt}` });
      assert.equal(utcTime(before.events[0], "dtstart"), `${days.saturdayBeforeDst}T08:00:00.000Z`);
      const after = await getIcs(`/sessions/${afterDst}.ics`, { Authorization: `Bearer ${memberJwt}` });
      assert.equal(utcTime(after.events[0], "dtstart"), `${days.mondayAfterDst}T09:00:00.000Z`);
      assert.match(before.text, new RegExp(`DTSTART:${days.saturdayBeforeDst.replaceAll("-", "")}T080000Z`));
      assert.match(after.text, new RegExp(`DTSTART:${days.mondayAfterDst.replaceAll("-", "")}T090000Z`));
    });

    await t.step("bad requests: malformed id 400, unknown id 404, invalid JWT 401, non-GET 405, unknown path 404", async () => {
      await expectError(await get(`/sessions/not-a-uuid.ics`), 400, "invalid_input");
      await expectError(await get(`/sessions/%E0%A4%A.ics`), 400, "invalid_input");
      await expectError(await get(`/feed/%E0%A4%A.ics`), 404, "not_found");
      await expectError(await get(`/sessions/${crypto.randomUUID()}.ics`), 404, "not_found");
      await expectError(await get(`/sessions/${publicId}.ics`, { Authorization: "Bearer not.a.jwt" }), 401, "not_authenticated");
      const expired = await mintJwt(claimsOf(member), { expiresIn: -120 });
      await expectError(await get(`/sessions/${publicId}.ics`, { Authorization: `Bearer ${expired}` }), 401, "not_authenticated");
      for (const method of ["POST", "PUT", "DELETE"]) {
        await expectError(await fetch(`${base}/sessions/${publicId}.ics`, { method }), 405, "method_not_allowed");
      }
      await expectError(await get(`/sessions/${publicId}`), 404, "not_found");
      await expectError(await get(`/elsewhere`), 404, "not_found");
    });

    let feedToken = "";
    let feedEtag = "";

    await t.step("the feed: booked and reminded sessions, cancelled ones as CANCELLED, VALARMs per reminder", async () => {
      await asUser(admin, host, (tx) => tx`select public.cancel_session(${cancelledId}, 'Speaker is ill')`);
      const feed = await createFeed(member);
      feedToken = feed.token;
      assert.match(feedToken, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(feed.path, `calendar/feed/${feedToken}.ics`);
      const { res, events } = await getIcs(`/feed/${feedToken}.ics`);
      assert.match(res.headers.get("cache-control") ?? "", /^private, max-age=300$/);
      feedEtag = res.headers.get("etag") ?? "";
      assert.match(feedEtag, /^"[0-9a-f]{64}"$/);

      const uids = events.map((e) => e.getFirstPropertyValue("uid")).sort();
      assert.deepEqual(uids, [publicId, privateId, cancelledId, beforeDst, afterDst].map((id) => `${id}@live-sessions`).sort());
      assert.equal(eventByUid(events, othersId), undefined, "another user's booking is not in the feed");

      const reminded = eventByUid(events, publicId)!;
      assert.deepEqual(alarmTriggers(reminded), [-3600, -900], "one VALARM per reminder, before the start");
      assert.equal(Number(reminded.getFirstPropertyValue("sequence")), publicSequence + 1);
      assert.equal(utcTime(reminded, "dtstart"), iso(days.at(30, "12:00")));
      assert.equal(reminded.getFirstPropertyValue("status"), "CONFIRMED");
      assert.equal(reminded.getFirstProperty("organizer")?.getParameter("cn"), host.name);

      const booked = eventByUid(events, privateId)!;
      assert.deepEqual(alarmTriggers(booked), await reminderTriggers(privateId, member));
      assert.equal(booked.getFirstPropertyValue("status"), "CONFIRMED");

      const cancelled = eventByUid(events, cancelledId)!;
      assert.equal(cancelled.getFirstPropertyValue("status"), "CANCELLED");
      assert.ok((await reminderTriggers(cancelledId, member)).includes(-1800), "the member's reminder is kept");
      assert.deepEqual(alarmTriggers(cancelled), [], "but no alarm rings for a cancelled session");
      const [{ sequence }] = await admin<{ sequence: number }[]>`select sequence from public.sessions where id = ${cancelledId}`;
      assert.equal(Number(cancelled.getFirstPropertyValue("sequence")), sequence);
      assert.ok(sequence > 0, "cancelling bumped the sequence");
      // A visitor's "add to calendar" link (no token) learns of the cancellation too.
      const visitor = eventByUid((await getIcs(`/sessions/${cancelledId}.ics`)).events, cancelledId)!;
      assert.equal(visitor.getFirstPropertyValue("status"), "CANCELLED", "anon gets the cancelled public session");
      assert.equal(Number(visitor.getFirstPropertyValue("sequence")), sequence);

      assert.equal(utcTime(eventByUid(events, beforeDst)!, "dtstart"), `${days.saturdayBeforeDst}T08:00:00.000Z`);
      assert.equal(utcTime(eventByUid(events, beforeDst)!, "dtend"), `${days.saturdayBeforeDst}T09:00:00.000Z`);
      assert.equal(utcTime(eventByUid(events, afterDst)!, "dtstart"), `${days.mondayAfterDst}T09:00:00.000Z`);
      assert.equal(utcTime(eventByUid(events, afterDst)!, "dtend"), `${days.mondayAfterDst}T10:00:00.000Z`);
    });

    await t.step("the feed's ETag: 304 when unchanged, a new tag after a new reminder", async () => {
      const same = await get(`/feed/${feedToken}.ics`, { "If-None-Match": feedEtag });
      assert.equal(same.status, 304);
      assert.equal(await same.text(), "");
      await remind(privateId, member, 1441);
      const { res, events } = await getIcs(`/feed/${feedToken}.ics`, { "If-None-Match": feedEtag });
      assert.notEqual(res.headers.get("etag"), feedEtag);
      const triggers = alarmTriggers(eventByUid(events, privateId)!);
      assert.ok(triggers.includes(-86400 - 60));
      assert.deepEqual(triggers, await reminderTriggers(privateId, member));
    });

    await t.step("a feed ignores the caller's JWT: the token alone decides", async () => {
      const { events } = await getIcs(`/feed/${feedToken}.ics`, { Authorization: `Bearer ${outsiderJwt}` });
      assert.equal(events.length, 5);
    });

    await t.step("an empty feed is a valid calendar; unknown and malformed tokens are 404", async () => {
      const hostFeed = await createFeed(host);
      const { events } = await getIcs(`/feed/${hostFeed.token}.ics`);
      assert.equal(events.length, 0);
      await expectError(await get(`/feed/${"A".repeat(43)}.ics`), 404, "not_found");
      await expectError(await get(`/feed/short.ics`), 404, "not_found");
      await expectError(await fetch(`${base}/feed/${feedToken}.ics`, { method: "POST" }), 405, "method_not_allowed");
    });

    await t.step("a new feed revokes the old token; revoke_calendar_feed() ends the new one", async () => {
      const renewed = await createFeed(member);
      assert.notEqual(renewed.token, feedToken);
      await expectError(await get(`/feed/${feedToken}.ics`), 404, "not_found");
      const { events } = await getIcs(`/feed/${renewed.token}.ics`);
      assert.equal(events.length, 5);
      const [{ revoked }] = await asUser(admin, member, (tx) => tx<{ revoked: boolean }[]>`select public.revoke_calendar_feed() as revoked`);
      assert.equal(revoked, true);
      await expectError(await get(`/feed/${renewed.token}.ics`), 404, "not_found");
    });

    await t.step("hosts see their own drafts; nobody else does", async () => {
      const [draft] = await admin<{ id: string }[]>`
        insert into public.sessions (title, starts_at, status, visibility, created_by)
        values ('Draft idea', ${days.at(39, "10:00")}::timestamptz, 'draft', 'public', ${host.id}) returning id`;
      sessionIds.push(draft.id);
      await admin`insert into public.session_staff (session_id, user_id, role) values (${draft.id}, ${host.id}, 'host')
                  on conflict do nothing`;
      await expectError(await get(`/sessions/${draft.id}.ics`), 404, "not_found");
      await expectError(await get(`/sessions/${draft.id}.ics`, { Authorization: `Bearer ${memberJwt}` }), 404, "not_found");
      const { events } = await getIcs(`/sessions/${draft.id}.ics`, { Authorization: `Bearer ${hostJwt}` });
      assert.equal(events[0].getFirstPropertyValue("uid"), `${draft.id}@live-sessions`);
    });

    await t.step("text with backslashes, semicolons, commas, control characters and multi-byte letters", async () => {
      const title = "Q&A: C:\\new; agenda, notes " + "é".repeat(50) + " 日本語のセッション".repeat(3);
      const fancyId = await createSession({ title: title + "\r", starts_at: days.at(34, "09:00"), visibility: "public" });
      await remind(fancyId, outsider, 30);
      const feed = await createFeed(outsider);
      const texts = [];
      for (const path of [`/feed/${feed.token}.ics`, `/sessions/${fancyId}.ics`]) {
        const { text, events } = await getIcs(path);
        texts.push(text);
        const event = eventByUid(events, fancyId)!;
        assert.equal(event.getFirstPropertyValue("summary"), title + "\n", "SUMMARY round-trips (a lone CR is a line break)");
        assert.doesNotMatch(text, /\r(?!\n)/, "no bare CR");
        for (const line of text.split("\r\n")) {
          assert.ok(new TextEncoder().encode(line).length <= 75, `at most 75 octets: ${line}`);
        }
      }
      const [feedText, sessionText] = texts;
      const alarm = eventByUid(parseEvents(feedText), fancyId)!.getFirstSubcomponent("valarm")!;
      assert.equal(alarm.getFirstPropertyValue("description"), `Starts in 30 minutes: ${title}\n`, "the alarm text round-trips");
      const calName = sessionText.replace(/\r\n[ \t]/g, "").split("\r\n").find((line) => line.startsWith("X-WR-CALNAME:"));
      assert.equal(calName, "X-WR-CALNAME:" + (title + "\n").replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,")
        .replace(/\n/g, "\\n"), "X-WR-CALNAME is escaped TEXT");
    });

    await t.step("a user banned from a session gets 404 for its .ics, as it leaves their feed", async () => {
      await admin`insert into public.session_bans (session_id, user_id) values (${privateId}, ${member.id})`;
      try {
        await expectError(await get(`/sessions/${privateId}.ics`, { Authorization: `Bearer ${memberJwt}` }), 404, "not_found");
      } finally {
        await admin`delete from public.session_bans where session_id = ${privateId} and user_id = ${member.id}`;
      }
    });

    await t.step("HEAD answers like GET, without a body", async () => {
      const got = await get(`/sessions/${publicId}.ics`);
      const head = await fetch(`${base}/sessions/${publicId}.ics`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      assert.equal(head.headers.get("content-type"), "text/calendar; charset=utf-8");
      assert.equal(head.headers.get("etag"), got.headers.get("etag"));
      assert.equal(head.headers.get("cache-control"), got.headers.get("cache-control"));
      assert.equal(head.headers.get("content-length"), String(new TextEncoder().encode(await got.text()).byteLength),
        "HEAD gives the length of GET's body");
      const missing = await fetch(`${base}/sessions/${crypto.randomUUID()}.ics`, { method: "HEAD" });
      await missing.body?.cancel();
      assert.equal(missing.status, 404);
    });
  } finally {
    if (sessionIds.length) await admin`delete from public.sessions where id = any(${sessionIds}::uuid[])`;
    await admin`delete from auth.users where id = any(${[host.id, member.id, outsider.id]}::uuid[])`;
    await admin.end();
    await server.shutdown();
  }
});
