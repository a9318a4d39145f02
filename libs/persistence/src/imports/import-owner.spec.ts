import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigOf } from '@glimpse/config';
import { GlimpseError, type Image, ImageStatus, importLockHolder, type Task, withImportLock } from '@glimpse/domain';
import type { ImageChanges } from '../images/image.mapper.js';
import type { ImageRepository } from '../images/image.repository.js';
import type { TaskRepository } from '../tasks/task.repository.js';
import { ImportOwner, type ImportStart } from './import-owner.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 4, 12);
const config = { lockTimeoutMs: 60 * MINUTE } as ConfigOf<'import'>;

/** An import owner over one image and a task table held in memory, on a clock the test moves. */
function ownerOver(image: Partial<Image>, tasks: Task[] = []) {
  const clock = { at: T0, now: () => clock.at };
  const state = { image: { id: 'img', status: 'queued', properties: {}, locations: [], rev: 1, ...image } as Image, tasks: new Map(tasks.map((t) => [t.id, t])) };
  const images = {
    findById: async (id: string) => (id === state.image.id ? state.image : null),
    mutate: async (_id: string, change: (image: Image) => ImageChanges | Promise<ImageChanges>) =>
      (state.image = { ...state.image, ...(await change(state.image)), rev: state.image.rev + 1 } as Image),
  } as unknown as ImageRepository;
  const taskRepo = {
    create: async (task: Task) => (state.tasks.set(task.id, task), task),
    findById: async (id: string) => state.tasks.get(id) ?? null,
    remove: async (id: string) => void state.tasks.delete(id),
    transition: async (id: string, _from: string, to: Task['status'], changes: Partial<Task> = {}) => {
      const task = { ...state.tasks.get(id)!, ...changes, status: to };
      state.tasks.set(id, task);
      return task;
    },
  } as unknown as TaskRepository;
  return { owner: new ImportOwner(images, taskRepo, config, clock), clock, state };
}

const task = (id: string, status: Task['status'], updatedAt: number) => ({ id, status, updatedAt: new Date(updatedAt) }) as Task;

const start = (extra: Partial<ImportStart> = {}): ImportStart => ({
  imageId: 'img',
  owner: 'p',
  input: {},
  requestId: null,
  userId: null,
  check: () => undefined,
  enqueue: async () => undefined,
  unqueued: 'The import could not be queued',
  ...extra,
});

const activeTask = (err: unknown) => err instanceof GlimpseError && err.kind === 'conflict' && err.message === 'Image has active task';

describe('the import owner takes over a stale lock by its clock', () => {
  it("refuses (409) while the holder's task moved within the lock timeout, and takes the lock once the clock passes it", async () => {
    const { owner, clock, state } = ownerOver({ properties: withImportLock({}, 'old') }, [task('old', 'processing', T0)]);
    clock.at = T0 + 60 * MINUTE;
    await assert.rejects(owner.start(start()), activeTask);
    assert.equal(importLockHolder(state.image), 'old', 'the live lock is kept');
    assert.deepEqual([...state.tasks.keys()], ['old'], "the refused start's task is removed");
    clock.at = T0 + 60 * MINUTE + 1;
    const taken = await owner.start(start());
    assert.equal(importLockHolder(state.image), taken, 'the stale lock is taken over');
  });

  it("gives a pending holder twice the timeout (its job may wait in the queue), by the same clock", async () => {
    const { owner, clock, state } = ownerOver({ properties: withImportLock({}, 'queued-job') }, [task('queued-job', 'pending', T0)]);
    clock.at = T0 + 120 * MINUTE;
    await assert.rejects(owner.start(start()), activeTask);
    assert.equal(importLockHolder(state.image), 'queued-job');
    clock.at = T0 + 120 * MINUTE + 1;
    const taken = await owner.start(start());
    assert.equal(importLockHolder(state.image), taken);
  });
});

describe('a start that fails after taking the lock is undone by the one "back to queued" rule', () => {
  const location = { url: 'http://data.example/disk', store: 'web', metadata: {}, status: 'active' as const };
  const locationStart = (extra: Partial<ImportStart>) =>
    start({ type: 'location_import', changes: () => ({ status: ImageStatus.Importing, locations: [location] }), ...extra });
  const unqueuable = { enqueue: () => Promise.reject(new Error('queue down')) };

  it('a start that moved the image (a location import) and cannot queue its job: queued again, the location dropped, the lock released, the task failed', async () => {
    const { owner, state } = ownerOver({ status: ImageStatus.Queued });
    await assert.rejects(owner.start(locationStart(unqueuable)), (err: unknown) => err instanceof GlimpseError && err.kind === 'unavailable');
    assert.equal(state.image.status, 'queued');
    assert.deepEqual(state.image.locations, []);
    assert.equal(importLockHolder(state.image), undefined);
    assert.deepEqual([...state.tasks.values()].map((t) => [t.status, t.message]), [['failure', 'The import could not be queued.']]);
  });

  it('the same start refused by its reservation: queued again without the location, no task left', async () => {
    const { owner, state } = ownerOver({ status: ImageStatus.Queued });
    await assert.rejects(owner.start(locationStart({ reserve: () => Promise.reject(new Error('over quota')) })), /over quota/);
    assert.equal(state.image.status, 'queued');
    assert.deepEqual(state.image.locations, []);
    assert.equal(importLockHolder(state.image), undefined);
    assert.equal(state.tasks.size, 0);
  });

  it('a start that moved nothing (glance-direct of a staged image) only releases the lock: the image stays uploading with its data', async () => {
    const { owner, state } = ownerOver({ status: ImageStatus.Uploading, size: 5, checksum: 'c' });
    await assert.rejects(owner.start(start(unqueuable)), (err: unknown) => err instanceof GlimpseError && err.kind === 'unavailable');
    assert.deepEqual([state.image.status, state.image.size, state.image.checksum], ['uploading', 5, 'c']);
    assert.equal(importLockHolder(state.image), undefined);
  });
});
