import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ImageRepository } from '@glimpse/persistence';
import type { RunningApi } from '../support/api-app.js';
import { type MaintenanceStack, startMaintenanceStack } from '../support/maintenance-run.js';

const HOUR = 3600_000;
const member = { accept: 'application/json', 'content-type': 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };

describe('reaper: data of deleted images is removed, records are purged after retention', () => {
  let stack: MaintenanceStack;
  let api: RunningApi;
  let images: ImageRepository;

  before(async () => {
    stack = await startMaintenanceStack({
      GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME_SECONDS: '3600', GLIMPSE_KILLED_GRACE_MINUTES: '60', GLIMPSE_DELETED_RETENTION_DAYS: '1',
    });
    api = stack.api;
    images = api.app.get(ImageRepository);
  });
  after(() => stack?.close());

  /** An active image with 64 KiB in the file store; returns its id and the stored file. */
  const withData = async () => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await res.json()) as { id: string };
    const put = await fetch(`${api.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...member, 'content-type': 'application/octet-stream' }, body: randomBytes(65536) });
    assert.equal(put.status, 204);
    const file = fileURLToPath((await images.findById(id))!.locations[0]!.url);
    assert.ok(existsSync(file));
    return { id, file };
  };
  const remove = (id: string) => fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: member });

  const reap = (ids: string[]) => stack.runSweep('reaper', 'reap', ids);

  it('pending_delete keeps its data until scrub_time, then the reaper removes it and marks it deleted', async () => {
    const { id, file } = await withData();
    assert.equal((await remove(id)).status, 204);
    assert.equal((await images.findById(id))!.status, 'pending_delete');
    await reap([id]);
    assert.equal((await images.findById(id))!.status, 'pending_delete', 'not before scrub_time');
    assert.ok(existsSync(file), 'its data is kept until then');

    await images.update(id, {}, { deletedAt: new Date(Date.now() - 2 * HOUR) });
    await reap([id]);
    const after = (await images.findById(id))!;
    assert.equal(after.status, 'deleted');
    assert.deepEqual(after.locations, []);
    assert.ok(!existsSync(file), 'the stored file is gone');
  });

  it('a pending_delete image restored before the reaper runs keeps its bytes', async () => {
    const { id, file } = await withData();
    await remove(id);
    await images.update(id, {}, { deletedAt: new Date(Date.now() - 2 * HOUR) });
    // Restored (glance-scrubber --restore) while due: the reaper must leave it and its bytes alone.
    await images.transition(id, 'pending_delete', 'active');
    await reap([id]);
    assert.equal((await images.findById(id))!.status, 'active');
    assert.ok(existsSync(file));
  });

  it('killed images are purged after their grace period; deleted records after retention', async () => {
    const killed = await withData();
    await images.update(killed.id, {}, { status: 'killed' });
    await reap([killed.id]);
    assert.equal((await images.findById(killed.id))!.status, 'killed', 'within the grace period');
    await images.update(killed.id, {}, { updatedAt: new Date(Date.now() - 2 * HOUR) });
    await reap([killed.id]);
    assert.equal((await images.findById(killed.id))!.status, 'deleted');
    assert.ok(!existsSync(killed.file));

    const old = await withData();
    await images.update(old.id, {}, { status: 'deleted', deletedAt: new Date(Date.now() - 2 * 24 * HOUR) });
    await reap([old.id]);
    assert.equal(await images.findById(old.id), null, 'the record is purged');
    assert.ok(!existsSync(old.file));
  });

  it('removes temporary files of interrupted writes once untouched past the grace period, not fresh ones', async () => {
    const storeDir = join(stack.config.dataDir, 'stores', 'local');
    mkdirSync(storeDir, { recursive: true });
    mkdirSync(stack.config.storage.stagingDir, { recursive: true });
    const stale = [join(storeDir, '.dead-upload.part'), join(stack.config.storage.stagingDir, '.dead-stage.part')];
    const fresh = join(storeDir, '.live-upload.part');
    for (const f of [...stale, fresh]) writeFileSync(f, 'partial');
    const old = new Date(Date.now() - 2 * HOUR);
    for (const f of stale) utimesSync(f, old, old);
    await reap([]);
    for (const f of stale) assert.ok(!existsSync(f), f);
    assert.ok(existsSync(fresh), 'a file still being written is kept');
  });

  it('an id is never reused (OSSN-0075): a deleted and purged image\'s id is refused on v1 and v2 creates, 409', async () => {
    const v1 = (id: string) =>
      fetch(`${api.url}/v1/images`, { method: 'POST', headers: { ...member, 'content-type': 'application/octet-stream', 'content-length': '0', 'x-image-meta-id': id, 'x-image-meta-name': 'again' } });
    const v2 = (id: string) => fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({ id, name: 'again' }) });
    const removeV1 = (id: string) => fetch(`${api.url}/v1/images/${id}`, { method: 'DELETE', headers: member });
    for (const [made, removed] of [[v1, removeV1], [v2, remove]] as const) {
      const id = randomUUID();
      assert.equal((await made(id)).status, 201);
      assert.ok((await removed(id)).ok);
      await images.update(id, {}, { deletedAt: new Date(Date.now() - 2 * 24 * HOUR) });
      await reap([id]);
      assert.equal(await images.findById(id), null, 'the record is purged');
      for (const create of [v1, v2]) {
        const again = await create(id);
        const text = await again.text();
        assert.equal(again.status, 409, text);
        assert.match(text, new RegExp(`An image with identifier ${id} already exists`));
      }
      assert.equal(await images.findById(id), null, 'no record came back');
    }
    assert.equal((await v1(randomUUID())).status, 201, 'an unused id is still fine');
  });

  it('an image deleted without delayed delete (queued, no data) is kept as a record until retention', async () => {
    const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: member, body: JSON.stringify({}) });
    const { id } = (await res.json()) as { id: string };
    assert.equal((await remove(id)).status, 204);
    assert.equal((await images.findById(id))!.status, 'deleted');
    await reap([id]);
    assert.equal((await images.findById(id))!.status, 'deleted');
  });
});
