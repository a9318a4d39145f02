import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TaskRepository } from '@glimpse/persistence';
import { ImportRunner } from '../../apps/worker/src/import/import-runner.js';
import type { RunningApi } from '../support/api-app.js';
import { admin, type ImportStack, member, startImportStack } from '../support/import-stack.js';
import { imageServer, serve } from '../support/image-server.js';
import { testConfig } from '../support/test-config.js';
import { testTempDir } from '../support/temp-dir.js';

const MiB = 1 << 20;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** Every file under a directory (the stores' and staging areas' contents). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  try {
    walk(dir);
  } catch {
    /* missing: nothing stored */
  }
  return out;
}

describe('import pipeline: web-download, glance-direct and copy-image through a real worker', () => {
  const work = testTempDir('glimpse-import-');
  let stack: ImportStack;
  let api: RunningApi;
  let server: Awaited<ReturnType<typeof imageServer>>;
  let dataDir: string;

  const raw = randomBytes(3 * MiB);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(work, 'disk.qcow2'), '64M']);
  const qcow2 = readFileSync(join(work, 'disk.qcow2'));
  const cap = 8 * MiB;

  before(async () => {
    server = await imageServer({
      '/disk.qcow2': serve(qcow2),
      '/disk.raw.gz': serve(gzipSync(raw)),
      '/disk.raw': serve(raw),
      '/to-metadata': (_q, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      '/to-private': (_q, res) => res.writeHead(302, { location: 'http://10.1.2.3/disk.raw' }).end(),
      '/to-refused-port': (_q, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/disk.raw' }).end(),
      '/big': serve(randomBytes(cap + MiB)),
      '/slow': (_q, res) => {
        res.writeHead(200, { 'content-length': String(4 * MiB) });
        res.write(randomBytes(64 * 1024)); // then silence, past the idle timeout
      },
      // A refusal known from the header must stop the transfer: without that, the size cap would end it first.
      '/backing-then-more': (_q, res) => {
        res.writeHead(200);
        res.on('error', () => undefined);
        res.write(readFileSync(join(work, 'child.qcow2')));
        for (let i = 0; i < 16 && !res.destroyed; i++) res.write(Buffer.alloc(MiB));
        res.end();
      },
      '/qcow2-with-backing': serve(
        (() => {
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(work, 'base.qcow2'), '16M']);
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(work, 'base.qcow2'), join(work, 'child.qcow2')]);
          return readFileSync(join(work, 'child.qcow2'));
        })(),
      ),
    });
    const base = testConfig();
    dataDir = base.dataDir;
    const config = testConfig({
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_STORES: 'local:file,second:file',
      GLIMPSE_IMAGE_SIZE_CAP: String(cap),
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${server.port}`,
      GLIMPSE_WEB_DOWNLOAD_IDLE_TIMEOUT_SECONDS: '1',
      GLIMPSE_WEB_DOWNLOAD_CONNECT_TIMEOUT_SECONDS: '2',
    });
    stack = await startImportStack(config);
    api = stack.api;
  });
  after(async () => {
    await stack?.close();
    await server?.close();
  });

  const create = (body: Record<string, unknown>, headers = member) => stack.create(body, headers);
  const show = (id: string) => stack.show(id);
  const importAndWait = (id: string, body: unknown, headers = member) => stack.importAndWait(id, body, headers);
  const storedFiles = (id: string) => filesUnder(dataDir).filter((f) => f.includes(id));

  it('web-download of a qcow2 image reaches active with its checksums and virtual size', async () => {
    const id = await create({ name: 'q', disk_format: 'qcow2', container_format: 'bare' });
    const task = await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.qcow2` } });
    assert.equal(task.status, 'success', task.message);
    assert.deepEqual(task.result, { image_id: id });
    const image = await show(id);
    assert.equal(image.status, 'active');
    assert.equal(image.size, qcow2.length);
    assert.equal(image.virtual_size, 64 * MiB);
    assert.equal(image.checksum, md5(qcow2));
    assert.equal(image.os_hash_value, sha512(qcow2));
    assert.equal(image.os_glance_import_task, undefined, 'the lock is released');
    const download = Buffer.from(await (await fetch(`${api.url}/v2/images/${id}/file`, { headers: member })).arrayBuffer());
    assert.equal(md5(download), md5(qcow2));
  });

  it('web-download of a gzip\'d raw image is decompressed on the way in', async () => {
    const id = await create({ name: 'gz', disk_format: 'raw', container_format: 'bare' });
    const task = await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.raw.gz` } });
    assert.equal(task.status, 'success', task.message);
    const image = await show(id);
    assert.equal(image.size, raw.length);
    assert.equal(image.checksum, md5(raw));
    assert.equal(image.os_hash_value, sha512(raw));
  });

  const failures: [string, string, RegExp, Record<string, unknown>?][] = [
    ['a 404 source', '/missing', /404/],
    ['a redirect to the metadata address', '/to-metadata', /169\.254\.169\.254|not allowed|refused|internal/i],
    ['a redirect to a private address', '/to-private', /10\.1\.2\.3|not allowed|refused|internal/i],
    ['a redirect to a refused port', '/to-refused-port', /filtering|port/i],
    ['a body over the size cap', '/big', /size cap|too large|exceeds/i],
    ['a server that stalls past the idle timeout', '/slow', /sent nothing|idle|timed out|timeout/i],
    ['a hash mismatch', '/disk.raw', /validation_data|mismatch/i, { validation_data: { os_hash_algo: 'sha512', os_hash_value: 'ab'.repeat(64) } }],
    ['a qcow2 with a backing file', '/qcow2-with-backing', /backing/i],
    ['a qcow2 with a backing file and more data than the cap', '/backing-then-more', /backing/i],
  ];
  for (const [what, path, reason, extra] of failures) {
    it(`${what} ends with the image queued, no bytes kept and the reason in the task`, async () => {
      const id = await create({ name: what, disk_format: path.includes('qcow2') ? 'qcow2' : 'raw', container_format: 'bare' });
      const task = await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}${path}`, ...extra } });
      assert.equal(task.status, 'failure');
      assert.match(task.message, reason);
      const image = await show(id);
      assert.equal(image.status, 'queued');
      assert.equal(image.size, null);
      assert.equal(image.os_glance_import_task, undefined);
      assert.deepEqual(storedFiles(id), []);
    });
  }

  it('glance-direct imports what was staged', async () => {
    const id = await create({ name: 'gd', disk_format: 'raw', container_format: 'bare' });
    const staged = await fetch(`${api.url}/v2/images/${id}/stage`, { method: 'PUT', headers: { ...member, 'content-type': 'application/octet-stream' }, body: raw });
    assert.equal(staged.status, 204);
    const task = await importAndWait(id, { method: { name: 'glance-direct' } });
    assert.equal(task.status, 'success', task.message);
    const image = await show(id);
    assert.equal(image.status, 'active');
    assert.equal(image.checksum, md5(raw));
    assert.ok(storedFiles(id).every((f) => !f.includes('staging')), 'the staged file is gone');
  });

  it('a run that stops between activating the image and closing its task is closed as a success by the retry', async () => {
    // The first run's task write after the image turned active never happens (as when its worker is killed there);
    // BullMQ's next attempt finds the image active with the copies the task noted.
    const workerTasks = stack.worker.get(TaskRepository);
    const transition = workerTasks.transition.bind(workerTasks);
    const id = await create({ name: 'cut', disk_format: 'raw', container_format: 'bare' });
    let cut = 0;
    workerTasks.transition = async (taskId, from, to, changes) => {
      if (to === 'success' && cut++ === 0 && (await workerTasks.findById(taskId))?.imageId === id) throw new Error('the worker stopped here');
      return transition(taskId, from, to, changes);
    };
    try {
      const task = await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.raw` } });
      assert.equal(task.status, 'success', task.message);
      assert.equal(cut, 2, 'the first attempt stopped before closing its task, the second closed it');
      assert.deepEqual(task.result, { image_id: id });
    } finally {
      workerTasks.transition = transition;
    }
    const image = await show(id);
    assert.equal(image.status, 'active');
    assert.equal(image.checksum, md5(raw));
    const download = Buffer.from(await (await fetch(`${api.url}/v2/images/${id}/file`, { headers: member })).arrayBuffer());
    assert.equal(md5(download), md5(raw), 'the data stays');
  });

  it('copy-image copies an active image into a second store, verified by checksum', async () => {
    const id = await create({ name: 'cp', disk_format: 'raw', container_format: 'bare' });
    assert.equal((await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.raw` } })).status, 'success');
    const task = await importAndWait(id, { method: { name: 'copy-image' }, stores: ['second'] }, admin);
    assert.equal(task.status, 'success', task.message);
    const image = await show(id);
    assert.equal(image.status, 'active');
    assert.deepEqual(String(image.stores).split(',').sort(), ['local', 'second']);
    assert.equal(statSync(storedFiles(id).find((f) => f.includes('second'))!).size, raw.length);
  });

  it('a replayed job of a finished import reports the stores the image went into, not an empty list', async () => {
    const id = await create({ name: 'replay', disk_format: 'raw', container_format: 'bare' });
    const first = await importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.raw` } });
    assert.equal(first.status, 'success', first.message);
    const copied = await importAndWait(id, { method: { name: 'copy-image' }, stores: ['second'] }, admin);
    assert.equal(copied.status, 'success', copied.message);
    // BullMQ runs a job again after a stall or a lost completion: the task is closed, and its result says what it did.
    const runner = stack.worker.get(ImportRunner);
    const signal = new AbortController().signal;
    const replayedImport = await runner.run({ taskId: first.id, imageId: id }, signal, true);
    const replayedCopy = await runner.run({ taskId: copied.id, imageId: id }, signal, true);
    const image = await show(id);
    const shown = String(image.stores).split(',');
    assert.deepEqual([...replayedImport.stores, ...replayedCopy.stores].sort(), [...shown].sort());
    assert.ok(replayedImport.stores.length > 0 && replayedCopy.stores.length > 0);
    assert.deepEqual(replayedCopy.stores, (copied.input as { backend: string[] }).backend);
    assert.deepEqual([...replayedImport.failedStores, ...replayedCopy.failedStores], []);
    assert.deepEqual((await stack.worker.get(TaskRepository).findById(copied.id))?.result, { image_id: id }, 'the shown result stays Glance\'s');
  });
});
