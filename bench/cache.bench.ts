/**
 * `npm run bench -- cache [size-MiB…]` (default 1024, or GLIMPSE_BENCH_SIZES_MIB; GLIMPSE_BENCH_ROUNDS rounds,
 * default 3): `GET /v2/images/{id}/file` with `curl -o /dev/null` of the same bytes three ways, in interleaved
 * rounds of one run, through APIs in this process:
 *   - from the image cache: an API node with GLIMPSE_IMAGE_CACHE_DIR whose first download cached the image;
 *   - from the file store, and from an S3 store on the real Versity Gateway the tests use, both on an API without
 *     a cache (the figures a node without a cache gives, and what the cache stands in for).
 * Every source file is page-cached first (cat of the cached file and the stored one). Prints MB/s (min/max over
 * rounds) side by side and the ratio cached/file store (target ≥ 0.9).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startS3Server } from '../test/support/s3-server.js';
import { type BenchStack, startBenchStack } from './support/bench-stack.js';
import { benchRounds, benchSizes, curlGet, curlPut, fmt, interleave, MiB, mbps, median, randomFile } from './support/data-bench.js';

const member = { 'x-project-id': 'bench', 'x-roles': 'member' };
const memberHeaders = ['X-Project-Id: bench', 'X-Roles: member'];
const admin = { 'x-project-id': 'bench', 'x-roles': 'admin' };

async function uploaded(stack: BenchStack, file: string, store: string): Promise<string> {
  const created = await fetch(`${stack.url}/v2/images`, {
    method: 'POST',
    headers: { ...member, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }),
  });
  const { id } = (await created.json()) as { id: string };
  await curlPut(`${stack.url}/v2/images/${id}/file`, file, ['Expect:', 'Content-Type: application/octet-stream', `X-Image-Meta-Store: ${store}`, ...memberHeaders]);
  return id;
}

/** Waits for the node's record of the image (written once the download's copy is fsynced and renamed). */
async function untilCached(stack: BenchStack, id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const listed = (await (await fetch(`${stack.url}/v2/cache`, { headers: admin })).json()) as { cached_images: { image_id: string }[] };
    if (listed.cached_images.some((e) => e.image_id === id)) return;
    await sleep(100);
  }
  throw new Error(`the first download did not cache ${id}`);
}

export default async function cacheBench(args: string[]): Promise<void> {
  const sizes = args.some((a) => /^\d+$/.test(a)) || process.env.GLIMPSE_BENCH_SIZES_MIB ? benchSizes(args) : [1024];
  const rounds = benchRounds(3);
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), 'glimpse-bench-cache-'));
  const s3 = await startS3Server();
  const stores = JSON.stringify([{ id: 'local', type: 'file' }, s3.storeEntry('objects')]);
  const cacheDir = join(work, 'cache');
  const plain = await startBenchStack({ GLIMPSE_STORES: stores }, { worker: false });
  const cached = await startBenchStack({ GLIMPSE_STORES: 'local:file', GLIMPSE_IMAGE_CACHE_DIR: cacheDir, GLIMPSE_NODE_URL: 'bench-node' }, { worker: false });
  try {
    console.log(`cache bench: ${rounds} interleaved rounds per size; MB/s = 10^6 B/s, min/max over rounds`);
    for (const sizeMiB of sizes) {
      const file = randomFile(work, sizeMiB);
      const bytes = sizeMiB * MiB;
      const inFile = await uploaded(plain, file, 'local');
      const inS3 = await uploaded(plain, file, 'objects');
      const inCache = await uploaded(cached, file, 'local');
      rmSync(file, { force: true });
      // The first download of the cached node fills its cache; every later one is served from it.
      await curlGet(`${cached.url}/v2/images/${inCache}/file`, bytes, memberHeaders);
      await untilCached(cached, inCache);
      const storedFile = join(plain.config.dataDir, 'stores', 'local', inFile);
      execFileSync('sh', ['-c', `cat '${join(cacheDir, inCache)}' '${storedFile}' > /dev/null`]);

      const fromCache: number[] = [];
      const fromFile: number[] = [];
      const fromS3: number[] = [];
      const get = (stack: BenchStack, id: string, into: number[]) => async () => into.push(mbps(bytes, await curlGet(`${stack.url}/v2/images/${id}/file`, bytes, memberHeaders)));
      await interleave(rounds, get(cached, inCache, fromCache), get(plain, inFile, fromFile), get(plain, inS3, fromS3));
      const stats = (await (await fetch(`${cached.url}/metrics`)).text()).match(/^glimpse_image_cache_hits_total\{[^}]*\} (\d+)/m);
      if (!stats || Number(stats[1]) < rounds) throw new Error(`the cached node counted ${stats?.[1] ?? 'no'} cache hits for ${rounds} downloads`);

      console.log(`\n${sizeMiB} MiB image (curl -o /dev/null; cached and stored files page-cached):`);
      console.log(`  glimpse GET /file from the image cache       ${fmt(fromCache).padStart(14)} MB/s`);
      console.log(`  glimpse GET /file from the file store        ${fmt(fromFile).padStart(14)} MB/s`);
      console.log(`  glimpse GET /file from the S3 store          ${fmt(fromS3).padStart(14)} MB/s   (Versity Gateway, posix backend, loopback)`);
      console.log(`  ratio of medians cache/file store            ${(median(fromCache) / median(fromFile)).toFixed(2).padStart(14)}        (target ≥ 0.90)`);
      console.log(`  ratio of medians cache/S3 store              ${(median(fromCache) / median(fromS3)).toFixed(2).padStart(14)}`);
    }
  } finally {
    await cached.close();
    await plain.close();
    await s3.close();
    rmSync(work, { recursive: true, force: true });
  }
}
