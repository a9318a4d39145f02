import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { HashingTap } from '@glimpse/storage';
import { decompress } from './decompress.step.js';
import { meter } from './meter.step.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of await source) out.push(c);
  return Buffer.concat(out);
}

/** The decompress step over a stream of `source`'s chunks. */
const inflated = (source: AsyncIterable<Buffer>) => decompress(Readable.from(source));

describe('decompress step', () => {
  const data = randomBytes(300_000);

  it('inflates gzip data, even when the magic arrives split over one-byte chunks', async () => {
    assert.deepEqual(await collect(inflated(chunks(gzipSync(data), 1000))), data);
    const gz = gzipSync(data);
    async function* split(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 1);
      yield* chunks(gz.subarray(1), 4096);
    }
    assert.deepEqual(await collect(inflated(split())), data);
  });

  it('passes anything else through untouched, including empty and one-byte inputs', async () => {
    assert.deepEqual(await collect(inflated(chunks(data, 777))), data);
    assert.deepEqual(await collect(inflated(chunks(Buffer.alloc(0), 1))), Buffer.alloc(0));
    assert.deepEqual(await collect(inflated(chunks(Buffer.from([0x1f]), 1))), Buffer.from([0x1f]));
  });

  it('fails on corrupt gzip instead of passing garbage on', async () => {
    const gz = gzipSync(data);
    gz[gz.length - 5] ^= 0xff; // breaks the CRC/size trailer
    await assert.rejects(collect(inflated(chunks(gz, 4096))));
  });
});

describe('meter step', () => {
  it('counts the chunks it sees and reports progress when the interval has gone by, and the total at the end', async () => {
    const seen: number[] = [];
    let clock = 0;
    const metered = meter(1000, (n) => seen.push(n), () => clock);
    // A chunk every 300 ms: reports at 1200 ms (4 chunks) and 2400 ms (8 chunks), then the total.
    for await (const c of chunks(Buffer.alloc(10_000), 1000)) {
      clock += 300;
      metered.see(c);
    }
    metered.end();
    assert.deepEqual(seen, [4000, 8000, 10_000]);
  });
});

describe('decompression under the size cap', () => {
  it('stops a decompression bomb at the cap of the store write, counting inflated bytes', async () => {
    const bomb = gzipSync(Buffer.alloc(5_000_000));
    assert.ok(bomb.length < 10_000);
    const tap = new HashingTap({ limit: 1_000_000 });
    let written = 0;
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((written += c.length), cb()) });
    await assert.rejects(pipeline(await inflated(chunks(bomb, 1024)), tap, sink), /too large/);
    assert.ok(written <= 1_000_000);
  });
});
