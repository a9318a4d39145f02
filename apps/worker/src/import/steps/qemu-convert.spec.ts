import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { QemuConverter, qemuDriver } from './qemu-convert.js';

describe('QemuConverter: defence in depth behind the format gate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-qemu-'));
  const at = (name: string) => join(dir, name);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const converter = new QemuConverter({ memoryBytes: 1 << 30, infoCpuSeconds: 30 });
  const signal = new AbortController().signal;

  it('refuses an input with a backing file or an external data file, and never writes the output', async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', at('base.qcow2'), '8M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', at('base.qcow2'), at('child.qcow2')]);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${at('data.raw')}`, at('datafile.qcow2'), '8M']);
    await assert.rejects(converter.convert(at('child.qcow2'), 'qcow2', at('out1.raw'), 'raw', signal), /backing file/);
    await assert.rejects(converter.convert(at('datafile.qcow2'), 'qcow2', at('out2.raw'), 'raw', signal), /data file/);
    assert.throws(() => execFileSync('test', ['-e', at('out1.raw')]));
  });

  it('converts and reports the virtual size of the output', async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'vdi', at('disk.vdi'), '4M']);
    assert.deepEqual(await converter.convert(at('disk.vdi'), 'vdi', at('disk.qcow2'), 'qcow2', signal), { virtualSize: 4 << 20 });
  });

  it('maps detected formats to qemu drivers, never letting qemu probe', () => {
    assert.equal(qemuDriver('vhd'), 'vpc');
    assert.equal(qemuDriver('gpt'), 'raw');
    assert.equal(qemuDriver('luks'), null);
    assert.equal(qemuDriver('unknown'), null);
  });
});
