// pg-safeupdate, statically. On the platform the API roles load safeupdate: inside a request an UPDATE
// or DELETE without a WHERE clause fails ("UPDATE requires a WHERE clause", 400), security definer
// functions included. Debian has no safeupdate, so the local database would let such a statement
// through and the suite could never see it. This test reads the body of every function, policy and
// trigger condition in the project's schemas and fails when one holds an UPDATE or DELETE without a
// top-level WHERE. (INSERT ... ON CONFLICT DO UPDATE is an insert: safeupdate does not check it.)
//
// Dynamic SQL (EXECUTE of a built string) cannot be read this way; the project has none that updates
// or deletes, and the check of string literals below fails if one appears, so a reader must look.
import postgres from "postgres";
import assert from "node:assert/strict";

const PROJECT_SCHEMAS = ["public", "private"];

type Token = { text: string; depth: number };

/** Words, punctuation and parentheses of SQL or PL/pgSQL source, without comments and literals. */
export function tokenize(source: string): { tokens: Token[]; literals: string[] } {
  const tokens: Token[] = [];
  const literals: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const rest = source.slice(i);
    if (rest.startsWith("--")) {
      const end = source.indexOf("\n", i);
      i = end < 0 ? source.length : end + 1;
    } else if (rest.startsWith("/*")) {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === "'") {
      let j = i + 1;
      for (; j < source.length; j++) {
        if (source[j] === "'" && source[j + 1] === "'") j++;
        else if (source[j] === "'") break;
      }
      literals.push(source.slice(i + 1, j).replaceAll("''", "'"));
      i = j + 1;
    } else if (c === '"') {
      const end = source.indexOf('"', i + 1);
      tokens.push({ text: "ident", depth });
      i = end < 0 ? source.length : end + 1;
    } else if (c === "$" && /^\$[A-Za-z_]*\$/.test(rest)) {
      const tag = rest.match(/^\$[A-Za-z_]*\$/)![0];
      const end = source.indexOf(tag, i + tag.length);
      literals.push(source.slice(i + tag.length, end < 0 ? source.length : end));
      i = end < 0 ? source.length : end + tag.length;
    } else if (c === "(") {
      tokens.push({ text: "(", depth });
      depth++;
      i++;
    } else if (c === ")") {
      depth--;
      tokens.push({ text: ")", depth });
      i++;
    } else if (c === ";") {
      tokens.push({ text: ";", depth });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = rest.match(/^[A-Za-z_][A-Za-z0-9_$]*/)![0];
      tokens.push({ text: word.toLowerCase(), depth });
      i += word.length;
    } else {
      if (!/\s/.test(c)) tokens.push({ text: c, depth });
      i++;
    }
  }
  return { tokens, literals };
}

// The token before a statement that starts with UPDATE or DELETE. Anything else before them is a
// clause of another statement: FOR [NO KEY] UPDATE, ON CONFLICT DO UPDATE, ON DELETE, BEFORE UPDATE ...
const STATEMENT_START = new Set([";", "(", "begin", "then", "else", "loop", "query", "as", "start"]);

/** The UPDATE and DELETE statements of a body that have no WHERE clause at their own level. */
export function unguardedWrites(source: string): string[] {
  const { tokens } = tokenize(source);
  const found: string[] = [];
  tokens.forEach((token, i) => {
    if (token.text !== "update" && token.text !== "delete") return;
    const before = i === 0 ? "start" : tokens[i - 1].text;
    if (!STATEMENT_START.has(before)) return;
    let hasWhere = false;
    let j = i + 1;
    for (; j < tokens.length; j++) {
      const t = tokens[j];
      if (t.depth < token.depth || (t.depth === token.depth && t.text === ";")) break;
      if (t.depth === token.depth && t.text === "where") hasWhere = true;
    }
    if (!hasWhere) found.push(tokens.slice(i, Math.min(j, i + 8)).map((t) => t.text).join(" "));
  });
  return found;
}

/**
 * String literals that hold an UPDATE or DELETE statement without a WHERE of its own (dynamic SQL: a
 * template such as 'delete from %s s where s.user_id = $1' carries its WHERE and passes).
 */
export function dynamicWrites(source: string): string[] {
  return tokenize(source).literals.filter((text) => /^\s*(update|delete\s+from)\s/i.test(text) && unguardedWrites(text).length > 0);
}

