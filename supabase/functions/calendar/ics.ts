/**
 * iCalendar rendering for the calendar function, with the `ics` library (no hand-built iCalendar text):
 * UTC times, a stable UID per session, SEQUENCE from the session, STATUS CONFIRMED or CANCELLED, one
 * VALARM per reminder (none on a cancelled session), a deterministic DTSTAMP (the session's updated_at) so that an unchanged
 * calendar renders byte-identical and its ETag stays valid. Two gaps of the library are closed here:
 * TEXT escaping of the alarm's DESCRIPTION and of X-WR-CALNAME, and folding by octets (RFC 5545).
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

/** TEXT values may hold no control characters but escaped line breaks (RFC 5545, 3.3.11): CR and CRLF become LF. */
function plainText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");
}

/**
 * TEXT escaping (RFC 5545, 3.3.11) for the two properties the library writes unescaped: the VALARM's
 * DESCRIPTION and X-WR-CALNAME (it escapes SUMMARY and DESCRIPTION itself).
 */
function escapedText(text: string): string {
  return plainText(text).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\n/g, "\\n");
}

/** UTF-8 length of one code point. */
function octets(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * Content lines of at most 75 octets (RFC 5545, 3.1). The library folds every 75 characters, so a
 * line of accented or CJK text ran past 75 octets: its folds are undone and the lines folded again by
 * octets, never inside a character.
 */
function foldByOctets(calendar: string): string {
  return calendar.replace(/\r\n[ \t]/g, "").split("\r\n").map((line) => {
    const parts: string[] = [];
    let part = "", size = 0, limit = 75;
    for (const char of line) {
      const n = octets(char.codePointAt(0)!);
      if (size + n > limit) {
        parts.push(part);
        part = "";
        size = 0;
        limit = 74; // a continuation line starts with one space
      }
      part += char;
      size += n;
    }
    parts.push(part);
    return parts.join("\r\n ");
  }).join("\r\n");
}

// `timestamp` (DTSTAMP) is part of the library's schema (defaults to now) but missing from its typings.
type TimestampedEvent = EventAttributes & { timestamp: number };

function toEvent(session: CalendarSession, options: CalendarOptions): TimestampedEvent {
  const start = session.starts_at.getTime();
  const end = start + session.duration_minutes * 60_000;
  const waitlisted = session.booking_status === "waitlisted";
  const title = plainText(session.title);
  const description = [waitlisted ? "You are on the waitlist for this session." : null, session.description]
    .map((part) => part === null ? "" : plainText(part))
    .filter((part) => part.trim() !== "")
    .join("\n\n");
  const event: TimestampedEvent = {
    uid: sessionUid(session.session_id),
    title,
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
    // No alarm rings for a cancelled session.
    alarms: (session.status === "cancelled" ? [] : [...new Set(session.reminder_minutes ?? [])].sort((a, b) => a - b)).map((minutes) => ({
      action: "display" as const,
      description: escapedText(`Starts in ${minutes} minutes: ${title}`),
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
    calName: escapedText(options.name),
  });
  if (error || value === null) throw error ?? new Error("ics returned no calendar");
  return foldByOctets(value);
}
