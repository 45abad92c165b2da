// The production scheduling path of notification delivery (issue 15), as far as it can run without
// pg_net (Debian has no package for it, so the local stack never has it):
//
// 1. The migration's pg_net block (the same text as supabase/schemas/90_cron_jobs.sql) runs here and
//    skips cleanly: no error, no pg_net, no `dispatch-notifications` job.
// 2. The job's command (read from that block) runs against stand-ins with pg_net's real signature
//    (net.http_post(url, body, params, headers, timeout_milliseconds) returning a request id) and
//    Vault's view (vault.decrypted_secrets), created in a transaction that is rolled back: the request
//    it queues is a POST to <project_url>/functions/v1/dispatch-notifications with the X-Dispatch-Secret
//    of Vault, a JSON body and a 30 s timeout; with a secret missing it queues nothing.
// 3. That request, sent by this test as pg_net's worker would send it, is accepted by the real
//    dispatch-notifications function (200, through the local router).
// Not executed anywhere here: pg_net itself (its background worker and HTTP client), Vault's
// encryption, and pg_cron running the job every 20 seconds on the platform.
import assert from "node:assert/strict";
import postgres from "postgres";
import { startFunctionsServer } from "../../../scripts/serve-functions.ts";

const DB_URL = Deno.env.get("SUPABASE_DB_URL");
const ROOT = new URL("../../../", import.meta.url);
const DISPATCH_SECRET = "platform-test-dispatch-secret-0123456789";
if (!Deno.env.get("REQUEST_LOG")) Deno.env.set("REQUEST_LOG", "off");

/** The `do $$ ... $$;` block of a SQL text that schedules the dispatch-notifications job. */
function pgNetBlock(sql: string): string {
  const blocks = sql.match(/^do \$\$\n[\s\S]*?^\$\$;/gm) ?? [];
  const found = blocks.filter((b) => b.includes("'dispatch-notifications'"));
  assert.equal(found.length, 1, "one pg_net block schedules dispatch-notifications");
  return found[0];
}

