/**
 * Breakout rooms under real concurrency, each call a PostgREST-like transaction as its user: 50
 * members each try two self-select rooms of one session at the same moment (join_room on both in
 * parallel). Everyone ends up in exactly one room: the call that comes second moves them.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUser, createUsers, dbUrl } from "./_lib.ts";

const MEMBERS = 50;

Deno.test("rooms: a member joining two rooms at once ends up in one", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: 2 * MEMBERS, prepare: false, onnotice: () => {} });
  const users = await createUsers(admin, "rooms", MEMBERS + 1);
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
