// Prints an HS256 access token for the given claims (JSON on argv[2]), signed with
// SUPABASE_JWT_SECRET: the kind of token Supabase Auth issues locally. Used by `npm start`.
import { createHmac } from "node:crypto";

const secret = process.env.SUPABASE_JWT_SECRET;
if (!secret) throw new Error("SUPABASE_JWT_SECRET is not set");
const now = Math.floor(Date.now() / 1000);
const claims = { iat: now, exp: now + 12 * 3600, ...JSON.parse(process.argv[2] ?? "{}") };
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
process.stdout.write(`${body}.${createHmac("sha256", secret).update(body).digest("base64url")}\n`);
