/**
 * API errors: one class, one code -> HTTP status table (API.md, "Errors"), the same table as
 * `private.error_status()` in SQL.
 */

/** HTTP status of each API error code. Unknown codes are 500. */
export const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  invalid_input: 400,
  not_authenticated: 401,
  forbidden: 403,
  banned: 403,
  chat_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  already_booked: 409,
  already_voted: 409,
  already_upvoted: 409,
  already_responded: 409,
  reminder_exists: 409,
  invalid_transition: 409,
  poll_not_open: 409,
  session_full: 409,
  conflict: 409,
  rate_limited: 429,
  slow_mode: 429,
  internal_error: 500,
  service_unavailable: 503,
});

/** The HTTP status for an API error code (500 when the code is unknown). */
export function statusForCode(code: string): number {
  return Object.hasOwn(ERROR_STATUS, code) ? ERROR_STATUS[code] : 500;
}

/** An error meant for the client: answered as `{ error: { code, message, details } }` with `status`. */
export class ApiError extends Error {
  readonly code: string;
  readonly details: unknown;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    details: unknown = null,
    status: number = statusForCode(code),
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.details = details ?? null;
    this.status = status;
    this.headers = headers;
  }

  /** 429 with `Retry-After` in whole seconds (at least 1). */
  static tooManyRequests(code: "rate_limited" | "slow_mode", message: string, retryAfterSeconds: number, details: unknown = null): ApiError {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new ApiError(code, message, details, 429, { "Retry-After": String(seconds) });
  }

  /** 401 for a missing, invalid or expired bearer token. */
  static notAuthenticated(message = "Missing or invalid access token"): ApiError {
    return new ApiError("not_authenticated", message, null, 401, { "WWW-Authenticate": "Bearer" });
  }
}
