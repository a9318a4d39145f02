import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CacheJobName } from '@glimpse/contracts';
import { CacheEntryRepository, ImageRepository, type MaintenanceRun, MaintenanceRunRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { freePort } from '../support/free-port.js';
import { waitForHttp } from '../support/http-wait.js';
import { admin, coreutilsDigests, createImage, member } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';
import { spawnApi, stopWorker, workerEnv } from '../support/worker-process.js';

const MiB = 1 << 20;
const NODE = 'http://node-kill:9292';
const WRITER_TIMEOUT_S = 3;

/** Polls until check holds (a bound against hangs, not a speed assertion). */
async function until<T>(what: string, probe: () => Promise<T> | T, check: (v: T) => boolean, bound = 180_000): Promise<T> {
  const deadline = Date.now() + bound;
  let last = await probe();
  while (!check(last)) {
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(last)}`);
    await sleep(100);
    last = await probe();
  }
  return last;
}

/**
 * A web server for http store locations that, while `hold` is on, sends the first MiB of an image and then
 * nothing more until released: a cache writer reading from it is caught mid-write.
 */
class HoldingServer {
  hold = true;
  private server: Server | null = null;
  private readonly held: { res: ServerResponse; body: Buffer }[] = [];
  readonly bodies = new Map<string, Buffer>();
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const body = this.bodies.get(req.url ?? '');
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      if (req.method === 'HEAD') return void res.end();
      if (!this.hold) return void res.end(body);
      res.write(body.subarray(0, MiB));
      this.held.push({ res, body });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Sends the rest of every held answer whose reader is still there. */
  release(): void {
    this.hold = false;
    for (const { res, body } of this.held.splice(0)) if (!res.destroyed) res.end(body.subarray(MiB));
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('an API node with a cache, SIGKILLed while its prefetcher and a download were writing cache files', () => {
  const web = new HoldingServer();
  let api: RunningApi; // in this process, no cache: the shared database's records
  let env: Record<string, string>;
  let nodeUrl = '';
  let cacheDir = '';
  let node: ChildProcess | null = null;
  const bytes = new Map<string, Buffer>();

  const startNode = async () => {
    node = spawnApi(env);
    await waitForHttp(`${nodeUrl}/healthz`, (s) => s === 200, 120_000);
  };
  const partialsOf = (id: string) => (existsSync(join(cacheDir, 'incomplete')) ? readdirSync(join(cacheDir, 'incomplete')) : []).filter((n) => n.startsWith(id));
  const cachedOnNode = async () => {
    const listed = (await (await fetch(`${nodeUrl}/v2/cache`, { headers: admin })).json()) as { cached_images: { image_id: string }[]; queued_images: string[] };
    return { cached: listed.cached_images.map((e) => e.image_id).sort(), queued: listed.queued_images };
  };
  const runNow = async (job: string): Promise<string> => {
    const res = await fetch(`${nodeUrl}/v2/admin/maintenance/${job}`, { method: 'POST', headers: admin });
    assert.equal(res.status, 202);
    return ((await res.json()) as { job_id: string }).job_id;
  };
  const finished = (id: string): Promise<MaintenanceRun> =>
    until(`run ${id}`, () => api.app.get(MaintenanceRunRepository).findById(id), (r) => r !== null && r.status !== 'running') as Promise<MaintenanceRun>;
  /** An active image of 8 MiB whose only location is on the holding web server. */
  const webImage = async (name: string): Promise<string> => {
    const body = randomBytes(8 * MiB);
    const digests = coreutilsDigests(body);
    const id = await createImage(api.url);
    web.bodies.set(`/${name}.raw`, body);
    bytes.set(id, body);
    await api.app.get(ImageRepository).update(id, { status: 'queued' }, {
      status: 'active', size: body.length, checksum: digests.md5, osHashAlgo: 'sha512', osHashValue: digests.sha512,
      locations: [{ url: `http://127.0.0.1:${web.port}/${name}.raw`, store: 'web', metadata: { store: 'web' }, status: 'active' }],
    });
    return id;
  };
  /** A client reading the whole image from the node; resolves with what it got once the answer ends or fails. */
  const reader = (id: string) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = new Promise<Buffer>((resolve) => {
      const req = request(`${nodeUrl}/v2/images/${id}/file`, { headers: member, agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          got += c.length;
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', () => resolve(Buffer.concat(chunks)));
      req.end();
    });
    return { done, got: () => got };
  };

  before(async () => {
    await web.start();
    const settings = {
      GLIMPSE_STORES: 'local:file,web:http',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(web.port),
    };
    const config = testConfig(settings);
    api = await startApi(config);
    cacheDir = join(config.dataDir, 'node-cache');
    const port = await freePort();
    nodeUrl = `http://127.0.0.1:${port}`;
    env = workerEnv(config, {
      ...settings,
      GLIMPSE_PORT: String(port),
      GLIMPSE_HOST: '127.0.0.1',
      GLIMPSE_IMAGE_CACHE_DIR: cacheDir,
      GLIMPSE_NODE_URL: NODE,
      GLIMPSE_IMAGE_CACHE_WRITER_TIMEOUT: String(WRITER_TIMEOUT_S),
      GLIMPSE_SCHEDULE_CACHE_PREFETCHER: 'off',
      GLIMPSE_SCHEDULE_CACHE_PRUNER: 'off',
      GLIMPSE_SCHEDULE_CACHE_CLEANER: 'off',
    });
  });
  after(async () => {
    if (node) await stopWorker(node);
    await api?.close({ dropDatabase: true });
    await web.close();
  });

  it('caches the image on the next prefetcher run without waiting for the stall time; the cleaner removes the dead partial; live writers keep theirs', async () => {
    const [x, y, z] = [await webImage('x'), await webImage('y'), await webImage('z')];
    const entries = api.app.get(CacheEntryRepository);
    await startNode();

    // The node's prefetcher is writing x and a download is writing y, both caught mid-write by the held source;
    // a pruner run waits behind the prefetcher on the node's queue.
    assert.equal(await entries.queue(NODE, x), true);
    const killedRun = await runNow(CacheJobName.Prefetcher);
    const waitingRun = await runNow(CacheJobName.Pruner);
    const download = reader(y);
    for (const id of [x, y]) {
      await until(`partial file of ${id}`, () => partialsOf(id).map((n) => statSync(join(cacheDir, 'incomplete', n)).size), (s) => s.length === 1 && s[0]! > 0);
    }
    assert.equal((await api.app.get(MaintenanceRunRepository).findById(killedRun))?.status, 'running');
    await stopWorker(node!, 'SIGKILL');
    await download.done;
    const dead = [...partialsOf(x), ...partialsOf(y)];
    assert.equal(dead.length, 2);
    for (const name of dead) assert.match(name, /^[\w-]+\.[0-9a-f]{16}$/);
    assert.equal(existsSync(join(cacheDir, x)), false);
    assert.equal(existsSync(join(cacheDir, y)), false);

    // The node comes back (the stall time is the default day); the source now serves whole images.
    web.release();
    await startNode();
    const deadSince = Math.max(...dead.map((n) => statSync(join(cacheDir, 'incomplete', n)).mtimeMs));
    await until('the dead partials are past the writer timeout', () => Date.now() - deadSince, (ms) => ms > WRITER_TIMEOUT_S * 1000 + 500);

    const prefetch = await finished(await runNow(CacheJobName.Prefetcher));
    assert.equal(prefetch.status, 'succeeded', prefetch.error ?? undefined);
    assert.equal(prefetch.counts!.busy, 0);
    assert.deepEqual((await cachedOnNode()).cached, [x]);
    assert.ok(readFileSync(join(cacheDir, x)).equals(bytes.get(x)!));
    assert.deepEqual(partialsOf(x), []);

    const cleaner = await finished(await runNow(CacheJobName.Cleaner));
    assert.equal(cleaner.status, 'succeeded', cleaner.error ?? undefined);
    assert.equal(cleaner.counts!.removed, 1);
    assert.deepEqual(readdirSync(join(cacheDir, 'incomplete')), []);

    // The kill left no run behind: the pruner that waited runs on the restarted node, and the killed prefetcher
    // run is taken up again (BullMQ's stalled-job check, once the dead process's lock expires) under its record.
    const pruner = await finished(waitingRun);
    assert.equal(pruner.status, 'succeeded', pruner.error ?? undefined);
    const retaken = await finished(killedRun);
    assert.equal(retaken.status, 'succeeded', retaken.error ?? undefined);
    assert.ok(retaken.attempts >= 2, `the killed run was recorded ${retaken.attempts} time(s)`);

    // A live writer keeps its partial file fresh (well past the writer timeout): the cleaner leaves it and the
    // prefetcher stays out of the image, so only the one writer makes an entry.
    web.hold = true;
    const slow = reader(z);
    await until(`partial file of ${z}`, () => partialsOf(z), (names) => names.length === 1);
    await sleep(WRITER_TIMEOUT_S * 2500);
    const live = partialsOf(z);
    assert.equal(live.length, 1);
    assert.equal((await finished(await runNow(CacheJobName.Cleaner))).counts!.removed, 0);
    assert.deepEqual(partialsOf(z), live);
    assert.equal(await entries.queue(NODE, z), true);
    const busy = await finished(await runNow(CacheJobName.Prefetcher));
    assert.equal(busy.counts!.busy, 1);
    web.release();
    assert.ok((await slow.done).equals(bytes.get(z)!));
    await until('z cached by its reader', cachedOnNode, (c) => c.cached.includes(z));
    assert.deepEqual((await cachedOnNode()).queued, []);
    assert.deepEqual(readdirSync(join(cacheDir, 'incomplete')), []);
    assert.ok(readFileSync(join(cacheDir, z)).equals(bytes.get(z)!));
    assert.equal(slow.got(), bytes.get(z)!.length);
  });
});
