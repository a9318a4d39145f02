/**
 * Hands each candidate of `candidates` (a repository's stream, which never holds them all at once) to `each`
 * (which enqueues a small job), stopping when `signal` aborts. Returns the number of candidates.
 */
export async function fanOut<T>(candidates: AsyncIterable<T>, signal: AbortSignal, each: (candidate: T) => Promise<unknown>): Promise<number> {
  let count = 0;
  for await (const candidate of candidates) {
    signal.throwIfAborted();
    await each(candidate);
    count++;
  }
  return count;
}

/**
 * The compact form of a tick for per-image job ids (`20261124T101500.000Z`). Milliseconds are kept: two manual
 * runs within one second are two runs, and their jobs must not be taken for the first run's.
 */
export function tickId(tick: string): string {
  return tick.replace(/[-:]/g, '');
}
