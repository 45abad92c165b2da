/**
 * Fuzzing every entry point (issue 21 item 3), with fast-check. Two properties:
 *
 * 1. Every public RPC (read from pg_proc, so a new RPC is fuzzed without touching this file) is called
 *    with random and hostile arguments (nulls, huge strings, invalid UUIDs, negative and huge numbers,
 *    arrays of the wrong shape, unicode edge cases, SQL fragments, real ids of a fixture) as anon, a
 *    member, a coach and an admin, exactly as PostgREST calls it: one transaction with the role, the
 *    statement timeout and the JWT claims set locally, the arguments sent as one JSON object and read with
 *    json_to_record (so `[[id]]` reaches a uuid[] argument as a two-dimensional array). Each case is
 *    rolled back, so every case meets the same fixture. Pass:
 *    - no error PostgREST would answer with 5xx: only the API's own codes (sqlstate PGRST with a 4xx
 *      status), 42501 (privileges: 401/403) and the documented 4xx mappings of constraint and data errors
 *      (22xxx, 23xxx, P0001); no XX000, no 0A000, no 42xxx other than 42501, no timeout, no deadlock;
 *    - no write by a role that must not write: anon never succeeds; the member never succeeds with a
 *      staff-only RPC, nor a non-admin with an admin-only one; a read-only (stable) RPC that succeeds has
 *      not written anything (its transaction got no transaction id).
 * 2. Every Edge Function handler is called with random methods, paths, headers (tokens: none, garbage,
 *    expired, wrongly signed, `alg: none`, valid ones of the fixture users, foreign roles), JSON and
 *    non-JSON bodies (oversized ones too), signed or unsigned webhooks (Standard Webhooks, and Svix for
 *    resend-webhook with Resend-shaped events), valid, expired and forged unsubscribe
 *    tokens. Pass: never a 5xx, every answer carries X-Request-Id and the security headers, every error is
 *    the JSON error shape (unsubscribe's pages for people: HTML), every function in supabase/functions is
 *    covered (a new one fails the test until it is added), and 201 from
 *    send-message only for a user who may post in that session.
 *
 * Replay: the seed is printed; FUZZ_SEED=<seed> runs the same cases (FUZZ_PATH=<path> from a failure
 * report replays just the shrunk counterexample). FUZZ_RUNS (default 10000) and FUZZ_HTTP_RUNS (default
 * 2500) set the number of cases; FUZZ_SEED=random picks a new seed; FUZZ_VERBOSE=1 prints the first
 * case of each RPC and outcome.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import postgres from "postgres";
import { handler as calendar } from "../../functions/calendar/handler.ts";
import { handler as dispatchNotifications } from "../../functions/dispatch-notifications/handler.ts";
import { handler as unsubscribe } from "../../functions/unsubscribe/handler.ts";
import { handler as jitsi } from "../../functions/jitsi/handler.ts";
import { handler as push } from "../../functions/push/handler.ts";
import { signUnsubscribeToken } from "../../functions/_shared/unsubscribe-token.ts";
import { handler as health } from "../../functions/health/handler.ts";
import { handler as sendMessage } from "../../functions/send-message/handler.ts";
import { handler as signupHook } from "../../functions/signup-hook/handler.ts";
import { handler as resendWebhook } from "../../functions/resend-webhook/handler.ts";
import { closeDb } from "../../functions/_shared/db.ts";
import { mintJwt, signWebhook } from "../../functions/tests/helpers.ts";

// The functions' secrets, as their own tests set them (no email transport is configured: nothing is sent).
if (!Deno.env.get("UNSUBSCRIBE_SECRET")) Deno.env.set("UNSUBSCRIBE_SECRET", "fuzz-unsubscribe-secret-0123456789abcdef");
if (!Deno.env.get("DISPATCH_SECRET")) Deno.env.set("DISPATCH_SECRET", "fuzz-dispatch-secret-0123456789");
// resend-webhook: Resend signs with Svix (svix-* headers, a whsec_ secret); signed cases use this one.
const RESEND_WEBHOOK_SECRET = "whsec_" + btoa("fuzz-resend-webhook-secret-0123");
if (!Deno.env.get("RESEND_WEBHOOK_SECRET")) Deno.env.set("RESEND_WEBHOOK_SECRET", RESEND_WEBHOOK_SECRET);
// The push function answers its VAPID public key (503 where Web Push is not configured): configure one.
if (!Deno.env.get("VAPID_PUBLIC_KEY")) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  Deno.env.set("VAPID_PUBLIC_KEY", btoa(String.fromCharCode(...raw)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
}

const DEFAULT_SEED = 20261206;
const seedEnv = Deno.env.get("FUZZ_SEED");
const SEED = seedEnv === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(seedEnv ?? DEFAULT_SEED);
const PATH = Deno.env.get("FUZZ_PATH") || undefined;
const RPC_RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 10000);
const HTTP_RUNS = Number(Deno.env.get("FUZZ_HTTP_RUNS") ?? 2500);
const BATCH = 25; // cases per property run, executed side by side
const CONNECTIONS = 8;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

// --- the fixture ---------------------------------------------------------------------------------

type Actor = "anon" | "member" | "coach" | "admin";
const ACTORS: Actor[] = ["anon", "member", "coach", "admin"];

interface Fixture {
  users: Record<Exclude<Actor, "anon"> | "other", string>;
  /** Ids a hostile client could know: all of them, and by kind (the argument names pick the kind). */
  ids: string[];
  byKind: Record<string, string[]>;
  liveSession: string;
  sessions: string[];
  conversations: string[];
  startedAt: Date;
}

