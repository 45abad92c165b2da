/**
 * Polls under load.
 * 1. vote_poll throughput with 32 clients as a ratio to 8 clients (target 0.8x or more): votes are
 *    rows, tallies go to 64 shards per option, the broadcast throttle is taken with skip locked, so
 *    no voter waits for a hot row. A fresh poll per measurement, every vote by a distinct user.
 * 2. poll_results latency at 1,000,000 votes as a ratio to 1,000 votes (target 2x or less): results
 *    are summed from the sharded counters, not counted from the vote rows. The votes are bulk-loaded
 *    with generate_series as postgres inside one transaction that is rolled back afterwards.
 *
 * Users are inserted into auth.users with the signup trigger disabled inside the inserting
 * transaction, over a supabase_admin connection (on today's platform postgres no longer owns
 * auth.users, so it may not disable its triggers; the local superuser has the same password): the trigger costs tens of
 * milliseconds per user (time zone validation), which would dominate the run. Voters do not need a
 * profile; their platform role defaults to member.
 */
import postgres from "postgres";
import type { Bench, Sql } from "./lib.ts";

const quiet = { onnotice: () => {}, prepare: false } as const;

/** The bench cluster's superuser: only the owner of auth.users may disable its signup trigger. */
function adminUrl(url: string): string {
  const u = new URL(url);
  u.username = "supabase_admin";
  return u.toString();
}

async function bulkUsers(b: Bench, n: number, prefix: string): Promise<string[]> {
  const admin = postgres(adminUrl(b.dbUrl), { ...quiet, max: 1 });
  const rows = await admin.begin(async (tx) => {
    await tx`alter table auth.users disable trigger on_auth_user_created`;
    const inserted = await tx`
      insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
      select gen_random_uuid(), ${prefix} || '-' || g || '-' || substr(md5(random()::text), 1, 8) || '@bench.local',
             '{}'::jsonb, 'authenticated', 'authenticated', now()
      from generate_series(1, ${n}) g
      returning id`;
    await tx`alter table auth.users enable trigger on_auth_user_created`;
    return inserted;
  }).finally(() => admin.end({ timeout: 5 }));
  const ids = rows.map((r) => r.id as string);
  b.onCleanup(() => b.sql`delete from auth.users where id = any(${ids}::uuid[])`);
  return ids;
}

/** An open single-choice poll with four options and live results; returns its id and option ids. */
async function openPoll(sql: Sql | postgres.TransactionSql, session: string, kind = "single", options = 4, maxChoices = 1) {
  const [poll] = await sql`
    insert into public.polls (session_id, question, kind, max_choices, status, opened_at)
    values (${session}, 'Bench poll', ${kind}, ${maxChoices}, 'open', now()) returning id`;
  const opts = await sql`
    insert into public.poll_options (poll_id, label, position)
    select ${poll.id}, 'Option ' || g, g from generate_series(1, ${options}) g returning id`;
  await sql`insert into private.poll_broadcast_throttle (poll_id) values (${poll.id})`;
  return { poll: poll.id as string, optionIds: opts.map((o) => o.id as string) };
}

