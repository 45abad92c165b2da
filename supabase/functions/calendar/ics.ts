/**
 * iCalendar rendering for the calendar function, with the `ics` library (no hand-built iCalendar text):
 * UTC times, a stable UID per session, SEQUENCE from the session, STATUS CONFIRMED or CANCELLED, one
 * VALARM per reminder, a deterministic DTSTAMP (the session's updated_at) so that an unchanged
 * calendar renders byte-identical and its ETag stays valid.
 */
import { createEvents, type EventAttributes } from "ics";

/** One session as the SQL side returns it (calendar_feed_events() or the single-session query). */
export interface CalendarSession {
  session_id: string;
  title: string;
  description: string | null;
  starts_at: Date;
  duration_minutes: number;
  status: string;
  sequence: number;
  updated_at: Date;
  host_name: string | null;
  link: string;
  reminder_minutes?: number[] | null;
  booking_status?: string | null;
}

export interface CalendarOptions {
  /** X-WR-CALNAME, the name calendar apps show for a subscription. */
  name: string;
  /** Base URL that the sessions' app paths are resolved against. */
  siteUrl: string;
  /** Mailbox of the ORGANIZER property (the host's own address is never published). */
  organizerEmail: string;
}

export const PRODUCT_ID = "-//live-sessions//calendar//EN";

/** The stable UID of a session's event: it never changes across reschedules. */
export function sessionUid(sessionId: string): string {
  return `${sessionId}@live-sessions`;
}

// A quoted parameter value (CN) may not contain DQUOTE or control characters (RFC 5545, 3.1).
function parameterSafe(name: string): string {
  // deno-lint-ignore no-control-regex
  return name.replace(/["\u0000-\u001f\u007f]/g, "'").trim();
}

// `timestamp` (DTSTAMP) is part of the library's schema (defaults to now) but missing from its typings.
type TimestampedEvent = EventAttributes & { timestamp: number };

function toEvent(session: CalendarSession, options: CalendarOptions): TimestampedEvent {
  const start = session.starts_at.getTime();
  const end = start + session.duration_minutes * 60_000;
  const waitlisted = session.booking_status === "waitlisted";
  const description = [waitlisted ? "You are on the waitlist for this session." : null, session.description]
    .filter((part): part is string => !!part && part.trim() !== "")
    .join("\n\n");
  const event: TimestampedEvent = {
    uid: sessionUid(session.session_id),
    title: session.title,
    start,
    startInputType: "utc",
    startOutputType: "utc",
    end,
    endInputType: "utc",
    endOutputType: "utc",
    timestamp: session.updated_at.getTime(),
    lastModified: session.updated_at.getTime(),
    sequence: session.sequence,
    status: session.status === "cancelled" ? "CANCELLED" : "CONFIRMED",
    url: new URL(session.link, options.siteUrl).href,
    alarms: [...new Set(session.reminder_minutes ?? [])].sort((a, b) => a - b).map((minutes) => ({
      action: "display" as const,
      description: `Starts in ${minutes} minutes: ${session.title}`,
      trigger: { minutes, before: true },
    })),
  };
  if (description) event.description = description;
  const host = session.host_name ? parameterSafe(session.host_name) : "";
  if (host) event.organizer = { name: host, email: options.organizerEmail };
  return event;
}

/** Renders a VCALENDAR with one VEVENT per session. Throws when the library rejects the input. */
export function renderCalendar(sessions: CalendarSession[], options: CalendarOptions): string {
  const { error, value } = createEvents(sessions.map((s) => toEvent(s, options)), {
    productId: PRODUCT_ID,
    method: "PUBLISH",
    calName: options.name,
  });
  if (error || value === null) throw error ?? new Error("ics returned no calendar");
  return value;
}
