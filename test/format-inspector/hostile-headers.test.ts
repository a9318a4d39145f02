/**
 * Hand-built hostile images: truncated headers, huge sizes, offsets past the end, polyglots and vmdk descriptors
 * that name other files (CVE-2022-47951) or qcow2 external data files (CVE-2024-32498). Each is refused with its
 * named reason, by the inspector and by the gate; the sane variant of each builder is accepted, so a check that
 * refused everything would fail here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFormat, type DetectedFormat, type ReasonCode } from '@glimpse/format-inspector';
import * as img from './hostile-images.js';
import { codes, inspectBuffer } from './image-tools.js';

const MiB = 1024 * 1024;

function expectRefused(data: Buffer, format: DetectedFormat, reason: ReasonCode, declared = format as string): void {
  for (const chunks of [[65536], [511, 4096, 1]]) {
    const result = inspectBuffer(data, undefined, chunks);
    assert.equal(result.format, format);
    assert.ok(codes(result).includes(reason), `expected ${reason}, got [${codes(result).join(', ')}]`);
    assert.equal(result.safe, false);
    const verdict = checkFormat({ declaredDiskFormat: declared, declaredContainerFormat: 'bare', result, requireMatch: true });
    assert.equal(verdict.ok, false);
  }
}

function expectAccepted(data: Buffer, format: DetectedFormat, virtualSize: number | null): void {
  const result = inspectBuffer(data, undefined, [700]);
  assert.deepEqual(codes(result), []);
  assert.equal(result.format, format);
  assert.equal(result.virtualSize, virtualSize);
}

describe('hostile qcow2 headers', () => {
  it('accepts the sane builder output', () => expectAccepted(img.qcow2(), 'qcow2', MiB));
  it('refuses a truncated header', () => expectRefused(img.qcow2().subarray(0, 50), 'qcow2', 'truncated'));
  it('refuses a backing file', () => expectRefused(img.qcow2({ backing: 0x200n }), 'qcow2', 'qcow2-backing-file'));
  it('refuses the external data file bit (CVE-2024-32498)', () => expectRefused(img.qcow2({ incompatible: 4n }), 'qcow2', 'qcow2-data-file'));
  it('refuses unknown incompatible features', () => expectRefused(img.qcow2({ incompatible: 1n << 40n }), 'qcow2', 'qcow2-unknown-features'));
  it('refuses versions other than 2 and 3', () => expectRefused(img.qcow2({ version: 4 }), 'qcow2', 'qcow2-unsupported-version'));
  it('refuses a huge virtual size', () => expectRefused(img.qcow2({ size: 1n << 63n }), 'qcow2', 'implausible-size'));
  it('refuses an insane cluster size or header length', () => {
    expectRefused(img.qcow2({ clusterBits: 40 }), 'qcow2', 'out-of-bounds');
    expectRefused(img.qcow2({ headerLength: 1 << 30 }), 'qcow2', 'out-of-bounds');
  });
  it('refuses tables that lie past the end of the image or cannot cover the disk', () => {
    expectRefused(img.qcow2({ l1Offset: 1n << 40n }), 'qcow2', 'out-of-bounds');
    expectRefused(img.qcow2({ l1Offset: 1000n }), 'qcow2', 'out-of-bounds');
    expectRefused(img.qcow2().subarray(0, 100 * 1024), 'qcow2', 'out-of-bounds');
    expectRefused(img.qcow2({ size: 1n << 45n }), 'qcow2', 'out-of-bounds');
  });
  it('refuses an unknown encryption method', () => expectRefused(img.qcow2({ crypt: 9 }), 'qcow2', 'out-of-bounds'));
});

describe('hostile vmdk headers and descriptors', () => {
  it('accepts the sane builder output', () => expectAccepted(img.vmdkSparse(), 'vmdk', 2048 * 512));
  it('refuses an extent naming a path (CVE-2022-47951)', () => {
    const descriptor = img.SPARSE_DESCRIPTOR.replace('"disk.vmdk"', '"/etc/passwd"');
    expectRefused(img.vmdkSparse({ descriptor }), 'vmdk', 'vmdk-external-extent');
  });
  it('refuses a second extent or a flat extent in a sparse file', () => {
    const two = img.SPARSE_DESCRIPTOR.replace('RW 2048 SPARSE "disk.vmdk"', 'RW 2048 SPARSE "disk.vmdk"\nRW 2048 SPARSE "other.vmdk"');
    expectRefused(img.vmdkSparse({ descriptor: two }), 'vmdk', 'vmdk-external-extent');
    const flat = img.SPARSE_DESCRIPTOR.replace('RW 2048 SPARSE "disk.vmdk"', 'RW 2048 FLAT "disk-flat.vmdk" 0');
    expectRefused(img.vmdkSparse({ descriptor: flat }), 'vmdk', 'vmdk-external-extent');
  });
  it('refuses a createType outside the allow list', () => {
    const descriptor = img.SPARSE_DESCRIPTOR.replace('monolithicSparse', 'monolithicFlat');
    expectRefused(img.vmdkSparse({ descriptor }), 'vmdk', 'vmdk-create-type');
  });
  it('refuses a descriptor without extents, with stray lines, non-ASCII text or a parent', () => {
    expectRefused(img.vmdkSparse({ descriptor: img.SPARSE_DESCRIPTOR.replace(/^RW .*$/m, '') }), 'vmdk', 'vmdk-no-extents');
    expectRefused(img.vmdkSparse({ descriptor: `${img.SPARSE_DESCRIPTOR}\nrm -rf /` }), 'vmdk', 'vmdk-invalid-descriptor');
    expectRefused(img.vmdkSparse({ descriptor: `${img.SPARSE_DESCRIPTOR}\n# caf\u00e9` }), 'vmdk', 'vmdk-invalid-descriptor');
    expectRefused(img.vmdkSparse({ descriptor: `${img.SPARSE_DESCRIPTOR}\nparentFileNameHint="base.vmdk"` }), 'vmdk', 'vmdk-parent');
  });
  it('refuses a descriptor that is not at sector 1, or is enormous', () => {
    expectRefused(img.vmdkSparse({ descSector: 5n }), 'vmdk', 'vmdk-invalid-descriptor');
    expectRefused(img.vmdkSparse({ descSectors: 1n << 40n }), 'vmdk', 'out-of-bounds');
  });
  it('refuses a truncated descriptor and a huge capacity', () => {
    expectRefused(img.vmdkSparse().subarray(0, 700), 'vmdk', 'truncated');
    expectRefused(img.vmdkSparse({ capacity: 1n << 60n }), 'vmdk', 'implausible-size');
  });
  it('reads the capacity from a well-formed stream footer and refuses a broken one', () => {
    expectAccepted(img.vmdkWithFooter(), 'vmdk', 4096 * 512);
    expectRefused(img.vmdkWithFooter({ breakMarker: true }), 'vmdk', 'vmdk-bad-footer');
    expectRefused(img.vmdkWithFooter().subarray(0, 64 * 1024 + 700), 'vmdk', 'vmdk-bad-footer');
  });
  it('refuses a bare descriptor that points at a host file', () => {
    const text = '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "/etc/shadow" 0\n';
    expectRefused(Buffer.from(text), 'vmdk', 'vmdk-external-extent');
    assert.equal(inspectBuffer(Buffer.from(text)).virtualSize, 2048 * 512);
  });
  it('refuses a bare descriptor larger than 1 MiB', () => {
    const text = Buffer.concat([Buffer.from('version=1\ncreateType="streamOptimized"\nRW 1 SPARSE "x"\n'), Buffer.alloc(2 * MiB, '#\n')]);
    expectRefused(text, 'vmdk', 'out-of-bounds');
  });
});

describe('hostile vhd, vhdx and vdi headers', () => {
  it('accepts the sane builder outputs', () => {
    expectAccepted(img.vhdDynamic(), 'vhd', MiB);
    expectAccepted(Buffer.concat([Buffer.alloc(MiB), img.vhdFooter()]), 'vhd', MiB);
    expectAccepted(img.vhdx(), 'vhdx', 64 * MiB);
    expectAccepted(img.vdi(), 'vdi', 4 * MiB);
  });
  it('refuses a differencing VHD (it names a parent)', () => expectRefused(img.vhdDynamic({ type: 4 }), 'vhd', 'vhd-differencing'));
  it('refuses VHD dynamic headers past the end or out of bounds', () => {
    expectRefused(img.vhdDynamic({ dataOffset: 1n << 40n }), 'vhd', 'out-of-bounds');
    expectRefused(img.vhdDynamic({ dataOffset: 8192n }), 'vhd', 'truncated');
    expectRefused(img.vhdDynamic({ blockSize: 3000 }), 'vhd', 'vhd-invalid');
  });
  it('refuses a fixed VHD footer that claims more than the file holds', () => {
    expectRefused(Buffer.concat([Buffer.alloc(4096), img.vhdFooter({ currentSize: 1n << 40n })]), 'vhd', 'out-of-bounds');
  });
  it('does not take a trailing footer with a bad checksum for a VHD', () => {
    const result = inspectBuffer(Buffer.concat([Buffer.alloc(4096), img.vhdFooter({ badChecksum: true })]));
    assert.equal(result.format, 'raw');
  });
  it('refuses a VHDX with too many regions, a misplaced or missing metadata region, or a parent', () => {
    expectRefused(img.vhdx({ regions: 5000 }), 'vhdx', 'vhdx-invalid');
    expectRefused(img.vhdx({ metaOffset: 1000n }), 'vhdx', 'out-of-bounds');
    expectRefused(img.vhdx({ metaOffset: BigInt(64 * MiB) }), 'vhdx', 'truncated');
    expectRefused(img.vhdx({ itemOffset: 16 }), 'vhdx', 'out-of-bounds');
    expectRefused(img.vhdx({ parentLocator: true }), 'vhdx', 'vhdx-parent');
    expectRefused(img.vhdx({ hasParent: true }), 'vhdx', 'vhdx-parent');
    expectRefused(img.vhdx({ size: 1n << 62n }), 'vhdx', 'implausible-size');
    expectRefused(img.vhdx().subarray(0, 200 * 1024), 'vhdx', 'truncated');
  });
  it('refuses differencing and inconsistent VDI images', () => {
    expectRefused(img.vdi({ parent: true }), 'vdi', 'vdi-differencing');
    expectRefused(img.vdi({ type: 4 }), 'vdi', 'vdi-differencing');
    expectRefused(img.vdi({ size: 1n << 50n }), 'vdi', 'out-of-bounds');
    expectRefused(img.vdi().subarray(0, 300), 'vdi', 'truncated');
  });
});

describe('hostile partition tables, ISO, LUKS and polyglots', () => {
  it('accepts sane MBR, GPT and ISO builder outputs', () => {
    expectAccepted(img.mbr([{ boot: 0x80, type: 0x83 }]), 'mbr', MiB);
    expectAccepted(img.protectiveMbr(), 'gpt', MiB);
    expectAccepted(img.iso(), 'iso', 20 * 2048);
    expectAccepted(img.luks(), 'luks', 64 * 1024);
  });
  it('refuses bad boot flags, empty tables and malformed protective entries', () => {
    expectRefused(img.mbr([{ boot: 0x12, type: 0x83 }]), 'mbr', 'mbr-invalid', 'raw');
    expectRefused(img.mbr([]), 'mbr', 'mbr-invalid', 'raw');
    expectRefused(img.mbr([{ type: 0x83 }, { type: 0xee, lba: 1 }]), 'gpt', 'mbr-invalid', 'raw');
    expectRefused(img.mbr([{ type: 0xee, lba: 1 }]), 'gpt', 'gpt-invalid', 'raw');
  });
  it('does not read a FAT boot sector as a partition table', () => {
    const fat = img.mbr([]);
    fat[16] = 2;
    fat[21] = 0xf8;
    assert.equal(inspectBuffer(fat).format, 'raw');
  });
  it('refuses an ISO whose both-endian fields disagree', () => expectRefused(img.iso({ bigEndianBlocks: 99 }), 'iso', 'iso-invalid'));
  it('refuses LUKS 2 and a LUKS payload past the end', () => {
    expectRefused(img.luks({ version: 2 }), 'luks', 'luks-unsupported-version', 'raw');
    expectRefused(img.luks({ payloadSectors: 1 << 30 }), 'luks', 'out-of-bounds', 'raw');
  });
  it('refuses a qcow2 header with an ISO volume descriptor (polyglot)', () => {
    const poly = Buffer.concat([img.qcow2().subarray(0, 32 * 1024), img.iso().subarray(32 * 1024)]);
    expectRefused(poly, 'qcow2', 'multiple-formats', 'iso');
    assert.deepEqual(inspectBuffer(poly).matches.sort(), ['iso', 'qcow2']);
  });
  it('refuses a qcow2 header with an MBR signature, and a VHD footer glued to a qcow2', () => {
    const poly = img.qcow2();
    poly[446 + 4] = 0x83;
    poly[510] = 0x55;
    poly[511] = 0xaa;
    expectRefused(poly, 'qcow2', 'multiple-formats');
    expectRefused(Buffer.concat([img.qcow2(), img.vhdFooter({ currentSize: 4096n })]), 'qcow2', 'multiple-formats');
  });
  it('accepts an ISO with a protective GPT, as Glance does', () => {
    const hybrid = img.iso({ size: 64 * 2048 });
    img.protectiveMbr(1024).copy(hybrid, 0);
    const result = inspectBuffer(hybrid);
    assert.equal(result.format, 'iso');
    assert.deepEqual(result.matches.sort(), ['gpt', 'iso']);
    assert.equal(result.safe, true);
  });
  it('treats an empty stream as a raw image of size 0', () => {
    const result = inspectBuffer(Buffer.alloc(0));
    assert.deepEqual({ format: result.format, size: result.virtualSize, safe: result.safe }, { format: 'raw', size: 0, safe: true });
  });
});
