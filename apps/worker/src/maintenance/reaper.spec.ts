import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigOf } from '@glimpse/config';
import { type Image, ImageStatus, invalid, unavailable } from '@glimpse/domain';
import type { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import type { JobProducer } from '@glimpse/queue';
import type { StagingArea, StoreRegistry } from '@glimpse/storage';
import { ImageReaper } from './image-reaper.js';
import { ReaperSweep } from './reaper.sweep.js';

const NOW = Date.UTC(2026, 11, 4, 12);
const clock = { now: () => NOW };
const HOUR = 3600_000;
const rules: ConfigOf<'reaper'> = { deletedRetentionMs: 48 * HOUR, scrubTimeMs: 2 * HOUR, killedGraceMs: 3 * HOUR, orphanGraceMs: 24 * HOUR, partialGraceMs: 60_000 } as ConfigOf<'reaper'>;
const signal = new AbortController().signal;
const tick = { tick: '2026-12-04T12:00:00.000Z', trigger: 'manual' as const };

async function* stream<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

interface FakeStore {
  id: string;
  readOnly: boolean;
  deleted: string[];
  partialsAskedAt: Array<[number, number | undefined]>;
  fail?: Error;
  delete(location: string): Promise<void>;
  removeStalePartials(idleMs: number, now?: number): Promise<number>;
}
const fakeStore = (id: string, readOnly = false, fail?: Error): FakeStore => ({
  id,
  readOnly,
  deleted: [],
  partialsAskedAt: [],
  fail,
  async delete(location) {
    if (this.fail) throw this.fail;
    this.deleted.push(location);
  },
  async removeStalePartials(idleMs, now) {
    this.partialsAskedAt.push([idleMs, now]);
    return 1;
  },
});

interface Finding {
  imageId: string;
  store: string;
  location: string;
}

/** A reaper sweep over fakes: one image repository, stores by id, findings in a list. */
function sweepOver(stores: FakeStore[], findings: Finding[], images: Record<string, Partial<Image>> = {}) {
  const asked = { reapCandidates: [] as unknown[], orphansBefore: [] as Date[], staging: [] as Array<[number, number | undefined]>, removedFindings: [] as string[] };
  const sweep = new ReaperSweep(
    {
      streamReapCandidates: (cutoffs: unknown) => (asked.reapCandidates.push(cutoffs), stream([])),
      findById: async (id: string) => images[id] ?? null,
    } as unknown as ImageRepository,
    { enqueueNew: async () => true } as unknown as JobProducer,
    { stores, find: (id: string) => stores.find((s) => s.id === id) } as unknown as StoreRegistry,
    { removeStalePartials: async (idleMs: number, now?: number) => (asked.staging.push([idleMs, now]), 0) } as unknown as StagingArea,
    {
      orphansFoundBefore: async (before: Date) => (asked.orphansBefore.push(before), findings),
      remove: async (imageId: string, store: string) => void asked.removedFindings.push(`${imageId}@${store}`),
    } as unknown as AuditFindingRepository,
    rules,
    clock,
  );
  return { sweep, asked };
}

describe('the reaper sweep decides by its clock', () => {
  it('derives every cutoff from the clock: reap candidates, partial writes, orphans', async () => {
    const store = fakeStore('file');
    const { sweep, asked } = sweepOver([store], []);
    await sweep.run(tick, signal);
    assert.deepEqual(asked.reapCandidates, [{ deletedBefore: new Date(NOW - 48 * HOUR), pendingDeleteBefore: new Date(NOW - 2 * HOUR), killedBefore: new Date(NOW - 3 * HOUR) }]);
    assert.deepEqual(asked.staging, [[60_000, NOW]], 'staging partials aged by the clock');
    assert.deepEqual(store.partialsAskedAt, [[60_000, NOW]], "a store's partials aged by the clock");
    assert.deepEqual(asked.orphansBefore, [new Date(NOW - 24 * HOUR)]);
  });
});

describe('the reaper sweep removes orphans found before the grace', () => {
  const orphan = (imageId: string, store: string): Finding => ({ imageId, store, location: `${store}://${imageId}` });

  it('deletes an orphan nobody references and drops its finding; counts it with the partials removed', async () => {
    const store = fakeStore('file');
    const { sweep, asked } = sweepOver([store], [orphan('o1', 'file')]);
    const result = await sweep.run(tick, signal);
    assert.deepEqual(store.deleted, ['file://o1']);
    assert.deepEqual(asked.removedFindings, ['o1@file']);
    assert.equal(result.removed, 2, 'one store partial and one orphan');
    assert.equal(result.errors, 0);
  });

  it('keeps the bytes an image came to reference meanwhile, and those of a read-only store; both findings go', async () => {
    const store = fakeStore('file');
    const http = fakeStore('http', true);
    const finished = { id: 'o1', locations: [{ store: 'file', url: 'file://o1', metadata: {}, status: 'active' }] } as unknown as Partial<Image>;
    const { sweep, asked } = sweepOver([store, http], [orphan('o1', 'file'), orphan('o2', 'http')], { o1: finished });
    const result = await sweep.run(tick, signal);
    assert.deepEqual(store.deleted, []);
    assert.deepEqual(http.deleted, []);
    assert.deepEqual(asked.removedFindings, ['o1@file', 'o2@http']);
    assert.equal(result.removed, 2, 'the two stores’ partials only');
  });

  it('an orphan whose delete fails for good is an error and stays a finding for the next run', async () => {
    const store = fakeStore('file', false, invalid('refused'));
    const { sweep, asked } = sweepOver([store], [orphan('o1', 'file')]);
    const result = await sweep.run(tick, signal);
    assert.equal(result.errors, 1);
    assert.deepEqual(asked.removedFindings, []);
  });

  it('a store that does not answer stops the sweep (its job is retried) and keeps the finding', async () => {
    const store = fakeStore('file', false, unavailable('store down'));
    const { sweep, asked } = sweepOver([store], [orphan('o1', 'file')]);
    await assert.rejects(sweep.run(tick, signal), /store down/);
    assert.deepEqual(asked.removedFindings, []);
  });
});

describe('reaping one image (ImageReaper) by the clock', () => {
  /** A reaper over one image record; what it updated and purged. */
  function reaperOf(image: Partial<Image>) {
    const done = { updates: [] as unknown[], purged: [] as string[] };
    let current = { locations: [], ...image } as unknown as Image;
    const reaper = new ImageReaper(
      {
        findById: async () => current,
        update: async (_id: string, _where: unknown, changes: Partial<Image>) => (done.updates.push(changes), (current = { ...current, ...changes })),
        purge: async (id: string) => void done.purged.push(id),
      } as unknown as ImageRepository,
      { find: () => undefined } as unknown as StoreRegistry,
      { remove: async () => undefined } as unknown as StagingArea,
      rules,
      clock,
    );
    return { reaper, done };
  }
  const ago = (ms: number) => new Date(NOW - ms);

  it('a pending_delete image waits for scrub_time by the clock, then is deleted with deletedAt now', async () => {
    const young = reaperOf({ id: 'p', status: ImageStatus.PendingDelete, deletedAt: ago(2 * HOUR - 1), updatedAt: ago(2 * HOUR - 1) });
    assert.deepEqual(await young.reaper.reap('p'), { outcome: 'not-due', bytes: 0 });
    assert.deepEqual(young.done.updates, []);
    const due = reaperOf({ id: 'p', status: ImageStatus.PendingDelete, deletedAt: ago(2 * HOUR), updatedAt: ago(2 * HOUR) });
    assert.deepEqual(await due.reaper.reap('p'), { outcome: 'reaped', bytes: 0 });
    assert.deepEqual(due.done.updates, [{ status: ImageStatus.Deleted, deletedAt: ago(2 * HOUR) }]);
  });

  it('a killed image waits for its grace from its last update; once due it is deleted as of the clock', async () => {
    assert.deepEqual(await reaperOf({ id: 'k', status: ImageStatus.Killed, updatedAt: ago(3 * HOUR - 1) }).reaper.reap('k'), { outcome: 'not-due', bytes: 0 });
    const due = reaperOf({ id: 'k', status: ImageStatus.Killed, updatedAt: ago(3 * HOUR) });
    assert.deepEqual(await due.reaper.reap('k'), { outcome: 'reaped', bytes: 0 });
    assert.deepEqual(due.done.updates, [{ status: ImageStatus.Deleted, deletedAt: new Date(NOW) }]);
  });

  it('a deleted image is purged once past the retention by the clock, not before', async () => {
    const kept = reaperOf({ id: 'd', status: ImageStatus.Deleted, deletedAt: ago(48 * HOUR - 1), updatedAt: ago(48 * HOUR - 1) });
    assert.deepEqual(await kept.reaper.reap('d'), { outcome: 'reaped', bytes: 0 });
    assert.deepEqual(kept.done.purged, []);
    const old = reaperOf({ id: 'd', status: ImageStatus.Deleted, deletedAt: ago(48 * HOUR), updatedAt: ago(48 * HOUR) });
    assert.deepEqual(await old.reaper.reap('d'), { outcome: 'purged', bytes: 0 });
    assert.deepEqual(old.done.purged, ['d']);
  });
});
