import assert from "node:assert/strict";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { adminDb, mintJwt } from "./helpers.ts";

Deno.test("health through the local router", async (t) => {
  Deno.env.set("ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000");
  const server = await startFunctionsServer(0);
  const admin = adminDb();
  const userId = crypto.randomUUID();
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  try {
    await admin`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
                values (${userId}, 'authenticated', 'authenticated', ${`health-${userId}@example.test`},
                        ${admin.json({ display_name: "Health Check" })}, now(), now())`;

    const get = (headers: HeadersInit = {}) => fetch(`${base}/health`, { headers });
    const expect401 = async (res: Response) => {
      const body = await res.json();
      assert.equal(res.status, 401);
      assert.equal(body.error.code, "not_authenticated");
      assert.equal(typeof body.error.message, "string");
      assert.ok("details" in body.error);
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
    };

    await t.step("a valid JWT gets the database's view of the caller", async () => {
      const token = await mintJwt({ sub: userId, role: "authenticated", aud: "authenticated", email: `health-${userId}@example.test` });
      const res = await get({ Authorization: `Bearer ${token}` });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, "ok");
      assert.equal(body.database.user_id, userId);
      assert.equal(body.database.role, "authenticated");
      assert.equal(body.database.current_user, "authenticated");
      assert.ok(!Number.isNaN(Date.parse(body.database.server_time)));
      assert.match(body.database.postgres_version, /^\d+/);
    });

    await t.step("the anon role is answered as anon", async () => {
      const res = await get({ Authorization: `Bearer ${await mintJwt({ role: "anon" })}` });
      const body = await res.json();
      assert.equal(res.status, 200);
      assert.equal(body.database.user_id, null);
      assert.equal(body.database.current_user, "anon");
    });

    await t.step("no JWT -> 401", async () => expect401(await get()));
    await t.step("malformed JWT -> 401", async () => expect401(await get({ Authorization: "Bearer not.a.jwt" })));
    await t.step("wrong-secret JWT -> 401", async () => {
      const token = await mintJwt({ sub: userId, role: "authenticated" }, { secret: "another-secret-with-at-least-32-characters!!" });
      await expect401(await get({ Authorization: `Bearer ${token}` }));
    });
    await t.step("expired JWT -> 401", async () => {
      const token = await mintJwt({ sub: userId, role: "authenticated" }, { expiresIn: -120 });
      await expect401(await get({ Authorization: `Bearer ${token}` }));
    });
    await t.step("a role outside anon/authenticated/service_role -> 401", async () => {
      await expect401(await get({ Authorization: `Bearer ${await mintJwt({ role: "postgres" })}` }));
    });

    await t.step("POST -> 405 in the error shape", async () => {
      const res = await fetch(`${base}/health`, { method: "POST" });
      const body = await res.json();
      assert.equal(res.status, 405);
      assert.equal(body.error.code, "method_not_allowed");
    });

    await t.step("OPTIONS preflight: CORS headers for an allowed origin only", async () => {
      const preflight = (origin: string) =>
        fetch(`${base}/health`, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
        });
      const allowed = await preflight("https://app.example.com");
      await allowed.body?.cancel();
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.com");
      assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /GET/);
      assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /authorization/);
      assert.match(allowed.headers.get("vary") ?? "", /Origin/);

      const denied = await preflight("https://evil.example.com");
      await denied.body?.cancel();
      assert.equal(denied.status, 204);
      assert.equal(denied.headers.get("access-control-allow-origin"), null);
      assert.equal(denied.headers.get("access-control-allow-methods"), null);
    });

    await t.step("error answers carry CORS headers for allowed origins too", async () => {
      const res = await get({ Origin: "http://localhost:3000" });
      await res.body?.cancel();
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("access-control-allow-origin"), "http://localhost:3000");
    });

    await t.step("unknown function -> 404 error shape", async () => {
      const res = await fetch(`${base}/no-such-function`);
      const body = await res.json();
      assert.equal(res.status, 404);
      assert.equal(body.error.code, "not_found");
    });
  } finally {
    await admin`delete from auth.users where id = ${userId}`;
    await admin.end();
    await server.shutdown();
    Deno.env.delete("ALLOWED_ORIGINS");
  }
});
