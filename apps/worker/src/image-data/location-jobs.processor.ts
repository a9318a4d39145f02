import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { type ImageLocationPayload, QueueName } from '@glimpse/contracts';
import { type Attempt, GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { LocationJobs } from './location-jobs.js';

@Processor(QueueName.ImageChecksum)
export class ChecksumProcessor extends GlimpseWorkerHost {
  constructor(private readonly jobs: LocationJobs) {
    super();
  }

  handle(job: Job<ImageLocationPayload>, attempt: Attempt) {
    return this.jobs.checksum(job.data, attempt.signal, attempt.final);
  }
}

@Processor(QueueName.ImageVerifyFormat)
export class VerifyFormatProcessor extends GlimpseWorkerHost {
  constructor(private readonly jobs: LocationJobs) {
    super();
  }

  handle(job: Job<ImageLocationPayload>, attempt: Attempt) {
    return this.jobs.verifyFormat(job.data, attempt.signal);
  }
}
