/**
 * POST /resend-webhook: Resend's webhook endpoint for bounces and complaints. Resend signs with Svix:
 * `svix-id`, `svix-timestamp` (unix seconds, at most 5 minutes off) and `svix-signature`
 * (space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), keyed by the base64 part of the
 * endpoint's signing secret `whsec_<base64>` (env `RESEND_WEBHOOK_SECRET`; several joined with `|`
 * while rotating).
 *
 * - `email.bounced` (Resend: the receiving server rejected the mail for good) suppresses every address
 *   of `data.to` with reason `bounce`, unless `data.bounce.type` says the bounce was not permanent
 *   (`Transient`, `Undetermined`: answered 200 and ignored);
 * - `email.complained` (marked as spam) suppresses them with reason `complaint`;
 * - any other event type: 200, ignored.
 * The suppression is the one an SMTP 550 causes (private.suppress_email): nothing more is queued or
 * sent to the address. Repeated deliveries of one event change nothing more (an upsert).
 *
 * Answers: 200 `{received: true, type, suppressed, ignored?}`; 401 bad, missing or stale signature;
 * 400 `invalid_input` for a body that is not a Resend event (bad JSON, no type, no valid recipients);
 * 405 other methods; 503 while `RESEND_WEBHOOK_SECRET` is not set.
 */
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";
import { verifyWebhook } from "../_shared/webhook.ts";

const SERVICE = { role: "service_role" as const, iss: "supabase" };
const MAX_RECIPIENTS = 50;
const EMAIL = /^[^\s@<>",;]{1,64}@[^\s@<>",;]{1,255}$/;

const invalid = (message: string, details: unknown = null) => new ApiError("invalid_input", message, details);

/** A recipient as Resend lists it: `a@b.example` or `Name <a@b.example>`; null when it is not an address. */
export function recipientAddress(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 400) return null;
  const angle = /<([^<>]*)>\s*$/.exec(value);
  const address = (angle ? angle[1] : value).trim().toLowerCase();
  return address.length >= 3 && address.length <= 320 && EMAIL.test(address) ? address : null;
}

function recipients(data: Record<string, unknown>): string[] {
  const to = Array.isArray(data.to) ? data.to : typeof data.to === "string" ? [data.to] : null;
  if (!to || to.length === 0) throw invalid("data.to must list the recipients", { field: "data.to" });
  if (to.length > MAX_RECIPIENTS) throw invalid(`data.to has more than ${MAX_RECIPIENTS} recipients`, { field: "data.to" });
  const addresses = to.map(recipientAddress);
  if (addresses.some((a) => a === null)) throw invalid("data.to holds something that is not an email address", { field: "data.to" });
  return [...new Set(addresses as string[])];
}

function text(value: unknown, max: number): string | null {
  return typeof value === "string" && value.length > 0 ? value.slice(0, max) : null;
}

export const handler = handle(async (req) => {
  requireMethod(req, "POST");
  const secret = Deno.env.get("RESEND_WEBHOOK_SECRET");
  if (!secret) throw new ApiError("service_unavailable", "Resend webhooks are not configured on this server");
  const body = await verifyWebhook(req, secret, Date.now(), "svix");

  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw invalid("The body is not JSON");
  }
  if (!event || typeof event !== "object" || Array.isArray(event)) throw invalid("Expected a JSON object");
  const { type, data } = event as { type?: unknown; data?: unknown };
  if (typeof type !== "string" || type.length === 0 || type.length > 100) throw invalid("type is required", { field: "type" });
  if (type !== "email.bounced" && type !== "email.complained") return json({ received: true, type, suppressed: 0, ignored: true });
  if (!data || typeof data !== "object" || Array.isArray(data)) throw invalid("data is required", { field: "data" });
  const d = data as Record<string, unknown>;
  const addresses = recipients(d);

  const bounce = d.bounce && typeof d.bounce === "object" ? d.bounce as Record<string, unknown> : null;
  if (type === "email.bounced" && bounce && typeof bounce.type === "string" && bounce.type.toLowerCase() !== "permanent") {
    return json({ received: true, type, suppressed: 0, ignored: true, reason: "not a permanent bounce" });
  }
  const reason = type === "email.bounced" ? "bounce" : "complaint";
  const detail = [`resend ${type}`, text(d.email_id, 100), bounce ? text(bounce.subType, 100) : null,
    bounce ? text(bounce.message, 700) : null].filter((p) => p !== null).join(": ");
  await asCaller(SERVICE, async (tx) => {
    for (const address of addresses) await tx`select private.suppress_email(${address}, ${reason}, ${detail})`;
  });
  return json({ received: true, type, suppressed: addresses.length });
});