const email = (label: string) => `fuzz-${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;

async function asUser<T>(sql: postgres.Sql, userId: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated" });
  return await sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
    return await fn(tx);
  }) as T;
}

/** Fills `f` step by step, so that dropFixture removes whatever was created even when a step fails. */
async function createFixture(admin: postgres.Sql, f: Fixture): Promise<void> {
  const users = f.users;
  for (const label of ["member", "coach", "admin", "other"] as const) {
    const [{ id }] = await admin`
      insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
      values (gen_random_uuid(), ${email(label)}, ${admin.json({ display_name: "Fuzz " + label })}, 'authenticated', 'authenticated', now())
      returning id`;
    users[label] = id;
  }
  await admin`update public.user_roles set role = 'coach' where user_id = ${users.coach}`;
  await admin`update public.user_roles set role = 'admin' where user_id = ${users.admin}`;
  const session = async (status: string, startsIn: string, visibility = "members") => {
    const [{ id }] = await admin`
      insert into public.sessions (title, status, visibility, starts_at, started_at, ended_at, duration_minutes, created_by)
      values ('fuzz ' || ${status}, ${status}, ${visibility}, now() + ${startsIn}::interval,
              case when ${status} in ('live', 'ended') then now() + ${startsIn}::interval end,
              case when ${status} = 'ended' then now() end, 120, ${users.coach})
      returning id`;
    return id as string;
  };
  const live = f.liveSession = await session("live", "-10 minutes");
  const scheduled = await session("scheduled", "2 days", "public");
  const draft = await session("draft", "3 days");
  const ended = await session("ended", "-3 hours");
  f.sessions.push(live, scheduled, draft, ended);
  const kind = (k: string, ...v: string[]) => (f.byKind[k] ??= []).push(...v);
  kind("session", live, scheduled, draft, ended);
  kind("user", ...Object.values(users));
  await admin`insert into public.bookings (session_id, user_id, status)
              values (${live}, ${users.member}, 'confirmed'), (${scheduled}, ${users.member}, 'confirmed')`;

  const ids = f.ids;
  ids.push(live, scheduled, draft, ended, ...Object.values(users));
  const poll = await asUser(admin, users.coach, async (tx) => {
    const [{ p }] = await tx`select public.create_poll(${live}, 'Fuzz?', array['yes', 'no', 'maybe'], 'multiple', 2) as p`;
    await tx`select public.open_poll(${p.id})`;
    return p;
  });
  ids.push(poll.id, ...poll.options.map((o: { id: string }) => o.id));
  kind("poll", poll.id);
  kind("option", ...poll.options.map((o: { id: string }) => o.id));
  const survey = await asUser(admin, users.coach, async (tx) => {
    const [{ s }] = await tx`select public.create_survey(${live}, 'Fuzz survey', ${tx.json([
      { prompt: "Rate", kind: "rating", required: true },
      { prompt: "Pick", kind: "choice", options: { choices: ["a", "b", "c"], multiple: true } },
      { prompt: "Say", kind: "text" },
    ])}) as s`;
    await tx`select public.open_survey(${s.id})`;
    return s;
  });
  ids.push(survey.id, ...survey.fields.map((f: { id: string }) => f.id));
  kind("survey", survey.id);
  const [{ q }] = await asUser(admin, users.member, (tx) => tx`select public.ask_question(${live}, 'Fuzz question?') as q`);
  ids.push(q.id);
  kind("question", q.id);
  const [m] = await asUser(admin, users.member, (tx) => tx`select m.id from public.send_chat_message(${live}, 'hello fuzz') m`);
  ids.push(m.id);
  kind("message", m.id);
  const rooms = await asUser(admin, users.coach, (tx) => tx`select r.id from public.open_breakout_rooms(${live}, array['A', 'B']) r`);
  ids.push(...rooms.map((r) => r.id));
  kind("room", ...rooms.map((r) => r.id));
  const [c] = await asUser(admin, users.member, (tx) => tx`select c.id from public.start_conversation(array[${users.other}]::uuid[]) c`);
  ids.push(c.id);
  f.conversations.push(c.id);
  kind("conversation", c.id);
  const [a] = await asUser(admin, users.other, (tx) => tx`select a.id from public.apply_as_coach('I have coached teams for twenty years.') a`);
  ids.push(a.id);
  kind("application", a.id);
  const notes = await admin`select id from public.notifications where user_id = ${users.member} limit 3`;
  ids.push(...notes.map((n) => n.id));
  kind("notification", ...notes.map((n) => n.id));
}

const emptyFixture = (): Fixture => ({ users: {} as Fixture["users"], ids: [], byKind: {}, liveSession: "", sessions: [], conversations: [],
  startedAt: new Date(Date.now() - 1000) });

async function dropFixture(admin: postgres.Sql, f: Fixture): Promise<void> {
  const users = Object.values(f.users);
  await admin`delete from realtime.messages where topic = any(${f.sessions.map((s) => "session:" + s)}::text[])
                                            or topic = any(${users.map((u) => "user:" + u)}::text[])`;
  await admin`delete from public.conversations where id = any(${f.conversations}::uuid[])`;
  await admin`delete from public.sessions where id = any(${f.sessions}::uuid[])`;
  await admin`delete from auth.users where id = any(${users}::uuid[])`;
  // Addresses the fuzzed resend-webhook suppressed (its signed bounces and complaints).
  await admin`delete from private.email_suppressions where detail like 'resend %' and created_at >= ${f.startedAt}`;
}

// --- hostile values ------------------------------------------------------------------------------

const SQL_FRAGMENTS = [
  "'; drop table public.sessions; --", "\" or 1=1 --", "1) or (1=1", "$$; select pg_sleep(10); $$", "\\", "%", "_",
  "' union select * from auth.users --", "{}", "{{a}}", "[0:1]={a,b}", "(", "null", "NULL", "true", "-- ", "/*",
];
const UNICODE = [
  "\u0000", "a\u0000b", "\ud800", "\udfff", "\u202e\u2066evil", "\ufeff", "\u200b\u200b", "\u00a0 \u3000", "e\u0301",
  "👩‍👩‍👧‍👦", "𝕏", "\r\n\t", "\u0085", "Ω≈ç√", "ﷺ", "\u{10ffff}", "ｓｅｌｅｃｔ",
];
const ENUM_WORDS = [
  "host", "moderator", "speaker", "member", "coach", "admin", "message", "announcement", "single", "multiple",
  "live", "after_vote", "after_close", "published", "answered", "dismissed", "pending", "rating", "choice", "text",
  "default", "Europe/Amsterdam", "UTC", "Mars/Olympus", "scheduled", "draft", "ended", "cancelled", "confirmed",
];

/** Strings a hostile client sends: short and unicode ones, SQL fragments, known words, huge ones. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(...SQL_FRAGMENTS, ...UNICODE, ...ENUM_WORDS),
  fc.constantFrom("", " ", "   \n\t  "),
  fc.integer({ min: 300, max: 120_000 }).chain((n) => fc.constantFrom("x".repeat(n), "é".repeat(n), "👍".repeat(n))),
);

const hostileNumber: fc.Arbitrary<number | string> = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(-1, 0, 1, 2, 15, 60, 1440, 10080, 2147483647, 2147483648, -2147483649, 9007199254740991, -9007199254740991),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom("1e308", "1e400", "-0", "NaN", "Infinity", "0x10", "1_000", "12"),
);

const scalarJunk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileNumber,
  hostileString,
  fc.constantFrom({}, [], { a: 1 }, [null], [[]], { "": "" }),
);

/** The kind of id an argument takes, from its name (session_id, option_ids, after_id ...). */
function idKind(arg: string): string | undefined {
  const k = arg.replace(/_ids?$/, "");
  if (["after", "before", "message"].includes(k)) return "message";
  if (k === "notification") return "notification";
  return k;
}

/** Plausible text by argument name, so that calls get past the argument checks to the rules behind them. */
function plausibleText(arg: string): fc.Arbitrary<string> {
  const words: Record<string, string[]> = {
    role: ["host", "moderator", "speaker"], status: ["published", "answered", "dismissed", "pending"],
    kind: ["message", "announcement", "single", "multiple"], results_visibility: ["live", "after_vote", "after_close"],
    connection_id: ["default", "tab-1", "tab-2"], timezone: ["Europe/Amsterdam", "UTC"],
  };
  return words[arg] ? fc.constantFrom(...words[arg])
    : fc.constantFrom("Hello there", "A good question about coaching?", "Room A", "Room B", "Please be kind.",
      "I have coached teams for twenty years.", "Yes", "No", "Maybe");
}

function values(f: Fixture, type: string, arg = ""): fc.Arbitrary<unknown> {
  const realId = fc.constantFrom(...f.ids);
  const ofKind = f.byKind[idKind(arg) ?? ""]?.length ? f.byKind[idKind(arg) ?? ""] : f.ids;
  const uuid = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ofKind) }, { weight: 3, arbitrary: realId }, { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom("00000000-0000-0000-0000-000000000000", "not-a-uuid", "", "{}",
      "00000000-0000-4000-a000-00000000010", "0000000000004000a000000000000101", "{00000000-0000-4000-a000-000000000101}") });
  const time = fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: 10, max: 100 }).map((mins) => new Date(Date.now() + mins * 60_000).toISOString()) },
    { weight: 2, arbitrary: fc.integer({ min: 2, max: 60 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString()) },
    fc.integer({ min: -60 * 24 * 30, max: 60 * 24 * 60 }).map((mins) => new Date(Date.now() + mins * 60_000).toISOString()),
    fc.constantFrom("infinity", "-infinity", "epoch", "now", "today", "294277-01-01T00:00:00Z", "4714-11-24 BC", "2026-02-30",
      "tomorrow 25:00", "1970-01-01T00:00:00+15:00"),
  );
  const base = type.replace(/\[\]$/, "");
  const element = base === "uuid" ? uuid
    : base === "text" ? fc.oneof({ weight: 4, arbitrary: plausibleText(arg) }, { weight: 4, arbitrary: hostileString }, { weight: 1, arbitrary: realId })
    : base === "integer" || base === "bigint" || base === "numeric" ? fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) }, { weight: 3, arbitrary: hostileNumber })
    : base === "boolean" ? fc.oneof(fc.boolean(), fc.constantFrom("yes", "t", 1, "maybe"))
    : base.startsWith("timestamp") ? time
    : base === "jsonb" || base === "json" ? jsonArgument(f)
    : base === "app_role" ? fc.constantFrom("admin", "coach", "member", "root", "", "ADMIN")
    : hostileString;
  if (type.endsWith("[]")) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(element, { minLength: 1, maxLength: 4 }) },
      { weight: 3, arbitrary: fc.array(element, { maxLength: 12 }) },
      { weight: 2, arbitrary: fc.array(fc.array(element, { maxLength: 3 }), { minLength: 1, maxLength: 3 }) }, // nested
      { weight: 1, arbitrary: fc.array(fc.oneof(element, fc.constant(null)), { maxLength: 5 }) },
      { weight: 1, arbitrary: fc.array(element, { minLength: 200, maxLength: 1200 }) },
      { weight: 1, arbitrary: scalarJunk },
    );
  }
  return fc.oneof({ weight: 8, arbitrary: element }, { weight: 2, arbitrary: scalarJunk });
}

/** jsonb arguments: survey-shaped ones (fields, answers keyed by real field ids) and any JSON. */
function jsonArgument(f: Fixture): fc.Arbitrary<unknown> {
  const answer = fc.oneof(fc.integer({ min: -3, max: 8 }), fc.constantFrom("a", "b", "c", "zz", ""), fc.array(fc.constantFrom("a", "b", "c", "d", 1), { maxLength: 4 }),
    fc.array(fc.array(fc.constantFrom("a", "b")), { maxLength: 2 }), fc.constant(null), fc.double(), hostileString);
  const fieldSpec = fc.record({
    prompt: fc.oneof(hostileString, scalarJunk),
    kind: fc.constantFrom("rating", "choice", "text", "other", 1),
    options: fc.oneof(fc.constant(undefined), fc.record({ min: hostileNumber, max: hostileNumber }, { requiredKeys: [] }),
      fc.record({ choices: fc.oneof(fc.array(hostileString, { maxLength: 25 }), fc.array(fc.array(fc.string())), scalarJunk), multiple: fc.oneof(fc.boolean(), scalarJunk) }, { requiredKeys: [] }),
      fc.record({ max_length: hostileNumber }), scalarJunk),
    required: fc.oneof(fc.boolean(), scalarJunk),
  }, { requiredKeys: ["prompt", "kind"] });
  return fc.oneof(
    fc.array(fieldSpec, { maxLength: 4 }),
    fc.array(fc.array(fieldSpec, { maxLength: 2 }), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom(...f.ids, "x", ""), answer, { maxKeys: 6 }),
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(fc.constantFrom(...f.ids), { maxLength: 3 }),
  );
}

// --- the RPCs ------------------------------------------------------------------------------------

interface Rpc {
  name: string;
  args: { name: string; type: string }[];
  /** How many trailing arguments have defaults (may be left out). */
  defaults: number;
  stable: boolean;
}

async function publicRpcs(admin: postgres.Sql): Promise<Rpc[]> {
  const rows = await admin`
    select p.proname as name, p.pronargdefaults as defaults, p.provolatile <> 'v' as stable,
           coalesce((select json_agg(json_build_object('name', a.n, 'type', format_type(a.t, null)) order by a.i)
                     from unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) with ordinality as a (n, t, i)), '[]') as args
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
      and not exists (select 1 from unnest(p.proargtypes::oid[]) t where t = 'trigger'::regtype)
    order by p.proname`;
  return rows.map((r) => ({ name: r.name, args: r.args, defaults: r.defaults, stable: r.stable }));
}

/** Host/moderator-only RPCs (the member of the fixture is never staff) and admin-only ones. */
const STAFF_ONLY = new Set([
  "add_session_staff", "remove_session_staff", "publish_session", "start_session", "end_session", "cancel_session",
  "reschedule_session", "pin_message", "ban_user", "unban_user", "moderate_question", "create_poll", "open_poll",
  "close_poll", "create_survey", "open_survey", "close_survey", "open_breakout_rooms", "assign_room", "unassign_room",
  "assign_rooms_randomly", "close_breakout_rooms", "session_attendance_report", "session_metrics",
]);
const ADMIN_ONLY = new Set(["set_user_role", "review_coach_application", "hide_resource", "unhide_resource"]);

interface RpcCase {
  rpc: Rpc;
  actor: Actor;
  /** The JSON body: required arguments always present (their value may be null), defaulted ones maybe left out. */
  body: Record<string, unknown>;
}

function rpcCase(f: Fixture, rpcs: Rpc[]): fc.Arbitrary<RpcCase> {
  return fc.constantFrom(...rpcs).chain((rpc) => {
    const required = rpc.args.length - rpc.defaults;
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const a of rpc.args) fields[a.name] = values(f, a.type, a.name);
    const optionalKeys = rpc.args.slice(required).map((a) => a.name);
    return fc.record({
      rpc: fc.constant(rpc),
      actor: fc.constantFrom(...ACTORS),
      body: fc.record(fields, { requiredKeys: rpc.args.slice(0, required).map((a) => a.name) }).map((b) =>
        Object.fromEntries(Object.entries(b).filter(([k, v]) => v !== undefined || !optionalKeys.includes(k)))
      ),
    });
  });
}

const quoteIdent = (s: string) => '"' + s.replaceAll('"', '""') + '"';

/** The SQL PostgREST runs for `POST /rpc/<name>` with a JSON object body. */
function rpcSql(rpc: Rpc, body: Record<string, unknown>): string {
  const given = rpc.args.filter((a) => a.name in body);
  const columns = given.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(", ");
  const named = given.map((a) => `${quoteIdent(a.name)} := (select ${quoteIdent(a.name)} from pgrst_args)`).join(", ");
  const args = given.length ? `with pgrst_args as (select * from json_to_record($1::text::json) as _(${columns})) ` : "";
  return `${args}select coalesce(json_agg(_r), '[]')::text as body, pg_current_xact_id_if_assigned()::text as xid
          from public.${quoteIdent(rpc.name)}(${named}) _r`;
}

/** What a failed call answers over PostgREST: its status and the code to report. */
function statusOf(err: unknown): { status: number; code: string } {
  if (!(err instanceof postgres.PostgresError)) throw err;
  const code = err.code;
  if (code === "PGRST") {
    const body = JSON.parse(err.message);
    const detail = JSON.parse(err.detail ?? "{}");
    return { status: typeof detail.status === "number" ? detail.status : 500, code: body.code };
  }
  if (code === "42501") return { status: 403, code };
  if (code.startsWith("22") || code.startsWith("23") || code === "P0001") return { status: 400, code: `${code} ${err.message}` };
  return { status: 500, code: `${code} ${err.message}` };
}

const brief = (v: unknown) => {
  const s = JSON.stringify(v, (_k, x) => typeof x === "string" && x.length > 60 ? `${x.slice(0, 40)}...(${x.length} chars)` : x);
  return s.length > 600 ? s.slice(0, 600) + "..." : s;
};

class Rollback extends Error {}

async function runRpcCase(pool: postgres.Sql, f: Fixture, c: RpcCase, stats: Map<string, number>): Promise<void> {
  const claims = c.actor === "anon"
    ? { role: "anon" }
    : { sub: f.users[c.actor], role: "authenticated", aud: "authenticated", email: `${c.actor}@fuzz.test`, user_role: c.actor };
  const role = claims.role;
  let outcome: { ok: true; xid: string | null } | { ok: false; status: number; code: string };
  try {
    await pool.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true), set_config('statement_timeout', ${role === "anon" ? "3s" : "8s"}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('request.jwt.claim.sub', ${claims.sub ?? ""}, true), set_config('request.jwt.claim.role', ${role}, true)`;
      const [row] = await tx.unsafe(rpcSql(c.rpc, c.body), Object.keys(c.body).length ? [JSON.stringify(c.body)] : []);
      outcome = { ok: true, xid: row.xid };
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) outcome = { ok: false, ...statusOf(err) };
  }
  const o = outcome!;
  const key = `${c.rpc.name} ${o.ok ? "ok" : o.code.split(" ")[0]}`;
  if (!stats.has(key) && Deno.env.get("FUZZ_VERBOSE")) console.log(key, o.ok ? "" : o.code, brief(c.body));
  stats.set(key, (stats.get(key) ?? 0) + 1);
  const where = `${c.rpc.name} as ${c.actor} with ${brief(c.body)}`;
  if (!o.ok) {
    if (o.status >= 500) throw new Error(`${where}: answered ${o.status} (${o.code})`);
    return;
  }
  if (c.actor === "anon") throw new Error(`${where}: anon succeeded`);
  if (c.actor === "member" && STAFF_ONLY.has(c.rpc.name)) throw new Error(`${where}: the member succeeded with a staff-only RPC`);
  if (c.actor !== "admin" && ADMIN_ONLY.has(c.rpc.name)) throw new Error(`${where}: a non-admin succeeded with an admin-only RPC`);
  if (c.rpc.stable && o.xid !== null) throw new Error(`${where}: a read-only RPC wrote (transaction id ${o.xid})`);
}

