/**
 * Resources library benches (issue 17), over 100,000 resources (nl, en, pt and some de, every
 * visibility, 95% published) written by SQL in one statement per batch:
 * 1. search_resources as a member (PostgREST-like transaction), queries rotating through common topic
 *    words, rarer words, two-word queries, a typo and a filtered browse, vs the latest-50 indexed read
 *    of the library (published resources newest first, as the same member under RLS). Target: 0.2x
 *    or more. A query of only the most common word (it matches about 5% of the library, every match
 *    ranked) is reported apart, informational.
 * 2. track_resource_view by 2,000 members on distinct resources (each call counts: the dedupe window
 *    never hides one), vs the plain indexed insert, measured in slices between slices of the insert
 *    baseline (b.interleaved). Target: 0.3x or more.
 */
import type { Bench } from "./lib.ts";

const COMMON = {
  en: ["anxiety", "sleep", "stress", "focus", "grief", "breathing", "habits", "motivation", "burnout", "resilience",
    "mindfulness", "coaching", "closing", "discovery", "pricing", "negotiation", "sensors", "irrigation", "drones", "soil"],
  nl: ["angst", "slapen", "stress", "focus", "rouw", "ademhaling", "gewoontes", "motivatie", "burn-out", "veerkracht",
    "aandacht", "coaching", "afsluiten", "vragen", "prijs", "onderhandelen", "sensoren", "irrigatie", "drones", "bodem"],
  pt: ["ansiedade", "sono", "estresse", "foco", "luto", "respiração", "hábitos", "motivação", "esgotamento", "resiliência",
    "atenção", "coaching", "fechamento", "descoberta", "preço", "negociação", "sensores", "irrigação", "drones", "solo"],
};

export default async function (b: Bench) {
  const clients = b.baseline.clients;
  const [author] = await b.createUsers(1, "bench-library-author");
  await b.sql`update public.user_roles set role = 'coach' where user_id = ${author}`;
  const members = await b.createUsers(2000, "bench-reader", { skipSignupTrigger: true });
  b.onCleanup(async () => {
    await b.sql`delete from public.resources where author_id = ${author}`;
  });

  // 100,000 resources: a title of four words (two common topic words of its language, two of 5,000
  // rarer ones), a description, two tags, a short body; in batches (the generated search columns
  // cost a few milliseconds per row).
  const started = performance.now();
  for (let batch = 0; batch < 10; batch++) {
    await b.sql`
      with words as (select ${COMMON.en}::text[] as en, ${COMMON.nl}::text[] as nl, ${COMMON.pt}::text[] as pt)
      insert into public.resources (title, description, kind, language, tags, body, external_url, visibility, status,
                                    published_at, author_id)
      select initcap(w1) || ' ' || w2 || ' ' || r1 || ' ' || r2,
             'About ' || w2 || ' and ' || r3 || '.',
             case when kind = 'article' then 'article' else kind end, lang, array[w1, w2],
             case when kind = 'article' then 'Notes on ' || w1 || ', ' || r1 || ' and ' || r3 || '. ' || repeat('text ', 40) end,
             case when kind <> 'article' then 'https://files.example.com/' || g end,
             (array['members', 'members', 'members', 'members', 'members', 'members', 'public', 'public', 'public', 'public',
                    'public', 'attendees', 'attendees', 'private'])[1 + g % 14],
             case when g % 20 = 0 then 'draft' else 'published' end,
             case when g % 20 = 0 then null else now() - (g % 1000) * interval '1 hour' - g * interval '1 second' end,
             ${author}
      from (
        select g, lang,
               (case split_part(lang, '-', 1) when 'nl' then w.nl when 'pt' then w.pt else w.en end)[1 + g % 20] as w1,
               (case split_part(lang, '-', 1) when 'nl' then w.nl when 'pt' then w.pt else w.en end)[1 + (g / 20) % 20] as w2,
               'term' || ((g * 7919) % 5000) as r1, 'term' || ((g * 104729) % 5000) as r2, 'term' || ((g * 31) % 5000) as r3,
               (array['article', 'pdf', 'audio', 'video', 'link'])[1 + g % 5] as kind
        from generate_series(${batch * 10000 + 1}::bigint, ${(batch + 1) * 10000}::bigint) g
        cross join words w
        cross join lateral (select (array['en', 'en', 'nl', 'nl', 'pt', 'pt-BR', 'de'])[1 + g % 7] as lang) l
      ) x`;
  }
  await b.sql`analyze public.resources`;
  console.log(`  100,000 resources written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const ids = (await b.sql`select id from public.resources where author_id = ${author} and status = 'published'
                             and visibility in ('public', 'members') order by id`).map((r) => r.id as string);

  const reader = members[0];
  const latest50 = await b.throughput("latest 50 published resources as a member (RLS, published_at index)", {
    clients,
    seconds: 4,
    op: (sql) => b.asUser(sql, reader, (tx) => tx`
      select id, title, kind, language, published_at from public.resources
      where status = 'published' and hidden_at is null order by published_at desc, id limit 50`),
  });

  const queries = [
    ["term1234", null, null], ["term42", null, null], ["anxiety term99", null, null], ["slapen", null, "nl"],
    ["respiração", null, null], ["term777 term778", null, null], ["mindfulnes", null, null], [null, ["pdf", "audio"], "en"],
    ["\"breathing term3\"", null, null], ["negociação", ["article"], null], ["term4999", null, null], ["veerkracht", null, null],
  ] as const;
  let next = 0;
  const search = await b.throughput("search_resources as a member (mixed queries)", {
    clients,
    seconds: 6,
    op: (sql) => {
      const [query, kinds, language] = queries[next++ % queries.length];
      return b.asUser(sql, reader, (tx) =>
        tx`select id, rank from public.search_resources(${query}, ${kinds as string[] | null}, null, ${language}, 20, 0)`);
    },
  });
  b.report("search_resources over 100,000 resources", search.opsPerSec, "latest-50 indexed read", latest50.opsPerSec, { min: 0.2 });
  const common = await b.throughput("search_resources, the most common word (5% of the library matches)", {
    clients,
    seconds: 4,
    op: (sql) => b.asUser(sql, reader, (tx) => tx`select id from public.search_resources('stress', null, null, null, 20, 0)`),
  });
  console.log(`search_resources('stress'): ${common.opsPerSec.toFixed(0)} ops/s = ` +
    `${(common.opsPerSec / latest50.opsPerSec).toFixed(2)}x of the latest-50 read (informational)`);

  let k = 0;
  const track = await b.interleaved("track_resource_view, 2,000 members, distinct resources", "insert", {
    clients,
    seconds: 3,
    op: (sql) => {
      const i = k++;
      const user = members[i % members.length];
      const resource = ids[(i * 7919 + Math.floor(i / members.length)) % ids.length];
      return b.rpcAsUser(sql, user, `select public.track_resource_view(${b.literal(resource)})`);
    },
  });
  b.report("track_resource_view", track.opsPerSec, "insert (interleaved)", track.baseline, { min: 0.3 });
  b.report("resources bench unexpected errors", search.errors + latest50.errors + common.errors + track.errors, "zero", 1,
    { max: 0 }, "errors");
}
