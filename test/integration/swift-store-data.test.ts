import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import { StoreRegistry } from '@glimpse/storage';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, chunks, coreutilsDigests, createImage, member, octet, send, showImage, waitForImage } from '../support/image-data-client.js';
import { type RunningSwift, startSwift } from '../support/swift-server.js';
import { testConfig } from '../support/test-config.js';

const KiB = 1024;
const MiB = 1 << 20;
const SEGMENT = 512 * KiB;

describe('image data through a swift store configured by GLIMPSE_STORES', () => {
  let swift: RunningSwift;
  let api: RunningApi;
  let url: string;

  before(async () => {
    swift = await startSwift();
    const stores = [swift.storeEntry('swift', { description: 'Swift objects', large_object_size: 2 * MiB, segment_size: SEGMENT }), { id: 'local', type: 'file' }];
    api = await startApi(testConfig({ GLIMPSE_STORES: JSON.stringify(stores) }));
    url = api.url;
  });
  after(async () => {
    await api?.close();
    await swift?.close();
  });

  const upload = (id: string, body: Buffer | Iterable<Buffer>, headers: Record<string, string> = octet()) => send(`${url}/v2/images/${id}/file`, 'PUT', headers, body);
  const download = (id: string, headers: Record<string, string> = member) => send(`${url}/v2/images/${id}/file`, 'GET', headers);

  it('uploads (chunked, over the large-object size) as segments, downloads it whole and in ranges (206) across segments', async () => {
    const bytes = randomBytes(2 * MiB + 3 * SEGMENT + 99);
    const expected = coreutilsDigests(bytes);
    const id = await createImage(url);
    assert.equal((await upload(id, chunks(bytes, 100_000))).status, 204);
    const image = await showImage(url, id);
    assert.deepEqual([image.status, image.size, image.checksum, image.os_hash_value, image.stores], ['active', bytes.length, expected.md5, expected.sha512, 'swift']);
    assert.deepEqual(await swift.names('glance'), [id, ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${id}-0000${n}`)]);
    const locations = (await api.app.get(ImageRepository).findById(id))!.locations;
    assert.deepEqual(locations.map((l) => [l.url, l.store]), [[`swift+config://swift/glance/${id}`, 'swift']]);
    const whole = await download(id);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-length'], String(bytes.length));
    assert.ok(whole.body.equals(bytes));
    const ranged = await download(id, { ...member, range: `bytes=${SEGMENT - 3}-${3 * SEGMENT + 3}` });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes ${SEGMENT - 3}-${3 * SEGMENT + 3}/${bytes.length}`);
    assert.ok(ranged.body.equals(bytes.subarray(SEGMENT - 3, 3 * SEGMENT + 4)));
    const suffix = await download(id, { ...member, range: 'bytes=-10' });
    assert.ok(suffix.body.equals(bytes.subarray(-10)));
  });

  it('a segment missing behind Glimpse: the download answers 503 at once (no short body, no hang)', async () => {
    const bytes = randomBytes(3 * MiB);
    const id = await createImage(url);
    assert.equal((await upload(id, bytes)).status, 204);
    assert.equal((await swift.raw('DELETE', `/glance/${id}-00003`)).status, 204);
    const res = await download(id);
    assert.equal(res.status, 503);
    assert.match(res.body.toString(), /could be read/);
  });

  it('a client killed mid-upload leaves the image queued and nothing in the container', async () => {
    const id = await createImage(url);
    const req = request(`${url}/v2/images/${id}/file`, { method: 'PUT', agent: false, headers: { ...octet(), 'content-length': String(12 * MiB) } });
    req.on('error', () => undefined);
    req.write(randomBytes(2 * MiB + 3 * SEGMENT)); // past the large-object size: segments go up
    await waitForImage(url, id, (i) => i.status === 'saving');
    for (let i = 0; i < 200 && (await swift.names('glance', id)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await swift.names('glance', id)).length >= 2, 'segments are in Swift before the client goes');
    req.destroy();
    const image = await waitForImage(url, id, (i) => i.status === 'queued');
    assert.deepEqual([image.size, image.checksum], [null, null]);
    for (let i = 0; i < 100 && (await swift.names('glance', id)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await swift.names('glance', id), []);
  });

  it('Swift stopped mid-upload: a 503 in Glance\'s error shape (never a 500), the image queued again; Swift back: the upload works and leaves no stale segment', async () => {
    const id = await createImage(url);
    const bytes = randomBytes(2 * MiB + 6 * SEGMENT);
    const first = 2 * MiB + 2 * SEGMENT; // past the large-object size: segments go up
    const req = request(`${url}/v2/images/${id}/file`, { method: 'PUT', agent: false, headers: { ...octet(), 'content-length': String(bytes.length) } });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.once('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString() }));
        res.once('error', reject);
      });
      req.once('error', reject);
    });
    req.write(bytes.subarray(0, first));
    await waitForImage(url, id, (i) => i.status === 'saving');
    for (let i = 0; i < 200 && (await swift.names('glance', id)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await swift.names('glance', id)).length >= 2, 'segments are in Swift before it stops');
    await swift.stop();
    try {
      req.end(bytes.subarray(first));
      const { status, body } = await answer;
      assert.equal(status, 503, body);
      const error = JSON.parse(body) as { code: string; title: string; message: string };
      assert.equal(error.code, '503 Service Unavailable');
      assert.equal(error.title, 'Service Unavailable');
      assert.match(error.message, /Swift store swift: PUT glance\/.* failed after \d+ attempts/);
      assert.ok(!body.includes(swift.key));
      const image = await waitForImage(url, id, (i) => i.status === 'queued');
      assert.deepEqual([image.size, image.checksum], [null, null]);
    } finally {
      await swift.start();
    }
    // The segments written before the stop are still there (Swift was down for their removal); the next write
    // of the same image replaces them, so nothing of the failed one is left.
    assert.equal((await upload(id, bytes)).status, 204);
    const image = await showImage(url, id);
    assert.deepEqual([image.status, image.size, image.checksum], ['active', bytes.length, coreutilsDigests(bytes).md5]);
    assert.deepEqual(await swift.names('glance', id), [id, ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `${id}-${String(n).padStart(5, '0')}`)]);
    assert.ok((await download(id)).body.equals(bytes));
  });

  it('lists both stores; the detail shows container and auth URL but never the key', async () => {
    const res = await fetch(`${url}/v2/info/stores/detail`, { headers: admin });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.ok(!text.includes(swift.key), 'no key in the detail');
    const detail = JSON.parse(text) as { stores: Array<{ id: string; type: string; properties: Record<string, unknown> }> };
    assert.deepEqual(detail.stores[0], {
      id: 'swift',
      description: 'Swift objects',
      default: 'true',
      type: 'swift',
      weight: 0,
      properties: {
        container: 'glance',
        multiple_containers_seed: 0,
        reference: 'swift',
        auth_url: swift.authUrl,
        auth_version: 1,
        storage_url: null,
        large_object_size: 2 * MiB,
        segment_size: SEGMENT,
      },
    });
    assert.ok(api.app.get(StoreRegistry).find('swift'));
  });
});
