import { checkVirtualSize, noMatch, type Probe, range, reason, tail, u64 } from '../probe.js';
import type { Reason } from '../types.js';

const COOKIE = 'conectix';
const FOOTER = 512;
const FIXED = 2;
const DYNAMIC = 3;
const DIFFERENCING = 4;
/** Creator apps whose VHDs size the disk by current_size rather than CHS geometry (as qemu's vpc driver). */
const SIZE_BY_CURRENT = new Set(['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0']);
const MAX_CHS = 65535 * 16 * 255;
const MAX_DYNAMIC_HEADER_OFFSET = 16 * 1024 * 1024;

const isFooter = (b: Buffer) => b.length >= FOOTER && b.toString('latin1', 0, 8) === COOKIE;

function checksumOk(f: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < FOOTER; i++) if (i < 64 || i >= 68) sum += f[i]!;
  return ((~sum) >>> 0) === f.readUInt32BE(64);
}

/** Virtual size the way qemu computes it: CHS geometry unless the creator sizes by current_size. */
function virtualSize(f: Buffer): number {
  const chsSectors = f.readUInt16BE(56) * f[58]! * f[59]!;
  const creator = f.toString('latin1', 28, 32);
  const sectors = !SIZE_BY_CURRENT.has(creator) && chsSectors !== MAX_CHS ? chsSectors : Math.floor(u64(f, 48, 'be') / 512);
  return sectors * 512;
}

/**
 * VHD (qemu's vpc): a big-endian 512-byte footer, copied at offset 0 for dynamic and differencing disks and found
 * only at the very end for fixed ones (so this probe also reads the stream's tail).
 */
export function* vhdProbe(): Probe {
  const head = yield range(0, FOOTER);
  if (isFooter(head.bytes)) return yield* judge(head.bytes, null);
  const end = yield tail(FOOTER);
  if (!isFooter(end.bytes) || !checksumOk(end.bytes) || end.bytes.readUInt32BE(60) !== FIXED) return noMatch('vhd');
  return yield* judge(end.bytes, end.total);
}

function* judge(footer: Buffer, total: number | null): Probe {
  const reasons: Reason[] = [];
  const type = footer.readUInt32BE(60);
  let size: number | null = virtualSize(footer);
  const sizeProblem = checkVirtualSize('vhd', size);
  if (sizeProblem) {
    reasons.push(sizeProblem);
    size = null;
  }
  if (type === DIFFERENCING) {
    reasons.push(reason('vhd', 'vhd-differencing', 'VHD is a differencing disk that names a parent'));
  } else if (type === FIXED) {
    if (total !== null && size !== null && size > total - FOOTER) {
      reasons.push(reason('vhd', 'out-of-bounds', 'fixed VHD declares more data than the file holds'));
    }
  } else if (type === DYNAMIC) {
    const at = u64(footer, 16, 'be');
    if (at < FOOTER || at > MAX_DYNAMIC_HEADER_OFFSET) {
      reasons.push(reason('vhd', 'out-of-bounds', 'VHD dynamic header offset is out of bounds'));
    } else {
      const dyn = yield range(at, 1024);
      if (!dyn.complete) reasons.push(reason('vhd', 'truncated', 'VHD dynamic header is missing'));
      else if (dyn.bytes.toString('latin1', 0, 8) !== 'cxsparse') reasons.push(reason('vhd', 'vhd-invalid', 'VHD dynamic header signature is wrong'));
      else {
        const entries = dyn.bytes.readUInt32BE(28);
        const block = dyn.bytes.readUInt32BE(32);
        if (block < 512 || (block & (block - 1)) !== 0) reasons.push(reason('vhd', 'vhd-invalid', 'VHD block size is not a power of two'));
        else if (size !== null && entries * block < size) reasons.push(reason('vhd', 'vhd-invalid', 'VHD block table is too small for its size'));
      }
    }
  } else {
    reasons.push(reason('vhd', 'vhd-invalid', `VHD disk type ${type} is unknown`));
  }
  return { format: 'vhd', match: true, virtualSize: size, reasons, details: { vhdType: type === FIXED ? 'fixed' : type === DYNAMIC ? 'dynamic' : String(type) } };
}