/** Runs `cases` side by side with at most `width` in flight; the first failure is rethrown after all settle. */
async function allSettled<T>(cases: T[], width: number, run: (c: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  await Promise.all(Array.from({ length: Math.min(width, cases.length) }, async () => {
    while (next < cases.length) {
      const c = cases[next++];
      try {
        await run(c);
      } catch (err) {
        failure ??= err;
      }
    }
  }));
  if (failure) throw failure;
}

function reportSeed(what: string, runs: number): void {
  console.log(`fuzz ${what}: seed ${SEED}${PATH ? ` path ${PATH}` : ""}, ${runs} cases ` +
    `(replay: FUZZ_SEED=${SEED}${PATH ? ` FUZZ_PATH=${PATH}` : ""})`);
}

Deno.test("fuzz: every public RPC as anon, member, coach and admin", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: CONNECTIONS, prepare: false, onnotice: () => {}, connection: { application_name: "fuzz" } });
  const fixture = emptyFixture();
  const stats = new Map<string, number>();
  try {
    await createFixture(admin, fixture);
    const rpcs = await publicRpcs(admin);
    assert.ok(rpcs.length >= 50, `found ${rpcs.length} public RPCs`);
    reportSeed("RPCs", RPC_RUNS);
    const started = performance.now();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rpcCase(fixture, rpcs), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        cases += batch.length;
        await allSettled(batch, CONNECTIONS, (c) => runRpcCase(pool, fixture, c, stats));
      }),
      { seed: SEED, path: PATH, numRuns: Math.ceil(RPC_RUNS / BATCH), endOnFailure: false },
    );
    const seconds = (performance.now() - started) / 1000;
    const called = new Set([...stats.keys()].map((k) => k.split(" ")[0]));
    const succeeded = new Set([...stats.keys()].filter((k) => k.endsWith(" ok")).map((k) => k.split(" ")[0]));
    console.log(`fuzz RPCs: ${cases} cases in ${seconds.toFixed(1)} s; ${called.size}/${rpcs.length} RPCs called, ` +
      `${succeeded.size} succeeded at least once; outcomes: ${
        [...new Set([...stats.keys()].map((k) => k.split(" ")[1]))].map((code) =>
          `${code} ${[...stats].filter(([k]) => k.split(" ")[1] === code).reduce((n, [, v]) => n + v, 0)}`).join(", ")
      }`);
    assert.equal(called.size, rpcs.length, `RPCs never called: ${rpcs.filter((r) => !called.has(r.name)).map((r) => r.name)}`);
    // The fixture is real enough that the fuzz reaches past the argument checks of most RPCs.
    assert.ok(succeeded.size >= rpcs.length / 2, `only ${[...succeeded]} ever succeeded`);
    const [{ drift }] = await admin`select count(*)::int as drift from private.session_seat_drift()`;
    assert.equal(drift, 0, "seat counters drifted");
  } finally {
    await dropFixture(admin, fixture);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});

