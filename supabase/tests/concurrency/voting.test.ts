/**
 * Voting and upvoting under real concurrency, each call a PostgREST-like transaction as its user:
 * - 500 distinct users vote in one poll over 150 connections at once: the tallies (poll_results,
 *   sharded counters) equal the vote rows exactly, and the poll_updated broadcasts stay coalesced
 *   (at most 2 per second) while the close broadcast carries the final tallies;
 * - one user voting 20 times in parallel gets exactly one vote (19 already_voted);
 * - 300 users upvoting one question in parallel give upvote_count 300 and 300 rows.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { apiCode, asUser as asUserTx, createUsers, dbUrl } from "./_lib.ts";

const CONNECTIONS = 150;

type Outcome = { ok: true } | { ok: false; code: string };

/** One RPC as `userId` in one transaction, the way PostgREST runs it. */
function asUser(sql: postgres.Sql, userId: string, fn: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<Outcome> {
  return asUserTx(sql, userId, fn).then((): Outcome => ({ ok: true }), (err) => ({ ok: false, code: apiCode(err) }));
}

/** A live session hosted by `hostId` with every member holding a confirmed booking. */
async function createSession(admin: postgres.Sql, hostId: string, memberIds: string[]): Promise<string> {
  const [{ id }] = await admin`insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
                               values ('voting concurrency', 'live', 'members', now(), now(), ${hostId}) returning id`;
  await admin`insert into public.bookings (session_id, user_id, status)
              select ${id}, u, 'confirmed' from unnest(${memberIds}::uuid[]) u`;
  return id;
}

type Ctx = { admin: postgres.Sql; pool: postgres.Sql; host: string; users: string[]; session: string };

// Users are created once for every step: the signup trigger costs tens of milliseconds per user.
async function withFixture(members: number, fn: (ctx: Ctx) => Promise<void>) {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CONNECTIONS, prepare: false, onnotice: () => {} });
  const [host, ...users] = await createUsers(admin, "voting", members + 1);
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  let session: string | undefined;
  try {
    session = await createSession(admin, host, users);
    // Open every connection up front so the calls really run side by side.
    await Promise.all(Array.from({ length: CONNECTIONS }, () => pool`select pg_sleep(0.05)`));
    await fn({ admin, pool, host, users, session });
  } finally {
    if (session) {
      await admin`delete from realtime.messages where topic = ${"session:" + session}`;
      await admin`delete from public.sessions where id = ${session}`;
    }
    await admin`delete from auth.users where id = any(${[host, ...users]}::uuid[])`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
}

async function createOpenPoll(admin: postgres.Sql, host: string, session: string, options: string[]): Promise<{ poll: string; optionIds: string[] }> {
  let poll = "";
  const created = await asUser(admin, host, async (tx) => {
    const [{ p }] = await tx`select (public.create_poll(${session}::uuid, 'Which one?', ${options}::text[])) ->> 'id' as p`;
    poll = p;
    await tx`select public.open_poll(${poll}::uuid)`;
  });
  assert.ok(created.ok, `create/open poll: ${JSON.stringify(created)}`);
  const rows = await admin`select id from public.poll_options where poll_id = ${poll} order by position`;
  return { poll, optionIds: rows.map((r) => r.id as string) };
}

