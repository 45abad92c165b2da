/**
 * Benchmark helpers shared by every scripts/bench/*.bench.ts file (run by scripts/bench/run.ts).
 *
 * A bench file exports `default async function (b: Bench)`. It measures with `b.throughput()` (or
 * `b.latency()`) and prints ratios with `b.report()` against a baseline measured in the same run on
 * the same machine (`b.baseline.insert`, `b.baseline.hotCounter`), never absolute timings, and never
 * fails on a ratio: a missed target prints MISS.
 *
 * Acting as a user: `b.asUser(sql, userId, tx => tx`select public.some_rpc(...)`)` runs one
 * transaction with the transaction-local role and request.jwt.claims, exactly like PostgREST.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export interface ThroughputOptions {
  /** Concurrent clients, each running `op` in a loop on its own connection of a pool of this size. */
  clients: number;
  /** Measured duration (after a short warm-up of the connections). */
  seconds: number;
  /** One operation; `clientIndex` in 0..clients-1, `i` the client's own operation counter. */
  op: (sql: Sql, clientIndex: number, i: number) => Promise<unknown>;
  /** Errors that are part of the scenario (e.g. 409 answers); counted apart, not as errors. */
  expectedErrors?: (e: unknown) => boolean;
}

export interface ThroughputResult {
  label: string;
  opsPerSec: number;
  ops: number;
  errors: number;
  expectedErrors: number;
  firstError?: string;
}

export interface LatencyOptions {
  /** How many times `op` runs, one after the other, on one connection. */
  runs: number;
  op: (sql: Sql, i: number) => Promise<unknown>;
}

export interface Target {
  min?: number;
  max?: number;
}