// --- Edge Functions ------------------------------------------------------------------------------

interface HttpCase {
  fn: keyof typeof HANDLERS;
  method: string;
  path: string;
  token: string; // an index into the token pool, or "" for none, or raw junk
  headers: Record<string, string>;
  body: { kind: "none" } | { kind: "json"; value: unknown } | { kind: "text"; value: string } | { kind: "bytes"; size: number };
  signed: boolean;
}

/** A path segment as a client would encode it (lone surrogates become U+FFFD, as fetch does). */
const encodeSegment = (s: string) => encodeURIComponent(s.toWellFormed());

const HANDLERS = {
  calendar, health, "send-message": sendMessage, "signup-hook": signupHook,
  "dispatch-notifications": dispatchNotifications, unsubscribe, jitsi, push, "resend-webhook": resendWebhook,
};

function httpCase(f: Fixture): fc.Arbitrary<HttpCase> {
  const segment = fc.oneof(fc.constantFrom(...f.ids), fc.uuid(), hostileString.map(encodeSegment),
    fc.constantFrom("..", ".", "%2e%2e", "%00", "feed", "sessions", "x".repeat(300), "a.ics", "%ZZ"));
  const path = fc.oneof(
    fc.tuple(fc.constantFrom("sessions", "feed"), segment, fc.constantFrom(".ics", "", ".ICS", ".ics/x", ".json"))
      .map(([kind, id, ext]) => `/calendar/${kind}/${id}${ext}`),
    fc.array(segment, { maxLength: 4 }).map((s) => "/" + s.join("/")),
    fc.constantFrom("unsub-valid", "unsub-expired", "unsub-other-kind").map((t) => `/${t}`),
    // jitsi: /jitsi/sessions/<id> (live, scheduled, ended, private ... from the fixture); push: its one path.
    fc.oneof({ weight: 3, arbitrary: fc.constant(f.liveSession) }, fc.constantFrom(...f.ids), segment).map((id) => `/sessions/${id}`),
    fc.constant("/vapid-public-key"),
  );
  const headerValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("*", "null", "https://evil.example", "text/html",
    "application/json", "multipart/form-data; boundary=x", "W/\"x\"", "\"*\"", "0", "-1", "99999999999"));
  const headers = fc.dictionary(
    fc.constantFrom("content-type", "origin", "x-request-id", "if-none-match", "accept", "content-length-ish",
      "access-control-request-headers", "webhook-id", "webhook-timestamp", "webhook-signature", "apikey", "prefer",
      "svix-id", "svix-timestamp", "svix-signature"),
    headerValue, { maxKeys: 5 });
  const body = fc.oneof(
    fc.constant({ kind: "none" as const }),
    fc.record({ kind: fc.constant("json" as const), value: fc.record({ session_id: fc.constant(f.liveSession), body: plausibleText("body") }) }),
    fc.record({ kind: fc.constant("json" as const), value: fc.oneof(
      fc.record({ session_id: fc.oneof(fc.constant(f.liveSession), fc.constantFrom(...f.ids), scalarJunk),
                  body: fc.oneof(plausibleText("body"), hostileString, scalarJunk), room_id: fc.oneof(fc.constantFrom(...f.ids), scalarJunk),
                  kind: fc.oneof(fc.constantFrom("message", "announcement"), scalarJunk) }, { requiredKeys: [] }),
      fc.record({ user: fc.record({ id: fc.uuid(), email: fc.oneof(fc.emailAddress(), hostileString),
        user_metadata: fc.dictionary(fc.constantFrom("display_name", "company", "title", "timezone", "x"), fc.oneof(hostileString, scalarJunk)) }, { requiredKeys: [] }) }),
      fc.jsonValue({ maxDepth: 3 }),
    ) }),
    // Resend webhook events: bounces, complaints and other types, with plausible and hostile recipients.
    fc.record({ kind: fc.constant("json" as const), value: fc.record({
      type: fc.oneof(fc.constantFrom("email.bounced", "email.complained", "email.delivered", "email.opened"), hostileString, scalarJunk),
      created_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), scalarJunk),
      data: fc.oneof(fc.record({
        email_id: fc.oneof(fc.uuid(), hostileString),
        to: fc.oneof(fc.array(fc.oneof(fc.emailAddress().map((e) => `fuzz-${e}`), hostileString), { maxLength: 3 }),
          fc.emailAddress(), scalarJunk),
        bounce: fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom("Permanent", "Transient", "Undetermined"), scalarJunk),
          subType: hostileString, message: hostileString }, { requiredKeys: [] }), scalarJunk),
      }, { requiredKeys: [] }), scalarJunk),
    }, { requiredKeys: [] }) }),
    fc.record({ kind: fc.constant("text" as const), value: fc.oneof(hostileString, fc.constantFrom("{", "[1,", "\u0000", "{\"a\":1}}", "null")) }),
    fc.record({ kind: fc.constant("bytes" as const), size: fc.constantFrom(1, 1024, 65_536, 65_537, 300_000) }),
  );
  const own: Record<HttpCase["fn"], string[]> = {
    calendar: ["GET", "HEAD"], health: ["GET"], "send-message": ["POST"], "signup-hook": ["POST"],
    "dispatch-notifications": ["POST"], unsubscribe: ["GET", "POST"], jitsi: ["GET"], push: ["GET", "HEAD"],
    "resend-webhook": ["POST"],
  };
  const fnAndMethod = fc.constantFrom(...Object.keys(own) as HttpCase["fn"][]).chain((fn) =>
    fc.tuple(fc.constant(fn), fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...own[fn]) },
      { weight: 1, arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND") })));
  const publicSession = f.byKind.session[1];
  return fc.record({
    fnAndMethod,
    path: fc.oneof({ weight: 1, arbitrary: fc.constant(`/calendar/sessions/${publicSession}.ics`) }, { weight: 3, arbitrary: path }),
    token: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("member", "coach") }, { weight: 4, arbitrary: fc.constantFrom("", "member", "coach", "admin", "other", "expired", "wrong-secret", "alg-none",
      "supabase_admin", "service_role", "sub-not-uuid", "no-exp", "unknown-user", "dispatch-secret") }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }),
    headers,
    body,
    signed: fc.boolean(),
  }).map(({ fnAndMethod: [fn, method], ...rest }) => ({ fn, method, ...rest }));
}

