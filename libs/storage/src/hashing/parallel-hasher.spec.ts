import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { closeIdleHashers, ParallelHasher, SLOT_SIZE } from './parallel-hasher.js';

const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

describe('ParallelHasher', () => {
  after(closeIdleHashers);

  // Sizes around the slot boundary, and enough to fill the 16-slot ring more than once.
  for (const size of [0, 1, SLOT_SIZE - 1, SLOT_SIZE, SLOT_SIZE + 1, 3 * SLOT_SIZE + 100, 40 * SLOT_SIZE + 7]) {
    it(`gives node:crypto's md5 and sha512 for ${size} bytes fed in uneven chunks`, async () => {
      const data = randomBytes(size);
      const hasher = new ParallelHasher('sha512');
      for (let pos = 0; pos < size; ) {
        const n = Math.min(size - pos, 1 + ((pos * 7919) % (3 * SLOT_SIZE)));
        await hasher.update(data.subarray(pos, pos + n));
        pos += n;
      }
      const d = await hasher.digest();
      assert.deepEqual(d, { size, md5: hex('md5', data), hashAlgo: 'sha512', hashValue: hex('sha512', data) });
    });
  }

  it('is reusable: a second hasher (from the idle pool) starts from scratch with its own algorithm', async () => {
    const a = randomBytes(2 * SLOT_SIZE + 3);
    const h1 = new ParallelHasher('sha256');
    await h1.update(a);
    assert.equal((await h1.digest()).hashValue, hex('sha256', a));
    const b = randomBytes(5);
    const h2 = new ParallelHasher('sha1');
    await h2.update(b);
    assert.deepEqual(await h2.digest(), { size: 5, md5: hex('md5', b), hashAlgo: 'sha1', hashValue: hex('sha1', b) });
  });

  it('gives up cleanly: an aborted hasher (workers asleep on an empty ring) ends, and the next one is right', async () => {
    const h = new ParallelHasher('sha512');
    await h.update(randomBytes(5 * SLOT_SIZE));
    h.abort();
    await assert.rejects(Promise.resolve(h.update(Buffer.alloc(1))).then(() => h.digest()), /./, 'an aborted hasher takes nothing more');
    const data = randomBytes(SLOT_SIZE + 9);
    const next = new ParallelHasher('sha512');
    await next.update(data);
    assert.equal((await next.digest()).md5, hex('md5', data));
  });

  it('fails (does not hang) when a worker cannot hash: an unknown algorithm', async () => {
    const h = new ParallelHasher('no-such-algorithm');
    const fed = (async () => {
      for (let i = 0; i < 40; i++) await h.update(Buffer.alloc(SLOT_SIZE));
      return h.digest();
    })();
    await assert.rejects(fed, /digest|algorithm|not supported|Invalid/i);
  });

  it('settles a call waiting for room when it is aborted (no caller left hanging on a full ring)', async () => {
    const h = new ParallelHasher('sha512');
    try {
      // A sink that never hands its slots back: the ring is full whatever the workers' pace.
      h.attach(() => {});
      const waiting = h.update(Buffer.alloc(64 * SLOT_SIZE));
      assert.ok(waiting, 'the ring (16 slots) cannot take 64 MiB at once');
      h.abort();
      await assert.rejects(waiting, /aborted/);
    } finally {
      h.abort(); // never leave the workers running: a failed assertion must not hang the file
    }
  });
});
