import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { type ImageLocationPayload, QueueName } from '@glimpse/contracts';
import { type Attempt, GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { LocationJobs } from './location-jobs.js';

@Processor(QueueName.ImageChecksum)
export class ChecksumProcessor extends GlimpseWorkerHost {
  constructor(
    private readonly jobs: LocationJobs,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  handle(job: Job<ImageLocationPayload>, attempt: Attempt) {
    return this.jobs.checksum(job.data, attempt.signal, attempt.final);
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

  handle(job: Job<ImageLocationPayload>, attempt: Attempt) {
    return this.jobs.verifyFormat(job.data, attempt.signal);
  }
}
