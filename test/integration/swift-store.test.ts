import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { loadConfig, parseStores, type StoreConfig } from '@glimpse/config';
import { closeIdleHashers, ImageWriter, LocationNotFound, SwiftStore } from '@glimpse/storage';
import { chunks, coreutilsDigests, failingSource } from '../support/image-data-client.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { type RunningSwift, startSwift } from '../support/swift-server.js';

const KiB = 1024;
const MiB = 1 << 20;

/** A swift store on the test Swift, configured the way GLIMPSE_STORES does. */
function swiftStore(swift: RunningSwift, id: string, extra: Record<string, unknown> = {}): SwiftStore {
  const [config] = parseStores(JSON.stringify([swift.storeEntry(id, extra)]), '/nonexistent');
  const c = config as Extract<StoreConfig, { type: 'swift' }>;
  return new SwiftStore(c.id, c, c.weight, c.description);
}

/** The one writer of image bytes, as uploads, imports and copies use it: the store is handed the hasher's ring slots. */
const imageWriter = new ImageWriter(loadConfig({ ...process.env, GLIMPSE_HASH_ALGO: 'sha512' }).storage);

/** Writes `bytes` (in chunks of `chunk`) through the image writer, as an upload does; the store's result and the digests. */
async function putHashed(store: SwiftStore, id: string, bytes: Buffer, chunk = 64 * KiB, sizeHint?: number) {
  return writeImage(store, id, Readable.from(chunks(bytes, chunk)), { sizeHint });
}

async function writeImage(store: SwiftStore, id: string, source: Readable, options: { sizeHint?: number; signal?: AbortSignal } = {}) {
  const copy = await imageWriter.write({ image: { id, osHashAlgo: null }, store, source, ...options });
  return { put: { location: copy.location.url, size: copy.size }, digests: { md5: copy.checksum, hashValue: copy.osHashValue } };
}

