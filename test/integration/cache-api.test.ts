import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, createImage, member, octet, send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

interface CacheState {
  cached_images: { image_id: string; hits: number; last_accessed: number; last_modified: number; size: number }[];
  queued_images: string[];
}

async function call(url: string, method: string, headers: Record<string, string> = admin): Promise<{ status: number; text: string; json: () => unknown }> {
  const res = await fetch(url, { method, headers });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/**
 * What Glance's router answers for each cache resource's wrong methods (its reject routes, matched by Routes 2.5:
 * clean, prune and nodes/{id} are resources of their own, never an image id): 405, its Allow and its text.
 */
async function assertGlance405s(url: string, imageId: string): Promise<void> {
  const cases: [string, string, string][] = [
    ['POST', '', 'GET, DELETE'],
    ['PUT', '', 'GET, DELETE'],
    ['PATCH', '', 'GET, DELETE'],
    ['DELETE', '/clean', 'POST'],
    ['GET', '/clean', 'POST'],
    ['PUT', '/clean', 'POST'],
    ['DELETE', '/prune', 'POST'],
    ['GET', '/prune', 'POST'],
    ['PUT', '/prune', 'POST'],
    ['HEAD', '/prune', 'POST'],
    ['DELETE', `/nodes/${imageId}`, 'GET'],
    ['POST', `/nodes/${imageId}`, 'GET'],
    ['GET', `/${imageId}`, 'DELETE, PUT'],
    ['POST', `/${imageId}`, 'DELETE, PUT'],
    ['PATCH', `/${imageId}`, 'DELETE, PUT'],
    ['GET', '/nodes', 'DELETE, PUT'],
  ];
  for (const [method, path, allow] of cases) {
    for (const who of [admin, member]) {
      const res = await fetch(`${url}/v2/cache${path}`, { method, headers: { ...who, accept: 'application/json' } });
      assert.equal(res.status, 405, `${method} /v2/cache${path}`);
      assert.equal(res.headers.get('allow'), allow, `${method} /v2/cache${path}`);
      if (method !== 'HEAD') assert.match(await res.text(), new RegExp(`The method ${method} is not allowed for this resource\\.`));
    }
  }
}

describe('the v2 cache API with the cache off', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi(testConfig());
  });
  after(() => api.close());

  it('answers 404 to admins and 403 to others, and lists no cache versions', async () => {
    const off = await call(`${api.url}/v2/cache`, 'GET');
    assert.equal(off.status, 404);
    assert.match(off.text, /Caching via API is not supported at this site\./);
    assert.equal((await call(`${api.url}/v2/cache`, 'GET', member)).status, 403);
    const versions = (await call(`${api.url}/versions`, 'GET')).json() as { versions: { id: string; status: string }[] };
    assert.deepEqual(versions.versions.filter((v) => v.status === 'CURRENT').map((v) => v.id), ['v2.15']);
    assert.ok(!versions.versions.some((v) => v.id === 'v2.14' || v.id === 'v2.16'));
    assert.equal((await call(`${api.url}/v2.16/images`, 'GET')).status, 300);
  });

  it('answers a wrong method 405 with Glance\'s Allow all the same (its reject routes do not depend on the cache)', async () => {
    await assertGlance405s(api.url, await createImage(api.url));
  });

  it('has no cache jobs to run now on this node (404), and still runs a sweep', async () => {
    for (const job of ['cache-prefetcher', 'cache-pruner', 'cache-cleaner']) {
      const res = await call(`${api.url}/v2/admin/maintenance/${job}`, 'POST');
      assert.equal(res.status, 404, job);
      assert.match(res.text, /This API node has no image cache/);
    }
    assert.equal((await call(`${api.url}/v2/admin/maintenance/cache-pruner`, 'POST', member)).status, 403);
    assert.equal((await call(`${api.url}/v2/admin/maintenance/updater`, 'POST')).status, 202);
  });
});

