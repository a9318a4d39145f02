import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageCache } from '@glimpse/image-cache';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, createImage, member, octet, send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

/** Polls until check holds (a bound against hangs, not a speed assertion). */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T = await probe();
  for (let i = 0; i < 600 && !check(last); i++) {
    await sleep(50);
    last = await probe();
  }
  assert.ok(check(last), `${what}: ${JSON.stringify(last)}`);
  return last;
}

describe('image cache on read (file store, real HTTP)', () => {
  const config = testConfig({ GLIMPSE_STORES: 'local:file' });
  const cacheDir = join(config.dataDir, 'cache');
  const storeDir = join(config.dataDir, 'stores', 'local');
  let api: RunningApi;
  let cache: ImageCache;

  before(async () => {
    config.cache = { dir: cacheDir, maxSize: 1 << 30, stallMs: 3600_000, writerTimeoutMs: 60_000, node: 'node-a', schedules: { prefetcher: null, pruner: null, cleaner: null } };
    api = await startApi(config);
    cache = api.app.get(ImageCache);
  });
  after(() => api.close());

  const upload = async (bytes: Buffer) => {
    const id = await createImage(api.url);
    assert.equal((await send(`${api.url}/v2/images/${id}/file`, 'PUT', octet(), bytes)).status, 204);
    return id;
  };
  const download = (id: string, headers: Record<string, string> = member) => send(`${api.url}/v2/images/${id}/file`, 'GET', headers);
  const entry = async (id: string) => (await cache.cached()).find((e) => e.imageId === id);

  it('caches a whole download in the same pass, then serves it and its ranges from local disk, counting hits', async () => {
    const bytes = randomBytes(5 * MiB + 333);
    const id = await upload(bytes);
    assert.equal(await entry(id), undefined);
    const first = await download(id);
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(bytes));
    const cached = await until('entry after the first download', () => entry(id), (e) => e !== undefined);
    assert.equal(cached!.size, bytes.length);
    assert.equal(cached!.hits, 0);
    assert.ok(readFileSync(join(cacheDir, id)).equals(bytes));
    assert.deepEqual(readdirSync(join(cacheDir, 'incomplete')), []);

    // The store loses the file: what answers now can only be the cache.
    rmSync(join(storeDir, id));
    const second = await download(id);
    assert.equal(second.status, 200);
    assert.equal(second.headers['content-length'], String(bytes.length));
    assert.ok(second.body.equals(bytes));
    const ranged = await download(id, { ...member, range: 'bytes=1000-2000999' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes 1000-2000999/${bytes.length}`);
    assert.ok(ranged.body.equals(bytes.subarray(1000, 2001000)));
    const suffix = await download(id, { ...member, range: 'bytes=-10' });
    assert.ok(suffix.body.equals(bytes.subarray(bytes.length - 10)));
    const after = (await entry(id))!;
    assert.equal(after.hits, 3);
    assert.ok(after.lastAccessed.getTime() >= cached!.lastAccessed.getTime());
    assert.ok(cache.stats.hits >= 3);
  });

  it('does not cache a ranged download, nor bytes whose md5 is not the image checksum', async () => {
    const bytes = randomBytes(2 * MiB);
    const id = await upload(bytes);
    assert.equal((await download(id, { ...member, range: 'bytes=0-99' })).status, 206);
    // Same size, other bytes: the store now returns data that does not match the image's checksum.
    const tampered = Buffer.from(bytes);
    tampered[12345] ^= 0xff;
    writeFileSync(join(storeDir, id), tampered);
    assert.equal((await download(id)).status, 200);
    // The fill wrote its partial file before the first byte went out; once it is gone the fill has ended.
    await until('partial file gone', async () => readdirSync(join(cacheDir, 'incomplete')), (names) => names.length === 0);
    assert.equal(await entry(id), undefined);
    assert.equal(existsSync(join(cacheDir, id)), false);
    assert.deepEqual(readdirSync(join(cacheDir, 'incomplete')), []);
  });

  it('leaves no entry and no partial file when the client goes away mid-download', async () => {
    const bytes = randomBytes(96 * MiB);
    const id = await upload(bytes);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${api.url}/v2/images/${id}/file`, { headers: member, agent: false }, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got >= 4 * MiB) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    await until('partial file gone', async () => readdirSync(join(cacheDir, 'incomplete')), (names) => names.length === 0);
    assert.equal(await entry(id), undefined);
    assert.equal(existsSync(join(cacheDir, id)), false);
    // The next whole download caches it.
    assert.ok((await download(id)).body.equals(bytes));
    await until('entry after a whole download', () => entry(id), (e) => e !== undefined);
  });

  it('never serves a deactivated image from the cache, even to an admin; reactivated, it is served again', async () => {
    const bytes = randomBytes(MiB + 1);
    const id = await upload(bytes);
    assert.ok((await download(id)).body.equals(bytes));
    await until('cached', () => entry(id), (e) => e !== undefined);
    rmSync(join(storeDir, id));
    const act = (action: string) => fetch(`${api.url}/v2/images/${id}/actions/${action}`, { method: 'POST', headers: admin });
    assert.equal((await act('deactivate')).status, 204);
    assert.equal((await download(id)).status, 403);
    // The admin may download a deactivated image, but from its store (gone here), never from the cache.
    assert.notEqual((await download(id, admin)).status, 200);
    assert.equal((await act('reactivate')).status, 204);
    const again = await download(id);
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(bytes));
  });

  it('never serves a deleted image from the cache', async () => {
    const bytes = randomBytes(MiB);
    const id = await upload(bytes);
    assert.ok((await download(id)).body.equals(bytes));
    await until('cached', () => entry(id), (e) => e !== undefined);
    assert.equal((await fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: member })).status, 204);
    assert.equal((await download(id)).status, 404);
    // An admin still sees the deleted record; its bytes can only come from the store (gone here), never the cache.
    rmSync(join(storeDir, id));
    assert.notEqual((await download(id, admin)).status, 200);
  });

  it('caches a v1 download too, and serves v1 from the cache', async () => {
    const bytes = randomBytes(MiB + 5);
    const id = await upload(bytes);
    const v1 = (path: string) => send(`${api.url}/v1/images/${path}`, 'GET', member);
    assert.ok((await v1(id)).body.equals(bytes));
    await until('cached by a v1 download', () => entry(id), (e) => e !== undefined);
    rmSync(join(storeDir, id));
    const again = await v1(id);
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(bytes));
  });
});
