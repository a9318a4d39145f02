import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { ImageDoc } from '../images/image.schema.js';
import { ProjectUsageDoc } from './project-usage.schema.js';

export interface ProjectUsage {
  project: string;
  counts: Record<string, number>;
  bytes: Record<string, number>;
  computedAt: Date;
}

/** Usage counters per project, recomputed from the image records (never incremented in place). */
@Injectable()
export class ProjectUsageRepository {
  constructor(
    @InjectModel(ProjectUsageDoc.name) readonly model: Model<ProjectUsageDoc>,
    @InjectModel(ImageDoc.name) private readonly images: Model<ImageDoc>,
  ) {}

  /** Recomputes every project's counters with one aggregation; projects with no images left are removed. */
  async recompute(): Promise<number> {
    const rows = await this.images
      .aggregate<{ _id: { owner: string | null; status: string }; n: number; bytes: number }>([
        { $group: { _id: { owner: '$owner', status: '$status' }, n: { $sum: 1 }, bytes: { $sum: '$size' } } },
      ])
      .exec();
    const byProject = new Map<string, { counts: Record<string, number>; bytes: Record<string, number> }>();
    for (const row of rows) {
      const project = row._id.owner ?? '';
      const usage = byProject.get(project) ?? { counts: {}, bytes: {} };
      usage.counts[row._id.status] = row.n;
      usage.bytes[row._id.status] = row.bytes ?? 0;
      byProject.set(project, usage);
    }
    const computedAt = new Date();
    for (const [project, usage] of byProject) {
      await this.model.replaceOne({ _id: project }, { _id: project, ...usage, computedAt }, { upsert: true }).exec();
    }
    await this.model.deleteMany({ _id: { $nin: [...byProject.keys()] } }).exec();
    return byProject.size;
  }

  async get(project: string): Promise<ProjectUsage | null> {
    const doc = await this.model.findById(project).lean<ProjectUsageDoc>().exec();
    return doc ? { project: doc._id, counts: doc.counts, bytes: doc.bytes, computedAt: doc.computedAt } : null;
  }
}