async function tokenPool(f: Fixture): Promise<Record<string, string>> {
  const user = (sub: string, extra = {}) => mintJwt({ sub, role: "authenticated", aud: "authenticated", ...extra });
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return {
    member: await user(f.users.member),
    coach: await user(f.users.coach),
    admin: await user(f.users.admin),
    other: await user(f.users.other),
    expired: await mintJwt({ sub: f.users.member, role: "authenticated" }, { expiresIn: -3600 }),
    "wrong-secret": await mintJwt({ sub: f.users.member, role: "authenticated" }, { secret: "another-secret-of-at-least-32-characters!!" }),
    "alg-none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: f.users.admin, role: "service_role", exp: 9999999999 })}.`,
    supabase_admin: await user(f.users.admin, { role: "supabase_admin" }),
    service_role: await mintJwt({ role: "service_role" }),
    "sub-not-uuid": await user("'; drop table x; --"),
    "no-exp": `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: f.users.member, role: "authenticated" })}.c2ln`,
    "unknown-user": await user(crypto.randomUUID()),
    "dispatch-secret": Deno.env.get("DISPATCH_SECRET")!,
    // Unsubscribe link tokens (path segments of /unsubscribe/<token>).
    "unsub-valid": await signUnsubscribeToken(f.users.member, "session_reminder"),
    "unsub-expired": await signUnsubscribeToken(f.users.member, "session_reminder", { expiresAt: Math.floor(Date.now() / 1000) - 60 }),
    "unsub-other-kind": await signUnsubscribeToken(f.users.other, "no_such_kind"),
  };
}

