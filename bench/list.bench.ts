/**
 * `npm run bench -- list [images]` (default 1,000,000; BENCH_LIST_IMAGES also works): seeds image records with
 * insertMany, then reports for a 25-image page — default sort, a name filter, a tag filter and an `in:` status
 * filter — the p50/p99 latency through the API next to a bare MongoDB `find` of 25 documents with the same filter
 * and sort (the database's own cost), pages/s at 16 concurrent clients, creates/s at 16 concurrent clients, and
 * the server's query plan of each page (FerretDB: which of filter, sort and limit it pushed down to its backend, and
 * whether PostgreSQL answers with an index or a sequential scan; MongoDB: the winning plan's stages and documents
 * examined). `GLIMPSE_BENCH_DB=ferretdb-pg` runs it on FerretDB's PostgreSQL backend (see bench/support/bench-stack.ts);
 * BENCH_LIST_ROUNDS, BENCH_LIST_SECONDS, BENCH_LIST_BATCH (insertMany batch, default 10000) and BENCH_LIST_CASES tune it.
 */
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { type ImageListQuery } from '@glimpse/domain';
import { ImageListing, listFilter, propPair, sortSpec } from '@glimpse/persistence';
import { parseListQuery } from '../apps/api/src/images/listing/list-query.js';
import { imageRecord, insertImageRecords } from '../test/support/image-records.js';
import { startBenchStack } from './support/bench-stack.js';

