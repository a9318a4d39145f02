import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatWatcher } from './format-watcher.js';

/** A qcow2 v3 header (1 GiB, 64 KiB clusters: two L1 entries) with its tables inside a 192 KiB file. */
function qcow2(backing = false): Buffer {
  const b = Buffer.alloc(192 * 1024);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  if (backing) b.writeBigUInt64BE(0x200n, 8);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(1n << 30n, 24);
  b.writeUInt32BE(2, 36);
  b.writeBigUInt64BE(128n * 1024n, 40);
  b.writeBigUInt64BE(64n * 1024n, 48);
  b.writeUInt32BE(1, 56);
  b.writeUInt32BE(104, 100);
  return b;
}

describe('FormatWatcher', () => {
  it('judges the watched bytes against the declared formats', () => {
    const watcher = new FormatWatcher({ requireMatch: true });
    watcher.push(qcow2());
    assert.deepEqual(watcher.verdict({ diskFormat: 'qcow2', containerFormat: 'bare' }), { ok: true, virtualSize: 1 << 30, format: 'qcow2' });
    assert.equal(watcher.verdict({ diskFormat: 'raw', containerFormat: 'bare' }).ok, false);
  });

  it('reports a refusal early, from the header alone, unless its reason is configured non-fatal', () => {
    const watcher = new FormatWatcher({ requireMatch: true });
    watcher.push(qcow2(true).subarray(0, 4096));
    assert.equal(watcher.earlyRefusal()?.code, 'qcow2-backing-file');
    const clean = new FormatWatcher({ requireMatch: true });
    clean.push(qcow2().subarray(0, 4096));
    assert.equal(clean.earlyRefusal(), null);
    const lenient = new FormatWatcher({ requireMatch: true, nonfatal: ['qcow2-backing-file'] });
    lenient.push(qcow2(true).subarray(0, 4096));
    assert.equal(lenient.earlyRefusal(), null);
  });
});
