import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplicationContext } from '@nestjs/common';
import { createLogger } from '@glimpse/common';
import type { CacheConfig, ResolvedConfig } from '@glimpse/config';
import { type CacheJob, CacheJobName } from '@glimpse/contracts';
import { ImageCache } from '@glimpse/image-cache';
import { type MaintenanceRun, MaintenanceRunRepository } from '@glimpse/persistence';
import { createCacheNodeApp } from '../../apps/worker/src/image-cache/create-cache-node-app.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, createImage, member, octet, send } from '../support/image-data-client.js';
import { type RunningS3, startS3Server } from '../support/s3-server.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

/** Polls until check holds (a bound against hangs, not a speed assertion). */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last = await probe();
  for (let i = 0; i < 1200 && !check(last); i++) {
    await sleep(50);
    last = await probe();
  }
  assert.ok(check(last), `${what}: ${JSON.stringify(last)}`);
  return last;
}

const cacheOf = (dir: string, node: string, maxSize: number): CacheConfig => ({
  dir,
  maxSize,
  stallMs: 3600_000,
  writerTimeoutMs: 60_000,
  node,
  schedules: { prefetcher: null, pruner: null, cleaner: null },
});

/** One API node: the API and its cache jobs on one configuration. */
interface Node {
  api: RunningApi;
  jobs: INestApplicationContext;
  cache: ImageCache;
  /** Runs one of the node's cache jobs now and waits for its recorded run. */
  run(job: CacheJob): Promise<MaintenanceRun>;
  close(dropDatabase: boolean): Promise<void>;
}

