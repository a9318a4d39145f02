import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { ResolvedConfig } from '@glimpse/config';
import { createLogger } from '@glimpse/common';
import { withImportLock } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { ImageRecovery } from '../../apps/worker/src/maintenance/image-recovery.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageServer, serve } from '../support/image-server.js';
import { send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';
import { backdate, storedRecords } from '../support/stored-records.js';

const OWNER = { accept: 'application/json', 'x-project-id': 'proj-a', 'x-roles': 'member' };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** A listener that only counts connections (the SSRF targets: none may ever reach one). */
async function countingListener(host: string): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((_req, res) => res.end('secret'));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('v1 copy-from: 201 queued at once, then a BullMQ job through the web-download guards', () => {
  const data = randomBytes(300_000);
  let source: Awaited<ReturnType<typeof imageServer>>;
  let internal: Awaited<ReturnType<typeof countingListener>>;
  let internal6: Awaited<ReturnType<typeof countingListener>>;
  let config: ResolvedConfig;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;

  before(async () => {
    internal = await countingListener('127.0.0.2');
    internal6 = await countingListener('::1');
    source = await imageServer({
      '/disk.raw': serve(data),
      '/to-internal': (_req, res) => res.writeHead(302, { location: `http://[::1]:${internal6.port}/x` }).end(),
      '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    });
    // Only the source server's address and port are let through: every other target is an internal address.
    config = testConfig({
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${source.port},${internal.port},${internal6.port}`,
      GLIMPSE_WEB_DOWNLOAD_CONNECT_TIMEOUT_SECONDS: '2',
      GLIMPSE_STORES: 'local:file,web:http',
      GLIMPSE_API_V1_LOCATIONS: 'true',
    });
    api = await startApi(config);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await Promise.all([source?.close(), internal?.close(), internal6?.close()]);
  });

  const post = (headers: Record<string, string>) =>
    send(`${api.url}/v1/images`, 'POST', { ...OWNER, 'content-type': 'application/octet-stream', 'content-length': '0', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', ...headers });
  const status = async (id: string) => (await send(`${api.url}/v1/images/${id}`, 'HEAD', OWNER)).headers['x-image-meta-status'];
  /** Polls until the image leaves queued/saving (a bound against hangs, not a speed assertion). */
  const settled = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      const s = await status(id);
      if (s !== 'queued' && s !== 'saving') return s;
      await sleep(100);
    }
    return status(id);
  };

  const queued: Record<string, string> = {};
  it('answers 201 queued before the source sees a connection (no worker runs yet)', async () => {
    const targets: Record<string, string> = {
      ok: `${source.url}/disk.raw`,
      loopback: `http://127.0.0.2:${internal.port}/x`,
      ipv6: `http://[::1]:${internal6.port}/x`,
      mapped: `http://[::ffff:7f00:2]:${internal.port}/x`,
      metadata: 'http://169.254.169.254/latest/meta-data/',
      redirectInternal: `${source.url}/to-internal`,
      redirectMetadata: `${source.url}/to-metadata`,
      missing: `${source.url}/missing`,
    };
    for (const [name, url] of Object.entries(targets)) {
      const r = await post({ 'x-image-meta-name': name, 'x-glance-api-copy-from': encodeURIComponent(url).replace(/%2F/g, '/').replace(/%3A/g, ':') });
      assert.equal(r.status, 201, `${name}: ${r.body.toString()}`);
      const image = (JSON.parse(r.body.toString()) as { image: Record<string, unknown> }).image;
      assert.equal(image.status, 'queued', name);
      assert.equal(image.size, 0);
      assert.doesNotMatch(r.body.toString() + JSON.stringify(r.headers), /disk\.raw|169\.254|to-internal|::1/, 'the URL is never echoed');
      queued[name] = image.id as string;
    }
    // Non-canonical IP spellings are refused by the URL filter at once (nothing is looked up or created).
    for (const url of [`http://2130706434:${internal.port}/x`, `http://[::ffff:127.0.0.2]:${internal.port}/x`, `http://0x7f.1:${internal.port}/x`, `http://127.0.0.2:22/x`]) {
      const r = await post({ 'x-image-meta-name': 'refused', 'x-glance-api-copy-from': url });
      assert.equal(r.status, 400, url);
      assert.match(r.body.toString(), /External sources are not supported/);
    }
    const listed = JSON.parse((await send(`${api.url}/v1/images/detail?name=refused`, 'GET', OWNER)).body.toString()) as { images: unknown[] };
    assert.deepEqual(listed.images, [], 'no record for a refused POST');
    const mismatch = await post({ 'x-image-meta-name': 'mismatch', 'x-image-meta-checksum': 'f'.repeat(32), 'x-glance-api-copy-from': `${source.url}/disk.raw` });
    queued.mismatch = (JSON.parse(mismatch.body.toString()) as { image: { id: string } }).image.id;
    const qcow = await post({ 'x-image-meta-name': 'format', 'x-image-meta-disk_format': 'qcow2', 'x-glance-api-copy-from': `${source.url}/disk.raw` });
    queued.format = (JSON.parse(qcow.body.toString()) as { image: { id: string } }).image.id;
    assert.deepEqual(source.hits(), [], 'no connection during the requests');
    assert.equal(internal.connections() + internal6.connections(), 0);
    for (const id of Object.values(queued)) assert.equal(await status(id), 'queued');
  });

  it('a worker copies the good one to active with md5 and os_hash; every refused target ends killed with 0 connections', async () => {
    worker = await createWorkerApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-worker' }));
    assert.equal(await settled(queued.ok!), 'active');
    const head = (await send(`${api.url}/v1/images/${queued.ok}`, 'HEAD', OWNER)).headers;
    assert.equal(head['x-image-meta-checksum'], md5(data));
    assert.equal(head['x-image-meta-size'], String(data.length));
    const got = await send(`${api.url}/v1/images/${queued.ok}`, 'GET', OWNER);
    assert.ok(got.body.equals(data));
    const v2 = (await (await fetch(`${api.url}/v2/images/${queued.ok}`, { headers: OWNER })).json()) as Record<string, unknown>;
    assert.equal(v2.os_hash_value, createHash('sha512').update(data).digest('hex'));
    assert.equal(v2.os_glance_import_task, undefined, 'the lock is released');

    for (const name of ['loopback', 'ipv6', 'mapped', 'metadata', 'redirectInternal', 'redirectMetadata', 'missing', 'mismatch', 'format']) {
      assert.equal(await settled(queued[name]!), 'killed', name);
    }
    assert.equal(internal.connections(), 0, 'no connection reached the internal IPv4 listener');
    assert.equal(internal6.connections(), 0, 'no connection reached the internal IPv6 listener');
    const repo = api.app.get(ImageRepository);
    for (const name of ['mismatch', 'format']) assert.deepEqual((await repo.findById(queued[name]!))!.locations, [], `${name}: data dropped`);
  });

  it('keeps the reason in the task for operators, never the URL in a view, never an error in v1 answers', async () => {
    const tasks = api.app.get(TaskRepository);
    const [task] = await tasks.forImage(queued.mismatch!);
    assert.equal(task!.status, 'failure');
    assert.match(task!.message, /md5 mismatch/);
    const view = await (await fetch(`${api.url}/v2/images/${queued.missing}/tasks`, { headers: { ...OWNER, 'x-roles': 'admin' } })).text();
    assert.doesNotMatch(view, /\/missing/, 'the copy-from URL is not shown');
    const head = await send(`${api.url}/v1/images/${queued.missing}`, 'HEAD', OWNER);
    assert.deepEqual(Object.keys(head.headers).filter((k) => /error|message|reason/i.test(k)), []);
  });

  it("the updater kills a saving copy-from whose task died, and leaves a live one alone", async () => {
    const r = await post({ 'x-image-meta-name': 'orphan', 'x-glance-api-copy-from': `${source.url}/missing-too` });
    const id = (JSON.parse(r.body.toString()) as { image: { id: string } }).image.id;
    assert.equal(await settled(id), 'killed');
    // Stand in for a worker that began the copy (saving, holding the lock) and died with its task still running.
    const repo = api.app.get(ImageRepository);
    const tasks = api.app.get(TaskRepository);
    const [task] = await tasks.forImage(id);
    assert.ok(await repo.update(id, { status: 'killed' }, { status: 'saving', properties: withImportLock({}, task!.id) }));
    await storedRecords(api.app, 'tasks').updateOne({ _id: task!.id }, { $set: { status: 'processing', updatedAt: new Date() } });
    const recovery = worker!.get(ImageRecovery);
    assert.deepEqual(await recovery.recover(id), { outcome: 'live' }, 'a task with recent progress is alive');
    assert.equal(await status(id), 'saving');
    await backdate(api.app, 'tasks', task!.id, 3 * 3600_000);
    assert.deepEqual(await recovery.recover(id), { outcome: 'requeued' });
    assert.equal(await status(id), 'killed', "v1's rule: a copy-from that died is killed, not queued again");
    assert.equal((await tasks.findById(task!.id))!.status, 'failure');
    assert.equal((await repo.findById(id))!.properties.os_glance_import_task, undefined, 'the lock is released');
  });

  it('x-image-meta-location (GLIMPSE_API_V1_LOCATIONS): the POST answers active once the location is verified (md5 filled in); an internal target is refused, queued again, never reached', async () => {
    const r = await post({ 'x-image-meta-name': 'remote', 'x-image-meta-location': `${source.url}/disk.raw`, 'x-image-meta-property-key1': 'value1' });
    assert.equal(r.status, 201, r.body.toString());
    const image = (JSON.parse(r.body.toString()) as { image: Record<string, unknown> }).image;
    assert.equal(image.status, 'active');
    assert.deepEqual(image.properties, { key1: 'value1' });
    assert.doesNotMatch(r.body.toString() + JSON.stringify(r.headers), /disk\.raw/, 'the location is never shown');
    let checksum: string | string[] | undefined;
    for (let i = 0; i < 300 && !checksum; i++) {
      checksum = (await send(`${api.url}/v1/images/${image.id}`, 'HEAD', OWNER)).headers['x-image-meta-checksum'];
      if (!checksum) await sleep(100);
    }
    assert.equal(checksum, md5(data));
    const got = await send(`${api.url}/v1/images/${image.id}`, 'GET', OWNER);
    assert.ok(got.body.equals(data), 'served from the URL through the http store');
    const inside = await post({ 'x-image-meta-name': 'inside', 'x-image-meta-location': `http://127.0.0.2:${internal.port}/x` });
    assert.equal(inside.status, 201);
    const refused = (JSON.parse(inside.body.toString()) as { image: { id: string; status: string } }).image;
    assert.equal(refused.status, 'queued', 'a location that fails verification is dropped, the image queued again');
    const denied = await send(`${api.url}/v1/images/${refused.id}`, 'GET', OWNER);
    assert.equal(denied.status, 404, 'no data to give, not an empty 200');
    assert.equal(internal.connections(), 0, 'the download is refused before any connection');
  });

  it('x-image-meta-location with x-image-meta-size: the same size is active, another one 409 as Glance answered, the image left queued without it', async () => {
    const same = await post({ 'x-image-meta-name': 'sized', 'x-image-meta-location': `${source.url}/disk.raw`, 'x-image-meta-size': String(data.length) });
    assert.equal(same.status, 201, same.body.toString());
    assert.equal((JSON.parse(same.body.toString()) as { image: { status: string } }).image.status, 'active');
    const other = await post({ 'x-image-meta-name': 'missized', 'x-image-meta-location': `${source.url}/disk.raw`, 'x-image-meta-size': String(data.length + 1) });
    assert.equal(other.status, 409, other.body.toString());
    assert.match(other.body.toString(), new RegExp(`Provided image size must match the stored image size\\. \\(provided size: ${data.length + 1}, stored size: ${data.length}\\)`));
    const listed = JSON.parse((await send(`${api.url}/v1/images/detail?name=missized`, 'GET', OWNER)).body.toString()) as { images: { id: string; status: string }[] };
    assert.deepEqual(listed.images.map((i) => i.status), ['queued'], 'left queued, as upstream left it');
    assert.deepEqual((await api.app.get(ImageRepository).findById(listed.images[0]!.id))!.locations, [], 'without the location');
  });
});
