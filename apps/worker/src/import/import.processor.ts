import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { type ImageImportPayload, type ImageImportResult, QueueName } from '@glimpse/contracts';
import { type Attempt, GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { ImportRunner } from './import-runner.js';

/**
 * Import jobs. A transient failure is retried with backoff (the image keeps `importing`); a permanent one, or
 * the last attempt, rolls the import back and stops at once. A worker killed mid-import leaves the job stalled:
 * BullMQ hands it to another worker, which starts the copy over.
 */
@Processor(QueueName.ImageImport, { lockDuration: 30_000, maxStalledCount: 3 })
export class ImportProcessor extends GlimpseWorkerHost {
  constructor(
    private readonly runner: ImportRunner,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  handle(job: Job<ImageImportPayload, ImageImportResult>, attempt: Attempt): Promise<ImageImportResult> {
    return this.runner.run(job.data, attempt.signal, attempt.final);
  }

  /** A URI with credentials is needed only while the import may still run; the job stays in Redis for days. */
  protected override async ended(job: Job<ImageImportPayload, ImageImportResult>): Promise<void> {
    if (job.data.uri !== undefined) await job.updateData({ taskId: job.data.taskId, imageId: job.data.imageId });
  }
}
