import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3StoreOptions } from '@glimpse/config';
import { ImageRepository } from '@glimpse/persistence';
import { closeIdleHashers, FileStore, HashingTap, LocationNotFound, S3Store } from '@glimpse/storage';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, chunks, coreutilsDigests, failingSource, createImage, member, octet, send, showImage, waitForImage } from '../support/image-data-client.js';
import { type RunningS3, startS3Server } from '../support/s3-server.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;
const PART = 5 * MiB;

describe('S3 store against a real S3 server (Versity Gateway)', () => {
  let s3: RunningS3;
  let store: S3Store;
  let options: S3StoreOptions;

  before(async () => {
    s3 = await startS3Server();
    options = {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: s3.bucket,
      accessKeyId: s3.accessKey,
      secretAccessKey: s3.secretKey,
      forcePathStyle: true,
      partSize: PART,
      queueSize: 2,
      prefix: 'images/',
    };
    store = new S3Store('objects', options);
  });
  after(async () => {
    await store?.close();
    await s3?.close();
    await closeIdleHashers();
  });

  it('round-trips random bytes (one PutObject) with md5 and sha512 equal to md5sum and sha512sum', async () => {
    const bytes = randomBytes(MiB + 4321);
    const expected = coreutilsDigests(bytes);
    const tap = new HashingTap({ hashAlgo: 'sha512' });
    const writing = store.put('small-one', tap);
    await pipeline(Readable.from(chunks(bytes, 100_000)), tap);
    const put = await writing;
    const digests = await tap.digest();
    assert.deepEqual(put, { location: `s3://${s3.bucket}/images/small-one`, size: bytes.length });
    assert.equal(digests.md5, expected.md5);
    assert.equal(digests.hashValue, expected.sha512);
    const back = await buffer(await store.get(put.location));
    assert.ok(back.equals(bytes));
    assert.deepEqual(coreutilsDigests(back), expected);
    assert.deepEqual(await store.stat(put.location), { size: bytes.length });
  });

  it('streams a body larger than the part size as a multipart upload, reads ranges across parts, deletes', async () => {
    const bytes = randomBytes(2 * PART + 3 * MiB + 17);
    const expected = coreutilsDigests(bytes);
    const tap = new HashingTap({ hashAlgo: 'sha512' });
    const writing = store.put('big-one', tap, { sizeHint: bytes.length });
    await pipeline(Readable.from(chunks(bytes, 256 * 1024)), tap);
    const put = await writing;
    const digests = await tap.digest();
    assert.equal(put.size, bytes.length);
    assert.deepEqual([digests.md5, digests.hashValue], [expected.md5, expected.sha512]);
    assert.deepEqual(await s3.pendingUploads(), []);
    assert.ok((await s3.keys()).includes('images/big-one'));
    // A multipart object's ETag is "<md5 of the part md5s>-<part count>": the upload really went in parts.
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'images/big-one' }));
    assert.match(head.ETag ?? '', /-3"?$/);
    assert.ok((await buffer(await store.get(put.location))).equals(bytes));
    const across = { start: PART - 10, end: PART + 9 };
    assert.ok((await buffer(await store.get(put.location, across))).equals(bytes.subarray(PART - 10, PART + 10)));
    const tail = { start: bytes.length - 5, end: bytes.length - 1 };
    assert.ok((await buffer(await store.get(put.location, tail))).equals(bytes.subarray(-5)));
    await store.delete(put.location);
    assert.equal(await store.stat(put.location), null);
    await assert.rejects(store.get(put.location), LocationNotFound);
    await store.delete(put.location); // already gone: not an error
    assert.ok(!(await s3.keys()).includes('images/big-one'));
  });

  it('leaves no object and no multipart upload behind when the source fails mid-way (small and multipart)', async () => {
    for (const [name, size] of [['fails-small', MiB], ['fails-big', 2 * PART + MiB]] as const) {
      await assert.rejects(store.put(name, failingSource(randomBytes(size))), /source failed/);
      assert.ok(!(await s3.keys()).includes(`images/${name}`), name);
    }
    assert.deepEqual(await s3.pendingUploads(), []);
  });

  it('lists the objects named like images under its prefix and aborts multipart uploads left stale', async () => {
    const put = await store.put('listed-one', Readable.from([randomBytes(1000)]));
    const foreign = new S3Store('foreign', { ...options, prefix: 'other/' });
    await foreign.put('not-mine', Readable.from([Buffer.from('x')]));
    const nested = await store.put('nested/deeper', Readable.from([Buffer.from('y')]));
    const listed = [];
    for await (const object of store.listObjects()) listed.push(object);
    const mine = listed.find((o) => o.imageId === 'listed-one');
    assert.equal(mine?.location, put.location);
    assert.ok(mine && Date.now() - mine.modifiedMs < 10 * 60_000, 'the modification time is recent');
    assert.ok(listed.every((o) => o.location.startsWith(`s3://${s3.bucket}/images/`) && !o.imageId.includes('/')), JSON.stringify(listed));

    // An upload an interrupted writer left open: kept while fresh, aborted once idle long enough.
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
    const open = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'images/interrupted' }));
    await client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: 'images/interrupted', UploadId: open.UploadId, PartNumber: 1, Body: randomBytes(1024) }));
    await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'other/interrupted' }));
    client.destroy();
    assert.equal(await store.removeStalePartials(3600_000), 0);
    assert.equal((await s3.pendingUploads()).length, 2);
    assert.equal(await store.removeStalePartials(0), 1);
    assert.deepEqual((await s3.pendingUploads()).map((u) => u.split(':')[0]), ['other/interrupted']);
    await foreign.removeStalePartials(0);
    await foreign.close();
    await store.delete(nested.location);
  });

  it('refuses locations outside its bucket', async () => {
    await assert.rejects(store.get('s3://other-bucket/images/x'), /not in store/);
    await assert.rejects(store.get('file:///etc/passwd'), /not in store/);
  });
});

