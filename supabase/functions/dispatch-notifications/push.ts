/**
 * Web Push for the dispatcher: `web-push` builds each request (RFC 8291 aes128gcm encryption to the
 * subscription's p256dh/auth keys, RFC 8292 VAPID JWT signed with `VAPID_PRIVATE_KEY`, TTL and Urgency
 * of the kind) and Deno's fetch sends it. One delivery goes to every subscription of the user:
 * 201/202 marks the subscription used; 404/410 (the push service forgot it) deletes it; 429/5xx and
 * network errors are transient; other 4xx are permanent for that subscription, and so is a request that cannot
 * be built for it (keys that are not a usable P-256 key and auth secret): that subscription is then disabled
 * (disabled_cause keys, with the reason) so that it stops failing every push, until its owner registers it
 * again or its keys change.
 * Each device's outcome is recorded (private.push_delivery_devices), and a retry goes only to the devices
 * that failed transiently: those that got it are never sent it again, those that answered for good are
 * left alone. Whatever is written back to push_subscriptions (the delete after 404/410, last_used_at) is scoped
 * to the recipient and the endpoint that answered: a shared browser's row moves to the next user who registers
 * it (same id), and the previous user's push must never delete or mark it. The delivery is retried while a device is still to retry, sent when every device is done
 * and at least one got it (or, when the retries run out, a device got it: see
 * private.push_delivery_given_up), cancelled when the user has no subscription left, failed otherwise.
 *
 * Only push services are posted to: before each send the database's one definition of an allowed endpoint
 * (private.push_endpoint_problem: the built-in push service hosts plus private.push_service_hosts) is asked
 * again, so a row written earlier or by another path, or a host since removed from the list, is never
 * contacted; such a subscription counts as a permanent failure, with the reason, and is disabled (not deleted:
 * a host missing from the list, or removed for a while, must not cost users their push for good; listing it again
 * re-enables the row, see private.reenable_push_subscriptions). A disabled row whose host is still refused, and a row
 * disabled for its keys, are skipped silently (no push is queued for a user with only such rows). These write-backs
 * go through private.record_push_subscription_states, which asks private.push_endpoint_problem again at that moment
 * (the operator may have listed or removed the host while the pushes were out). Redirects
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
  /** Disabled by an earlier send (disabled_at is set). */
  disabled: boolean;
  /** What disabled it: endpoint or keys; null while enabled. */
  cause: string | null;
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
        previousZoneAbbreviation: c.previous_zone_abbreviation, kind: c.session_kind, hostName: c.host_name,
        notice: c.notice_title ? { title: c.notice_title, body: c.notice_body } : null,
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

/** What one device made of one attempt (a row of private.push_delivery_devices). */
interface DeviceOutcome {
  subscription_id: string;
  endpoint_host: string;
  status: "sent" | "retry" | "gone" | "failed" | "refused";
  http_status: number | null;
  error: string | null;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host.slice(0, 300);
  } catch {
    return "(not a URL)";
  }
}

