import { checkVirtualSize, noMatch, type Probe, range, reason, tail, u64 } from '../probe.js';
import type { ProbeOutcome, Reason, ResolvedOptions } from '../types.js';

const MAGIC = Buffer.from('QFI\xfb', 'latin1');
/** Incompatible feature bits (qcow2 spec): 0 dirty, 1 corrupt, 2 external data file, 3 compression type. */
const DATA_FILE_BIT = 1n << 2n;
const KNOWN_INCOMPATIBLE = 0b1111n;

/**
 * qcow2 (big-endian header at 0): magic, version @4, backing_file_offset @8, cluster_bits @20, size @24,
 * crypt_method @32, incompatible_features @72 and header_length @100 (v3).
 */
export function* qcow2Probe(options: ResolvedOptions): Probe {
  const got = yield range(0, 512);
  if (got.bytes.length < 4 || !got.bytes.subarray(0, 4).equals(MAGIC)) return noMatch('qcow2');
  const h = got.bytes;
  if (h.length < 104) {
    return { format: 'qcow2', match: true, virtualSize: null, reasons: [reason('qcow2', 'truncated', 'qcow2 header is truncated')] };
  }
  const version = h.readUInt32BE(4);
  const reasons: Reason[] = [];
  const size = u64(h, 24, 'be');
  const clusterBits = h.readUInt32BE(20);
  if (version !== 2 && version !== 3) {
    reasons.push(reason('qcow2', 'qcow2-unsupported-version', `qcow2 version ${version} is not supported`));
  }
  if (h.readBigUInt64BE(8) !== 0n) reasons.push(reason('qcow2', 'qcow2-backing-file', 'qcow2 image has a backing file'));
  if (version === 3) {
    const incompatible = h.readBigUInt64BE(72);
    if (incompatible & DATA_FILE_BIT) reasons.push(reason('qcow2', 'qcow2-data-file', 'qcow2 image uses an external data file'));
    if (incompatible & ~KNOWN_INCOMPATIBLE) {
      reasons.push(reason('qcow2', 'qcow2-unknown-features', 'qcow2 image sets unknown incompatible feature bits'));
    }
    const headerLength = h.readUInt32BE(100);
    if (headerLength < 104 || (clusterBits < 32 && headerLength > 2 ** clusterBits)) {
      reasons.push(reason('qcow2', 'out-of-bounds', 'qcow2 header length is out of bounds'));
    }
  }
  if (clusterBits < 9 || clusterBits > 21) reasons.push(reason('qcow2', 'out-of-bounds', `qcow2 cluster_bits ${clusterBits} is out of bounds`));
  const crypt = h.readUInt32BE(32);
  if (crypt > 2) reasons.push(reason('qcow2', 'out-of-bounds', `qcow2 crypt_method ${crypt} is unknown`));
  else if (crypt !== 0 && !options.allowQcow2Encryption) reasons.push(reason('qcow2', 'qcow2-encrypted', 'qcow2 image is encrypted'));
  const sizeProblem = checkVirtualSize('qcow2', size);
  if (sizeProblem) reasons.push(sizeProblem);
  if (reasons.length === 0) {
    // Only a header that passed the rest has its tables checked against the stream's length (known at the end).
    const problem = tableProblem(h, clusterBits, size, (yield tail(0)).total);
    if (problem) reasons.push(reason('qcow2', 'out-of-bounds', problem));
  }
  const outcome: ProbeOutcome = {
    format: 'qcow2',
    match: true,
    virtualSize: sizeProblem ? null : size,
    reasons,
    details: { qcow2Version: version, encrypted: crypt !== 0 },
  };
  return outcome;
}

/** qemu's limits: L1 table at most 32 MiB, refcount table at most 8 MiB, 65536 snapshots. */
const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;
const MAX_SNAPSHOTS = 65536;

/** Why the L1, refcount or snapshot tables are out of bounds (misaligned, too big, past the end), if they are. */
function tableProblem(h: Buffer, clusterBits: number, size: number, total: number): string | undefined {
  const cluster = 2 ** clusterBits;
  const l1Entries = h.readUInt32BE(36);
  const l1Offset = u64(h, 40, 'be');
  const refOffset = u64(h, 48, 'be');
  const refBytes = h.readUInt32BE(56) * cluster;
  const snapshots = h.readUInt32BE(60);
  const snapOffset = u64(h, 64, 'be');
  const perL1Entry = (cluster / 8) * cluster;
  if (l1Entries * 8 > MAX_L1_BYTES || l1Entries * perL1Entry < size) return 'qcow2 L1 table size does not fit the disk size';
  if (l1Entries > 0 && (l1Offset % cluster !== 0 || l1Offset + l1Entries * 8 > total)) return 'qcow2 L1 table lies outside the image';
  if (refOffset % cluster !== 0 || refBytes > MAX_REFTABLE_BYTES || refOffset + refBytes > total) return 'qcow2 refcount table lies outside the image';
  if (snapshots > MAX_SNAPSHOTS || (snapshots > 0 && (snapOffset % 8 !== 0 || snapOffset >= total))) return 'qcow2 snapshot table lies outside the image';
  return undefined;
}

/** QED: recognised only to be refused (nobody supports it and it can name a backing file). */
export function* qedProbe(): Probe {
  const got = yield range(0, 64);
  if (got.bytes.length < 4 || got.bytes.toString('latin1', 0, 4) !== 'QED\0') return noMatch('qed');
  const size = got.bytes.length >= 56 ? u64(got.bytes, 48, 'le') : null;
  return {
    format: 'qed',
    match: true,
    virtualSize: size !== null && Number.isFinite(size) ? size : null,
    reasons: [reason('qed', 'qed-banned', 'QED images are not accepted')],
  };
}