Deno.test({
  name: "pg_net dispatch: the migration skips without pg_net; the job's command queues the right request, which the function accepts",
  ignore: !DB_URL,
  async fn() {
    const migrations = [...Deno.readDirSync(new URL("supabase/migrations/", ROOT))].map((e) => e.name).sort();
    const withBlock = migrations.filter((m) =>
      Deno.readTextFileSync(new URL(`supabase/migrations/${m}`, ROOT)).includes("'dispatch-notifications'"));
    assert.equal(withBlock.length, 1, `one migration schedules the job (${withBlock})`);
    const block = pgNetBlock(Deno.readTextFileSync(new URL(`supabase/migrations/${withBlock[0]}`, ROOT)));
    assert.equal(block, pgNetBlock(Deno.readTextFileSync(new URL("supabase/schemas/90_cron_jobs.sql", ROOT))),
      "the migration runs the block of supabase/schemas/90_cron_jobs.sql");
    const command = /cron\.schedule\('dispatch-notifications', '20 seconds', '([^']+)'\)/.exec(block)?.[1];
    assert.equal(command, "select private.dispatch_notifications_via_http()");

    const sql = postgres(DB_URL!, { max: 1, prepare: false, onnotice: () => {} });
    const server = await startFunctionsServer(0);
    // The dispatcher runs with this secret and no channel configured (other tests of the same process
    // may have left SMTP or VAPID settings): it claims nothing, so this test sends nothing.
    const saved = new Map(["DISPATCH_SECRET", "SMTP_URL", "RESEND_API_KEY", "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"]
      .map((k) => [k, Deno.env.get(k)]));
    for (const k of saved.keys()) Deno.env.delete(k);
    Deno.env.set("DISPATCH_SECRET", DISPATCH_SECRET);
    const rollback = new Error("rollback");
    try {
      const [{ available, net, vault }] = await sql`
        select exists (select 1 from pg_available_extensions where name = 'pg_net') as available,
               to_regnamespace('net') is not null as net, to_regclass('vault.decrypted_secrets') is not null as vault`;
      if (available || net || vault) {
        console.log("  pg_net or Vault exists here: this test is for stacks without them; skipped");
        return;
      }

      // 1. The block as the migration runs it.
      await sql.begin(async (tx) => {
        await tx.unsafe(block);
        const [state] = await tx`
          select exists (select 1 from cron.job where jobname = 'dispatch-notifications') as job,
                 exists (select 1 from pg_extension where extname = 'pg_net') as ext`;
        assert.deepEqual({ ...state }, { job: false, ext: false }, "without pg_net: no job, no extension, no error");
        throw rollback;
      }).catch((e) => { if (e !== rollback) throw e; });

      // 2. The job's command against pg_net's and Vault's shapes.
      const base = `http://127.0.0.1:${server.port}`;
      const request = await sql.begin(async (tx) => {
        await tx.unsafe(`
          create schema net;
          create table net.queued (id bigserial primary key, url text, body jsonb, params jsonb, headers jsonb, timeout_milliseconds int);
          -- pg_net 0.x: net.http_post(url, body, params, headers, timeout_milliseconds) returns bigint
          create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
                                        headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                                        timeout_milliseconds int default 5000)
          returns bigint language sql as $f$
            insert into net.queued (url, body, params, headers, timeout_milliseconds)
            values (url, body, params, headers, timeout_milliseconds) returning id
          $f$;
          create schema vault;
          create table vault.decrypted_secrets (name text primary key, decrypted_secret text);`);
        assert.equal((await tx.unsafe(command!))[0].dispatch_notifications_via_http, null, "no Vault secrets: nothing queued");
        await tx`insert into vault.decrypted_secrets values ('project_url', ${base + "/"})`;
        assert.equal((await tx.unsafe(command!))[0].dispatch_notifications_via_http, null, "one secret missing: nothing queued");
        await tx`insert into vault.decrypted_secrets values ('dispatch_secret', ${DISPATCH_SECRET})`;
        const [{ dispatch_notifications_via_http: id }] = await tx.unsafe(command!);
        assert.ok(Number(id) > 0, "the request id pg_net returns");
        const rows = await tx`select url, body, params, headers, timeout_milliseconds from net.queued`;
        assert.equal(rows.length, 1, "exactly one request queued");
        const queued = { ...rows[0] };
        throw Object.assign(new Error("rollback"), { queued });
      }).catch((e) => {
        if (!e.queued) throw e;
        return e.queued as { url: string; body: unknown; params: unknown; headers: Record<string, string>; timeout_milliseconds: number };
      });
      assert.deepEqual(request, {
        url: `${base}/functions/v1/dispatch-notifications`,
        body: {},
        params: {},
        headers: { "Content-Type": "application/json", "X-Dispatch-Secret": DISPATCH_SECRET },
        timeout_milliseconds: 30000,
      });
      const [{ leftover }] = await sql`select to_regnamespace('net') is not null or to_regnamespace('vault') is not null as leftover`;
      assert.equal(leftover, false, "the stand-ins were rolled back");

      // 3. The request as pg_net's worker sends it (POST, those headers, the JSON body).
      const res = await fetch(request.url, { method: "POST", headers: request.headers, body: JSON.stringify(request.body) });
      const summary = await res.json();
      assert.equal(res.status, 200, JSON.stringify(summary));
      const { reminders, ...sending } = summary;
      assert.equal(typeof reminders, "number", "the dispatcher ran the reminder job first");
      assert.deepEqual(sending, { claimed: 0, sent: 0, retry: 0, failed: 0, cancelled: 0, channels: [] },
        "the dispatcher ran (no channel configured here, so it claimed nothing)");
      const forged = await fetch(request.url, { method: "POST", headers: { ...request.headers, "X-Dispatch-Secret": "x".repeat(40) } });
      assert.equal(forged.status, 401, "another secret is refused");
      await forged.body?.cancel();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) Deno.env.delete(k);
        else Deno.env.set(k, v);
      }
      await server.shutdown();
      await sql.end();
    }
  },
});
