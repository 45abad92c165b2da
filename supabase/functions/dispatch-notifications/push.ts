/**
 * Web Push for the dispatcher: `web-push` builds each request (RFC 8291 aes128gcm encryption to the
 * subscription's p256dh/auth keys, RFC 8292 VAPID JWT signed with `VAPID_PRIVATE_KEY`, TTL and Urgency
 * of the kind) and Deno's fetch sends it. One delivery goes to every subscription of the user:
 * 201/202 marks the subscription used; 404/410 (the push service forgot it) deletes it; 429/5xx and
 * network errors are transient; other 4xx are permanent for that subscription.
 * The delivery is sent when at least one device accepted it, retried when none did and one failed
 * transiently, cancelled when the user has no subscription left, failed otherwise.
 *
 * Only push services are posted to: before each send the database's one definition of an allowed endpoint
 * (private.push_endpoint_problem: the built-in push service hosts plus private.push_service_hosts) is asked
 * again, so a row written earlier or by another path, or a host since removed from the list, is never
 * contacted; such a subscription is deleted and counts as a permanent failure, with the reason. Redirects
 * are not followed (a push service answers 201; a 3xx is a permanent failure for that device).
 *
 * `PUSH_CA_CERT` (PEM) adds a trusted CA for push services with a private certificate (tests, on-premise
 * push services); public push services need nothing.
 */
import webpush from "web-push";
import { asCaller } from "../_shared/db.ts";
import type { ChannelSender, Delivery, DeliveryContext, Result } from "./handler.ts";
import { renderMessage } from "./templates.ts";

const SERVICE = { role: "service_role" as const, iss: "supabase" };

export interface VapidConfig {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** VAPID keys from env, or null when Web Push is not configured. */
export function vapidConfig(): VapidConfig | null {
  const publicKey = Deno.env.get("VAPID_PUBLIC_KEY");
  const privateKey = Deno.env.get("VAPID_PRIVATE_KEY");
  const subject = Deno.env.get("VAPID_SUBJECT") || "mailto:no-reply@live-sessions.invalid";
  return publicKey && privateKey ? { publicKey, privateKey, subject } : null;
}

interface Subscription {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  /** Why the endpoint is not an allowed push service (private.push_endpoint_problem), or null. */
  refused: string | null;
}

export interface PushKindSettings {
  ttlSeconds: number;
  urgency: "very-low" | "low" | "normal" | "high";
}

let client: { ca: string; client: Deno.HttpClient } | undefined;
function httpClient(): Deno.HttpClient | undefined {
  const ca = Deno.env.get("PUSH_CA_CERT");
  if (!ca) return undefined;
  if (client?.ca !== ca) {
    client?.client.close();
    client = { ca, client: Deno.createHttpClient({ caCerts: [ca] }) };
  }
  return client.client;
}

/** The JSON the service worker receives (at most ~3 KB: push services accept 4 KB of ciphertext). */
export function pushPayload(d: Delivery, c: DeliveryContext, url: string | null, notificationId: string | null): string {
  const msg = renderMessage({
    kind: d.kind,
    payload: d.payload,
    locale: c.locale,
    timezone: c.timezone,
    displayName: c.display_name,
    session: c.session_id && c.starts_at && c.session_title
      ? {
        title: c.session_title, startsAt: c.starts_at, status: c.session_status ?? "scheduled",
        cancelReason: c.cancel_reason, zoneAbbreviation: c.zone_abbreviation, bookingStatus: c.booking_status,
        previousZoneAbbreviation: c.previous_zone_abbreviation,
      }
      : null,
    url,
  });
  return JSON.stringify({
    kind: d.kind,
    title: msg.subject.slice(0, 200),
    body: msg.lines.join("\n").slice(0, 1000),
    url,
    notification_id: notificationId,
    tag: `${d.kind}:${(d.payload.data?.session_id as string | undefined) ?? d.id}`,
    lang: msg.lang,
  });
}

export function pushSender(
  vapid: VapidConfig,
  kindSettings: (kind: string) => PushKindSettings,
  urlOf: (d: Delivery, c: DeliveryContext) => string | null,
): ChannelSender {
  return async (d: Delivery & { notification_id?: string | null }, c: DeliveryContext): Promise<Result> => {
    const base = { id: d.id, attempt: d.attempts };
    if (!c.push_enabled) return { ...base, outcome: "cancelled", error: "push turned off" };
    const subs = await asCaller(SERVICE, (tx) =>
      tx<Subscription[]>`select id, endpoint, p256dh, auth, private.push_endpoint_problem(endpoint) as refused
                         from public.push_subscriptions where user_id = ${d.user_id}`
    );
    if (subs.length === 0) return { ...base, outcome: "cancelled", error: "no push subscription" };
    const settings = kindSettings(d.kind);
    const payload = pushPayload(d, c, urlOf(d, c), d.notification_id ?? null);
    const ok: string[] = [], gone: string[] = [], refused: string[] = [];
    const transient: string[] = [], permanent: string[] = [];
    let retryAfter: number | undefined;
    for (const sub of subs) {
      if (sub.refused) {
        refused.push(sub.id);
        permanent.push(`subscription ${sub.id} refused, not sent, deleted: ${sub.refused}`);
        continue;
      }
      let status: number;
      let text = "";
      try {
        const req = webpush.generateRequestDetails(
          { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
          payload,
          { vapidDetails: vapid, TTL: settings.ttlSeconds, urgency: settings.urgency, topic: undefined },
        );
        const res = await fetch(req.endpoint, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: req.body as Uint8Array,
          signal: AbortSignal.timeout(Number(Deno.env.get("PUSH_TIMEOUT_MS") ?? 10_000)),
          client: httpClient(),
          redirect: "manual",
        } as RequestInit);
        status = res.status;
        text = (await res.text()).slice(0, 200);
        const after = Number(res.headers.get("Retry-After"));
        if (Number.isFinite(after) && after > 0) retryAfter = Math.max(retryAfter ?? 0, after);
      } catch (err) {
        transient.push(`${new URL(sub.endpoint).host}: ${(err as Error).message}`.slice(0, 200));
        continue;
      }
      if (status >= 200 && status < 300) ok.push(sub.id);
      else if (status === 404 || status === 410) gone.push(sub.id);
      else if (status === 429 || status >= 500) transient.push(`${new URL(sub.endpoint).host}: ${status} ${text}`);
      else if (status >= 300 && status < 400) {
        permanent.push(`${new URL(sub.endpoint).host}: ${status} redirect not followed`);
      } else permanent.push(`${new URL(sub.endpoint).host}: ${status} ${text}`);
    }
    await asCaller(SERVICE, async (tx) => {
      if (ok.length) await tx`update public.push_subscriptions set last_used_at = now() where id = any(${ok}::uuid[])`;
      if (gone.length || refused.length) {
        await tx`delete from public.push_subscriptions where id = any(${[...gone, ...refused]}::uuid[])`;
      }
    });
    const errors = [...transient, ...permanent, ...gone.map((id) => `subscription ${id} gone (404/410), deleted`)];
    const error = errors.length ? errors.join("; ").slice(0, 1000) : undefined;
    if (ok.length) return { ...base, outcome: "sent", provider_message_id: `push:${ok.length}/${subs.length}`, error };
    if (transient.length) return { ...base, outcome: "retry", error, retry_after_seconds: retryAfter };
    if (permanent.length) return { ...base, outcome: "failed", error };
    return { ...base, outcome: "cancelled", error };
  };
}
