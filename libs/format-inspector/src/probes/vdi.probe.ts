import { checkVirtualSize, isZero, noMatch, type Probe, range, reason, u64 } from '../probe.js';
import type { Reason } from '../types.js';

const SIGNATURE = 0xbeda107f;
const VERSION_1_1 = 0x00010001;
const DYNAMIC = 1;
const STATIC = 2;

/**
 * VirtualBox VDI: little-endian header after a 64-byte text banner: signature @0x40, version @0x44, image type
 * @0x4c, sector size @0x168, disk size @0x170, block size @0x178, blocks in image @0x180, link and parent UUIDs
 * @0x1a8/@0x1b8 (set only for differencing images, which name another file).
 */
export function* vdiProbe(): Probe {
  const got = yield range(0, 512);
  const h = got.bytes;
  if (h.length < 0x44 || h.readUInt32LE(0x40) !== SIGNATURE) return noMatch('vdi');
  if (!got.complete) return { format: 'vdi', match: true, virtualSize: null, reasons: [reason('vdi', 'truncated', 'VDI header is truncated')] };
  const reasons: Reason[] = [];
  const type = h.readUInt32LE(0x4c);
  const size = u64(h, 0x170, 'le');
  const block = h.readUInt32LE(0x178);
  const blocks = h.readUInt32LE(0x180);
  if (h.readUInt32LE(0x44) !== VERSION_1_1) reasons.push(reason('vdi', 'vdi-invalid', 'VDI version is not 1.1'));
  if (type !== DYNAMIC && type !== STATIC) reasons.push(reason('vdi', 'vdi-differencing', `VDI image type ${type} is not a standalone disk`));
  if (!isZero(h.subarray(0x1a8, 0x1c8))) reasons.push(reason('vdi', 'vdi-differencing', 'VDI image links to a parent image'));
  if (h.readUInt32LE(0x168) !== 512) reasons.push(reason('vdi', 'vdi-invalid', 'VDI sector size is not 512'));
  if (block !== 1024 * 1024) reasons.push(reason('vdi', 'vdi-invalid', 'VDI block size is not 1 MiB'));
  else if (blocks * block < size) reasons.push(reason('vdi', 'out-of-bounds', 'VDI block map is too small for its size'));
  const sizeProblem = checkVirtualSize('vdi', size);
  if (sizeProblem) reasons.push(sizeProblem);
  return { format: 'vdi', match: true, virtualSize: sizeProblem ? null : size, reasons };
}
