import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { QuotaMeter } from './quota-meter.js';
import type { QuotaHold } from './quota.service.js';

const MiB = 1024 * 1024;

/** A hold with `room` bytes left that grants what is wanted while it fits, recording each reservation. */
function fakeHold(room: number) {
  const calls: Array<{ needed: number; wanted: number }> = [];
  let left = room;
  const hold = {
    limited: () => true,
    grow: async (_resource: string, needed: number, wanted: number) => {
      calls.push({ needed, wanted });
      if (needed > left) throw new Error('over limit');
      const granted = Math.min(left, Math.max(needed, wanted));
      left -= granted;
      return granted;
    },
  } as unknown as QuotaHold;
  return { hold, calls };
}

const body = (bytes: number, chunk = 64 * 1024) => Readable.from((function* () {
  for (let done = 0; done < bytes; done += chunk) yield Buffer.alloc(Math.min(chunk, bytes - done));
})());
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('QuotaMeter', () => {
  it('reserves a chunked body in doubling steps: 100 MiB takes five reservations, not one per 8 MiB', async () => {
    const { hold, calls } = fakeHold(1024 * MiB);
    await pipeline(body(100 * MiB), new QuotaMeter(hold, 'image_size_total', 0), sink());
    assert.deepEqual(calls.map((c) => c.wanted / MiB), [8, 8, 16, 32, 64]);
  });

  it('fails the stream once the project has no room for the next bytes', async () => {
    const { hold } = fakeHold(10 * MiB);
    const meter = new QuotaMeter(hold, 'image_size_total', 0);
    await assert.rejects(pipeline(body(20 * MiB), meter, sink()), /over limit/);
    assert.match(String(meter.failure), /over limit/);
  });
});
