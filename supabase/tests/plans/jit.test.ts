/**
 * No accidental JIT: every query a client runs plans below jit_above_cost on the seeded data.
 *
 * Supabase runs Postgres with JIT on and the default thresholds (jit_above_cost 100000); a plan
 * estimated above it is JIT-compiled on every call, which costs hundreds of milliseconds, far more
 * than the query (session_cards cost ~340 ms per call this way: two set-returning helpers with the
 * default estimate of 1,000 rows each made its estimate 1,000,000 rows).
 *
 * How: as supabase_admin (a superuser, the only role that may LOAD auto_explain), each case loads
 * auto_explain with log_nested_statements and log_level notice, switches to the client's role and
 * JWT claims in one transaction as PostgREST does, runs the client's statement and rolls back. Every
 * statement executed, the ones inside RPCs, policies' helpers and triggers included, reports its plan
 * as a notice; each plan's total cost must stay below jit_above_cost and no plan may show JIT.
 * The cases cover every table and view a client role may select (read as anon, a member and a host)
 * and every function in public a client role may execute: a new one without a case fails the test.
 */
import assert from "node:assert/strict";
import postgres from "postgres";

function adminUrl(): string {
  const explicit = Deno.env.get("SUPABASE_ADMIN_DB_URL");
  if (explicit) return explicit;
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  // The local stack's superuser has the same password as postgres (scripts/lib.sh).
  const u = new URL(url);
  u.username = "supabase_admin";
  return u.toString();
}

type Role = "anon" | "authenticated" | "service_role" | "supabase_auth_admin";
interface Case {
  name: string;
  role: Role;
  /** User id for the JWT claims (authenticated). */
  user?: string;
  statement: string;
  /** API error code the statement answers with on the seeded data, when not success. */
  expectError?: string;
}

interface Plan {
  query: string;
  cost: number;
  jit: boolean;
}

const ROLLBACK = new Error("rollback");