describe('the v2 cache API (cache on)', () => {
  const config = testConfig();
  const cacheDir = join(config.dataDir, 'cache');
  let api: RunningApi;
  let url: string;

  before(async () => {
    config.cache = { dir: cacheDir, maxSize: 3 * MiB, stallMs: 3600_000, writerTimeoutMs: 60_000, node: 'http://node-a:9292', schedules: { prefetcher: null, pruner: null, cleaner: null } };
    api = await startApi(config);
    url = api.url;
  });
  after(() => api.close());

  const upload = async (bytes: Buffer) => {
    const id = await createImage(url);
    assert.equal((await send(`${url}/v2/images/${id}/file`, 'PUT', octet(), bytes)).status, 204);
    return id;
  };
  const state = async () => (await call(`${url}/v2/cache`, 'GET')).json() as CacheState;
  const until = async (what: string, check: (s: CacheState) => boolean) => {
    for (let i = 0; i < 600; i++) {
      const s = await state();
      if (check(s)) return s;
      await sleep(50);
    }
    assert.fail(`${what}: ${JSON.stringify(await state())}`);
  };
  const download = (id: string) => send(`${url}/v2/images/${id}/file`, 'GET', member);

  it('moves CURRENT to v2.16 and accepts the cache versions as prefixes', async () => {
    const versions = (await call(`${url}/versions`, 'GET')).json() as { versions: { id: string; status: string }[] };
    assert.deepEqual(versions.versions.slice(0, 4).map((v) => [v.id, v.status]), [
      ['v2.16', 'CURRENT'],
      ['v2.15', 'SUPPORTED'],
      ['v2.14', 'SUPPORTED'],
      ['v2.13', 'SUPPORTED'],
    ]);
    assert.equal(versions.versions.filter((v) => v.id === 'v2.15').length, 1);
    assert.equal((await call(`${url}/v2.14/cache`, 'GET')).status, 200);
    assert.equal((await call(`${url}/v2.16/cache`, 'GET')).status, 200);
  });

  it('keeps every call to admins (cache_* policies) and answers with Glance\'s codes and texts', async () => {
    for (const [method, path] of [['GET', ''], ['DELETE', ''], ['POST', '/clean'], ['POST', '/prune']]) {
      assert.equal((await call(`${url}/v2/cache${path}`, method!, member)).status, 403, `${method} ${path}`);
    }
    const id = await upload(randomBytes(1000));
    assert.equal((await call(`${url}/v2/cache/${id}`, 'PUT', member)).status, 403);
    assert.equal((await call(`${url}/v2/cache/${id}`, 'DELETE', member)).status, 403);
    const missing = await call(`${url}/v2/cache/non-existing-image-id`, 'PUT');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /Image non-existing-image-id not found\./);
    assert.equal((await call(`${url}/v2/cache/non-existing-image-id`, 'DELETE')).status, 404);
    const queued = await createImage(url);
    const notActive = await call(`${url}/v2/cache/${queued}`, 'PUT');
    assert.equal(notActive.status, 400);
    assert.match(notActive.text, /Only images with status active can be targeted for queueing/);
    const badTarget = await call(`${url}/v2/cache`, 'DELETE', { ...admin, 'x-image-cache-clear-target': 'invalid' });
    assert.equal(badTarget.status, 400);
    assert.match(badTarget.text, /If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string\./);
  });

  it('answers a wrong method 405 with Glance\'s Allow, and never takes clean, prune or nodes for an image id', async () => {
    const id = await upload(randomBytes(1000));
    assert.equal((await download(id)).status, 200);
    await until('image cached', (s) => s.cached_images.some((e) => e.image_id === id));
    await assertGlance405s(url, id);
    // Nothing was removed or queued by the refused calls.
    const s = await state();
    assert.ok(s.cached_images.some((e) => e.image_id === id));
    assert.deepEqual(s.queued_images, []);
    // Glance's router takes /v2/cache/nodes for an image id with PUT and DELETE: no such image, 404.
    assert.equal((await call(`${url}/v2/cache/nodes`, 'PUT')).status, 404);
    assert.equal((await call(`${url}/v2/cache/nodes`, 'DELETE')).status, 404);
    assert.equal((await call(`${url}/v2/cache/${id}`, 'DELETE')).status, 204);
  });

  it('queues an image on PUT (202), fetches it into the cache, lists it with its hits, names the node', async () => {
    const bytes = randomBytes(MiB / 2);
    const id = await upload(bytes);
    const put = await call(`${url}/v2/cache/${id}`, 'PUT');
    assert.equal(put.status, 202);
    assert.ok((await state()).queued_images.includes(id));
    const cached = await until('image cached', (s) => s.cached_images.some((e) => e.image_id === id));
    assert.ok(!cached.queued_images.includes(id));
    const entry = cached.cached_images.find((e) => e.image_id === id)!;
    assert.equal(entry.size, bytes.length);
    assert.equal(entry.hits, 0);
    assert.ok(Math.abs(entry.last_modified * 1000 - Date.now()) < 3600_000);
    assert.ok((await download(id)).body.equals(bytes));
    assert.equal((await state()).cached_images.find((e) => e.image_id === id)!.hits, 1);
    assert.deepEqual((await call(`${url}/v2/cache/nodes/${id}`, 'GET')).json(), ['http://node-a:9292']);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{node="http://node-a:9292"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(value('glimpse_image_cache_hits_total') >= 1, metrics);
    assert.ok(value('glimpse_image_cache_served_bytes_total') >= bytes.length);
    assert.ok(value('glimpse_image_cache_misses_total') >= 0);
    assert.ok(value('glimpse_image_cache_size_bytes') >= bytes.length);
    assert.ok(value('glimpse_image_cache_images') >= 1);
    // Queueing a cached image changes nothing.
    assert.equal((await call(`${url}/v2/cache/${id}`, 'PUT')).status, 202);
    assert.ok(!(await state()).queued_images.includes(id));
    assert.equal((await call(`${url}/v2/cache/${id}`, 'DELETE')).status, 204);
    assert.ok(!(await state()).cached_images.some((e) => e.image_id === id));
    assert.ok(!readdirSync(cacheDir).includes(id));
    assert.deepEqual((await call(`${url}/v2/cache/nodes/${id}`, 'GET')).json(), []);
  });

  it('clears the cache, the queue, or both (x-image-cache-clear-target)', async () => {
    const a = await upload(randomBytes(1000));
    assert.ok((await download(a)).status === 200);
    await until('a cached', (s) => s.cached_images.some((e) => e.image_id === a));
    const b = await upload(randomBytes(1000));
    assert.equal((await call(`${url}/v2/cache/${b}`, 'PUT')).status, 202);
    assert.equal((await call(`${url}/v2/cache`, 'DELETE', { ...admin, 'x-image-cache-clear-target': 'queue' })).status, 204);
    let s = await state();
    assert.ok(s.cached_images.some((e) => e.image_id === a));
    assert.ok(!s.queued_images.includes(b));
    assert.equal((await call(`${url}/v2/cache`, 'DELETE', { ...admin, 'x-image-cache-clear-target': 'cache' })).status, 204);
    assert.equal((await state()).cached_images.length, 0);
    assert.equal((await call(`${url}/v2/cache/${b}`, 'PUT')).status, 202);
    assert.equal((await call(`${url}/v2/cache`, 'DELETE')).status, 204);
    s = await state();
    assert.deepEqual([s.cached_images.length, s.queued_images.length], [0, 0]);
    // b's fetches, due a second after each PUT, find it no longer queued (or are cancelled by the clear).
    await sleep(2500);
    s = await state();
    assert.deepEqual([s.cached_images.length, s.queued_images.length], [0, 0]);
  });

  it('prunes the least recently used images until the cache is under its size (POST /v2/cache/prune)', async () => {
    assert.equal((await call(`${url}/v2/cache`, 'DELETE')).status, 204);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await upload(randomBytes(MiB));
      assert.equal((await download(id)).status, 200);
      await until(`image ${i} cached`, (s) => s.cached_images.some((e) => e.image_id === id));
      ids.push(id);
    }
    // Use the first one again: the second is now the least recently used.
    await sleep(20);
    assert.equal((await download(ids[0]!)).status, 200);
    const pruned = await call(`${url}/v2/cache/prune`, 'POST');
    assert.equal(pruned.status, 200);
    assert.deepEqual(pruned.json(), { total_files_pruned: 1, total_bytes_pruned: MiB });
    const left = (await state()).cached_images.map((e) => e.image_id).sort();
    assert.deepEqual(left, [ids[0], ids[2], ids[3]].sort());
    assert.deepEqual((await call(`${url}/v2/cache/prune`, 'POST')).json(), { total_files_pruned: 0, total_bytes_pruned: 0 });
  });

  it('cleans stalled partial files and leaves fresh ones (POST /v2/cache/clean)', async () => {
    const incomplete = join(cacheDir, 'incomplete');
    mkdirSync(incomplete, { recursive: true });
    const stalled = join(incomplete, '11111111-1111-1111-1111-111111111111');
    const fresh = join(incomplete, '22222222-2222-2222-2222-222222222222');
    writeFileSync(stalled, 'half');
    writeFileSync(fresh, 'half');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stalled, old, old);
    const clean = await call(`${url}/v2/cache/clean`, 'POST');
    assert.equal(clean.status, 200);
    assert.equal(clean.text, '');
    assert.deepEqual(readdirSync(incomplete), ['22222222-2222-2222-2222-222222222222']);
  });
});
