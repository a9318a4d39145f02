import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Image } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import type { RunningApi } from '../support/api-app.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';

const admin = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };
const SIZE = 384 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('replicator: placement policy and repair of bad copies, with real file stores', () => {
  let stack: MaintenanceStack;
  let api: RunningApi;
  let images: ImageRepository;

  before(async () => {
    stack = await startMaintenanceStack({
      GLIMPSE_STORES: 'a:file,b:file,c:file',
      GLIMPSE_DEFAULT_STORE: 'a',
      GLIMPSE_REPLICATION_POLICY: 'public=a,b',
      GLIMPSE_AUDIT_BYTES_PER_RUN: String(1024 ** 3),
    });
    api = stack.api;
    images = api.app.get(ImageRepository);
  });
  after(() => stack?.close());

  const uploaded = async (visibility: 'public' | 'private', store = 'a') => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: admin, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', visibility }) });
    assert.equal(res.status, 201);
    const { id } = (await res.json()) as { id: string };
    const data = randomBytes(SIZE);
    const put = await fetch(`${api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/octet-stream', 'x-image-meta-store': store }, body: data });
    assert.equal(put.status, 204);
    return { id, digest: sha(data) };
  };
  const fileIn = (image: Image, store: string) => fileURLToPath(image.locations.find((l) => l.store === store)!.url);
  const copies = (image: Image) => image.locations.map((l) => `${l.store}:${l.status}`).sort();
  const tasksOf = async (id: string) =>
    ((await (await fetch(`${api.url}/v2/images/${id}/tasks`, { headers: admin })).json()) as { tasks: { status: string; message: string }[] }).tasks;
  /**
   * Waits until the image's copies are as expected, no copy is being written and every task has ended: the runner
   * releases the image's lock before it records the task's outcome, so an idle image can still show its task running
   * for a moment.
   */
  const settled = async (id: string, expected: string[]) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const image = (await images.findById(id))!;
      const idle = !image.properties.os_glance_import_task;
      const running = (await tasksOf(id)).filter((t) => t.status === 'pending' || t.status === 'processing').length;
      if (idle && running === 0 && JSON.stringify(copies(image)) === JSON.stringify(expected)) return image;
      if (Date.now() > deadline) assert.fail(`image ${id}: copies ${copies(image).join(' ')}, lock ${image.properties.os_glance_import_task ?? '-'}, ${running} task(s) running; expected ${expected.join(' ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  let pub: { id: string; digest: string };

  it('copies a public image into every store the policy names, verified, and leaves images no rule covers alone', async () => {
    pub = await uploaded('public');
    const priv = await uploaded('private');
    await stack.runSweep('replicator', 'replicate', [pub.id, priv.id]);
    const image = await settled(pub.id, ['a:active', 'b:active']);
    assert.equal(sha(readFileSync(fileIn(image, 'b'))), pub.digest);
    assert.equal(image.properties.os_glance_failed_import, '');
    const tasks = await tasksOf(pub.id);
    assert.deepEqual(tasks.map((t) => t.status), ['success']);
    assert.deepEqual(copies((await images.findById(priv.id))!), ['a:active']);
    assert.deepEqual(await tasksOf(priv.id), []);
    // A second tick finds nothing short: no new task.
    await stack.runSweep('replicator', 'replicate', [pub.id]);
    assert.equal((await tasksOf(pub.id)).length, 1);
  });

  it('restores a blob deleted behind the service\'s back from the other store, once the auditor found it', async () => {
    rmSync(fileIn((await images.findById(pub.id))!, 'b'));
    await stack.runSweep('auditor', 'audit', [pub.id]);
    // The auditor marked it bad and asked the replicator for a repair: no replicator tick is needed.
    const image = await settled(pub.id, ['a:active', 'b:active']);
    assert.equal(sha(readFileSync(fileIn(image, 'b'))), pub.digest);
    const res = await fetch(`${api.url}/v2/images/${pub.id}/file`, { headers: admin });
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), pub.digest);
  });

  it('replaces a copy with a flipped byte, found by the re-hash, with a good one', async () => {
    const fd = openSync(fileIn((await images.findById(pub.id))!, 'a'), 'r+');
    writeSync(fd, Buffer.from([0x5a]), 0, 1, 4096);
    closeSync(fd);
    await stack.runSweep('auditor', 'audit', [pub.id]);
    const image = await settled(pub.id, ['a:active', 'b:active']);
    assert.equal(sha(readFileSync(fileIn(image, 'a'))), pub.digest);
    assert.deepEqual((await tasksOf(pub.id)).map((t) => t.status), ['success', 'success', 'success']);
  });

  it('leaves an image with no good copy marked bad and starts nothing', async () => {
    const lone = await uploaded('private');
    rmSync(fileIn((await images.findById(lone.id))!, 'a'));
    await stack.runSweep('auditor', 'audit', [lone.id]);
    await stack.runSweep('replicator', 'replicate', [lone.id]);
    assert.deepEqual(copies((await images.findById(lone.id))!), ['a:bad']);
    assert.deepEqual(await tasksOf(lone.id), []);
  });
});
