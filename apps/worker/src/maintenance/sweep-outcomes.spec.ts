import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busy, invalid } from '@glimpse/domain';
import type { ImageRepository, ProjectUsageRepository, QuotaLedgerRepository } from '@glimpse/persistence';
import type { JobProducer } from '@glimpse/queue';
import type { StoreRegistry } from '@glimpse/storage';
import { fanOut } from './fan-out.js';
import { ReplicatorSweep } from './replicator.sweep.js';
import { UpdaterSweep } from './updater.sweep.js';

async function* stream<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}
const signal = new AbortController().signal;
const tick = { tick: '2026-12-03T15:00:00.000Z', trigger: 'manual' as const };

/** A producer that has already queued the ids in `existing` (a replayed tick), recording what it was asked. */
function producer(existing: string[]) {
  const asked: string[] = [];
  const fake = {
    asked,
    enqueueNew: async (_name: string, _payload: unknown, options: { jobId: string }) => {
      asked.push(options.jobId);
      return !existing.some((prefix) => options.jobId.startsWith(prefix));
    },
  };
  return fake;
}

describe('fanOut: what a sweep did', () => {
  it('counts the jobs really queued, apart from the candidates', async () => {
    const counts = await fanOut(stream([1, 2, 3, 4]), signal, async (n) => n % 2 === 0);
    assert.deepEqual(counts, { candidates: 4, enqueued: 2, errors: 0 });
  });

  it('counts a candidate that fails for good as an error and goes on; a retryable failure stops the sweep', async () => {
    const warned: string[] = [];
    const counts = await fanOut(
      stream(['a', 'b', 'c']),
      signal,
      async (id) => {
        if (id === 'b') throw invalid('bad record');
        return true;
      },
      { warn: (m: string) => warned.push(m) },
    );
    assert.deepEqual(counts, { candidates: 3, enqueued: 2, errors: 1 });
    assert.match(warned.join(), /bad record/);
    await assert.rejects(
      fanOut(stream(['a']), signal, async () => Promise.reject(busy('The record x is busy; try again.'))),
      /busy/,
    );
  });
});

describe('fanOut: stopping', () => {
  it('a sweep whose signal aborts stops before the next candidate, with the abort as its error', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      fanOut(stream([1, 2, 3]), stop.signal, async (n) => {
        seen.push(n);
        if (n === 2) stop.abort(new Error('worker shutting down'));
        return true;
      }),
      /worker shutting down/,
    );
    assert.deepEqual(seen, [1, 2]);
  });
});

describe('sweep results report what happened', () => {
  it('the updater counts images, jobs queued, projects and dropped holds each on its own', async () => {
    const queued = producer(['recover-i2@']);
    const stuckBefore: Date[] = [];
    const sweep = new UpdaterSweep(
      { recompute: async () => 3 } as unknown as ProjectUsageRepository,
      { dropDeadHolds: async () => 2 } as unknown as QuotaLedgerRepository,
      { streamStuck: (before: Date) => (stuckBefore.push(before), stream([{ id: 'i1' }, { id: 'i2' }])) } as unknown as ImageRepository,
      queued as unknown as JobProducer,
      { stuckSavingMs: 60_000 },
      { now: () => Date.UTC(2026, 11, 4, 12) },
    );
    assert.deepEqual(await sweep.run(tick, signal), { candidates: 2, enqueued: 1, errors: 0, projects: 3, holdsDropped: 2 });
    assert.equal(queued.asked.length, 2);
    assert.deepEqual(stuckBefore, [new Date(Date.UTC(2026, 11, 4, 11, 59))], 'stuck means no heartbeat for stuckSavingMs by the clock');
  });

  it('the replicator counts only the jobs queued: not images needing no copy, nor jobs a replayed tick already had', async () => {
    const queued = producer(['replicate-dup@']);
    const active = (id: string, stores: string[]) => ({ id, visibility: 'public', locations: stores.map((store) => ({ store, status: 'active' })) });
    const sweep = new ReplicatorSweep(
      { streamReplicationCandidates: () => stream([active('short', ['a']), active('full', ['a', 'b']), active('dup', ['a'])]) } as unknown as ImageRepository,
      { writableIds: ['a', 'b'] } as unknown as StoreRegistry,
      queued as unknown as JobProducer,
      { policy: [{ visibility: '*', copies: 2 }] },
    );
    assert.deepEqual(await sweep.run(tick, signal), { candidates: 3, enqueued: 1, errors: 0 });
    assert.deepEqual(queued.asked.map((id) => id.split('@')[0]), ['replicate-short', 'replicate-dup']);
  });
});
