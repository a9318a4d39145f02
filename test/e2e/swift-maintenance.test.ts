import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { StoreRegistry } from '@glimpse/storage';
import { imageServer } from '../support/image-server.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';
import { type RunningSwift, startSwift } from '../support/swift-server.js';
import { spawnWorker, stopWorker, workerEnv } from '../support/worker-process.js';

const MiB = 1 << 20;
const SIZE = 48 * MiB;
const member = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };
const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };

describe('maintenance on a swift store: reaper, auditor orphans, a worker killed mid-import', () => {
  let swift: RunningSwift;
  let stack: MaintenanceStack;
  let server: Awaited<ReturnType<typeof imageServer>>;
  let settings: Record<string, string>;
  const workers: ChildProcess[] = [];
  // The in-process worker's clock (it runs the sweeps): a test ages what the stores hold by moving it forward.
  let ahead = 0;
  const clock = { now: () => Date.now() + ahead };
  const body = randomBytes(SIZE);

  before(async () => {
    swift = await startSwift();
    server = await imageServer({
      // About 16 MiB/s: the kill lands mid-transfer, after a few segments.
      '/disk.raw': async (_req, res) => {
        res.writeHead(200, { 'content-length': String(SIZE) });
        res.on('error', () => undefined);
        for (let i = 0; i < SIZE && !res.destroyed; i += MiB) {
          if (!res.write(body.subarray(i, i + MiB))) await new Promise((r) => res.once('drain', r));
          await sleep(60);
        }
        res.end();
      },
    });
    settings = {
      GLIMPSE_STORES: JSON.stringify([swift.storeEntry('swift', { large_object_size: 4 * MiB, segment_size: 4 * MiB })]),
      GLIMPSE_PARTIAL_GRACE_MINUTES: '1',
      GLIMPSE_ORPHAN_GRACE_HOURS: '0',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(server.port),
    };
    // The in-process worker runs the sweeps only: imports go to the worker process this test kills.
    stack = await startMaintenanceStack({ ...settings, WORKER_QUEUES: 'maintenance' }, clock);
  });
  after(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await stack?.close();
    await server?.close();
    await swift?.close();
  });

  const create = async () => {
    const res = await fetch(`${stack.api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    return ((await res.json()) as { id: string }).id;
  };

  it('deleting an image: one reaper run removes its manifest and every segment', async () => {
    const id = await create();
    const put = await fetch(`${stack.api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...member, 'content-type': 'application/octet-stream' }, body: randomBytes(9 * MiB) });
    assert.equal(put.status, 204);
    assert.equal((await swift.names('glance', id)).length, 4, 'a manifest and three segments');
    assert.equal((await fetch(`${stack.api.url}/v2/images/${id}`, { method: 'DELETE', headers: member })).status, 204);
    await stack.runSweep('reaper', 'reap', [id]);
    assert.deepEqual(await swift.names('glance', id), []);
  });

  it('the auditor reports an image nobody references (not its segments); the reaper removes it with its segments', async () => {
    const store = stack.api.app.get(StoreRegistry).find('swift')!;
    const orphan = randomUUID();
    await store.put(orphan, Readable.from([randomBytes(5 * MiB)]));
    assert.equal((await swift.names('glance', orphan)).length, 3);
    await stack.runSweep('auditor', 'audit', []);
    const findings = ((await (await fetch(`${stack.api.url}/v2/admin/maintenance/findings`, { headers: admin })).json()) as { findings: { image_id: string; problem: string }[] }).findings;
    assert.deepEqual(findings.filter((f) => f.image_id.startsWith(orphan)).map((f) => [f.image_id, f.problem]), [[orphan, 'orphan']], 'the manifest, never a segment');
    await stack.runSweep('reaper', 'reap', []);
    assert.deepEqual(await swift.names('glance', orphan), []);
  });

  it('a worker killed with SIGKILL mid-import leaks segments; one reaper run after the grace removes them all', async () => {
    const id = await create();
    const worker = spawnWorker(workerEnv(stack.config, { ...settings, WORKER_QUEUES: 'image-import' }));
    workers.push(worker);
    const res = await fetch(`${stack.api.url}/v2/images/${id}/import`, {
      method: 'POST',
      headers: member,
      body: JSON.stringify({ method: { name: 'web-download', uri: `${server.url}/disk.raw` } }),
    });
    assert.equal(res.status, 202);
    for (let i = 0; i < 1200 && (await swift.names('glance', id)).length < 3; i++) await sleep(100);
    await stopWorker(worker);
    const leaked = await swift.names('glance', id);
    assert.ok(leaked.length >= 3 && !leaked.includes(id), `segments and no manifest: ${leaked.join(' ')}`);
    const [task] = await stack.api.app.get(TaskRepository).forImage(id);
    assert.equal(task?.status, 'processing', 'the import was cut, not finished');

    // Before the grace the segments stay (a live writer may still be adding to them) …
    await stack.runSweep('reaper', 'reap', []);
    assert.deepEqual(await swift.names('glance', id), leaked);
    // … once the newest is older than GLIMPSE_PARTIAL_GRACE_MINUTES (1) by the sweeps' clock, one run removes every one.
    ahead = 61_000;
    await stack.runSweep('reaper', 'reap', []);
    assert.deepEqual(await swift.names('glance', id), []);
    assert.equal((await stack.api.app.get(ImageRepository).findById(id))?.locations.length, 0);
  });
});