Deno.test("the checker finds what safeupdate refuses, and only that", () => {
  assert.deepEqual(unguardedWrites("begin update public.x set y = 1; end"), ["update public . x set y = 1"]);
  assert.deepEqual(unguardedWrites("update public.x set y = 1"), ["update public . x set y = 1"]);
  assert.equal(unguardedWrites("begin delete from public.x; return; end").length, 1);
  assert.equal(unguardedWrites("with gone as (delete from public.x returning id) select count(*) from gone").length, 1);
  assert.equal(unguardedWrites("if a then update public.x set y = (select 1 from t where t.a = 1); end if;").length, 1,
    "a WHERE inside a sub-select does not guard the update");
  assert.deepEqual(unguardedWrites("update public.x set y = 1 where id = $1"), []);
  assert.deepEqual(unguardedWrites("update public.x set y = 1 from public.z where z.id = x.id"), []);
  assert.deepEqual(unguardedWrites("delete from public.x where current of c"), []);
  assert.deepEqual(unguardedWrites("select 1 from public.x for update skip locked; select 2 for no key update"), []);
  assert.deepEqual(unguardedWrites("insert into public.x values (1) on conflict (id) do update set y = 2"), []);
  assert.deepEqual(unguardedWrites("-- update public.x set y = 1\n select 'delete from x'"), []);
  assert.deepEqual(dynamicWrites("execute 'update public.x set y = 1'"), ["update public.x set y = 1"]);
  assert.deepEqual(dynamicWrites("execute format('delete from %s s where s.user_id = $1', t) using u"), []);
  assert.deepEqual(dynamicWrites("execute format('delete from %s', t)"), ["delete from %s"]);
});

/** Every body in the project's schemas that safeupdate would refuse, as "<object>: <statement>". */
async function problemsIn(sql: postgres.Sql | postgres.TransactionSql): Promise<string[]> {
  const bodies = await sql<{ what: string; body: string }[]>`
    select format('function %s', p.oid::regprocedure) as what, p.prosrc as body
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = any(${PROJECT_SCHEMAS})
      and p.prolang in (select oid from pg_language where lanname in ('sql', 'plpgsql'))
    union all
    select format('policy %s on %s.%s', policyname, schemaname, tablename), concat_ws(' ; ', qual, with_check)
    from pg_policies
    where schemaname = any(${PROJECT_SCHEMAS}) or (schemaname, tablename) in (('realtime', 'messages'), ('storage', 'objects'))
    union all
    select format('trigger %s', t.tgname), regexp_replace(pg_get_triggerdef(t.oid), '^.*? WHEN ', '')
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where not t.tgisinternal and n.nspname = any(${PROJECT_SCHEMAS}) and pg_get_triggerdef(t.oid) ~ ' WHEN '`;
  assert.ok(bodies.length > 100, `expected the project's functions, found ${bodies.length}`);
  return bodies.flatMap(({ what, body }) => [
    ...unguardedWrites(body).map((s) => `${what}: ${s}`),
    ...dynamicWrites(body).map((s) => `${what}: dynamic ${s}`),
  ]);
}

const db = () => postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 1, onnotice: () => {} });

Deno.test({
  name: "no function, policy or trigger condition holds an UPDATE or DELETE without WHERE",
  ignore: !Deno.env.get("SUPABASE_DB_URL"),
  async fn() {
    const sql = db();
    try {
      const problems = await problemsIn(sql);
      assert.deepEqual(problems, [], `safeupdate would refuse these in a request:\n${problems.join("\n")}`);
    } finally {
      await sql.end();
    }
  },
});

Deno.test({
  name: "a planted update without WHERE in a function fails the check",
  ignore: !Deno.env.get("SUPABASE_DB_URL"),
  async fn() {
    const sql = db();
    const rollback = new Error("rollback");
    try {
      await sql.begin(async (tx) => {
        await tx`create function private.planted_unguarded_update() returns void language plpgsql as $$
          begin update public.profiles set bio = null; end $$`;
        assert.deepEqual(await problemsIn(tx),
          ["function private.planted_unguarded_update(): update public . profiles set bio = null"]);
        throw rollback;
      }).catch((e) => { if (e !== rollback) throw e; });
    } finally {
      await sql.end();
    }
  },
});
