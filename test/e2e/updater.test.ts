import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Task, type TaskStatus } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import type { RunningApi } from '../support/api-app.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';

const HOUR = 3600_000;
const member = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };

describe('updater: stuck uploads and imports go back to queued, dead import locks are released', () => {
  let stack: MaintenanceStack;
  let api: RunningApi;
  let images: ImageRepository;
  let tasks: TaskRepository;

  before(async () => {
    stack = await startMaintenanceStack({
      GLIMPSE_STUCK_SAVING_MINUTES: '10', GLIMPSE_IMPORT_LOCK_MINUTES: '60', GLIMPSE_QUOTA_IMAGE_COUNT_UPLOADING: '100',
    });
    api = stack.api;
    images = api.app.get(ImageRepository);
    tasks = api.app.get(TaskRepository);
  });
  after(() => stack?.close());

  const image = async (headers = member) => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    return ((await res.json()) as { id: string }).id;
  };
  const task = async (imageId: string, status: TaskStatus, updatedAgoMs: number): Promise<Task> => {
    const at = new Date(Date.now() - updatedAgoMs);
    return tasks.create({
      id: randomUUID(), type: 'api_image_import', status, input: {}, result: null, owner: 'pa', message: '', imageId, requestId: null,
      userId: null, bytesDone: 0, bytesTotal: null, expiresAt: null, createdAt: at, updatedAt: at,
    });
  };
  const importing = async (taskId: string) => {
    const id = await image();
    await images.update(id, {}, { status: 'importing', properties: { os_glance_import_task: taskId, os_glance_importing_to_stores: 'local' } });
    return id;
  };
  const update = (ids: string[]) => stack.runSweep('updater', 'recover', ids);

  it('an import whose task vanished or went silent returns to queued, its task failed; a live one is left alone', async () => {
    const vanished = await importing('no-such-task');
    const silentId = await image();
    const silent = await task(silentId, 'processing', 2 * HOUR);
    await images.update(silentId, {}, { status: 'importing', properties: { os_glance_import_task: silent.id, os_glance_importing_to_stores: 'local' } });
    const liveId = await image();
    const live = await task(liveId, 'processing', 0);
    await images.update(liveId, {}, { status: 'importing', properties: { os_glance_import_task: live.id } });

    await update([vanished, silentId, liveId]);
    for (const id of [vanished, silentId]) {
      const img = (await images.findById(id))!;
      assert.equal(img.status, 'queued', id);
      assert.equal(img.properties.os_glance_import_task, undefined);
      assert.equal(img.properties.os_glance_failed_import, 'local');
    }
    assert.equal((await tasks.findById(silent.id))!.status, 'failure');
    assert.equal((await images.findById(liveId))!.status, 'importing');
    assert.equal((await tasks.findById(live.id))!.status, 'processing');
  });

  it('a dead import is rolled back by the import owner\'s rule: checksums and staged data gone, an unclaimed staged import too', async () => {
    // Claimed (importing) with values of the data the dead run had recorded, and a staged file.
    const claimed = await importing('gone-task');
    await images.update(claimed, {}, { checksum: 'c'.repeat(32), size: 7, virtualSize: 7 });
    // Staged, its import's job never ran (uploading with its size, the lock of a task that vanished).
    const unclaimed = await image();
    await images.update(unclaimed, {}, { status: 'uploading', size: 7, properties: { os_glance_import_task: 'gone-too', os_glance_importing_to_stores: 'local' } });
    mkdirSync(stack.config.storage.stagingDir, { recursive: true });
    const staged = [claimed, unclaimed].map((id) => join(stack.config.storage.stagingDir, id));
    for (const file of staged) writeFileSync(file, 'staged data');
    await update([claimed, unclaimed]);
    for (const id of [claimed, unclaimed]) {
      const img = (await images.findById(id))!;
      assert.equal(img.status, 'queued', id);
      assert.deepEqual([img.size, img.checksum, img.virtualSize], [null, null, null]);
      assert.equal(img.properties.os_glance_import_task, undefined);
      assert.equal(img.properties.os_glance_failed_import, 'local');
    }
    for (const file of staged) assert.equal(existsSync(file), false, `${file}: a queued image keeps no staged data`);
  });

  it('a saving image without a heartbeat returns to queued; one with a recent heartbeat does not', async () => {
    const stuck = await image();
    await images.update(stuck, {}, { status: 'saving', size: 123 });
    await images.update(stuck, {}, { updatedAt: new Date(Date.now() - HOUR) });
    const live = await image();
    await images.update(live, {}, { status: 'saving' });
    await update([stuck, live]);
    const back = (await images.findById(stuck))!;
    assert.equal(back.status, 'queued');
    assert.equal(back.size, null);
    assert.equal((await images.findById(live))!.status, 'saving');
  });

  it('a stage whose API process died (uploading, no size, no heartbeat) returns to queued and frees its upload slot; a finished or live one does not', async () => {
    const project = { ...member, 'x-project-id': 'pstage' };
    const uploading = async () => (await (await fetch(`${api.url}/v2/info/usage`, { headers: project })).json() as { usage: Record<string, { usage: number }> }).usage.image_count_uploading!.usage;
    const dead = await image(project);
    await images.update(dead, {}, { status: 'uploading', updatedAt: new Date(Date.now() - HOUR) });
    const partial = join(stack.config.storage.stagingDir, dead);
    mkdirSync(stack.config.storage.stagingDir, { recursive: true });
    writeFileSync(partial, 'what the stage had written');
    const staged = await image();
    await images.update(staged, {}, { status: 'uploading', size: 5, updatedAt: new Date(Date.now() - HOUR) });
    const live = await image();
    await images.update(live, {}, { status: 'uploading' });
    assert.equal(await uploading(), 1);
    await update([dead, staged, live]);
    const back = (await images.findById(dead))!;
    assert.equal(back.status, 'queued');
    assert.equal(back.size, null);
    assert.equal(existsSync(partial), false, 'the staged leftovers are removed');
    assert.equal(await uploading(), 0);
    assert.equal((await images.findById(staged))!.status, 'uploading');
    assert.equal((await images.findById(live))!.status, 'uploading');
  });

  it('a finished task\'s lock on a queued image is released', async () => {
    const id = await image();
    const done = await task(id, 'failure', 0);
    await images.update(id, {}, { properties: { os_glance_import_task: done.id, keep: 'me' } });
    await update([id]);
    const img = (await images.findById(id))!;
    assert.equal(img.status, 'queued');
    assert.deepEqual(img.properties, { keep: 'me', os_glance_importing_to_stores: '', os_glance_failed_import: '' });
  });
});
