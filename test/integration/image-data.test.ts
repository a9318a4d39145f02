import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import {
  admin,
  chunks,
  coreutilsDigests,
  createImage,
  filesUnder,
  member,
  octet,
  send,
  showImage,
  waitForImage,
} from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;

describe('image data over file stores', () => {
  const config = testConfig({ GLIMPSE_STORES: 'fast:file,slow:file', GLIMPSE_DEFAULT_STORE: 'fast', GLIMPSE_IMAGE_SIZE_CAP: String(4 * MiB) });
  const storeDirs = () => [join(config.dataDir, 'stores', 'fast'), join(config.dataDir, 'stores', 'slow'), config.storage.stagingDir];
  let api: RunningApi;
  let url: string;

  before(async () => {
    api = await startApi(config);
    url = api.url;
  });
  after(() => api.close());

  const upload = (id: string, body: Buffer | Iterable<Buffer>, headers: Record<string, string> = octet()) =>
    send(`${url}/v2/images/${id}/file`, 'PUT', headers, body);
  const download = (id: string, headers: Record<string, string> = member) => send(`${url}/v2/images/${id}/file`, 'GET', headers);

  it('round-trips random bytes with md5 and sha512 equal to md5sum and sha512sum', async () => {
    const bytes = randomBytes(3 * MiB + 12345);
    const expected = coreutilsDigests(bytes);
    const id = await createImage(url);
    assert.equal((await upload(id, bytes)).status, 204);
    const image = await showImage(url, id);
    assert.equal(image.status, 'active');
    assert.equal(image.size, bytes.length);
    assert.equal(image.checksum, expected.md5);
    assert.equal(image.os_hash_algo, 'sha512');
    assert.equal(image.os_hash_value, expected.sha512);
    assert.equal(image.stores, 'fast');
    const res = await download(id);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-md5'], expected.md5);
    assert.equal(res.headers['content-length'], String(bytes.length));
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.ok(res.body.equals(bytes));
    assert.deepEqual(filesUnder(storeDirs()[0]!).map((f) => f.split('/').pop()), [id]);
  });

  it('takes a chunked body into the store named by X-Image-Meta-Store, and an empty one', async () => {
    const bytes = randomBytes(MiB + 7);
    const id = await createImage(url);
    assert.equal((await upload(id, chunks(bytes, 70_000), octet({ ...member, 'x-image-meta-store': 'slow' }))).status, 204);
    const image = await showImage(url, id);
    assert.equal(image.stores, 'slow');
    assert.equal(image.checksum, coreutilsDigests(bytes).md5);
    assert.ok((await download(id)).body.equals(bytes));
    const empty = await createImage(url);
    assert.equal((await upload(empty, Buffer.alloc(0))).status, 204);
    const shown = await showImage(url, empty);
    assert.deepEqual([shown.status, shown.size, shown.checksum], ['active', 0, 'd41d8cd98f00b204e9800998ecf8427e']);
  });

  it('refuses bad uploads with Glance errors and leaves the image queued', async () => {
    const id = await createImage(url);
    assert.equal((await upload(id, Buffer.from('abc'), { ...member, 'content-type': 'application/json' })).status, 415);
    assert.equal((await upload(id, Buffer.from('abc'), octet({ ...member, 'x-image-meta-store': 'nowhere' }))).status, 400);
    assert.equal((await upload(id, Buffer.from('abc'), octet({ ...member, 'x-openstack-image-size': '4' }))).status, 400);
    const noFormats = await createImage(url, member, { disk_format: undefined, container_format: undefined });
    const res = await upload(noFormats, Buffer.from('abc'));
    assert.equal(res.status, 400);
    assert.match(res.body.toString(), /disk_format, container_format must be set/);
    const other = await upload(id, Buffer.from('abc'), octet({ ...member, 'x-project-id': 'p2' }));
    assert.equal(other.status, 404);
    const image = await showImage(url, id);
    assert.deepEqual([image.status, image.size, image.checksum], ['queued', null, null]);
    assert.equal((await upload(id, Buffer.from('abc'))).status, 204);
    const twice = await upload(id, Buffer.from('abc'));
    assert.equal(twice.status, 409);
    assert.match(twice.body.toString(), /from active to saving is not allowed/);
  });

  it('cuts a body over image_size_cap with 413 and keeps nothing (declared or chunked)', async () => {
    const before = filesUnder(storeDirs()[0]!);
    const declared = await createImage(url);
    assert.equal((await upload(declared, randomBytes(4 * MiB + 1))).status, 413);
    const chunked = await createImage(url);
    const res = await upload(chunked, chunks(randomBytes(6 * MiB)));
    assert.equal(res.status, 413);
    assert.match(res.body.toString(), /too large/);
    for (const id of [declared, chunked]) {
      const image = await waitForImage(url, id, (i) => i.status === 'queued');
      assert.equal(image.size, null);
    }
    assert.deepEqual(filesUnder(storeDirs()[0]!), before);
    const atCap = await createImage(url);
    assert.equal((await upload(atCap, chunks(randomBytes(4 * MiB)))).status, 204);
  });

  it('returns the image to queued and deletes the partial bytes when the client is killed mid-upload', async () => {
    const before = storeDirs().flatMap(filesUnder);
    const id = await createImage(url);
    const req = request(`${url}/v2/images/${id}/file`, {
      method: 'PUT',
      agent: false,
      headers: { ...octet(), 'content-length': String(3 * MiB) },
    });
    req.on('error', () => undefined);
    req.write(randomBytes(MiB));
    await waitForImage(url, id, (i) => i.status === 'saving');
    req.destroy();
    const image = await waitForImage(url, id, (i) => i.status === 'queued');
    assert.equal(image.size, null);
    assert.equal(image.checksum, null);
    for (let i = 0; i < 50 && storeDirs().flatMap(filesUnder).length !== before.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(storeDirs().flatMap(filesUnder), before);
    assert.equal((await upload(id, Buffer.from('again'))).status, 204);
  });

  it('lets exactly one of two concurrent uploads win', async () => {
    const id = await createImage(url);
    const a = randomBytes(2 * MiB);
    const b = randomBytes(2 * MiB);
    const results = await Promise.all([upload(id, chunks(a)), upload(id, chunks(b))]);
    assert.deepEqual(results.map((r) => r.status).sort(), [204, 409]);
    const winner = results[0]!.status === 204 ? a : b;
    const image = await showImage(url, id);
    assert.equal(image.checksum, createHash('md5').update(winner).digest('hex'));
    assert.ok((await download(id)).body.equals(winner));
  });

  it('answers ranges like Glance: 206 with Content-Range, 416 with bytes */size, 400 for several', async () => {
    const bytes = randomBytes(10240);
    const id = await createImage(url);
    await upload(id, bytes);
    const ranged = async (range: Record<string, string>) => download(id, { ...member, ...range });
    const first = await ranged({ range: 'bytes=0-99' });
    assert.equal(first.status, 206);
    assert.equal(first.headers['content-range'], 'bytes 0-99/10240');
    assert.equal(first.headers['content-length'], '100');
    assert.equal(first.headers['content-md5'], createHash('md5').update(bytes).digest('hex'));
    assert.ok(first.body.equals(bytes.subarray(0, 100)));
    const open = await ranged({ range: 'bytes=10000-' });
    assert.equal(open.headers['content-range'], 'bytes 10000-10239/10240');
    assert.ok(open.body.equals(bytes.subarray(10000)));
    const suffix = await ranged({ range: 'bytes=-240' });
    assert.ok(suffix.body.equals(bytes.subarray(10000)));
    const past = await ranged({ range: 'bytes=10230-99999' });
    assert.equal(past.headers['content-range'], 'bytes 10230-10239/10240');
    assert.equal(past.body.length, 10);
    const legacy = await ranged({ 'content-range': 'bytes 0-99/10240' });
    assert.equal(legacy.status, 206);
    assert.ok(legacy.body.equals(bytes.subarray(0, 100)));
    const bad = await ranged({ range: 'bytes=20000-30000' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */10240');
    const several = await ranged({ range: 'bytes=0-9,20-29' });
    assert.equal(several.status, 400);
    assert.match(several.body.toString(), /Requests with multiple ranges are not supported in Glance/);
    const zeroSuffix = await ranged({ range: 'bytes=-0' });
    assert.equal(zeroSuffix.status, 416);
    const ignored = await ranged({ range: 'bytes=9-3' });
    assert.equal(ignored.status, 200);
    assert.equal(ignored.body.length, 10240);
  });

  it('answers 204 without data and 403 to a non-admin for a deactivated image', async () => {
    const id = await createImage(url);
    const empty = await download(id);
    assert.equal(empty.status, 204);
    assert.equal(empty.body.length, 0);
    await upload(id, Buffer.from('data'));
    await api.app.get(ImageRepository).update(id, { status: 'active' }, { status: 'deactivated' });
    const refused = await download(id);
    assert.equal(refused.status, 403);
    assert.match(refused.body.toString(), /The requested image has been deactivated. Image data download is forbidden./);
    const asAdmin = await download(id, admin);
    assert.equal(asAdmin.status, 200);
    assert.equal(asAdmin.body.toString(), 'data');
  });

  it('falls back to the next location when the first one is gone, and says 404 when none is left', async () => {
    const bytes = randomBytes(MiB + 3);
    const id = await createImage(url);
    await upload(id, bytes);
    const repo = api.app.get(ImageRepository);
    const first = (await repo.findById(id))!.locations[0]!;
    const copy = join(config.dataDir, 'stores', 'slow', id);
    mkdirSync(join(config.dataDir, 'stores', 'slow'), { recursive: true });
    copyFileSync(fileURLToPath(first.url), copy);
    await repo.update(id, {}, { locations: [first, { url: pathToFileURL(copy).href, store: 'slow', metadata: { store: 'slow' }, status: 'active' }] });
    assert.equal((await showImage(url, id)).stores, 'fast,slow');
    rmSync(fileURLToPath(first.url));
    const res = await download(id);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(bytes));
    const ranged = await download(id, { ...member, range: 'bytes=5-9' });
    assert.ok(ranged.body.equals(bytes.subarray(5, 10)));
    rmSync(copy);
    assert.equal((await download(id)).status, 404);
  });

  it('stages into the staging area (queued → uploading), refuses a second stage, and cleans up a failed one', async () => {
    const bytes = randomBytes(MiB + 1);
    const id = await createImage(url, member, { disk_format: undefined, container_format: undefined });
    assert.equal((await send(`${url}/v2/images/${id}/stage`, 'PUT', octet(), chunks(bytes))).status, 204);
    const image = await showImage(url, id);
    assert.deepEqual([image.status, image.size], ['uploading', bytes.length]);
    assert.deepEqual(filesUnder(config.storage.stagingDir), [join(config.storage.stagingDir, id)]);
    assert.equal((await send(`${url}/v2/images/${id}/stage`, 'PUT', octet(), Buffer.from('x'))).status, 409);

    const failing = await createImage(url);
    const req = request(`${url}/v2/images/${failing}/stage`, { method: 'PUT', agent: false, headers: { ...octet(), 'content-length': String(2 * MiB) } });
    req.on('error', () => undefined);
    req.write(randomBytes(MiB / 2));
    await waitForImage(url, failing, (i) => i.status === 'uploading');
    req.destroy();
    const back = await waitForImage(url, failing, (i) => i.status === 'queued');
    assert.equal(back.size, null);
    assert.deepEqual(filesUnder(config.storage.stagingDir), [join(config.storage.stagingDir, id)]);
    const over = await createImage(url);
    assert.equal((await send(`${url}/v2/images/${over}/stage`, 'PUT', octet(), chunks(randomBytes(5 * MiB)))).status, 413);
    assert.equal((await waitForImage(url, over, (i) => i.status === 'queued')).size, null);
    assert.deepEqual(filesUnder(config.storage.stagingDir), [join(config.storage.stagingDir, id)]);
  });

  it('lists the stores; the detail is for admins', async () => {
    const list = await (await fetch(`${url}/v2/info/stores`, { headers: member })).json();
    assert.deepEqual(list, { stores: [{ id: 'fast', default: 'true' }, { id: 'slow' }] });
    assert.equal((await fetch(`${url}/v2/info/stores/detail`, { headers: member })).status, 403);
    const detail = (await (await fetch(`${url}/v2/info/stores/detail`, { headers: admin })).json()) as { stores: Record<string, unknown>[] };
    assert.deepEqual(detail.stores.map((s) => [s.id, s.type]), [['fast', 'file'], ['slow', 'file']]);
  });
});