export default async function (b: Bench) {
  // 1. vote_poll: 32 clients vs 8 clients ----------------------------------------------------------
  const [host] = await bulkUsers(b, 1, "bench-poll-host");
  const voters = await bulkUsers(b, 12000, "bench-voter");
  const [session] = await b.sql`
    insert into public.sessions (title, starts_at, status, visibility, started_at, created_by)
    values ('Bench: polls', now(), 'live', 'members', now(), ${host}) returning id`;
  b.onCleanup(() => b.sql`delete from public.sessions where id = ${session.id}`);
  await b.sql`insert into public.bookings (session_id, user_id, status)
              select ${session.id}, u, 'confirmed' from unnest(${voters}::uuid[]) u`;

  const measure = async (clients: number) => {
    const { poll, optionIds } = await openPoll(b.sql, session.id);
    let next = 0;
    return await b.throughput(`vote_poll, one poll, distinct users, ${clients} clients`, {
      clients,
      seconds: 4,
      // Past the end of the voter list the calls repeat users: already_voted (409) is expected then.
      op: (sql) => {
        const i = next++;
        return b.asUser(sql, voters[i % voters.length], (tx) =>
          tx`select public.vote_poll(${poll}::uuid, ${[optionIds[i % optionIds.length]]}::uuid[])`);
      },
      expectedErrors: (e) => b.errorCode(e) === "already_voted",
    });
  };
  const eight = await measure(8);
  const thirtyTwo = await measure(32);
  b.report("vote_poll with 32 clients", thirtyTwo.opsPerSec, "vote_poll with 8 clients", eight.opsPerSec, { min: 0.8 });
  const clean = eight.errors + thirtyTwo.errors === 0;
  console.log(`vote_poll unexpected errors: ${eight.errors + thirtyTwo.errors} (target 0) ${clean ? "OK" : "MISS"}`);
  b.results.push({ label: "vote_poll unexpected errors", ok: clean });

  // 2. poll_results at 1,000 and 1,000,000 votes ---------------------------------------------------
  const one = postgres(adminUrl(b.dbUrl), { ...quiet, max: 1 });
  try {
    await one.begin(async (tx) => {
      const loadStarted = performance.now();
      await tx`alter table auth.users disable trigger on_auth_user_created`;
      await tx`create temporary table bench_voters on commit drop as
               select gen_random_uuid() as id, g from generate_series(1, 100000) g`;
      await tx`insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
               select v.id, 'bench-bulk-' || v.g || '@bench.local', '{}'::jsonb, 'authenticated', 'authenticated', now()
               from bench_voters v`;
      // Ten options, everyone picks all ten: 100 voters = 1,000 votes; 100,000 voters = 1,000,000 votes.
      const small = await openPoll(tx, session.id, "multiple", 10, 10);
      const big = await openPoll(tx, session.id, "multiple", 10, 10);
      for (const [poll, n] of [[small.poll, 100], [big.poll, 100000]] as const) {
        await tx`insert into public.poll_ballots (poll_id, user_id) select ${poll}, v.id from bench_voters v where v.g <= ${n}`;
        await tx`insert into public.poll_votes (poll_id, option_id, user_id)
                 select ${poll}, o.id, v.id from bench_voters v cross join public.poll_options o
                 where v.g <= ${n} and o.poll_id = ${poll}`;
      }
      const [counts] = await tx`select (select count(*)::int from public.poll_votes where poll_id = ${small.poll}) as small,
                                       (select count(*)::int from public.poll_votes where poll_id = ${big.poll}) as big`;
      await tx`analyze public.poll_votes`;
      console.log(`  loaded ${counts.small} and ${counts.big} votes in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

      // As the host, like PostgREST; alternate the two polls so both see the same conditions.
      const claims = JSON.stringify({ sub: host, role: "authenticated", email: `${host}@bench.local` });
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
      const time = async (poll: string, runs: number) => {
        const started = performance.now();
        for (let i = 0; i < runs; i++) await tx`select * from public.poll_results(${poll}::uuid)`;
        return performance.now() - started;
      };
      await time(small.poll, 50);
      await time(big.poll, 50);
      let smallMs = 0, bigMs = 0;
      const runs = 200;
      for (let round = 0; round < 5; round++) {
        smallMs += await time(small.poll, runs);
        bigMs += await time(big.poll, runs);
      }
      const [check] = await tx`select sum(votes)::int as votes, max(voters)::int as voters from public.poll_results(${big.poll}::uuid)`;
      console.log(`  poll_results: ${(smallMs / (5 * runs)).toFixed(3)} ms at 1,000 votes, ${(bigMs / (5 * runs)).toFixed(3)} ms at ` +
        `${check.votes} votes (${check.voters} voters)`);
      b.report("poll_results at 1,000,000 votes", bigMs / (5 * runs), "poll_results at 1,000 votes", smallMs / (5 * runs), { max: 2 },
        "ms per call");
      throw new RollbackBulkLoad();
    }).catch((e) => {
      if (!(e instanceof RollbackBulkLoad)) throw e;
    });
  } finally {
    await one.end({ timeout: 5 });
  }
}

/** Thrown to roll back the bulk-load transaction once measured. */
class RollbackBulkLoad extends Error {}
