import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@glimpse/config';
import { InspectorFormatGate } from '@glimpse/storage';
import { qcow2, vmdkSparse } from './hostile-images.js';

/** The verdict of the gate built from these GLIMPSE_FORMAT_* settings on `data` declared as `diskFormat`. */
function judge(env: Record<string, string>, data: Buffer, diskFormat: string) {
  const watcher = new InspectorFormatGate(loadConfig(env).format).watcher();
  for (let i = 0; i < data.length; i += 4096) watcher.push(data.subarray(i, i + 4096));
  return watcher.verdict({ diskFormat, containerFormat: 'bare' });
}

describe('format gate settings (GLIMPSE_FORMAT_*)', () => {
  it('refuses a qcow2 declared raw by default, and lets it through without virtual size when matching is off', () => {
    const strict = judge({}, qcow2(), 'raw');
    assert.equal(strict.ok, false);
    assert.equal(strict.ok === false && strict.code, 'format-mismatch');
    assert.deepEqual(judge({ GLIMPSE_FORMAT_REQUIRE_MATCH: 'false' }, qcow2(), 'raw'), { ok: true, virtualSize: null, format: 'qcow2' });
  });

  it('accepts monolithicSparse vmdk by default and refuses it when the allowed types exclude it', () => {
    assert.equal(judge({}, vmdkSparse(), 'vmdk').ok, true);
    const refused = judge({ GLIMPSE_FORMAT_VMDK_ALLOWED_TYPES: 'streamOptimized' }, vmdkSparse(), 'vmdk');
    assert.equal(refused.ok === false && refused.code, 'vmdk-create-type');
  });

  it('accepts encrypted qcow2 as Glance does, and refuses it when encryption is not allowed', () => {
    assert.equal(judge({}, qcow2({ crypt: 1 }), 'qcow2').ok, true);
    const refused = judge({ GLIMPSE_FORMAT_ALLOW_QCOW2_ENCRYPTION: 'false' }, qcow2({ crypt: 1 }), 'qcow2');
    assert.equal(refused.ok === false && refused.code, 'qcow2-encrypted');
  });

  it('rejects an unknown nonfatal check name at start-up, naming the variable', () => {
    assert.throws(() => loadConfig({ GLIMPSE_FORMAT_NONFATAL_CHECKS: 'qcow2-backing-file' }), /GLIMPSE_FORMAT_NONFATAL_CHECKS/);
  });
});
