import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { JobName, QueueName } from '@glimpse/contracts';
import { importLockHolder } from '@glimpse/domain';
import { ImageRepository, ImportOwner, TaskRepository } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { locationFingerprint } from '../../apps/worker/src/image-data/location-fingerprint.js';
import { imageServer, serve } from '../support/image-server.js';
import { admin, type ImportStack, member, startImportStack } from '../support/import-stack.js';
import { testConfig } from '../support/test-config.js';
import { testTempDir } from '../support/temp-dir.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

describe('Location API: an image whose data is at a URL, checked by the checksum job', () => {
  const data = randomBytes(300_000);
  let server: Awaited<ReturnType<typeof imageServer>>;
  let stack: ImportStack;
  let events: QueueEvents;

  // A qcow2 naming a backing file (a hostile image: Glance's format inspector refuses it on upload).
  const work = testTempDir('glimpse-location-');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(work, 'base.qcow2'), '16M']);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(work, 'base.qcow2'), join(work, 'child.qcow2')]);
  const hostile = readFileSync(join(work, 'child.qcow2'));

  before(async () => {
    server = await imageServer({
      '/disk.raw': serve(data),
      '/child.qcow2': serve(hostile),
      '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end(),
    });
    const config = testConfig({
      GLIMPSE_STORES: 'local:file,web:http',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${server.port}`,
    });
    stack = await startImportStack(config);
    events = new QueueEvents(QueueName.ImageChecksum, { connection: redisOptions(config.redis.url, 'queue') as ConnectionOptions, prefix: config.queue.prefix });
    await events.waitUntilReady();
  });
  after(async () => {
    await events?.close();
    await stack?.api.app.get(JobProducer).queueFor(JobName.ImageChecksum).obliterate({ force: true }).catch(() => undefined);
    await stack?.close();
    await server?.close();
  });

  const add = (id: string, body: unknown, headers = member) =>
    fetch(`${stack.api.url}/v2/images/${id}/locations`, { method: 'POST', headers, body: JSON.stringify(body) });
  /** Adds the location and waits for its checksum job; returns the task. */
  const addAndWait = async (id: string, body: unknown) => {
    const res = await add(id, body);
    assert.equal(res.status, 202, await res.text());
    const [task] = await stack.api.app.get(TaskRepository).forImage(id);
    const job = await stack.api.app.get(JobProducer).queueFor(JobName.ImageChecksum).getJob(`${task!.id}-checksum`);
    await job!.waitUntilFinished(events, 60_000).catch(() => undefined);
    return (await stack.api.app.get(TaskRepository).findById(task!.id))!;
  };
  const url = () => `${server.url}/disk.raw`;
  const raw = () => stack.create({ disk_format: 'raw', container_format: 'bare' });

  it('with matching validation_data: importing until checked, then active with the checksums; downloads stream from the URL', async () => {
    const id = await raw();
    const task = await addAndWait(id, { url: url(), validation_data: { os_hash_algo: 'sha512', os_hash_value: sha512(data) } });
    assert.equal(task.status, 'success', task.message);
    assert.equal(task.type, 'location_import');
    const image = await stack.show(id);
    assert.equal(image.status, 'active');
    assert.equal(image.size, data.length);
    assert.equal(image.checksum, md5(data));
    assert.equal(image.os_glance_import_task, undefined);
    const body = Buffer.from(await (await fetch(`${stack.api.url}/v2/images/${id}/file`, { headers: member })).arrayBuffer());
    assert.equal(md5(body), md5(data));
    const listed = await fetch(`${stack.api.url}/v2/images/${id}/locations`, { headers: admin });
    assert.deepEqual(await listed.json(), [{ url: url(), metadata: { store: 'web' } }]);
    assert.equal((await fetch(`${stack.api.url}/v2/images/${id}/locations`, { headers: member })).status, 403);
  });

  it('takes the import lock as every import does: refused (409) while a live import holds it, taken over from a dead one', async () => {
    const images = stack.api.app.get(ImageRepository);
    const tasks = stack.api.app.get(TaskRepository);
    const body = { url: url(), validation_data: { os_hash_algo: 'sha512', os_hash_value: sha512(data) } };
    const lockedBy = async (taskId: string) => {
      const id = await raw();
      await images.update(id, {}, { properties: { os_glance_import_task: taskId } });
      return id;
    };
    // A live import (its task was just created, its job waits in the queue) keeps the image.
    const now = new Date();
    const live = await tasks.create({
      id: randomUUID(), type: 'api_image_import', status: 'pending', input: {}, result: null, owner: 'pa', message: '', imageId: null,
      requestId: null, userId: null, bytesDone: 0, bytesTotal: null, expiresAt: null, createdAt: now, updatedAt: now,
    });
    const busy = await lockedBy(live.id);
    const refused = await add(busy, body);
    assert.equal(refused.status, 409, await refused.text());
    assert.equal((await images.findById(busy))!.properties.os_glance_import_task, live.id, 'the live lock stays');
    assert.equal((await images.findById(busy))!.status, 'queued');
    // A lock whose task is gone is taken over, and the location import runs to its end.
    const dead = await lockedBy('no-such-task');
    const task = await addAndWait(dead, body);
    assert.equal(task.status, 'success', task.message);
    assert.equal((await stack.show(dead)).status, 'active');
  });

  it('a checking job writes nothing once its task has ended or lost the lock (an enqueue that timed out, then ran)', async () => {
    const images = stack.api.app.get(ImageRepository);
    const tasks = stack.api.app.get(TaskRepository);
    const queue = stack.api.app.get(JobProducer).queueFor(JobName.ImageChecksum);
    const id = await raw();
    const location = { url: url(), store: 'web', metadata: { store: 'web' }, status: 'active' as const };
    const start = (enqueue: () => Promise<unknown>) =>
      stack.api.app.get(ImportOwner).start({
        type: 'location_import', imageId: id, owner: 'pa', input: { validation_data: {} }, requestId: null, userId: null,
        check: () => undefined, changes: () => ({ status: 'importing', locations: [location] }),
        enqueue, unqueued: 'The checks of the location could not be queued',
      });
    // The first add's enqueue "times out": the start is undone and its task failed, though the job got queued.
    await assert.rejects(start(() => Promise.reject(new Error('timed out'))), /could not be queued/);
    const [ended] = await tasks.forImage(id);
    assert.equal(ended!.status, 'failure');
    // The user adds the location again: a second task holds the lock, its own job not run yet.
    const second = await start(() => Promise.resolve());
    const runLate = async (taskId: string) => {
      const job = await queue.add(JobName.ImageChecksum, { imageId: id, store: 'web', taskId }, { jobId: `${taskId}-late` });
      await job.waitUntilFinished(events, 60_000).then(() => assert.fail('the job should stop'), () => undefined);
    };
    const untouched = async (holder: string | undefined) => {
      const image = (await images.findById(id))!;
      assert.deepEqual([image.status, image.size, image.checksum, importLockHolder(image)], ['importing', null, null, holder]);
      assert.equal(image.locations.length, 1);
    };
    await runLate(ended!.id);
    await untouched(second);
    assert.equal((await tasks.findById(ended!.id))!.message, ended!.message, 'the ended task is left as it was');
    assert.equal((await tasks.findById(second))!.status, 'pending', 'the live task is not touched');
    // A task still open whose lock is gone (released under it) stops too, failed, and writes nothing.
    await images.update(id, {}, { properties: {} });
    await runLate(second);
    await untouched(undefined);
    assert.equal((await tasks.findById(second))!.status, 'failure');
  });

  it('a checking job run again after its run died between showing the image and closing the task closes the task', async () => {
    const images = stack.api.app.get(ImageRepository);
    const tasks = stack.api.app.get(TaskRepository);
    const id = await raw();
    const now = new Date();
    const task = await tasks.create({
      id: randomUUID(), type: 'location_import', status: 'processing', input: { validation_data: {} }, result: null, owner: 'pa', message: '',
      imageId: id, requestId: null, userId: null, bytesDone: 0, bytesTotal: null, expiresAt: null, createdAt: now, updatedAt: now,
    });
    // What the dead run left: its outcome noted, the image active with it and the lock released; the task open.
    await tasks.noteOutcome(task.id, { checksum: md5(data), location: locationFingerprint(url()) });
    await images.update(id, {}, {
      status: 'active', size: data.length, checksum: md5(data), osHashAlgo: 'sha512', osHashValue: sha512(data),
      locations: [{ url: url(), store: 'web', metadata: { store: 'web' }, status: 'active' }],
    });
    const job = await stack.api.app.get(JobProducer).queueFor(JobName.ImageChecksum).add(JobName.ImageChecksum, { imageId: id, store: 'web', taskId: task.id }, { jobId: `${task.id}-again` });
    await job.waitUntilFinished(events, 60_000);
    assert.equal((await tasks.findById(task.id))!.status, 'success');
    assert.equal((await stack.show(id)).status, 'active');
  });

  it('with mismatching validation_data: back to queued without the location, the task failed', async () => {
    const id = await raw();
    const task = await addAndWait(id, { url: url(), validation_data: { os_hash_algo: 'md5', os_hash_value: 'a'.repeat(32) } });
    assert.equal(task.status, 'failure');
    assert.match(task.message, /does not match validation_data/);
    const image = await stack.show(id);
    assert.equal(image.status, 'queued');
    assert.equal(image.stores, undefined);
    assert.equal(image.checksum, null);
  });

  it('a validation_data size is checked: data of another size leaves the image queued, the task failed', async () => {
    const id = await raw();
    const task = await addAndWait(id, { url: url(), validation_data: { os_hash_algo: 'md5', os_hash_value: md5(data), size: data.length + 1 } });
    assert.equal(task.status, 'failure');
    assert.ok(task.message.includes(`provided size: ${data.length + 1}, stored size: ${data.length}`), task.message);
    const image = await stack.show(id);
    assert.equal(image.status, 'queued');
    assert.equal(image.stores, undefined);
  });

  it('without validation_data: not active before its data is verified, then active with the checksums', async () => {
    const id = await raw();
    const res = await add(id, { url: url() });
    assert.equal(res.status, 202);
    // Importing until the job has read the data (active only together with the size and checksums it found).
    const waiting = await stack.show(id);
    assert.ok(waiting.status === 'importing' || (waiting.status === 'active' && waiting.size === data.length), JSON.stringify(waiting));
    const [task] = await stack.api.app.get(TaskRepository).forImage(id);
    await (await stack.api.app.get(JobProducer).queueFor(JobName.ImageChecksum).getJob(`${task!.id}-checksum`))!.waitUntilFinished(events, 60_000);
    const image = await stack.show(id);
    assert.equal(image.status, 'active');
    assert.equal(image.size, data.length);
    assert.equal(image.os_hash_value, sha512(data));
    assert.equal(image.os_glance_import_task, undefined);
    assert.equal((await stack.api.app.get(TaskRepository).findById(task!.id))!.status, 'success');
  });

  it('a hostile image (qcow2 with a backing file) or a redirect to a refused address: queued without the location', async () => {
    const cases: [string, string, RegExp][] = [
      ['qcow2', `${server.url}/child.qcow2`, /format refused.*backing/i],
      ['raw', `${server.url}/to-metadata`, /169\.254\.169\.254|not pass filtering/],
    ];
    for (const [diskFormat, location, why] of cases) {
      const id = await stack.create({ disk_format: diskFormat, container_format: 'bare' });
      const res = await add(id, { url: location });
      assert.equal(res.status, 202);
      assert.notEqual((await stack.show(id)).status, 'active', 'never active before the check');
      const [task] = await stack.api.app.get(TaskRepository).forImage(id);
      await (await stack.api.app.get(JobProducer).queueFor(JobName.ImageChecksum).getJob(`${task!.id}-checksum`))!.waitUntilFinished(events, 60_000).catch(() => undefined);
      const done = (await stack.api.app.get(TaskRepository).findById(task!.id))!;
      assert.equal(done.status, 'failure', location);
      assert.match(done.message, why);
      const image = await stack.show(id);
      assert.equal(image.status, 'queued', location);
      assert.equal(image.checksum, null);
      assert.equal(image.os_glance_import_task, undefined);
      const listed = await fetch(`${stack.api.url}/v2/images/${id}/locations`, { headers: admin });
      assert.deepEqual(await listed.json(), [], 'the location is gone');
      assert.equal((await fetch(`${stack.api.url}/v2/images/${id}/file`, { headers: member })).status, 204, 'no data to serve');
    }
  });

  it('refuses bad requests, non-queued images, others\' images and internal URLs', async () => {
    const id = await raw();
    const cases: [unknown, number, RegExp][] = [
      [{ url: 'file:///etc/passwd' }, 400, /http\(s\) or swift URL/],
      [{ url: 'http://images.example.com:8765/disk' }, 400, /does not pass filtering/],
      [{ url: url(), validation_data: { os_hash_algo: 'sha256', os_hash_value: 'a'.repeat(64) } }, 400, /md5 or sha512/],
      [{ url: url(), bogus: 1 }, 400, /Unexpected/],
      [[], 400, /JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await add(id, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(await res.text(), message, JSON.stringify(body));
    }
    const other = { ...member, 'x-project-id': 'someone-else' };
    assert.equal((await add(id, { url: url() }, other)).status, 404);
    const active = await raw();
    await addAndWait(active, { url: url(), validation_data: { os_hash_algo: 'md5', os_hash_value: md5(data) } });
    assert.equal((await add(active, { url: url() })).status, 409);
  });

  it('a location on a refused address fails in the job without any connection', async () => {
    // Host names are checked when the worker resolves them: 127.0.0.2 is loopback but outside the allowed /32.
    const id = await raw();
    const task = await addAndWait(id, { url: `http://127.0.0.2:${server.port}/disk.raw`, validation_data: { os_hash_algo: 'md5', os_hash_value: md5(data) } });
    assert.equal(task.status, 'failure');
    assert.equal((await stack.show(id)).status, 'queued');
    assert.ok(!server.hits().some((h) => h.includes('127.0.0.2')));
  });
});
