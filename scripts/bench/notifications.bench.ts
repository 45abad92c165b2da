/**
 * Notification outbox benches (issue 15).
 * 1. The claim/mark path of the dispatcher: each operation claims a batch of 50 due deliveries as
 *    service_role (private.claim_notification_deliveries: FOR UPDATE SKIP LOCKED, lease) and records
 *    them sent in one statement (private.record_notification_deliveries), 16 dispatchers at once
 *    (the sending itself is not measured). Reported per delivery row claimed and marked, as a ratio to
 *    the plain indexed insert. Target: 0.3x or more.
 * 2. The reminder job for one session with 10,000 booked attendees whose reminder is due: one
 *    private.send_due_reminders() run (10,000 session_reminder notifications, each queueing its email
 *    delivery in the same transaction). Target: well within the job's minute (reported against 60 s).
 */
import type { Bench } from "./lib.ts";

const BATCH = 50;

export default async function (b: Bench) {
  const clients = b.baseline.clients;
  const [owner] = await b.createUsers(1, "bench-outbox", { skipSignupTrigger: true });
  b.onCleanup(async () => {
    await b.sql`delete from public.notification_deliveries where user_id = ${owner}`;
  });
  // Other due deliveries (the seed's) are held back for the measurement and put back afterwards.
  const held = await b.sql<{ id: string; next_attempt_at: Date }[]>`
    update public.notification_deliveries d set next_attempt_at = d.next_attempt_at + interval '1 day'
    where d.status in ('queued', 'sending') returning d.id, d.next_attempt_at - interval '1 day' as next_attempt_at`;
  b.onCleanup(async () => {
    for (const h of held) await b.sql`update public.notification_deliveries set next_attempt_at = ${h.next_attempt_at} where id = ${h.id}`;
  });
  // Enough queued rows that the run never drains them.
  const rows = Math.max(200_000, Math.ceil(b.baseline.insert * 8 * 1.5));
  await b.sql`insert into public.notification_deliveries (user_id, kind, channel, payload, created_at, next_attempt_at)
              select ${owner}, 'session_reminder', 'email', '{"title":"Bench","body":null,"link":null,"data":{}}'::jsonb,
                     now(), now() - interval '1 minute' + g * interval '1 microsecond'
              from generate_series(1, ${rows}) g`;
  await b.sql`analyze public.notification_deliveries`;

  const claimAndMark = await b.throughput("claim 50 + record 50 sent, 16 dispatchers", {
    clients,
    seconds: 6,
    op: async (sql) => {
      const claimed = await sql.begin(async (tx) => {
        await tx`select set_config('role', 'service_role', true)`;
        return await tx<{ id: string; attempts: number }[]>`
          select id, attempts from private.claim_notification_deliveries(${BATCH}, 120, array['email'])`;
      });
      const results = claimed.map((r) => ({ id: r.id, attempt: r.attempts, outcome: "sent", provider_message_id: "bench" }));
      await sql.begin(async (tx) => {
        await tx`select set_config('role', 'service_role', true)`;
        await tx`select private.record_notification_deliveries(${tx.json(results)})`;
      });
      if (claimed.length < BATCH) throw new Error(`the outbox ran dry (${claimed.length} claimed)`);
    },
  });
  b.report("outbox claim + mark, per delivery row", claimAndMark.opsPerSec * BATCH, "insert", b.baseline.insert, { min: 0.3 });
  b.report("outbox claim + mark unexpected errors", claimAndMark.errors, "zero", 1, { max: 0 }, "errors");
  const [{ sent, twice }] = await b.sql<{ sent: number; twice: number }[]>`
    select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where attempts > 1)::int as twice
    from public.notification_deliveries where user_id = ${owner}`;
  b.report("outbox rows claimed more than once", twice, "zero", 1, { max: 0 }, "rows");
  console.log(`  (${sent} deliveries claimed and marked sent)`);

  // 2. 10,000 attendees, one reminder each, all due now.
  const [host] = await b.createUsers(1, "bench-reminder-host", { skipSignupTrigger: true });
  const attendees = await b.createUsers(10_000, "bench-attendee", { skipSignupTrigger: true });
  const [session] = await b.sql`
    insert into public.sessions (title, starts_at, status, visibility, created_by)
    values ('Bench: 10,000 attendees', now() + interval '20 minutes', 'scheduled', 'public', ${host})
    returning id`;
  b.onCleanup(async () => {
    await b.sql`delete from public.notification_deliveries where session_id = ${session.id}`;
    await b.sql`delete from public.sessions where id = ${session.id}`;
  });
  await b.sql`insert into public.bookings (session_id, user_id, status)
              select ${session.id}, u, 'confirmed' from unnest(${attendees}::uuid[]) u`;
  await b.sql`insert into public.session_reminders (session_id, user_id, minutes_before)
              select ${session.id}, u, 30 from unnest(${attendees}::uuid[]) u`;
  await b.sql`analyze public.session_reminders`;
  const started = performance.now();
  await b.sql`select private.send_due_reminder_notifications()`;
  const seconds = (performance.now() - started) / 1000;
  const [{ queued }] = await b.sql<{ queued: number }[]>`
    select count(*)::int as queued from public.notification_deliveries where session_id = ${session.id} and kind = 'session_reminder'`;
  b.report("reminder job, 10,000 attendees, seconds (all queued)", seconds, "one minute", 60, { max: 0.5 }, "s");
  b.report("reminder deliveries queued for 10,000 attendees", queued, "attendees", 10_000, { min: 1, max: 1 }, "rows");
}
