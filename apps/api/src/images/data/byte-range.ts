import { GlimpseError, invalid } from '@glimpse/domain';

/** Inclusive byte range of the image's data. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a download asks for, as Glance (webob) reads it: `Range: bytes=a-b | a- | -n` (one range only;
 * several → 400), or the legacy request header `Content-Range: bytes a-b/total`. A malformed header is ignored
 * (the whole image is sent, as RFC 9110 says); an end past the data is cut to it; a start past it → 416.
 */
export function requestedRange(size: number, range?: string, contentRange?: string): ByteRange | undefined {
  if (range !== undefined) {
    const spec = /^\s*bytes\s*=\s*(.*)$/i.exec(range)?.[1];
    if (spec === undefined) return undefined;
    if (spec.includes(',')) {
      throw invalid('Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.');
    }
    const m = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return undefined;
    if (m[1] === '') {
      const suffix = Number(m[2]);
      if (suffix === 0 || size === 0) throw unsatisfiable(size);
      return { start: Math.max(0, size - suffix), end: size - 1 };
    }
    const start = Number(m[1]);
    if (m[2] === '') return bounded(start, size - 1, size);
    const end = Number(m[2]);
    if (end < start) return undefined;
    return bounded(start, end, size);
  }
  if (contentRange !== undefined) {
    const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(contentRange);
    if (!m || Number(m[2]) < Number(m[1])) return undefined;
    return bounded(Number(m[1]), Number(m[2]), size);
  }
  return undefined;
}

function bounded(start: number, end: number, size: number): ByteRange {
  if (start >= size) throw unsatisfiable(size);
  return { start, end: Math.min(end, size - 1) };
}

function unsatisfiable(size: number): GlimpseError {
  return new GlimpseError(
    'range-not-satisfiable',
    `The Range requested is not available. Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${Math.max(0, size - 1)}].`,
    { 'Content-Range': `bytes */${size}` },
  );
}
