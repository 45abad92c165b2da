/**
 * Bench runner (npm run bench -> scripts/bench.sh): measures the baselines once, then imports and
 * runs every scripts/bench/*.bench.ts in name order, then prints a summary. Needs SUPABASE_DB_URL
 * (postgres role). Exits 0 even when a target is missed: benches report, they do not assert.
 */
import { createBench, measureBaselines } from "./lib.ts";

const dbUrl = Deno.env.get("SUPABASE_DB_URL");
if (!dbUrl) {
  console.error("SUPABASE_DB_URL is not set (run through scripts/bench.sh)");
  Deno.exit(2);
}

const only = (Deno.env.get("BENCH_ONLY") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const dir = new URL(".", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".bench.ts"))
  // BENCH_ONLY=booking,chat runs only the files whose names start with one of these.
  .filter((e) => !only.length || only.some((prefix) => e.name.startsWith(prefix)))
  .map((e) => e.name)
  .sort();

const b = await createBench(dbUrl);
const started = performance.now();
let failed = 0;
try {
  console.log("baselines");
  await measureBaselines(b);
  for (const name of files) {
    console.log(`\n${name}`);
    try {
      const mod = await import(new URL(name, dir).href);
      await mod.default(b);
    } catch (e) {
      failed++;
      console.error(`${name} failed: ${(e as Error).stack ?? e}`);
    }
  }
} finally {
  await (b as unknown as { close: () => Promise<void> }).close();
}

const ok = b.results.filter((r) => r.ok).length;
console.log(`\n${ok} of ${b.results.length} targets met, ${failed} bench files failed, ` +
  `${((performance.now() - started) / 1000).toFixed(0)} s`);
