/**
 * GET /calendar/sessions/<uuid>.ics  one session as iCalendar, read AS THE CALLER: a valid JWT, or anon
 *                                    without one, so RLS decides (public sessions for anyone) -> 404 otherwise.
 * GET /calendar/feed/<token>.ics     the subscribable feed of a calendar token (create_calendar_feed()):
 *                                    resolved by public.calendar_feed_events(), which only service_role
 *                                    may execute; unknown or revoked tokens -> 404.
 * HEAD answers like GET without the body. Answers carry an ETag (SHA-256 of the body; If-None-Match ->
 * 304) and Cache-Control. Thin: parse, validate, one SQL call, render with the `ics` library.
 */
import { z } from "zod";
import { authenticate, type Claims } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { type CalendarOptions, type CalendarSession, renderCalendar } from "./ics.ts";

const SESSION_PATH = /^(?:\/functions\/v1)?\/calendar\/sessions\/([^/]+)\.ics$/;
const FEED_PATH = /^(?:\/functions\/v1)?\/calendar\/feed\/([^/]+)\.ics$/;

const sessionId = z.string().uuid();
/** create_calendar_feed() tokens: 32 random bytes in base64url without padding. */
const feedToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** How long calendar apps and browsers may reuse an answer (seconds). */
const MAX_AGE = 300;

const ANON: Claims = { role: "anon" };
// The feed's only credential is its secret token: the lookup function is executable by service_role alone.
const FEED_READER: Claims = { role: "service_role", iss: "supabase" };

function options(name: string): CalendarOptions {
  return {
    name,
    siteUrl: Deno.env.get("SITE_URL") || "http://127.0.0.1:3000",
    organizerEmail: Deno.env.get("CALENDAR_ORGANIZER_EMAIL") || "no-reply@live-sessions.invalid",
  };
}

async function sessionCalendar(req: Request, rawId: string): Promise<{ body: string; cacheControl: string }> {
  const parsed = sessionId.safeParse(rawId);
  if (!parsed.success) throw new ApiError("invalid_input", "The session id must be a UUID", { session_id: rawId });
  // A missing Authorization header is anon; a present but invalid one is a 401.
  const claims = req.headers.has("Authorization") ? await authenticate(req) : ANON;
  // Read as the caller: RLS on sessions decides visibility, and a user banned from the session gets
  // nothing (as in their feed); session_cards gives the host name (also to anon).
  const id = parsed.data;
  type Row = CalendarSession & { visibility: string; kind: string };
  const rows = await asCaller(claims, (tx) =>
    tx<Row[]>`
      select s.id as session_id, s.title, s.description, s.starts_at, s.duration_minutes, s.status, s.sequence,
             s.updated_at, s.visibility, s.kind, c.host_name, '/sessions/' || s.id::text as link
      from public.sessions s
      left join public.session_cards c on c.id = s.id
      where s.id = ${id} and not private.am_banned(s.id)`
  );
  if (rows.length === 0) throw new ApiError("not_found", "Session not found", { session_id: id });
  const [session] = rows;
  // A one-to-one appointment the caller may see (read above as them): its SUMMARY for them, "Appointment with
  // <coach>" for the patient, "Appointment with a patient" for the coach (never a patient's name in a calendar).
  const reader = claims.sub;
  if (session.kind === "one_to_one" && typeof reader === "string") {
    const [summary] = await asCaller(FEED_READER, (tx) =>
      tx<{ title: string | null }[]>`select title from private.appointment_notice(${reader}::uuid, ${id}::uuid, 'summary')`
    );
    if (summary?.title) session.title = summary.title;
  }
  const shared = claims.role === "anon" && session.visibility === "public";
  return {
    body: renderCalendar([session], options(session.title)),
    cacheControl: `${shared ? "public" : "private"}, max-age=${MAX_AGE}`,
  };
}

async function feedCalendar(rawToken: string): Promise<{ body: string; cacheControl: string }> {
  const parsed = feedToken.safeParse(rawToken);
  // A malformed token is as unknown as a revoked one.
  if (!parsed.success) throw new ApiError("not_found", "Calendar feed not found");
  // One statement: whether the token is an active feed (an empty feed is not an unknown one), and its events.
  const rows = await asCaller(FEED_READER, (tx) =>
    tx<(CalendarSession & { active: boolean })[]>`
      select f.active, e.*
      from (select public.calendar_feed_is_active(${parsed.data}) as active) f
      left join lateral public.calendar_feed_events(${parsed.data}) e on f.active`
  );
  if (!rows[0]?.active) throw new ApiError("not_found", "Calendar feed not found");
  const sessions = rows.filter((row) => row.session_id !== null);
  return { body: renderCalendar(sessions, options("My live sessions")), cacheControl: `private, max-age=${MAX_AGE}` };
}

async function strongEtag(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return `"${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

/** If-None-Match uses the weak comparison (RFC 9110, 13.1.2): W/ prefixes are ignored; `*` matches. */
function notModified(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, "")).some((t) => t === "*" || t === etag);
}

/** A path segment, percent-decoded; a malformed escape is kept as is (and then fails validation). */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export const handler = handle(async (req) => {
  requireMethod(req, "GET", "HEAD");
  const { pathname } = new URL(req.url);
  const sessionMatch = SESSION_PATH.exec(pathname);
  const feedMatch = FEED_PATH.exec(pathname);
  if (!sessionMatch && !feedMatch) throw new ApiError("not_found", "No calendar at this path");
  const { body, cacheControl } = sessionMatch
    ? await sessionCalendar(req, segment(sessionMatch[1]))
    : await feedCalendar(segment(feedMatch![1]));

  const etag = await strongEtag(body);
  const headers = new Headers({ ETag: etag, "Cache-Control": cacheControl });
  if (notModified(req.headers.get("If-None-Match"), etag)) return new Response(null, { status: 304, headers });
  headers.set("Content-Type", "text/calendar; charset=utf-8");
  headers.set("Content-Disposition", `inline; filename="${sessionMatch ? "session" : "calendar"}.ics"`);
  // HEAD: the same status and headers as GET (Content-Length included), without the body.
  headers.set("Content-Length", String(new TextEncoder().encode(body).byteLength));
  return new Response(req.method === "HEAD" ? null : body, { status: 200, headers });
});
