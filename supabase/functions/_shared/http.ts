/**
 * HTTP plumbing shared by every function: JSON answers, the one error shape
 * `{ "error": { "code", "message", "details" } }`, CORS from the `ALLOWED_ORIGINS` allowlist,
 * and `handle()`, which every function's handler goes through:
 * - OPTIONS is answered first; a thrown error becomes the error shape (unknown ones a 500 that leaks nothing);
 * - request bodies are capped (`maxBodyBytes`, 64 KiB by default): larger ones are a 413 before the
 *   handler reads anything;
 * - every answer carries a request id (`X-Request-Id`: the caller's when it is a plain token, else a new
 *   UUID) and the security headers (nosniff, no referrer, a CSP of `default-src 'none'` for anything but
 *   HTML, `frame-ancestors 'none'`);
 * - one JSON log line per request (see `logRequest`): no query string, no header, no body, and path
 *   segments that look like secrets (calendar feed tokens) redacted.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ApiError } from "./errors.ts";

export type Handler = (req: Request) => Response | Promise<Response>;

const ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, prefer, idempotency-key, x-request-id";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/** A JSON response. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** What the request log line of the request in flight carries besides its own fields. */
interface RequestContext {
  fields: Record<string, unknown>;
}
const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * Adds fields to the log line of the request in flight (no-op outside a request). Never pass secrets,
 * tokens, bodies or headers: the line is written as is.
 */
export function logField(name: string, value: unknown): void {
  const ctx = requestContext.getStore();
  if (ctx) ctx.fields[name] = value;
}

/** The error shape for any thrown value; unknown errors become a 500 that leaks nothing. */
export function errorResponse(err: unknown): Response {
  if (err instanceof ApiError) {
    return json({ error: { code: err.code, message: err.message, details: err.details } }, err.status, err.headers);
  }
  // Name and message only: a stack or an error object may carry query parameters (a feed token).
  logField("unhandled_error", err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : typeof err);
  return json({ error: { code: "internal_error", message: "Internal server error", details: null } }, 500);
}

/** The origins of `ALLOWED_ORIGINS` (comma-separated; `*` allows every origin). Read on each call. */
export function allowedOrigins(): string[] {
  return (Deno.env.get("ALLOWED_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter(Boolean);
}

/** Whether a request `Origin` is in the allowlist. */
export function isOriginAllowed(origin: string | null): origin is string {
  if (!origin) return false;
  const allowed = allowedOrigins();
  return allowed.includes("*") || allowed.includes(origin);
}

/** CORS headers for a request: the echoed Origin when allowed, always `Vary: Origin`. */
export function corsHeaders(req: Request, preflight = false): Headers {
  const h = new Headers({ Vary: "Origin" });
  const origin = req.headers.get("Origin");
  if (!isOriginAllowed(origin)) return h;
  h.set("Access-Control-Allow-Origin", origin);
  h.set("Access-Control-Allow-Credentials", "true");
  if (preflight) {
    h.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
    h.set("Access-Control-Allow-Headers", req.headers.get("Access-Control-Request-Headers") ?? ALLOWED_HEADERS);
    h.set("Access-Control-Max-Age", "86400");
  } else {
    // ETag and Content-Disposition for the calendar downloads; Retry-After for 429s.
    h.set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate, ETag, Content-Disposition");
  }
  return h;
}

/** Request bodies larger than this are refused with 413 unless a function sets its own limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface HandleOptions {
  /** Largest request body accepted, in bytes (413 `payload_too_large` above it). */
  maxBodyBytes?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's `X-Request-Id` when it is a plain token, else a new UUID. */
function requestIdOf(req: Request): string {
  const given = req.headers.get("X-Request-Id");
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.[a-z]+)?$/i;

/**
 * The path for logs: ids stay (they identify, they do not authorize), any other segment of 24 or more
 * characters is treated as a secret (calendar feed tokens, unsubscribe tokens) and replaced.
 */
export function loggablePath(pathname: string): string {
  return pathname.split("/").map((segment) =>
    segment.length >= 24 && !UUID.test(segment) ? "[redacted]" : segment.slice(0, 64)
  ).join("/");
}

/** The body of a request, refused with 413 when larger than `limit` (by Content-Length or while read). */
async function capBody(req: Request, limit: number): Promise<Request> {
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return req;
  const tooLarge = () =>
    new ApiError("payload_too_large", `The request body must be at most ${limit} bytes`, { max_bytes: limit }, 413);
  const declared = Number(req.headers.get("Content-Length") ?? NaN);
  if (declared > limit) throw tooLarge();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(req.url, { method: req.method, headers: req.headers, body });
}

/** Security headers of every answer; HTML pages (unsubscribe confirmations) get a CSP fit for a form. */
function securityHeaders(headers: Headers): void {
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("X-Frame-Options", "DENY");
  if (!headers.has("Content-Security-Policy")) {
    const html = (headers.get("Content-Type") ?? "").startsWith("text/html");
    headers.set(
      "Content-Security-Policy",
      html
        ? "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        : "default-src 'none'; frame-ancestors 'none'",
    );
  }
}

/** The answer as sent: CORS, security headers and the request id (a new Response: fetch ones may be immutable). */
function finish(req: Request, res: Response, requestId: string): Response {
  const headers = new Headers(res.headers);
  corsHeaders(req).forEach((value, key) => headers.set(key, value));
  securityHeaders(headers);
  headers.set("X-Request-Id", requestId);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** Writes the request's one structured log line (stdout; the platform collects it). `REQUEST_LOG=off` silences it. */
function logRequest(fields: Record<string, unknown>): void {
  if (Deno.env.get("REQUEST_LOG") === "off") return;
  console.log(JSON.stringify(fields));
}

/**
 * Wraps a handler: OPTIONS is answered first (204, CORS headers only for allowed origins), the body is
 * capped, then the handler runs; a thrown ApiError becomes its status and error shape, anything else a
 * 500. Every answer gets CORS, security headers and `X-Request-Id`, and one log line is written.
 */
export function handle(fn: Handler, options: HandleOptions = {}): (req: Request) => Promise<Response> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req: Request): Promise<Response> => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const ctx: RequestContext = { fields: {} };
    return requestContext.run(ctx, async () => {
      let res: Response;
      try {
        res = req.method === "OPTIONS"
          ? new Response(null, { status: 204, headers: corsHeaders(req, true) })
          : await fn(await capBody(req, limit));
      } catch (err) {
        res = errorResponse(err);
        if (err instanceof ApiError) ctx.fields.error_code = err.code;
      }
      const url = new URL(req.url);
      logRequest({
        time: new Date().toISOString(),
        level: res.status >= 500 ? "error" : res.status >= 400 ? "warn" : "info",
        msg: "request",
        request_id: requestId,
        function: url.pathname.split("/").filter(Boolean).find((s) => s !== "functions" && s !== "v1") ?? null,
        method: req.method,
        path: loggablePath(url.pathname),
        status: res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...ctx.fields,
      });
      return finish(req, res, requestId);
    });
  };
}

/** Throws 405 unless the request method is one of `methods`. */
export function requireMethod(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) {
    throw new ApiError("method_not_allowed", `Method ${req.method} not allowed`, null, 405, {
      Allow: [...methods, "OPTIONS"].join(", "),
    });
  }
}
