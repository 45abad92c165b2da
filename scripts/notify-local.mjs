// Local notification delivery for `npm start` (issue 15):
//   node scripts/notify-local.mjs env <file>   writes the dev secrets once (VAPID key pair, dispatch and
//                                              unsubscribe secrets) as shell exports, mode 600; keeps an existing file
//   node scripts/notify-local.mjs loop         POSTs to dispatch-notifications every DISPATCH_INTERVAL_SECONDS (20),
//                                              the schedule pg_cron + pg_net use in production
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";

const [mode, file] = process.argv.slice(2);

if (mode === "env") {
  if (existsSync(file)) process.exit(0);
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  // VAPID keys as web-push expects them: the uncompressed point (0x04 || x || y) and d, base64url.
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x, "base64url"), Buffer.from(pub.y, "base64url")]);
  const lines = [
    "# Dev secrets of the local stack (npm start), created once. Never use them in production.",
    `export VAPID_PUBLIC_KEY=${point.toString("base64url")}`,
    `export VAPID_PRIVATE_KEY=${priv.d}`,
    `export DISPATCH_SECRET=${randomBytes(24).toString("hex")}`,
    `export UNSUBSCRIBE_SECRET=${randomBytes(32).toString("hex")}`,
  ];
  writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
} else if (mode === "loop") {
  const url = `http://127.0.0.1:${process.env.FUNCTIONS_PORT ?? 54321}/functions/v1/dispatch-notifications`;
  const every = Number(process.env.DISPATCH_INTERVAL_SECONDS ?? 20) * 1000;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const res = await fetch(url, { method: "POST", headers: { "X-Dispatch-Secret": process.env.DISPATCH_SECRET ?? "" } });
      const body = await res.text();
      if (!res.ok) console.error(`dispatch-notifications: ${res.status} ${body.slice(0, 300)}`);
      else if (JSON.parse(body).claimed > 0) console.error(`dispatch-notifications: ${body}`);
    } catch (err) {
      console.error(`dispatch-notifications: ${err.message}`);
    } finally {
      running = false;
    }
  };
  setTimeout(tick, 3000);
  setInterval(tick, every);
} else {
  console.error("usage: notify-local.mjs env <file> | loop");
  process.exit(2);
}
