import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatInspector, HEAD_CACHE_BYTES, TAIL_RING_BYTES } from './format-inspector.js';

const KiB = 1024;

/** A minimal sane qcow2 v3 header followed by zeros. */
function qcow2(total: number): Buffer {
  const b = Buffer.alloc(total);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(1n << 30n, 24);
  b.writeUInt32BE(104, 100);
  return b;
}

/** A fixed VHD: zeros then a 512-byte footer with a valid checksum. */
function fixedVhd(dataBytes: number): Buffer {
  const f = Buffer.alloc(512);
  f.write('conectix', 0, 'latin1');
  f.write('qem2', 28, 'latin1');
  f.writeBigUInt64BE(BigInt(dataBytes), 48);
  f.writeUInt32BE(2, 60);
  let sum = 0;
  for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += f[i]!;
  f.writeUInt32BE(~sum >>> 0, 64);
  return Buffer.concat([Buffer.alloc(dataBytes), f]);
}

describe('FormatInspector', () => {
  it('finds a footer at the very end whatever the chunking (the tail ring keeps the last bytes)', () => {
    const image = fixedVhd(100 * KiB);
    for (const size of [1, 3, 511, 512, 513, TAIL_RING_BYTES + 1, 1 << 20]) {
      const inspector = new FormatInspector();
      for (let at = 0; at < image.length; at += size) inspector.push(image.subarray(at, at + size));
      const result = inspector.finish();
      assert.deepEqual([result.format, result.virtualSize, result.safe], ['vhd', 100 * KiB, true], `chunks of ${size}`);
    }
  });

  it('says when the head is done and where it wants to read next, so a seeking reader can skip', () => {
    const inspector = new FormatInspector();
    assert.equal(inspector.headComplete, false);
    assert.equal(inspector.wantedFrom, 0);
    inspector.push(qcow2(HEAD_CACHE_BYTES));
    // Every probe has decided from the first 64 KiB; only the VHD probe still waits, for the tail.
    assert.equal(inspector.headComplete, true);
    assert.equal(inspector.wantedFrom, null);
    inspector.skip((1 << 30) - HEAD_CACHE_BYTES - 512);
    inspector.push(Buffer.alloc(512));
    const result = inspector.finish();
    assert.deepEqual([result.format, result.virtualSize, result.actualSize], ['qcow2', 1 << 30, 1 << 30]);
  });

  it('keeps no more than the head cache, the tail ring and what the probes asked for', () => {
    const inspector = new FormatInspector();
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64; i++) inspector.push(chunk);
    assert.ok(inspector.peakRetainedBytes < 256 * KiB, String(inspector.peakRetainedBytes));
    assert.equal(inspector.finish().virtualSize, 64 << 20);
  });

  it('fails the inspection rather than allocate a range beyond its cap (and never falls back to raw)', () => {
    // The qcow2 probe asks for 512 bytes; this cap leaves room for less.
    const inspector = new FormatInspector({ maxRetainedBytes: HEAD_CACHE_BYTES + TAIL_RING_BYTES + 100 });
    inspector.push(qcow2(4 * KiB));
    const result = inspector.finish();
    assert.equal(result.format, 'unknown');
    assert.ok(result.reasons.some((r) => r.code === 'inspection-failed' && r.format === 'qcow2'));
    assert.ok(result.peakRetainedBytes <= HEAD_CACHE_BYTES + TAIL_RING_BYTES + 100);
  });

  it('turns a broken chunk into an unknown verdict instead of throwing', () => {
    const inspector = new FormatInspector();
    inspector.push(qcow2(1024));
    assert.doesNotThrow(() => inspector.push({ length: 5 } as unknown as Uint8Array));
    const result = inspector.finish();
    assert.equal(result.format, 'unknown');
    assert.deepEqual(result.reasons.map((r) => r.code), ['inspection-failed']);
    assert.equal(result.safe, false);
  });

  it('knows a refusal is certain as soon as a matched header fails a check, before the stream ends', () => {
    const inspector = new FormatInspector();
    const backed = qcow2(4 * KiB);
    backed.writeBigUInt64BE(0x200n, 8);
    inspector.push(backed);
    assert.deepEqual(inspector.certainReasons.map((r) => r.code), ['qcow2-backing-file']);
    const clean = new FormatInspector();
    clean.push(qcow2(4 * KiB));
    assert.deepEqual(clean.certainReasons.map((r) => r.code), []);
  });

  it('does not count a bad partition table as certain while the image may still be a hybrid ISO', () => {
    const inspector = new FormatInspector();
    const disk = Buffer.alloc(8 * KiB);
    disk[446] = 0x33; // invalid boot flag
    disk[450] = 0x83;
    disk[510] = 0x55;
    disk[511] = 0xaa;
    inspector.push(disk);
    assert.deepEqual(inspector.certainReasons.map((r) => r.code), []);
    inspector.push(Buffer.alloc(32 * KiB));
    assert.deepEqual(inspector.certainReasons.map((r) => r.code), ['mbr-invalid']);
  });

  it('ignores pushes after finish and returns the same verdict', () => {
    const inspector = new FormatInspector();
    inspector.push(Buffer.alloc(10));
    const first = inspector.finish();
    inspector.push(qcow2(1024));
    assert.equal(inspector.finish(), first);
    assert.equal(first.format, 'raw');
  });
});
