/**
 * `npm run bench -- list [images]` (default 1,000,000; BENCH_LIST_IMAGES also works): seeds image records with
 * insertMany, then reports for a 25-image page — default sort, a name filter, a tag filter and an `in:` status
 * filter — the p50/p99 latency through the API next to a bare MongoDB `find` of 25 documents with the same filter
 * and sort (the database's own cost), pages/s at 16 concurrent clients, creates/s at 16 concurrent clients, and
 * the server's query plan for the default page.
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
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  }));
  return done / seconds;
}

export default async function listBench(args: string[]): Promise<void> {
  const total = Number(args[0] ?? process.env.BENCH_LIST_IMAGES ?? 1_000_000);
  const stack = await startBenchStack({}, { worker: false });
  try {
    const images = stack.api.get<Connection>(getConnectionToken()).collection('images');
    let t = performance.now();
    const base = Date.now() - total * 1000;
    await insertImageRecords(images, total, (j) => {
      const props = { os_distro: j % 3 ? 'debian' : 'ubuntu' };
      return imageRecord({
        name: `image-${j}`, status: j % 10 ? 'active' : 'queued', visibility: j % 4 ? 'private' : 'public',
        owner: j % 2 ? PROJECT : `p-${j % 97}`, size: j % 5 ? j * 1024 : null,
        createdAt: new Date(base + j * 1000), updatedAt: new Date(base + j * 1000),
        tags: j % 50 ? ['common'] : ['common', 'rare'], props: Object.entries(props).map(([k, v]) => ({ k, v })),
        propPairs: Object.entries(props).map(([k, v]) => propPair(k, v)),
      });
    });
    console.log(`seeded ${total} images in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const listing = stack.api.get(ImageListing);
    const cases: [string, string][] = [
      ['default sort', ''],
      ['name filter', `?name=image-${Math.floor(total / 2)}`],
      ['tag filter', '?tag=rare'],
      ['in: status filter', '?status=in:active,queued'],
    ];
    const rounds = Number(process.env.BENCH_LIST_ROUNDS ?? 20);
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
    const pages = await throughput(16, seconds, async () => (await fetch(`${stack.url}/v2/images`, { headers })).arrayBuffer());
    console.log(`\npages/s, 16 clients, default page:  ${pages.toFixed(0)}   (target 650; Glance 25.1: 65 on 10,000 images)`);
    const creates = await throughput(16, seconds, async () =>
      (await fetch(`${stack.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'c', disk_format: 'raw', container_format: 'bare' }) })).arrayBuffer(),
    );
    console.log(`creates/s, 16 clients:              ${creates.toFixed(0)}   (target 250; Glance 25.1: 51)`);
    const plan = (await listing.explain(parseListQuery({}, 1000), { projectId: PROJECT, isAdmin: false })) as Record<string, unknown>;
    console.log(`\nquery plan of the default page (${String((plan.serverInfo as Record<string, unknown> | undefined)?.ferretdbVersion ? 'FerretDB' : 'MongoDB')}):`);
    console.log(JSON.stringify(plan.queryPlanner ?? plan, null, 1).slice(0, 1500));
    if ('filterPushdown' in plan) console.log(`filterPushdown=${String(plan.filterPushdown)} sortPushdown=${String(plan.sortPushdown)} limitPushdown=${String(plan.limitPushdown)}`);
  } finally {
    await stack.close();
  }
}
