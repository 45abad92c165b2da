/**
 * Postgres access for Edge Functions: one small postgres.js pool on `SUPABASE_DB_URL`, and
 * `asCaller()`, which runs one transaction as the caller exactly like PostgREST does (role and
 * request.jwt.* settings, transaction-local), so RLS and auth.uid() apply. Postgres errors become
 * ApiErrors with the statuses PostgREST would give.
 */
import postgres from "postgres";
import { type Claims, isRole } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { logField } from "./http.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

let pool: Sql | undefined;

/** The shared pool, created on first use from `SUPABASE_DB_URL`. */
export function db(): Sql {
  if (pool) return pool;
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  guardSocketFaults();
  pool = postgres(url, {
    max: Number(Deno.env.get("DB_POOL_MAX") ?? 3),
    idle_timeout: 20,
    // A database that is down or restarting answers 503 within seconds instead of holding the request.
    connect_timeout: Number(Deno.env.get("DB_CONNECT_TIMEOUT") ?? 3),
    prepare: false, // works behind Supavisor in transaction mode
    onnotice: () => {},
    connection: { application_name: "edge-functions" },
  });
  return pool;
}

/**
 * Whether an error that reached no caller is postgres.js losing its server: a socket error nobody
 * awaited, or the TypeError it throws from a pending write timer once the socket is gone ("Cannot read
 * properties of null (reading 'write')", seen when the server is killed mid-write).
 */
export function isSocketFault(err: unknown): boolean {
  if (isUnavailable(err)) return true;
  return err instanceof TypeError && /of null \(reading '(write|end|destroy|setKeepAlive)'\)/.test(err.message) &&
    /[\\/]postgres[\\/@]/.test(err.stack ?? "");
}

let guarded = false;

/**
 * Keeps the isolate alive when the database dies under it: such faults (isSocketFault) are logged as one
 * JSON line and dropped, since the next query of any request reports the outage itself (503). Any other
 * uncaught error is left alone. Installed once, by the first db() call.
 */
export function guardSocketFaults(): void {
  if (guarded) return;
  guarded = true;
  const onFault = (event: Event) => {
    const err = event instanceof PromiseRejectionEvent ? event.reason : (event as ErrorEvent).error;
    if (!isSocketFault(err)) return;
    event.preventDefault();
    console.warn(JSON.stringify({
      time: new Date().toISOString(), level: "warn", msg: "database connection lost",
      error: (err as { code?: string }).code ?? (err as Error).name,
    }));
  };
  globalThis.addEventListener("error", onFault);
  globalThis.addEventListener("unhandledrejection", onFault);
}

/** Closes the pool (tests, shutdown). The next db() call opens a new one. */
export async function closeDb(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end({ timeout: 5 });
}

/**
 * The role settings PostgREST copies into each request transaction (PLATFORM.md): the statement
 * timeouts of anon (3 s) and authenticated (8 s); service_role has none.
 */
const STATEMENT_TIMEOUT: Record<string, string> = { anon: "3s", authenticated: "8s", service_role: "0" };

/**
 * The search_path PostgREST sets in each request transaction (config.toml: `public` and the extra
 * search path `extensions`). Set here too: behind a transaction pooler (Supavisor, PgBouncer) the
 * server connection may carry a session-level search_path another client left behind.
 */
const SEARCH_PATH = "public, extensions";

/**
 * Runs `fn` in one transaction as the caller: `role`, `search_path`, the role's statement timeout and
 * `request.jwt.claims` (plus the `request.jwt.claim.sub`/`.role` shorthands) are set
 * transaction-locally, then `fn(tx)`; nothing of the caller outlives the transaction, and nothing a
 * previous client of a pooled server connection left at session level reaches it
 * (supabase/tests/pooling). Database errors are rethrown as ApiError (see toApiError).
 */
export async function asCaller<T>(claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!isRole(claims.role)) throw ApiError.notAuthenticated("Token role is not allowed");
  const role = claims.role;
  try {
    const result = await db().begin(async (tx) => {
      await tx`select set_config('role', ${role}, true),
                      set_config('search_path', ${SEARCH_PATH}, true),
                      set_config('statement_timeout', ${STATEMENT_TIMEOUT[role]}, true),
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

/** Errors of a database that is down, restarting or out of connections: the client should retry. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_NETWORK = new Set([
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND",
  "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED",
]);

/** Seconds a client should wait before retrying while the database is unavailable. */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** Whether an error means the database cannot be reached right now (connection refused, restarting ...). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof postgres.PostgresError) return UNAVAILABLE_SQLSTATE.test(err.code);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNAVAILABLE_NETWORK.has(code);
}

/**
 * Maps a Postgres error to an ApiError (other values are returned unchanged):
 * - SQLSTATE PGRST (private.raise_error): MESSAGE is `{code,message,details,hint}`, DETAIL `{status,headers}`;
 * - 42501 -> 401 not_authenticated for anon, 403 forbidden otherwise;
 * - 23505, 23503 -> 409 conflict; 23514, 23502, 22xxx, P0001 -> 400 invalid_input;
 * - 42883, 42P01 -> 404 not_found;
 * - the database unreachable, restarting or out of connections (08xxx, 57P01-03, 53300, refused or
 *   dropped connections) -> 503 service_unavailable with Retry-After;
 * - everything else (57014 included) -> 500 internal_error.
 * The SQLSTATE (never the message: it may quote values) goes to the request's log line.
 */
export function toApiError(err: unknown, role?: string): unknown {
  if (err instanceof ApiError) return err;
  if (isUnavailable(err)) {
    logField("db_error", (err as { code?: string }).code);
    return new ApiError("service_unavailable", "The database is unavailable; retry shortly", null, 503, {
      "Retry-After": String(UNAVAILABLE_RETRY_AFTER),
    });
  }
  if (!(err instanceof postgres.PostgresError)) return err;
  const code = err.code;
  if (code === "PGRST") {
    const body = parseJson(err.message);
    const detail = parseJson(err.detail);
    if (!body || typeof body.code !== "string") {
      logField("db_error", "PGRST malformed");
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
  logField("db_error", code);
  if (code === "57014") return internal("The request took too long");
  return internal();
}

function internal(message = "Internal server error"): ApiError {
  return new ApiError("internal_error", message, null, 500);
}
