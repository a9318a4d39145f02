/** Hand-built image headers, sane by default and bent by options, for hostile-input tests and fuzz seeds. */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A qcow2 v3 header with its refcount table at 64 KiB and a one-entry L1 table at 128 KiB. */
export function qcow2(
  o: { version?: number; size?: bigint; backing?: bigint; incompatible?: bigint; clusterBits?: number; crypt?: number; headerLength?: number; l1Offset?: bigint } = {},
): Buffer {
  const b = Buffer.alloc(192 * KiB);
  b.writeUInt32BE(1, 36);
  b.writeBigUInt64BE(o.l1Offset ?? BigInt(128 * KiB), 40);
  b.writeBigUInt64BE(BigInt(64 * KiB), 48);
  b.writeUInt32BE(1, 56);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(o.version ?? 3, 4);
  b.writeBigUInt64BE(o.backing ?? 0n, 8);
  b.writeUInt32BE(o.clusterBits ?? 16, 20);
  b.writeBigUInt64BE(o.size ?? BigInt(MiB), 24);
  b.writeUInt32BE(o.crypt ?? 0, 32);
  b.writeBigUInt64BE(o.incompatible ?? 0n, 72);
  b.writeUInt32BE(o.headerLength ?? 104, 100);
  return b;
}

export const SPARSE_DESCRIPTOR = [
  '# Disk DescriptorFile',
  'version=1',
  'CID=12345678',
  'parentCID=ffffffff',
  'createType="monolithicSparse"',
  '',
  '# Extent description',
  'RW 2048 SPARSE "disk.vmdk"',
  '',
  'ddb.virtualHWVersion = "4"',
  'ddb.geometry.cylinders = "2"',
].join('\n');

export function vmdkSparse(o: { descriptor?: string; descSector?: bigint; descSectors?: bigint; capacity?: bigint; gdAtEnd?: boolean; version?: number } = {}): Buffer {
  const b = Buffer.alloc(64 * KiB);
  b.write('KDMV', 0, 'latin1');
  b.writeUInt32LE(o.version ?? 1, 4);
  b.writeBigUInt64LE(o.capacity ?? 2048n, 12);
  b.writeBigUInt64LE(128n, 20);
  b.writeBigUInt64LE(o.descSector ?? 1n, 28);
  b.writeBigUInt64LE(o.descSectors ?? 20n, 36);
  b.writeBigUInt64LE(o.gdAtEnd ? 0xffffffffffffffffn : 21n, 56);
  b.write(o.descriptor ?? SPARSE_DESCRIPTOR, 512, 'latin1');
  return b;
}

/** A stream-optimized vmdk with its grain directory at the end: footer marker, footer header, end-of-stream. */
export function vmdkWithFooter(o: { footerCapacity?: bigint; breakMarker?: boolean } = {}): Buffer {
  const head = vmdkSparse({ gdAtEnd: true, version: 3, descriptor: SPARSE_DESCRIPTOR.replace('monolithicSparse', 'streamOptimized') });
  const marker = Buffer.alloc(512);
  marker.writeBigUInt64LE(1n, 0);
  marker.writeUInt32LE(o.breakMarker ? 2 : 3, 12);
  const footer = Buffer.from(head.subarray(0, 512));
  footer.writeBigUInt64LE(o.footerCapacity ?? 4096n, 12);
  footer.writeBigUInt64LE(21n, 56);
  return Buffer.concat([head, marker, footer, Buffer.alloc(512)]);
}

export function vhdFooter(o: { type?: number; currentSize?: bigint; creator?: string; dataOffset?: bigint; badChecksum?: boolean } = {}): Buffer {
  const f = Buffer.alloc(512);
  f.write('conectix', 0, 'latin1');
  f.writeUInt32BE(2, 8);
  f.writeUInt32BE(0x00010000, 12);
  f.writeBigUInt64BE(o.dataOffset ?? 0xffffffffffffffffn, 16);
  f.write(o.creator ?? 'qem2', 28, 'latin1');
  const size = o.currentSize ?? BigInt(MiB);
  f.writeBigUInt64BE(size, 40);
  f.writeBigUInt64BE(size, 48);
  f.writeUInt16BE(100, 56);
  f[58] = 4;
  f[59] = 17;
  f.writeUInt32BE(o.type ?? 2, 60);
  let sum = 0;
  for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += f[i]!;
  f.writeUInt32BE((~sum ^ (o.badChecksum ? 1 : 0)) >>> 0, 64);
  return f;
}

/** A dynamic VHD: footer copy, dynamic header at `dataOffset`, footer again at the end. */
export function vhdDynamic(o: { type?: number; dataOffset?: bigint; blockSize?: number } = {}): Buffer {
  const footer = vhdFooter({ type: o.type ?? 3, dataOffset: o.dataOffset ?? 512n });
  const dyn = Buffer.alloc(1024);
  dyn.write('cxsparse', 0, 'latin1');
  dyn.writeUInt32BE(1, 28);
  dyn.writeUInt32BE(o.blockSize ?? 2 * MiB, 32);
  return Buffer.concat([footer, dyn, Buffer.alloc(512), footer]);
}

function guid(text: string): Buffer {
  const b = Buffer.from(text.replace(/-/g, ''), 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8);
  return out;
}

