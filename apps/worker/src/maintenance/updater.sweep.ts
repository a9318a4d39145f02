import { Injectable } from '@nestjs/common';
import { JobName, type SweepResult } from '@glimpse/contracts';
import { ProjectUsageRepository } from '@glimpse/persistence';
import type { Sweep } from './sweep.js';

/**
 * The updater: recomputes per-project usage counters (image count and bytes per status) from the records.
 * Stuck uploads/imports and expired import locks join it with the import pipeline.
 */
@Injectable()
export class UpdaterSweep implements Sweep {
  readonly job = JobName.UpdaterSweep;

  constructor(private readonly usage: ProjectUsageRepository) {}

  async run(): Promise<SweepResult> {
    const projects = await this.usage.recompute();
    return { candidates: projects, enqueued: 0, bytes: 0, errors: 0 };
  }
}
