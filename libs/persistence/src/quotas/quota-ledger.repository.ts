import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type ConfigOf, InjectConfig, QUOTA_RESOURCES, type QuotaResource } from '@glimpse/config';
import { CLOCK, type Clock } from '@glimpse/domain';
import { AtomicUpdates } from '../atomic-updates.js';
import { findByIds } from '../by-ids.js';
import { DatabaseServer } from '../database-server.js';
import { ImageDoc } from '../images/image.schema.js';
import { TaskDoc } from '../tasks/task.schema.js';
import { QuotaLedgerDoc, type QuotaHoldDoc } from './quota-ledger.schema.js';
import { addUsage, GONE_STATUSES, type ImageShare, noUsage, type QuotaUsage, shareOf, totalOf, usageOfRecord } from './quota-usage.js';

/** What a reservation asks for. Limits are in units (bytes, images); -1 = unlimited. */
export interface HoldRequest {
  /** The image the operation works on (a new image's id before its record exists). */
  image: string;
  limits: QuotaUsage;
  /** What the image will use once the operation is done, added to the hold in full or not at all. */
  amounts: Partial<QuotaUsage>;
  /** Added as much as fits (up to half the room left, and `max`), at least `min`: a streamed upload's next allowance. */
  flexible?: { resource: QuotaResource; min: number; max: number };
  /** The import task whose life the hold follows. */
  task?: string;
}

export type HoldResult =
  | { ok: true; granted: Partial<QuotaUsage> }
  | { ok: false; resource: QuotaResource; limit: number; used: number; delta: number };

/**
 * Quota usage of a project, from its image records and the holds of operations in flight. Records are the truth
 * (nothing is incremented in place, so nothing drifts); a hold claims what its image will use when the operation
 * is done, and each image counts the larger of its record and its holds, so nothing counts twice while the record
 * catches up. A hold is released once the record shows the work or the operation failed. A hold whose owner died
 * is ignored and removed: a request hold after GLIMPSE_STUCK_SAVING_MINUTES without a heartbeat, an import hold
 * once its task is no longer pending or processing.
 */
