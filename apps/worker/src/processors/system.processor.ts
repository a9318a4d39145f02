import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { hostname } from 'node:os';
import { JobName, type JobPayloads, type JobResults, QueueName } from '@glimpse/contracts';
import { GlimpseWorkerHost } from './glimpse-worker-host.js';

type SystemJob = typeof JobName.Ping;
type Handlers = { [N in SystemJob]: (job: Job<JobPayloads[N]>) => Promise<JobResults[N]> };

/** Diagnostic jobs. The handler table must name every job of the queue (checked by the compiler). */
@Processor(QueueName.System)
export class SystemProcessor extends GlimpseWorkerHost {
  private readonly handlers: Handlers = {
    [JobName.Ping]: async (job) => ({ requestId: job.data.requestId, worker: hostname(), pid: process.pid }),
  };

  async handle(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as SystemJob] as ((job: Job) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`no handler for job ${job.name} on queue ${QueueName.System}`);
    return handler(job);
  }
}