export interface Bench {
  /** Admin pool (postgres role, bypasses RLS) for fixtures. */
  sql: Sql;
  dbUrl: string;
  /** Measured once by run.ts before any bench file: ops/s of the reference operations. */
  baseline: { insert: number; hotCounter: number; clients: number };
  /**
   * Measures `options.op` in `slices` slices of `options.seconds` each, between slices of the named
   * baseline (measured again, same operation and clients as in `baseline`): slices + 1 of 2 s. On a
   * shared machine throughput drifts over a run; a baseline measured over the same stretch is the
   * fairer reference. Returns the target's ops/s over all its slices, its unexpected errors and the
   * mean of the baseline slices.
   */
  interleaved(label: string, baseline: "insert" | "hotCounter", options: ThroughputOptions & { slices?: number }):
    Promise<{ opsPerSec: number; errors: number; baseline: number }>;
  throughput(label: string, options: ThroughputOptions): Promise<ThroughputResult>;
  latency(label: string, options: LatencyOptions): Promise<{ label: string; msPerOp: number }>;
  /** Prints `label: X ops/s = 0.NNx of <baseline> (target >= 0.33x) OK|MISS`; returns whether the target is met. */
  report(label: string, value: number, baselineLabel: string, baselineValue: number, target: Target, unit?: string): boolean;
  /**
   * Creates `n` users, removed by cleanup(). By default through the signup trigger (profiles and
   * roles rows; slow: the profile's time zone check reads pg_timezone_names, ~0.1 s per user). With
   * `skipSignupTrigger` (needs SUPABASE_ADMIN_DB_URL, a superuser, as scripts/bench.sh sets) only
   * auth.users rows are written: the users are members without a profile row.
   */
  createUsers(n: number, prefix?: string, options?: { skipSignupTrigger?: boolean }): Promise<string[]>;
  /** One transaction as the user, like PostgREST (BEGIN, settings, statements, COMMIT: several round trips). */
  asUser<T>(sql: Sql, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The same transaction in ONE round trip: the PostgREST settings statement and `statement` sent as one
   * simple-protocol message, which Postgres runs as one implicit transaction (settings local to it,
   * rolled back as a whole on error). Use it where a hot row lock is held until commit: with asUser the
   * lock would also span the client's round trips, which measures the client, not the database.
   * Inline values with `literal()`.
   */
  rpcAsUser(sql: Sql, userId: string, statement: string): Promise<unknown>;
  /** A SQL string literal ('...' with quotes doubled) for rpcAsUser statements. */
  literal(value: string): string;
  /** Runs `fn` when the bench run ends (in reverse order of registration). */
  onCleanup(fn: () => Promise<unknown>): void;
  /** API error code of a PGRST error (e.g. "already_booked"), else undefined. */
  errorCode(e: unknown): string | undefined;
  results: { label: string; ok: boolean }[];
}

const quiet = { onnotice: () => {}, prepare: false } as const;

export function errorCode(e: unknown): string | undefined {
  const err = e as { code?: string; message?: string };
  if (err?.code !== "PGRST" || typeof err.message !== "string") return undefined;
  try {
    return JSON.parse(err.message).code;
  } catch {
    return undefined;
  }
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export async function createBench(dbUrl: string): Promise<Bench> {
  const sql = postgres(dbUrl, { ...quiet, max: 4 });
  const cleanups: (() => Promise<unknown>)[] = [];
  const results: { label: string; ok: boolean }[] = [];

  const b: Bench = {
    sql,
    dbUrl,
    baseline: { insert: 0, hotCounter: 0, clients: 0 },
    results,

    async throughput(label, { clients, seconds, op, expectedErrors }) {
      const pool = postgres(dbUrl, { ...quiet, max: clients, idle_timeout: 10 });
      try {
        // Open every connection first, so connecting is not measured.
        await Promise.all(Array.from({ length: clients }, () => pool.begin((tx) => tx`select pg_sleep(0.02)`)));
        let ops = 0, errors = 0, expected = 0;
        let firstError: string | undefined;
        const deadline = performance.now() + seconds * 1000;
        const started = performance.now();
        await Promise.all(Array.from({ length: clients }, async (_, clientIndex) => {
          for (let i = 0; performance.now() < deadline; i++) {
            try {
              await op(pool, clientIndex, i);
              ops++;
            } catch (e) {
              if (expectedErrors?.(e)) {
                expected++;
                ops++;
              } else {
                errors++;
                firstError ??= String((e as Error)?.message ?? e);
              }
            }
          }
        }));
        const elapsed = (performance.now() - started) / 1000;
        const result = { label, opsPerSec: ops / elapsed, ops, errors, expectedErrors: expected, firstError };
        console.log(`  ${label}: ${ops} ops in ${elapsed.toFixed(1)} s with ${clients} clients = ${fmt(result.opsPerSec)} ops/s` +
          ` (${expected} expected errors, ${errors} errors${firstError ? `; first: ${firstError}` : ""})`);
        return result;
      } finally {
        await pool.end({ timeout: 5 });
      }
    },

    async interleaved(label, baseline, options) {
      const reference = () => b.throughput(baselineLabels[baseline], { ...baselineOps[baseline], clients: b.baseline.clients, seconds: 2 });
      const refs = [(await reference()).opsPerSec];
      let ops = 0, errors = 0, seconds = 0;
      for (let slice = 0; slice < (options.slices ?? 3); slice++) {
        const r = await b.throughput(label, options);
        ops += r.ops;
        errors += r.errors;
        seconds += r.opsPerSec > 0 ? r.ops / r.opsPerSec : options.seconds;
        refs.push((await reference()).opsPerSec);
      }
      return { opsPerSec: ops / seconds, errors, baseline: refs.reduce((a, v) => a + v, 0) / refs.length };
    },

    async latency(label, { runs, op }) {
      const one = postgres(dbUrl, { ...quiet, max: 1 });
      try {
        await one`select 1`;
        const started = performance.now();
        for (let i = 0; i < runs; i++) await op(one, i);
        const msPerOp = (performance.now() - started) / runs;
        console.log(`  ${label}: ${fmt(msPerOp)} ms per op over ${runs} runs`);
        return { label, msPerOp };
      } finally {
        await one.end({ timeout: 5 });
      }
    },

    report(label, value, baselineLabel, baselineValue, target, unit = "ops/s") {
      const ratio = baselineValue > 0 ? value / baselineValue : 0;
      const ok = (target.min === undefined || ratio >= target.min) && (target.max === undefined || ratio <= target.max);
      const wanted = [target.min !== undefined ? `>= ${target.min}x` : "", target.max !== undefined ? `<= ${target.max}x` : ""]
        .filter(Boolean).join(" and ");
      console.log(`${label}: ${fmt(value)} ${unit} = ${ratio.toFixed(2)}x of ${baselineLabel} (target ${wanted}) ${ok ? "OK" : "MISS"}`);
      results.push({ label, ok });
      return ok;
    },

    async createUsers(n, prefix = "bench", options = {}) {
      const adminUrl = Deno.env.get("SUPABASE_ADMIN_DB_URL");
      const insert = (q: Sql | Tx) => q`
        insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
        select gen_random_uuid(), ${prefix} || '-' || g || '-' || substr(md5(random()::text), 1, 8) || '@bench.local',
               jsonb_build_object('display_name', ${prefix} || ' ' || g), 'authenticated', 'authenticated', now()
        from generate_series(1, ${n}) g
        returning id`;
      let rows;
      if (options.skipSignupTrigger && adminUrl) {
        const su = postgres(adminUrl, { ...quiet, max: 1 });
        try {
          rows = await su.begin(async (tx) => {
            await tx`set local session_replication_role = replica`;
            return await insert(tx);
          });
        } finally {
          await su.end({ timeout: 5 });
        }
      } else {
        rows = await insert(sql);
      }
      const ids = rows.map((r) => r.id as string);
      cleanups.push(async () => {
        await sql`delete from realtime.messages where topic = any(${ids.map((id) => `user:${id}`)})`;
        await sql`delete from auth.users where id = any(${ids})`;
      });
      return ids;
    },

    asUser(pool, userId, fn) {
      const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@bench.local` });
      return pool.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
        return await fn(tx);
      }) as Promise<never>;
    },

    rpcAsUser(pool, userId, statement) {
      const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@bench.local` });
      return pool.unsafe(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${b.literal(claims)}, true); ` +
          statement,
      ).simple();
    },

    literal(value) {
      return "'" + value.replaceAll("'", "''") + "'";
    },

    onCleanup(fn) {
      cleanups.push(fn);
    },

    errorCode,
  };

  // Closes everything when run.ts is done.
  (b as Bench & { close: () => Promise<void> }).close = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup failed: ${(e as Error).message}`);
      }
    }
    await sql.end({ timeout: 5 });
  };
  return b;
}