const PROJECT = 'bench-project';
const headers = { 'x-project-id': PROJECT, 'x-roles': 'member', accept: 'application/json', 'content-type': 'application/json' };
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1).padStart(8)} ms`;

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function throughput(clients: number, seconds: number, fn: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  }));
  // Over the time actually taken: requests slower than the window would otherwise inflate the rate.
  return done / ((performance.now() - start) / 1000);
}

type Json = Record<string, unknown>;

/** Every object in a plan tree that has `key` (PostgreSQL's "Node Type", MongoDB's "stage"), depth first. */
function nodes(plan: unknown, key: string, out: Json[] = []): Json[] {
  if (Array.isArray(plan)) for (const p of plan) nodes(p, key, out);
  else if (plan && typeof plan === 'object') {
    if (key in plan) out.push(plan as Json);
    for (const v of Object.values(plan)) nodes(v, key, out);
  }
  return out;
}

/** One line on how the server answers a page: what was pushed down and how the rows are found. */
export function describePlan(plan: Json): string {
  if ('filterPushdown' in plan) {
    const pg = nodes(plan.queryPlanner, 'Node Type').map((n) => {
      const on = n['Index Name'] ? ` using ${String(n['Index Name'])}` : n['Relation Name'] ? ` on ${String(n['Relation Name'])}` : '';
      return `${String(n['Node Type'])}${on}${n.Filter ? ` [filter ${String(n.Filter)}]` : ''}${n['Index Cond'] ? ` [cond ${String(n['Index Cond'])}]` : ''}`;
    });
    // The SQLite backend's plan is EXPLAIN QUERY PLAN's rows, as "id=… parent=… notused=… detail=…" strings.
    const rows = (plan.queryPlanner as Json | undefined)?.Plan;
    const sqlite = Array.isArray(rows) ? rows.map((row) => String(row).replace(/^.*?detail=/, '')) : [];
    const steps = pg.length ? pg : sqlite;
    const scan = steps.some((n) => /Index|Bitmap|USING .*INDEX/i.test(n)) ? 'index' : 'SCAN';
    return `${scan}: filterPushdown=${String(plan.filterPushdown)} sortPushdown=${String(plan.sortPushdown)} limitPushdown=${String(plan.limitPushdown)}; ${pg.length ? 'PostgreSQL' : 'SQLite'}: ${steps.join(' > ')}`;
  }
  const stages = nodes((plan.queryPlanner as Json | undefined)?.winningPlan, 'stage').map((n) => `${String(n.stage)}${n.indexName ? `(${String(n.indexName)})` : ''}`);
  const stats = plan.executionStats as Json | undefined;
  const scan = stages.some((st) => st.startsWith('COLLSCAN')) ? 'SCAN' : 'index';
  return `${scan}: ${stages.join(' > ')}; examined ${String(stats?.totalKeysExamined)} keys, ${String(stats?.totalDocsExamined)} docs for ${String(stats?.nReturned)}`;
}

export default async function listBench(args: string[]): Promise<void> {
  const total = Number(args[0] ?? process.env.BENCH_LIST_IMAGES ?? 1_000_000);
  const stack = await startBenchStack({}, { worker: false });
  try {
    const images = stack.api.get<Connection>(getConnectionToken()).collection('images');
    console.log(`database: ${stack.database}`);
    const t = performance.now();
    const base = Date.now() - total * 1000;
    const size = Number(process.env.BENCH_LIST_BATCH ?? 10_000);
    await insertImageRecords(images, total, (j) => {
      const props = { os_distro: j % 3 ? 'debian' : 'ubuntu' };
      return imageRecord({
        name: `image-${j}`, status: j % 10 ? 'active' : 'queued', visibility: j % 4 ? 'private' : 'public',
        owner: j % 2 ? PROJECT : `p-${j % 97}`, size: j % 5 ? j * 1024 : null,
        createdAt: new Date(base + j * 1000), updatedAt: new Date(base + j * 1000),
        tags: j % 50 ? ['common'] : ['common', 'rare'], props: Object.entries(props).map(([k, v]) => ({ k, v })),
        propPairs: Object.entries(props).map(([k, v]) => propPair(k, v)),
      });
    }, size);
    const seeded = (performance.now() - t) / 1000;
    console.log(`seeded ${total} images in ${seeded.toFixed(1)} s (${(total / seeded).toFixed(0)}/s, insertMany of ${size})`);

    const listing = stack.api.get(ImageListing);
    const only = process.env.BENCH_LIST_CASES?.split(',').filter(Boolean); // e.g. "name,tag": those pages only
    const cases = ([
      ['default sort', ''],
      ['name filter', `?name=image-${Math.floor(total / 2)}`],
      ['tag filter', '?tag=rare'],
      ['in: status filter', '?status=in:active,queued'],
    ] as [string, string][]).filter(([label]) => !only || only.some((word) => label.includes(word)));
    console.log('\nquery plan of each page:');
    for (const [label, query] of cases) {
      const plan = (await listing.explain(parseListQuery(Object.fromEntries(new URLSearchParams(query)), 1000), { projectId: PROJECT, isAdmin: false })) as Json;
      console.log(`  ${label.padEnd(20)}${describePlan(plan)}`);
    }
    const rounds = Number(process.env.BENCH_LIST_ROUNDS ?? 20);
    if (rounds <= 0) return; // BENCH_LIST_ROUNDS=0: seeding and plans only
    console.log(`\n25-image page, ${rounds} requests each     p50 API     p99 API   p50 bare find   p99 bare find`);
    for (const [label, query] of cases) {
      const q: ImageListQuery = parseListQuery(Object.fromEntries(new URLSearchParams(query)), 1000);
      const memberIds: string[] = [];
      const filter = listFilter(q, { projectId: PROJECT, isAdmin: false, memberImageIds: memberIds });
      const bare = await timed(rounds, () => images.find(filter).sort(sortSpec(q)).limit(25).toArray());
      const api = await timed(rounds, async () => {
        const res = await fetch(`${stack.url}/v2/images${query}`, { headers });
        if (res.status !== 200) throw new Error(`${query}: ${res.status}`);
        await res.arrayBuffer();
      });
      console.log(`  ${label.padEnd(36)}${ms(pct(api, 50))}${ms(pct(api, 99))}${ms(pct(bare, 50)).padStart(16)}${ms(pct(bare, 99)).padStart(16)}`);
    }
    const seconds = Number(process.env.BENCH_LIST_SECONDS ?? 10);
    if (seconds <= 0) return; // BENCH_LIST_SECONDS=0: latency and plans only (pages that scan a big collection take minutes at 16 clients)
    const pages = await throughput(16, seconds, async () => (await fetch(`${stack.url}/v2/images`, { headers })).arrayBuffer());
    console.log(`\npages/s, 16 clients, default page:  ${pages.toFixed(pages < 10 ? 2 : 0)}   (target 650; Glance 25.1: 65 on 10,000 images)`);
    const creates = await throughput(16, seconds, async () =>
      (await fetch(`${stack.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'c', disk_format: 'raw', container_format: 'bare' }) })).arrayBuffer(),
    );
    console.log(`creates/s, 16 clients:              ${creates.toFixed(0)}   (target 250; Glance 25.1: 51)`);
  } finally {
    await stack.close();
  }
}
