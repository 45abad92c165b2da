/**
 * Attendance under real concurrency, each call a PostgREST-like transaction as its user: 40 users
 * join one live session at the same moment, each transaction staying open a little after its join
 * (as a slow request would), so that no join sees the others' uncommitted intervals when it counts.
 * The recorded peak must still be all 40 viewers, and equal the computed viewer count.
 */
import assert from "node:assert/strict";
import postgres from "postgres";

const VIEWERS = 40;

function dbUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return url;
}

Deno.test("concurrency: viewers joining at the same moment all count towards the peak", async () => {
  const admin = postgres(dbUrl(), { max: 2, prepare: false, onnotice: () => {} });
  const pool = postgres(dbUrl(), { max: VIEWERS, prepare: false, onnotice: () => {} });
  const users = (await admin`
    insert into auth.users (id, email, raw_user_meta_data, aud, role, created_at)
    select gen_random_uuid(), 'attendance-' || g || '-' || substr(md5(random()::text), 1, 10) || '@example.test',
           jsonb_build_object('display_name', 'Viewer ' || g), 'authenticated', 'authenticated', now()
    from generate_series(1, ${VIEWERS + 1}) g
    returning id`).map((r) => r.id as string);
  const [host, ...viewers] = users;
  await admin`update public.user_roles set role = 'coach' where user_id = ${host}`;
  const [{ id: session }] = await admin`
    insert into public.sessions (title, status, visibility, starts_at, started_at, created_by)
    values ('attendance concurrency', 'live', 'public', now(), now(), ${host}) returning id`;
  try {
    await Promise.all(Array.from({ length: VIEWERS }, () => pool`select pg_sleep(0.05)`));
    await Promise.all(viewers.map((viewer) => {
      const claims = JSON.stringify({ sub: viewer, role: "authenticated", email: `${viewer}@example.test` });
      return pool.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
        await tx`select public.join_session(${session})`;
        await tx`select pg_sleep(0.05)`;
      });
    }));
    const [stats] = await admin`
      select v.peak_viewers, private.viewer_count(${session}) as viewers
      from public.session_viewer_stats v where v.session_id = ${session}`;
    assert.equal(stats.viewers, VIEWERS, "every viewer is counted");
    assert.equal(stats.peak_viewers, VIEWERS, "the peak counts every viewer who joined at once");
  } finally {
    await admin`delete from realtime.messages where topic = ${"session:" + session}`;
    await admin`delete from public.sessions where id = ${session}`;
    await admin`delete from auth.users where id = any(${users}::uuid[])`;
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
});
