/**
 * HTTP plumbing shared by every function: JSON answers, the one error shape
 * `{ "error": { "code", "message", "details" } }`, CORS from the `ALLOWED_ORIGINS` allowlist,
 * and `handle()`, which answers OPTIONS first and turns thrown errors into that shape.
 */
import { ApiError } from "./errors.ts";

export type Handler = (req: Request) => Response | Promise<Response>;

const ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, prefer";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/** A JSON response. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The error shape for any thrown value; unknown errors become a 500 that leaks nothing. */
export function errorResponse(err: unknown): Response {
  if (err instanceof ApiError) {
    return json({ error: { code: err.code, message: err.message, details: err.details } }, err.status, err.headers);
  }
  console.error("unhandled error:", err);
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

/** Copies CORS headers onto a response (a new Response, since fetch responses may be immutable). */
function withCors(req: Request, res: Response): Response {
  const headers = new Headers(res.headers);
  corsHeaders(req).forEach((value, key) => headers.set(key, value));
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * Wraps a handler: OPTIONS is answered first (204, CORS headers only for allowed origins), then the
 * handler runs; a thrown ApiError becomes its status and error shape, anything else a 500.
 */
export function handle(fn: Handler): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: corsHeaders(req, true) });
    let res: Response;
    try {
      res = await fn(req);
    } catch (err) {
      res = errorResponse(err);
    }
    return withCors(req, res);
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
