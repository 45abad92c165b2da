/**
 * Resource tracking under real concurrency, each call a PostgREST-like transaction as its user:
 * - 50 distinct users view one resource over 50 connections at once, twice each (the second inside
 *   the 10-minute window): exactly 50 views, 50 unique viewers today, 50 activity rows;
 * - one user calling track_resource_view 50 times in parallel is counted exactly once;
 * - 50 users downloading while 50 others view the same resource: each count exact, apart.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUser as asUserTx, createUsers, dbUrl } from "./_lib.ts";

const CONNECTIONS = 50;

/** One RPC as `userId` in one transaction, the way PostgREST runs it; returns its jsonb answer. */
async function asUser(sql: postgres.Sql, userId: string, statement: (tx: postgres.TransactionSql) => Promise<postgres.RowList<postgres.Row[]>>) {
  return await asUserTx(sql, userId, async (tx) => {
    const [row] = await statement(tx);
    return row.answer as { counted: boolean };
  });
}

Deno.test("resource tracking: parallel views and downloads are counted exactly", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CONNECTIONS, prepare: false, onnotice: () => {} });
  const users = await createUsers(admin, "tracking", 101);
  const [author, ...readers] = users;
  try {
    await admin`update public.user_roles set role = 'coach' where user_id = ${author}`;
    const [{ id: resource }] = await admin`
      insert into public.resources (title, kind, external_url, visibility, status, author_id)
      values ('Parallel worksheet', 'pdf', 'https://example.org/parallel.pdf', 'members', 'published', ${author}) returning id`;
    await Promise.all(Array.from({ length: CONNECTIONS }, () => pool`select pg_sleep(0.05)`));
    const view = (u: string) => asUser(pool, u, (tx) => tx`select public.track_resource_view(${resource}) as answer`);
    const download = (u: string) => asUser(pool, u, (tx) => tx`select public.track_resource_download(${resource}) as answer`);
    const stats = async () => {
      const [row] = await admin`
        select d.views, d.downloads, d.unique_viewers, d.unique_downloaders,
               (select count(*)::int from public.resource_activity a where a.resource_id = ${resource} and a.kind = 'view') as viewers,
               (select count(*)::int from public.resource_activity a where a.resource_id = ${resource} and a.kind = 'download') as downloaders
        from public.resource_daily_stats d where d.resource_id = ${resource} and d.day = (now() at time zone 'utc')::date`;
      return row;
    };

    // 50 users, each twice, all at once.
    const first = readers.slice(0, 50);
    const answers = await Promise.all([...first, ...first].map(view));
    assert.equal(answers.filter((a) => a.counted).length, 50, "exactly one counted call per user");
    assert.deepEqual({ ...(await stats()) }, { views: 50, downloads: 0, unique_viewers: 50, unique_downloaders: 0, viewers: 50, downloaders: 0 });

    // One user, 50 times in parallel.
    const one = readers[50];
    const burst = await Promise.all(Array.from({ length: 50 }, () => view(one)));
    assert.equal(burst.filter((a) => a.counted).length, 1, "one user's burst counts once");
    assert.deepEqual({ ...(await stats()) }, { views: 51, downloads: 0, unique_viewers: 51, unique_downloaders: 0, viewers: 51, downloaders: 0 });

    // 50 downloads by the first users while the other 49 readers view it.
    const mixed = await Promise.all([...first.map(download), ...readers.slice(51).map(view)]);
    assert.equal(mixed.filter((a) => a.counted).length, 99, "every download and every new view counts");
    assert.deepEqual({ ...(await stats()) }, { views: 100, downloads: 50, unique_viewers: 100, unique_downloaders: 50, viewers: 100, downloaders: 50 });
  } finally {
    await admin`delete from public.resources where author_id = ${author}`;
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
