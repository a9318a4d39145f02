import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { isRetryable, messageOf } from './job-failure.js';

/** What a handler knows about the run it is in. */
export interface Attempt {
  /** No retry follows if this run fails (its last attempt): a handler undoes its work rather than leave it for one. */
  final: boolean;
  /** Aborted when the worker shuts down or loses the job. */
  signal: AbortSignal;
}

/**
 * Base of every processor, and the one job contract: `handle` does the work; a failure that trying again cannot
 * help (isRetryable) stops the job at once, any other is retried by BullMQ with the job's attempts and backoff,
 * and the handler is told when a run is the last one. Also applies the configured concurrency (injected here, so a
 * processor's constructor names only its own collaborators) and turns worker errors (Redis gone, a lost lock) into
 * one log line each; BullMQ reconnects by itself.
 */
export abstract class GlimpseWorkerHost extends WorkerHost implements OnApplicationBootstrap {
  protected readonly logger = new Logger(this.constructor.name);
  private lastError = '';
  /** WORKER_CONCURRENCY: jobs each processor of this process runs at once. */
  @InjectConfig('queue') private readonly queueConfig!: ConfigOf<'queue'>;

  /** The work of one job; throw to fail this run. */
  protected abstract handle(job: Job, attempt: Attempt): Promise<unknown>;

  /** Runs once a job is over for good (done, failed for good, or failed on its last attempt). */
  protected async ended(_job: Job): Promise<void> {}

  async process(job: Job, _token?: string, signal?: AbortSignal): Promise<unknown> {
    const attempt: Attempt = { final: job.attemptsMade + 1 >= (job.opts.attempts ?? 1), signal: signal ?? new AbortController().signal };
    let over = true;
    try {
      return await this.handle(job, attempt);
    } catch (err) {
      if (!isRetryable(err)) throw new UnrecoverableError(messageOf(err));
      over = attempt.final;
      throw err;
    } finally {
      if (over) await this.ended(job).catch((err: unknown) => this.logger.warn(`${job.name} ${job.id}: ${messageOf(err)}`));
    }
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.queueConfig.concurrency;
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