const CHAT_WRITERS = new Set(["member", "coach"]);

async function runHttpCase(f: Fixture, tokens: Record<string, string>, c: HttpCase, stats: Map<string, number>): Promise<void> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(c.headers)) {
    try {
      headers.set(k, v);
    } catch { /* a value fetch itself refuses (control characters) never reaches a function */ }
  }
  const token = c.token in tokens ? tokens[c.token] : c.token;
  if (token) {
    try {
      headers.set("Authorization", `Bearer ${token}`);
    } catch { /* as above */ }
  }
  let body: BodyInit | undefined;
  if (c.body.kind === "json") body = JSON.stringify(c.body.value);
  else if (c.body.kind === "text") body = c.body.value;
  else if (c.body.kind === "bytes") body = new Uint8Array(c.body.size).fill(0x7b);
  if (c.method === "GET" || c.method === "HEAD") body = undefined;
  if (c.signed && c.fn === "signup-hook" && typeof body === "string") {
    for (const [k, v] of Object.entries(signWebhook(body))) headers.set(k, v);
  }
  if (c.signed && c.fn === "resend-webhook" && typeof body === "string") {
    const signed = signWebhook(body, { secret: RESEND_WEBHOOK_SECRET });
    for (const [k, v] of Object.entries(signed)) headers.set(k.replace(/^webhook-/, "svix-"), v);
  }
  const unsub = /^\/(unsub-[a-z-]+)$/.exec(c.path);
  const given = unsub ? `/${tokens[unsub[1]]}` : c.path;
  const path = c.fn === "calendar" && !given.startsWith("/calendar/") ? "/calendar" + given : c.fn === "calendar" ? given : `/${c.fn}${given}`;
  const url = `http://localhost/functions/v1${path}`;
  let req: Request;
  try {
    req = new Request(url, { method: c.method, headers, body });
  } catch {
    return; // not a request a client can send (e.g. TRACE with a body)
  }
  const res = await HANDLERS[c.fn](req);
  const text = c.method === "HEAD" ? "" : await res.text();
  stats.set(`${c.fn} ${res.status}`, (stats.get(`${c.fn} ${res.status}`) ?? 0) + 1);
  if (res.status < 300 && c.method !== "OPTIONS") stats.set(`${c.fn} served`, 1);
  const where = `${c.method} ${c.fn}${brief(c.path)} token=${c.token.slice(0, 20)} headers=${brief(c.headers)} body=${brief(c.body)}`;
  if (res.status >= 500) throw new Error(`${where}: answered ${res.status} ${text.slice(0, 300)}`);
  if (!res.headers.get("X-Request-Id")) throw new Error(`${where}: no X-Request-Id`);
  if (res.headers.get("X-Content-Type-Options") !== "nosniff") throw new Error(`${where}: no nosniff`);
  if (!(res.headers.get("Content-Security-Policy") ?? "").includes("frame-ancestors 'none'")) throw new Error(`${where}: no CSP`);
  // Errors are the JSON error shape, except the pages meant for people (unsubscribe links): HTML.
  const html = (res.headers.get("Content-Type") ?? "").startsWith("text/html");
  if (res.status >= 400 && c.method !== "HEAD" && !(html && c.fn === "unsubscribe")) {
    let parsed: { error?: { code?: unknown } } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch { /* checked below */ }
    if (typeof parsed?.error?.code !== "string") throw new Error(`${where}: ${res.status} without the error shape: ${text.slice(0, 200)}`);
  }
  if (c.fn === "send-message" && res.status === 201) {
    const posted = JSON.parse(text);
    if (!CHAT_WRITERS.has(c.token) || posted.session_id !== f.liveSession) {
      throw new Error(`${where}: 201 for a caller who may not post there`);
    }
  }
}

