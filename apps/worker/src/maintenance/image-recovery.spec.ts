import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigOf } from '@glimpse/config';
import { type Image, type Task, withImportLock } from '@glimpse/domain';
import type { ImageRepository, ImportOwner, TaskRepository } from '@glimpse/persistence';
import type { StagingArea } from '@glimpse/storage';
import { ImageRecovery } from './image-recovery.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 4, 12);

/** The updater's recovery of one image, over fakes, on a clock the test moves; records what it changed. */
function recoveryOf(image: Partial<Image>, task?: Partial<Task>) {
  const clock = { at: T0, now: () => clock.at };
  const done = { requeued: 0, rolledBack: [] as string[] };
  const current = { id: 'img', properties: {}, size: null, rev: 1, updatedAt: new Date(T0), ...image } as Image;
  const recovery = new ImageRecovery(
    {
      findById: async () => current,
      update: async () => (done.requeued++, current),
    } as unknown as ImageRepository,
    { findById: async () => (task ? ({ id: 't', status: 'processing', updatedAt: new Date(T0), ...task } as Task) : null) } as unknown as TaskRepository,
    { remove: async () => undefined } as unknown as StagingArea,
    { rollBack: async (_imageId: string, taskId: string) => (done.rolledBack.push(taskId), current) } as unknown as ImportOwner,
    { stuckSavingMs: 30 * MINUTE } as ConfigOf<'updater'>,
    { lockTimeoutMs: 60 * MINUTE } as ConfigOf<'import'>,
    clock,
  );
  return { recovery, clock, done };
}

describe('the updater recovers an image by its clock', () => {
  it("leaves an import whose task moved within the lock timeout, and rolls it back once the clock passes it", async () => {
    const { recovery, clock, done } = recoveryOf({ status: 'importing', properties: withImportLock({}, 't') }, { status: 'processing' });
    clock.at = T0 + 60 * MINUTE;
    assert.deepEqual(await recovery.recover('img'), { outcome: 'live' });
    assert.deepEqual(done.rolledBack, []);
    clock.at = T0 + 60 * MINUTE + 1;
    assert.deepEqual(await recovery.recover('img'), { outcome: 'requeued' });
    assert.deepEqual(done.rolledBack, ['t']);
  });

  it('leaves an upload with a recent heartbeat, and queues it again once the clock passes the stuck-saving age', async () => {
    const { recovery, clock, done } = recoveryOf({ status: 'saving' });
    clock.at = T0 + 30 * MINUTE - 1;
    assert.deepEqual(await recovery.recover('img'), { outcome: 'live' });
    assert.equal(done.requeued, 0);
    clock.at = T0 + 30 * MINUTE;
    assert.deepEqual(await recovery.recover('img'), { outcome: 'requeued' });
    assert.equal(done.requeued, 1);
  });
});
