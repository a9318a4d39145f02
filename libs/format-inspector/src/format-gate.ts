import type { DetectedFormat, InspectionResult, ReasonCode } from './types.js';

/** Detected formats each Glance disk_format accepts. Formats Glance cannot inspect (ploop, ami/aki/ari) must look
 * raw; raw accepts partition tables, ISO images and LUKS volumes (Cinder uploads encrypted volumes as raw): all are
 * plain bytes to a hypervisor. A qcow2, vmdk or other container declared raw is refused. */
const ACCEPTS: Readonly<Record<string, readonly DetectedFormat[]>> = {
  raw: ['raw', 'gpt', 'mbr', 'iso', 'luks'],
  ami: ['raw', 'gpt', 'mbr'],
  aki: ['raw'],
  ari: ['raw'],
  ploop: ['raw'],
  qcow2: ['qcow2'],
  vmdk: ['vmdk'],
  vhd: ['vhd'],
  vhdx: ['vhdx'],
  vdi: ['vdi'],
  iso: ['iso'],
};

/** disk_formats whose virtual size is the stream's length. ploop is not: its size lives in its own header. */
const SIZED_BY_CONTENT = new Set(['raw', 'ami', 'aki', 'ari', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso']);

/** Heuristic checks (a partition table or ISO descriptor that merely looks wrong) that only apply to bare images:
 * inside an ova/ovf/compressed container such bytes are not what a hypervisor boots. */
const BARE_ONLY: ReadonlySet<ReasonCode> = new Set(['mbr-invalid', 'gpt-invalid', 'iso-invalid']);

export interface FormatCheckInput {
  declaredDiskFormat: string | null;
  declaredContainerFormat: string | null;
  result: InspectionResult;
  /** Glance's `[image_format] require_image_format_match` (default true): refuse content that is not the declared format. */
  requireMatch: boolean;
  /** Reason codes tolerated as warnings (Glance's `gpt_safety_checks_nonfatal`, e.g. `mbr-invalid`). Default none. */
  nonfatal?: readonly ReasonCode[];
}

export type FormatVerdict =
  | { ok: true; virtualSize: number | null; format: DetectedFormat }
  | { ok: false; code: ReasonCode | 'format-mismatch'; reason: string; virtualSize: null; format: DetectedFormat };

/**
 * The gate: is this content acceptable as the declared disk_format? Safety failures refuse for every container
 * format (Glance skips non-bare containers entirely; here only the partition-table and ISO heuristics do); a
 * format mismatch refuses when `requireMatch` and the container is `bare`, and otherwise only withholds the
 * virtual size.
 */
export function checkFormat(input: FormatCheckInput): FormatVerdict {
  const { result, declaredDiskFormat: disk, declaredContainerFormat: container } = input;
  const nonfatal = new Set(input.nonfatal ?? []);
  if (container !== 'bare') for (const code of BARE_ONLY) nonfatal.add(code);
  const fatal = result.reasons.filter((r) => !nonfatal.has(r.code) || r.code === 'multiple-formats');
  if (fatal.length > 0) {
    const first = fatal[0]!;
    return { ok: false, code: first.code, reason: fatal.map((r) => r.message).join('; '), virtualSize: null, format: result.format };
  }
  if (container !== 'bare' || disk === null) return { ok: true, virtualSize: null, format: result.format };
  const accepted = ACCEPTS[disk] ?? [disk];
  if (!accepted.includes(result.format)) {
    if (!input.requireMatch) return { ok: true, virtualSize: null, format: result.format };
    return {
      ok: false,
      code: 'format-mismatch',
      reason: `Image content is ${result.format}, not the declared disk_format ${disk}`,
      virtualSize: null,
      format: result.format,
    };
  }
  const virtualSize = SIZED_BY_CONTENT.has(disk) ? (['raw', 'ami', 'aki', 'ari'].includes(disk) ? result.actualSize : result.virtualSize) : null;
  return { ok: true, virtualSize, format: result.format };
}
