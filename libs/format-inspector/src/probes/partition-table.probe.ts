import { noMatch, type Probe, range, reason, tail, u64 } from '../probe.js';
import type { Reason } from '../types.js';

const PROTECTIVE = 0xee;
const MAX_ENTRIES = 4096;

/**
 * A raw disk with an MBR (`55 AA` at 510 and not a FAT boot sector) or a GPT (an MBR whose only partition is the
 * 0xEE protective entry, then `EFI PART` at LBA 1). Checks follow Glance's: sane boot flags, at least one
 * partition, a well-formed protective entry and GPT header. The virtual size is the stream's length.
 */
export function* partitionTableProbe(): Probe {
  const got = yield range(0, 512);
  const s = got.bytes;
  if (!got.complete || s[510] !== 0x55 || s[511] !== 0xaa) return noMatch('mbr');
  if (s[16] === 2 && s[21] === 0xf8) return noMatch('mbr'); // a FAT volume boot record, not a partition table
  const entries = [0, 1, 2, 3].map((i) => s.subarray(446 + i * 16, 462 + i * 16));
  const used = entries.filter((e) => e[4] !== 0);
  const reasons: Reason[] = [];
  if (entries.some((e) => e[0] !== 0 && e[0] !== 0x80)) reasons.push(reason('mbr', 'mbr-invalid', 'MBR partition has an invalid boot flag'));
  const protective = entries.findIndex((e) => e[4] === PROTECTIVE);
  if (protective < 0) {
    if (used.length === 0) reasons.push(reason('mbr', 'mbr-invalid', 'MBR has no partitions'));
    // A refusal is known now (the size would only come at the end); returning early lets uploads stop early.
    if (reasons.length > 0) return { format: 'mbr', match: true, virtualSize: null, reasons };
    const end = yield tail(0);
    return { format: 'mbr', match: true, virtualSize: end.total, reasons };
  }
  const p = entries[protective]!;
  if (protective !== 0 || used.length !== 1 || p[1] !== 0 || p[2] !== 2 || p[3] !== 0 || p.readUInt32LE(8) !== 1) {
    reasons.push(reason('gpt', 'mbr-invalid', 'protective MBR entry is malformed'));
  }
  const header = yield range(512, 512);
  const h = header.bytes;
  if (!header.complete) reasons.push(reason('gpt', 'truncated', 'GPT header is missing'));
  else if (h.toString('latin1', 0, 8) !== 'EFI PART') reasons.push(reason('gpt', 'gpt-invalid', 'GPT header signature is missing'));
  else {
    const headerSize = h.readUInt32LE(12);
    const entrySize = h.readUInt32LE(84);
    const count = h.readUInt32LE(80);
    const firstUsable = u64(h, 40, 'le');
    const lastUsable = u64(h, 48, 'le');
    if (headerSize < 92 || headerSize > 512) reasons.push(reason('gpt', 'gpt-invalid', 'GPT header size is out of bounds'));
    if (u64(h, 24, 'le') !== 1) reasons.push(reason('gpt', 'gpt-invalid', 'GPT header does not describe LBA 1'));
    if (u64(h, 72, 'le') < 2) reasons.push(reason('gpt', 'out-of-bounds', 'GPT partition entries overlap the headers'));
    if (entrySize < 128 || entrySize > 4096 || (entrySize & (entrySize - 1)) !== 0 || count > MAX_ENTRIES) {
      reasons.push(reason('gpt', 'out-of-bounds', 'GPT partition entry array is out of bounds'));
    }
    if (firstUsable > lastUsable || !Number.isFinite(lastUsable)) reasons.push(reason('gpt', 'out-of-bounds', 'GPT usable range is out of bounds'));
  }
  if (reasons.length > 0) return { format: 'gpt', match: true, virtualSize: null, reasons };
  const end = yield tail(0);
  return { format: 'gpt', match: true, virtualSize: end.total, reasons };
}
