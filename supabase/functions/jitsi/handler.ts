/**
 * GET /jitsi/sessions/<id> with a user JWT: the session's Jitsi room for its staff and confirmed
 * attendees, from 10 minutes before the start until the end: `{domain, room, jwt, url}`. Who and when
 * is decided by `public.jitsi_access(session_id)` as the caller (401/403/404 in the shared error shape);
 * this adapter derives the room name and signs the token.
 *
 * Room: `ls` + 32 hex characters of HMAC-SHA256(JITSI_ROOM_SECRET, "jitsi-room:" + session id):
 * stable per session, unguessable without the server secret (falls back to SUPABASE_JWT_SECRET, which
 * never leaves the server either).
 *
 * Token (Jitsi token authentication), chosen by the environment:
 *   - JITSI_PRIVATE_KEY (PKCS#8 PEM), JITSI_KEY_ID and JITSI_APP_ID: RS256 for 8x8 JaaS (header kid =
 *     JITSI_KEY_ID; iss "chat", aud "jitsi", sub = JITSI_APP_ID); domain 8x8.vc, url
 *     https://8x8.vc/<app id>/<room>, room answered as "<app id>/<room>" (the IFrame API's roomName);
 *   - JITSI_APP_ID and JITSI_APP_SECRET: HS256 for a self-hosted Jitsi with token auth (iss = app id,
 *     aud = JITSI_AUDIENCE or "jitsi", sub = domain);
 *   - neither: no token (jwt null), for meet.jit.si's unauthenticated rooms.
 * Both tokens carry room, nbf (the room's opening), exp (its end plus 15 minutes, at least 5 minutes
 * from now), iat and context.user {id, name, avatar, email, moderator (true for staff)}.
 * JITSI_DOMAIN overrides the domain (default meet.jit.si; 8x8.vc with JaaS).
 */
import { importPKCS8, SignJWT } from "jose";
import { authenticate } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";

const PATH = /^(?:\/functions\/v1)?\/jitsi\/sessions\/([^/]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXP_GRACE_SECONDS = 15 * 60;

/** What jitsi_access answers. */
interface Access {
  session_id: string;
  user_id: string;
  moderator: boolean;
  display_name: string | null;
  avatar_url: string | null;
  opens_at: string;
  ends_at: string;
}

type Mode = { kind: "jaas"; appId: string; keyId: string; privateKey: string }
  | { kind: "hs256"; appId: string; secret: string; audience: string }
  | { kind: "none" };

const env = (name: string): string | undefined => Deno.env.get(name)?.trim() || undefined;

/** The signing mode from the environment, read per request (a misconfiguration is a 500). */
export function jitsiMode(): Mode {
  const privateKey = env("JITSI_PRIVATE_KEY");
  const appId = env("JITSI_APP_ID");
  if (privateKey) {
    const keyId = env("JITSI_KEY_ID");
    if (!appId || !keyId) throw new Error("JITSI_PRIVATE_KEY needs JITSI_APP_ID and JITSI_KEY_ID");
    return { kind: "jaas", appId, keyId, privateKey: privateKey.replaceAll("\\n", "\n") };
  }
  const secret = env("JITSI_APP_SECRET");
  if (appId && secret) return { kind: "hs256", appId, secret, audience: env("JITSI_AUDIENCE") ?? "jitsi" };
  if (appId || secret) throw new Error("JITSI_APP_ID and JITSI_APP_SECRET go together");
  return { kind: "none" };
}

/** The stable, unguessable room name of a session. */
export async function roomName(sessionId: string): Promise<string> {
  const secret = env("JITSI_ROOM_SECRET") ?? env("SUPABASE_JWT_SECRET") ?? env("JWT_SECRET");
  if (!secret) throw new Error("JITSI_ROOM_SECRET (or SUPABASE_JWT_SECRET) is not set");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" },
    false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`jitsi-room:${sessionId.toLowerCase()}`)));
  return "ls" + Array.from(mac.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

function userContext(access: Access, email: string | undefined) {
  return {
    user: {
      id: access.user_id,
      name: access.display_name ?? "",
      avatar: access.avatar_url ?? "",
      email: email ?? "",
      moderator: access.moderator,
    },
  };
}

function window(access: Access): { nbf: number; exp: number; iat: number } {
  const now = Math.floor(Date.now() / 1000);
  const nbf = Math.floor(Date.parse(access.opens_at) / 1000);
  const exp = Math.max(Math.floor(Date.parse(access.ends_at) / 1000) + EXP_GRACE_SECONDS, now + 300);
  return { nbf: Math.min(nbf, now), exp, iat: now };
}

export const handler = handle(async (req) => {
  requireMethod(req, "GET");
  const match = PATH.exec(new URL(req.url).pathname);
  if (!match) throw new ApiError("not_found", "No room at this path");
  const claims = await authenticate(req);
  const sessionId = decodeURIComponent(match[1]);
  if (!UUID.test(sessionId)) throw new ApiError("not_found", "Session not found", { session_id: sessionId });
  const mode = jitsiMode();
  const [row] = await asCaller(claims, (tx) => tx`select public.jitsi_access(${sessionId}::uuid) as access`);
  const access = row.access as Access;
  const room = await roomName(access.session_id);
  const email = typeof claims.email === "string" ? claims.email : undefined;
  const { nbf, exp, iat } = window(access);

  if (mode.kind === "jaas") {
    const domain = env("JITSI_DOMAIN") ?? "8x8.vc";
    const key = await importPKCS8(mode.privateKey, "RS256");
    const jwt = await new SignJWT({
      room,
      context: { ...userContext(access, email), features: { livestreaming: false, recording: false, transcription: false } },
    })
      .setProtectedHeader({ alg: "RS256", kid: mode.keyId, typ: "JWT" })
      .setIssuer("chat").setAudience("jitsi").setSubject(mode.appId)
      .setIssuedAt(iat).setNotBefore(nbf).setExpirationTime(exp)
      .sign(key);
    return json({ domain, room: `${mode.appId}/${room}`, jwt, url: `https://${domain}/${mode.appId}/${room}?jwt=${jwt}` });
  }
  const domain = env("JITSI_DOMAIN") ?? "meet.jit.si";
  if (mode.kind === "hs256") {
    const jwt = await new SignJWT({ room, context: userContext(access, email) })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(mode.appId).setAudience(mode.audience).setSubject(domain)
      .setIssuedAt(iat).setNotBefore(nbf).setExpirationTime(exp)
      .sign(new TextEncoder().encode(mode.secret));
    return json({ domain, room, jwt, url: `https://${domain}/${room}?jwt=${jwt}` });
  }
  return json({ domain, room, jwt: null, url: `https://${domain}/${room}` });
});
