/** GET /health: verifies the caller's JWT and asks the database, as that caller, who it is. */
import { authenticate } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";

export const handler = handle(async (req) => {
  requireMethod(req, "GET");
  const claims = await authenticate(req);
  const [database] = await asCaller(claims, (tx) =>
    tx`select auth.uid() as user_id,
              auth.role() as role,
              current_user,
              now() as server_time,
              current_setting('server_version') as postgres_version`
  );
  return json({ status: "ok", database });
});
