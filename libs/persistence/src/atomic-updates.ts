import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection, Model, QueryFilter, UpdateQuery } from 'mongoose';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { conflict } from '@glimpse/domain';

const LOCKS = 'write_locks';
/** A lock older than this belonged to a writer that died between taking and dropping it. */
const STALE_LOCK_MS = 10_000;
const ACQUIRE_TIMEOUT_MS = 3_000;

interface LockDoc {
  _id: string;
  token: string;
  at: Date;
}

/**
 * Conditional updates ("change this document only if it is still in the state I read") that are atomic on
 * every server Glimpse supports. MongoDB's findOneAndUpdate is atomic by itself. FerretDB 1.x evaluates the
 * filter, then writes the whole document back by _id in a second step, so two racing updates can both
 * "match"; there, writers of one document take turns through a lock record whose _id is unique (inserts
 * with a duplicate _id are refused atomically by every server). Every write to a guarded collection must
 * go through here.
 */
@Injectable()
export class AtomicUpdates implements OnModuleInit {
  private readonly logger = new Logger(AtomicUpdates.name);
  private mode: 'native' | 'lock' = 'lock';

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const wanted = this.config.mongo.writeMode;
    if (wanted !== 'auto') {
      this.mode = wanted;
    } else {
      const info = await this.connection.db!.admin().command({ buildInfo: 1 });
      this.mode = info.ferretdbVersion ? 'lock' : 'native';
    }
    this.logger.log(`conditional updates: ${this.mode}`);
  }

  get writeMode(): 'native' | 'lock' {
    return this.mode;
  }

  /** findOneAndUpdate on { _id, ...conditions }; null when the document no longer matches. */
  async findOneAndUpdate<T>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model of T, whatever its virtuals
    model: Model<T, any, any, any, any, any>,
    id: unknown,
    conditions: QueryFilter<T>,
    update: UpdateQuery<T>,
  ): Promise<T | null> {
    const run = async (): Promise<T | null> =>
      (await model
        .findOneAndUpdate({ ...conditions, _id: id } as QueryFilter<T>, update, { returnDocument: 'after' })
        .lean()
        .exec()) as T | null;
    if (this.mode === 'native') return run();
    const release = await this.acquire(`${model.collection.name}:${String(id)}`);
    try {
      return await run();
    } finally {
      await release();
    }
  }

  private async acquire(key: string): Promise<() => Promise<void>> {
    const locks = this.connection.db!.collection<LockDoc>(LOCKS);
    const token = randomBytes(8).toString('hex');
    const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await locks.insertOne({ _id: key, token, at: new Date() });
        return async () => {
          await locks.deleteOne({ _id: key, token });
        };
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const holder = await locks.findOne({ _id: key });
      if (holder && Date.now() - holder.at.getTime() > STALE_LOCK_MS) {
        // deleteOne is atomic: of several writers breaking the same stale lock, one removes it.
        await locks.deleteOne({ _id: key, token: holder.token });
        continue;
      }
      if (Date.now() > deadline) throw conflict(`The record ${key} is busy; try again.`);
      await sleep(Math.min(2 + attempt * 2, 25) + Math.random() * 5);
    }
  }
}
