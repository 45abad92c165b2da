/**
 * Bearer JWT verification with jose: HS256 with `SUPABASE_JWT_SECRET` (fallback `JWT_SECRET`), or the
 * project's asymmetric keys from `SUPABASE_JWKS_URL`. Any failure is a 401 `not_authenticated`.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import { ApiError } from "./errors.ts";

/** The database roles a token may act as (the same ones PostgREST switches to). */
export const ROLES = ["anon", "authenticated", "service_role"] as const;
export type Role = typeof ROLES[number];

/** Verified claims of a Supabase access token. */
export interface Claims extends JWTPayload {
  role: Role;
  sub?: string;
  email?: string;
  [claim: string]: unknown;
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** The token of an `Authorization: Bearer <token>` header; 401 when absent. */
export function bearerToken(req: Request): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("Authorization") ?? "");
  if (!match) throw ApiError.notAuthenticated("Missing bearer token");
  return match[1];
}

let jwks: { url: string; keys: ReturnType<typeof createRemoteJWKSet> } | undefined;

function remoteKeys(url: string): ReturnType<typeof createRemoteJWKSet> {
  if (jwks?.url !== url) jwks = { url, keys: createRemoteJWKSet(new URL(url)) };
  return jwks.keys;
}

function hmacSecret(): Uint8Array | undefined {
  const secret = Deno.env.get("SUPABASE_JWT_SECRET") || Deno.env.get("JWT_SECRET");
  return secret ? new TextEncoder().encode(secret) : undefined;
}

/**
 * Verifies a token and returns its claims. HS256 tokens are checked with the shared secret, other
 * algorithms with the JWKS (when `SUPABASE_JWKS_URL` is set); each path accepts only its own
 * algorithms, so there is no algorithm confusion. `exp` is required.
 */
export async function verifyJwt(token: string): Promise<Claims> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw ApiError.notAuthenticated("Invalid token");
  }
  let payload: JWTPayload;
  try {
    const jwksUrl = Deno.env.get("SUPABASE_JWKS_URL");
    const secret = hmacSecret();
    const options = { requiredClaims: ["exp"], clockTolerance: 5 };
    if (alg === "HS256" && secret) {
      ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ["HS256"] }));
    } else if (alg !== "HS256" && jwksUrl) {
      ({ payload } = await jwtVerify(token, remoteKeys(jwksUrl), { ...options, algorithms: ["ES256", "RS256", "EdDSA"] }));
    } else if (!secret && !jwksUrl) {
      throw new Error("neither SUPABASE_JWT_SECRET nor SUPABASE_JWKS_URL is set");
    } else {
      throw ApiError.notAuthenticated("Unsupported token algorithm");
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof errors.JWTExpired) throw ApiError.notAuthenticated("Token expired");
    if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) {
      throw ApiError.notAuthenticated("Invalid token");
    }
    // JWKS unreachable or misconfiguration: a server fault, answered as a 500.
    throw err;
  }
  if (!isRole(payload.role)) throw ApiError.notAuthenticated("Token role is not allowed");
  return payload as Claims;
}

/** Verifies the request's bearer token and returns its claims (401 otherwise). */
export function authenticate(req: Request): Promise<Claims> {
  return verifyJwt(bearerToken(req));
}
