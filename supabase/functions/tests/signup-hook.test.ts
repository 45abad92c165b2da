import assert from "node:assert/strict";
import { handler } from "../signup-hook/handler.ts";
import { isTimeZone } from "../signup-hook/validate.ts";
import { signWebhook } from "./helpers.ts";

const URL_ = "http://localhost/signup-hook";

function event(userMetadata: unknown): string {
  return JSON.stringify({
    metadata: { uuid: crypto.randomUUID(), time: new Date().toISOString(), name: "before-user-created", ip_address: "127.0.0.1" },
    user: {
      id: crypto.randomUUID(),
      aud: "authenticated",
      role: "",
      email: "new@example.test",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: userMetadata,
      identities: [],
      is_anonymous: false,
    },
  });
}

function post(body: string, headers: Record<string, string>): Promise<Response> {
  return handler(new Request(URL_, { method: "POST", body, headers }));
}

async function expectAllowed(res: Response) {
  const body = await res.json();
  assert.equal(res.status, 200);
  assert.deepEqual(body, {}, JSON.stringify(body));
}

async function expectRejected(res: Response, field: string) {
  const body = await res.json();
  assert.equal(res.status, 200);
  assert.equal(body.error.http_code, 400);
  assert.match(body.error.message, new RegExp(field), body.error.message);
}

async function expect401(res: Response) {
  const body = await res.json();
  assert.equal(res.status, 401);
  assert.equal(body.error.code, "not_authenticated");
}

Deno.test("signup-hook: signature", async (t) => {
  const body = event({ display_name: "Ada Lovelace" });

  await t.step("valid signature and metadata -> {}", async () => expectAllowed(await post(body, signWebhook(body))));
  await t.step("several signatures, one valid -> {}", async () => {
    const headers = signWebhook(body);
    headers["webhook-signature"] = `v1,${btoa("x".repeat(32))} ${headers["webhook-signature"]}`;
    await expectAllowed(await post(body, headers));
  });
  await t.step("tampered body -> 401", async () => {
    const headers = signWebhook(body);
    await expect401(await post(body.replace("Ada", "Eve"), headers));
  });
  await t.step("wrong secret -> 401", async () => {
    const headers = signWebhook(body, { secret: "v1,whsec_" + btoa("some-other-secret-0123456789") });
    await expect401(await post(body, headers));
  });
  await t.step("stale timestamp -> 401", async () => {
    await expect401(await post(body, signWebhook(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })));
  });
  await t.step("future timestamp -> 401", async () => {
    await expect401(await post(body, signWebhook(body, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 })));
  });
  await t.step("missing headers -> 401", async () => {
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const headers = signWebhook(body);
      delete headers[name];
      await expect401(await post(body, headers));
    }
    await expect401(await post(body, { "content-type": "application/json" }));
  });
  await t.step("garbage signature -> 401", async () => {
    await expect401(await post(body, { ...signWebhook(body), "webhook-signature": "v1,%%%not-base64" }));
  });
  await t.step("non-POST -> 405", async () => {
    const res = await handler(new Request(URL_, { method: "GET" }));
    const json = await res.json();
    assert.equal(res.status, 405);
    assert.equal(json.error.code, "method_not_allowed");
  });
  await t.step("malformed JSON with a valid signature -> hook error 400", async () => {
    const raw = "{not json";
    const res = await post(raw, signWebhook(raw));
    const json = await res.json();
    assert.equal(res.status, 200);
    assert.equal(json.error.http_code, 400);
  });
});

Deno.test("signup-hook: metadata", async (t) => {
  const check = (metadata: unknown) => {
    const body = event(metadata);
    return post(body, signWebhook(body));
  };
  await t.step("missing display_name", async () => expectRejected(await check({}), "display_name"));
  await t.step("no user_metadata at all", async () => expectRejected(await check(null), "display_name"));
  await t.step("blank display_name", async () => expectRejected(await check({ display_name: "   " }), "display_name"));
  await t.step("81-character display_name", async () => expectRejected(await check({ display_name: "a".repeat(81) }), "display_name"));
  await t.step("80 characters after trimming is fine", async () => expectAllowed(await check({ display_name: `  ${"a".repeat(80)}  ` })));
  await t.step("a display_name of zero-width and no-break spaces is blank", async () =>
    expectRejected(await check({ display_name: "\u200b\u00a0\u200b" }), "display_name"));
  await t.step("80 emoji are 80 characters (code points, as the database counts)", async () =>
    expectAllowed(await check({ display_name: "😀".repeat(80), company: "𝒜".repeat(120) })));
  await t.step("81 emoji are too many", async () => expectRejected(await check({ display_name: "😀".repeat(81) }), "display_name"));
  await t.step("unknown time zone", async () => expectRejected(await check({ display_name: "Ada", timezone: "Mars/Olympus" }), "timezone"));
  await t.step("121-character company", async () => expectRejected(await check({ display_name: "Ada", company: "c".repeat(121) }), "company"));
  await t.step("121-character title", async () => expectRejected(await check({ display_name: "Ada", title: "t".repeat(121) }), "title"));
  await t.step("several problems are all named", async () => {
    const res = await check({ display_name: "", timezone: "Nowhere" });
    const body = await res.json();
    assert.match(body.error.message, /display_name/);
    assert.match(body.error.message, /timezone/);
  });
  await t.step("full valid metadata", async () =>
    expectAllowed(await check({ display_name: "Ada", company: "Analytical Engines", title: "Countess", timezone: "Europe/Amsterdam", avatar_url: "x" })));
  await t.step("UTC is a time zone", async () => expectAllowed(await check({ display_name: "Ada", timezone: "UTC" })));
});

Deno.test("isTimeZone", () => {
  for (const tz of ["UTC", "Europe/Amsterdam", "America/Argentina/Buenos_Aires", "Etc/GMT+1", "US/Eastern"]) assert.ok(isTimeZone(tz), tz);
  for (const tz of ["Mars/Olympus", "", "+01:00", "europe/amsterdam", "Europe/Nowhere"]) assert.ok(!isTimeZone(tz), tz);
});
