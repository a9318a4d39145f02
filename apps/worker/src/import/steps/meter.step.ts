/**
 * Counts the bytes that flow to the store and reports progress on a chunk when at least `everyMs` went by
 * since the last report (so a fast import writes its task a few times a second at most, and a slow one still
 * shows it is alive); `end` reports the total. It watches the chunks (the hashing tap's observer) rather than
 * passing them on. The size cap itself is the store write's (HashingTap), after decompression.
 */
export function meter(
  everyMs: number,
  onProgress: (bytes: number) => void,
  now: () => number = () => performance.now(),
): { see(chunk: Buffer): void; end(): void } {
  let bytes = 0;
  let last = now();
  return {
    see(chunk) {
      bytes += chunk.length;
      const t = now();
      if (t - last >= everyMs) {
        last = t;
        onProgress(bytes);
      }
    },
    end: () => onProgress(bytes),
  };
}
