/**
 * Breakout rooms under real concurrency, each call a PostgREST-like transaction as its user: 50
 * members each try two self-select rooms of one session at the same moment (join_room on both in
 * parallel). Everyone ends up in exactly one room: the call that comes second moves them.
 */
import assert from "node:assert/strict";
import postgres from "postgres";

const MEMBERS = 50;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

function asUser(sql: postgres.Sql, userId: string, fn: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@example.test` });
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
    await fn(tx);
  });
}

Deno.test("rooms: a member joining two rooms at once ends up in one", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 2 * MEMBERS, prepare: false, onnotice: () => {} });
  const users = (await admin`
    insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
    select gen_random_uuid(), 'rooms-' || g || '-' || substr(md5(random()::text), 1, 10) || '@example.test',
           jsonb_build_object('display_name', 'Roomer ' || g), 'authenticated', 'authenticated', now()
    from generate_series(1, ${MEMBERS + 1}) g
    returning id`).map((r) => r.id as string);
  const [host, ...members] = users;
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  const [{ id: session }] = await admin`
    insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
    values ('rooms concurrency', 'live', 'members', now(), now(), ${host}) returning id`;
  try {
    await admin`insert into public.bookings (session_id, user_id, status)
                select ${session}, u, 'confirmed' from unnest(${members}::uuid[]) u`;
    let rooms: string[] = [];
    await asUser(admin, host, async (tx) => {
      rooms = (await tx`select id from public.open_breakout_rooms(${session}, array['Left', 'Right'], null, null, true)`)
        .map((r) => r.id as string);
    });
    assert.equal(rooms.length, 2);
    await Promise.all(Array.from({ length: 2 * MEMBERS }, () => pool`select pg_sleep(0.05)`));
    await Promise.all(members.flatMap((m) => rooms.map((room) => asUser(pool, m, (tx) => tx`select public.join_room(${room})`))));
    const counts = await admin`
      select a.user_id, count(*)::int as n from public.room_assignments a
      join public.rooms r on r.id = a.room_id
      where r.session_id = ${session} group by a.user_id`;
    assert.equal(counts.length, MEMBERS, "every member is in a room");
    assert.deepEqual(counts.filter((c) => c.n !== 1), [], "nobody is in two rooms");
  } finally {
    await admin`delete from realtime.messages where topic = ${"session:" + session}`;
    await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
