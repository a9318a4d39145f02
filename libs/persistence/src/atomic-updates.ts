import { Injectable, Logger, type OnModuleInit, Optional } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection, Model, QueryFilter, UpdateQuery } from 'mongoose';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { CONTENTION_WAIT_MS, KeyedTurns, retryWhileBusy } from './contention.js';
import { type LockDoc, WRITE_LOCKS, WriteLocks } from './write-locks.js';
import { isStaleRevision, REVISION_GUARDED, RevisionGuards } from './ferretdb/revision-guards.js';

/**
 * Conditional updates ("change this document only if it is still in the state I read") that are atomic on
 * every server Glimpse supports. MongoDB's findOneAndUpdate is atomic by itself. FerretDB 1.x evaluates the
 * filter, then writes the whole document back by _id in a second step, so two racing updates can both
 * "match"; there, writers of one document take turns through a lock record whose _id is unique (inserts
 * with a duplicate _id are refused atomically by every server; `WriteLocks`, which also breaks a dead writer's lock). Every write to a guarded collection must
 * go through here. On FerretDB's PostgreSQL backend the collections of REVISION_GUARDED need no lock record: every
 * write of theirs bumps `rev`, and a trigger refuses the write-back of a revision that is no longer the stored one
 * (revision-guards.ts), so the update itself is the compare-and-set; a refused one runs again on the fresh record.
 *
 * Contention is never the client's problem: writers of one record in this process take turns (`KeyedTurns`) before
 * they take the lock record, so only other processes' writers compete for it, and a busy lock is waited for with
 * backoff for up to CONTENTION_WAIT_MS before a retryable 503. `readModifyWrite` does the same for the callers
 * that read a record, compute a change and write it conditionally on what they read.
 */
@Injectable()
export class AtomicUpdates implements OnModuleInit {
  private readonly logger = new Logger(AtomicUpdates.name);
  private mode: 'native' | 'lock' = 'lock';
  /** Turns at one record's lock record (lock mode). */
  private readonly writes = new KeyedTurns();
  /** Turns at one record's read-modify-write cycle. */
  private readonly cycles = new KeyedTurns();
  /** The lock records (lock mode) and their stale-lock breaking. */
  private locks?: WriteLocks;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectConfig('mongo') private readonly mongo: ConfigOf<'mongo'>,
    @Optional() private readonly guards?: RevisionGuards,
  ) {}

  async onModuleInit(): Promise<void> {
    const wanted = this.mongo.writeMode;
    if (wanted !== 'auto') {
      this.mode = wanted;
    } else {
      const info = await this.connection.db!.admin().command({ buildInfo: 1 });
      this.mode = info.ferretdbVersion ? 'lock' : 'native';
    }
    this.logger.log(`conditional updates: ${this.mode}`);
    if (this.mode !== 'lock') return;
    this.locks = new WriteLocks(this.connection.db!.collection<LockDoc>(WRITE_LOCKS));
    const orphans = await this.locks.removeOrphanBreaks().catch((err: unknown) => (this.logger.warn(`break records not swept: ${String(err)}`), 0));
    if (orphans) this.logger.log(`removed ${orphans} break record(s) left by writers that died breaking a stale lock`);
  }

  /** findOneAndUpdate on { _id, ...conditions }; null when the document no longer matches. */
  async findOneAndUpdate<T>(
    // `any` in the model's other type parameters: any model of T, whatever its virtuals.
    model: Model<T, any, any, any, any, any>,
    id: unknown,
    conditions: QueryFilter<T>,
    update: UpdateQuery<T>,
  ): Promise<T | null> {
    const collection = model.collection.name;
    if (REVISION_GUARDED.includes(collection) && (update as { $inc?: { rev?: unknown } }).$inc?.rev !== 1) {
      throw new Error(`a write of ${collection} must bump rev ($inc: { rev: 1 })`);
    }
    const run = async (): Promise<T | null> =>
      (await model
        .findOneAndUpdate({ ...conditions, _id: id } as QueryFilter<T>, update, { returnDocument: 'after' })
        .lean()
        .exec()) as T | null;
    if (this.mode === 'native') return run();
    const key = `${collection}:${String(id)}`;
    const deadline = Date.now() + CONTENTION_WAIT_MS;
    // A write the revision guard refused (another process wrote the record after FerretDB read it) runs again.
    const fresh = async () =>
      (await retryWhileBusy(`The record ${key}`, () => run().then((doc) => ({ doc }), (err: unknown) => (isStaleRevision(err) ? null : Promise.reject(err))), deadline)).doc;
    if (this.guards?.covers(collection)) return this.writes.run(key, fresh, deadline);
    return this.writes.run(
      key,
      async () => {
        const release = await this.locks!.acquire(key, deadline);
        try {
          return await fresh();
        } finally {
          await release();
        }
      },
      deadline,
    );
  }

  /**
   * Read-modify-write of one record: `cycle` reads it, computes the change and writes it conditionally on what it
   * read, answering null when another writer got in between. Cycles on one record in this process take turns, so
   * they do not undo each other's reads; one that still lost (to another process) is run again on fresh data,
   * with backoff, until CONTENTION_WAIT_MS has passed (then a retryable 503).
   */
  readModifyWrite<T>(collection: string, id: string, cycle: () => Promise<T | null>): Promise<T> {
    const key = `${collection}:${id}`;
    const deadline = Date.now() + CONTENTION_WAIT_MS;
    return this.cycles.run(key, () => retryWhileBusy(`The record ${key}`, cycle, deadline), deadline);
  }
}
