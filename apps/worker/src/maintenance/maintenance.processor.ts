import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { hostname } from 'node:os';
import { JobName, type JobPayloads, type JobResults, QueueName, type SweepJob, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { MaintenanceRunRepository } from '@glimpse/persistence';
import { type Attempt, GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { messageOf } from '../processors/job-failure.js';
import { ImageAuditor } from './image-auditor.js';
import { ImageReaper } from './image-reaper.js';
import { ImageRecovery } from './image-recovery.js';
import { ImageReplication } from './image-replication.js';
import { type Sweep, SWEEPS_TOKEN } from './sweep.js';

type PerImageJob = typeof JobName.ReapImage | typeof JobName.RecoverImage | typeof JobName.AuditImage | typeof JobName.ReplicateImage;
type MaintenanceJob = SweepJob | PerImageJob;
type Handlers = { [N in MaintenanceJob]: (job: Job<JobPayloads[N]>, attempt: Attempt) => Promise<JobResults[N]> };

/**
 * Runs sweeps, recording each run (counts, duration, errors) under the job's deterministic id, and the per-image
 * jobs they fan out (one processor per queue). The handler table names every job of the queue (checked by the
 * compiler), and a sweep without an implementation stops the worker at start.
 */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends GlimpseWorkerHost {
  private readonly handlers: Handlers;

  constructor(
    @Inject(SWEEPS_TOKEN) sweeps: Sweep[],
    private readonly runs: MaintenanceRunRepository,
    reaper: ImageReaper,
    recovery: ImageRecovery,
    auditor: ImageAuditor,
    replication: ImageReplication,
  ) {
    super();
    const sweep = (name: SweepJob) => {
      const found = sweeps.find((s) => s.job === name);
      if (!found) throw new Error(`no sweep implements ${name}`);
      return (job: Job<SweepPayload>, attempt: Attempt) => this.runSweep(found, job, attempt);
    };
    this.handlers = {
      [JobName.AuditorSweep]: sweep(JobName.AuditorSweep),
      [JobName.ReplicatorSweep]: sweep(JobName.ReplicatorSweep),
      [JobName.UpdaterSweep]: sweep(JobName.UpdaterSweep),
      [JobName.ReaperSweep]: sweep(JobName.ReaperSweep),
      [JobName.ReapImage]: (job) => reaper.reap(job.data.imageId),
      [JobName.RecoverImage]: (job) => recovery.recover(job.data.imageId),
      [JobName.AuditImage]: (job, attempt) => auditor.audit(job.data.imageId, job.data.rehash, attempt.signal),
      [JobName.ReplicateImage]: (job) => replication.replicate(job.data.imageId),
    };
  }

  handle(job: Job, attempt: Attempt): Promise<unknown> {
    const handler = (this.handlers as Record<string, ((job: Job, attempt: Attempt) => Promise<unknown>) | undefined>)[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${QueueName.Maintenance}`);
    return handler(job, attempt);
  }

  private async runSweep(sweep: Sweep, job: Job<SweepPayload>, attempt: Attempt): Promise<SweepResult> {
    const id = job.id ?? `${job.name}:${job.data.tick}`;
    await this.runs.start(id, job.name, new Date(job.data.tick), job.data.trigger, `${hostname()}:${process.pid}`);
    try {
      const result = await sweep.run(job.data, attempt.signal);
      await this.runs.finish(id, { counts: { ...result } });
      return result;
    } catch (err) {
      this.logger.error(`${job.name} ${id} failed: ${messageOf(err)}`);
      await this.runs.finish(id, { error: messageOf(err) });
      throw err;
    }
  }
}
