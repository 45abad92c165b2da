/**
 * Signed, expiring unsubscribe tokens for the List-Unsubscribe links of notification emails:
 * `<base64url(JSON [user_id, kind, expires_unix])>.<base64url(HMAC-SHA256 of the first part)>`, keyed by
 * `UNSUBSCRIBE_SECRET`. They go in the URL path (/unsubscribe/<token>), which the request log redacts.
 */
import { ApiError } from "./errors.ts";

/** How long a link in an email keeps working (days). */
export const UNSUBSCRIBE_TOKEN_DAYS = 60;

export interface UnsubscribeClaims {
  userId: string;
  kind: string;
  /** Unix seconds. */
  expiresAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KIND = /^[a-z][a-z0-9_]{0,49}$/;

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The signing secret: `UNSUBSCRIBE_SECRET` (at least 32 characters). */
export function unsubscribeSecret(): string {
  const secret = Deno.env.get("UNSUBSCRIBE_SECRET") ?? "";
  if (secret.length < 32) throw new Error("UNSUBSCRIBE_SECRET is not set (at least 32 characters)");
  return secret;
}

async function hmac(secret: string, data: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" },
    false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)));
}

export async function signUnsubscribeToken(
  userId: string,
  kind: string,
  { secret = unsubscribeSecret(), expiresAt = Math.floor(Date.now() / 1000) + UNSUBSCRIBE_TOKEN_DAYS * 86400 } = {},
): Promise<string> {
  const body = base64url(new TextEncoder().encode(JSON.stringify([userId, kind, expiresAt])));
  return `${body}.${base64url(await hmac(secret, body))}`;
}

/** The token's claims; 400 invalid_input (reason bad_token or expired) otherwise. */
export async function verifyUnsubscribeToken(
  token: string,
  { secret = unsubscribeSecret(), now = Date.now() } = {},
): Promise<UnsubscribeClaims> {
  const bad = (reason: string, message: string) => new ApiError("invalid_input", message, { reason });
  const [body, signature, extra] = token.split(".");
  if (!body || !signature || extra !== undefined || token.length > 400) throw bad("bad_token", "This unsubscribe link is not valid");
  const given = fromBase64url(signature);
  const expected = await hmac(secret, body);
  // Constant-time comparison.
  let diff = given?.length === expected.length ? 0 : 1;
  for (let i = 0; i < expected.length; i++) diff |= (given?.[i] ?? 0) ^ expected[i];
  if (diff !== 0) throw bad("bad_token", "This unsubscribe link is not valid");
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
  } catch {
    throw bad("bad_token", "This unsubscribe link is not valid");
  }
  if (!Array.isArray(claims) || claims.length !== 3) throw bad("bad_token", "This unsubscribe link is not valid");
  const [userId, kind, expiresAt] = claims;
  if (typeof userId !== "string" || !UUID.test(userId) || typeof kind !== "string" || !KIND.test(kind) ||
    typeof expiresAt !== "number") {
    throw bad("bad_token", "This unsubscribe link is not valid");
  }
  if (expiresAt * 1000 < now) throw bad("expired", "This unsubscribe link has expired: change your preferences in the app");
  return { userId, kind, expiresAt };
}

/** Public base URL of the functions: `FUNCTIONS_BASE_URL`, else `SUPABASE_URL`/functions/v1, else local. */
export function functionsBaseUrl(): string {
  const explicit = Deno.env.get("FUNCTIONS_BASE_URL");
  if (explicit) return explicit.replace(/\/+$/, "");
  const supabase = Deno.env.get("SUPABASE_URL");
  if (supabase) return `${supabase.replace(/\/+$/, "")}/functions/v1`;
  return `http://127.0.0.1:${Deno.env.get("FUNCTIONS_PORT") ?? "54321"}/functions/v1`;
}

export function unsubscribeUrl(token: string): string {
  return `${functionsBaseUrl()}/unsubscribe/${token}`;
}
