/** Test helpers: env defaults (only when not provided), JWT minting, Standard Webhooks signing. */
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import postgres from "postgres";

export const TEST_HOOK_SECRET = "v1,whsec_" + btoa("test-signup-hook-secret-0123456789");

function defaultEnv(name: string, value: string): void {
  if (!Deno.env.get(name)) Deno.env.set(name, value);
}
defaultEnv("SUPABASE_JWT_SECRET", "super-secret-jwt-token-with-at-least-32-characters-long");
defaultEnv("SIGNUP_HOOK_SECRET", TEST_HOOK_SECRET);
// Request log lines would flood the test output; tests/http.test.ts turns them on to check them.
defaultEnv("REQUEST_LOG", "off");

export function jwtSecret(): string {
  return Deno.env.get("SUPABASE_JWT_SECRET") || Deno.env.get("JWT_SECRET")!;
}

/** An HS256 token like Supabase Auth issues; `expiresIn` in seconds (negative = already expired). */
export function mintJwt(
  claims: Record<string, unknown>,
  { secret = jwtSecret(), expiresIn = 3600 }: { secret?: string; expiresIn?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** A separate connection as `postgres` (the owner role), for fixtures. Close it with `.end()`. */
export function adminDb(): postgres.Sql {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return postgres(url, { max: 1, prepare: false, onnotice: () => {} });
}

/** Deliveries queued or in flight before a dispatcher test, held back an hour so the test's dispatches see
 * only its own; `release` puts each back as it was. */
export async function holdOtherDeliveries(sql: postgres.Sql): Promise<{ release: () => Promise<void> }> {
  const held = await sql<{ id: string; next_attempt_at: Date }[]>`
    update public.notification_deliveries d set next_attempt_at = d.next_attempt_at + interval '1 hour'
    where d.status in ('queued', 'sending')
    returning d.id, d.next_attempt_at - interval '1 hour' as next_attempt_at`;
  return {
    release: async () => {
      for (const h of held) {
        await sql`update public.notification_deliveries set next_attempt_at = ${h.next_attempt_at} where id = ${h.id}`;
      }
    },
  };
}

/** Standard Webhooks headers for `body`, signed with a `v1,whsec_<base64>` secret; with headerPrefix
 * "svix", the same signature under Svix's header names (as Resend sends them). */
export function signWebhook(
  body: string,
  {
    secret = Deno.env.get("SIGNUP_HOOK_SECRET")!,
    id = crypto.randomUUID(),
    timestamp = Math.floor(Date.now() / 1000),
    headerPrefix = "webhook",
  }: {
    secret?: string;
    id?: string;
    timestamp?: number;
    headerPrefix?: "webhook" | "svix";
  } = {},
): Record<string, string> {
  const key = Uint8Array.from(atob(secret.replace(/^v1,/, "").replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    "content-type": "application/json",
    [`${headerPrefix}-id`]: id,
    [`${headerPrefix}-timestamp`]: String(timestamp),
    [`${headerPrefix}-signature`]: `v1,${signature}`,
  };
}