async function parallelVotes({ admin, pool, host, users, session }: Ctx) {
  {
    const { poll, optionIds } = await createOpenPoll(admin, host, session, ["a", "b", "c", "d"]);
    const started = performance.now();
    const outcomes = await Promise.all(users.map((u, i) =>
      asUser(pool, u, (tx) => tx`select public.vote_poll(${poll}::uuid, ${[optionIds[i % 4]]}::uuid[])`)
    ));
    const seconds = (performance.now() - started) / 1000;
    const failures = outcomes.filter((o) => !o.ok);
    assert.equal(failures.length, 0, `failed votes: ${JSON.stringify(failures.slice(0, 3))}`);

    // Results as the host: 125 per option, 500 distinct voters.
    let results: { votes: number; voters: number }[] = [];
    await asUser(admin, host, async (tx) => {
      results = await tx`select votes::int, voters::int from public.poll_results(${poll}::uuid) order by position`;
    });
    assert.deepEqual(results.map((r) => r.votes), [125, 125, 125, 125]);
    assert.ok(results.every((r) => r.voters === 500), `voters ${results.map((r) => r.voters)}`);
    const [{ rows, tallied, ballots, voters }] = await admin`
      select (select count(*)::int from public.poll_votes where poll_id = ${poll}) as rows,
             (select sum(votes)::int from private.poll_option_tallies where poll_id = ${poll}) as tallied,
             (select count(*)::int from public.poll_ballots where poll_id = ${poll}) as ballots,
             (select sum(voters)::int from private.poll_voter_tallies where poll_id = ${poll}) as voters`;
    assert.equal(rows, 500);
    assert.equal(tallied, rows, "sharded option tallies == vote rows");
    assert.equal(voters, ballots, "sharded voter tallies == ballots");
    const [{ shards }] = await admin`select count(distinct shard)::int as shards from private.poll_option_tallies where poll_id = ${poll}`;
    assert.ok(shards > 32, `votes spread over ${shards} shards`);

    // Coalesced: at most one broadcast per 500 ms during the burst (plus the opening one).
    const [{ during }] = await admin`select count(*)::int as during from realtime.messages
      where topic = ${"session:" + session} and event = 'poll_updated' and payload ->> 'poll_id' = ${poll} and payload ->> 'status' = 'open'`;
    assert.ok(during >= 2 && during <= 2 * Math.ceil(seconds) + 2, `${during} broadcasts in ${seconds.toFixed(2)} s`);

    // The close broadcast carries the final tallies.
    const closed = await asUser(admin, host, (tx) => tx`select public.close_poll(${poll}::uuid)`);
    assert.ok(closed.ok);
    const [{ payload }] = await admin`select payload from realtime.messages
      where topic = ${"session:" + session} and event = 'poll_updated' and payload ->> 'poll_id' = ${poll} and payload ->> 'status' = 'closed'`;
    assert.equal(payload.voters, 500);
    assert.deepEqual(payload.options.map((o: { votes: number }) => o.votes), [125, 125, 125, 125]);
  }
}

async function oneUserTwentyTimes({ admin, pool, host, users: [voter], session }: Ctx) {
  {
    for (let round = 1; round <= 3; round++) {
      const { poll, optionIds } = await createOpenPoll(admin, host, session, ["x", "y", "z"]);
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        asUser(pool, voter, (tx) => tx`select public.vote_poll(${poll}::uuid, ${[optionIds[i % 3]]}::uuid[])`)
      ));
      const ok = outcomes.filter((o) => o.ok).length;
      const codes = outcomes.filter((o): o is { ok: false; code: string } => !o.ok).map((o) => o.code);
      assert.equal(ok, 1, `round ${round}: ${ok} votes accepted`);
      assert.equal(codes.length, 19);
      assert.deepEqual([...new Set(codes)], ["already_voted"]);
      const [{ rows, tallied }] = await admin`
        select (select count(*)::int from public.poll_votes where poll_id = ${poll}) as rows,
               (select coalesce(sum(votes), 0)::int from private.poll_option_tallies where poll_id = ${poll}) as tallied`;
      assert.equal(rows, 1);
      assert.equal(tallied, 1);
    }
  }
}

async function parallelUpvotes({ admin, pool, users: members, session }: Ctx) {
  const users = members.slice(0, 300);
  {
    let question = "";
    const asked = await asUser(admin, users[0], async (tx) => {
      const [{ q }] = await tx`select (public.ask_question(${session}::uuid, 'Will this count be exact?')) ->> 'id' as q`;
      question = q;
    });
    assert.ok(asked.ok);
    const outcomes = await Promise.all(users.map((u) => asUser(pool, u, (tx) => tx`select public.upvote_question(${question}::uuid)`)));
    const failures = outcomes.filter((o) => !o.ok);
    assert.equal(failures.length, 0, `failed upvotes: ${JSON.stringify(failures.slice(0, 3))}`);
    const [{ count, rows }] = await admin`
      select (select upvote_count from public.questions where id = ${question}) as count,
             (select count(*)::int from public.question_upvotes where question_id = ${question}) as rows`;
    assert.equal(count, 300);
    assert.equal(rows, 300);
    // A second parallel wave by the same users is refused entirely and changes nothing.
    const again = await Promise.all(users.slice(0, 50).map((u) => asUser(pool, u, (tx) => tx`select public.upvote_question(${question}::uuid)`)));
    assert.deepEqual([...new Set(again.map((o) => (o.ok ? "ok" : o.code)))], ["already_upvoted"]);
    const [{ after }] = await admin`select upvote_count as after from public.questions where id = ${question}`;
    assert.equal(after, 300);
  }
}

Deno.test("voting under concurrency", async (t) => {
  await withFixture(500, async (ctx) => {
    await t.step("500 users voting in parallel give exact tallies and coalesced broadcasts", () => parallelVotes(ctx));
    await t.step("one user voting 20 times in parallel gets exactly one vote (19 already_voted)", () => oneUserTwentyTimes(ctx));
    await t.step("300 parallel upvotes by 300 users give upvote_count 300 and 300 rows", () => parallelUpvotes(ctx));
  });
});
