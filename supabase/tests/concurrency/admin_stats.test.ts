/**
 * admin_stats rollups under real concurrency: 40 users send chat messages and book sessions over 40
 * connections (each call a PostgREST-like transaction as its user) while four connections run the
 * fold job (private.stats_fold) over and over. The triggers only append increments; the folds move
 * them into the hourly rollups with skip locked. Afterwards the rollups plus the increments not folded
 * yet grew by exactly the rows written (nothing lost, nothing counted twice), a last fold leaves no
 * increment behind and changes no total, and admin_stats reports the same numbers.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUser, createUsers, dbUrl } from "./_lib.ts";

const USERS = 40;
const MESSAGES_PER_USER = 10;

Deno.test("admin_stats: parallel writers and parallel folds count every row exactly once", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: USERS, prepare: false, onnotice: () => {} });
  const folders = postgres(dbUrl(), { max: 4, prepare: false, onnotice: () => {} });
  const users = await createUsers(admin, "stats", USERS + 1);
  const [host, ...writers] = users;
  const sessions: string[] = [];
  // The counters of every hour: folded rollups plus the increments not folded yet.
  const totals = async () => {
    const [row] = await admin`
      select coalesce(sum(n) filter (where metric = 'chat_messages'), 0)::int as chat_messages,
             coalesce(sum(n) filter (where metric = 'bookings'), 0)::int as bookings
      from (select metric, n from private.stats_hourly union all select metric, n from private.stats_events) x`;
    return { chat_messages: row.chat_messages as number, bookings: row.bookings as number };
  };
  try {
    const [live] = await admin`
      insert into public.sessions (title, starts_at, started_at, status, visibility, chat_rate_limit, created_by)
      values ('Parallel stats: chat', now(), now(), 'live', 'public', 1000, ${host}) returning id`;
    const [bookable] = await admin`
      insert into public.sessions (title, starts_at, status, visibility, created_by)
      values ('Parallel stats: bookings', now() + interval '3 days', 'scheduled', 'public', ${host}) returning id`;
    sessions.push(live.id, bookable.id);
    await admin`insert into public.bookings (session_id, user_id, status)
                select ${live.id}, u, 'confirmed' from unnest(${writers}::uuid[]) u`;
    const before = await totals();

    let writing = true;
    const fold = async () => {
      let runs = 0;
      while (writing) {
        await folders`select private.stats_fold()`;
        runs++;
      }
      return runs;
    };
    const foldRuns = Promise.all([fold(), fold(), fold(), fold()]);
    await Promise.all(writers.map(async (u) => {
      await asUser(pool, u, (tx) => tx`select public.book_session(${bookable.id})`);
      for (let i = 0; i < MESSAGES_PER_USER; i++) {
        await asUser(pool, u, (tx) => tx`select public.send_chat_message(${live.id}, ${"parallel " + i})`);
      }
    }));
    writing = false;
    const runs = (await foldRuns).reduce((a, b) => a + b, 0);
    assert.ok(runs > 4, `the folds ran while the writers wrote (${runs} runs)`);

    const [written] = await admin`
      select (select count(*)::int from public.chat_messages where session_id = ${live.id}) as chat_messages,
             (select count(*)::int from public.bookings where session_id = ${bookable.id}) as bookings`;
    assert.deepEqual(written, { chat_messages: USERS * MESSAGES_PER_USER, bookings: USERS });
    // The fixture's 40 bookings of the live session were counted before `before`.
    const after = await totals();
    assert.deepEqual(
      { chat_messages: after.chat_messages - before.chat_messages, bookings: after.bookings - before.bookings },
      written, "rollups plus unfolded increments grew by exactly the rows written");

    await admin`select private.stats_fold()`;
    const [{ left }] = await admin`select count(*)::int as left from private.stats_events`;
    assert.equal(left, 0, "a last fold leaves no increment behind");
    assert.deepEqual(await totals(), after, "and changes no total");

    const [{ from, to }] = await admin`select date_trunc('hour', now() - interval '2 hours', 'UTC') as from,
                                               now() + interval '1 hour' as to`;
    const stats = await admin.begin(async (tx) => {
      await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`;
      const [row] = await tx`select public.admin_stats(${from}, ${to}) as s`;
      return row.s;
    });
    const [direct] = await admin`
      select coalesce(sum(n) filter (where metric = 'chat_messages'), 0)::int as chat_messages,
             coalesce(sum(n) filter (where metric = 'bookings'), 0)::int as bookings
      from (select metric, n from private.stats_hourly where hour >= ${from} and hour < ${to}
            union all select metric, n from private.stats_events where hour >= ${from} and hour < ${to}) x`;
    assert.deepEqual({ chat_messages: Number(stats.totals.chat_messages), bookings: Number(stats.totals.bookings) },
      { ...direct }, "admin_stats reports the rollups");
    assert.ok(direct.chat_messages >= written.chat_messages, "the period holds this test's messages");
  } finally {
    await admin`delete from realtime.messages where topic = any(${sessions.map((s) => "session:" + s)})`;
    await admin`delete from public.sessions where id = any(${sessions}::uuid[])`;
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await folders.end({ timeout: 5 });
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
