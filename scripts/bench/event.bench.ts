/**
 * One live event: N attendees (BENCH_ATTENDEES, default 20,000) in one live public session, booked and
 * joined through the RPCs, then the live mix of issue 20, every call a PostgREST-shaped transaction
 * (role + JWT claims + the RPC or view read in one round trip, Bench.rpcAsUser) by a distinct real user.
 * Per attendee: a heartbeat every 30 s, 1% send a chat message per minute, a vote every 5 minutes, an
 * upvote every 10 minutes, a chat catch-up read every 5 minutes split between chat_history and
 * chat_since, and a session_cards read of the session every 5 minutes. Votes and upvotes do real work:
 * each user votes on a poll and upvotes a question they have not voted or upvoted before.
 *
 * 1. Baselines of this file: a PostgREST-shaped no-op (role + claims, then `select 1`; the fairest
 *    floor for the mix) and the plain insert baseline of run.ts.
 * 2. session_cards of the session (as a member) vs the latest 50 chat messages read by index (same
 *    transaction shape, no RLS): target >= 0.5x, with the cluster's JIT settings (jit on, defaults).
 * 3. heartbeat throughput with N present viewers vs 1,000 present viewers (another live session):
 *    target >= 0.9x (a heartbeat's cost must not grow with the audience).
 * 4. The mix unthrottled (16 clients) for its throughput: attendees_capacity = throughput / the
 *    per-attendee rate. Target: >= N (default 20,000).
 * 5. The mix rate-limited at the rate of N attendees (open loop: operations start on schedule whether
 *    or not earlier ones finished, latency counted from the scheduled start), p50/p95/p99 per
 *    operation. Target: p99 <= 100 ms for every operation.
 * Then the statements that took the most time (pg_stat_statements, when scripts/bench.sh preloaded it).
 *
 * BENCH_ATTENDEES=2000 runs it small (a minute or two); BENCH_EVENT_SECONDS (default 10) and
 * BENCH_EVENT_RATE_SECONDS (default 20) set the two mix phases' lengths.
 */
import postgres from "postgres";
import { printTopStatements } from "./lib.ts";
import type { Bench, Sql } from "./lib.ts";

const quiet = { onnotice: () => {}, prepare: false } as const;
const envInt = (name: string, fallback: number) => {
  const v = Number(Deno.env.get(name) ?? "");
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};

/** Operations per attendee per second. */
const MIX = {
  heartbeat: 1 / 30,
  send_chat_message: 0.01 / 60,
  vote_poll: 1 / 300,
  upvote_question: 1 / 600,
  chat_history: 1 / 600,
  chat_since: 1 / 600,
  session_cards: 1 / 300,
} as const;
type Op = keyof typeof MIX;
const OPS = Object.keys(MIX) as Op[];
const PER_ATTENDEE = OPS.reduce((a, k) => a + MIX[k], 0);

const POLLS = 12, QUESTIONS = 12, OPTIONS = 4;

/** Users with auth.users rows only (no profile: the signup trigger costs ~0.1 s per user), removed at the end. */
function bulkUsers(b: Bench, n: number, prefix: string): Promise<string[]> {
  return b.createUsers(n, prefix, { skipSignupTrigger: true });
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs `n` calls of `call(i)` on `clients` connections; returns the seconds taken. */
async function inParallel(b: Bench, n: number, clients: number, call: (sql: Sql, i: number) => Promise<unknown>) {
  const pool = postgres(b.dbUrl, { ...quiet, max: clients });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(Array.from({ length: clients }, async () => {
      for (let i = next++; i < n; i = next++) await call(pool, i);
    }));
  } finally {
    await pool.end({ timeout: 5 });
  }
  return (performance.now() - started) / 1000;
}

