/**
 * POST /send-message {session_id, body, room_id?, kind?} with a user JWT: posts one chat message
 * through `send_chat_message` as the caller and answers 201 with the stored row. Every rule
 * (membership, bans, chat settings, body length, slow mode, rate limit) lives in that RPC; this
 * adapter only checks the shape of the JSON (zod) and turns the RPC's errors into HTTP
 * (403/404/429 with Retry-After ...) through the shared error shape.
 */
import { z } from "zod";
import { authenticate } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";

/** Shape only: lengths, membership and the rest are the database's rules. */
export const SendMessageInput = z.object({
  session_id: z.string().uuid(),
  body: z.string(),
  room_id: z.string().uuid().nullish(),
  kind: z.enum(["message", "announcement"]).optional(),
}).strict();

async function readInput(req: Request): Promise<z.infer<typeof SendMessageInput>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new ApiError("invalid_input", "The body must be a JSON object", { formErrors: ["invalid JSON"], fieldErrors: {} });
  }
  const parsed = SendMessageInput.safeParse(raw);
  if (!parsed.success) throw new ApiError("invalid_input", "Invalid message", parsed.error.flatten());
  return parsed.data;
}

export const handler = handle(async (req) => {
  requireMethod(req, "POST");
  const claims = await authenticate(req);
  const input = await readInput(req);
  const [message] = await asCaller(claims, (tx) =>
    tx`select m.* from public.send_chat_message(
         ${input.session_id}::uuid, ${input.body}, ${input.room_id ?? null}::uuid, ${input.kind ?? "message"}) m`
  );
  return json(message, 201);
});
