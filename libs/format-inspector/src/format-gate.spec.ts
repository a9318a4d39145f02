import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFormat, type FormatCheckInput } from './format-gate.js';
import type { DetectedFormat, InspectionResult, Reason } from './types.js';

function result(format: DetectedFormat, virtualSize: number | null, reasons: Reason[] = []): InspectionResult {
  return { format, matches: format === 'raw' ? [] : [format], virtualSize, actualSize: 5000, safe: reasons.length === 0, reasons, details: {}, peakRetainedBytes: 0 };
}

const gate = (disk: string | null, r: InspectionResult, more: Partial<FormatCheckInput> = {}) =>
  checkFormat({ declaredDiskFormat: disk, declaredContainerFormat: 'bare', result: r, requireMatch: true, ...more });

describe('checkFormat', () => {
  it('accepts content that is the declared format and gives its virtual size', () => {
    assert.deepEqual(gate('qcow2', result('qcow2', 1 << 30)), { ok: true, virtualSize: 1 << 30, format: 'qcow2' });
    assert.deepEqual(gate('vhd', result('vhd', 1234)), { ok: true, virtualSize: 1234, format: 'vhd' });
    assert.deepEqual(gate('iso', result('iso', 4096)), { ok: true, virtualSize: 4096, format: 'iso' });
  });

  it('takes raw, partitioned, ISO and LUKS content as raw, sized by the bytes', () => {
    for (const format of ['raw', 'gpt', 'mbr', 'iso', 'luks'] as const) {
      assert.deepEqual(gate('raw', result(format, 777)), { ok: true, virtualSize: 5000, format });
    }
  });

  it('refuses a qcow2 declared raw (or anything else declared as what it is not) when a match is required', () => {
    const verdict = gate('raw', result('qcow2', 1 << 30));
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.code, 'format-mismatch');
    assert.match(!verdict.ok ? verdict.reason : '', /qcow2.*raw/);
    assert.equal(gate('qcow2', result('raw', 5000)).ok, false);
    assert.equal(gate('vmdk', result('vhd', 5000)).ok, false);
    assert.equal(gate('private-format', result('raw', 5000)).ok, false);
  });

  it('without require_image_format_match accepts a mismatch but withholds the virtual size', () => {
    assert.deepEqual(gate('raw', result('qcow2', 1 << 30), { requireMatch: false }), { ok: true, virtualSize: null, format: 'qcow2' });
  });

  it('takes ami/aki/ari as raw by content, and ploop only as raw without a size', () => {
    assert.deepEqual(gate('ami', result('raw', 5000)), { ok: true, virtualSize: 5000, format: 'raw' });
    assert.deepEqual(gate('aki', result('raw', 5000)), { ok: true, virtualSize: 5000, format: 'raw' });
    assert.equal(gate('ari', result('qcow2', 5000)).ok, false);
    assert.deepEqual(gate('ploop', result('raw', 5000)), { ok: true, virtualSize: null, format: 'raw' });
    assert.equal(gate('ploop', result('qcow2', 5000)).ok, false);
  });

  it('checks the format only for bare containers, but refuses unsafe content in any container', () => {
    assert.deepEqual(gate('raw', result('qcow2', 10), { declaredContainerFormat: 'ovf' }), { ok: true, virtualSize: null, format: 'qcow2' });
    const backed = result('qcow2', 10, [{ code: 'qcow2-backing-file', format: 'qcow2', message: 'qcow2 image has a backing file' }]);
    const verdict = gate('qcow2', backed, { declaredContainerFormat: 'ova' });
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.code, 'qcow2-backing-file');
    // Partition-table heuristics are for bare disks only: random bytes in a compressed container may look like one.
    const badMbr = result('mbr', 5000, [{ code: 'mbr-invalid', format: 'mbr', message: 'MBR partition has an invalid boot flag' }]);
    assert.equal(gate('raw', badMbr, { declaredContainerFormat: 'compressed' }).ok, true);
    assert.equal(gate('raw', badMbr).ok, false);
  });

  it('tolerates only the reasons configured as non-fatal, never a multiple-format match', () => {
    const badMbr = result('mbr', 5000, [{ code: 'mbr-invalid', format: 'mbr', message: 'MBR has no partitions' }]);
    assert.equal(gate('raw', badMbr).ok, false);
    assert.deepEqual(gate('raw', badMbr, { nonfatal: ['mbr-invalid'] }), { ok: true, virtualSize: 5000, format: 'mbr' });
    const poly = result('qcow2', null, [{ code: 'multiple-formats', format: 'qcow2', message: 'Multiple formats detected: qcow2, iso' }]);
    assert.equal(gate('qcow2', poly, { nonfatal: ['multiple-formats'] }).ok, false);
  });

  it('accepts anything safe when no disk_format was declared, without a size', () => {
    assert.deepEqual(gate(null, result('vdi', 42)), { ok: true, virtualSize: null, format: 'vdi' });
  });
});