describe('image data through an s3 store configured by GLIMPSE_STORES', () => {
  let s3: RunningS3;
  let api: RunningApi;
  let url: string;

  before(async () => {
    s3 = await startS3Server();
    const stores = [s3.storeEntry('objects', { part_size_mb: 5, description: 'S3 objects' }), { id: 'local', type: 'file' }];
    const config = testConfig({ GLIMPSE_STORES: JSON.stringify(stores), GLIMPSE_IMAGE_SIZE_CAP: String(16 * MiB) });
    api = await startApi(config);
    url = api.url;
  });
  after(async () => {
    await api?.close();
    await s3?.close();
  });

  const upload = (id: string, body: Buffer | Iterable<Buffer>, headers: Record<string, string> = octet()) =>
    send(`${url}/v2/images/${id}/file`, 'PUT', headers, body);
  const download = (id: string, headers: Record<string, string> = member) => send(`${url}/v2/images/${id}/file`, 'GET', headers);

  it('uploads (chunked, over the part size) into the default s3 store and downloads it whole and in ranges', async () => {
    const bytes = randomBytes(PART + 2 * MiB + 99);
    const expected = coreutilsDigests(bytes);
    const id = await createImage(url);
    assert.equal((await upload(id, chunks(bytes, 100_000))).status, 204);
    const image = await showImage(url, id);
    assert.deepEqual([image.status, image.size, image.checksum, image.os_hash_value, image.stores], ['active', bytes.length, expected.md5, expected.sha512, 'objects']);
    assert.deepEqual(await s3.keys(), [id]);
    assert.deepEqual(await s3.pendingUploads(), []);
    const locations = (await api.app.get(ImageRepository).findById(id))!.locations;
    assert.deepEqual(locations.map((l) => [l.url, l.store]), [[`s3://${s3.bucket}/${id}`, 'objects']]);
    const whole = await download(id);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-md5'], expected.md5);
    assert.equal(whole.headers['content-length'], String(bytes.length));
    assert.ok(whole.body.equals(bytes));
    const ranged = await download(id, { ...member, range: `bytes=${PART - 3}-${PART + 3}` });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes ${PART - 3}-${PART + 3}/${bytes.length}`);
    assert.ok(ranged.body.equals(bytes.subarray(PART - 3, PART + 4)));
    const suffix = await download(id, { ...member, range: 'bytes=-10' });
    assert.ok(suffix.body.equals(bytes.subarray(-10)));
  });

  it('X-Image-Meta-Store picks the file store; a download falls back from a lost s3 object to the file copy', async () => {
    const bytes = randomBytes(MiB + 5);
    const id = await createImage(url);
    assert.equal((await upload(id, bytes, octet({ ...member, 'x-image-meta-store': 'local' }))).status, 204);
    assert.equal((await showImage(url, id)).stores, 'local');
    assert.ok(!(await s3.keys()).includes(id));

    // A second image whose data is in both stores, s3 first; then the s3 object disappears.
    const both = await createImage(url);
    assert.equal((await upload(both, bytes)).status, 204);
    const repo = api.app.get(ImageRepository);
    const s3Location = (await repo.findById(both))!.locations[0]!;
    const fileLocation = (await repo.findById(id))!.locations[0]!;
    const copy = await new FileStore('local', dirname(fileURLToPath(fileLocation.url))).put(both, Readable.from([bytes]));
    await repo.update(both, {}, { locations: [s3Location, { url: copy.location, store: 'local', metadata: { store: 'local' }, status: 'active' }] });
    assert.equal((await showImage(url, both)).stores, 'objects,local');
    assert.ok((await download(both)).body.equals(bytes));
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: both }));
    const fallback = await download(both);
    assert.equal(fallback.status, 200);
    assert.ok(fallback.body.equals(bytes));
  });

  it('a client killed mid-upload leaves the image queued and no object or multipart upload in the bucket', async () => {
    const before = await s3.keys();
    const id = await createImage(url);
    const req = request(`${url}/v2/images/${id}/file`, { method: 'PUT', agent: false, headers: { ...octet(), 'content-length': String(12 * MiB) } });
    req.on('error', () => undefined);
    req.write(randomBytes(PART + MiB)); // past the first part: a multipart upload is under way
    await waitForImage(url, id, (i) => i.status === 'saving');
    for (let i = 0; i < 100 && (await s3.pendingUploads()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await s3.pendingUploads()).length, 1, 'a multipart upload is under way before the client goes');
    req.destroy();
    const image = await waitForImage(url, id, (i) => i.status === 'queued');
    assert.deepEqual([image.size, image.checksum, image.stores], [null, null, undefined]);
    for (let i = 0; i < 100 && (await s3.pendingUploads()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await s3.pendingUploads(), []);
    assert.deepEqual(await s3.keys(), before);
  });

  it('cuts a body over the cap with 413 and keeps nothing in the bucket', async () => {
    const before = await s3.keys();
    const id = await createImage(url);
    const res = await upload(id, chunks(randomBytes(17 * MiB), 256 * 1024));
    assert.equal(res.status, 413);
    assert.equal((await waitForImage(url, id, (i) => i.status === 'queued')).size, null);
    for (let i = 0; i < 100 && (await s3.pendingUploads()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await s3.pendingUploads(), []);
    assert.deepEqual(await s3.keys(), before);
  });

  it('lists both stores; the detail shows the bucket and endpoint but never the keys', async () => {
    const list = await (await fetch(`${url}/v2/info/stores`, { headers: member })).json();
    assert.deepEqual(list, { stores: [{ id: 'objects', description: 'S3 objects', default: 'true' }, { id: 'local' }] });
    const res = await fetch(`${url}/v2/info/stores/detail`, { headers: admin });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.ok(!text.includes(s3.secretKey) && !text.includes(s3.accessKey));
    const detail = JSON.parse(text) as { stores: Array<{ id: string; type: string; properties: Record<string, unknown> }> };
    assert.deepEqual(detail.stores[0], {
      id: 'objects',
      description: 'S3 objects',
      default: 'true',
      type: 's3',
      weight: 0,
      properties: { bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1' },
    });
  });
});