Deno.test("plans: every client query plans below jit_above_cost, without JIT", async () => {
  const plans: Plan[] = [];
  const sql = postgres(adminUrl(), {
    max: 1,
    prepare: false,
    onnotice: (n) => {
      const message = String(n.message ?? "");
      const at = message.indexOf("{");
      if (!message.startsWith("duration:") || at < 0) return;
      const explained = JSON.parse(message.slice(at));
      plans.push({
        query: String(explained["Query Text"] ?? ""),
        cost: Number(explained.Plan?.["Total Cost"] ?? 0),
        jit: "JIT" in explained,
      });
    },
  });
  try {
    // The platform's defaults: JIT on, thresholds untouched.
    const [settings] = await sql`select current_setting('jit') as jit, current_setting('jit_above_cost')::float8 as above`;
    assert.equal(settings.jit, "on", "the test cluster runs with jit = on, as the platform does");
    const jitAboveCost = Number(settings.above);

    const f = await fixtures(sql);
    // Some tables grant only some columns (sessions' meeting details): read what the role may read.
    const columns = new Map<string, string>();
    for (const r of await sql`
        select c.relname || ':' || role as key, string_agg(quote_ident(a.attname), ', ' order by a.attnum) as list
        from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        cross join unnest(array['anon', 'authenticated']) role
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
          and has_column_privilege(role, c.oid, a.attnum, 'select')
        group by 1`) columns.set(r.key, r.list);
    const cases = [...readCases(f, columns), ...rpcCases(f)];

    // Coverage: every table/view a client may read and every function a client may execute has a case.
    const covered = new Set(cases.map((c) => c.name.split(" ")[0]));
    const surface = await sql`
      select c.relname as name from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
        and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))
      union
      select p.proname from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
        and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute')
             or has_function_privilege('service_role', p.oid, 'execute')
             or has_function_privilege('supabase_auth_admin', p.oid, 'execute'))
      order by 1`;
    const missing = surface.map((r) => r.name as string).filter((n) => !covered.has(n));
    assert.deepEqual(missing, [], "every client-facing table, view and function has a case in this test");

    const failures: string[] = [];
    for (const c of cases) {
      plans.length = 0;
      let error: string | undefined;
      try {
        await sql.begin(async (tx) => {
          await tx.unsafe(`load 'auto_explain'`);
          await tx.unsafe(`set local auto_explain.log_min_duration = 0;
                           set local auto_explain.log_nested_statements = on;
                           set local auto_explain.log_format = json;
                           set local auto_explain.log_level = notice`);
          const claims = c.user ? { sub: c.user, role: c.role, email: `${c.user}@example.test` } : { role: c.role };
          await tx`select set_config('role', ${c.role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
          try {
            await tx.unsafe(c.statement).simple();
          } catch (e) {
            error = apiCode(e);
          }
          throw ROLLBACK;
        });
      } catch (e) {
        if (e !== ROLLBACK) throw e;
      }
      if (error !== c.expectError) {
        failures.push(`${c.name} as ${c.role}: expected ${c.expectError ?? "success"}, got ${error ?? "success"}`);
      }
      // The statement itself is always planned (it runs on the client's connection).
      if (!plans.length) failures.push(`${c.name}: no plan reported`);
      for (const p of plans) {
        if (p.cost >= jitAboveCost || p.jit) {
          failures.push(`${c.name} as ${c.role}: plan cost ${p.cost.toFixed(0)}${p.jit ? " (JIT)" : ""} >= ` +
            `jit_above_cost ${jitAboveCost}: ${p.query.replace(/\s+/g, " ").slice(0, 200)}`);
        }
      }
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  } finally {
    await sql.end({ timeout: 5 });
  }
});

function apiCode(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err?.code === "PGRST") {
    try {
      return JSON.parse(String(err.message)).code;
    } catch { /* not an API error */ }
  }
  return `sqlstate ${err?.code}: ${err?.message}`;
}

const q = (v: string) => {
  if (typeof v !== "string") throw new Error("a seeded fixture is missing (see fixtures())");
  return `'${v.replaceAll("'", "''")}'`;
};

interface Fixtures {
  admin: string;
  host: string;
  moderator: string;
  member: string;
  outsider: string;
  applicant: string;
  live: string;
  upcoming: string;
  poll: string;
  option: string;
  closedPoll: string;
  question: string;
  message: string;
  room: string;
  survey: string;
  surveyAnswers: string;
  conversation: string;
  /** A member of that conversation. */
  dmUser: string;
  application: string;
}

/** Ids from the seed (supabase/seed.sql, supabase/seeds/*.sql), found by what they are. */
async function fixtures(sql: postgres.Sql): Promise<Fixtures> {
  const [r] = await sql`
    with live as (select s.id from public.sessions s where s.status = 'live' order by s.starts_at limit 1)
    select
      (select u.user_id from public.user_roles u where u.role = 'admin' order by u.user_id limit 1) as admin,
      (select st.user_id from public.session_staff st, live where st.session_id = live.id and st.role = 'host' limit 1) as host,
      (select st.user_id from public.session_staff st, live where st.session_id = live.id and st.role = 'moderator' limit 1) as moderator,
      (select b.user_id from public.bookings b, live where b.session_id = live.id and b.status = 'confirmed'
         and exists (select 1 from public.room_assignments ra join public.rooms r on r.id = ra.room_id
                     where ra.user_id = b.user_id and r.session_id = live.id and r.status = 'open')
         and not exists (select 1 from public.session_staff st where st.user_id = b.user_id)
         and not exists (select 1 from public.session_bans x where x.user_id = b.user_id)
       order by b.user_id limit 1) as member,
      (select u.id from auth.users u
       where exists (select 1 from public.user_roles r where r.user_id = u.id and r.role = 'member')
         and not exists (select 1 from public.bookings b where b.user_id = u.id)
         and not exists (select 1 from public.session_staff st where st.user_id = u.id)
         and not exists (select 1 from public.coach_applications a where a.user_id = u.id)
       order by u.id limit 1) as outsider,
      (select a.user_id from public.coach_applications a where a.status = 'pending' limit 1) as applicant,
      (select a.id from public.coach_applications a where a.status = 'pending' limit 1) as application,
      (select id from live) as live,
      (select s.id from public.sessions s where s.status = 'scheduled' and s.visibility = 'public' and s.capacity is not null
         and s.starts_at > now() + interval '1 hour' order by s.starts_at limit 1) as upcoming,
      (select p.id from public.polls p, live where p.session_id = live.id and p.status = 'open' limit 1) as poll,
      (select p.id from public.polls p, live where p.session_id = live.id and p.status = 'closed' limit 1) as closed_poll,
      (select q.id from public.questions q, live where q.session_id = live.id and q.status = 'published' limit 1) as question,
      (select m.id from public.chat_messages m, live where m.session_id = live.id and m.room_id is null
         and m.deleted_at is null order by m.created_at limit 1) as message,
      (select r.id from public.rooms r, live where r.session_id = live.id and r.status = 'open' order by r.id limit 1) as any_room,
      (select s.id from public.surveys s, live where s.session_id = live.id and s.status = 'open' limit 1) as survey`;
  const [room] = await sql`
    select ra.room_id from public.room_assignments ra join public.rooms r on r.id = ra.room_id
    where ra.user_id = ${r.member} and r.session_id = ${r.live} and r.status = 'open' limit 1`;
  const [option] = await sql`select id from public.poll_options where poll_id = ${r.poll} order by position limit 1`;
  const fields = await sql`select id, kind, options, required from public.survey_fields where survey_id = ${r.survey} order by position`;
  const answers: Record<string, unknown> = {};
  for (const field of fields) {
    const choice = field.options?.choices?.[0];
    answers[field.id] = field.kind === "rating" ? field.options?.max ?? 5
      : field.kind === "choice" ? (field.options?.multiple ? [choice] : choice)
      : "Good session";
  }
  const [conversation] = await sql`
    select cm.conversation_id, cm.user_id from public.conversation_members cm join public.conversations c on c.id = cm.conversation_id
    where c.kind = 'group' order by cm.user_id limit 1`;
  return {
    admin: r.admin, host: r.host, moderator: r.moderator, member: r.member, outsider: r.outsider,
    applicant: r.applicant, application: r.application, live: r.live, upcoming: r.upcoming, poll: r.poll,
    option: option.id, closedPoll: r.closed_poll, question: r.question, message: r.message, room: room.room_id,
    survey: r.survey, surveyAnswers: JSON.stringify(answers), conversation: conversation?.conversation_id, dmUser: conversation?.user_id,
  };
}

/** Every table and view a client may read: read as anon, a member and a host (what RLS gives each). */
function readCases(f: Fixtures, columns: Map<string, string>): Case[] {
  const read = (t: string, role: Role) => `select ${columns.get(`${t}:${role}`) ?? "*"} from public.${t}`;
  // Filled from the catalog at run time would hide a new table from review; the list is checked
  // against the catalog instead (see the coverage assertion).
  // One per line, sorted: branches adding tables merge without conflicts.
  const readable = [
    "announcements",
    "attendance_intervals",
    "audit_log",
    "bookings",
    "calendar_feeds",
    "chat_messages",
    "coach_applications",
    "coach_availability",
    "coach_booking_settings",
    "coach_time_off",
    "conversation_members",
    "conversations",
    "direct_messages",
    "events",
    "my_conversations",
    "my_notification_preferences",
    "notification_deliveries",
    "notification_kinds",
    "notification_preferences",
    "notifications",
    "poll_ballots",
    "poll_options",
    "poll_votes",
    "polls",
    "profiles",
    "programs",
    "push_subscriptions",
    "question_upvotes",
    "questions",
    "replays",
    "resource_activity",
    "resource_daily_stats",
    "resource_links",
    "resources",
    "room_assignments",
    "rooms",
    "session_bans",
    "session_cards",
    "session_materials",
    "session_questions",
    "session_notes",
    "session_reminders",
    "session_secrets",
    "session_staff",
    "session_viewer_stats",
    "sessions",
    "streams",
    "support_tickets",
    "survey_fields",
    "survey_responses",
    "surveys",
    "ticket_messages",
    "user_roles",
  ];
  const cases: Case[] = [];
  for (const t of readable) {
    for (const [role, user] of [["authenticated", f.member], ["authenticated", f.host]] as const) {
      cases.push({ name: `${t} (select, ${user === f.host ? "host" : "member"})`, role, user, statement: read(t, role) });
    }
  }
  cases.push({ name: "audit_log (select, admin)", role: "authenticated", user: f.admin, statement: read("audit_log", "authenticated") });
  // anon reads what it is granted.
  for (const t of ["events", "notification_kinds", "programs", "replays", "resource_links", "resources", "session_cards", "session_materials"]) {
    cases.push({ name: `${t} (select, anon)`, role: "anon", statement: read(t, "anon") });
  }
  // admin (issue 18): what the admin screens read.
  cases.push({ name: "audit_log (latest, admin)", role: "authenticated", user: f.admin,
               statement: `select * from public.audit_log order by occurred_at desc limit 50` });
  cases.push({ name: "support_tickets (queue, admin)", role: "authenticated", user: f.admin,
               statement: `select t.*, public.overdue(t) from public.support_tickets t ` +
                 `where t.status in ('open', 'pending') order by t.response_due_at limit 50` });
  // The catalogue as the app reads it: one session's card, and the upcoming list.
  cases.push({ name: "session_cards (one live session, member)", role: "authenticated", user: f.member,
               statement: `select * from public.session_cards where id = ${q(f.live)}` });
  cases.push({ name: "session_materials (one live session, member)", role: "authenticated", user: f.member,
               statement: `select * from public.session_materials where session_id = ${q(f.live)} order by added_at` });
  cases.push({ name: "session_cards (upcoming, anon)", role: "anon",
               statement: `select * from public.session_cards where starts_at > now() order by starts_at limit 20` });
  // A host's and an admin's PATCH of sessions (the update policy; an admin's leaves out one-to-one
  // appointments they take no part in: private.can_read_session per row, whatever the filter).
  for (const [who, user] of [["host", f.host], ["admin", f.admin]] as const) {
    cases.push({ name: `sessions (update, ${who})`, role: "authenticated", user,
                 statement: `update public.sessions set description = description where id = ${q(f.live)}` });
  }
  cases.push({ name: "sessions (update without a column filter, admin)", role: "authenticated", user: f.admin,
               statement: `update public.sessions set description = description where 1 = 1` });
  return cases;
}

/** Seeded counselling users (supabase/seeds/33_counselling.sql, seed.sql). */
const MARIEKE = "00000000-0000-4000-a000-000000000021";
const MEMBER01 = "00000000-0000-4000-a000-000000000101";

/** Every function in public a client may execute, called as the caller it is meant for. */
function rpcCases(f: Fixtures): Case[] {
  const m = (name: string, statement: string, expectError?: string): Case =>
    ({ name, role: "authenticated", user: f.member, statement, expectError });
  const h = (name: string, statement: string, expectError?: string): Case =>
    ({ name, role: "authenticated", user: f.host, statement, expectError });
  const a = (name: string, statement: string, expectError?: string): Case =>
    ({ name, role: "authenticated", user: f.admin, statement, expectError });
  const live = q(f.live);
  return [
    // identity
    { name: "apply_as_coach", role: "authenticated", user: f.outsider,
      statement: `select public.apply_as_coach('I coach sales teams and would like to host sessions here.')` },
    a("review_coach_application", `select public.review_coach_application(${q(f.application)}, true, 'Welcome')`),
    a("set_user_role", `select public.set_user_role(${q(f.outsider)}, 'coach')`),
    { name: "custom_access_token_hook", role: "supabase_auth_admin",
      statement: `select public.custom_access_token_hook(jsonb_build_object('user_id', ${q(f.member)}::text, ` +
        `'claims', jsonb_build_object('sub', ${q(f.member)}::text, 'role', 'authenticated')))` },
    // sessions
    h("publish_session", `select public.publish_session(id) from public.sessions where status = 'draft' ` +
      `and id in (select session_id from public.session_staff where role = 'host' and user_id = ${q(f.host)}) limit 1`),
    h("start_session", `select public.start_session(${q(f.upcoming)})`),
    h("end_session", `select public.end_session(${live})`),
    h("cancel_session", `select public.cancel_session(${q(f.upcoming)}, 'Bench of plans')`),
    h("reschedule_session", `select public.reschedule_session(${q(f.upcoming)}, now() + interval '3 days', 60)`),
    h("add_session_staff", `select public.add_session_staff(${live}, ${q(f.outsider)}, 'moderator')`),
    h("remove_session_staff", `select public.remove_session_staff(${live}, ${q(f.moderator)})`),
    m("session_meeting_details", `select public.session_meeting_details(${live})`),
    // booking, reminders, attendance
    { name: "book_session", role: "authenticated", user: f.outsider, statement: `select public.book_session(${q(f.upcoming)})` },
    m("cancel_booking", `select public.cancel_booking(${live})`),
    m("set_reminder", `select public.set_reminder(${q(f.upcoming)}, 30)`, undefined),
    m("mark_notifications_read", `select public.mark_notifications_read(null)`),
    m("set_notification_preference", `select public.set_notification_preference('booking_promoted', null, false, null)`),
    m("register_push_subscription", `select public.register_push_subscription('https://fcm.googleapis.com/fcm/send/plans-device', ` +
      `'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg', 'Plans')`),
    m("join_session", `select public.join_session(${live}, 'tab-1')`),
    m("heartbeat", `select public.heartbeat(${live}, 'tab-1')`),
    m("leave_session", `select public.leave_session(${live}, null)`),
    h("session_attendance_report", `select * from public.session_attendance_report(${live})`),
    h("session_metrics", `select public.session_metrics(${live})`),
    a("send_announcement", `select public.send_announcement('everyone', 'Plans', 'Are cheap')`),
    a("event_attendance_report", `select * from public.event_attendance_report(` +
      `(select e.id from public.events e where e.status = 'live' order by e.starts_at limit 1))`),
    // counselling (33_counselling.sql), on supabase/seeds/33_counselling.sql: Marieke (…a000-000000000021) and
    // her patient member01 (…a000-000000000101)
    m("available_slots", `select * from public.available_slots('${MARIEKE}', now(), now() + interval '30 days')`),
    m("book_slot", `select public.book_slot('${MARIEKE}', (select s.starts_at from public.available_slots('${MARIEKE}', ` +
      `now() + interval '3 days', now() + interval '30 days') s limit 1))`),
    { name: "reschedule_booking", role: "authenticated", user: MEMBER01, statement:
        `select public.reschedule_booking(b.id, (select s.starts_at from public.available_slots('${MARIEKE}', ` +
        `now() + interval '5 days', now() + interval '30 days') s limit 1)) from public.bookings b ` +
        `join public.sessions x on x.id = b.session_id where b.user_id = '${MEMBER01}' and x.kind = 'one_to_one' ` +
        `and x.status = 'scheduled' and b.status = 'confirmed' limit 1` },
    { name: "complete_session", role: "authenticated", user: MARIEKE,
      statement: `select public.complete_session('00000000-0000-4000-d100-000000000001')`, expectError: "invalid_transition" },
    { name: "mark_no_show", role: "authenticated", user: MARIEKE,
      statement: `select public.mark_no_show('00000000-0000-4000-d200-000000000001')` },
    { name: "my_appointments", role: "authenticated", user: MARIEKE, statement: `select * from public.my_appointments()` },
    m("jitsi_access", `select public.jitsi_access(${live})`),
    // calendar: the calendar Edge Function calls these as service_role
    m("create_calendar_feed", `select public.create_calendar_feed()`),
    m("revoke_calendar_feed", `select public.revoke_calendar_feed()`),
    { name: "calendar_feed_events", role: "service_role", statement: `select * from public.calendar_feed_events('not-a-token')` },
    { name: "calendar_feed_is_active", role: "service_role", statement: `select public.calendar_feed_is_active('not-a-token')` },
    // chat
    m("send_chat_message", `select public.send_chat_message(${live}, 'Plans are cheap', null, 'message')`),
    m("chat_history", `select public.chat_history(${live}, null, 50, null)`),
    m("chat_since", `select public.chat_since(${live}, ${q(f.message)})`),
    h("pin_message", `select public.pin_message(${q(f.message)}, true)`),
    h("delete_message", `select public.delete_message(${q(f.message)})`),
    h("ban_user", `select public.ban_user(${live}, ${q(f.member)}, 'spam')`),
    h("unban_user", `select public.unban_user(${live}, ${q(f.member)})`),
    // Q&A
    m("ask_question", `select public.ask_question(${live}, 'Will the slides be shared?', false)`),
    { name: "upvote_question", role: "authenticated", user: f.outsider, statement:
        `select public.join_session(${live}); select public.upvote_question(${q(f.question)})` },
    { name: "increment_upvotes", role: "authenticated", user: f.outsider, statement:
        `select public.join_session(${live}); select public.increment_upvotes(${q(f.question)})` },
    m("withdraw_upvote", `select public.withdraw_upvote(${q(f.question)})`, undefined),
    h("moderate_question", `select public.moderate_question(${q(f.question)}, 'answered', 'Yes')`),
    // polls, surveys
    h("create_poll", `select public.create_poll(${live}, 'Next topic?', array['Pricing', 'Discovery'], 'single', 1, 'live', false)`),
    h("open_poll", `select public.open_poll(id) from public.polls where session_id = ${live} and status = 'draft' limit 1`),
    h("close_poll", `select public.close_poll(${q(f.poll)})`),
    { name: "vote_poll", role: "authenticated", user: f.outsider, statement:
        `select public.join_session(${live}); select public.vote_poll(${q(f.poll)}, array[${q(f.option)}]::uuid[])` },
    m("poll_results", `select * from public.poll_results(${q(f.closedPoll)})`),
    h("create_survey", `select public.create_survey(${live}, 'Feedback', ` +
      `'[{"prompt": "How was it?", "kind": "rating", "required": true}]'::jsonb)`),
    h("open_survey", `select public.open_survey(id) from public.surveys where session_id = ${live} and status = 'draft' limit 1`),
    h("close_survey", `select public.close_survey(${q(f.survey)})`),
    h("survey_results", `select public.survey_results(${q(f.survey)})`),
    { name: "submit_survey_response", role: "authenticated", user: f.outsider, statement:
        `select public.join_session(${live}); select public.submit_survey_response(${q(f.survey)}, ${q(f.surveyAnswers)}::jsonb)` },
    // breakout rooms
    h("open_breakout_rooms", `select * from public.open_breakout_rooms(${live}, array['Room A', 'Room B'], null, null, true)`),
    h("assign_room", `select public.assign_room(${q(f.room)}, ${q(f.member)})`),
    h("unassign_room", `select public.unassign_room(${q(f.room)}, ${q(f.member)})`),
    h("assign_rooms_randomly", `select public.assign_rooms_randomly(${live})`),
    m("join_room", `select public.join_room(${q(f.room)})`),
    h("close_breakout_rooms", `select public.close_breakout_rooms(${live})`),
    // support tickets (issue 18): each case opens its own ticket first (rolled back)
    m("open_support_ticket", `select public.open_support_ticket('Cannot join', 'The button does nothing.', 'session', ${live}, null)`),
    m("reply_to_support_ticket", `select public.reply_to_support_ticket(t.id, 'More details') ` +
      `from public.open_support_ticket('Cannot join', 'The button does nothing.') t`),
    m("overdue", `select public.overdue(t) from public.support_tickets t`),
    a("set_support_ticket_status", `select public.set_support_ticket_status(t.id, 'resolved') ` +
      `from public.open_support_ticket('Plans', 'Checking plans.') t`),
    a("set_support_ticket_priority", `select public.set_support_ticket_priority(t.id, 'urgent') ` +
      `from public.open_support_ticket('Plans', 'Checking plans.') t`),
    a("assign_support_ticket", `select public.assign_support_ticket(t.id, ${q(f.admin)}) ` +
      `from public.open_support_ticket('Plans', 'Checking plans.') t`),
    // resources library
    a("hide_resource", `select public.hide_resource(id, 'Plans') from public.resources order by id limit 1`),
    a("unhide_resource", `select public.unhide_resource(id) from public.resources order by id limit 1`),
    m("track_resource_view", `select public.track_resource_view(id) from public.resources ` +
      `where status = 'published' and hidden_at is null and visibility in ('public', 'members') order by id limit 1`),
    m("track_resource_download", `select public.track_resource_download(id) from public.resources ` +
      `where status = 'published' and hidden_at is null and visibility in ('public', 'members') and kind <> 'article' order by id limit 1`),
    a("resource_stats", `select public.resource_stats(id, 30) from public.resources order by id limit 1`),
    m("recommended_resources", `select * from public.recommended_resources(10)`),
    // account lifecycle (issue 18)
    a("deactivate_user", `select public.deactivate_user(${q(f.outsider)}, 'Checking plans')`),
    a("reactivate_user", `select public.deactivate_user(${q(f.outsider)}, null); select public.reactivate_user(${q(f.outsider)})`),
    a("delete_user", `select public.delete_user(${q(f.outsider)})`),
    { name: "delete_my_account", role: "authenticated", user: f.outsider, statement: `select public.delete_my_account()` },
    m("search_resources", `select * from public.search_resources('slaap', null, null, null, 20, 0)`),
    { name: "search_resources (browse, anon)", role: "anon",
      statement: `select * from public.search_resources(null, array['pdf', 'audio'], null, 'nl', 20, 0)` },
    { name: "search_resources (typo, anon)", role: "anon", statement: `select * from public.search_resources('meditaton')` },
    // admin statistics (issue 18)
    a("admin_stats", `select public.admin_stats(now() - interval '90 days', now(), 'day', 'Europe/Amsterdam')`),
    // direct messages
    m("start_conversation", `select public.start_conversation(array[${q(f.outsider)}]::uuid[], null)`),
    { name: "send_direct_message", role: "authenticated", user: f.dmUser,
      statement: `select public.send_direct_message(${q(f.conversation)}, 'Hello')` },
    { name: "mark_conversation_read", role: "authenticated", user: f.dmUser,
      statement: `select public.mark_conversation_read(${q(f.conversation)})` },
  ];
}
