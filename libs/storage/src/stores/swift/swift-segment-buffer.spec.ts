import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SegmentBuffer } from './swift-segment-buffer.js';

const MiB = 1 << 20;

/** Feeds `bytes` in pieces of `piece` bytes. */
function feed(buffer: SegmentBuffer, bytes: Buffer, piece: number): void {
  for (let at = 0; at < bytes.length; at += piece) buffer.add(bytes.subarray(at, at + piece));
}

describe('Swift segment buffer', () => {
  it('cuts the bytes into segments at exact boundaries, whatever the pieces, and keeps the rest as the last one', () => {
    const bytes = randomBytes(2 * 300_000 + 12_345);
    for (const piece of [1000, 65_536, 300_000, 1 << 20]) {
      const buffer = new SegmentBuffer(300_000);
      feed(buffer, bytes, piece);
      const first = buffer.takeFull()!;
      const second = buffer.takeFull()!;
      assert.equal(buffer.takeFull(), undefined);
      const rest = buffer.takeRest();
      assert.deepEqual([first, second, rest].map((b) => Buffer.concat(b).length), [300_000, 300_000, 12_345], `pieces of ${piece}`);
      assert.ok(Buffer.concat([...first, ...second, ...rest]).equals(bytes), `pieces of ${piece}: the same bytes`);
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
    let previous: Buffer[] | undefined;
    for (let segment = 0; segment < 10; segment++) {
      for (let i = 0; i < 16; i++) buffer.add(piece);
      const full = buffer.takeFull()!;
      for (const unit of full) seen.add(unit.buffer);
      assert.ok(Buffer.concat(full).equals(Buffer.concat(Array(16).fill(piece))));
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
    assert.equal(buffer.hasFull, false);
    assert.ok(Buffer.concat(buffer.takeRest()).equals(bytes));
  });
});
