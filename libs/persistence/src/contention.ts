import { setTimeout as sleep } from 'node:timers/promises';
import { busy } from '@glimpse/domain';

/**
 * How long a writer waits for a busy record before giving up (503, retryable). Contention is never the client's
 * problem: writers of one record take turns, and a turn is a few database round trips, so this bound is reached
 * only when the database itself stalls; it is long enough for a loaded machine.
 */
export const CONTENTION_WAIT_MS = 30_000;

/**
 * Turns per key within this process: callers with the same key run one at a time, first come first served, so
 * writers of one record in one process queue here instead of racing for it in the database (where all but one
 * would retry). A caller that has waited until `deadline` gives up with a retryable `busy` error.
 */
export class KeyedTurns {
  /** Present while a caller holds the key: the callers waiting for it, in order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  async run<T>(key: string, work: () => Promise<T>, deadline = Date.now() + CONTENTION_WAIT_MS): Promise<T> {
    await this.enter(key, deadline);
    try {
      return await work();
    } finally {
      this.leave(key);
    }
  }

  /** Whether a caller holds `key` now (for tests and diagnostics). */
  held(key: string): boolean {
    return this.waiting.has(key);
  }

  private enter(key: string, deadline: number): Promise<void> {
    const queue = this.waiting.get(key);
    if (!queue) {
      this.waiting.set(key, []);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(turn);
        if (at >= 0) queue.splice(at, 1);
        reject(busy(`The record ${key} is busy; try again.`));
      }, Math.max(0, deadline - Date.now()));
      queue.push(turn);
    });
  }

  private leave(key: string): void {
    const next = this.waiting.get(key)?.shift();
    if (next) next();
    else this.waiting.delete(key);
  }
}

/**
 * Runs `attempt` until it returns something other than null (null: another writer got in between, try again on
 * fresh data), backing off with jitter between attempts (2 ms doubling to 100 ms), until `deadline`; then a
 * retryable `busy` error naming `what`.
 */
export async function retryWhileBusy<T>(what: string, attempt: () => Promise<T | null>, deadline = Date.now() + CONTENTION_WAIT_MS): Promise<T> {
  for (let round = 0; ; round++) {
    const result = await attempt();
    if (result !== null) return result;
    if (Date.now() >= deadline) throw busy(`${what} is busy; try again.`);
    await sleep(backoffMs(round));
  }
}

/** The pause before retry `round` (0-based): 2 ms doubling to 100 ms, each with up to half again of jitter. */
export function backoffMs(round: number): number {
  const base = Math.min(100, 2 * 2 ** Math.min(round, 6));
  return base + Math.random() * base * 0.5;
}
