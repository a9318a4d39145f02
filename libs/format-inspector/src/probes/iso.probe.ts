import { noMatch, type Probe, range, reason, tail } from '../probe.js';
import type { Reason } from '../types.js';

const SYSTEM_AREA = 32 * 1024;
const SECTOR = 2048;
/** Volume descriptors scanned before giving up on a terminator. */
const MAX_DESCRIPTORS = 32;
const STANDARD_IDS = new Set(['CD001', 'NSR02', 'NSR03', 'BEA01']);
const PRIMARY = 1;
const TERMINATOR = 255;

/**
 * ISO 9660 (and UDF): volume descriptors from 32 KiB on, each 2 KiB with its standard identifier at byte 1. The
 * primary volume descriptor's both-endian block count @80 and block size @128 give the size.
 */
export function* isoProbe(): Probe {
  const reasons: Reason[] = [];
  let size: number | null = null;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const got = yield range(SYSTEM_AREA + i * SECTOR, SECTOR);
    if (!got.complete) {
      if (i === 0) return noMatch('iso');
      reasons.push(reason('iso', 'truncated', 'ISO volume descriptors are truncated'));
      break;
    }
    const d = got.bytes;
    const id = d.toString('latin1', 1, 6);
    if (i === 0 && !STANDARD_IDS.has(id)) return noMatch('iso');
    if (d[0] === TERMINATOR) break;
    if (d[0] === PRIMARY && id === 'CD001' && size === null) {
      const blocks = d.readUInt32LE(80);
      const blockSize = d.readUInt16LE(128);
      if (blocks !== d.readUInt32BE(84) || blockSize !== d.readUInt16BE(130) || ![512, 1024, 2048].includes(blockSize)) {
        reasons.push(reason('iso', 'iso-invalid', 'ISO primary volume descriptor is inconsistent'));
      } else {
        size = blocks * blockSize;
      }
    }
  }
  if (size === null && reasons.length === 0) size = (yield tail(0)).total;
  return { format: 'iso', match: true, virtualSize: size, reasons };
}
