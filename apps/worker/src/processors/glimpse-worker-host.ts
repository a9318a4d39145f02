import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '@glimpse/config';

/**
 * Base of every processor: applies the configured concurrency and turns worker errors (Redis gone, a lost
 * lock) into one log line each instead of unhandled error output; BullMQ reconnects by itself.
 */
export abstract class GlimpseWorkerHost extends WorkerHost implements OnApplicationBootstrap {
  protected readonly logger = new Logger(this.constructor.name);
  private lastError = '';

  protected constructor(protected readonly config: AppConfig) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.queue.concurrency;
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    if (err.message === this.lastError) return; // a down Redis repeats the same error on every retry
    this.lastError = err.message;
    this.logger.warn(`worker error: ${err.message}`);
  }

  @OnWorkerEvent('ready')
  onReady(): void {
    if (this.lastError) this.logger.log('worker connected again');
    this.lastError = '';
  }
}
