/**
 * GET /push/vapid-public-key: the VAPID public key (base64url, uncompressed P-256 point) the frontend
 * passes to `pushManager.subscribe({ applicationServerKey })`. Public (no JWT): it is a public key.
 * 503 `service_unavailable` while `VAPID_PUBLIC_KEY` is not set.
 */
import { ApiError } from "../_shared/errors.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";

const PATH = /^(?:\/functions\/v1)?\/push\/vapid-public-key\/?$/;

export const handler = handle((req) => {
  requireMethod(req, "GET", "HEAD");
  if (!PATH.test(new URL(req.url).pathname)) throw new ApiError("not_found", "Unknown push endpoint");
  const key = Deno.env.get("VAPID_PUBLIC_KEY");
  if (!key) throw new ApiError("service_unavailable", "Web Push is not configured on this server");
  return json({ public_key: key }, 200, { "Cache-Control": "public, max-age=3600" });
});
