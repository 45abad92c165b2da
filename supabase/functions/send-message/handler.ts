/**
 * POST /send-message {session_id, body, room_id?, kind?, client_id?} with a user JWT: posts one chat
 * message through `send_chat_message` as the caller and answers 201 with the stored row. Every rule
 * (membership, bans, chat settings, body length, slow mode, rate limit) lives in that RPC; this
 * adapter only checks the shape of the JSON (zod) and turns the RPC's errors into HTTP
 * (403/404/409/429 with Retry-After ...) through the shared error shape.
 *
 * Idempotent sends: a client id (a UUID the client makes per message) in the `Idempotency-Key` header
 * or the body's `client_id` is passed through, so a retry after a timeout answers the message the
 * first call posted (201 again, same row) instead of posting it twice. Both given and different: 400.
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
  client_id: z.string().uuid().nullish(),
}).strict();

/** The client id of the request: the Idempotency-Key header or the body's client_id (null: none). */
export function clientId(req: Request, input: z.infer<typeof SendMessageInput>): string | null {
  const header = req.headers.get("idempotency-key")?.trim();
  const body = input.client_id ?? null;
  if (header === undefined || header === "") return body;
  if (!z.string().uuid().safeParse(header).success) {
    throw new ApiError("invalid_input", "The Idempotency-Key header must be a UUID", {
      formErrors: [], fieldErrors: { "Idempotency-Key": ["must be a UUID"] },
    });
  }
  if (body !== null && body.toLowerCase() !== header.toLowerCase()) {
    throw new ApiError("invalid_input", "The Idempotency-Key header and client_id differ", {
      formErrors: [], fieldErrors: { client_id: ["differs from the Idempotency-Key header"] },
    });
  }
  return header;
}

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
  const client = clientId(req, input);
  const [message] = await asCaller(claims, (tx) =>
    tx`select m.* from public.send_chat_message(
         ${input.session_id}::uuid, ${input.body}, ${input.room_id ?? null}::uuid, ${input.kind ?? "message"},
         ${client}::uuid) m`
  );
  return json(message, 201);
});
