/**
 * Standard Webhooks verification (https://www.standardwebhooks.com), as Supabase Auth HTTP hooks
 * and (under `svix-` header names) Resend's webhooks send them: `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
 * (space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), keyed by the base64 part of
 * a `v1,whsec_<base64>` secret. Every failure is a 401 `not_authenticated`.
 */
import { ApiError } from "./errors.ts";

/** How far (seconds) the timestamp may be from now. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

function reject(message: string): ApiError {
  return new ApiError("not_authenticated", message, null, 401);
}

function base64ToBytes(b64: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The HMAC keys of a secret: `v1,whsec_<base64>` or `whsec_<base64>`; several may be joined with `|`. */
export function webhookKeys(secret: string): Uint8Array[] {
  return secret.split("|").map((s) => s.trim().replace(/^v1,/, "").replace(/^whsec_/, "")).map((b64) => {
    const key = base64ToBytes(b64);
    if (!key || key.length === 0) throw new Error("webhook secret is not valid base64");
    return key;
  });
}

/**
 * Verifies a webhook request against `secret` and returns its raw body. The signature check is
 * WebCrypto HMAC verify, which compares in constant time. `headerPrefix` names the headers:
 * `webhook` (Standard Webhooks: `webhook-id`, ...) or `svix` (Svix, which Resend uses: `svix-id`,
 * `svix-timestamp`, `svix-signature`; the same scheme under other names).
 */
export async function verifyWebhook(req: Request, secret: string, now: number = Date.now(),
                                    headerPrefix: "webhook" | "svix" = "webhook"): Promise<string> {
  const id = req.headers.get(`${headerPrefix}-id`);
  const timestamp = req.headers.get(`${headerPrefix}-timestamp`);
  const signatures = req.headers.get(`${headerPrefix}-signature`);
  if (!id || !timestamp || !signatures) throw reject("Missing webhook signature headers");
  if (!/^\d{1,12}$/.test(timestamp)) throw reject("Invalid webhook timestamp");
  if (Math.abs(now / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) throw reject("Webhook timestamp too old or too new");

  const body = await req.text();
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const candidates = signatures.split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => base64ToBytes(s.slice(3)))
    .filter((b): b is Uint8Array => b !== undefined && b.length === 32);
  for (const raw of webhookKeys(secret)) {
    const key = await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const signature of candidates) {
      if (await crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, signed)) return body;
    }
  }
  throw reject("Invalid webhook signature");
}
