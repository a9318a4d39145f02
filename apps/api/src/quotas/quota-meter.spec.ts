import assert from 'node:assert/strict';
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

/** `bytes` in chunks of `chunk`, each admitted by the meter before the next (as the image writer does). */
async function admitAll(meter: QuotaMeter, bytes: number, chunk = 64 * 1024): Promise<void> {
  for (let done = 0; done < bytes; done += chunk) await meter.admit(Buffer.alloc(Math.min(chunk, bytes - done)));
}

describe('QuotaMeter', () => {
  it('reserves a chunked body in doubling steps: 100 MiB takes five reservations, not one per 8 MiB', async () => {
    const { hold, calls } = fakeHold(1024 * MiB);
    await admitAll(new QuotaMeter(hold, 'image_size_total', 0), 100 * MiB);
    assert.deepEqual(calls.map((c) => c.wanted / MiB), [8, 8, 16, 32, 64]);
  });

  it('refuses the next bytes once the project has no room for them', async () => {
    const { hold } = fakeHold(10 * MiB);
    const meter = new QuotaMeter(hold, 'image_size_total', 0);
    await assert.rejects(admitAll(meter, 20 * MiB), /over limit/);
    assert.match(String(meter.failure), /over limit/);
    assert.throws(() => meter.assertWithinQuota(), /over limit/);
  });

  it('asks nothing while within the allowance', async () => {
    const { hold, calls } = fakeHold(0);
    const meter = new QuotaMeter(hold, 'image_size_total', 4 * MiB);
    await admitAll(meter, 4 * MiB);
    assert.deepEqual(calls, []);
  });
});