@Injectable()
export class QuotaLedgerRepository {
  constructor(
    @InjectModel(QuotaLedgerDoc.name) private readonly model: Model<QuotaLedgerDoc>,
    @InjectModel(ImageDoc.name) private readonly images: Model<ImageDoc>,
    @InjectModel(TaskDoc.name) private readonly tasks: Model<TaskDoc>,
    private readonly atomic: AtomicUpdates,
    private readonly server: DatabaseServer,
    @InjectConfig('updater') private readonly updater: ConfigOf<'updater'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The project's usage now. */
  async usage(project: string): Promise<QuotaUsage> {
    const ledger = await this.model.findById(project).lean<QuotaLedgerDoc>().exec();
    const { live } = await this.sortHolds(ledger?.holds ?? {});
    return totalOf((await this.shares(project, live)).values());
  }

  /**
   * Adds to hold `holdId` if the project's usage leaves room for it under every limit. The write is conditional
   * on the ledger's revision read before the records were measured, so racing reservations retry on fresh numbers
   * (and those of one process take turns: AtomicUpdates.readModifyWrite).
   */
  reserve(project: string, holdId: string, req: HoldRequest): Promise<HoldResult> {
    return this.atomic.readModifyWrite<HoldResult>(this.model.collection.name, project, async () => {
      const ledger = await this.ledger(project);
      const { live } = await this.sortHolds(ledger.holds);
      const shares = await this.shares(project, live);
      const used = totalOf(shares.values());
      const mine = shares.get(req.image) ?? { recorded: noUsage(), held: noUsage() };
      const granted: Partial<QuotaUsage> = { ...req.amounts };
      if (req.flexible) {
        const { resource, min, max } = req.flexible;
        const limit = req.limits[resource];
        const fixed = Math.max(mine.recorded[resource], mine.held[resource] + (granted[resource] ?? 0));
        // At most half the room left, so one stream of unknown length does not starve the others.
        const room = limit < 0 ? 2 * max : limit - (used[resource] - shareOf(mine)[resource]) - fixed;
        granted[resource] = (granted[resource] ?? 0) + Math.max(min, Math.min(max, Math.floor(room / 2)));
      }
      const after = addUsage(addUsage(used, { ...shareOf(mine) }, -1), shareOf({ recorded: mine.recorded, held: addUsage(mine.held, granted) }));
      for (const resource of QUOTA_RESOURCES) {
        const limit = req.limits[resource];
        if (limit >= 0 && after[resource] > limit && after[resource] > used[resource]) {
          return { ok: false, resource, limit, used: used[resource], delta: after[resource] - used[resource] };
        }
      }
      const holds = { ...live };
      const held = holds[holdId];
      holds[holdId] = {
        ...addUsage(held ? addUsage(noUsage(), held) : noUsage(), granted),
        image: req.image,
        at: new Date(),
        ...(req.task ? { task: req.task } : {}),
      };
      const written = await this.atomic.findOneAndUpdate(this.model, project, { rev: ledger.rev }, { $set: { holds }, $inc: { rev: 1 } });
      return written ? { ok: true, granted } : null;
    });
  }

  /** Drops a hold (its records now show what it reserved, or the operation failed). */
  async release(project: string, holdId: string): Promise<void> {
    await this.atomic.findOneAndUpdate(this.model, project, {}, { $unset: { [`holds.${holdId}`]: '' }, $inc: { rev: 1 } });
  }

  /** Heartbeat of a long operation's hold, so it is not taken for a dead one. */
  async touch(project: string, holdId: string): Promise<void> {
    await this.atomic.findOneAndUpdate(
      this.model,
      project,
      { [`holds.${holdId}`]: { $exists: true } },
      { $set: { [`holds.${holdId}.at`]: new Date() }, $inc: { rev: 1 } },
    );
  }

  /** The updater's reconciliation: removes the dead holds of every ledger; returns how many went. */
  async dropDeadHolds(): Promise<number> {
    let dropped = 0;
    for await (const ledger of this.model.find({}).lean<QuotaLedgerDoc[]>().cursor()) {
      const { live, dead } = await this.sortHolds(ledger.holds ?? {});
      if (dead.length === 0) continue;
      const written = await this.atomic.findOneAndUpdate(this.model, ledger._id, { rev: ledger.rev }, { $set: { holds: live }, $inc: { rev: 1 } });
      if (written) dropped += dead.length;
    }
    return dropped;
  }

  /** Each image's record and holds. */
  private async shares(project: string, live: Record<string, QuotaHoldDoc>): Promise<Map<string, ImageShare>> {
    const rows = await this.images
      .find({ owner: project, status: { $nin: GONE_STATUSES } }, { status: 1, size: 1, locations: 1 })
      .lean<Array<{ _id: string; status: string; size: number | null; locations?: unknown[] }>>()
      .exec();
    const shares = new Map<string, ImageShare>();
    const share = (id: string) => {
      const found = shares.get(id) ?? { recorded: noUsage(), held: noUsage() };
      shares.set(id, found);
      return found;
    };
    for (const row of rows) share(row._id).recorded = usageOfRecord(row);
    for (const hold of Object.values(live)) {
      const s = share(hold.image);
      s.held = addUsage(s.held, hold);
    }
    return shares;
  }

  private async ledger(project: string): Promise<QuotaLedgerDoc> {
    const found = await this.model.findById(project).lean<QuotaLedgerDoc>().exec();
    if (found) return { ...found, holds: found.holds ?? {} };
    // The first hold of a project: the unique _id lets exactly one insert win; the others read it.
    await this.model.collection.insertOne({ _id: project, rev: 0, holds: {} } as never).catch((err: { code?: number }) => {
      if (err.code !== 11000) throw err;
    });
    return this.ledger(project);
  }

  private async sortHolds(holds: Record<string, QuotaHoldDoc>): Promise<{ live: Record<string, QuotaHoldDoc>; dead: string[] }> {
    const taskIds = [...new Set(Object.values(holds).flatMap((h) => (h.task ? [h.task] : [])))];
    const running = new Set(
      (await findByIds<{ _id: string }>(this.server, this.tasks, taskIds, { status: { $in: ['pending', 'processing'] } }, { _id: 1 })).map((t) => t._id),
    );
    const staleBefore = this.clock.now() - this.updater.stuckSavingMs;
    const live: Record<string, QuotaHoldDoc> = {};
    const dead: string[] = [];
    for (const [id, hold] of Object.entries(holds)) {
      const alive = hold.task ? running.has(hold.task) : new Date(hold.at).getTime() >= staleBefore;
      if (alive) live[id] = hold;
      else dead.push(id);
    }
    return { live, dead };
  }
}
