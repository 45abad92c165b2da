/**
 * Postgres access for Edge Functions: one small postgres.js pool on `SUPABASE_DB_URL`, and
 * `asCaller()`, which runs one transaction as the caller exactly like PostgREST does (role and
 * request.jwt.* settings, transaction-local), so RLS and auth.uid() apply. Postgres errors become
 * ApiErrors with the statuses PostgREST would give.
 */
import postgres from "postgres";
import { type Claims, isRole } from "./auth.ts";
import { ApiError } from "./errors.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

let pool: Sql | undefined;

/** The shared pool, created on first use from `SUPABASE_DB_URL`. */
export function db(): Sql {
  if (pool) return pool;
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  pool = postgres(url, {
    max: Number(Deno.env.get("DB_POOL_MAX") ?? 3),
    idle_timeout: 20,
    connect_timeout: 10,
    prepare: false, // works behind Supavisor in transaction mode
    onnotice: () => {},
    connection: { application_name: "edge-functions" },
  });
  return pool;
}

/** Closes the pool (tests, shutdown). The next db() call opens a new one. */
export async function closeDb(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end({ timeout: 5 });
}

/**
 * Runs `fn` in one transaction as the caller: `role` and `request.jwt.claims` (plus the
 * `request.jwt.claim.sub`/`.role` shorthands) are set transaction-locally, then `fn(tx)`.
 * Database errors are rethrown as ApiError (see toApiError).
 */
export async function asCaller<T>(claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!isRole(claims.role)) throw ApiError.notAuthenticated("Token role is not allowed");
  const role = claims.role;
  try {
    const result = await db().begin(async (tx) => {
      await tx`select set_config('role', ${role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('request.jwt.claim.sub', ${claims.sub ?? ""}, true),
                      set_config('request.jwt.claim.role', ${role}, true)`;
      return await fn(tx);
    });
    return result as T;
  } catch (err) {
    throw toApiError(err, role);
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function stringHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) headers[k] = String(v);
  }
  return headers;
}

/**
 * Maps a Postgres error to an ApiError (other values are returned unchanged):
 * - SQLSTATE PGRST (private.raise_error): MESSAGE is `{code,message,details,hint}`, DETAIL `{status,headers}`;
 * - 42501 -> 401 not_authenticated for anon, 403 forbidden otherwise;
 * - 23505, 23503 -> 409 conflict; 23514, 23502, 22xxx, P0001 -> 400 invalid_input;
 * - 42883, 42P01 -> 404 not_found; everything else (57014 included) -> 500 internal_error.
 */
export function toApiError(err: unknown, role?: string): unknown {
  if (err instanceof ApiError || !(err instanceof postgres.PostgresError)) return err;
  const code = err.code;
  if (code === "PGRST") {
    const body = parseJson(err.message);
    const detail = parseJson(err.detail);
    if (!body || typeof body.code !== "string") {
      console.error("malformed PGRST error:", err.message);
      return internal();
    }
    const status = typeof detail?.status === "number" ? detail.status : undefined;
    return new ApiError(body.code, String(body.message ?? body.code), body.details ?? null, status, stringHeaders(detail?.headers));
  }
  if (code === "42501") {
    return role === "anon"
      ? ApiError.notAuthenticated("Permission denied: sign in first")
      : new ApiError("forbidden", "Permission denied");
  }
  if (code === "23505" || code === "23503") {
    return new ApiError("conflict", err.message, { constraint: err.constraint_name ?? null });
  }
  if (code === "23514" || code === "23502" || code === "P0001" || code.startsWith("22")) {
    return new ApiError("invalid_input", err.message, err.constraint_name ? { constraint: err.constraint_name } : null);
  }
  if (code === "42883" || code === "42P01") return new ApiError("not_found", "Not found");
  console.error(`database error ${code}:`, err.message);
  if (code === "57014") return internal("The request took too long");
  return internal();
}

function internal(message = "Internal server error"): ApiError {
  return new ApiError("internal_error", message, null, 500);
}
