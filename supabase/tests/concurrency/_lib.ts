// Scaffolding shared by the concurrency tests (supabase/tests/concurrency/*.test.ts): the database URL,
// test users in auth.users, one transaction as a user the way PostgREST runs it, and the API error code of
// a failed call. Not a *.test.ts file, so `deno test` does not run it on its own. Helpers that behave
// differently from file to file (an outcome object, a held commit, cleanup of a capability's rows) stay
// in their files, built on these.
import postgres from "postgres";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

/** SUPABASE_DB_URL as set (undefined without a local stack; tests guard with `ignore: !DB_URL`). */
export const DB_URL = Deno.env.get("SUPABASE_DB_URL");

/** SUPABASE_DB_URL, or a clear error when no local stack was started. */
export function dbUrl(): string {
  if (!DB_URL) throw new Error("SUPABASE_DB_URL is not set: start a local stack (scripts/lib.sh) first");
  return DB_URL;
}

/** Inserts `n` users into auth.users in one statement (the profile trigger runs); answers their ids. */
export function createUsers(admin: Sql, prefix: string, n: number): Promise<string[]> {
  return insertUsers(admin, prefix, Array.from({ length: n }, () => crypto.randomUUID()));
}

/** Inserts users with the given ids (known up front, e.g. for a cleanup in `finally`) in one statement. */
export async function insertUsers(admin: Sql, prefix: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return ids;
  const rows = ids.map((id, i) => ({
    id,
    email: `${prefix}-${i}-${id.slice(0, 8)}@concurrency.test`,
    raw_user_meta_data: { display_name: `${prefix} ${i}` },
    aud: "authenticated",
    role: "authenticated",
    created_at: new Date(),
  }));
  await admin`insert into auth.users ${admin(rows, "id", "email", "raw_user_meta_data", "aud", "role", "created_at")}`;
  return ids;
}

/** Deletes users and the Realtime messages on their own topics. */
export async function dropUsers(admin: Sql, ids: string[]) {
  const topics = ids.map((id) => `user:${id}`);
  await admin`delete from realtime.messages where topic = any(${topics})`;
  await admin`delete from auth.users where id = any(${ids})`;
}

/** Runs `query` in one transaction as `userId`, the way PostgREST does (role authenticated, request.jwt.claims). */
export function asUser<T>(sql: Sql, userId: string, query: (tx: Tx) => Promise<T>): Promise<T> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", email: `${userId}@concurrency.test` });
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
    return await query(tx);
  }) as Promise<T>;
}

/** The API error code of a failed call (PGRST), or the SQLSTATE (e.g. 40P01: deadlock); rethrows anything else. */
export function codeOf(err: unknown): string {
  if (err instanceof postgres.PostgresError) {
    return err.code === "PGRST" ? JSON.parse(err.message).code : err.code;
  }
  throw err;
}

/** The API error code of a failed call (PGRST only); rethrows anything else, a plain SQLSTATE included. */
export function apiCode(err: unknown): string {
  if (err instanceof postgres.PostgresError && err.code === "PGRST") return JSON.parse(err.message).code;
  throw err;
}

/** "ok" when `p` succeeds, else the error code (codeOf). */
export function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(() => "ok", codeOf);
}

/** An API call's result: its value, or the API error code (PGRST) with the Retry-After of a rate limit. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; code: string; retryAfter?: string };

/** asUser, answering an ApiResult instead of throwing an API error; rethrows anything else. */
export async function asUserResult<T>(sql: Sql, userId: string, query: (tx: Tx) => Promise<T>): Promise<ApiResult<T>> {
  try {
    return { ok: true, value: await asUser(sql, userId, query) };
  } catch (err) {
    if (err instanceof postgres.PostgresError && err.code === "PGRST") {
      const detail = err.detail ? JSON.parse(err.detail) : {};
      return { ok: false, code: JSON.parse(err.message).code, retryAfter: detail.headers?.["Retry-After"] };
    }
    throw err;
  }
}
