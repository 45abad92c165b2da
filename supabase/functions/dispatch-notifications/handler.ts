/**
 * POST /dispatch-notifications: sends what the notification outbox (public.notification_deliveries)
 * holds. Only for the scheduler: `Authorization: Bearer <service role JWT>`, or the shared secret
 * `DISPATCH_SECRET` (as `Authorization: Bearer <secret>` or `X-Dispatch-Secret: <secret>`); anything
 * else is 401/403.
 *
 * Each call first runs the reminder job (private.send_due_reminders: due reminders become notifications
 * and their deliveries), so a reminder waits for one dispatcher interval at most, not for the next
 * minute's cron run plus a dispatcher interval. Then each round claims a batch of due deliveries of the channels this function can send
 * (private.claim_notification_deliveries: FOR UPDATE SKIP LOCKED, with a lease), renders and sends
 * them with bounded concurrency (`DISPATCH_CONCURRENCY`, 8), and records every result in one statement
 * (private.record_notification_deliveries). Rounds repeat until nothing is due or the time budget
 * (`DISPATCH_BUDGET_MS`, 20 s) is spent. Answers 200 with the counts.
 *
 * Email: see email.ts (Resend or SMTP), templates.ts (nl/en/pt, the recipient's zone), the session's
 * .ics (same UID and SEQUENCE as the calendar function) for the kinds that attach it, and
 * List-Unsubscribe + List-Unsubscribe-Post (RFC 8058) with a signed token for the unsubscribe function.
 * Web Push: see push.ts (web-push with the VAPID keys of env; TTL and urgency of the kind).
 */
import { timingSafeEqual } from "node:crypto";
import { verifyJwt } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, json, logField, requireMethod } from "../_shared/http.ts";
import { signUnsubscribeToken, unsubscribeSecret, unsubscribeUrl, UNSUBSCRIBE_TOKEN_DAYS } from "../_shared/unsubscribe-token.ts";
import { renderCalendar } from "../calendar/ics.ts";
import { type EmailTransport, emailTransport, type SendOutcome } from "./email.ts";
import { type PushKindSettings, pushSender, vapidConfig } from "./push.ts";
import { emailBodies, type MessageContext, renderMessage } from "./templates.ts";

const SERVICE = { role: "service_role" as const, iss: "supabase" };

export interface Delivery {
  id: string;
  notification_id: string | null;
  user_id: string;
  kind: string;
  channel: "email" | "push";
  attempts: number;
  created_at: Date;
  payload: MessageContext["payload"];
}

export interface DeliveryContext {
  delivery_id: string;
  email: string | null;
  email_enabled: boolean;
  push_enabled: boolean;
  attach_ics: boolean;
  display_name: string | null;
  locale: string;
  timezone: string;
  session_id: string | null;
  session_title: string | null;
  session_description: string | null;
  cancel_reason: string | null;
  starts_at: Date | null;
  duration_minutes: number | null;
  session_status: string | null;
  sequence: number | null;
  session_updated_at: Date | null;
  host_name: string | null;
  zone_abbreviation: string | null;
  booking_status: string | null;
  reminder_minutes: number[] | null;
  previous_zone_abbreviation: string | null;
  /** group or one_to_one (null without a session). */
  session_kind: string | null;
  /** The recipient is staff of the session (null without a session). */
  /** A one-to-one appointment's notice for this reader (private.appointment_notice), else null. */
  notice_title: string | null;
  notice_body: string | null;
  /** The attached .ics's SUMMARY for a one-to-one appointment (private.appointment_notice), else null. */
  ics_summary: string | null;
}

export interface Result {
  id: string;
  attempt: number;
  outcome: "sent" | "retry" | "failed" | "cancelled";
  error?: string;
  provider_message_id?: string | null;
  retry_after_seconds?: number;
}

/** A sender of one channel: returns what to record for a delivery. */
export type ChannelSender = (delivery: Delivery, ctx: DeliveryContext) => Promise<Result>;

function secretMatches(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given), b = new TextEncoder().encode(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Service role JWT or the shared secret; 401 without credentials, 403 for any other role. */
export async function authorizeScheduler(req: Request): Promise<void> {
  const secret = Deno.env.get("DISPATCH_SECRET") ?? "";
  const header = req.headers.get("X-Dispatch-Secret");
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("Authorization") ?? "")?.[1];
  if (secret.length >= 16 && ((header && secretMatches(header, secret)) || (bearer && secretMatches(bearer, secret)))) {
    return;
  }
  if (!bearer) throw ApiError.notAuthenticated("Service role key or dispatch secret required");
  const claims = await verifyJwt(bearer);
  if (claims.role !== "service_role") {
    throw new ApiError("forbidden", "Only the scheduler (service role) may dispatch notifications");
  }
}

