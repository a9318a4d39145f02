import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { Connection, Model } from 'mongoose';
import { isStaleRevision } from '../ferretdb/revision-guards.js';
import { derivedKeysOf } from './image-keys.js';
import { ImageDoc } from './image.schema.js';

const STATE = 'schema_state';
const DONE = 'images.derived-keys.v5';
const BATCH = 500;

/**
 * Gives records written before the derived keys existed (`created<Second|Minute|TenMinutes|Hour|Day>`, `importLocked`, image-keys.ts) their
 * keys, once: at start-up, until a pass finds none missing, then a marker in `schema_state` says it is done and
 * later starts read nothing. Each update is conditional on the record's `rev` (and bumps it, as every image write
 * does), so a record changed meanwhile is not given a stale value; a pass that lost one to a concurrent write
 * (FerretDB writes whole documents; the revision guard refuses such a write-back, failing the batch's command) is
 * followed by another.
 */
@Injectable()
export class ImageKeysBackfill implements OnModuleInit {
  private readonly logger = new Logger(ImageKeysBackfill.name);

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectModel(ImageDoc.name) private readonly model: Model<ImageDoc>,
  ) {}

  async onModuleInit(): Promise<void> {
    const state = this.connection.db!.collection<{ _id: string; at: Date }>(STATE);
    if (await state.findOne({ _id: DONE })) return;
    let total = 0;
    for (let pass = 0; ; pass++) {
      const found = await this.pass();
      total += found;
      if (found === 0) break;
      if (pass === 10) {
        // Not marked done: the next start tries again. Meanwhile such a record is missed by created_at pages on FerretDB.
        this.logger.warn(`${found} image records still lack their derived keys after ${pass + 1} passes`);
        return;
      }
    }
    if (total) this.logger.log(`derived keys given to ${total} image records`);
    await state.insertOne({ _id: DONE, at: new Date() }).catch((err: { code?: number }) => (err.code === 11000 ? undefined : Promise.reject(err)));
  }

  /** One pass; the number of records it found without their keys. */
  private async pass(): Promise<number> {
    const missing = { $or: [{ createdSecond: { $exists: false } }, { createdTenMinutes: { $exists: false } }, { importLocked: { $exists: false } }, { updatedMinute: { $exists: false } }] };
    let batch: Parameters<Model<ImageDoc>['bulkWrite']>[0] = [];
    let count = 0;
    const flush = async () => {
      if (batch.length) await this.model.bulkWrite(batch, { ordered: false }).catch((err: unknown) => (isStaleRevision(err) ? undefined : Promise.reject(err)));
      count += batch.length;
      batch = [];
    };
    const cursor = this.model.find(missing).select({ _id: 1, createdAt: 1, updatedAt: 1, deletedAt: 1, locations: 1, props: 1, rev: 1 }).lean<ImageDoc[]>().cursor({ batchSize: BATCH });
    for await (const doc of cursor) {
      const d = doc as ImageDoc;
      const properties = Object.fromEntries((d.props ?? []).map((p) => [p.k, p.v]));
      batch.push({
        updateOne: {
          filter: { _id: d._id, rev: d.rev ?? { $exists: false } },
          update: { $set: derivedKeysOf({ ...d, properties }), $inc: { rev: 1 } },
        },
      });
      if (batch.length === BATCH) await flush();
    }
    await flush();
    return count;
  }
}
