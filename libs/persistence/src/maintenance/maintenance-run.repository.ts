import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { AtomicUpdates } from '../atomic-updates.js';
import { MaintenanceRunDoc } from './maintenance-run.schema.js';

export interface MaintenanceRun {
  id: string;
  job: string;
  tick: Date;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed';
  worker: string;
  attempts: number;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  counts: Record<string, number> | null;
  error: string | null;
}

function toRun(doc: MaintenanceRunDoc): MaintenanceRun {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id, status: doc.status as MaintenanceRun['status'] };
}

/** What each maintenance run did: counts, bytes, duration, errors. */
@Injectable()
export class MaintenanceRunRepository {
  constructor(
    @InjectModel(MaintenanceRunDoc.name) private readonly model: Model<MaintenanceRunDoc>,
    private readonly atomic: AtomicUpdates,
  ) {}

  /** Records the start of a run; a retried job (after a crash) reuses its record and counts the attempt. */
  async start(id: string, job: string, tick: Date, trigger: string, worker: string): Promise<void> {
    try {
      await this.model.create({ _id: id, job, tick, trigger, worker, status: 'running', startedAt: new Date() });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      await this.atomic.findOneAndUpdate(this.model, id, {}, {
        $set: { status: 'running', worker, startedAt: new Date(), error: null },
        $inc: { attempts: 1 },
      });
    }
  }

  async finish(id: string, outcome: { counts?: Record<string, number>; error?: string }): Promise<void> {
    const run = await this.model.findById(id).lean<MaintenanceRunDoc>().exec();
    const finishedAt = new Date();
    await this.atomic.findOneAndUpdate(this.model, id, {}, {
      $set: {
        status: outcome.error ? 'failed' : 'succeeded',
        finishedAt,
        durationMs: run ? finishedAt.getTime() - run.startedAt.getTime() : null,
        counts: outcome.counts ?? null,
        error: outcome.error ?? null,
      },
    });
  }

  async findById(id: string): Promise<MaintenanceRun | null> {
    const doc = await this.model.findById(id).lean<MaintenanceRunDoc>().exec();
    return doc ? toRun(doc) : null;
  }

  /** How many runs each sweep has recorded, by status. */
  async countByStatus(): Promise<{ job: string; status: string; n: number }[]> {
    const rows = await this.model.aggregate<{ _id: { job: string; status: string }; n: number }>([
      { $group: { _id: { job: '$job', status: '$status' }, n: { $sum: 1 } } },
    ]);
    return rows.map((r) => ({ job: r._id.job, status: r._id.status, n: r.n }));
  }

  /** The most recent run of a sweep that has finished. */
  async lastFinished(job: string): Promise<MaintenanceRun | null> {
    const doc = await this.model.findOne({ job, status: { $ne: 'running' } }).sort({ startedAt: -1 }).lean<MaintenanceRunDoc>().exec();
    return doc ? toRun(doc) : null;
  }

  async list(job: string | undefined, limit: number): Promise<MaintenanceRun[]> {
    const docs = await this.model
      .find(job ? { job } : {})
      .sort({ startedAt: -1 })
      .limit(limit)
      .lean<MaintenanceRunDoc[]>()
      .exec();
    return docs.map(toRun);
  }
}
