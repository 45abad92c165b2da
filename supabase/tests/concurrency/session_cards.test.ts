// session_cards' public part on the seat row (45_session_cards.sql) under real concurrency: the
// seat row's ban count and first host must equal the tables after parallel writers, as PostgREST
// callers (transaction-local role and request.jwt.claims), on one connection each.
//
// 1. Three co-hosts ban 60 users of a live session at once (and ban 20 of them a second time) while
//    60 other users book it; then they lift 30 bans at once: session_seats.bans equals the ban rows
//    after each step, and every user's card says banned (can_join false) exactly for the banned.
// 2. Co-hosts are added and removed and the hosts rename themselves at once: the seat row's host is
//    private.first_host's answer and its name the host's current display name.
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, type Sql } from "./_lib.ts";

/** Seat rows whose host or ban count differ from the tables (0 when the triggers kept them). */
async function drift(admin: Sql, sessionId: string): Promise<number> {
  const [r] = await admin`
    select count(*)::int as n from private.session_seats ss
    left join lateral private.first_host(ss.session_id) h on true
    where ss.session_id = ${sessionId}
      and ((ss.host_id, ss.host_name) is distinct from (h.user_id, h.display_name)
           or ss.bans <> (select count(*) from public.session_bans b where b.session_id = ss.session_id))`;
  return r.n;
}

async function withFixture(fn: (admin: Sql, pool: Sql, hosts: string[], users: string[], session: string) => Promise<void>) {
  const admin = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(DB_URL!, { max: 16, prepare: false, onnotice: () => {}, idle_timeout: 5 });
  const hosts = await createUsers(admin, "cards-host", 3);
  const users = await createUsers(admin, "cards", 120);
  await admin`update public.user_roles set role = 'coach' where user_id = any(${hosts})`;
  const [s] = await admin`
    insert into public.sessions (title, starts_at, status, visibility, capacity, created_by, started_at)
    values ('Cards concurrency', now() - interval '5 minutes', 'live', 'public', null, ${hosts[0]}, now() - interval '5 minutes')
    returning id`;
  try {
    for (const h of hosts.slice(1)) {
      await asUser(admin, hosts[0], (tx) => tx`select public.add_session_staff(${s.id}, ${h}, 'host')`);
    }
    await fn(admin, pool, hosts, users, s.id);
  } finally {
    await admin`delete from public.sessions where id = ${s.id}`;
    await dropUsers(admin, [...hosts, ...users]);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
}

Deno.test({
  name: "session_cards: parallel bans, re-bans and unbans during bookings keep the seat row's ban count exact",
  ignore: !DB_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => withFixture(async (admin, pool, hosts, users, session) => {
    const banned = users.slice(0, 60);
    const bookers = users.slice(60);
    const ban = (i: number, u: string) =>
      asUser(pool, hosts[i % hosts.length], (tx) => tx`select public.ban_user(${session}, ${u}, 'concurrency')`);
    await Promise.all([
      ...banned.map((u, i) => ban(i, u)),
      ...banned.slice(0, 20).map((u, i) => ban(i + 1, u)),
      ...bookers.map((u) => asUser(pool, u, (tx) => tx`select public.book_session(${session})`)),
    ]);
    assert.equal(await drift(admin, session), 0, "ban count and host equal the tables after parallel bans");
    const [seat] = await admin`select bans, confirmed from private.session_seats where session_id = ${session}`;
    assert.deepEqual([seat.bans, seat.confirmed], [60, 60]);

    const lifted = banned.slice(0, 30);
    await Promise.all(lifted.map((u, i) =>
      asUser(pool, hosts[i % hosts.length], (tx) => tx`select public.unban_user(${session}, ${u})`)));
    assert.equal(await drift(admin, session), 0, "ban count equals the ban rows after parallel unbans");

    const still = new Set(banned.slice(30));
    const cards = await Promise.all(users.map((u) =>
      asUser(pool, u, (tx) => tx`select can_join, host_name from public.session_cards where id = ${session}`)));
    cards.forEach((rows, i) => {
      assert.equal(rows.length, 1);
      assert.equal(rows[0].can_join, !still.has(users[i]), `can_join of user ${i}`);
      assert.equal(rows[0].host_name, "cards-host 0");
    });
  }),
});

Deno.test({
  name: "session_cards: parallel host changes and renames keep the seat row's host and name",
  ignore: !DB_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => withFixture(async (admin, pool, hosts, users, session) => {
    const cohosts = users.slice(0, 20);
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        ...cohosts.map((u, i) =>
          asUser(pool, hosts[i % hosts.length], (tx) => tx`select public.add_session_staff(${session}, ${u}, 'host')`)),
        ...hosts.map((h, i) =>
          asUser(pool, h, (tx) => tx`update public.profiles set display_name = ${`Host ${i} round ${round}`} where id = ${h}`)),
      ]);
      assert.equal(await drift(admin, session), 0, `round ${round}: host equals first_host after adds and renames`);
      await Promise.all([
        ...cohosts.map((u, i) =>
          asUser(pool, hosts[i % hosts.length], (tx) => tx`select public.remove_session_staff(${session}, ${u})`)),
        asUser(pool, hosts[0], (tx) => tx`update public.profiles set display_name = ${`First ${round}`} where id = ${hosts[0]}`),
      ]);
      assert.equal(await drift(admin, session), 0, `round ${round}: host equals first_host after removals`);
      const [card] = await asUser(pool, users[50], (tx) => tx`select host_id, host_name from public.session_cards where id = ${session}`);
      assert.deepEqual([card.host_id, card.host_name], [hosts[0], `First ${round}`]);
    }
  }),
});
