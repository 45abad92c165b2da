/**
 * Supabase Auth "before user created" HTTP hook: checks the Standard Webhooks signature, then the
 * sign-up metadata. Allows with `{}`, rejects with the hook's `{"error":{"http_code":400,"message"}}`.
 */
import { json, handle, requireMethod } from "../_shared/http.ts";
import { verifyWebhook } from "../_shared/webhook.ts";
import { metadataProblems } from "./validate.ts";

const rejectSignup = (message: string) => json({ error: { http_code: 400, message } });

export const handler = handle(async (req) => {
  requireMethod(req, "POST");
  const secret = Deno.env.get("SIGNUP_HOOK_SECRET");
  if (!secret) throw new Error("SIGNUP_HOOK_SECRET is not set");
  const body = await verifyWebhook(req, secret);

  let event: { user?: { user_metadata?: unknown } } | null;
  try {
    event = JSON.parse(body);
  } catch {
    return rejectSignup("Invalid sign-up request: the body is not JSON");
  }
  if (!event || typeof event !== "object") return rejectSignup("Invalid sign-up request: expected a JSON object");

  const problems = metadataProblems(event.user?.user_metadata);
  return problems ? rejectSignup(problems) : json({});
});
