// Normalizes `pg_dump` output so that two databases built differently (from the migrations, from
// the schema files) compare line by line: `node scripts/schema-normalize.mjs [--data] < dump.sql`.
//
// Schema mode (default): the dump is cut into its TOC entries (the `-- Name: ...; Type: ...;
// Schema: ...; Owner: ...` headers), which are sorted by type, schema, name and owner; the lines of
// ACL and DEFAULT ACL entries are sorted too (their order follows the order of the grants). Left
// out, because the platform emulation makes them and they differ between databases for reasons
// that are not the project's: the realtime.messages_YYYY_MM_DD partitions (created per day) and the
// pg_cron extension with its objects and grants (created only in the cron database,
// cron.database_name; pg_dump --exclude-schema=cron still prints the grants on them).
//
// Data mode (--data, for `pg_dump --data-only`): the rows of each table are sorted, and the values
// a build cannot reproduce are masked: generated uuids (the seed's fixed ids, 00000000-0000-4..., are
// kept), timestamps and the dates spelled out in notification texts, all of which depend on when
// and in which order the build ran.
import { readFileSync } from "node:fs";

const data = process.argv.includes("--data");
const text = readFileSync(0, "utf8");
// pg_dump 15.14+ fences its output with \restrict/\unrestrict and a random key; the dump's own
// comments carry versions. None of it is schema.
const lines = text
  .split("\n")
  .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- (PostgreSQL database dump|Dumped (from|by) )/.test(l));

const header = /^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$/;
const entries = [];
let current = null;
for (let i = 0; i < lines.length; i++) {
  const m = header.exec(lines[i]);
  if (m && lines[i - 1] === "--" && lines[i + 1] === "--") {
    current = { name: m[1], type: m[2], schema: m[3], owner: m[4], body: [] };
    entries.push(current);
    i++; // the closing "--"
    continue;
  }
  if (!current) continue; // the preamble: SET statements and the dump's own comments
  current.body.push(lines[i]);
}

const partition = /messages_\d{4}_\d{2}_\d{2}/;
const kept = [];
for (const e of entries) {
  // Each entry ends with the blank line and the "--" that open the next header.
  while (e.body.length && (e.body.at(-1) === "" || e.body.at(-1) === "--")) e.body.pop();
  while (e.body.length && e.body[0] === "") e.body.shift();
  if (partition.test(e.name)) continue;
  if (/(^| )pg_cron$/.test(e.name) || e.schema === "cron" || e.name === "SCHEMA cron") continue;
  if (e.type === "ACL" || e.type === "DEFAULT ACL") e.body.sort();
  if (data) {
    const maskUuid = /\b(?!00000000-0000-4000-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
    const maskTs = /\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:\d{2})?|Z)?/g;
    const maskSpelled = /\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}\b/g;
    const rows = e.body
      .filter((l) => l !== "\\." && !/^COPY /.test(l))
      .map((l) => l.replace(maskUuid, "<uuid>").replace(maskTs, "<timestamp>").replace(maskSpelled, "<local time>"));
    rows.sort();
    const copy = e.body.find((l) => /^COPY /.test(l));
    e.body = [copy ?? "", ...rows];
  }
  kept.push(e);
}

const key = (e) => [e.type, e.schema, e.name, e.owner, e.body.join("\n")].join("\u0000");
kept.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const out = [];
for (const e of kept) {
  out.push(`-- ${e.type} ${e.schema}.${e.name} (owner ${e.owner})`);
  out.push(...e.body, "");
}
process.stdout.write(out.join("\n"));
