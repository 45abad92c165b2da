/**
 * Chat benches.
 * 1. send_chat_message as members of one live session: role switch, RLS helpers (membership, ban,
 *    staff), the per-user advisory lock, slow-mode/rate-limit look-ups, the insert and the
 *    new_message broadcast trigger. 3,000 members take turns, so each posts a handful of messages a
 *    minute as in a real audience (the rate-limit look-up reads a few rows, not hundreds) and no two
 *    clients wait on the same user's lock; the session's limit (1000) never bites. Target: 0.30x of
 *    the plain indexed insert or more. Measured again with a client_id per call (idempotent sends).
 * 2. The latest 50 messages of the session: read as a member under RLS (the chat_messages policy:
 *    my_session_ids, my_banned_session_ids, staff_session_ids) vs the same query and the same
 *    transaction shape as postgres (no RLS). Target: 0.5x or more. chat_history (the RPC a client
 *    calls: RLS plus profiles join and JSON) is reported against the same baseline.
 */
import type { Bench } from "./lib.ts";

export default async function (b: Bench) {
  const clients = b.baseline.clients;
  const [host] = await b.createUsers(1, "bench-chat-host");
  // 3,000 members taking turns: at ~10,000 messages per run each posts a few, like a real audience.
  const members = await b.createUsers(3000, "bench-chatter");
  const [session] = await b.sql`
    insert into public.sessions (title, starts_at, started_at, status, visibility, chat_rate_limit, created_by)
    values ('Bench: live chat', now(), now(), 'live', 'public', 1000, ${host})
    returning id`;
  b.onCleanup(async () => {
    await b.sql`delete from realtime.messages where topic = ${"session:" + session.id}`;
    await b.sql`delete from public.sessions where id = ${session.id}`;
  });
  await b.sql`insert into public.bookings (session_id, user_id, status)
              select ${session.id}, u, 'confirmed' from unnest(${members}::uuid[]) u`;
  // History to read: 5,000 earlier messages by the members.
  await b.sql`insert into public.chat_messages (session_id, user_id, body, created_at)
              select ${session.id}, (${members}::uuid[])[1 + g % ${members.length}], 'earlier message ' || g,
                     now() - interval '2 hours' + g * interval '1 second'
              from generate_series(1, 5000) g`;
  await b.sql`analyze public.chat_messages`;

  let next = 0;
  const send = await b.throughput("send_chat_message, one live session, many members", {
    clients,
    seconds: 5,
    op: (sql) => {
      const user = members[next++ % members.length];
      // PostgREST-like transaction (role + claims, then the RPC) in one round trip, as booking.bench.ts does.
      return b.rpcAsUser(sql, user, `select id from public.send_chat_message(${b.literal(session.id)}, 'Hello from the bench')`);
    },
  });
  b.report("send_chat_message", send.opsPerSec, "insert", b.baseline.insert, { min: 0.30 });
  b.report("send_chat_message unexpected errors", send.errors, "zero", 1, { max: 0 }, "errors");

  // Idempotent sends (issue 19): the same, each call with its own client_id (the unique index and the
  // retry look-up on the hot path). Target: 0.30x of the plain indexed insert or more.
  const sendKeyed = await b.throughput("send_chat_message with client_id, one live session, many members", {
    clients,
    seconds: 5,
    op: (sql) => {
      const user = members[next++ % members.length];
      return b.rpcAsUser(sql, user, `select id from public.send_chat_message(${b.literal(session.id)}, 'Hello from the bench', ` +
        `null, 'message', ${b.literal(crypto.randomUUID())})`);
    },
  });
  b.report("send_chat_message with client_id", sendKeyed.opsPerSec, "insert", b.baseline.insert, { min: 0.30 });
  b.report("send_chat_message with client_id unexpected errors", sendKeyed.errors, "zero", 1, { max: 0 }, "errors");

  const reader = members[0];
  const claims = JSON.stringify({ sub: reader, role: "authenticated" });
  const latest50 = (tx: import("./lib.ts").Tx) =>
    tx`select id, user_id, body, kind, is_pinned, created_at from public.chat_messages
       where session_id = ${session.id} order by created_at desc, id desc limit 50`;

  const noRls = await b.throughput("latest 50 messages as postgres (no RLS)", {
    clients,
    seconds: 4,
    // Same transaction shape as asUser (claims set, one query), but the role stays postgres.
    op: (sql) => sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      return await latest50(tx);
    }),
  });
  const rls = await b.throughput("latest 50 messages as a member (RLS)", {
    clients,
    seconds: 4,
    op: (sql) => b.asUser(sql, reader, latest50),
  });
  const history = await b.throughput("chat_history(session, limit 50) as a member", {
    clients,
    seconds: 4,
    op: (sql) => b.asUser(sql, reader, (tx) => tx`select public.chat_history(${session.id}, null, 50)`),
  });
  b.report("latest 50 under RLS", rls.opsPerSec, "the same read without RLS", noRls.opsPerSec, { min: 0.5 });
  // Not an issue target: chat_history also checks membership, joins profiles and builds JSON.
  console.log(`chat_history: ${history.opsPerSec.toFixed(0)} ops/s = ${(history.opsPerSec / noRls.opsPerSec).toFixed(2)}x of the same read without RLS (informational)`);
  b.report("chat read unexpected errors", rls.errors + history.errors + noRls.errors, "zero", 1, { max: 0 }, "errors");
}