Deno.test("fuzz: every Edge Function with random methods, paths, headers, tokens and bodies", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const fixture = emptyFixture();
  const stats = new Map<string, number>();
  try {
    await createFixture(admin, fixture);
    const tokens = await tokenPool(fixture);
    reportSeed("Edge Functions", HTTP_RUNS);
    const started = performance.now();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(httpCase(fixture), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        cases += batch.length;
        await allSettled(batch, 3, (c) => runHttpCase(fixture, tokens, c, stats));
      }),
      { seed: SEED + 1, path: PATH, numRuns: Math.ceil(HTTP_RUNS / BATCH) },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz Edge Functions: ${cases} cases in ${seconds.toFixed(1)} s; statuses: ${
      [...stats].filter(([k]) => !k.endsWith(" served")).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
    // Every function of supabase/functions is fuzzed: a new one must be added to HANDLERS.
    const dirs = [...Deno.readDirSync(new URL("../../functions", import.meta.url))]
      .filter((e) => e.isDirectory && !e.name.startsWith("_") && e.name !== "tests").map((e) => e.name).sort();
    assert.deepEqual(dirs, Object.keys(HANDLERS).sort(), "every Edge Function is in the fuzz");
    for (const fn of Object.keys(HANDLERS)) {
      assert.ok(stats.has(`${fn} served`), `${fn} never answered 2xx (OPTIONS aside): the fuzz does not reach it`);
    }
  } finally {
    await closeDb();
    await dropFixture(admin, fixture);
    await admin.end({ timeout: 5 });
  }
});
