import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Segment, SegmentBuffer } from './swift-segment-buffer.js';

const MiB = 1 << 20;

/** Feeds `bytes` in pieces of `piece` bytes. */
function feed(buffer: SegmentBuffer, bytes: Buffer, piece: number): void {
  for (let at = 0; at < bytes.length; at += piece) buffer.add(bytes.subarray(at, at + piece));
}

/** What one attempt of a body sends. */
async function sendOnce(segment: Segment, announced: number): Promise<{ length: number; bytes: Buffer }> {
  const { length, chunks } = await segment.streamed(announced).open();
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return { length, bytes: Buffer.concat(parts) };
}

describe('Swift segment buffer', () => {
  it('cuts the bytes into segments at exact boundaries, whatever the pieces, and keeps the rest as the last one', () => {
    const bytes = randomBytes(2 * 300_000 + 12_345);
    for (const piece of [1000, 65_536, 300_000, 1 << 20]) {
      const buffer = new SegmentBuffer(300_000);
      feed(buffer, bytes, piece);
      const first = buffer.take()!;
      const second = buffer.take()!;
      assert.equal(buffer.take(), undefined, 'the third is still open');
      buffer.end();
      const rest = buffer.take()!;
      assert.deepEqual([first, second, rest].map((s) => [s.closed, s.length]), [[true, 300_000], [true, 300_000], [true, 12_345]], `pieces of ${piece}`);
      assert.ok(Buffer.concat([first, second, rest].flatMap((s) => s.views())).equals(bytes), `pieces of ${piece}: the same bytes`);
    }
  });

  it('copies: the caller may reuse what it handed in (a ring slot)', () => {
    const buffer = new SegmentBuffer(MiB);
    const slot = Buffer.alloc(1000, 1);
    buffer.add(slot);
    slot.fill(2);
    assert.ok(Buffer.concat(buffer.takeRest()).equals(Buffer.alloc(1000, 1)));
  });

  it('a released segment is filled again: units are not allocated past the segments held at once', () => {
    const buffer = new SegmentBuffer(4 * MiB);
    const seen = new Set<ArrayBufferLike>();
    const piece = randomBytes(256 * 1024);
    let previous: Segment | undefined;
    for (let segment = 0; segment < 10; segment++) {
      for (let i = 0; i < 16; i++) buffer.add(piece);
      const full = buffer.take()!;
      for (const unit of full.units) seen.add(unit.buffer);
      assert.ok(Buffer.concat(full.views()).equals(Buffer.concat(Array(16).fill(piece))));
      if (previous) buffer.release(previous); // two held at a time, as the writer does
      previous = full;
    }
    assert.equal(seen.size, 8, 'two segments of four 1 MiB units');
  });

  it('a whole image below the segment size is one body; an empty one is none', () => {
    const buffer = new SegmentBuffer(64 * MiB);
    assert.deepEqual(buffer.takeRest(), []);
    const bytes = randomBytes(3 * MiB + 7);
    feed(buffer, bytes, 65_536);
    assert.equal(buffer.take(), undefined);
    assert.ok(Buffer.concat(buffer.takeRest()).equals(bytes));
  });

  it('a streamed body follows its segment as it fills; a later attempt waits until it is whole', async () => {
    const buffer = new SegmentBuffer(3 * MiB);
    const bytes = randomBytes(3 * MiB);
    buffer.add(bytes.subarray(0, MiB));
    const segment = buffer.take(true)!;
    assert.equal(segment.closed, false, 'taken while filling');
    const first = sendOnce(segment, 3 * MiB);
    const retry = segment.streamed(3 * MiB);
    void retry.open(); // the first attempt of this body streams too: take it out of the way
    const whole = retry.open();
    for (let at = MiB; at < bytes.length; at += 256 * 1024) {
      await new Promise((r) => setImmediate(r));
      buffer.add(bytes.subarray(at, at + 256 * 1024));
    }
    assert.deepEqual(await first, { length: 3 * MiB, bytes });
    const opened = await whole;
    assert.equal(opened.length, 3 * MiB);
    assert.ok(Buffer.concat(opened.chunks as Buffer[]).equals(bytes));
  });

  it('a streamed attempt fails when the segment ends up shorter or longer than announced', async () => {
    const short = new SegmentBuffer(4 * MiB);
    short.add(randomBytes(MiB));
    const shortSegment = short.take(true)!;
    const attempt = sendOnce(shortSegment, 2 * MiB);
    short.end();
    await assert.rejects(attempt, /ended at 1048576 bytes, 2097152 were announced/);
    const long = new SegmentBuffer(4 * MiB);
    long.add(randomBytes(MiB));
    const longSegment = long.take(true)!;
    const tooFar = sendOnce(longSegment, MiB + 10);
    long.add(randomBytes(MiB));
    await assert.rejects(tooFar, /grew past the 1048586 bytes announced/);
  });

  it('a failed write stops whatever waits on its segments', async () => {
    const buffer = new SegmentBuffer(4 * MiB);
    buffer.add(randomBytes(MiB));
    const segment = buffer.take(true)!;
    const attempt = sendOnce(segment, 4 * MiB);
    buffer.clear(new Error('the write failed'));
    await assert.rejects(attempt, /the write failed/);
    await assert.rejects(segment.whole(), /the write failed/);
  });
});