export function vhdx(o: { regions?: number; metaOffset?: bigint; size?: bigint; hasParent?: boolean; parentLocator?: boolean; itemOffset?: number } = {}): Buffer {
  const metaOffset = o.metaOffset ?? BigInt(MiB);
  const b = Buffer.alloc(MiB + 128 * KiB);
  b.write('vhdxfile', 0, 'latin1');
  const t = 192 * KiB;
  b.write('regi', t, 'latin1');
  b.writeUInt32LE(o.regions ?? 1, t + 8);
  guid('8B7CA206-4790-4B9A-B8FE-575F050F886E').copy(b, t + 16);
  b.writeBigUInt64LE(metaOffset, t + 32);
  b.writeUInt32LE(MiB, t + 40);
  b.writeUInt32LE(1, t + 44);
  const m = MiB;
  b.write('metadata', m, 'latin1');
  const items: [string, number, Buffer][] = [
    ['CAA16737-FA36-4D43-B3B6-33F0AA44E76B', 64 * KiB, Buffer.from([0, 0, 0x20, 0, o.hasParent ? 2 : 0, 0, 0, 0])],
    ['2FA54224-CD1B-4876-B211-5DBED83BF4B8', o.itemOffset ?? 64 * KiB + 8, Buffer.alloc(8)],
  ];
  items[1]![2].writeBigUInt64LE(o.size ?? BigInt(64 * MiB));
  if (o.parentLocator) items.push(['A8D35F2D-B30B-454D-ABF7-D3D84834AB0C', 64 * KiB + 16, Buffer.alloc(8)]);
  b.writeUInt16LE(items.length, m + 10);
  items.forEach(([id, offset, value], i) => {
    const e = m + 32 + i * 32;
    guid(id).copy(b, e);
    b.writeUInt32LE(offset, e + 16);
    b.writeUInt32LE(value.length, e + 20);
    b.writeUInt32LE(4, e + 24);
    if (m + offset + value.length <= b.length) value.copy(b, m + offset);
  });
  return b;
}

export function vdi(o: { size?: bigint; parent?: boolean; type?: number; blocks?: number } = {}): Buffer {
  const b = Buffer.alloc(4 * KiB);
  b.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 0, 'latin1');
  b.writeUInt32LE(0xbeda107f, 0x40);
  b.writeUInt32LE(0x00010001, 0x44);
  b.writeUInt32LE(0x190, 0x48);
  b.writeUInt32LE(o.type ?? 1, 0x4c);
  b.writeUInt32LE(512, 0x168);
  b.writeBigUInt64LE(o.size ?? BigInt(4 * MiB), 0x170);
  b.writeUInt32LE(MiB, 0x178);
  b.writeUInt32LE(o.blocks ?? 4, 0x180);
  if (o.parent) b[0x1b8] = 1;
  return b;
}

export function iso(o: { blocks?: number; bigEndianBlocks?: number; size?: number } = {}): Buffer {
  const blocks = o.blocks ?? 20;
  const b = Buffer.alloc(o.size ?? blocks * 2048);
  const d = 32 * KiB;
  b[d] = 1;
  b.write('CD001', d + 1, 'latin1');
  b[d + 6] = 1;
  b.writeUInt32LE(blocks, d + 80);
  b.writeUInt32BE(o.bigEndianBlocks ?? blocks, d + 84);
  b.writeUInt16LE(2048, d + 128);
  b.writeUInt16BE(2048, d + 130);
  b[d + 2048] = 255;
  b.write('CD001', d + 2049, 'latin1');
  return b;
}

type Entry = { boot?: number; type: number; lba?: number; chs?: [number, number, number] };

export function mbr(entries: Entry[], o: { size?: number; gptHeader?: boolean } = {}): Buffer {
  const b = Buffer.alloc(o.size ?? MiB);
  entries.forEach((e, i) => {
    const at = 446 + i * 16;
    b[at] = e.boot ?? 0;
    const [c, h, s] = e.chs ?? [0, 2, 0];
    b[at + 1] = c;
    b[at + 2] = h;
    b[at + 3] = s;
    b[at + 4] = e.type;
    b.writeUInt32LE(e.lba ?? 2048, at + 8);
    b.writeUInt32LE(1000, at + 12);
  });
  b[510] = 0x55;
  b[511] = 0xaa;
  if (o.gptHeader) {
    b.write('EFI PART', 512, 'latin1');
    b.writeUInt32LE(0x00010000, 520);
    b.writeUInt32LE(92, 524);
    b.writeBigUInt64LE(1n, 536);
    b.writeBigUInt64LE(34n, 552);
    b.writeBigUInt64LE(2000n, 560);
    b.writeBigUInt64LE(2n, 584);
    b.writeUInt32LE(128, 592);
    b.writeUInt32LE(128, 596);
  }
  return b;
}

export const protectiveMbr = (size?: number) => mbr([{ type: 0xee, lba: 1, chs: [0, 2, 0] }], { size, gptHeader: true });

export function luks(o: { version?: number; payloadSectors?: number; size?: number } = {}): Buffer {
  const b = Buffer.alloc(o.size ?? 2 * MiB + 64 * KiB);
  b.write('LUKS\xba\xbe', 0, 'latin1');
  b.writeUInt16BE(o.version ?? 1, 6);
  b.write('aes', 8, 'latin1');
  b.writeUInt32BE(o.payloadSectors ?? 4096, 104);
  return b;
}
