import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { type ImageLocationPayload, QueueName } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/domain';
import { LocationNotFound } from '@glimpse/storage';
import { GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { LocationJobs } from './location-jobs.js';

/** A copy that is gone, a refused URL or a mismatch will not come right by retrying: stop at once. */
async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof GlimpseError || err instanceof LocationNotFound || (err as { permanent?: boolean }).permanent === true) {
      throw new UnrecoverableError((err as Error).message);
    }
    throw err;
  }
}

@Processor(QueueName.ImageChecksum)
export class ChecksumProcessor extends GlimpseWorkerHost {
  constructor(
    private readonly jobs: LocationJobs,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  process(job: Job<ImageLocationPayload>, _token?: string, signal?: AbortSignal) {
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return run(() => this.jobs.checksum(job.data, signal ?? new AbortController().signal, finalAttempt));
  }
}

@Processor(QueueName.ImageVerifyFormat)
export class VerifyFormatProcessor extends GlimpseWorkerHost {
  constructor(
    private readonly jobs: LocationJobs,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  process(job: Job<ImageLocationPayload>, _token?: string, signal?: AbortSignal) {
    return run(() => this.jobs.verifyFormat(job.data, signal ?? new AbortController().signal));
  }
}
