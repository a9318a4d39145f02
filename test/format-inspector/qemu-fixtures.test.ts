/**
 * Real images made by qemu-img, sfdisk, xorriso and genisoimage: the inspector's format and virtual size must equal
 * what `qemu-img info` reports, its safety verdict must name the expected reasons, and the result must not depend
 * on how the stream is chunked or whether the file is read by seeking.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { checkFormat, type DetectedFormat, type ReasonCode } from '@glimpse/format-inspector';
import { codes, inspectFile, inspectFileSeeking, qemuInfo, run, type Workdir, workdir } from './image-tools.js';

interface Fixture {
  name: string;
  /** Shell-free recipe: commands run in the work directory. */
  make: (w: Workdir) => void;
  /** Format to pass to `qemu-img info -f` when qemu cannot probe it (fixed VHD, descriptor files). */
  qemuFormat?: string;
  /** What qemu calls it, when not the inspector's name (qemu: vpc for vhd; raw for partitioned disks and ISOs). */
  qemuName?: string;
  format: DetectedFormat;
  reasons: ReasonCode[];
  /** Declared disk_format the gate must accept (when safe). */
  diskFormat: string;
}

const qemu = (w: Workdir, ...args: string[]) => run(w.dir, 'qemu-img', args);
/** LUKS creation times PBKDF2 on the CPU and qemu gives up ("Unable to get accurate CPU usage") now and then on a
 * busy machine: retry that one error. */
function qemuLuks(w: Workdir, ...args: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      qemu(w, ...args);
      return;
    } catch (err) {
      if (attempt >= 5 || !String((err as { stderr?: string }).stderr).includes('accurate CPU usage')) throw err;
    }
  }
}
const secret = ['--object', 'secret,id=s0,data=letmein'];

