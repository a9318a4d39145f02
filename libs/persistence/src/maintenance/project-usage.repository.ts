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

type UsageRow = Pick<ImageDoc, 'owner' | 'status' | 'size'>;

/** Usage counters per project, recomputed from the image records (never incremented in place). */
@Injectable()
export class ProjectUsageRepository {
  constructor(
    @InjectModel(ProjectUsageDoc.name) private readonly model: Model<ProjectUsageDoc>,
    @InjectModel(ImageDoc.name) private readonly images: Model<ImageDoc>,
  ) {}

  /**
   * Recomputes every project's counters from one pass over the records' owner, status and size; projects with no
   * images left are removed. Summed here, not by `$group`: FerretDB 1.24 answers 0 for `$sum: '$size'` (the
   * integration test project-usage checks the sums on the server the suite runs against).
   */
  async recompute(): Promise<number> {
    const byProject = new Map<string, { counts: Record<string, number>; bytes: Record<string, number> }>();
    const cursor = this.images.find({}, { owner: 1, status: 1, size: 1 }).lean<UsageRow>().cursor();
    for await (const row of cursor as AsyncIterable<UsageRow>) {
      const project = row.owner ?? '';
      const usage = byProject.get(project) ?? { counts: {}, bytes: {} };
      usage.counts[row.status] = (usage.counts[row.status] ?? 0) + 1;
      usage.bytes[row.status] = (usage.bytes[row.status] ?? 0) + (row.size ?? 0);
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