const baselineLabels = {
  insert: "baseline insert (one row into an indexed table)",
  hotCounter: "baseline hotCounter (update one hot row)",
};
let insertKey = 0;
const baselineOps: Record<"insert" | "hotCounter", Pick<ThroughputOptions, "op">> = {
  insert: { op: (sql) => sql`insert into bench.inserts (k, v) values (${insertKey++}, 'x')` },
  hotCounter: { op: (sql) => sql`update bench.counters set n = n + 1 where id = 1` },
};

/** Reference operations, measured once per run with `clients` clients. */
export async function measureBaselines(b: Bench, clients = 16, seconds = 4): Promise<void> {
  await b.sql.unsafe(`
    create schema if not exists bench;
    drop table if exists bench.inserts, bench.counters;
    create table bench.inserts (id bigint generated always as identity primary key, k int not null, v text not null,
                                created_at timestamptz not null default now());
    create index on bench.inserts (k);
    create table bench.counters (id int primary key, n bigint not null default 0);
    insert into bench.counters (id) values (1);`);
  b.onCleanup(() => b.sql.unsafe("drop schema if exists bench cascade"));
  const insert = await b.throughput(baselineLabels.insert, { ...baselineOps.insert, clients, seconds });
  const hot = await b.throughput(baselineLabels.hotCounter, { ...baselineOps.hotCounter, clients, seconds });
  b.baseline.insert = insert.opsPerSec;
  b.baseline.hotCounter = hot.opsPerSec;
  b.baseline.clients = clients;
}

/** Prints the statements that took the most time (pg_stat_statements, nested statements included
 * where the bench cluster tracks them), under `title`; prints nothing where the view cannot be read. */
export async function printTopStatements(su: Sql | null, title: string, limit = 15): Promise<void> {
  const top = su && await su`
    select calls, round(total_exec_time::numeric, 0) as total_ms, round(mean_exec_time::numeric, 3) as mean_ms,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
    from extensions.pg_stat_statements
    where query not ilike '%pg_stat_statements%'
    order by total_exec_time desc limit ${limit}`.catch(() => null);
  if (!top) return;
  console.log(`  ${title}:`);
  for (const r of top) {
    console.log(`    ${String(r.total_ms).padStart(8)} ms ${String(r.calls).padStart(7)} calls ${String(r.mean_ms).padStart(8)} ms/call  ${r.query}`);
  }
}
