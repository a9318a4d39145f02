import { FormatInspector } from './format-inspector.js';
import type { InspectionResult, InspectorOptions } from './types.js';

/** Inspects a whole stream, the way an upload sees it (every byte flows past; only the bounded regions stay). */
export async function inspectStream(source: AsyncIterable<Uint8Array>, options?: InspectorOptions): Promise<InspectionResult> {
  const inspector = new FormatInspector(options);
  for await (const chunk of source) inspector.push(chunk);
  return inspector.finish();
}

/** Reads `length` bytes at `offset` (fewer only at the end). The caller supplies it: this library does no I/O. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

export interface SeekableInspection {
  result: InspectionResult;
  /** Bytes actually read from the source. */
  bytesRead: number;
}

/**
 * Inspects a source that can be read at any offset (a stored file): reads the head only as far as the probes need,
 * skips straight to the next region any probe waits for, then reads the tail. Header checks cost kilobytes.
 */
export async function inspectSeekable(read: ReadAt, size: number, options?: InspectorOptions, chunkSize = 4096): Promise<SeekableInspection> {
  const inspector = new FormatInspector(options);
  let bytesRead = 0;
  const pull = async (length: number) => {
    const chunk = await read(inspector.position, length);
    bytesRead += chunk.length;
    inspector.push(chunk);
    return chunk.length;
  };
  while (inspector.position < size && !inspector.headComplete) {
    const wanted = inspector.wantedFrom;
    if (wanted !== null && wanted > inspector.position) inspector.skip(Math.min(wanted, size) - inspector.position);
    else if ((await pull(Math.min(chunkSize, size - inspector.position))) === 0) break;
  }
  const tailStart = Math.max(inspector.position, size - inspector.tailWanted);
  if (tailStart > inspector.position) inspector.skip(tailStart - inspector.position);
  while (inspector.position < size) {
    if ((await pull(Math.min(chunkSize, size - inspector.position))) === 0) break;
  }
  return { result: inspector.finish(), bytesRead };
}