export function pushSender(
  vapid: VapidConfig,
  kindSettings: (kind: string) => PushKindSettings,
  urlOf: (d: Delivery, c: DeliveryContext) => string | null,
): ChannelSender {
  return async (d: Delivery & { notification_id?: string | null }, c: DeliveryContext): Promise<Result> => {
    const base = { id: d.id, attempt: d.attempts };
    if (!c.push_enabled) return { ...base, outcome: "cancelled", error: "push turned off" };
    const [subs, prior] = await asCaller(SERVICE, async (tx) => [
      await tx<Subscription[]>`select id, endpoint, p256dh, auth, private.push_endpoint_problem(endpoint) as refused,
                                      disabled_at is not null as disabled, disabled_cause as cause
                               from public.push_subscriptions where user_id = ${d.user_id}`,
      await tx<(DeviceOutcome & { attempts: number })[]>`
        select subscription_id, endpoint_host, status, http_status, error, attempts
        from private.push_delivery_devices where delivery_id = ${d.id}`,
    ] as const);
    // First attempt: every device of the user but those disabled earlier for their keys, or for their endpoint
    // and still refused. A retry: only the devices still to retry.
    const retrying = prior.length > 0;
    const pending = new Set(prior.filter((p) => p.status === "retry").map((p) => p.subscription_id));
    const targets = retrying
      ? subs.filter((s) => pending.has(s.id))
      : subs.filter((s) => !s.disabled || (s.cause !== "keys" && !s.refused));
    if (!retrying && targets.length === 0) {
      return { ...base, outcome: "cancelled", error: subs.length ? "every push subscription is disabled" : "no push subscription" };
    }
    const settings = kindSettings(d.kind);
    const payload = pushPayload(d, c, urlOf(d, c), d.notification_id ?? null);
    const now: DeviceOutcome[] = [];
    const unusableKeys: { id: string; endpoint: string; state: "unusable_keys"; p256dh: string; auth: string; reason: string }[] = [];
    let retryAfter: number | undefined;
    // A device to retry that is no longer among the user's subscriptions: unsubscribed, or the browser moved
    // to another user (register_push_subscription keeps the row's id). Nothing is sent and nothing deleted:
    // the row, if any, is someone else's now.
    for (const p of prior) {
      if (p.status === "retry" && !subs.some((s) => s.id === p.subscription_id)) {
        now.push({ ...p, status: "gone", error: "unsubscribed before the retry (or moved to another user): not sent" });
      }
    }
    // The VAPID keys are checked once: a bad key is the operator's (every device would fail alike), so the
    // delivery is retried whole; an error building one device's request below is that subscription's own.
    if (targets.some((t) => !t.refused)) {
      try {
        webpush.getVapidHeaders("https://push.invalid", vapid.subject, vapid.publicKey, vapid.privateKey, "aes128gcm");
      } catch (err) {
        return { ...base, outcome: "retry", error: `VAPID configuration: ${(err as Error).message}`.slice(0, 1000) };
      }
    }
    for (const sub of targets) {
      const host = hostOf(sub.endpoint);
      if (sub.refused) {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "refused", http_status: null,
          error: `not sent, disabled: ${sub.refused}`.slice(0, 300) });
        continue;
      }
      let status: number;
      let text = "";
      let req: ReturnType<typeof webpush.generateRequestDetails>;
      try {
        req = webpush.generateRequestDetails(
          { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
          payload,
          { vapidDetails: vapid, TTL: settings.ttlSeconds, urgency: settings.urgency, topic: undefined },
        );
      } catch (err) {
        // The subscription's keys cannot be encrypted to (a p256dh that is not a P-256 point, a key or secret
        // of the wrong length): no retry can fix that, so this device fails for good and the others go on; the
        // subscription is disabled (it would fail every push, and as the only device fail every delivery).
        const reason = `the subscription's keys are unusable: ${(err as Error).message}`.slice(0, 300);
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "failed", http_status: null,
          error: `not sent, ${reason}`.slice(0, 300) });
        unusableKeys.push({ id: sub.id, endpoint: sub.endpoint, state: "unusable_keys", p256dh: sub.p256dh, auth: sub.auth, reason });
        continue;
      }
      try {
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
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "retry", http_status: null,
          error: (err as Error).message.slice(0, 300) });
        continue;
      }
      const answer = (what: string) => `${status} ${what}`.trim().slice(0, 300);
      if (status >= 200 && status < 300) {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "sent", http_status: status, error: null });
      } else if (status === 404 || status === 410) {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "gone", http_status: status,
          error: answer("gone, subscription deleted") });
      } else if (status === 429 || status >= 500) {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "retry", http_status: status, error: answer(text) });
      } else if (status >= 300 && status < 400) {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "failed", http_status: status,
          error: answer("redirect not followed") });
      } else {
        now.push({ subscription_id: sub.id, endpoint_host: host, status: "failed", http_status: status, error: answer(text) });
      }
    }
    // Writes back to push_subscriptions touch only a row that is still the recipient's with the endpoint the
    // outcome is for: the row may have moved to another user (a shared browser) or changed meanwhile.
    const endpointOf = new Map(targets.map((s) => [s.id, s.endpoint]));
    const rows = (...statuses: DeviceOutcome["status"][]) =>
      now.filter((o) => statuses.includes(o.status) && endpointOf.has(o.subscription_id))
        .map((o) => ({ id: o.subscription_id, endpoint: endpointOf.get(o.subscription_id)! }));
    // Refused endpoints are disabled, a disabled endpoint allowed again enabled, unusable keys disabled: by
    // private.record_push_subscription_states, first in the transaction (it may wait for an edit of the host list).
    const states = [
      ...now.filter((o) => o.status === "refused" && endpointOf.has(o.subscription_id))
        .map((o) => ({ id: o.subscription_id, endpoint: endpointOf.get(o.subscription_id)!, state: "refused" })),
      ...targets.filter((t) => t.disabled && !t.refused && t.cause !== "keys")
        .map((t) => ({ id: t.id, endpoint: t.endpoint, state: "allowed" })),
      ...unusableKeys,
    ];
    await asCaller(SERVICE, async (tx) => {
      if (states.length) {
        await tx`select private.record_push_subscription_states(${d.user_id}, ${tx.json(states as never)})`;
      }
      if (now.length) {
        await tx`insert into private.push_delivery_devices as pd
                   (delivery_id, subscription_id, endpoint_host, status, http_status, error)
                 select ${d.id}, x.subscription_id, x.endpoint_host, x.status, x.http_status, x.error
                 from jsonb_to_recordset(${tx.json(now as never)}) as x (subscription_id uuid, endpoint_host text,
                                                                       status text, http_status int, error text)
                 on conflict (delivery_id, subscription_id) do update
                   set status = excluded.status, http_status = excluded.http_status, error = excluded.error,
                       attempts = pd.attempts + 1, updated_at = now()`;
      }
      const sent = rows("sent");
      if (sent.length) {
        await tx`update public.push_subscriptions ps set last_used_at = now()
                 from jsonb_to_recordset(${tx.json(sent as never)}) as x (id uuid, endpoint text)
                 where ps.id = x.id and ps.user_id = ${d.user_id} and ps.endpoint = x.endpoint`;
      }
      const drop = rows("gone");
      if (drop.length) {
        await tx`delete from public.push_subscriptions ps
                 using jsonb_to_recordset(${tx.json(drop as never)}) as x (id uuid, endpoint text)
                 where ps.id = x.id and ps.user_id = ${d.user_id} and ps.endpoint = x.endpoint`;
      }
    });
    // The delivery's outcome from every device's latest state.
    const state = new Map<string, DeviceOutcome>(prior.map((p) => [p.subscription_id, p]));
    for (const o of now) state.set(o.subscription_id, o);
    const all = [...state.values()];
    const count = (status: DeviceOutcome["status"]) => all.filter((o) => o.status === status).length;
    const describe = (o: DeviceOutcome) => `${o.endpoint_host} (subscription ${o.subscription_id}): ${o.status}` +
      (o.error ? ` ${o.error}` : "");
    const problems = [
      ...all.filter((o) => o.status === "retry"),
      ...all.filter((o) => o.status === "failed" || o.status === "refused" || o.status === "gone"),
    ].map(describe);
    const error = problems.length ? problems.join("; ").slice(0, 1000) : undefined;
    const provider_message_id = `push:${count("sent")}/${all.length}`;
    if (count("retry")) return { ...base, outcome: "retry", error, provider_message_id, retry_after_seconds: retryAfter };
    if (count("sent")) return { ...base, outcome: "sent", provider_message_id, error };
    if (count("failed") || count("refused")) return { ...base, outcome: "failed", provider_message_id, error };
    return { ...base, outcome: "cancelled", provider_message_id, error: error ?? "no push subscription left" };
  };
}
