import type { DetectedFormat, ProbeOutcome, Reason, ReasonCode, ResolvedOptions } from './types.js';

/**
 * A probe is a generator: it yields what it needs next (a byte range, or the stream's tail at the end) and the
 * engine resumes it with the bytes once they have flowed past. It returns its outcome. Probes never see the
 * stream itself, so they cannot hold more than they asked for.
 */
export type Need = { kind: 'range'; offset: number; length: number } | { kind: 'tail'; length: number };

/**
 * What a probe is resumed with. For a range, `bytes` may be shorter than asked when the stream ended first or the
 * range was refused; for a tail, `bytes` are the stream's last bytes (up to the length asked) and `total` is the
 * stream's length.
 */
export interface Got {
  bytes: Buffer;
  complete: boolean;
  total: number;
  /** Set when the range was already behind the stream (and outside the head cache) when asked for. */
  refused?: 'passed';
}

export type Probe = Generator<Need, ProbeOutcome, Got>;
export type ProbeFactory = (options: ResolvedOptions) => Probe;

export const range = (offset: number, length: number): Need => ({ kind: 'range', offset, length });
export const tail = (length: number): Need => ({ kind: 'tail', length });

export const noMatch = (format: DetectedFormat): ProbeOutcome => ({ format, match: false, virtualSize: null, reasons: [] });

export const reason = (format: DetectedFormat, code: ReasonCode, message: string): Reason => ({ format, code, message });

/** Largest size accepted as a virtual size: beyond it numbers stop being exact and no real disk is that big. */
export const MAX_VIRTUAL_SIZE = Number.MAX_SAFE_INTEGER;

/** Reads an unsigned 64-bit integer as a number; Infinity when it does not fit exactly. */
export function u64(buf: Buffer, offset: number, endian: 'le' | 'be'): number {
  const value = endian === 'le' ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
}

export const allOnes64 = (buf: Buffer, offset: number): boolean => buf.readBigUInt64LE(offset) === 0xffffffffffffffffn;

/** Reason for a virtual size beyond bounds, or undefined when it is fine. */
export function checkVirtualSize(format: DetectedFormat, size: number): Reason | undefined {
  if (!Number.isFinite(size) || size > MAX_VIRTUAL_SIZE) {
    return reason(format, 'implausible-size', `${format} header declares an implausible virtual size`);
  }
  return undefined;
}

/** A Microsoft GUID's on-disk bytes (first three fields little-endian) from its text form. */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

export const isZero = (buf: Buffer): boolean => buf.every((b) => b === 0);