const FIXTURES: Fixture[] = [
  { name: 'q3.qcow2', make: (w) => qemu(w, 'create', '-q', '-f', 'qcow2', 'q3.qcow2', '1G'), format: 'qcow2', reasons: [], diskFormat: 'qcow2' },
  {
    name: 'q2.qcow2',
    make: (w) => qemu(w, 'create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'q2.qcow2', '3G'),
    format: 'qcow2',
    reasons: [],
    diskFormat: 'qcow2',
  },
  {
    name: 'converted.qcow2',
    make: (w) => {
      writeFileSync(w.path('data.raw'), Buffer.alloc(3 * 1024 * 1024 + 512, 7));
      qemu(w, 'convert', '-O', 'qcow2', 'data.raw', 'converted.qcow2');
    },
    format: 'qcow2',
    reasons: [],
    diskFormat: 'qcow2',
  },
  {
    name: 'backed.qcow2',
    make: (w) => {
      qemu(w, 'create', '-q', '-f', 'qcow2', 'base.qcow2', '1G');
      qemu(w, 'create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'backed.qcow2');
    },
    format: 'qcow2',
    reasons: ['qcow2-backing-file'],
    diskFormat: 'qcow2',
  },
  {
    name: 'datafile.qcow2',
    make: (w) => qemu(w, 'create', '-q', '-f', 'qcow2', '-o', 'data_file=datafile.data', 'datafile.qcow2', '100M'),
    format: 'qcow2',
    reasons: ['qcow2-data-file'],
    diskFormat: 'qcow2',
  },
  {
    name: 'encrypted.qcow2',
    make: (w) =>
      qemuLuks(w, 'create', '-q', ...secret, '-f', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=s0', 'encrypted.qcow2', '64M'),
    format: 'qcow2',
    reasons: [],
    diskFormat: 'qcow2',
  },
  {
    name: 'sparse.vmdk',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vmdk', 'sparse.vmdk', '2G'),
    format: 'vmdk',
    reasons: [],
    diskFormat: 'vmdk',
  },
  {
    name: 'stream.vmdk',
    make: (w) => {
      writeFileSync(w.path('stream.raw'), Buffer.alloc(2 * 1024 * 1024, 'glimpse'));
      qemu(w, 'convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', 'stream.raw', 'stream.vmdk');
    },
    format: 'vmdk',
    reasons: [],
    diskFormat: 'vmdk',
  },
  {
    name: 'flat.vmdk',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'flat.vmdk', '10M'),
    format: 'vmdk',
    reasons: ['vmdk-create-type', 'vmdk-external-extent'],
    diskFormat: 'vmdk',
  },
  {
    name: 'split.vmdk',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', 'split.vmdk', '5G'),
    format: 'vmdk',
    reasons: ['vmdk-create-type', 'vmdk-external-extent'],
    diskFormat: 'vmdk',
  },
  {
    name: 'dynamic.vhd',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vpc', 'dynamic.vhd', '1G'),
    qemuName: 'vpc',
    format: 'vhd',
    reasons: [],
    diskFormat: 'vhd',
  },
  {
    name: 'fixed.vhd',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', 'fixed.vhd', '16M'),
    qemuFormat: 'vpc',
    qemuName: 'vpc',
    format: 'vhd',
    reasons: [],
    diskFormat: 'vhd',
  },
  {
    name: 'forcesize.vhd',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vpc', '-o', 'force_size=on', 'forcesize.vhd', '1000M'),
    qemuName: 'vpc',
    format: 'vhd',
    reasons: [],
    diskFormat: 'vhd',
  },
  { name: 'disk.vhdx', make: (w) => qemu(w, 'create', '-q', '-f', 'vhdx', 'disk.vhdx', '3G'), format: 'vhdx', reasons: [], diskFormat: 'vhdx' },
  { name: 'disk.vdi', make: (w) => qemu(w, 'create', '-q', '-f', 'vdi', 'disk.vdi', '1G'), format: 'vdi', reasons: [], diskFormat: 'vdi' },
  {
    name: 'static.vdi',
    make: (w) => qemu(w, 'create', '-q', '-f', 'vdi', '-o', 'static=on', 'static.vdi', '8M'),
    format: 'vdi',
    reasons: [],
    diskFormat: 'vdi',
  },
  {
    name: 'gpt.raw',
    make: (w) => {
      qemu(w, 'create', '-q', '-f', 'raw', 'gpt.raw', '64M');
      run(w.dir, 'sfdisk', ['-q', 'gpt.raw'], 'label: gpt\n,32M\n,\n');
    },
    qemuName: 'raw',
    format: 'gpt',
    reasons: [],
    diskFormat: 'raw',
  },
  {
    name: 'mbr.raw',
    make: (w) => {
      qemu(w, 'create', '-q', '-f', 'raw', 'mbr.raw', '64M');
      run(w.dir, 'sfdisk', ['-q', 'mbr.raw'], 'label: dos\n,32M,L,*\n,\n');
    },
    qemuName: 'raw',
    format: 'mbr',
    reasons: [],
    diskFormat: 'raw',
  },
  {
    name: 'blank.raw',
    make: (w) => qemu(w, 'create', '-q', '-f', 'raw', 'blank.raw', '5M'),
    format: 'raw',
    reasons: [],
    diskFormat: 'raw',
  },
  {
    name: 'disk.luks',
    make: (w) => qemuLuks(w, 'create', '-q', ...secret, '-f', 'luks', '-o', 'key-secret=s0', 'disk.luks', '32M'),
    format: 'luks',
    reasons: [],
    diskFormat: 'raw',
  },
  { name: 'disk.qed', make: (w) => qemu(w, 'create', '-q', '-f', 'qed', 'disk.qed', '1G'), format: 'qed', reasons: ['qed-banned'], diskFormat: 'qed' },
  {
    name: 'xorriso.iso',
    make: (w) => run(w.dir, 'xorriso', ['-as', 'mkisofs', '-quiet', '-o', 'xorriso.iso', 'isotree']),
    qemuName: 'raw',
    format: 'iso',
    reasons: [],
    diskFormat: 'iso',
  },
  {
    name: 'genisoimage.iso',
    make: (w) => run(w.dir, 'genisoimage', ['-quiet', '-o', 'genisoimage.iso', 'isotree']),
    qemuName: 'raw',
    format: 'iso',
    reasons: [],
    diskFormat: 'iso',
  },
  {
    name: 'hybrid-mbr.iso',
    make: (w) => run(w.dir, 'xorriso', ['-as', 'mkisofs', '-quiet', '-o', 'hybrid-mbr.iso', '--protective-msdos-label', 'isotree']),
    qemuName: 'raw',
    format: 'iso',
    reasons: [],
    diskFormat: 'iso',
  },
];

describe('format inspector on images made by qemu-img and friends', () => {
  let w: Workdir;
  before(() => {
    w = workdir();
    mkdirSync(w.path('isotree'));
    writeFileSync(w.path('isotree/readme.txt'), 'glimpse iso fixture\n');
    for (const f of FIXTURES) f.make(w);
  });
  after(() => w?.remove());

  for (const f of FIXTURES) {
    it(`${f.name}: ${f.format}, virtual size as qemu-img info, reasons [${f.reasons.join(', ')}]`, async () => {
      const file = w.path(f.name);
      const result = await inspectFile(file);
      const info = qemuInfo(file, f.qemuFormat);
      assert.equal(result.format, f.format);
      assert.equal(info.format, f.qemuName ?? f.format, 'qemu agrees on the format');
      assert.equal(result.virtualSize, info.virtualSize);
      assert.deepEqual([...new Set(codes(result))].sort(), [...f.reasons].sort());
      assert.equal(result.safe, f.reasons.length === 0);
      assert.ok(result.peakRetainedBytes <= 2 * 1024 * 1024, `retained ${result.peakRetainedBytes}`);
    });
  }

  it('gives the same verdict whatever the chunk sizes', async () => {
    for (const f of FIXTURES) {
      const whole = await inspectFile(w.path(f.name));
      const odd = statSync(w.path(f.name)).size > 8 * 1024 * 1024 ? 8191 : 1021;
      for (const size of [odd, 4096, 1 << 20]) {
        const chunked = await inspectFile(w.path(f.name), undefined, size);
        assert.deepEqual(
          { format: chunked.format, size: chunked.virtualSize, reasons: codes(chunked) },
          { format: whole.format, size: whole.virtualSize, reasons: codes(whole) },
          `${f.name} in ${size}-byte chunks`,
        );
      }
    }
  });

  it('reads only kilobytes of each image when it can seek, with the same verdict', async () => {
    for (const f of FIXTURES) {
      const streamed = await inspectFile(w.path(f.name));
      const { result, bytesRead } = await inspectFileSeeking(w.path(f.name));
      assert.deepEqual(
        { format: result.format, size: result.virtualSize, reasons: codes(result) },
        { format: streamed.format, size: streamed.virtualSize, reasons: codes(streamed) },
        f.name,
      );
      assert.ok(bytesRead <= 512 * 1024, `${f.name} read ${bytesRead} bytes`);
    }
  });

  it('sees the partition table of a hybrid ISO but calls it an ISO, as Glance does', async () => {
    const result = await inspectFile(w.path('hybrid-mbr.iso'));
    assert.deepEqual(result.matches.sort(), ['iso', 'mbr']);
    assert.equal(result.format, 'iso');
  });

  it('refuses an encrypted qcow2 when configured to', async () => {
    const result = await inspectFile(w.path('encrypted.qcow2'), { allowQcow2Encryption: false });
    assert.deepEqual(codes(result), ['qcow2-encrypted']);
  });

  it('accepts a vmdk createType only when it is allowed (an empty allow list refuses every vmdk)', async () => {
    assert.deepEqual(codes(await inspectFile(w.path('sparse.vmdk'), { vmdkAllowedTypes: [] })), ['vmdk-create-type']);
    assert.deepEqual(codes(await inspectFile(w.path('stream.vmdk'), { vmdkAllowedTypes: ['monolithicSparse'] })), ['vmdk-create-type']);
    // Allowing monolithicFlat does not make a descriptor that names another file acceptable.
    const flat = await inspectFile(w.path('flat.vmdk'), { vmdkAllowedTypes: ['monolithicFlat'] });
    assert.deepEqual(codes(flat), ['vmdk-external-extent']);
  });

  it('passes each safe fixture through the gate as its declared disk_format, with qemu-img’s virtual size', async () => {
    for (const f of FIXTURES.filter((x) => x.reasons.length === 0)) {
      const result = await inspectFile(w.path(f.name));
      const verdict = checkFormat({ declaredDiskFormat: f.diskFormat, declaredContainerFormat: 'bare', result, requireMatch: true });
      assert.equal(verdict.ok, true, `${f.name} as ${f.diskFormat}`);
      const expected = f.diskFormat === 'raw' ? result.actualSize : qemuInfo(w.path(f.name), f.qemuFormat).virtualSize;
      assert.equal(verdict.virtualSize, expected, f.name);
    }
  });

  it('refuses a qcow2 declared raw, and each unsafe fixture whatever it is declared as', async () => {
    const qcow2 = await inspectFile(w.path('q3.qcow2'));
    const asRaw = checkFormat({ declaredDiskFormat: 'raw', declaredContainerFormat: 'bare', result: qcow2, requireMatch: true });
    assert.equal(asRaw.ok, false);
    assert.equal(!asRaw.ok && asRaw.code, 'format-mismatch');
    for (const f of FIXTURES.filter((x) => x.reasons.length > 0)) {
      const result = await inspectFile(w.path(f.name));
      for (const container of ['bare', 'ovf']) {
        const verdict = checkFormat({ declaredDiskFormat: f.diskFormat, declaredContainerFormat: container, result, requireMatch: false });
        assert.equal(verdict.ok, false, `${f.name} in ${container}`);
        assert.ok(!verdict.ok && f.reasons.includes(verdict.code as ReasonCode), `${f.name}: ${!verdict.ok && verdict.code}`);
      }
    }
  });
});