export default async function (b: Bench) {
  const N = envInt("BENCH_ATTENDEES", 20000);
  const mixSeconds = envInt("BENCH_EVENT_SECONDS", 10);
  const rateSeconds = envInt("BENCH_EVENT_RATE_SECONDS", 20);
  const clients = b.baseline.clients;
  // BENCH_EVENT_PHASES=rate runs only the rate-limited phase (after the event's setup), for quick looks at the tail.
  const phases = new Set((Deno.env.get("BENCH_EVENT_PHASES") ?? "cards,heartbeat,mix,rate").split(",").map((p) => p.trim()));
  console.log(`  ${N} attendees; per attendee ${PER_ATTENDEE.toFixed(5)} operations/s, so ${(N * PER_ATTENDEE).toFixed(0)} ops/s for all`);

  // --- the event ---------------------------------------------------------------------------------
  const [host] = await bulkUsers(b, 1, "bench-event-host");
  const users = await bulkUsers(b, N, "bench-attendee");
  const [session] = await b.sql`
    insert into public.sessions (title, starts_at, started_at, status, visibility, chat_rate_limit, created_by)
    values ('Bench: live event', now() - interval '10 minutes', now() - interval '10 minutes', 'live', 'public', 1000, ${host})
    returning id`;
  const [small] = await b.sql`
    insert into public.sessions (title, starts_at, started_at, status, visibility, created_by)
    values ('Bench: small live session', now() - interval '10 minutes', now() - interval '10 minutes', 'live', 'public', ${host})
    returning id`;
  b.onCleanup(async () => {
    await b.sql`delete from realtime.messages where topic in (${"session:" + session.id}, ${"session:" + small.id})`;
    await b.sql`delete from public.sessions where id in (${session.id}, ${small.id})`;
  });
  await b.sql`insert into public.session_staff (session_id, user_id, role) values (${session.id}, ${host}, 'host'), (${small.id}, ${host}, 'host')
              on conflict do nothing`;
  const sid = b.literal(session.id);

  const booked = await inParallel(b, N, clients, (sql, i) => b.rpcAsUser(sql, users[i], `select public.book_session(${sid})`));
  console.log(`  booked ${N} attendees through book_session in ${booked.toFixed(1)} s (${(N / booked).toFixed(0)}/s)`);
  const joined = await inParallel(b, N, clients, (sql, i) => b.rpcAsUser(sql, users[i], `select public.join_session(${sid})`));
  console.log(`  joined ${N} attendees through join_session in ${joined.toFixed(1)} s (${(N / joined).toFixed(0)}/s)`);
  const smallAudience = users.slice(0, Math.min(1000, N));
  const smallSid = b.literal(small.id);
  await inParallel(b, smallAudience.length, clients, (sql, i) => b.rpcAsUser(sql, smallAudience[i], `select public.join_session(${smallSid})`));

  // Content: polls and questions to vote on and upvote, 5,000 earlier chat messages.
  const polls: { id: string; options: string[] }[] = [];
  for (let p = 0; p < POLLS; p++) {
    const [poll] = await b.sql`
      insert into public.polls (session_id, question, kind, max_choices, status, results_visibility, opened_at)
      values (${session.id}, ${"Bench poll " + p}, 'single', 1, 'open', 'live', now()) returning id`;
    const options = await b.sql`
      insert into public.poll_options (poll_id, label, position)
      select ${poll.id}, 'Option ' || g, g from generate_series(1, ${OPTIONS}) g returning id`;
    await b.sql`insert into private.poll_broadcast_throttle (poll_id) values (${poll.id}) on conflict do nothing`;
    polls.push({ id: poll.id, options: options.map((o) => o.id as string) });
  }
  const questions = (await b.sql`
    insert into public.questions (session_id, user_id, body, status)
    select ${session.id}, ${host}, 'Bench question ' || g, 'published' from generate_series(1, ${QUESTIONS}) g
    returning id`).map((r) => r.id as string);
  await b.sql`insert into public.chat_messages (session_id, user_id, body, created_at)
              select ${session.id}, (${users.slice(0, 3000)}::uuid[])[1 + g % ${Math.min(3000, N)}], 'earlier message ' || g,
                     now() - interval '2 hours' + g * interval '1 second'
              from generate_series(1, 5000) g`;
  const [since] = await b.sql`select id from public.chat_messages where session_id = ${session.id}
                              order by created_at desc, id desc offset 50 limit 1`;
  await b.sql`analyze`;

  /**
   * Every attendee of the session heartbeats through the RPC (as in a live event: not one bulk update,
   * whose single transaction would move every user through the same bucket rows): all are present.
   */
  const refresh = async (s: string, audience = users) => {
    const lit = b.literal(s);
    await inParallel(b, audience.length, clients, (sql, i) => b.rpcAsUser(sql, audience[i], `select public.heartbeat(${lit}, null)`));
  };
  await refresh(session.id);
  const [{ viewers }] = await b.sql`select private.viewer_count(${session.id}) as viewers`;
  console.log(`  viewer_count of the event: ${viewers} (expected ${N})`);

  // Distinct users per operation: round robin over the attendees, each kind with its own counter.
  const counters: Record<Op, number> = Object.fromEntries(OPS.map((k) => [k, 0])) as Record<Op, number>;
  const statement = (op: Op): [string, string] => {
    const k = counters[op]++;
    const user = users[k % N];
    switch (op) {
      case "heartbeat":
        return [user, `select public.heartbeat(${sid}, null)`];
      case "send_chat_message":
        return [user, `select id from public.send_chat_message(${sid}, 'Hello from the event bench', null, 'message')`];
      case "vote_poll": {
        // The k-th vote: user k mod N on poll k div N, so nobody votes twice on a poll.
        const poll = polls[Math.floor(k / N) % POLLS];
        return [user, `select public.vote_poll(${b.literal(poll.id)}, array[${b.literal(poll.options[k % OPTIONS])}]::uuid[])`];
      }
      case "upvote_question":
        return [user, `select public.upvote_question(${b.literal(questions[Math.floor(k / N) % QUESTIONS])})`];
      case "chat_history":
        return [user, `select public.chat_history(${sid}, null, 50, null)`];
      case "chat_since":
        return [user, `select public.chat_since(${sid}, ${b.literal(since.id)})`];
      case "session_cards":
        return [user, `select * from public.session_cards where id = ${sid}`];
    }
  };
  const expected = (e: unknown) => ["already_voted", "already_upvoted"].includes(b.errorCode(e) ?? "");
  let seed = 20;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (): Op => {
    let r = random() * PER_ATTENDEE;
    for (const op of OPS) if ((r -= MIX[op]) < 0) return op;
    return "heartbeat";
  };

  // The profile reads pg_stat_statements as the superuser (every role's statements, with their text).
  const adminUrl = Deno.env.get("SUPABASE_ADMIN_DB_URL");
  const su = adminUrl ? postgres(adminUrl, { ...quiet, max: 1 }) : null;
  b.onCleanup(async () => await su?.end({ timeout: 5 }));

  // --- 1. baselines ------------------------------------------------------------------------------
  let noopNext = 0;
  const noop = await b.throughput("PostgREST-shaped no-op (role + claims, select 1)", {
    clients,
    seconds: 4,
    op: (sql) => b.rpcAsUser(sql, users[noopNext++ % N], "select 1"),
  });
  console.log(`  plain insert baseline (run.ts): ${b.baseline.insert.toFixed(0)} ops/s`);

  // --- 2. session_cards vs the latest-50 read ---------------------------------------------------
  if (phases.has("cards")) {
  let cardsNext = 0;
  const reader = users[0];
  const claims = JSON.stringify({ sub: reader, role: "authenticated" });
  // Four alternating 2-second slices of each: the machine's load drifts by up to 40% from one slice to
  // the next, and a ratio of two reads measured at different moments carried that drift.
  let latestOps = 0, latestSeconds = 0, cardOps = 0, cardSeconds = 0;
  // The card's statements' buffers per call (load-independent, unlike its time) are printed after.
  if (su) await su`select extensions.pg_stat_statements_reset()`.catch(() => {});
  for (let slice = 0; slice < 4; slice++) {
    const latest50 = await b.throughput("latest 50 chat messages by index (claims set, no RLS)", {
      clients,
      seconds: 2,
      op: (sql) => sql.unsafe(
        `select set_config('request.jwt.claims', ${b.literal(claims)}, true); ` +
          `select id, user_id, body, kind, is_pinned, created_at from public.chat_messages where session_id = ${sid} ` +
          `order by created_at desc, id desc limit 50`,
      ).simple(),
    });
    const cards = await b.throughput(`session_cards of the event (${N} booked, ${N} viewers) as an attendee`, {
      clients,
      seconds: 2,
      op: (sql) => b.rpcAsUser(sql, users[cardsNext++ % N], `select * from public.session_cards where id = ${sid}`),
    });
    latestOps += latest50.ops;
    latestSeconds += latest50.ops / latest50.opsPerSec;
    cardOps += cards.ops;
    cardSeconds += cards.ops / cards.opsPerSec;
  }
  const latest50 = { opsPerSec: latestOps / latestSeconds };
  const cards = { opsPerSec: cardOps / cardSeconds };
  const [{ jit, above }] = await b.sql`select current_setting('jit') as jit, current_setting('jit_above_cost') as above`;
  b.report(`session_cards, one session (jit = ${jit}, jit_above_cost = ${above})`, cards.opsPerSec,
    "the latest-50 indexed read", latest50.opsPerSec, { min: 0.5 });
  const cardStatements = su && await su`
    select calls, round((shared_blks_hit + shared_blks_read)::numeric / calls, 1) as buffers, round(mean_exec_time::numeric, 3) as mean_ms,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query
    from extensions.pg_stat_statements
    where calls > 0 and (query ilike '%session_cards%' or query ilike '%session_viewer%' or query ilike '%chat_messages where session_id%')
      and query not ilike '%pg_stat_statements%'
    order by total_exec_time desc limit 6`.catch(() => null);
  for (const r of cardStatements ?? []) {
    console.log(`    cards phase: ${String(r.calls).padStart(7)} calls ${String(r.buffers).padStart(7)} buffers/call ${String(r.mean_ms).padStart(7)} ms/call  ${r.query}`);
  }
  }

  // --- 3. heartbeat with N present viewers vs 1,000 -------------------------------------------------
  const heartbeats = async (s: string, audience: string[], label: string) => {
    await refresh(s, audience);
    let next = 0;
    const lit = b.literal(s);
    return await b.throughput(label, {
      clients,
      seconds: 4,
      op: (sql) => b.rpcAsUser(sql, audience[next++ % audience.length], `select public.heartbeat(${lit}, null)`),
    });
  };
  if (phases.has("heartbeat")) {
  let smallOps = 0, bigOps = 0, hbErrors = 0;
  for (let round = 0; round < 2; round++) {
    const s = await heartbeats(small.id, smallAudience, `heartbeat, ${smallAudience.length} present viewers`);
    const g = await heartbeats(session.id, users, `heartbeat, ${N} present viewers`);
    smallOps += s.opsPerSec / 2;
    bigOps += g.opsPerSec / 2;
    hbErrors += s.errors + g.errors;
  }
  b.report(`heartbeat with ${N} present viewers`, bigOps, `heartbeat with ${smallAudience.length}`, smallOps, { min: 0.9 });
  b.report("heartbeat unexpected errors", hbErrors, "zero", 1, { max: 0 }, "errors");
  }

  // --- 4. the mix, unthrottled --------------------------------------------------------------------
  if (phases.has("mix")) {
  await refresh(session.id);
  if (su) await su`select extensions.pg_stat_statements_reset()`.catch(() => {});
  const mix = await b.throughput(`event mix, unthrottled, ${clients} clients`, {
    clients,
    seconds: mixSeconds,
    op: (sql) => {
      const [user, stmt] = statement(pick());
      return b.rpcAsUser(sql, user, stmt);
    },
    expectedErrors: expected,
  });
  const capacity = mix.opsPerSec / PER_ATTENDEE;
  console.log(`  mix throughput ${mix.opsPerSec.toFixed(0)} ops/s = ${(mix.opsPerSec / noop.opsPerSec).toFixed(2)}x of the ` +
    `PostgREST-shaped no-op (${noop.opsPerSec.toFixed(0)} ops/s), ${(mix.opsPerSec / b.baseline.insert).toFixed(2)}x of the plain insert`);
  console.log(`attendees_capacity = ${mix.opsPerSec.toFixed(0)} ops/s / ${PER_ATTENDEE.toFixed(5)} ops/s per attendee = ${capacity.toFixed(0)}`);
  b.report("attendees_capacity", capacity, `${N} attendees`, N, { min: 1 }, "attendees");
  b.report("event mix unexpected errors", mix.errors, "zero", 1, { max: 0 }, "errors");
  }

  // --- 5. the mix at the rate of N attendees --------------------------------------------------------
  // Besides the percentiles, it prints where the tail comes from, so that a slow bench is not taken for
  // a slow database: the bench's own scheduling lag (dispatch after the due time) and event-loop stalls,
  // the calls queued in its pool, the server's own duration of the slow calls (log_min_duration_statement),
  // what waited on what in the server (pg_stat_activity sampled every 50 ms), and the checkpoints,
  // autovacuum runs and pg_cron jobs that ran during the phase.
  if (phases.has("rate")) {
  await refresh(session.id);
  if (su && !phases.has("mix")) await su`select extensions.pg_stat_statements_reset()`.catch(() => {});
  const rate = N * PER_ATTENDEE;
  const latencies: Record<Op, number[]> = Object.fromEntries(OPS.map((k) => [k, []])) as unknown as Record<Op, number[]>;
  const errors: Record<Op, number> = Object.fromEntries(OPS.map((k) => [k, 0])) as Record<Op, number>;
  let firstError: string | undefined;
  const poolSize = 2 * clients;
  const pool = postgres(b.dbUrl, { ...quiet, max: poolSize });
  const slowMs = 50;
  // One record per call: due (ms, performance clock), dispatch lag, latency, calls in flight at dispatch.
  const calls: { op: Op; due: number; lag: number; latency: number; inFlight: number }[] = [];
  const loopStalls: number[] = [];
  const waits = new Map<string, number>();
  // Autovacuum workers seen by the sampler: what they vacuumed, and when (ms since the phase's start).
  const autovacuum = new Map<string, number[]>();
  const blockers = new Map<string, number>();
  let sampling = true;
  const logFile = `${Deno.env.get("LOCAL_STACK_DIR") ?? ""}/postgres.log`;
  const logSettings = [["log_min_duration_statement", `${slowMs}ms`], ["log_checkpoints", "on"],
    ["log_autovacuum_min_duration", "0"]];
  if (su) {
    for (const [k, v] of logSettings) await su.unsafe(`alter system set ${k} = '${v}'`);
    await su`select pg_reload_conf()`;
  }
  try {
    await Promise.all(Array.from({ length: poolSize }, () => pool`select 1`));
    // A fresh connection's first call of each kind compiles the PL/pgSQL functions and fills the backend's
    // catalog caches (tens of ms each; an API's pool keeps its connections for many minutes). Starting the
    // phase on 32 cold connections at once put ~700 calls behind that burst, alone enough for every
    // operation's p99. So each connection first makes one call of each kind, timed and printed apart.
    const cold: number[] = [];
    for (const op of OPS) {
      await Promise.all(Array.from({ length: poolSize }, async () => {
        const [user, stmt] = statement(op);
        const t = performance.now();
        await b.rpcAsUser(pool, user, stmt).catch((e) => { if (!expected(e)) throw e; });
        cold.push(performance.now() - t);
      }));
    }
    console.log(`  warm-up: the first call of each kind on each of ${poolSize} fresh connections (${cold.length} calls, ` +
      `${poolSize} at a time): p50 ${percentile(cold.sort((x, y) => x - y), 0.5).toFixed(1)} ms, ` +
      `max ${cold[cold.length - 1].toFixed(1)} ms (not in the percentiles below)`);
    const started = performance.now();
    const startedAt = new Date(performance.timeOrigin + started);
    const end = started + rateSeconds * 1000;
    // Event-loop stalls: a 10 ms timer that fires late measures how long the loop was busy.
    let tick = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      loopStalls.push(now - tick - 10);
      tick = now;
    }, 10);
    const sampler = su && (async () => {
      while (sampling) {
        const rows = await su`
          select coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, count(*)::int as n
          from pg_stat_activity
          where backend_type = 'client backend' and state = 'active' and pid <> pg_backend_pid()
          group by 1
          union all
          select query, count(*)::int from pg_stat_activity where backend_type = 'autovacuum worker' group by 1`;
        for (const r of rows) waits.set(r.w, (waits.get(r.w) ?? 0) + r.n);
        // Who waits for whom on heavyweight locks (row locks show as Lock:transactionid): the two calls.
        const blocked = await su`
          select substring(w.query from 'public\\.(\\w+)') as waiter, substring(b.query from 'public\\.(\\w+)') as blocker,
                 count(*)::int as n
          from pg_stat_activity w
          cross join lateral unnest(pg_blocking_pids(w.pid)) bp
          join pg_stat_activity b on b.pid = bp
          where w.wait_event_type = 'Lock' and w.backend_type = 'client backend'
          group by 1, 2`;
        for (const r of blocked) {
          const k = `${r.waiter ?? "?"} waits for ${r.blocker ?? "?"}`;
          blockers.set(k, (blockers.get(k) ?? 0) + r.n);
        }
        const at = performance.now() - started;
        for (const r of rows) if (/^autovacuum/.test(r.w)) (autovacuum.get(r.w) ?? autovacuum.set(r.w, []).get(r.w)!).push(at);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    let running = 0;
    const inFlight: Promise<void>[] = [];
    for (let i = 0;; i++) {
      const due = started + (i * 1000) / rate;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const op = pick();
      const [user, stmt] = statement(op);
      const lag = performance.now() - due;
      const concurrent = ++running;
      const record = () => {
        running--;
        const latency = performance.now() - due;
        latencies[op].push(latency);
        calls.push({ op, due: due - started, lag, latency, inFlight: concurrent });
      };
      inFlight.push(b.rpcAsUser(pool, user, stmt).then(record, (e) => {
        if (expected(e)) record();
        else {
          running--;
          errors[op]++;
          firstError ??= String((e as Error)?.message ?? e);
        }
      }));
    }
    await Promise.all(inFlight);
    clearInterval(ticker);
    sampling = false;
    await sampler;
    const elapsed = (performance.now() - started) / 1000;
    const endedAt = new Date(performance.timeOrigin + performance.now());
    const done = OPS.reduce((a, op) => a + latencies[op].length, 0);
    console.log(`  event mix at the rate of ${N} attendees: ${rate.toFixed(0)} ops/s scheduled for ${rateSeconds} s, ` +
      `${done} done in ${elapsed.toFixed(1)} s`);
    for (const op of OPS) {
      const sorted = latencies[op].sort((x, y) => x - y);
      const [p50, p95, p99] = [0.5, 0.95, 0.99].map((p) => percentile(sorted, p));
      const line = `${op}: ${sorted.length} calls, p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms` +
        (errors[op] ? `, ${errors[op]} errors` : "");
      const ok = sorted.length > 0 && p99 <= 100 && errors[op] === 0;
      console.log(`${line} (target p99 <= 100 ms) ${ok ? "OK" : "MISS"}`);
      b.results.push({ label: `p99 ${op} at ${N} attendees`, ok });
    }
    if (firstError) console.log(`  first error: ${firstError}`);

    // Where the tail comes from.
    const q = (xs: number[], p: number) => percentile([...xs].sort((x, y) => x - y), p);
    const lags = calls.map((c) => c.lag);
    console.log(`  tail: the bench's dispatch lag p50 ${q(lags, 0.5).toFixed(1)} ms, p99 ${q(lags, 0.99).toFixed(1)} ms, ` +
      `max ${Math.max(...lags).toFixed(1)} ms; event-loop stalls p99 ${q(loopStalls, 0.99).toFixed(1)} ms, ` +
      `max ${Math.max(...loopStalls).toFixed(1)} ms; calls in flight at dispatch p99 ${q(calls.map((c) => c.inFlight), 0.99)}, ` +
      `max ${Math.max(...calls.map((c) => c.inFlight))} (pool of ${poolSize}; beyond it calls queue in the bench)`);
    const slow = calls.filter((c) => c.latency > 100).length;
    // 250 ms windows by due time: the worst ones, with the calls due in them.
    const windows = new Map<number, typeof calls>();
    for (const c of calls) {
      const w = Math.floor(c.due / 250);
      if (!windows.has(w)) windows.set(w, []);
      windows.get(w)!.push(c);
    }
    const worst = [...windows.entries()].map(([w, cs]) => ({ w, cs, max: Math.max(...cs.map((c) => c.latency)) }))
      .sort((x, y) => y.max - x.max).slice(0, 6).sort((x, y) => x.w - y.w);
    console.log(`  tail: ${slow} calls over 100 ms; worst 250 ms windows (by due time since the start):`);
    for (const { w, cs, max } of worst) {
      const at = new Date(startedAt.getTime() + w * 250).toISOString().slice(11, 23);
      console.log(`    ${at} (+${(w * 0.25).toFixed(2)} s): ${cs.length} calls, latency max ${max.toFixed(0)} ms, ` +
        `p50 ${q(cs.map((c) => c.latency), 0.5).toFixed(0)} ms, in flight max ${Math.max(...cs.map((c) => c.inFlight))}, ` +
        `dispatch lag max ${Math.max(...cs.map((c) => c.lag)).toFixed(0)} ms`);
    }
    if (su) {
      for (const w of autovacuum.keys()) waits.delete(w);
      const total = [...waits.values()].reduce((a, v) => a + v, 0);
      console.log(`  server: active client backends by wait (sampled every 50 ms, ${total} backend samples): ` +
        [...waits.entries()].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([w, n]) => `${w} ${n}`).join(", "));
      console.log(`  server: lock waits by waiting and blocking call (samples): ${blockers.size ? [...blockers.entries()]
        .sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(", ") : "none"}`);
      console.log(`  server: autovacuum during the phase: ${autovacuum.size ? [...autovacuum.entries()].map(([w, ts]) =>
        `${w.slice(0, 80)} from +${(ts[0] / 1000).toFixed(2)} s to +${(ts[ts.length - 1] / 1000).toFixed(2)} s`).join("; ") : "none seen"}`);
      const jobs = await su`
        select j.jobname, to_char(d.start_time at time zone 'UTC', 'HH24:MI:SS.MS') as started,
               round(extract(epoch from d.end_time - d.start_time)::numeric * 1000) as ms, d.status
        from cron.job_run_details d join cron.job j using (jobid)
        where d.start_time between ${startedAt} and ${endedAt} order by d.start_time`.catch(() => []);
      console.log(`  server: pg_cron jobs during the phase: ${jobs.length ? jobs.map((j) => `${j.jobname} at ${j.started} ${j.ms} ms ${j.status}`).join("; ") : "none"}`);
      for (const [k] of logSettings) await su.unsafe(`alter system reset ${k}`);
      await su`select pg_reload_conf()`;
      const log = await Deno.readTextFile(logFile).catch(() => "");
      const from = startedAt.toISOString().replace("T", " ").slice(0, 23);
      const to = endedAt.toISOString().replace("T", " ").slice(0, 23);
      const lines = log.split("\n").filter((l) => l.slice(0, 23) >= from && l.slice(0, 23) <= to);
      const durations = lines.map((l) => /duration: ([\d.]+) ms/.exec(l)).filter(Boolean).map((m) => Number(m![1]));
      console.log(`  server: ${durations.length} statements over ${slowMs} ms by the server's own clock during the phase` +
        (durations.length ? ` (max ${Math.max(...durations).toFixed(0)} ms)` : "") + `; ${slow} calls over 100 ms by the bench's`);
      // The server's slow statements per worst window (by end time), then everything else it logged.
      const slowAt = lines.map((l) => ({ at: Date.parse(l.slice(0, 23).replace(" ", "T") + "Z"), m: /duration: ([\d.]+) ms/.exec(l) }))
        .filter((x) => x.m).map((x) => ({ at: x.at - startedAt.getTime(), ms: Number(x.m![1]) }));
      for (const { w } of worst) {
        const inWindow = slowAt.filter((x) => x.at >= w * 250 && x.at < (w + 2) * 250);
        console.log(`    +${(w * 0.25).toFixed(2)} s to +${((w + 2) * 0.25).toFixed(2)} s: ${inWindow.length} server statements over ${slowMs} ms` +
          (inWindow.length ? ` (max ${Math.max(...inWindow.map((x) => x.ms)).toFixed(0)} ms)` : ""));
      }
      for (const l of lines.filter((l) => !/duration: /.test(l) && /LOG:/.test(l)).slice(0, 20)) console.log(`    ${l.slice(11, 220)}`);
    }
  } finally {
    sampling = false;
    await pool.end({ timeout: 5 });
  }
  }

  // --- profile ------------------------------------------------------------------------------------
  await printTopStatements(su, "top statements by total time (pg_stat_statements, since the unthrottled mix, nested included)");
  const [drift] = await b.sql`select count(*)::int as n from private.viewer_count_drift() where session_id = ${session.id}`;
  console.log(`  viewer_count_drift rows for the event after the run: ${drift.n}`);
  b.report("viewer_count drift after the run", drift.n, "zero", 1, { max: 0 }, "rows");
}
