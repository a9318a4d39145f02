import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { mongo } from 'mongoose';
import { busy } from '@glimpse/domain';
import { backoffMs } from './contention.js';

/** The collection of lock records. */
export const WRITE_LOCKS = 'write_locks';
/** A lock older than this belonged to a writer that died between taking and dropping it. */
export const STALE_LOCK_MS = 10_000;

/** A lock record: held by `token` since `at`; a break record also names the lock it breaks (`breaks`, `of`). */
export interface LockDoc {
  _id: string;
  token: string;
  at: Date;
  /** A break record: the _id of the stale lock being broken, and its token. */
  breaks?: string;
  of?: string;
}

/** The collection operations the locks use (a fake in the unit spec). */
export type LockRecords = Pick<mongo.Collection<LockDoc>, 'insertOne' | 'findOne' | 'deleteOne' | 'find'>;

/**
 * Lock records for writers of one record across processes (AtomicUpdates' lock mode): a writer holds `key` while
 * its lock record exists (its _id is unique: a second insert is refused atomically by every server). A lock older
 * than STALE_LOCK_MS belonged to a writer that died, and is broken.
 *
 * Breaking goes through a break record, `<lock id>:break:<stale token>`, inserted before the stale lock is deleted
 * and deleted after: FerretDB 1.24 runs deleteOne({_id, token}) as a query, then a delete by _id in a second
 * statement (handler/msg_delete.go, execDelete), so two breakers of one stale lock could both match it, and the
 * later one delete the lock a third writer had just taken. Only the writer whose break record went in deletes the
 * lock; the others wait as for a live one. A breaker that died between the two leaves a break record that goes
 * stale in turn and is broken by the same rule (a break record of the break record), so no lock is blocked for
 * good. The same statements on MongoDB, where they are atomic anyway: no server-specific path.
 *
 * Times are the system clock's, not the injected Clock: lock records are shared by processes, and a test's
 * moved clock (the worker's in the maintenance tests) would make every other process's live lock look stale.
 */
export class WriteLocks {
  constructor(private readonly locks: LockRecords) {}

  /** Takes the lock of `key`, waiting with backoff while another holds it, until `deadline` (then a retryable 503). */
  async acquire(key: string, deadline: number): Promise<() => Promise<void>> {
    const token = randomBytes(8).toString('hex');
    for (let attempt = 0; ; attempt++) {
      if (await this.insert({ _id: key, token, at: new Date() })) {
        return async () => {
          await this.locks.deleteOne({ _id: key, token });
        };
      }
      const holder = await this.locks.findOne({ _id: key });
      if (!holder || (isStale(holder) && (await this.breakStale(holder)))) continue;
      if (Date.now() > deadline) throw busy(`The record ${key} is busy; try again.`);
      await sleep(backoffMs(attempt));
    }
  }

  /**
   * Removes the break records whose breaker died after deleting the lock (the lock they break is gone, or taken
   * again under another token): nothing will look for them again. Run when a process starts.
   */
  async removeOrphanBreaks(): Promise<number> {
    let removed = 0;
    const cutoff = new Date(Date.now() - STALE_LOCK_MS);
    for await (const record of this.locks.find({ breaks: { $exists: true }, at: { $lt: cutoff } })) {
      if (await this.locks.findOne({ _id: record.breaks!, token: record.of! })) continue;
      removed += (await this.locks.deleteOne({ _id: record._id, token: record.token })).deletedCount;
    }
    return removed;
  }

  /** Deletes the stale lock record `stale` if this writer's break record goes in; false when another is breaking it. */
  private async breakStale(stale: LockDoc): Promise<boolean> {
    const breakId = `${stale._id}:break:${stale.token}`;
    const token = randomBytes(8).toString('hex');
    if (!(await this.insert({ _id: breakId, token, at: new Date(), breaks: stale._id, of: stale.token }))) {
      const breaker = await this.locks.findOne({ _id: breakId });
      if (breaker && isStale(breaker)) await this.breakStale(breaker);
      return false;
    }
    try {
      await this.locks.deleteOne({ _id: stale._id, token: stale.token });
    } finally {
      await this.locks.deleteOne({ _id: breakId, token });
    }
    return true;
  }

  /** Inserts the record; false when one with its _id exists. */
  private async insert(record: LockDoc): Promise<boolean> {
    try {
      await this.locks.insertOne(record);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }
}

function isStale(record: LockDoc): boolean {
  return Date.now() - record.at.getTime() > STALE_LOCK_MS;
}
