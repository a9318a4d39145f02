import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { GlimpseError } from '@glimpse/domain';
import { HashingTap } from './hashing-tap.js';
import { closeIdleHashers, SLOT_SIZE } from './parallel-hasher.js';

const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

function* pieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Collects what passes, slowly enough now and then that the ring fills and the tap has to wait for it. */
function collector(out: Buffer[]): Writable {
  let n = 0;
  return new Writable({
    highWaterMark: SLOT_SIZE,
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      if (++n % 97 === 0) setTimeout(cb, 2);
      else cb();
    },
  });
}

describe('HashingTap', () => {
  after(closeIdleHashers);

  it('passes every byte through in order while hashing them, also when the ring is full (48 MiB, 64 KiB chunks)', async () => {
    const data = randomBytes(48 * SLOT_SIZE + 12345);
    const tap = new HashingTap({ hashAlgo: 'sha512' });
    const out: Buffer[] = [];
    await pipeline(Readable.from(pieces(data, 65536)), tap, collector(out));
    assert.ok(Buffer.concat(out).equals(data));
    assert.deepEqual(await tap.digest(), { size: data.length, md5: hex('md5', data), hashAlgo: 'sha512', hashValue: hex('sha512', data) });
  });

  it('fails with a 413 before the first byte over the limit passes', async () => {
    const data = randomBytes(3 * SLOT_SIZE);
    const tap = new HashingTap({ limit: 2 * SLOT_SIZE + 10 });
    const out: Buffer[] = [];
    await assert.rejects(pipeline(Readable.from(pieces(data, 65536)), tap, collector(out)), (err) => err instanceof GlimpseError && err.kind === 'too-large');
    assert.ok(Buffer.concat(out).length <= 2 * SLOT_SIZE + 10);
  });
});
