import type { SwiftClient } from './swift-client.js';

/** One segment of a DLO: where it is and which bytes of the whole object it holds. */
export interface DloSegment {
  container: string;
  name: string;
  /** Offset of its first byte in the whole object. */
  offset: number;
  bytes: number;
}

/**
 * A DLO's segments as Swift's proxy assembles them: every object under the manifest's `X-Object-Manifest`
 * (`<container>/<prefix>`, URL-encoded) in listing order, every page. Null when the value is not a usable prefix
 * or the listing names the manifest itself (left to Swift's own DLO handling); empty segments are skipped.
 */
export async function dloSegments(client: SwiftClient, manifest: string, self: { container: string; object: string }): Promise<DloSegment[] | null> {
  const [container, ...rest] = decodeURIComponent(manifest).split('/');
  const prefix = rest.join('/');
  if (!container || !prefix) return null;
  const segments: DloSegment[] = [];
  let offset = 0;
  for await (const entry of client.objects(container, prefix)) {
    if (container === self.container && entry.name === self.object) return null;
    if (entry.bytes > 0) segments.push({ container, name: entry.name, offset, bytes: entry.bytes });
    offset += entry.bytes;
  }
  return segments;
}

/** The segment holding byte `position` (segments in order, non-empty). */
export function segmentAt(segments: readonly DloSegment[], position: number): DloSegment | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (position < s.offset) hi = mid - 1;
    else if (position >= s.offset + s.bytes) lo = mid + 1;
    else return s;
  }
  return undefined;
}
