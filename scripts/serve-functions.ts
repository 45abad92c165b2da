/**
 * Local router for the Edge Functions (what `supabase functions serve` does with Docker):
 * `/functions/v1/<name>/...` is passed to supabase/functions/<name>/handler.ts with the path
 * rewritten to `/<name>/...`, as the edge runtime gives it to a function.
 *
 *   deno run --allow-all --config supabase/functions/deno.json scripts/serve-functions.ts
 *
 * Without `--config`, `deno run` looks for a config next to this script (and finds only the root
 * package.json), so the functions' import map would be missing: the script then runs itself again
 * with `--config supabase/functions/deno.json` and forwards signals to that child.
 * Listens on 127.0.0.1:${FUNCTIONS_PORT:-54321}; SIGINT/SIGTERM shut it down gracefully.
 * Unlike the hosted gateway it does not check JWTs itself (verify_jwt): the functions do.
 */
// Only modules without bare imports are imported statically (see above); db.ts is loaded lazily.
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { handle, type Handler } from "../supabase/functions/_shared/http.ts";

const FUNCTIONS_DIR = new URL("../supabase/functions/", import.meta.url);
const PREFIX = "/functions/v1/";

/** Every `supabase/functions/<name>/handler.ts` (skipping `_shared`, `tests` and dot folders). */
export async function loadHandlers(): Promise<Map<string, Handler>> {
  const handlers = new Map<string, Handler>();
  const names: string[] = [];
  for await (const entry of Deno.readDir(FUNCTIONS_DIR)) {
    if (!entry.isDirectory || /^[._]/.test(entry.name) || entry.name === "tests") continue;
    try {
      await Deno.stat(new URL(`${entry.name}/handler.ts`, FUNCTIONS_DIR));
      names.push(entry.name);
    } catch {
      // a folder without handler.ts is not a function
    }
  }
  for (const name of names.sort()) {
    const mod = await import(new URL(`${name}/handler.ts`, FUNCTIONS_DIR).href);
    if (typeof mod.handler !== "function") throw new Error(`${name}/handler.ts does not export a handler`);
    handlers.set(name, mod.handler as Handler);
  }
  return handlers;
}

/** The router: picks the function by the first path segment after /functions/v1/. */
export function createRouter(handlers: Map<string, Handler>): Handler {
  // An unknown function is answered like a function's error: same shape, headers and log line.
  const notFound = handle((req) => {
    throw new ApiError("not_found", `No function at ${new URL(req.url).pathname}`);
  });
  return (req) => {
    const url = new URL(req.url);
    const rest = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : undefined;
    const name = rest?.split("/")[0];
    const handler = name ? handlers.get(name) : undefined;
    if (!handler) return notFound(req);
    url.pathname = `/${rest}`;
    // A fresh init (not `new Request(url, req)`), so the original's abort signal is left alone.
    return handler(new Request(url, { method: req.method, headers: req.headers, body: req.body }));
  };
}

export interface FunctionsServer {
  port: number;
  names: string[];
  shutdown: () => Promise<void>;
}

/** Starts the router on 127.0.0.1:`port` (0 = any free port). */
export async function startFunctionsServer(port = 0, hostname = "127.0.0.1"): Promise<FunctionsServer> {
  const handlers = await loadHandlers();
  const router = createRouter(handlers);
  let resolvePort: (port: number) => void;
  const listening = new Promise<number>((resolve) => (resolvePort = resolve));
  const server = Deno.serve({ port, hostname, onListen: (addr) => resolvePort(addr.port) }, router);
  return {
    port: await listening,
    names: [...handlers.keys()],
    shutdown: async () => {
      await server.shutdown();
      const { closeDb } = await import("../supabase/functions/_shared/db.ts");
      await closeDb();
    },
  };
}

/** Whether the functions' import map is in effect (it maps their bare npm imports). */
function importMapLoaded(): boolean {
  try {
    import.meta.resolve("postgres");
    return true;
  } catch {
    return false;
  }
}

/** Runs this script again with the functions' deno.json; resolves with the child's exit code. */
async function rerunWithConfig(): Promise<number> {
  const config = new URL("deno.json", FUNCTIONS_DIR);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", config.pathname, new URL(import.meta.url).pathname],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    });
  }
  return (await child.status).code;
}

async function main(): Promise<void> {
  if (!importMapLoaded()) Deno.exit(await rerunWithConfig());
  // Local browser apps (supabase start's site_url) may call the functions unless told otherwise.
  if (Deno.env.get("ALLOWED_ORIGINS") === undefined) {
    Deno.env.set("ALLOWED_ORIGINS", "http://127.0.0.1:3000,http://localhost:3000");
  }
  const server = await startFunctionsServer(Number(Deno.env.get("FUNCTIONS_PORT") || 54321));
  console.error(`functions on http://127.0.0.1:${server.port}/functions/v1/{${server.names.join(",")}}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.error("functions: shutting down");
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
