import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { TaskRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageServer } from '../support/image-server.js';
import { testConfig } from '../support/test-config.js';
import { spawnWorker, stopWorker, workerEnv } from '../support/worker-process.js';

const MiB = 1 << 20;
const SIZE = 512 * MiB;

async function digest(path: string, algo: string): Promise<string> {
  const hash = createHash(algo);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('a worker killed with SIGKILL in the middle of a 512 MiB import (v2 web-download, v1 copy-from)', () => {
  const work = mkdtempSync(join(tmpdir(), 'glimpse-crash-'));
  const source = join(work, 'disk.raw');
  let server: Awaited<ReturnType<typeof imageServer>>;
  let api: RunningApi;
  let env: Record<string, string>;
  const workers: ChildProcess[] = [];

  const startWorker = (): ChildProcess => {
    const child = spawnWorker(env);
    workers.push(child);
    return child;
  };

  before(async () => {
    execFileSync('sh', ['-c', `head -c ${SIZE} /dev/urandom > ${source}`]);
    server = await imageServer({
      // About 64 MiB/s, so the kill lands mid-transfer.
      '/disk.raw': async (_req, res) => {
        res.writeHead(200, { 'content-length': String(SIZE) });
        res.on('error', () => undefined);
        for await (const chunk of createReadStream(source, { highWaterMark: MiB })) {
          if (res.destroyed) return;
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
          await sleep(15);
        }
        res.end();
      },
    });
    const settings = {
      GLIMPSE_IMAGE_SIZE_CAP: String(SIZE),
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(server.port),
    };
    const config = testConfig({ GLIMPSE_DATA_DIR: join(work, 'data'), ...settings });
    env = workerEnv(config, { ...settings, WORKER_QUEUES: 'image-import' });
    api = await startApi(config);
  });

  after(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await api?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Kills the running worker once a good part (but not all) of the task's image is copied, then starts another. */
  async function killMidway(taskId: string): Promise<void> {
    const tasks = api.app.get(TaskRepository);
    for (let t = await tasks.findById(taskId); (t?.bytesDone ?? 0) < 96 * MiB; t = await tasks.findById(taskId)) {
      assert.notEqual(t?.status, 'success', 'the import finished before the kill');
      await sleep(100);
    }
    await Promise.all(workers.map((w) => stopWorker(w)));
    const mid = await tasks.findById(taskId);
    assert.equal(mid?.status, 'processing');
    startWorker(); // BullMQ hands it the stalled job once the dead worker's lock expires
  }

  /** The task ends last (after the image is active or rolled back). */
  async function finished(taskId: string) {
    const tasks = api.app.get(TaskRepository);
    let done = await tasks.findById(taskId);
    for (let i = 0; i < 1200 && done?.status === 'processing'; i++) {
      await sleep(250);
      done = await tasks.findById(taskId);
    }
    return done;
  }

  /** One complete file in the store, named by the image; no partial file of the dead writer anywhere. */
  function assertOneFile(id: string): void {
    const stored = filesUnder(join(work, 'data')).filter((f) => f.includes(id));
    assert.deepEqual(stored.map((f) => f.split('/').pop()), [id]);
  }

  it('is finished by a new worker: active, correct checksums, no orphan bytes', async () => {
    const headers = { 'content-type': 'application/json', 'x-project-id': 'p1', 'x-roles': 'member' };
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await created.json()) as { id: string };
    startWorker();
    const res = await fetch(`${api.url}/v2/images/${id}/import`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ method: { name: 'web-download', uri: `${server.url}/disk.raw` } }),
    });
    assert.equal(res.status, 202);
    const [task] = await api.app.get(TaskRepository).forImage(id);
    await killMidway(task!.id);
    const done = await finished(task!.id);
    const image = (await (await fetch(`${api.url}/v2/images/${id}`, { headers })).json()) as Record<string, unknown>;
    assert.equal(done?.status, 'success', done?.message);
    assert.equal(image.status, 'active');
    assert.equal(image.size, SIZE);
    assert.equal(image.checksum, await digest(source, 'md5'));
    assert.equal(image.os_hash_value, await digest(source, 'sha512'));
    assertOneFile(id);
  });

  it('a v1 copy-from (saving while it runs) is finished by a new worker the same way', async () => {
    const headers = { 'x-project-id': 'p1', 'x-roles': 'member' };
    const created = await fetch(`${api.url}/v1/images`, {
      method: 'POST',
      headers: {
        ...headers, 'content-type': 'application/octet-stream', 'x-image-meta-name': 'copied', 'x-image-meta-disk_format': 'raw',
        'x-image-meta-container_format': 'bare', 'x-glance-api-copy-from': `${server.url}/disk.raw`,
      },
    });
    assert.equal(created.status, 201);
    const { image } = (await created.json()) as { image: { id: string; status: string } };
    assert.equal(image.status, 'queued');
    const [task] = await api.app.get(TaskRepository).forImage(image.id);
    const status = async () => (await fetch(`${api.url}/v1/images/${image.id}`, { method: 'HEAD', headers })).headers.get('x-image-meta-status');
    await killMidway(task!.id);
    assert.equal(await status(), 'saving', 'v1 shows the copy as saving');
    const done = await finished(task!.id);
    assert.equal(done?.status, 'success', done?.message);
    const head = (await fetch(`${api.url}/v1/images/${image.id}`, { method: 'HEAD', headers })).headers;
    assert.equal(head.get('x-image-meta-status'), 'active');
    assert.equal(head.get('x-image-meta-size'), String(SIZE));
    assert.equal(head.get('x-image-meta-checksum'), await digest(source, 'md5'));
    const v2 = (await (await fetch(`${api.url}/v2/images/${image.id}`, { headers: { ...headers, accept: 'application/json' } })).json()) as Record<string, unknown>;
    assert.equal(v2.os_hash_value, await digest(source, 'sha512'));
    assertOneFile(image.id);
  });
});
