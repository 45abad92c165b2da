// Edge Function hygiene, through the real router and a real HTTP server: security headers and a
// request id on every answer, request bodies capped (413), one JSON log line per request without
// secrets, and 503 with Retry-After (quickly) while the database cannot be reached.
import assert from "node:assert/strict";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";
import { closeDb } from "../_shared/db.ts";
import { loggablePath } from "../_shared/http.ts";
import { adminDb, mintJwt } from "./helpers.ts";

/** Runs `fn` while collecting what is written with console.log (the request log lines). */
async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  const setting = Deno.env.get("REQUEST_LOG");
  Deno.env.set("REQUEST_LOG", "on");
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    return { result: await fn(), lines };
  } finally {
    console.log = original;
    if (setting === undefined) Deno.env.delete("REQUEST_LOG");
    else Deno.env.set("REQUEST_LOG", setting);
  }
}

function assertSecurityHeaders(res: Response, label: string) {
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", label);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", label);
  assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, label);
  if (!(res.headers.get("content-type") ?? "").startsWith("text/html")) {
    assert.match(res.headers.get("content-security-policy") ?? "", /^default-src 'none'/, label);
  }
  assert.match(res.headers.get("x-request-id") ?? "", /^[A-Za-z0-9._:-]{8,128}$/, label);
}

Deno.test("edge functions: headers, body limits, request logs, database unavailable", async (t) => {
  const server = await startFunctionsServer(0);
  const base = `http://127.0.0.1:${server.port}/functions/v1`;
  const admin = adminDb();
  try {
    const token = await mintJwt({ sub: crypto.randomUUID(), role: "authenticated", aud: "authenticated" });
    const feedToken = "A".repeat(43);

    await t.step("every answer carries the security headers and a request id", async () => {
      const answers: [string, Response][] = [
        ["health 401", await fetch(`${base}/health`)],
        ["health 200", await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${token}` } })],
        ["calendar 404", await fetch(`${base}/calendar/sessions/${crypto.randomUUID()}.ics`)],
        ["send-message 405", await fetch(`${base}/send-message`)],
        ["signup-hook 401", await fetch(`${base}/signup-hook`, { method: "POST", body: "{}" })],
        ["unknown function 404", await fetch(`${base}/no-such-function`)],
        ["preflight", await fetch(`${base}/health`, { method: "OPTIONS" })],
      ];
      for (const [label, res] of answers) {
        await res.body?.cancel();
        assertSecurityHeaders(res, label);
      }
    });

    await t.step("a plain X-Request-Id from the caller is kept, anything else replaced", async () => {
      const kept = await fetch(`${base}/health`, { headers: { "X-Request-Id": "client-req-12345" } });
      await kept.body?.cancel();
      assert.equal(kept.headers.get("x-request-id"), "client-req-12345");
      const replaced = await fetch(`${base}/health`, { headers: { "X-Request-Id": "bad id with spaces" } });
      await replaced.body?.cancel();
      assert.match(replaced.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
    });

    await t.step("bodies over 64 KiB are 413, by Content-Length or while streamed", async () => {
      const big = JSON.stringify({ session_id: crypto.randomUUID(), body: "x".repeat(70 * 1024) });
      const declared = await fetch(`${base}/send-message`, {
        method: "POST", body: big, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      });
      const body = await declared.json();
      assert.equal(declared.status, 413);
      assert.equal(body.error.code, "payload_too_large");
      assertSecurityHeaders(declared, "413");
      // Chunked, without Content-Length: the limit holds while reading.
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode("y".repeat(1024)));
          controller.close();
        },
      });
      const streamed = await fetch(`${base}/send-message`, {
        method: "POST", body: chunks, headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(streamed.status, 413);
      assert.equal((await streamed.json()).error.code, "payload_too_large");
      // A small body is read as usual (here: a validation error, not 413).
      const small = await fetch(`${base}/send-message`, {
        method: "POST", body: "{}", headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(small.status, 400);
      await small.body?.cancel();
    });

    await t.step("one JSON log line per request, without tokens, secrets or bodies", async () => {
      const { lines } = await captureLogs(async () => {
        const a = await fetch(`${base}/calendar/feed/${feedToken}.ics?token=secret-query-value`, {
          headers: { "X-Request-Id": "feed-request-0001" },
        });
        await a.body?.cancel();
        const b = await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${token}` } });
        await b.body?.cancel();
      });
      const entries = lines.map((line) => JSON.parse(line));
      assert.equal(entries.length, 2, lines.join("\n"));
      const feed = entries.find((e) => e.request_id === "feed-request-0001");
      assert.ok(feed, lines.join("\n"));
      assert.equal(feed.function, "calendar");
      assert.equal(feed.path, "/calendar/feed/[redacted]");
      assert.equal(feed.status, 404);
      assert.equal(typeof feed.duration_ms, "number");
      const all = lines.join("\n");
      for (const secret of [feedToken, "secret-query-value", token, token.split(".")[2]]) {
        assert.ok(!all.includes(secret), `a log line holds a secret: ${all}`);
      }
    });

    await t.step("loggablePath keeps ids and short segments, redacts long opaque ones", () => {
      const id = crypto.randomUUID();
      assert.equal(loggablePath(`/calendar/sessions/${id}.ics`), `/calendar/sessions/${id}.ics`);
      assert.equal(loggablePath("/unsubscribe/eyJhbGciOiJIUzI1NiJ9.payload.sig"), "/unsubscribe/[redacted]");
      assert.equal(loggablePath("/push/vapid-public-key"), "/push/vapid-public-key");
    });

    await t.step("database unreachable: 503 with Retry-After within seconds, then recovery", async () => {
      const url = Deno.env.get("SUPABASE_DB_URL")!;
      // A port nobody listens on stands for a database that is down.
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const deadPort = (probe.addr as Deno.NetAddr).port;
      probe.close();
      await closeDb();
      Deno.env.set("SUPABASE_DB_URL", url.replace(/:(\d+)\//, `:${deadPort}/`));
      try {
        const started = performance.now();
        const res = await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${token}` } });
        const body = await res.json();
        assert.equal(res.status, 503, JSON.stringify(body));
        assert.equal(body.error.code, "service_unavailable");
        assert.equal(res.headers.get("retry-after"), "5");
        assert.ok(performance.now() - started < 5000, "answered within seconds");
      } finally {
        await closeDb();
        Deno.env.set("SUPABASE_DB_URL", url);
      }
      const back = await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(back.status, 200);
      await back.body?.cancel();
    });
  } finally {
    await admin.end();
    await server.shutdown();
  }
});
