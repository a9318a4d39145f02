/**
 * `npm run bench -- list [images]` (default 1,000,000; BENCH_LIST_IMAGES also works): seeds image records with
 * insertMany (1 % the member project's own, half public), then reports for a 25-image page — the default page as a
 * member and as an admin, a page after a marker, a name filter, a tag filter and an `in:` status filter — the
 * p50/p99 latency through the API next to the bare driver `find` of the query that reads the page's rows (on
 * FerretDB the creation-bucket query of the page's first image, see image-listing.ts), GET and PATCH of one image
 * next to the bare findOne/updateOne, pages/s and creates/s at 16 concurrent clients (in a worker thread, as clients
 * elsewhere would be, then in the API's own event loop: support/load-clients.ts), and
 * the server's query plan of each page (FerretDB: which of filter, sort and limit it pushed down to its backend, and
 * whether PostgreSQL answers with an index or a sequential scan; MongoDB: the winning plan's stages and documents
 * examined). `GLIMPSE_BENCH_DB=ferretdb-pg` runs it on FerretDB's PostgreSQL backend (see bench/support/bench-stack.ts);
 * BENCH_LIST_ROUNDS, BENCH_LIST_SECONDS, BENCH_LIST_BATCH (insertMany batch, default 10000) and BENCH_LIST_CASES tune it.
 * GLIMPSE_BENCH_CONSOLE=compare adds a second API with GLIMPSE_CONSOLE=false on the same database and prints each
 * page's p50/p99 with the console on and off, from interleaved requests (support/console-compare.ts).
 */
import { loadavg } from 'node:os';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { type ImageListQuery } from '@glimpse/domain';
import { afterMarker, createdBucketsOf, DatabaseServer, ferretdbTables, ident, ImageListing, ImageRepository, listFilter, listFilterBranches, MinuteCensus, propPair, SELECTIVE_KEYS, sortSpec } from '@glimpse/persistence';
import { parseListQuery } from '../apps/api/src/images/listing/list-query.js';
import { imageRecord, insertImageRecords } from '../test/support/image-records.js';
import { type BenchStack, startBenchStack } from './support/bench-stack.js';
import { comparesConsole, consolePair } from './support/console-compare.js';
import { interleave } from './support/data-bench.js';
import { cpuSecondsOf, ownCpuSeconds } from './support/process-cpu.js';
import { throughputFrom } from './support/load-clients.js';

const PROJECT = 'bench-project';
const headers = { 'x-project-id': PROJECT, 'x-roles': 'member', accept: 'application/json', 'content-type': 'application/json' };
const adminHeaders = { ...headers, 'x-roles': 'admin' };
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

/** VACUUM (ANALYZE) of the images table under FerretDB on PostgreSQL; what was done, for the output. */
async function analyzeImages(postgresUrl: string, schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const tables = await ferretdbTables(client, schema, ['images']);
    if (typeof tables === 'string' || !tables[0]) return `no VACUUM: ${typeof tables === 'string' ? tables : 'no images table'}`;
    const t0 = performance.now();
    await client.query(`VACUUM (ANALYZE) ${ident(schema)}.${ident(tables[0].table)}`);
    return `VACUUM (ANALYZE) of the images table (as autovacuum would, later): ${(performance.now() - t0).toFixed(0)} ms`;
  } finally {
    await client.end();
  }
}