async function startNode(config: ResolvedConfig): Promise<Node> {
  const api = await startApi(config);
  const jobs = (await createCacheNodeApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-cache-jobs' })))!;
  const runs = jobs.get(MaintenanceRunRepository);
  return {
    api,
    jobs,
    cache: api.app.get(ImageCache),
    // An operator's run now through this node's admin API (as glimpse-admin and the console do): the node that
    // takes the call runs it.
    async run(job) {
      const res = await fetch(`${api.url}/v2/admin/maintenance/${job}`, { method: 'POST', headers: admin });
      assert.equal(res.status, 202);
      const started = (await res.json()) as { job_id: string; run: string; node: string };
      assert.equal(started.node, config.cache!.node);
      const id = started.job_id;
      const run = (await until(`${job} run ${id}`, () => runs.findById(id), (r) => r !== null && r.status !== 'running')) as MaintenanceRun;
      assert.equal(run.trigger, 'manual');
      assert.ok(run.worker.startsWith(`${config.cache!.node} `), run.worker);
      const shown = (await (await fetch(`${api.url}${started.run}`, { headers: admin })).json()) as { id: string; sweep: string };
      assert.deepEqual([shown.id, shown.sweep], [id, job]);
      return run;
    },
    async close(dropDatabase) {
      await jobs.close();
      await api.close({ dropDatabase });
    },
  };
}

const upload = async (url: string, bytes: Buffer) => {
  const id = await createImage(url);
  assert.equal((await send(`${url}/v2/images/${id}/file`, 'PUT', octet(), bytes)).status, 204);
  return id;
};
const download = (url: string, id: string, headers: Record<string, string> = member) => send(`${url}/v2/images/${id}/file`, 'GET', headers);

describe('image cache in front of an S3 store (Versity Gateway)', () => {
  let s3: RunningS3;
  let node: Node;
  let url: string;
  let cacheDir: string;

  before(async () => {
    s3 = await startS3Server();
    const config = testConfig({ GLIMPSE_STORES: JSON.stringify([s3.storeEntry('objects', { part_size_mb: 5 })]) });
    cacheDir = join(config.dataDir, 'cache');
    config.cache = cacheOf(cacheDir, 'http://node-s3:9292', 10 * MiB);
    node = await startNode(config);
    url = node.api.url;
  });
  after(async () => {
    await node?.close(true);
    await s3?.close();
  });

  const entry = async (id: string) => (await node.cache.cached()).find((e) => e.imageId === id);

  it('serves the second download and its ranges with S3 stopped; the pruner and cleaner keep the cache; dead images are never served', async () => {
    // A client killed mid-download leaves no entry.
    const big = randomBytes(64 * MiB);
    const killed = await upload(url, big);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v2/images/${killed}/file`, { headers: member, agent: false }, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got >= 2 * MiB && !req.destroyed) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    await until('partial removed', async () => readdirSync(join(cacheDir, 'incomplete')), (n) => n.length === 0);
    assert.equal(await entry(killed), undefined);
    assert.equal(existsSync(join(cacheDir, killed)), false);

    // Three images cached on read, one by the periodic prefetcher.
    const images = [randomBytes(4 * MiB + 17), randomBytes(4 * MiB), randomBytes(3 * MiB)];
    const [a, b, c] = await Promise.all(images.map((bytes) => upload(url, bytes)));
    for (const id of [a!, b!]) {
      assert.equal((await download(url, id)).status, 200);
      await until(`${id} cached`, () => entry(id), (e) => e !== undefined);
    }
    assert.equal(await node.cache.queue(c!), true);
    const prefetch = await node.run(CacheJobName.Prefetcher);
    assert.equal(prefetch.status, 'succeeded');
    assert.equal(prefetch.counts!.cached, 1);
    assert.ok(await entry(c!));

    // S3 goes away: every read below can only come from the cache.
    await s3.close();
    s3 = undefined as unknown as RunningS3;
    const again = await download(url, a!);
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(images[0]!));
    const ranged = await download(url, b!, { ...member, range: 'bytes=100-1048675' });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.body.equals(images[1]!.subarray(100, 1048676)));
    assert.ok((await download(url, c!)).body.equals(images[2]!));
    assert.equal((await download(url, killed)).status, 503);

    // 11 MiB over a 10 MiB limit: the pruner evicts the least recently used (a, read before b's range and c).
    const pruned = await node.run(CacheJobName.Pruner);
    assert.equal(pruned.status, 'succeeded');
    assert.deepEqual([pruned.counts!.removed, pruned.counts!.bytes], [1, images[0]!.length]);
    assert.deepEqual((await node.cache.cached()).map((e) => e.imageId).sort(), [b!, c!].sort());
    assert.notEqual((await download(url, a!)).status, 200);

    // The cleaner removes a stalled partial file, keeps a fresh one, and drops a deleted image's copy.
    const stalled = join(cacheDir, 'incomplete', '11111111-1111-1111-1111-111111111111');
    const fresh = join(cacheDir, 'incomplete', '22222222-2222-2222-2222-222222222222');
    mkdirSync(join(cacheDir, 'incomplete'), { recursive: true });
    writeFileSync(stalled, 'half');
    writeFileSync(fresh, 'half');
    utimesSync(stalled, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    assert.equal((await fetch(`${url}/v2/images/${c}`, { method: 'DELETE', headers: member })).status, 204);
    assert.equal((await download(url, c!)).status, 404);
    const cleaned = await node.run(CacheJobName.Cleaner);
    assert.deepEqual([cleaned.status, cleaned.counts!.removed, cleaned.counts!.dropped], ['succeeded', 1, 1]);
    assert.deepEqual(readdirSync(join(cacheDir, 'incomplete')), ['22222222-2222-2222-2222-222222222222']);
    assert.equal(existsSync(join(cacheDir, c!)), false);

    // A deactivated image is not served from the cache, not even to an admin (S3, its only copy, is down).
    assert.equal((await fetch(`${url}/v2/images/${b}/actions/deactivate`, { method: 'POST', headers: admin })).status, 204);
    assert.equal((await download(url, b!)).status, 403);
    assert.notEqual((await download(url, b!, admin)).status, 200);
    assert.equal((await fetch(`${url}/v2/images/${b}/actions/reactivate`, { method: 'POST', headers: admin })).status, 204);
    assert.ok((await download(url, b!)).body.equals(images[1]!));

    // The runs are in maintenance_runs under the node, and the admin API lists them.
    const runs = (await (await fetch(`${url}/v2/admin/maintenance/runs?sweep=cache-pruner`, { headers: admin })).json()) as { runs: { worker: string; counts: Record<string, number> }[] };
    assert.equal(runs.runs.length, 1);
    assert.match(runs.runs[0]!.worker, /^http:\/\/node-s3:9292 /);
  });
});

describe('two API nodes with their own cache directories', () => {
  let one: Node;
  let two: Node;

  before(async () => {
    const config = testConfig({ GLIMPSE_STORES: 'local:file' });
    const first = { ...config, cache: cacheOf(join(config.dataDir, 'cache-1'), 'node-1', 1 << 30) };
    // Same database, stores and queue prefix; another disk, identity and a cache limit of 0.
    const second = { ...config, cache: cacheOf(join(config.dataDir, 'cache-2'), 'node-2', 0) };
    one = await startNode(first);
    two = await startNode(second);
  });
  after(async () => {
    await two?.close(false);
    await one?.close(true);
  });

  it('each caches on its own reads; one node\'s jobs never touch the other\'s files', async () => {
    const bytes = randomBytes(2 * MiB);
    const id = await upload(one.api.url, bytes);
    assert.ok((await download(one.api.url, id)).body.equals(bytes));
    await until('cached on node 1', () => one.cache.cached(), (c) => c.length === 1);
    assert.deepEqual(await two.cache.cached(), []);
    assert.ok((await download(two.api.url, id)).body.equals(bytes));
    await until('cached on node 2', () => two.cache.cached(), (c) => c.length === 1);
    const nodes = await (await fetch(`${one.api.url}/v2/cache/nodes/${id}`, { headers: admin })).json();
    assert.deepEqual(nodes, ['node-1', 'node-2']);

    const dir1 = one.cache.config!.dir;
    const dir2 = two.cache.config!.dir;
    const stalled = (dir: string) => {
      const path = join(dir, 'incomplete', '33333333-3333-3333-3333-333333333333');
      writeFileSync(path, 'x');
      utimesSync(path, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
      return path;
    };
    const partial1 = stalled(dir1);
    const partial2 = stalled(dir2);
    // Node 2's pruner (limit 0) and cleaner empty node 2 only.
    assert.equal((await two.run(CacheJobName.Pruner)).counts!.removed, 1);
    assert.equal((await two.run(CacheJobName.Cleaner)).counts!.removed, 1);
    assert.deepEqual(await two.cache.cached(), []);
    assert.equal(existsSync(join(dir2, id)), false);
    assert.equal(existsSync(partial2), false);
    assert.equal(existsSync(join(dir1, id)), true);
    assert.equal(existsSync(partial1), true);
    assert.equal((await one.cache.cached()).length, 1);
    // And node 1's jobs leave node 2 alone in turn.
    assert.equal((await one.run(CacheJobName.Pruner)).counts!.removed, 0);
    assert.equal((await one.run(CacheJobName.Cleaner)).counts!.removed, 1);
    assert.equal(existsSync(join(dir1, id)), true);
  });
});
