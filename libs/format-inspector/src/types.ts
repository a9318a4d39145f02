/** Formats the inspector can name. gpt and mbr are raw disks with a partition table; `unknown` means the
 * inspection itself failed (an internal error), never "nothing matched" (that is `raw`). */
export type DetectedFormat =
  | 'raw'
  | 'qcow2'
  | 'qed'
  | 'vmdk'
  | 'vhd'
  | 'vhdx'
  | 'vdi'
  | 'iso'
  | 'gpt'
  | 'mbr'
  | 'luks'
  | 'unknown';

/** Named reasons for an unsafe verdict. Stable strings: callers and tests match on them. */
export type ReasonCode =
  | 'qcow2-backing-file'
  | 'qcow2-data-file'
  | 'qcow2-unknown-features'
  | 'qcow2-encrypted'
  | 'qcow2-unsupported-version'
  | 'qed-banned'
  | 'vmdk-create-type'
  | 'vmdk-external-extent'
  | 'vmdk-parent'
  | 'vmdk-invalid-descriptor'
  | 'vmdk-no-extents'
  | 'vmdk-bad-footer'
  | 'vmdk-unsupported-variant'
  | 'vhd-differencing'
  | 'vhd-invalid'
  | 'vhdx-parent'
  | 'vhdx-invalid'
  | 'vdi-differencing'
  | 'vdi-invalid'
  | 'luks-unsupported-version'
  | 'mbr-invalid'
  | 'gpt-invalid'
  | 'iso-invalid'
  | 'multiple-formats'
  | 'truncated'
  | 'out-of-bounds'
  | 'implausible-size'
  | 'inspection-failed';

export interface Reason {
  code: ReasonCode;
  /** The format whose check produced it (or the inspector's own checks). */
  format: DetectedFormat;
  message: string;
}

export interface InspectorOptions {
  /** vmdk createType values accepted (Glance `[image_format] vmdk_allowed_types`); empty = no vmdk at all. */
  vmdkAllowedTypes?: readonly string[];
  /** Whether encrypted qcow2 (crypt_method != 0) is acceptable. Glance does not refuse it; default true. */
  allowQcow2Encryption?: boolean;
  /** Hard cap on the bytes the inspector holds at once (header regions, plus the 64 KiB head cache and 2 KiB
   * tail ring it always holds); a region that would not fit fails the inspection. Default 4 MiB. */
  maxRetainedBytes?: number;
}

export interface ResolvedOptions {
  vmdkAllowedTypes: readonly string[];
  allowQcow2Encryption: boolean;
  maxRetainedBytes: number;
}

export const GLANCE_VMDK_ALLOWED_TYPES: readonly string[] = ['monolithicSparse', 'streamOptimized'];
export const DEFAULT_MAX_RETAINED_BYTES = 4 * 1024 * 1024;

export function resolveOptions(options: InspectorOptions = {}): ResolvedOptions {
  return {
    vmdkAllowedTypes: options.vmdkAllowedTypes ?? GLANCE_VMDK_ALLOWED_TYPES,
    allowQcow2Encryption: options.allowQcow2Encryption ?? true,
    maxRetainedBytes: options.maxRetainedBytes ?? DEFAULT_MAX_RETAINED_BYTES,
  };
}

/** What one format's probe concluded. */
export interface ProbeOutcome {
  format: DetectedFormat;
  match: boolean;
  virtualSize: number | null;
  reasons: Reason[];
  details?: Record<string, string | number | boolean>;
}

export interface InspectionResult {
  /** The format the content is in: the single match, iso for an allowed iso+partition-table pair, the first of
   * several conflicting matches (then `multiple-formats` is among the reasons), or raw when nothing matched. */
  format: DetectedFormat;
  /** Every non-raw format whose signature matched. */
  matches: DetectedFormat[];
  /** Virtual disk size in bytes, when known (for raw-like content: the bytes seen). */
  virtualSize: number | null;
  /** Bytes the stream held, including skipped ones. */
  actualSize: number;
  safe: boolean;
  reasons: Reason[];
  details: Record<string, string | number | boolean>;
  /** The most bytes the inspector held at any time. */
  peakRetainedBytes: number;
}
