import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { JobName, type JobResults, QueueName, type SweepJob, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { MaintenanceRunRepository } from '@glimpse/persistence';
import { GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { ImageAuditor } from './image-auditor.js';
import { ImageReaper } from './image-reaper.js';
import { ImageRecovery } from './image-recovery.js';
import { ImageReplication } from './image-replication.js';
import { type Sweep, SWEEPS_TOKEN } from './sweep.js';


/** Runs sweeps, recording each run (counts, duration, errors) under the job's deterministic id, and their per-image jobs. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends GlimpseWorkerHost {
  private readonly sweeps: Map<SweepJob, Sweep>;

  constructor(
    @Inject(SWEEPS_TOKEN) sweeps: Sweep[],
    private readonly runs: MaintenanceRunRepository,
    private readonly reaper: ImageReaper,
    private readonly recovery: ImageRecovery,
    private readonly auditor: ImageAuditor,
    private readonly replication: ImageReplication,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
    this.sweeps = new Map(sweeps.map((s) => [s.job, s]));
  }

  async process(job: Job<SweepPayload, SweepResult>, _token?: string, signal?: AbortSignal): Promise<SweepResult | JobResults[typeof JobName.ReapImage | typeof JobName.RecoverImage | typeof JobName.AuditImage | typeof JobName.ReplicateImage]> {
    // The per-image jobs a sweep fans out run here too (one processor per queue).
    const imageId = (job.data as unknown as { imageId?: string }).imageId!;
    if (job.name === JobName.ReapImage) return this.reaper.reap(imageId);
    if (job.name === JobName.RecoverImage) return this.recovery.recover(imageId);
    if (job.name === JobName.AuditImage) return this.auditor.audit(imageId, (job.data as unknown as { rehash: boolean }).rehash, signal ?? new AbortController().signal);
    if (job.name === JobName.ReplicateImage) return this.replication.replicate(imageId);
    const sweep = this.sweeps.get(job.name as SweepJob);
    if (!sweep) throw new UnrecoverableError(`no sweep implements ${job.name} yet`);
    const id = job.id ?? `${job.name}:${job.data.tick}`;
    await this.runs.start(id, job.name, new Date(job.data.tick), job.data.trigger, `${hostname()}:${process.pid}`);
    try {
      const result = await sweep.run(job.data, signal ?? new AbortController().signal);
      await this.runs.finish(id, { counts: { ...result } });
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`${job.name} ${id} failed: ${message}`);
      await this.runs.finish(id, { error: message });
      throw err;
    }
  }
}
