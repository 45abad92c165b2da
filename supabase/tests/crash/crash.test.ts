/**
 * A database crash in the middle of a live event (issue 21 item 2). Runs in npm test against a DURABLE
 * throwaway cluster of its own (scripts/test.sh: fsync, full_page_writes and synchronous_commit on, as on
 * the platform and in the `npm start` stack; the other throwaway clusters turn them off for speed, and a
 * commit acknowledged with synchronous_commit off can be lost in exactly this crash).
 *
 * While parallel clients (one transaction per call as their user, as PostgREST runs them) book and cancel
 * seats of a session with a waitlist, vote, upvote, chat, set reminders and join/heartbeat/leave, and
 * the reminder and flush jobs run as pg_cron runs them, Postgres is stopped with `pg_ctl stop -m
 * immediate` (every process killed, no checkpoint). While it is down the Edge Functions (same module,
 * same pool, no restart) answer 503 with Retry-After within a few seconds; it restarts (crash recovery
 * from the WAL), the functions recover by themselves, the clients go on, then everything is checked:
 * - every call acknowledged to its client is in the database (bookings and cancellations, ballots,
 *   upvotes, chat messages, reminders);
 * - nothing is half-written: every ballot has its vote and every vote its ballot;
 * - every counter equals its recount: private.session_seat_drift, waitlist_position_drift,
 *   question_upvote_drift, poll_tally_drift and viewer_count_drift return nothing;
 * - the jobs resume (pg_cron's launcher is back) and every reminder was sent exactly once across the
 *   crash (one session_reminder notification per reminder, none without its reminder claimed).
 *
 * Needs SUPABASE_DB_URL (postgres), SUPABASE_ADMIN_DB_URL (supabase_admin: pg_stat_activity of the
 * background workers) and, to crash and restart the cluster, LOCAL_STACK_DIR and
 * SUPABASE_DB_PORT of that cluster (scripts/lib.sh cluster_kill / cluster_start). CRASH_DROP_TRIGGER
 * ("<trigger> on <table>", e.g. "question_upvotes_count on public.question_upvotes") drops a counter
 * trigger first, to prove the drift checks catch a counter that is not maintained.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { handler as health } from "../../functions/health/handler.ts";
import { handler as sendMessage } from "../../functions/send-message/handler.ts";
import { closeDb, guardSocketFaults } from "../../functions/_shared/db.ts";
import { mintJwt } from "../../functions/tests/helpers.ts";

const WORKERS = 12;
const USERS_PER_WORKER = 8;
const CAPACITY = 12;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: run through scripts/test.sh (the crash stack)");
  return url;
}

/** scripts/lib.sh functions on the crash stack (cluster_kill, cluster_start). */
async function stack(fn: string): Promise<void> {
  const root = new URL("../../..", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: ["-c", `source "${root}scripts/lib.sh" && ${fn}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${fn} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Errors of a connection the crash cut or refused: the call's outcome is unknown to its client. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof postgres.PostgresError) return /^(08|57P)/.test(err.code);
  return typeof code === "string" && /^(ECONN|EPIPE|ETIMEDOUT|CONNECT_TIMEOUT|CONNECTION_|ENOTCONN)/.test(code) ||
    /connection|socket|broken pipe|reset by peer|refused/i.test(String((err as Error)?.message ?? err));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Acked = {
  bookings: Map<string, string>; // booking id -> user
  cancelled: Set<string>; // booking ids
  voters: Set<string>;
  upvoters: Set<string>;
  messages: Set<string>;
  reminders: Set<string>;
};

Deno.test("crash: pg_ctl stop -m immediate mid-event loses no acknowledged write and no counter", async () => {
  // A killed server makes postgres.js throw from a write timer or reject a promise nobody awaits; the
  // functions' db module drops those faults (and only those) so that the isolate survives. The test's
  // own clients use postgres.js too, so the same guard covers them.
  guardSocketFaults();

  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {}, connect_timeout: 3 });
  const pool = postgres(dbUrl(), { max: WORKERS, prepare: false, onnotice: () => {}, connect_timeout: 3 });
  const users: string[] = [];
  const sessions: string[] = [];
  let stop = false;
  try {
    const dropTrigger = Deno.env.get("CRASH_DROP_TRIGGER");
    if (dropTrigger) {
      console.log(`CRASH_DROP_TRIGGER: dropping trigger ${dropTrigger}`);
      await admin.unsafe(`drop trigger ${dropTrigger}`);
    }
    // The fixture: a host, members, a live session with chat, a poll and a question; a scheduled
    // session with CAPACITY seats and a waitlist; a scheduled session starting in 10 minutes, for
    // reminders that are due at once.
    const rows = await admin`
      insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
      select gen_random_uuid(), 'crash-' || g || '-' || substr(md5(random()::text), 1, 8) || '@example.test',
             jsonb_build_object('display_name', 'Crash ' || g), 'authenticated', 'authenticated', now()
      from generate_series(0, ${WORKERS * USERS_PER_WORKER}) g
      returning id`;
    users.push(...rows.map((r) => r.id as string));
    const [host, ...members] = users;
    await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
    const [{ id: live }] = await admin`insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
      values ('crash live', 'live', 'members', now() - interval '5 minutes', now() - interval '5 minutes', ${host}) returning id`;
    const [{ id: seats }] = await admin`insert into public.sessions (title, status, visibility, starts_at, capacity, waitlist_enabled, created_by)
      values ('crash seats', 'scheduled', 'public', now() + interval '2 days', ${CAPACITY}, true, ${host}) returning id`;
    const [{ id: soon }] = await admin`insert into public.sessions (title, status, visibility, starts_at, created_by)
      values ('crash reminders', 'scheduled', 'public', now() + interval '30 minutes', ${host}) returning id`;
    const [{ id: later }] = await admin`insert into public.sessions (title, status, visibility, starts_at, created_by)
      values ('crash later', 'scheduled', 'public', now() + interval '3 days', ${host}) returning id`;
    sessions.push(live, seats, soon, later);
    await admin`insert into public.bookings (session_id, user_id, status) select ${live}, u, 'confirmed' from unnest(${members}::uuid[]) u`;
    const asHost = async <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
      await admin.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify({ sub: host, role: "authenticated" })}, true)`;
        return await fn(tx);
      }) as T;
    const poll = await asHost(async (tx) => {
      const [{ p }] = await tx`select public.create_poll(${live}, 'Crash?', array['a', 'b', 'c']) as p`;
      await tx`select public.open_poll(${p.id})`;
      return p;
    });
    const options: string[] = poll.options.map((o: { id: string }) => o.id);
    const [{ q }] = await asHost((tx) => tx`select public.ask_question(${live}, 'Will it survive?') as q`);

    const acked: Acked = { bookings: new Map(), cancelled: new Set(), voters: new Set(), upvoters: new Set(), messages: new Set(), reminders: new Set() };
    let inFlightLost = 0;
    let apiErrors = 0;
    let crashed = false;
    const ackedBeforeCrash = { n: 0 };
    let ackedTotal = 0;

    /** One call as `user` in one transaction; its result when acknowledged, undefined when refused or lost. */
    const call = async <T>(user: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T | undefined> => {
      try {
        const result = await pool.begin(async (tx) => {
          await tx`select set_config('role', 'authenticated', true),
                          set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: "authenticated" })}, true)`;
          return await fn(tx);
        }) as T;
        ackedTotal++;
        if (!crashed) ackedBeforeCrash.n++;
        return result;
      } catch (err) {
        if (isConnectionError(err)) {
          inFlightLost++;
          await sleep(50);
          return undefined;
        }
        if (err instanceof postgres.PostgresError && err.code === "PGRST") {
          apiErrors++;
          return undefined;
        }
        throw err;
      }
    };

    // Each worker owns its users, so one user's calls never race each other and an acknowledged call
    // is the user's last word on that thing (a call whose outcome is unknown is never followed up).
    const worker = async (mine: string[], seed: number) => {
      const state = new Map(mine.map((u) => [u, { booking: undefined as string | undefined, bookTried: false, cancelTried: false,
                                                   voteTried: false, upvoteTried: false, reminderTried: false }]));
      let x = seed;
      const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
      while (!stop) {
        await sleep(random() * 30);
        const user = mine[Math.floor(random() * mine.length)];
        const s = state.get(user)!;
        const r = random();
        if (r < 0.15 && !s.bookTried) {
          s.bookTried = true;
          const b = await call(user, (tx) => tx`select b.id from public.book_session(${seats}) b`);
          if (b) {
            s.booking = b[0].id;
            acked.bookings.set(b[0].id, user);
          }
        } else if (r < 0.22 && s.booking && !s.cancelTried) {
          s.cancelTried = true;
          const booking = s.booking;
          if (await call(user, (tx) => tx`select b.id from public.cancel_booking(${seats}) b`)) acked.cancelled.add(booking);
        } else if (r < 0.32 && !s.voteTried) {
          s.voteTried = true;
          const option = options[Math.floor(random() * options.length)];
          if (await call(user, (tx) => tx`select public.vote_poll(${poll.id}, array[${option}]::uuid[])`)) acked.voters.add(user);
        } else if (r < 0.42 && !s.upvoteTried) {
          s.upvoteTried = true;
          if (await call(user, (tx) => tx`select public.upvote_question(${q.id})`)) acked.upvoters.add(user);
        } else if (r < 0.52 && !s.reminderTried) {
          s.reminderTried = true;
          const rem = await call(user, (tx) => tx`select r.id from public.set_reminder(${later}, 15) r`);
          if (rem) acked.reminders.add(rem[0].id);
        } else if (r < 0.7) {
          const m = await call(user, (tx) => tx`select m.id from public.send_chat_message(${live}, ${"still here " + Math.floor(random() * 1e6)}) m`);
          if (m) acked.messages.add(m[0].id);
        } else {
          const conn = random() < 0.5 ? "laptop" : "phone";
          const rr = random();
          await call(user, (tx) => rr < 0.6 ? tx`select public.heartbeat(${live}, ${conn})`
            : rr < 0.85 ? tx`select public.join_session(${live}, ${conn})` : tx`select public.leave_session(${live}, ${conn})`);
        }
      }
    };
    // Reminders falling due all the time (as bookings' default reminders do), each acknowledged to its
    // writer, so that the reminder job's runs straddle the crash: `soon` starts in 30 minutes, so every
    // reminder of 31 minutes or more is due at once.
    const dueReminders = new Set<string>();
    let minutes = 31;
    const reminderWriter = async () => {
      while (!stop) {
        const batch = Array.from({ length: 4 }, () => ({ user_id: members[Math.floor(Math.random() * members.length)], minutes: minutes++ }));
        try {
          const ids = await pool`insert into public.session_reminders (session_id, user_id, minutes_before)
            select ${soon}, b.user_id, b.minutes from json_to_recordset(${JSON.stringify(batch)}::text::json) as b (user_id uuid, minutes int)
            returning id`;
          for (const r of ids) dueReminders.add(r.id);
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          await sleep(50);
        }
        await sleep(40);
      }
    };
    // The jobs, as pg_cron runs them (every minute there; here back to back, so that runs straddle the crash).
    let jobRuns = 0;
    const jobs = async () => {
      while (!stop) {
        try {
          await pool`select private.send_due_reminders(), private.flush_live_counts()`;
          jobRuns++;
        } catch (err) {
          if (!isConnectionError(err)) throw err;
        }
        await sleep(30);
      }
    };

    const tokenOf = await mintJwt({ sub: members[0], role: "authenticated", aud: "authenticated" });
    const callHealth = async () => {
      const started = performance.now();
      const res = await health(new Request("http://localhost/functions/v1/health", { headers: { Authorization: `Bearer ${tokenOf}` } }));
      await res.body?.cancel();
      return { status: res.status, retryAfter: res.headers.get("Retry-After"), ms: performance.now() - started };
    };
    assert.equal((await callHealth()).status, 200, "the health function answers before the crash");

    const load = Promise.all([
      ...Array.from({ length: WORKERS }, (_, i) => worker(members.slice(i * USERS_PER_WORKER, (i + 1) * USERS_PER_WORKER), 17 + i)),
      jobs(),
      reminderWriter(),
    ]);
    // Crash once the event is well under way (by progress, not by the clock: the machine may be slow).
    const waitFor = async (done: () => boolean, maxMs: number) => {
      for (const until = performance.now() + maxMs; !done() && performance.now() < until;) await sleep(50);
    };
    await waitFor(() => ackedTotal >= 150 && dueReminders.size >= 20, 15_000);
    crashed = true;
    await stack("cluster_kill");
    const down = performance.now();

    // While the database is down: 503 with Retry-After, within a few seconds (never a 500 or a hang).
    const callSendMessage = async () => {
      const started = performance.now();
      const res = await sendMessage(new Request("http://localhost/functions/v1/send-message", {
        method: "POST",
        headers: { Authorization: `Bearer ${tokenOf}`, "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: live, body: "are you there?" }),
      }));
      await res.body?.cancel();
      return { status: res.status, retryAfter: res.headers.get("Retry-After"), ms: performance.now() - started };
    };
    const whileDown = [await callHealth(), await callSendMessage(), await callHealth()];
    for (const r of whileDown) {
      assert.equal(r.status, 503, "the functions (health, send-message) answer 503 while the database is down");
      assert.ok(Number(r.retryAfter) > 0, "with Retry-After");
      assert.ok(r.ms < 6000, `within a few seconds (${Math.round(r.ms)} ms)`);
    }
    await sleep(500);
    await stack("cluster_start");
    const downFor = performance.now() - down;

    // The function recovers by itself (same module, same pool).
    let recovered: Awaited<ReturnType<typeof callHealth>> | undefined;
    for (let i = 0; i < 40 && recovered?.status !== 200; i++) {
      recovered = await callHealth();
      if (recovered.status !== 200) await sleep(250);
    }
    assert.equal(recovered?.status, 200, "the function recovers once the database is back");

    const ackedAtRestart = ackedTotal;
    await waitFor(() => ackedTotal - ackedAtRestart >= 80, 15_000);
    stop = true;
    await load;
    // The jobs once more after the load (the minute job's next run): every due reminder is sent now.
    await admin`select private.send_due_reminders(), private.flush_live_counts()`;

    console.log(`crash: ${dueReminders.size} due reminders written; ${ackedTotal} calls acknowledged (${ackedBeforeCrash.n} before the crash), ${inFlightLost} cut or refused by ` +
      `the crash, ${apiErrors} API errors; down for ${Math.round(downFor)} ms; ${jobRuns} job runs; acknowledged: ` +
      `${acked.bookings.size} bookings, ${acked.cancelled.size} cancellations, ${acked.voters.size} votes, ${acked.upvoters.size} upvotes, ` +
      `${acked.messages.size} messages, ${acked.reminders.size} reminders`);
    assert.ok(ackedBeforeCrash.n >= 150 && ackedTotal - ackedBeforeCrash.n >= 80, "the load ran before and after the crash");
    assert.ok(inFlightLost > 0, "the crash cut calls in flight");

    // Every acknowledged write is there.
    const bookingRows = await admin`select id, status from public.bookings where id = any(${[...acked.bookings.keys()]}::uuid[])`;
    const missing = [...acked.bookings.keys()].filter((id) => !bookingRows.some((b) => b.id === id));
    assert.deepEqual(missing, [], "every acknowledged booking exists");
    const notCancelled = bookingRows.filter((b) => acked.cancelled.has(b.id) && b.status !== "cancelled").map((b) => b.id);
    assert.deepEqual(notCancelled, [], "every acknowledged cancellation is cancelled");
    const ballots = new Set((await admin`select user_id from public.poll_ballots where poll_id = ${poll.id}`).map((r) => r.user_id));
    assert.deepEqual([...acked.voters].filter((u) => !ballots.has(u)), [], "every acknowledged vote has its ballot");
    const upvotes = new Set((await admin`select user_id from public.question_upvotes where question_id = ${q.id}`).map((r) => r.user_id));
    assert.deepEqual([...acked.upvoters].filter((u) => !upvotes.has(u)), [], "every acknowledged upvote exists");
    const messages = new Set((await admin`select id from public.chat_messages where session_id = ${live}`).map((r) => r.id));
    assert.deepEqual([...acked.messages].filter((id) => !messages.has(id)), [], "every acknowledged chat message exists");
    const reminders = new Set((await admin`select id from public.session_reminders where session_id = ${later}`).map((r) => r.id));
    assert.deepEqual([...acked.reminders].filter((id) => !reminders.has(id)), [], "every acknowledged reminder exists");

    // Nothing half-written: ballots and votes come in pairs (one option each: a single-choice poll).
    const [{ unpaired }] = await admin`
      select count(*)::int as unpaired from public.poll_ballots b full join public.poll_votes v on v.poll_id = b.poll_id and v.user_id = b.user_id
      where coalesce(b.poll_id, v.poll_id) = ${poll.id} and (b.user_id is null or v.user_id is null)`;
    assert.equal(unpaired, 0, "every ballot has its vote and every vote its ballot");

    // Every counter equals its recount.
    const ours = (rows: postgres.RowList<postgres.Row[]>, key = "session_id") => rows.filter((r) => sessions.includes(r[key]));
    assert.deepEqual([...ours(await admin`select * from private.session_seat_drift()`)], [], "seat counts equal the bookings");
    assert.deepEqual([...ours(await admin`select * from private.waitlist_position_drift()`)], [], "waitlists are numbered 1..n");
    assert.deepEqual([...(await admin`select * from private.question_upvote_drift() where question_id = ${q.id}`)], [], "upvote_count equals the upvotes");
    assert.deepEqual([...(await admin`select * from private.poll_tally_drift() where poll_id = ${poll.id}`)], [], "poll tallies equal the votes");
    assert.deepEqual([...ours(await admin`select * from private.viewer_count_drift()`)], [], "viewer counters equal the recount");
    const [{ confirmed }] = await admin`select count(*)::int as confirmed from public.bookings where session_id = ${seats} and status = 'confirmed'`;
    assert.ok(confirmed <= CAPACITY, `no more confirmed bookings than seats (${confirmed})`);

    // The jobs resume and sent every reminder exactly once across the crash.
    const superuser = postgres(Deno.env.get("SUPABASE_ADMIN_DB_URL") ?? dbUrl(), { max: 1, prepare: false, onnotice: () => {} });
    const [{ launchers }] = await superuser`select count(*)::int as launchers from pg_stat_activity where backend_type = 'pg_cron launcher'`;
    await superuser.end();
    assert.equal(launchers, 1, "pg_cron's launcher runs again after the restart (the minute jobs resume)");
    const dueRows = new Set((await admin`select id from public.session_reminders where session_id = ${soon}`).map((r) => r.id));
    assert.deepEqual([...dueReminders].filter((id) => !dueRows.has(id)), [], "every acknowledged due reminder exists");
    const sent = await admin`
      select r.id, r.notified_at, (select count(*)::int from public.notifications n
                                   where n.kind = 'session_reminder' and n.data ->> 'reminder_id' = r.id::text) as notifications
      from public.session_reminders r where r.session_id = ${soon}`;
    assert.ok(sent.length > 20, "reminders fell due during the load");
    const [{ sentBefore }] = await admin`select count(*)::int as "sentBefore" from public.session_reminders
                                         where session_id = ${soon} and notified_at < ${new Date(performance.timeOrigin + down)}`;
    assert.ok(sentBefore > 0 && sentBefore < sent.length, `reminders were sent before and after the crash (${sentBefore} of ${sent.length} before)`);
    assert.deepEqual(sent.filter((r) => r.notified_at === null || r.notifications !== 1).map((r) => ({ ...r })), [],
      "every reminder is claimed and has exactly one notification");
    const [{ orphans }] = await admin`
      select count(*)::int as orphans from public.notifications n
      where n.kind = 'session_reminder' and n.data ->> 'session_id' = ${soon}::text
        and not exists (select 1 from public.session_reminders r where r.id::text = n.data ->> 'reminder_id' and r.notified_at is not null)`;
    assert.equal(orphans, 0, "no reminder notification without its claimed reminder");
  } finally {
    stop = true;
    await closeDb();
    await admin`delete from realtime.messages where topic = any(${sessions.map((s) => "session:" + s)}::text[])`.catch(() => {});
    await admin`delete from public.sessions where id = any(${sessions}::uuid[])`.catch(() => {});
    await admin`delete from auth.users where id = any(${users}::uuid[])`.catch(() => {});
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