function siteUrl(): string {
  return Deno.env.get("SITE_URL") || "http://127.0.0.1:3000";
}

function absoluteLink(link: string | null | undefined): string | null {
  if (!link) return null;
  try {
    return new URL(link, siteUrl()).href;
  } catch {
    return null;
  }
}

function messageContext(d: Delivery, c: DeliveryContext): MessageContext {
  return {
    kind: d.kind,
    payload: d.payload,
    locale: c.locale,
    timezone: c.timezone,
    displayName: c.display_name,
    session: c.session_id && c.starts_at && c.session_title
      ? {
        title: c.session_title,
        startsAt: c.starts_at,
        status: c.session_status ?? "scheduled",
        cancelReason: c.cancel_reason,
        zoneAbbreviation: c.zone_abbreviation,
        bookingStatus: c.booking_status,
        previousZoneAbbreviation: c.previous_zone_abbreviation,
        kind: c.session_kind,
        hostName: c.host_name,
        notice: c.notice_title ? { title: c.notice_title, body: c.notice_body } : null,
      }
      : null,
    url: absoluteLink(d.payload.link ?? (c.session_id ? `/sessions/${c.session_id}` : null)),
  };
}

/** The email sender over one transport. */
export function emailSender(transport: EmailTransport): ChannelSender {
  const from = Deno.env.get("EMAIL_FROM") || "Live Sessions <no-reply@live-sessions.invalid>";
  return async (d, c) => {
    const base = { id: d.id, attempt: d.attempts };
    if (!c.email_enabled || !c.email) return { ...base, outcome: "cancelled", error: "email off or address suppressed" };
    // Deterministic per delivery (its creation + 60 days), so a resend has the same body (Resend idempotency).
    const expiresAt = Math.floor(d.created_at.getTime() / 1000) + UNSUBSCRIBE_TOKEN_DAYS * 86400;
    const unsubscribe = unsubscribeUrl(await signUnsubscribeToken(d.user_id, d.kind, { expiresAt }));
    const ctx = { ...messageContext(d, c), unsubscribeUrl: unsubscribe };
    const msg = renderMessage(ctx);
    const { text, html } = emailBodies(ctx, msg);
    const attachments = [];
    if (c.attach_ics && c.session_id && c.starts_at && c.session_title && c.session_updated_at) {
      const ics = renderCalendar([{
        session_id: c.session_id,
        // A one-to-one appointment: "Appointment with <coach>" / "Appointment with a patient" (no title, no name).
        title: c.ics_summary ?? c.session_title,
        description: c.session_description,
        starts_at: c.starts_at,
        duration_minutes: c.duration_minutes ?? 60,
        status: c.session_status ?? "scheduled",
        sequence: c.sequence ?? 0,
        updated_at: c.session_updated_at,
        host_name: c.host_name,
        link: `/sessions/${c.session_id}`,
        reminder_minutes: c.reminder_minutes,
        booking_status: c.booking_status,
      }], {
        name: c.ics_summary ?? c.session_title,
        siteUrl: siteUrl(),
        organizerEmail: Deno.env.get("CALENDAR_ORGANIZER_EMAIL") || "no-reply@live-sessions.invalid",
      });
      attachments.push({ filename: "session.ics", content: ics, contentType: "text/calendar; charset=utf-8; method=PUBLISH" });
    }
    const outcome: SendOutcome = await transport.send({
      deliveryId: d.id,
      from,
      to: c.email,
      subject: msg.subject,
      text,
      html,
      headers: {
        "List-Unsubscribe": `<${unsubscribe}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": msg.lang,
        "X-Notification-Kind": d.kind,
      },
      attachments,
    });
    if (outcome.outcome === "sent") return { ...base, outcome: "sent", provider_message_id: outcome.providerMessageId };
    if (outcome.outcome === "failed") {
      if (outcome.bounce) {
        await asCaller(SERVICE, (tx) => tx`select private.suppress_email(${c.email}, 'bounce', ${outcome.error})`);
      }
      return { ...base, outcome: "failed", error: outcome.error };
    }
    return { ...base, outcome: "retry", error: outcome.error, retry_after_seconds: outcome.retryAfterSeconds };
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

export interface DispatchOptions {
  senders: Partial<Record<"email" | "push", ChannelSender>>;
  batchSize?: number;
  concurrency?: number;
  budgetMs?: number;
  leaseSeconds?: number;
}

export interface DispatchSummary {
  claimed: number;
  sent: number;
  retry: number;
  failed: number;
  cancelled: number;
  channels: string[];
}

/** Claim, send, record, until nothing is due or the budget is spent. */
export async function dispatch(opts: DispatchOptions): Promise<DispatchSummary> {
  const channels = Object.keys(opts.senders) as ("email" | "push")[];
  const summary: DispatchSummary = { claimed: 0, sent: 0, retry: 0, failed: 0, cancelled: 0, channels };
  if (channels.length === 0) return summary;
  const batchSize = opts.batchSize ?? 50;
  const started = Date.now();
  const budget = opts.budgetMs ?? 20_000;
  while (Date.now() - started < budget) {
    const batch = await asCaller(SERVICE, (tx) =>
      tx<Delivery[]>`select id, notification_id, user_id, kind, channel, attempts, created_at, payload
                     from private.claim_notification_deliveries(${batchSize}, ${opts.leaseSeconds ?? 120}, ${channels})`
    );
    if (batch.length === 0) break;
    summary.claimed += batch.length;
    const contexts = await asCaller(SERVICE, (tx) =>
      tx<DeliveryContext[]>`select * from private.notification_delivery_context(${batch.map((d) => d.id)}::uuid[])`
    );
    const byId = new Map(contexts.map((c) => [c.delivery_id, c]));
    const results = await mapLimit(batch, opts.concurrency ?? 8, async (d): Promise<Result> => {
      const ctx = byId.get(d.id);
      const sender = opts.senders[d.channel];
      if (!ctx || !sender) return { id: d.id, attempt: d.attempts, outcome: "cancelled", error: "recipient is gone" };
      try {
        return await sender(d, ctx);
      } catch (err) {
        // A bug or an unexpected failure while rendering or sending: retried, never lost.
        return { id: d.id, attempt: d.attempts, outcome: "retry", error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 500) };
      }
    });
    await asCaller(SERVICE, (tx) => tx`select private.record_notification_deliveries(${tx.json(results as never)})`);
    for (const r of results) summary[r.outcome]++;
    if (batch.length < batchSize) break;
  }
  return summary;
}

/**
 * The reminder job, run at the start of every call: without it a reminder that fell due just after the
 * minute's cron run waited for the next one, then for a dispatch (up to 2 min 20 s in all). A failure
 * here (a lock timeout, say) is logged and the sending goes on: the cron job runs it every minute too.
 */
export async function queueDueReminders(): Promise<number | null> {
  try {
    const [row] = await asCaller(SERVICE, (tx) => tx<{ n: number }[]>`select private.send_due_reminders() as n`);
    return row.n;
  } catch (err) {
    logField("dispatch_reminders_error", `${(err as Error).name}: ${(err as Error).message}`.slice(0, 500));
    return null;
  }
}

/** The senders this deployment is configured for (email: Resend or SMTP; push: VAPID keys). */
export async function configuredSenders(): Promise<{ senders: DispatchOptions["senders"]; close: () => void }> {
  const senders: DispatchOptions["senders"] = {};
  const transport = emailTransport();
  if (transport) {
    unsubscribeSecret(); // every email carries a signed unsubscribe link: refuse to send without the secret
    senders.email = emailSender(transport);
  }
  const vapid = vapidConfig();
  if (vapid) {
    const kinds = await asCaller(SERVICE, (tx) =>
      tx<{ kind: string; push_ttl_seconds: number; push_urgency: PushKindSettings["urgency"] }[]>`
        select kind, push_ttl_seconds, push_urgency from public.notification_kinds`
    );
    const byKind = new Map(kinds.map((k) => [k.kind, { ttlSeconds: k.push_ttl_seconds, urgency: k.push_urgency }]));
    senders.push = pushSender(vapid, (kind) => byKind.get(kind) ?? { ttlSeconds: 86400, urgency: "normal" },
      (d, c) => messageContext(d, c).url);
  }
  return { senders, close: () => transport?.close() };
}

export const handler = handle(async (req) => {
  requireMethod(req, "POST");
  await authorizeScheduler(req);
  const reminders = await queueDueReminders();
  const { senders, close } = await configuredSenders();
  try {
    const summary = await dispatch({
      senders,
      batchSize: Number(Deno.env.get("DISPATCH_BATCH_SIZE") ?? 50),
      concurrency: Number(Deno.env.get("DISPATCH_CONCURRENCY") ?? 8),
      budgetMs: Number(Deno.env.get("DISPATCH_BUDGET_MS") ?? 20_000),
    });
    const answer = { reminders, ...summary };
    logField("dispatch", answer);
    return json(answer);
  } finally {
    close();
  }
});
