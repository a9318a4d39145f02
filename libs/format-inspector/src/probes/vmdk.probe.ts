import { allOnes64, checkVirtualSize, noMatch, type Probe, range, reason, tail, u64 } from '../probe.js';
import type { ProbeOutcome, Reason, ResolvedOptions } from '../types.js';
import { looksLikeTextDescriptor, parseDescriptor, type VmdkExtent } from './vmdk-descriptor.js';

const SECTOR = 512;
/** qemu reads an embedded descriptor only at sector 1 and at most 1 MiB - 1 of it. */
const MAX_DESCRIPTOR = 1024 * 1024 - 1;
const PROBE_BYTES = 2048;
const FOOTER_BYTES = 3 * SECTOR;
const MARKER_FOOTER = 3;

type Outcome = ProbeOutcome;
const vmdk = (reasons: Reason[], virtualSize: number | null, details: Outcome['details'] = {}): Outcome => ({
  format: 'vmdk',
  match: true,
  virtualSize,
  reasons,
  details,
});

/**
 * VMware vmdk, either a sparse extent (`KDMV` little-endian header at 0 with its descriptor at sector 1: the
 * monolithicSparse and streamOptimized kinds) or a bare text descriptor (monolithicFlat, twoGbMaxExtent*, vmfs...),
 * which by construction names other files and is refused. The createType must be allowed, the embedded descriptor
 * must describe exactly its own single sparse extent, and a stream footer (gdOffset all ones) must be well formed.
 */
export function* vmdkProbe(options: ResolvedOptions): Probe {
  const head = yield range(0, SECTOR);
  const magic = head.bytes.toString('latin1', 0, 4);
  if (magic === 'COWD') return vmdk([reason('vmdk', 'vmdk-unsupported-variant', 'vmdk version 3 (COWD) sparse files are not accepted')], null);
  if (magic !== 'KDMV') {
    const probe = yield range(0, PROBE_BYTES);
    if (!looksLikeTextDescriptor(probe.bytes)) return noMatch('vmdk');
    return yield* textDescriptor(options);
  }
  if (!head.complete) return vmdk([reason('vmdk', 'truncated', 'vmdk header is truncated')], null);
  const h = head.bytes;
  const version = h.readUInt32LE(4);
  const reasons: Reason[] = [];
  if (version < 1 || version > 3) reasons.push(reason('vmdk', 'vmdk-unsupported-variant', `vmdk sparse version ${version} is not supported`));
  let capacity = u64(h, 12, 'le');
  const descSector = u64(h, 28, 'le');
  const descBytes = u64(h, 36, 'le') * SECTOR;
  if (descSector !== 1 || descBytes === 0) {
    reasons.push(reason('vmdk', 'vmdk-invalid-descriptor', 'vmdk descriptor is not embedded at sector 1'));
    return vmdk(reasons, sized(capacity, reasons));
  }
  if (descBytes > MAX_DESCRIPTOR + 1) return vmdk([...reasons, reason('vmdk', 'out-of-bounds', 'vmdk descriptor is too large')], null);
  const desc = yield range(SECTOR, descBytes);
  if (!desc.complete) return vmdk([...reasons, reason('vmdk', 'truncated', 'vmdk descriptor is truncated')], null);
  const parsed = parseDescriptor(desc.bytes);
  let createType: string | null = null;
  if (!parsed.ok) {
    reasons.push(reason('vmdk', 'vmdk-invalid-descriptor', parsed.message));
  } else {
    createType = parsed.createType;
    reasons.push(...descriptorReasons(parsed.createType, parsed.parentHint, options));
    if (parsed.extents.length === 0) reasons.push(reason('vmdk', 'vmdk-no-extents', 'vmdk descriptor lists no extents'));
    else if (parsed.extents.length > 1 || parsed.extents.some((e) => e.type !== 'SPARSE' || namesPath(e))) {
      reasons.push(reason('vmdk', 'vmdk-external-extent', 'vmdk descriptor names an extent outside this file'));
    }
  }
  if (allOnes64(h, 56)) {
    // Already refused: say so now rather than after the whole stream (the footer could only add reasons).
    if (reasons.length > 0) return vmdk(reasons, null, { createType: createType ?? '' });
    const end = yield tail(FOOTER_BYTES);
    const footer = end.bytes.subarray(SECTOR, 2 * SECTOR);
    const ok =
      end.bytes.length === FOOTER_BYTES &&
      end.bytes.readUInt32LE(8) === 0 &&
      end.bytes.readUInt32LE(12) === MARKER_FOOTER &&
      footer.toString('latin1', 0, 4) === 'KDMV' &&
      footer.readUInt32LE(4) === version &&
      footer.subarray(28, 44).equals(h.subarray(28, 44)) &&
      !allOnes64(footer, 56) &&
      end.bytes.subarray(2 * SECTOR).every((b) => b === 0);
    if (!ok) return vmdk([...reasons, reason('vmdk', 'vmdk-bad-footer', 'vmdk stream footer is missing or malformed')], null, { createType: createType ?? '' });
    capacity = u64(footer, 12, 'le');
  }
  return vmdk(reasons, sized(capacity, reasons), { createType: createType ?? '' });
}

function* textDescriptor(options: ResolvedOptions): Probe {
  const got = yield range(0, MAX_DESCRIPTOR + 1);
  const end = yield tail(0);
  if (end.total > MAX_DESCRIPTOR) return vmdk([reason('vmdk', 'out-of-bounds', 'vmdk descriptor file is too large')], null);
  const parsed = parseDescriptor(got.bytes);
  if (!parsed.ok) return vmdk([reason('vmdk', 'vmdk-invalid-descriptor', parsed.message)], null);
  const reasons = descriptorReasons(parsed.createType, parsed.parentHint, options);
  if (parsed.extents.length === 0) reasons.push(reason('vmdk', 'vmdk-no-extents', 'vmdk descriptor lists no extents'));
  else reasons.push(reason('vmdk', 'vmdk-external-extent', 'vmdk descriptor file names its extents in other files'));
  const sectors = parsed.extents.reduce((sum, e) => sum + e.sectors, 0);
  return vmdk(reasons, sized(sectors, reasons), { createType: parsed.createType ?? '', descriptorOnly: true });
}

function descriptorReasons(createType: string | null, parentHint: boolean, options: ResolvedOptions): Reason[] {
  const reasons: Reason[] = [];
  if (createType === null) reasons.push(reason('vmdk', 'vmdk-invalid-descriptor', 'vmdk descriptor has no createType'));
  else if (!options.vmdkAllowedTypes.some((t) => t.toLowerCase() === createType.toLowerCase())) {
    reasons.push(reason('vmdk', 'vmdk-create-type', `vmdk createType ${JSON.stringify(createType.slice(0, 64))} is not allowed`));
  }
  if (parentHint) reasons.push(reason('vmdk', 'vmdk-parent', 'vmdk descriptor names a parent file'));
  return reasons;
}

const namesPath = (e: VmdkExtent) => e.file === null || /[/\\]|\.\./.test(e.file);

/** The virtual size in bytes from a sector count, pushing a reason when it is implausible. */
function sized(sectors: number, reasons: Reason[]): number | null {
  const size = sectors * SECTOR;
  const problem = checkVirtualSize('vmdk', size);
  if (problem) {
    reasons.push(problem);
    return null;
  }
  return size;
}
