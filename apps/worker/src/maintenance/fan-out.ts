import type { Logger } from '@nestjs/common';
import { isRetryable, messageOf } from '../processors/job-failure.js';

/** What a fan-out did: candidates seen, jobs it really queued (not those BullMQ already had), candidates that failed. */
export interface FanOutCounts {
  candidates: number;
  enqueued: number;
  errors: number;
}

/**
 * Hands each candidate of `candidates` (a repository's stream, which never holds them all at once) to `each`
 * (which enqueues a small job and says whether it was queued: false when a job of that id already existed, or
 * the candidate needed none), stopping when `signal` aborts. A candidate whose job cannot be made for a reason
 * retrying cannot help is counted as an error, logged and passed over; a retryable failure (the queue or the
 * database away) stops the sweep, whose job is retried, and the replay adds only what is missing.
 */
export async function fanOut<T>(
  candidates: AsyncIterable<T>,
  signal: AbortSignal,
  each: (candidate: T) => Promise<boolean>,
  logger?: Pick<Logger, 'warn'>,
): Promise<FanOutCounts> {
  const counts: FanOutCounts = { candidates: 0, enqueued: 0, errors: 0 };
  for await (const candidate of candidates) {
    signal.throwIfAborted();
    counts.candidates++;
    try {
      if (await each(candidate)) counts.enqueued++;
    } catch (err) {
      if (isRetryable(err)) throw err;
      counts.errors++;
      logger?.warn(`a sweep candidate failed: ${messageOf(err)}`);
    }
  }
  return counts;
}

/** Two fan-outs' counts together. */
export function addCounts(a: FanOutCounts, b: FanOutCounts): FanOutCounts {
  return { candidates: a.candidates + b.candidates, enqueued: a.enqueued + b.enqueued, errors: a.errors + b.errors };
}

/**
 * The compact form of a tick for per-image job ids (`20261124T101500.000Z`). Milliseconds are kept: two manual
 * runs within one second are two runs, and their jobs must not be taken for the first run's.
 */
export function tickId(tick: string): string {
  return tick.replace(/[-:]/g, '');
}
