/**
 * Counts the bytes that flow to the store and reports progress at most every `everyBytes` (and once at the
 * end). The size cap itself is the store write's (HashingTap), after decompression.
 */
export function meter(everyBytes: number, onProgress: (bytes: number) => void) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let bytes = 0;
    let reported = 0;
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes - reported >= everyBytes) {
        reported = bytes;
        onProgress(bytes);
      }
      yield chunk;
    }
    onProgress(bytes);
  };
}
