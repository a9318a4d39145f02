/**
 * Counts the bytes that flow to the store and reports progress at most every `everyBytes`; `end` reports the
 * total. It watches the chunks (the hashing tap's observer) rather than passing them on. The size cap itself is
 * the store write's (HashingTap), after decompression.
 */
export function meter(everyBytes: number, onProgress: (bytes: number) => void): { see(chunk: Buffer): void; end(): void } {
  let bytes = 0;
  let reported = 0;
  return {
    see(chunk) {
      bytes += chunk.length;
      if (bytes - reported >= everyBytes) {
        reported = bytes;
        onProgress(bytes);
      }
    },
    end: () => onProgress(bytes),
  };
}