describe('Swift store against a real Swift (tempauth v1)', () => {
  let swift: RunningSwift;
  let store: SwiftStore;

  before(async () => {
    swift = await startSwift();
    store = swiftStore(swift, 'objects', { container: 'images', large_object_size: MiB, segment_size: 256 * KiB });
  });
  after(async () => {
    await store?.close();
    await swift?.close();
    await closeIdleHashers();
  });

  it('creates the container on the first put, round-trips one object with md5/sha512 as coreutils, stats and deletes it', async () => {
    assert.deepEqual(await swift.names('images'), []);
    const id = randomUUID();
    const bytes = randomBytes(300 * KiB + 7);
    const expected = coreutilsDigests(bytes);
    const { put, digests } = await putHashed(store, id, bytes);
    assert.deepEqual(put, { location: `swift+config://objects/images/${id}`, size: bytes.length });
    assert.deepEqual([digests.md5, digests.hashValue], [expected.md5, expected.sha512]);
    assert.deepEqual(await swift.names('images'), [id], 'one object, no segments below the large-object size');
    const head = await swift.raw('HEAD', `/images/${id}`);
    assert.equal(head.headers.get('etag'), expected.md5, "Swift's own md5 of what it stored");
    assert.ok((await buffer(await store.get(put.location))).equals(bytes));
    assert.deepEqual(await store.stat(put.location), { size: bytes.length });
    await store.delete(put.location);
    assert.equal(await store.stat(put.location), null);
    await assert.rejects(store.get(put.location), LocationNotFound);
    await store.delete(put.location); // already gone: not an error
    assert.deepEqual(await swift.names('images'), []);
  });

  it('keeps an empty image as one zero-byte object', async () => {
    const id = randomUUID();
    const { put, digests } = await putHashed(store, id, Buffer.alloc(0));
    assert.equal(put.size, 0);
    assert.equal(digests.md5, 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal((await buffer(await store.get(put.location, undefined, { size: 0 }))).length, 0);
    await store.delete(put.location);
  });

  it('a missing container with create_container_on_put off is a clear error, not a write', async () => {
    const strict = swiftStore(swift, 'strict', { container: 'not-there', create_container_on_put: false });
    try {
      await assert.rejects(strict.put(randomUUID(), Readable.from([Buffer.from('x')])), (err: Error & { kind?: string }) => {
        assert.equal(err.kind, 'unavailable');
        assert.match(err.message, /container not-there does not exist \(create it, or set create_container_on_put\)/);
        return true;
      });
      assert.equal((await swift.raw('HEAD', '/not-there')).status, 404);
    } finally {
      await strict.close();
    }
  });

  it('never shows the key: not in locations, properties or an auth failure', async () => {
    const props = JSON.stringify(store.properties());
    assert.ok(!props.includes(swift.key), props);
    assert.deepEqual(store.properties(), {
      container: 'images',
      multiple_containers_seed: 0,
      reference: 'objects',
      auth_url: swift.authUrl,
      auth_version: 1,
      storage_url: null,
      large_object_size: MiB,
      segment_size: 256 * KiB,
    });
    const wrong = swiftStore(swift, 'wrong', { key: 'wrong-key-1234', container: 'images' });
    try {
      await assert.rejects(wrong.stat(`swift+config://wrong/images/${randomUUID()}`), (err: Error) => {
        assert.match(err.message, /authentication at .* answered HTTP 401/);
        assert.ok(!err.message.includes('wrong-key-1234'));
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('another account cannot read the images container', async () => {
    const id = randomUUID();
    const { put } = await putHashed(store, id, randomBytes(1000));
    const res = await fetch(`${swift.storageUrl}/images/${id}`, { headers: { 'x-auth-token': await swift.token('other') } });
    await res.body?.cancel();
    assert.equal(res.status, 403);
    await store.delete(put.location);
  });

  it('refuses locations of another reference or another host', async () => {
    await assert.rejects(store.get(`swift+config://elsewhere/images/${randomUUID()}`), /not in store objects/);
    await assert.rejects(store.get(`swift+http://u:k@203.0.113.9:8080/auth/v1.0/images/${randomUUID()}`), /another host/);
    await assert.rejects(store.get('s3://bucket/key'), /Invalid Swift location/);
  });

  it('writes at and above the large-object size as Glance does: segments <id>-00001… and a DLO manifest; reads ranges across them', async () => {
    for (const [size, segments] of [[MiB, 4], [MiB + 100 * KiB + 3, 5], [MiB - 1, 0]] as const) {
      const id = randomUUID();
      const bytes = randomBytes(size);
      const expected = coreutilsDigests(bytes);
      const { put, digests } = await putHashed(store, id, bytes, 100_000);
      assert.deepEqual([put.size, digests.md5, digests.hashValue], [size, expected.md5, expected.sha512]);
      const names = await swift.names('images', id);
      assert.deepEqual(names, [id, ...Array.from({ length: segments }, (_, i) => `${id}-0000${i + 1}`)], `${size} bytes`);
      const head = await swift.raw('HEAD', `/images/${id}`);
      assert.equal(head.headers.get('x-object-manifest'), segments ? `images/${id}-` : null);
      assert.equal(head.headers.get('content-length'), String(size));
      if (segments) {
        const seg = await swift.raw('HEAD', `/images/${id}-00001`);
        assert.equal(seg.headers.get('content-length'), String(256 * KiB), 'each segment the segment size but the last');
      }
      assert.ok((await buffer(await store.get(put.location, undefined, { size }))).equals(bytes));
      const across = { start: 256 * KiB - 10, end: 2 * 256 * KiB + 9 };
      assert.ok((await buffer(await store.get(put.location, across, { size }))).equals(bytes.subarray(across.start, across.end + 1)));
      const tail = { start: size - 5, end: size - 1 };
      assert.ok((await buffer(await store.get(put.location, tail, { size }))).equals(bytes.subarray(-5)));
      assert.deepEqual(await store.stat(put.location), { size });
      await store.delete(put.location);
      assert.deepEqual(await swift.names('images', id), [], 'the manifest and every segment are gone');
    }
  });

  it("1 GiB in Glance's default 200 MB segments (204,800,000 B): six segments, digests as node:crypto's, a range across a boundary", async () => {
    const GiB = 1 << 30;
    const SEG = 204_800_000; // glance_store's 200 "MB" of 1,024,000 B
    const big = swiftStore(swift, 'objects', { container: 'images', large_object_size: SEG, segment_size: SEG });
    const block = randomBytes(16 * MiB);
    const source = () => Readable.from((function* () { for (let i = 0; i < GiB / block.length; i++) yield block; })());
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    for (let i = 0; i < GiB / block.length; i++) (md5.update(block), sha512.update(block));
    try {
      const id = randomUUID();
      const { put, digests } = await writeImage(big, id, source());
      assert.deepEqual([put.size, digests.md5, digests.hashValue], [GiB, md5.digest('hex'), sha512.digest('hex')]);
      assert.deepEqual(await swift.names('images', id), [id, ...[1, 2, 3, 4, 5, 6].map((n) => `${id}-0000${n}`)]);
      const back = createHash('md5');
      let length = 0;
      for await (const chunk of await big.get(put.location, undefined, { size: GiB })) (back.update(chunk as Buffer), (length += (chunk as Buffer).length));
      assert.deepEqual([length, back.digest('hex')], [GiB, digests.md5]);
      const range = { start: SEG - 8, end: SEG + 7 };
      const expected = Buffer.concat([block, block]).subarray(range.start % block.length, (range.start % block.length) + 16);
      assert.ok((await buffer(await big.get(put.location, range, { size: GiB }))).equals(expected));
      await big.delete(put.location);
      assert.deepEqual(await swift.names('images', id), []);
    } finally {
      await big.close();
    }
  });

  it('a size that differs from the recorded one fails before the first byte (a DLO missing a segment)', async () => {
    const id = randomUUID();
    const bytes = randomBytes(MiB + 5);
    const { put } = await putHashed(store, id, bytes);
    assert.equal((await swift.raw('DELETE', `/images/${id}-00002`)).status, 204);
    await assert.rejects(store.get(put.location, undefined, { size: bytes.length }), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, new RegExp(`holds ${bytes.length - 256 * KiB} bytes where the image has ${bytes.length}`));
      return true;
    });
    await assert.rejects(store.get(put.location, { start: 0, end: 9 }, { size: bytes.length }), /a segment missing/);
    await store.delete(put.location);
    assert.deepEqual(await swift.names('images', id), []);
  });

  it('leaves nothing behind when the source fails or the write is aborted (one object and segmented)', async () => {
    for (const size of [100 * KiB, 3 * MiB]) {
      const id = randomUUID();
      await assert.rejects(writeImage(store, id, failingSource(randomBytes(size))), /source failed/);
      assert.deepEqual(await swift.names('images', id), [], `${size}: source failed`);
      // The store's own stream path (put, without the image writer's ring) cleans up the same way.
      await assert.rejects(store.put(id, failingSource(randomBytes(size))), /source failed/);
      assert.deepEqual(await swift.names('images', id), [], `${size}: source of put() failed`);
    }
    const id = randomUUID();
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    const writing = writeImage(store, id, source, { signal: controller.signal });
    for (let i = 0; i < 8; i++) source.push(randomBytes(256 * KiB)); // past the large-object size: segments go up
    for (let i = 0; i < 100 && (await swift.names('images', id)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await swift.names('images', id)).length >= 2, 'segments were written before the abort');
    controller.abort(new Error('client went away'));
    await assert.rejects(writing, /client went away/);
    assert.deepEqual(await swift.names('images', id), []);
  });

  it('a segment PUT that fails on the network is sent again without failing the image; a DLO is read segment by segment (ranges mapped onto them), a cut segment resumes', async () => {
    const proxy = new FaultProxy(swift.storageUrl.replace(/\/v1\/.*$/, ''));
    const base = await proxy.start();
    const flaky = swiftStore(swift, 'objects', { container: 'images', large_object_size: MiB, segment_size: 256 * KiB, storage_url: `${base}/v1/AUTH_glimpse` });
    try {
      const id = randomUUID();
      proxy.fault = (req) => (req.method === 'PUT' && req.url?.endsWith(`${id}-00002`) && proxy.faults === 0 ? { kind: 'reset' } : undefined);
      const bytes = randomBytes(MiB + 3);
      const expected = coreutilsDigests(bytes);
      const { put, digests } = await putHashed(flaky, id, bytes);
      assert.equal(proxy.faults, 1, 'the second segment failed once');
      assert.deepEqual([put.size, digests.md5], [bytes.length, expected.md5]);
      assert.equal((await swift.names('images', id)).length, 6);

      // The DLO is read from its segments, one GET each (not through the manifest: Swift's proxy assembling it
      // costs ~40 %); the second segment's first GET is cut after 100 KiB: the read resumes there with Range.
      const gets: string[] = [];
      let cuts = 0;
      proxy.fault = (req) => {
        if (req.method !== 'GET' || !req.url?.includes(`/${id}`)) return undefined;
        gets.push(`${req.url.slice(req.url.indexOf(id) + id.length)} ${req.headers.range ?? ''}`.trim());
        return req.url.endsWith(`${id}-00002`) && cuts++ === 0 ? { kind: 'cut', afterBytes: 100 * KiB } : undefined;
      };
      const back = await buffer(await flaky.get(put.location, undefined, { size: bytes.length }));
      assert.ok(back.equals(bytes));
      const segment = (n: number, from: number, to: number) => `-0000${n} bytes=${from}-${to}`;
      assert.deepEqual(gets, ['?multipart-manifest=get', segment(1, 0, 256 * KiB - 1), segment(2, 0, 256 * KiB - 1), segment(2, 100 * KiB, 256 * KiB - 1), segment(3, 0, 256 * KiB - 1), segment(4, 0, 256 * KiB - 1), segment(5, 0, 2)]);

      // A range across segments 2–4 asks each only for its part.
      gets.length = 0;
      const part = await buffer(await flaky.get(put.location, { start: 256 * KiB + 5, end: 3 * 256 * KiB + 9 }, { size: bytes.length }));
      assert.ok(part.equals(bytes.subarray(256 * KiB + 5, 3 * 256 * KiB + 10)));
      assert.deepEqual(gets.slice(1), [segment(2, 5, 256 * KiB - 1), segment(3, 0, 256 * KiB - 1), segment(4, 0, 9)]);

      // Every GET cut: after the bounded resumes (2 in all) the stream fails instead of hanging or ending short
      // (segment 1 is read in three GETs, the third whole; the next cut is the end).
      gets.length = 0;
      proxy.fault = (req) => (req.method === 'GET' && req.url?.includes(`/${id}-`) ? (gets.push(req.url), { kind: 'cut', afterBytes: 100 * KiB }) : undefined);
      await assert.rejects(buffer(await flaky.get(put.location, undefined, { size: bytes.length })), /Swift read failed after 364544 of 1048579 bytes/);
      assert.equal(gets.length, 4);
      await flaky.delete(put.location);
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });

  it('the next segment goes up while Swift still finishes the last one, never more than two at once', async () => {
    // Swift's answer to each segment PUT held back 300 ms (its fsync and container update, made slow): the next
    // segment's PUT must already be under way meanwhile, and the source is read on only once the older is confirmed.
    const proxy = new FaultProxy(swift.storageUrl.replace(/\/v1\/.*$/, ''));
    const base = await proxy.start();
    const slow = swiftStore(swift, 'objects', { container: 'images', large_object_size: MiB, segment_size: 256 * KiB, storage_url: `${base}/v1/AUTH_glimpse` });
    try {
      const id = randomUUID();
      const isSegmentPut = (req: IncomingMessage) => req.method === 'PUT' && /-\d{5}$/.test(req.url ?? '') && req.url!.includes(id);
      let open = 0;
      let most = 0;
      proxy.fault = (req) => {
        if (!isSegmentPut(req)) return undefined;
        most = Math.max(most, ++open);
        return { kind: 'delay', ms: 300 };
      };
      proxy.answered = (req) => void (isSegmentPut(req) && open--);
      const bytes = randomBytes(2 * MiB + 5);
      const expected = coreutilsDigests(bytes);
      const { put, digests } = await putHashed(slow, id, bytes);
      assert.deepEqual([put.size, digests.md5, digests.hashValue], [bytes.length, expected.md5, expected.sha512]);
      assert.equal(most, 2, 'a segment PUT started before the one before it was answered, and no third one');
      assert.equal((await swift.names('images', id)).length, 10, 'the manifest and nine segments');
      assert.ok((await buffer(await slow.get(put.location, undefined, { size: bytes.length }))).equals(bytes));
      await slow.delete(put.location);
    } finally {
      await slow.close();
      await proxy.close();
    }
  });

  it('with the size announced, a segment goes up as it fills (its PUT under way before its last byte came), one reset is sent again whole; a wrong size still stores the image intact', async () => {
    const proxy = new FaultProxy(swift.storageUrl.replace(/\/v1\/.*$/, ''));
    const base = await proxy.start();
    const streaming = swiftStore(swift, 'objects', { container: 'images', large_object_size: 2 * MiB, segment_size: 2 * MiB, storage_url: `${base}/v1/AUTH_glimpse` });
    try {
      const id = randomUUID();
      let firstPut = false;
      // The second segment's streamed PUT is reset once: it is sent again, whole, and the image does not fail.
      proxy.fault = (req) => {
        if (req.method === 'PUT' && req.url?.endsWith(`${id}-00001`)) firstPut = true;
        return req.method === 'PUT' && req.url?.endsWith(`${id}-00002`) && proxy.faults === 0 ? { kind: 'reset' } : undefined;
      };
      const bytes = randomBytes(5 * MiB + 5);
      let putBeforeRest: boolean | undefined;
      const source = Readable.from(
        (async function* () {
          yield bytes.subarray(0, MiB); // one slot of the hasher's ring: half of the first segment
          for (let i = 0; i < 250 && !firstPut; i++) await new Promise((r) => setTimeout(r, 20));
          putBeforeRest = firstPut;
          yield bytes.subarray(MiB);
        })(),
      );
      const expected = coreutilsDigests(bytes);
      const { put, digests } = await writeImage(streaming, id, source, { sizeHint: bytes.length });
      assert.equal(putBeforeRest, true, "the first segment's PUT started with its first MiB");
      assert.equal(proxy.faults, 1, 'the second segment failed once');
      assert.deepEqual([put.size, digests.md5, digests.hashValue], [bytes.length, expected.md5, expected.sha512]);
      assert.deepEqual(await swift.names('images', id), [id, `${id}-00001`, `${id}-00002`, `${id}-00003`]);
      assert.ok((await buffer(await streaming.get(put.location, undefined, { size: bytes.length }))).equals(bytes));
      await streaming.delete(put.location);
      // An announced size a MiB short, or a MiB over: the segment whose length it got wrong is sent again whole.
      for (const sizeHint of [bytes.length - MiB, bytes.length + MiB]) {
        const other = randomUUID();
        const { put: again } = await writeImage(streaming, other, Readable.from(chunks(bytes, 64 * KiB)), { sizeHint });
        assert.equal(again.size, bytes.length, `announced ${sizeHint}`);
        assert.ok((await buffer(await streaming.get(again.location, undefined, { size: bytes.length }))).equals(bytes), `announced ${sizeHint}: the same bytes`);
        assert.deepEqual(await swift.names('images', other), [other, `${other}-00001`, `${other}-00002`, `${other}-00003`]);
        await streaming.delete(again.location);
      }
    } finally {
      await streaming.close();
      await proxy.close();
    }
  });

  it('deletes a DLO past a listing page; lists images (not segments) for the auditor; removes orphan segments by age', async () => {
    const paged = swiftStore(swift, 'objects', { container: 'images', large_object_size: 64 * KiB, segment_size: 16 * KiB, listing_limit: 3 });
    try {
      const image = randomUUID();
      const { put } = await putHashed(paged, image, randomBytes(200 * KiB), 10_000);
      assert.equal((await swift.names('images', image)).length, 14, 'a manifest and 13 segments');
      // A writer killed mid-upload: segments, no manifest.
      const dead = randomUUID();
      for (const n of ['00001', '00002']) assert.equal((await swift.raw('PUT', `/images/${dead}-${n}`, { body: randomBytes(100) })).status, 201);
      const listed = [];
      for await (const object of paged.listObjects()) listed.push(object);
      assert.deepEqual(listed.map((o) => [o.imageId, o.location]), [[image, put.location]]);
      assert.ok(Date.now() - listed[0]!.modifiedMs < 10 * 60_000, 'the modification time is recent');
      assert.equal(await paged.removeStalePartials(3600_000), 0, 'young segments stay (a live writer may be adding)');
      assert.equal(await paged.removeStalePartials(0), 2);
      assert.deepEqual(await swift.names('images', dead), []);
      assert.equal((await swift.names('images', image)).length, 14, "a complete image's segments stay");
      await paged.delete(put.location);
      assert.deepEqual(await swift.names('images', image), []);
    } finally {
      await paged.close();
    }
  });

  it('seeded containers: <container>_<first N chars>, dashes not counted, all listed', async () => {
    const seeded = swiftStore(swift, 'objects', { container: 'glance', multiple_containers_seed: 3 });
    try {
      const id = `ab-c${randomUUID().slice(4)}`;
      const { put } = await putHashed(seeded, id, randomBytes(100));
      assert.equal(put.location, `swift+config://objects/glance_ab-c/${id}`, 'three characters and the dash among them');
      const other = randomUUID();
      const second = await putHashed(seeded, other, randomBytes(100));
      const listed = [];
      for await (const object of seeded.listObjects()) listed.push(object.location);
      assert.deepEqual(listed.sort(), [put.location, second.put.location].sort());
      await seeded.delete(put.location);
      await seeded.delete(second.put.location);
    } finally {
      await seeded.close();
    }
  });

  it('Swift stopped: a bounded 503; started again (tokens lost): re-authenticates on 401 and works', async () => {
    const id = randomUUID();
    const bytes = randomBytes(2000);
    const { put } = await putHashed(store, id, bytes);
    const before = store.client.authentications;
    await swift.stop();
    await assert.rejects(store.stat(put.location), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /HEAD images\/.* failed after 4 attempts/);
      return true;
    });
    await swift.start();
    assert.ok((await buffer(await store.get(put.location))).equals(bytes));
    assert.equal(store.client.authentications, before + 1, 'one new token after the restart emptied memcached');
  });

  it('token expiry (SWIFT_TOKEN_LIFE=3): the token is renewed before it runs out', async () => {
    await swift.stop();
    await swift.start({ SWIFT_TOKEN_LIFE: '3' });
    const short = swiftStore(swift, 'objects', { container: 'images' });
    try {
      const id = randomUUID();
      const { put } = await putHashed(short, id, randomBytes(100));
      const first = short.client.authentications;
      await new Promise((r) => setTimeout(r, 6000));
      assert.deepEqual(await short.stat(put.location), { size: 100 });
      assert.ok(short.client.authentications > first, 'a new token for the request after expiry');
      await short.delete(put.location);
    } finally {
      await short.close();
    }
  });
});