export default async function listBench(args: string[]): Promise<void> {
  const total = Number(args[0] ?? process.env.BENCH_LIST_IMAGES ?? 1_000_000);
  // The creates below all land queued in one project: no queued-image limit, or they would hit it (413) mid-run.
  const stack = await startBenchStack({ GLIMPSE_QUEUED_IMAGES_PER_PROJECT: '-1' }, { worker: false });
  const pair = comparesConsole() ? await consolePair(stack, { GLIMPSE_QUEUED_IMAGES_PER_PROJECT: '-1' }, { worker: false }) : null;
  try {
    const images = stack.api.get<Connection>(getConnectionToken()).db!.collection<{ _id: string } & Record<string, unknown>>('images');
    console.log(`database: ${stack.database}`);
    const t = performance.now();
    const base = Date.now() - total * 1000;
    const size = Number(process.env.BENCH_LIST_BATCH ?? 10_000);
    await insertImageRecords(images, total, (j) => {
      const props = { os_distro: j % 3 ? 'debian' : 'ubuntu' };
      return imageRecord({
        // The member's view the issue names: 1 % its own, half of all images public.
        name: `image-${j}`, status: j % 10 ? 'active' : 'queued', visibility: j % 2 ? 'private' : 'public',
        owner: j % 100 === 7 ? PROJECT : `p-${j % 97}`, size: j % 5 ? j * 1024 : null,
        createdAt: new Date(base + j * 1000), updatedAt: new Date(base + j * 1000),
        tags: j % 50 ? ['common'] : ['common', 'rare'], props: Object.entries(props).map(([k, v]) => ({ k, v })),
        propPairs: Object.entries(props).map(([k, v]) => propPair(k, v)),
      });
    }, size);
    const seeded = (performance.now() - t) / 1000;
    console.log(`seeded ${total} images in ${seeded.toFixed(1)} s (${(total / seeded).toFixed(0)}/s, insertMany of ${size})`);
    // A bulk load outruns autovacuum: until it analyses the table, PostgreSQL plans a bucket query with every GIN
    // index of its equalities ANDed, reading e.g. the whole posting list of visibility "public" (6.5 ms at 100,000
    // rows instead of 0.1 ms); and its vacuum of the new rows then runs beside the requests (at 1,000,000: ~37 ms
    // of PostgreSQL CPU per page at 16 clients, against ~3). A catalogue that grows by requests is kept so as it
    // grows; this one is vacuumed and analysed now.
    if (stack.config.mongo.postgresUrl) console.log(`  ${await analyzeImages(stack.config.mongo.postgresUrl, images.dbName)}`);

    const server = stack.api.get(DatabaseServer);
    const walk = server.equalityPushdownOnly;
    const only = process.env.BENCH_LIST_CASES?.split(',').filter(Boolean); // e.g. "name,tag": those pages only
    const member = { projectId: PROJECT, isAdmin: false };
    const admin = { projectId: PROJECT, isAdmin: true };
    const newest = await fetch(`${stack.url}/v2/images?limit=25`, { headers });
    const markerId = ((await newest.json()) as { images: { id: string }[] }).images.at(-1)!.id;
    const cases = ([
      ['default page, member', '', member],
      ['default page, admin', '', admin],
      ['page after a marker', `?marker=${markerId}`, member],
      ['name filter', `?name=image-${Math.floor(total / 2)}`, member],
      ['tag filter', '?tag=rare', member],
      ['in: status filter', '?status=in:active,queued', member],
    ] as [string, string, typeof member][]).filter(([label]) => !only || only.some((word) => label.includes(word)));
    const scopeOf = async (caller: typeof member) => ({ ...caller, memberImageIds: [] as string[] });
    /**
     * The reference of a page: the bare driver's `find` of the query that reads the page's rows. On FerretDB a
     * newest-first page is a walk over creation buckets, so it is the bucket query of the page's first image (the
     * walk's main query); elsewhere the page's one query.
     */
    const reference = async (query: string, caller: typeof member) => {
      const q: ImageListQuery = parseListQuery(Object.fromEntries(new URLSearchParams(query)), 1000);
      const filter = listFilter(q, await scopeOf(caller));
      if (q.marker) (filter.$and as object[]).push(afterMarker(q, (await stack.api.get(ImageRepository).findById(q.marker))!));
      const res = await fetch(`${stack.url}/v2/images${query}${query ? '&' : '?'}limit=1`, { headers: caller.isAdmin ? adminHeaders : headers });
      const first = ((await res.json()) as { images: { created_at: string }[] }).images[0];
      // A selective equality (a name) is one query in the API too (ImageListing), so its reference is the plain find.
      const bucketed = walk && q.sort[0]?.key === 'created_at' && q.sort[0].dir === 'desc' && !SELECTIVE_KEYS.some((k) => k in filter) && first;
      const bucket = bucketed ? { createdMinute: createdBucketsOf(new Date(first.created_at)).createdMinute } : {};
      // The walk reads a scope of plain branches (a member's public and own) one query per branch (listFilterBranches).
      const branches = bucketed ? listFilterBranches(q, await scopeOf(caller)) : [];
      return {
        filter: { ...filter, ...bucket }, sort: sortSpec(q), label: bucketed ? 'bucket' : 'plain',
        branches: branches.length > 1 ? branches.map((b) => ({ ...b, ...bucket })) : [],
      };
    };
    console.log(`\nquery plan of each page's reference query (${walk ? 'FerretDB: newest-first pages walk created_at buckets' : 'one query per page'}):`);
    for (const [label, query, caller] of cases) {
      const ref = await reference(query, caller);
      const plan = (await images.find(ref.filter).sort(ref.sort).limit(25).explain()) as Json;
      console.log(`  ${label.padEnd(22)}${ref.label.padEnd(7)}${describePlan(plan)}`);
      for (const [i, branch] of ref.branches.entries()) {
        const p = (await images.find(branch).sort(ref.sort).limit(25).explain()) as Json;
        console.log(`  ${''.padEnd(22)}${`br. ${i + 1}`.padEnd(7)}${describePlan(p)}`);
      }
    }
    const censusPlan = walk ? await stack.api.get(MinuteCensus).plan(Math.floor(Date.now() / 60_000) + 1, 4) : undefined;
    if (censusPlan) {
      const steps = censusPlan.map((l) => /(Index Only Scan|Index Scan|Bitmap \w+ Scan|Seq Scan)(?: Backward)?(?: using (\S+))?/.exec(l)).filter((x) => x !== null);
      console.log(`  minute census         ${steps.some((x) => x[1] === 'Seq Scan') ? 'SCAN' : 'index'}: PostgreSQL: ${steps.map((x) => x[0]).join(' > ')}`);
    }
    if (walk) {
      // The bucket queries each page's walk makes (one direct call each; the API's requests below make the same).
      // The bucket queries each page's walk makes, with the minute census (the API's way) and querying every minute
      // (the walk without it), and the p50 of direct calls each way, interleaved (no HTTP).
      const n = Number(process.env.BENCH_LIST_WALK_ROUNDS ?? 5);
      console.log(`\nbucket queries of each walk, and the p50 of ${n} direct calls: with the minute census | querying every minute`);
      for (const [label, query, caller] of cases) {
        const q = () => parseListQuery(Object.fromEntries(new URLSearchParams(query)), 1000);
        const ways = (['census', 'every-minute'] as const).map((way) => ({ way, probe: { queries: 0, levels: [] as string[] }, ms: [] as number[] }));
        for (const w of ways) await stack.api.get(ImageListing).page(q(), caller, { way: w.way, walk: w.probe });
        for (let i = 0; i < n; i++) {
          for (const w of ways) {
            const t0 = performance.now();
            await stack.api.get(ImageListing).page(q(), caller, { way: w.way });
            w.ms.push(performance.now() - t0);
          }
        }
        const shown = ways.map(({ probe, ms: times }) => {
          const runs = probe.levels.reduce<[string, number][]>((acc, l) => (acc.at(-1)?.[0] === l ? (acc.at(-1)![1]++, acc) : [...acc, [l, 1]]), []);
          return `${ms(pct(times, 50)).trim()}, ${probe.queries} queries${runs.length ? ` (${runs.map(([l, k]) => `${k} ${l}`).join(', ')})` : ''}`;
        });
        console.log(`  ${label.padEnd(22)}${shown.join(' | ')}`);
      }
    }
    const rounds = Number(process.env.BENCH_LIST_ROUNDS ?? 20);
    if (rounds <= 0) return; // BENCH_LIST_ROUNDS=0: seeding and plans only
    console.log(`\n${rounds} requests each                        p50 API     p99 API   p50 bare find   p99 bare find`);
    const row = (label: string, api: number[], bare: number[]) =>
      console.log(`  ${label.padEnd(36)}${ms(pct(api, 50))}${ms(pct(api, 99))}${ms(pct(bare, 50)).padStart(16)}${ms(pct(bare, 99)).padStart(16)}`);
    for (const [label, query, caller] of cases) {
      const ref = await reference(query, caller);
      const bare = await timed(rounds, () => images.find(ref.filter).sort(ref.sort).limit(25).toArray());
      const api = await timed(rounds, async () => {
        const res = await fetch(`${stack.url}/v2/images${query}`, { headers: caller.isAdmin ? adminHeaders : headers });
        if (res.status !== 200) throw new Error(`${query}: ${res.status}`);
        await res.arrayBuffer();
      });
      row(`${label} (${ref.label})`, api, bare);
    }
    // One image: a public one for GET, one of the project's own for PATCH (a new name each time).
    const pub = (await images.findOne({ visibility: 'public', owner: { $ne: PROJECT } }))!._id;
    const own = (await images.findOne({ owner: PROJECT }))!._id;
    row('GET /v2/images/{id} (findOne)', await timed(rounds, async () => {
      const res = await fetch(`${stack.url}/v2/images/${pub}`, { headers });
      if (res.status !== 200) throw new Error(`GET: ${res.status}`);
      await res.arrayBuffer();
    }), await timed(rounds, () => images.findOne({ _id: pub })));
    let n = 0;
    row('PATCH /v2/images/{id} (updateOne)', await timed(rounds, async () => {
      const res = await fetch(`${stack.url}/v2/images/${own}`, {
        method: 'PATCH', headers: { ...headers, 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: JSON.stringify([{ op: 'replace', path: '/name', value: `renamed-${n++}` }]),
      });
      if (res.status !== 200) throw new Error(`PATCH: ${res.status} ${await res.text()}`);
    }), await timed(rounds, () => images.updateOne({ _id: own }, { $set: { name: `bare-${n++}` }, $inc: { rev: 1 } } as never)));
    if (pair) {
      // One request to each API in turn (order rotated every round), so both see the same machine.
      console.log(`\nconsole on / off, ${rounds} interleaved requests each    p50 on    p50 off     p99 on    p99 off   p50 on/off`);
      const get = (api: BenchStack, path: string, caller: typeof member, into: number[]) => async () => {
        const t0 = performance.now();
        const res = await fetch(`${api.url}${path}`, { headers: caller.isAdmin ? adminHeaders : headers });
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        await res.arrayBuffer();
        into.push(performance.now() - t0);
      };
      for (const [label, path, caller] of [...cases.map(([l, q, c]) => [l, `/v2/images${q}`, c] as const), ['GET /v2/images/{id}', `/v2/images/${pub}`, member] as const]) {
        const on: number[] = [];
        const off: number[] = [];
        await interleave(rounds, get(stack, path, caller, on), get(pair.off, path, caller, off));
        console.log(`  ${label.padEnd(40)}${ms(pct(on, 50))}${ms(pct(off, 50))}${ms(pct(on, 99))}${ms(pct(off, 99))}${(pct(on, 50) / pct(off, 50)).toFixed(2).padStart(12)}`);
      }
    }
    if (process.env.BENCH_LIST_PLAIN) {
      // The old shape on FerretDB, for comparison: one query reading every matching row (minutes at 1,000,000).
      const q = parseListQuery({}, 1000);
      const plain = await timed(1, () => images.find(listFilter(q, { ...member, memberImageIds: [] })).sort(sortSpec(q)).limit(25).toArray());
      console.log(`  default page as one plain find (the shape before the walk): ${ms(plain[0]!).trim()}`);
    }
    const seconds = Number(process.env.BENCH_LIST_SECONDS ?? 10);
    if (seconds <= 0) return; // BENCH_LIST_SECONDS=0: latency and plans only (pages that scan a big collection take minutes at 16 clients)
    // Where a page's CPU goes at 16 clients: this process (the API and the clients), the database server, and the
    // PostgreSQL cluster under FerretDB (found by the ports in their command lines; the machine has other load).
    const port = (url: string | undefined) => /:(\d+)(?:\/|$)/.exec(url?.replace(/^[a-z+]+:\/\/[^/]*?@/, '//') ?? '')?.[1];
    const servers = [
      ['database server', port(stack.config.mongo.uri) && `127.0.0.1:${port(stack.config.mongo.uri)}`],
      ['PostgreSQL', port(stack.config.mongo.postgresUrl) && `port=${port(stack.config.mongo.postgresUrl)}`],
    ].filter((s): s is [string, string] => typeof s[1] === 'string');
    const cpu = () => [ownCpuSeconds(), ...servers.map(([, needle]) => cpuSecondsOf(needle))];
    // Each rate twice: clients in a worker thread (as clients elsewhere: support/load-clients.ts), then in the API's
    // own event loop (the CPU per page is from that run).
    const page = { url: `${stack.url}/v2/images`, headers };
    const create = { ...page, method: 'POST', body: JSON.stringify({ name: 'c', disk_format: 'raw', container_format: 'bare' }) };
    const rate = (x: number) => x.toFixed(x < 10 ? 2 : 0);
    const pagesApart = await throughputFrom(page, 16, seconds);
    const cpuBefore = cpu();
    let served = 0;
    const t0 = performance.now();
    const pages = await throughput(16, seconds, async () => {
      await (await fetch(page.url, { headers })).arrayBuffer();
      served++;
    });
    const wall = (performance.now() - t0) / 1000;
    const used = cpu().map((c, i) => c - cpuBefore[i]!);
    console.log(`\npages/s, 16 clients, default page:  ${rate(pagesApart)} (clients in the API's event loop: ${rate(pages)})   (target 65, Glance 25.1's rate on 10,000 images)`);
    console.log(`  CPU per page: ${[['this process (API and clients)'], ...servers].map(([label], i) => `${label} ${((used[i]! / served) * 1000).toFixed(1)} ms`).join(', ')}` +
      `; ${(used.reduce((a, b) => a + b, 0) / wall).toFixed(2)} of the machine's cores busy with them (load ${loadavg()[0]!.toFixed(1)})`);
    const createsApart = await throughputFrom(create, 16, seconds);
    const creates = await throughput(16, seconds, async () => (await fetch(create.url, { method: 'POST', headers, body: create.body })).arrayBuffer());
    console.log(`creates/s, 16 clients:              ${rate(createsApart)} (clients in the API's event loop: ${rate(creates)})   (target 250; Glance 25.1: 51)`);
  } finally {
    await pair?.close();
    await stack.close();
  }
}
