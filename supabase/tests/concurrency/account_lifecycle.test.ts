// Account lifecycle under real concurrency: members delete their accounts (delete_my_account) while
// the host cancels the sessions they booked (cancel_session), every call in its own transaction as
// its user, the way PostgREST runs it. Both cancel the same bookings and promote the same waitlists:
// neither may deadlock (40P01, which PostgREST answers 500), and afterwards no deleted account has an
// active booking and the seat counts equal the bookings (private.session_seat_drift).
//
// Needs SUPABASE_DB_URL (postgres role). Creates its own users and sessions and removes them.
import postgres from "postgres";
import assert from "node:assert/strict";
import { asUser, createUsers, DB_URL, dropUsers, outcome } from "./_lib.ts";

const MEMBERS = 30;
const SESSIONS = 6;
const ROUNDS = 3;

Deno.test({
  name: "members delete their accounts while the host cancels their sessions: no deadlock, no active booking left, 3 rounds",
  ignore: !DB_URL,
  async fn() {
    const admin = postgres(DB_URL!, { max: 2, prepare: false, onnotice: () => {} });
    const pool = postgres(DB_URL!, { max: MEMBERS + SESSIONS, prepare: false, onnotice: () => {}, idle_timeout: 5 });
    const users: string[] = [];
    const sessions: string[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const [host] = await createUsers(admin, `lifecycle-host-${round}`, 1);
        const members = await createUsers(admin, `lifecycle-${round}`, MEMBERS);
        users.push(host, ...members);
        const ids: string[] = [];
        for (let i = 0; i < SESSIONS; i++) {
          // Fewer seats than members: every session has a waitlist that both sides promote.
          const [s] = await admin`
            insert into public.sessions (title, starts_at, status, visibility, capacity, waitlist_enabled, created_by)
            values ('Lifecycle concurrency', now() + interval '30 days', 'scheduled', 'public', ${MEMBERS / 2}, true, ${host})
            returning id`;
          ids.push(s.id);
        }
        sessions.push(...ids);
        // Every member books every session, in a different order each, so that the bookings'
        // waitlist positions interleave.
        for (const [k, m] of members.entries()) {
          for (let i = 0; i < SESSIONS; i++) {
            const s = ids[(i + k) % SESSIONS];
            assert.equal(await outcome(asUser(pool, m, (tx) => tx`select public.book_session(${s})`)), "ok", `round ${round}: booking`);
          }
        }
        await Promise.all(Array.from({ length: MEMBERS + SESSIONS }, () => pool.begin((tx) => tx`select pg_sleep(0.05)`)));

        const answers = await Promise.all([
          ...members.map((m) => outcome(asUser(pool, m, (tx) => tx`select public.delete_my_account()`))),
          ...ids.map((s) => outcome(asUser(pool, host, (tx) => tx`select public.cancel_session(${s}, 'lifecycle test')`))),
        ]);
        const unexpected = answers.filter((a) => a !== "ok");
        assert.deepEqual(unexpected, [], `round ${round}: every deletion and cancellation succeeds (no 40P01)`);

        const [active] = await admin`select count(*)::int as n from public.bookings
                                     where user_id = any(${members}) and status <> 'cancelled'`;
        assert.equal(active.n, 0, `round ${round}: no deleted account keeps an active booking`);
        const [deleted] = await admin`select count(*)::int as n from public.profiles where id = any(${members}) and status = 'deleted'`;
        assert.equal(deleted.n, MEMBERS, `round ${round}: every account is deleted`);
        const drift = await admin`select * from private.session_seat_drift() where session_id = any(${ids})`;
        assert.deepEqual([...drift], [], `round ${round}: seat counts equal the bookings`);
      }
    } finally {
      if (sessions.length) await admin`delete from public.sessions where id = any(${sessions})`;
      if (users.length) {
        await dropUsers(admin, users);
      }
      await pool.end({ timeout: 5 });
      await admin.end({ timeout: 5 });
    }
  },
});
