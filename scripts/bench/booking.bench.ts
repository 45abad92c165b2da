/**
 * book_session on one hot session, many distinct users at once: every call inserts its booking and
 * then claims it on the session's seat row (one hot row, the same shape as the hotCounter baseline),
 * confirmed for the first 50, then waitlisted, plus the role switch and the visibility and ban checks.
 * Target: 0.33x of hotCounter or more; the only accepted errors are the API's 409s. Each call is one
 * PostgREST-like transaction (role + claims, then the RPC) in one round trip (Bench.rpcAsUser), so the
 * lock is held for the database's work only, as for the hotCounter baseline's autocommit update.
 * book_session is measured in three slices between four slices of the hotCounter baseline (their
 * mean is the reference), so drift of the shared machine's speed over the run does not decide the
 * ratio.
 */
import type { Bench } from "./lib.ts";

export default async function (b: Bench) {
  const clients = b.baseline.clients;
  // 200 users book one session after another: all clients hit the same session at the same time
  // (each op is a real booking: 50 confirmed, then the waitlist), and the next session takes over
  // once every user has booked. Past the last session, calls repeat: already_booked (409).
  const USERS = 200, SESSIONS = 300;
  const [host] = await b.createUsers(1, "bench-host");
  const users = await b.createUsers(USERS, "bench-booker", { skipSignupTrigger: true });
  const sessions = (await b.sql`
    insert into public.sessions (title, starts_at, status, visibility, capacity, waitlist_enabled, created_by)
    select 'Bench: hot session ' || g, now() + interval '30 days', 'scheduled', 'public', 50, true, ${host}
    from generate_series(1, ${SESSIONS}) g
    returning id`).map((r) => r.id as string);
  b.onCleanup(() => b.sql`delete from public.sessions where id = any(${sessions})`);

  // Three 3-second slices, each between two slices of the hotCounter baseline.
  let next = 0;
  const result = await b.interleaved("book_session, one hot session at a time, distinct users", "hotCounter", {
    clients,
    seconds: 3,
    op: (sql) => {
      const k = next++;
      const session = sessions[Math.floor(k / USERS) % SESSIONS];
      return b.rpcAsUser(sql, users[k % USERS], `select public.book_session(${b.literal(session)})`);
    },
    expectedErrors: (e) => ["already_booked", "session_full"].includes(b.errorCode(e) ?? ""),
  });

  const [state] = await b.sql`
    select count(distinct session_id)::int as sessions,
           count(*) filter (where status = 'confirmed')::int as confirmed,
           count(*) filter (where status = 'waitlisted')::int as waitlisted,
           coalesce(max(n), 0)::int as max_confirmed_per_session
    from public.bookings b
    left join lateral (select count(*) as n from public.bookings c
                       where c.session_id = b.session_id and c.status = 'confirmed') x on true
    where b.session_id = any(${sessions})`;
  console.log(`  state: ${state.sessions} sessions used, ${state.confirmed} confirmed, ${state.waitlisted} waitlisted, ` +
    `at most ${state.max_confirmed_per_session} confirmed per session (capacity 50)`);

  b.report("book_session", result.opsPerSec, "hotCounter (measured between its slices)", result.baseline, { min: 0.33 });
  const clean = result.errors === 0;
  console.log(`book_session unexpected errors: ${result.errors} (target 0) ${clean ? "OK" : "MISS"}`);
  b.results.push({ label: "book_session unexpected errors", ok: clean });
  // Repeated calls (past the last session) would be cheap already_booked answers: not a booking.
  if (state.sessions >= SESSIONS) console.log(`book_session ran out of sessions (${SESSIONS}): raise SESSIONS`);
  b.results.push({ label: "book_session stayed within its sessions", ok: state.sessions < SESSIONS });
}
