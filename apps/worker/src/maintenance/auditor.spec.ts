import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import type { JobProducer } from '@glimpse/queue';
import type { StoreRegistry } from '@glimpse/storage';
import { AuditorSweep } from './auditor.sweep.js';

const NOW = Date.UTC(2026, 11, 4, 12);
const signal = new AbortController().signal;
const tick = { tick: '2026-12-04T12:00:00.000Z', trigger: 'manual' as const };

async function* stream<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

type Active = { id: string; size: number; locations?: Array<{ store: string; url: string }> };

/** An auditor sweep over active images sorted by id, a cursor, and one store listing `objects`. */
function auditorOver(images: Active[], budget: number, cursor: string, objects: Array<{ imageId: string; location: string }> = []) {
  const seen = { jobs: [] as Array<{ imageId: string; rehash: boolean }>, cursor: [] as string[], findings: [] as Array<{ imageId: string; location?: string; foundAt: Date }> };
  const sweep = new AuditorSweep(
    {
      streamActiveById: (after: string, upTo?: string) => stream(images.filter((i) => i.id > after && (upTo === undefined || i.id <= upTo))),
      findByIds: async (ids: string[]) => images.filter((i) => ids.includes(i.id)).map((i) => ({ locations: [], ...i })),
    } as unknown as ImageRepository,
    {
      cursor: async () => cursor,
      setCursor: async (_name: string, at: string) => void seen.cursor.push(at),
      record: async (finding: { imageId: string; location?: string; foundAt: Date }) => void seen.findings.push(finding),
    } as unknown as AuditFindingRepository,
    { enqueueNew: async (_name: string, payload: { imageId: string; rehash: boolean }) => (seen.jobs.push(payload), true) } as unknown as JobProducer,
    { stores: [{ id: 'file', listObjects: () => stream(objects) }] } as unknown as StoreRegistry,
    { bytesPerRun: budget },
    { now: () => NOW },
  );
  return { sweep, seen };
}

describe('the auditor sweep', () => {
  it('re-hashes from the cursor on within the byte budget, audits the rest without re-hashing, and moves the cursor', async () => {
    const images = [{ id: 'a', size: 10 }, { id: 'b', size: 10 }, { id: 'c', size: 10 }, { id: 'd', size: 10 }];
    const { sweep, seen } = auditorOver(images, 25, 'a');
    const result = await sweep.run(tick, signal);
    assert.deepEqual(seen.jobs, [{ imageId: 'b', rehash: true }, { imageId: 'c', rehash: true }, { imageId: 'd', rehash: false }, { imageId: 'a', rehash: false }]);
    assert.deepEqual(seen.cursor, ['c'], 'the next run starts after the last image re-hashed');
    assert.equal(result.bytes, 20, 'the bytes it planned to re-hash, not a made-up figure');
  });

  it('the next run goes on with the image that did not fit: every image gets its turn (none starves)', async () => {
    const images = [{ id: 'a', size: 10 }, { id: 'b', size: 10 }, { id: 'c', size: 10 }, { id: 'd', size: 10 }];
    const { sweep, seen } = auditorOver(images, 25, 'c');
    await sweep.run(tick, signal);
    assert.deepEqual(seen.jobs.filter((j) => j.rehash).map((j) => j.imageId), ['d', 'a']);
    assert.deepEqual(seen.cursor, ['a']);
  });

  it('an image larger than the whole budget is passed over, not a stop for every run', async () => {
    const { sweep, seen } = auditorOver([{ id: 'a', size: 100 }, { id: 'b', size: 1 }], 10, '');
    await sweep.run(tick, signal);
    assert.deepEqual(seen.jobs, [{ imageId: 'a', rehash: false }, { imageId: 'b', rehash: true }]);
    assert.deepEqual(seen.cursor, ['']);
  });

  it('once every image had its turn within the budget, wraps to the start and resets the cursor', async () => {
    const { sweep, seen } = auditorOver([{ id: 'a', size: 1 }, { id: 'b', size: 1 }], 100, 'a');
    await sweep.run(tick, signal);
    assert.deepEqual(seen.jobs, [{ imageId: 'b', rehash: true }, { imageId: 'a', rehash: true }]);
    assert.deepEqual(seen.cursor, ['']);
  });

  it('records an object no image references as an orphan found at the clock’s now; a referenced one is not', async () => {
    const images = [{ id: 'i1', size: 1, locations: [{ store: 'file', url: 'file:///i1' }] }];
    const { sweep, seen } = auditorOver(images, 0, '', [
      { imageId: 'i1', location: 'file:///i1' },
      { imageId: 'lost', location: 'file:///lost' },
      { imageId: 'i1', location: 'file:///i1.old' },
    ]);
    const result = await sweep.run(tick, signal);
    assert.deepEqual(seen.findings.map((f) => [f.imageId, f.location, f.foundAt.getTime()]), [['lost', 'file:///lost', NOW], ['i1', 'file:///i1.old', NOW]]);
    assert.equal(result.orphans, 2);
  });
});
