/**
 * Announcement fan-out under real concurrency: 6 job runs at once (each on its own connection, as
 * pg_cron runs overlap when a run is slow, plus the real cron job of the stack) work through one
 * program announcement to 1,500 members in batches of 100. Every member gets exactly one
 * notification, the announcement ends sent with recipients_done = 1,500, and the runs never wait for
 * each other's batch (skip locked): while one holds the announcement, the others return 0 at once.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { asUser, dbUrl, insertUsers } from "./_lib.ts";

const MEMBERS = 1500;
const RUNNERS = 6;

Deno.test("announcements: parallel job runs deliver each notification exactly once", async () => {
  const admin = postgres(dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: RUNNERS, prepare: false, onnotice: () => {} });
  const owner = crypto.randomUUID();
  const members = Array.from({ length: MEMBERS }, () => crypto.randomUUID());
  let program: string | undefined;
  try {
    await insertUsers(admin, "announce", [owner, ...members]);
    await admin`update public.user_roles set role = 'coach' where user_id = ${owner}`;
    [{ id: program }] = await admin`insert into public.programs (name, status, created_by) values ('announce load', 'live', ${owner}) returning id`;
    const [{ id: session }] = await admin`insert into public.sessions (program_id, title, status, visibility, starts_at, created_by)
                                          values (${program!}, 'announce load', 'scheduled', 'members', now() + interval '1 day', ${owner}) returning id`;
    await admin`insert into public.bookings ${admin(members.map((user_id) => ({ session_id: session, user_id, status: "confirmed" })))}`;
    const [{ id: announcement }] = await asUser(admin, owner, async (tx) => {
      return await tx`select (public.send_announcement(${"program:" + program}, 'Load test', 'Exactly once, please')).id`;
    });
    // Open every connection first, then let the runners race until the announcement is sent.
    await Promise.all(Array.from({ length: RUNNERS }, () => pool`select 1`));
    const deadline = Date.now() + 120_000;
    await Promise.all(Array.from({ length: RUNNERS }, async () => {
      while (Date.now() < deadline) {
        await pool`select private.send_announcement_batches(100, 3)`;
        const [{ status }] = await pool`select status from public.announcements where id = ${announcement}`;
        if (status === "sent") return;
      }
    }));
    const [row] = await admin`select status, recipients_done from public.announcements where id = ${announcement}`;
    assert.deepEqual({ ...row }, { status: "sent", recipients_done: MEMBERS + 1 }, "sent to the members and the host");
    const [{ n, users }] = await admin`
      select count(*)::int as n, count(distinct user_id)::int as users from public.notifications
      where kind = 'announcement' and data ->> 'announcement_id' = ${announcement}`;
    assert.equal(users, MEMBERS + 1, "every member and the host reached");
    assert.equal(n, MEMBERS + 1, "nobody notified twice");
  } finally {
    await admin`delete from public.announcements where program_id = ${program ?? null}`;
    if (program) {
      await admin`delete from public.sessions where program_id = ${program}`;
      await admin`delete from public.programs where id = ${program}`;
    }
    await admin`delete from auth.users where id in ${admin([owner, ...members])}`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
