import { checkVirtualSize, guidBytes, noMatch, type Probe, range, reason, u64 } from '../probe.js';
import type { ProbeOutcome, Reason } from '../types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const REGION_TABLE = 192 * KiB;
const TABLE_BYTES = 64 * KiB;
const MAX_ENTRIES = 2047;
/** The metadata region may sit anywhere 1 MiB-aligned; beyond this it is treated as hostile. */
const MAX_METADATA_OFFSET = 1024 * 1024 * MiB;

const BAT = guidBytes('2DC27766-F623-4200-9D64-115E9BFD4A08');
const METADATA = guidBytes('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const FILE_PARAMETERS = guidBytes('CAA16737-FA36-4D43-B3B6-33F0AA44E76B');
const VIRTUAL_DISK_SIZE = guidBytes('2FA54224-CD1B-4876-B211-5DBED83BF4B8');
const PARENT_LOCATOR = guidBytes('A8D35F2D-B30B-454D-ABF7-D3D84834AB0C');
const KNOWN_ITEMS = [
  FILE_PARAMETERS,
  VIRTUAL_DISK_SIZE,
  PARENT_LOCATOR,
  guidBytes('BECA12AB-B2E6-4523-93EF-C309E000C746'), // page 83 data
  guidBytes('8141BF1D-A96F-4709-BA47-F233A8FAAB5F'), // logical sector size
  guidBytes('CDA348C7-445D-4471-9CC9-E9885251C556'), // physical sector size
];

const found = (format: 'vhdx', reasons: Reason[], virtualSize: number | null = null): ProbeOutcome => ({ format, match: true, virtualSize, reasons });
const invalid = (message: string) => reason('vhdx', 'vhdx-invalid', message);

/**
 * VHDX: `vhdxfile` at 0, a region table at 192 KiB naming the metadata region, whose table names the virtual
 * disk size and file parameters items (little-endian). A parent locator or has-parent flag means a differencing
 * disk, which names another file.
 */
export function* vhdxProbe(): Probe {
  const ident = yield range(0, 8);
  if (ident.bytes.toString('latin1') !== 'vhdxfile') return noMatch('vhdx');
  const table = yield range(REGION_TABLE, TABLE_BYTES);
  if (!table.complete) return found('vhdx', [reason('vhdx', 'truncated', 'VHDX region table is missing')]);
  const t = table.bytes;
  if (t.toString('latin1', 0, 4) !== 'regi') return found('vhdx', [invalid('VHDX region table signature is wrong')]);
  const count = t.readUInt32LE(8);
  if (count > MAX_ENTRIES) return found('vhdx', [invalid('VHDX region table has too many entries')]);
  let meta: { offset: number; length: number } | undefined;
  for (let i = 0; i < count; i++) {
    const e = t.subarray(16 + i * 32, 48 + i * 32);
    const guid = e.subarray(0, 16);
    if (guid.equals(METADATA)) meta = { offset: u64(e, 16, 'le'), length: e.readUInt32LE(24) };
    else if (!guid.equals(BAT) && e.readUInt32LE(28) & 1) return found('vhdx', [invalid('VHDX has an unknown required region')]);
  }
  if (!meta) return found('vhdx', [invalid('VHDX has no metadata region')]);
  if (meta.offset < MiB || meta.offset % MiB !== 0 || meta.offset > MAX_METADATA_OFFSET || meta.length < TABLE_BYTES) {
    return found('vhdx', [reason('vhdx', 'out-of-bounds', 'VHDX metadata region is out of bounds')]);
  }
  const metaTable = yield range(meta.offset, TABLE_BYTES);
  if (!metaTable.complete) return found('vhdx', [reason('vhdx', 'truncated', 'VHDX metadata table is missing')]);
  const m = metaTable.bytes;
  if (m.toString('latin1', 0, 8) !== 'metadata') return found('vhdx', [invalid('VHDX metadata signature is wrong')]);
  const items = m.readUInt16LE(10);
  if (items > MAX_ENTRIES) return found('vhdx', [invalid('VHDX metadata table has too many entries')]);
  const reasons: Reason[] = [];
  const wanted: { guid: Buffer; offset: number; length: number }[] = [];
  for (let i = 0; i < items; i++) {
    const e = m.subarray(32 + i * 32, 64 + i * 32);
    const guid = e.subarray(0, 16);
    const offset = e.readUInt32LE(16);
    const length = e.readUInt32LE(20);
    if (!KNOWN_ITEMS.some((g) => g.equals(guid))) {
      if (e.readUInt32LE(24) & 4) return found('vhdx', [invalid('VHDX has an unknown required metadata item')]);
      continue;
    }
    if (length !== 0 && (offset < TABLE_BYTES || offset + length > meta.length)) {
      return found('vhdx', [reason('vhdx', 'out-of-bounds', 'VHDX metadata item lies outside its region')]);
    }
    if (guid.equals(PARENT_LOCATOR)) reasons.push(reason('vhdx', 'vhdx-parent', 'VHDX is a differencing disk with a parent locator'));
    if (guid.equals(FILE_PARAMETERS) || guid.equals(VIRTUAL_DISK_SIZE)) wanted.push({ guid, offset, length });
  }
  if (!wanted.some((w) => w.guid.equals(VIRTUAL_DISK_SIZE))) return found('vhdx', [...reasons, invalid('VHDX has no virtual disk size')]);
  let size: number | null = null;
  for (const item of wanted.sort((a, b) => a.offset - b.offset)) {
    if (item.length < 8) return found('vhdx', [...reasons, invalid('VHDX metadata item is too short')]);
    const got = yield range(meta.offset + item.offset, 8);
    if (!got.complete) return found('vhdx', [...reasons, reason('vhdx', 'truncated', 'VHDX metadata item is missing')]);
    if (item.guid.equals(VIRTUAL_DISK_SIZE)) size = u64(got.bytes, 0, 'le');
    else if (got.bytes.readUInt32LE(4) & 2) reasons.push(reason('vhdx', 'vhdx-parent', 'VHDX file parameters say it has a parent'));
  }
  const sizeProblem = size === null ? undefined : checkVirtualSize('vhdx', size);
  if (sizeProblem) reasons.push(sizeProblem);
  return found('vhdx', reasons, sizeProblem ? null : size);
}
