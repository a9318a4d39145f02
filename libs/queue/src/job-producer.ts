import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import {
  type CacheJob,
  cacheJobDefaults,
  cacheQueueName,
  type JobName,
  type JobPayload,
  JobQueue,
  type JobResult,
  jobDefaults,
  QueueName,
  type SweepPayload,
} from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/domain';
import { PRODUCER_COMMAND_TIMEOUT_MS, redisOptions } from './redis-connection.js';

/** Longest an enqueue waits (its connection not ready yet, e.g. Redis down since start) before it gives up. */
const ENQUEUE_TIMEOUT_MS = PRODUCER_COMMAND_TIMEOUT_MS + 1_000;

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id is ignored by BullMQ while the first job exists. */
  jobId?: string;
  delayMs?: number;
}

/**
 * The one way to put work on a queue: typed by job name, with the job's retry and retention defaults. An enqueue
 * never hangs: with Redis stopped, frozen or unreachable it fails within seconds with a retryable `unavailable`
 * (503 in the API), so the caller undoes what it prepared (an import's lock and task) and the client retries.
 */
@Injectable()
export class JobProducer implements OnModuleDestroy {
  private readonly queues = new Map<QueueName, Queue>();
  /** The API nodes' own cache queues this process has put a job on (opened on first use). */
  private readonly nodeQueues = new Map<string, Queue>();
  private readonly prefix: string;
  /** One connection of ours for every queue, so shutting down ends it even while Redis is away. */
  private readonly redis: Redis;
  private lastStamp = 0;

  constructor(@InjectConfig('redis') redis: ConfigOf<'redis'>, @InjectConfig('queue') queue: ConfigOf<'queue'>) {
    this.redis = new Redis(redisOptions(redis.url, 'producer'));
    this.redis.on('error', () => undefined); // a down Redis is reported by the calls that fail
    this.prefix = queue.prefix;
    for (const name of Object.values(QueueName)) {
      const q = new Queue(name, { connection: this.redis, prefix: this.prefix });
      // A down Redis makes add() reject (reported to the caller); the connection's error events need no more noise.
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
  }

  queueFor(name: JobName): Queue {
    return this.queueByName(JobQueue[name]);
  }

  queueByName(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: EnqueueOptions = {},
  ): Promise<Job<JobPayload<N>, JobResult<N>, N>> {
    return this.add(name, payload, options);
  }

  /**
   * Adds the job unless one with its id already exists; resolves true when this call added it, false when BullMQ
   * kept the existing one (a replayed sweep's fan-out), so "enqueued" counts what was really queued. The job is
   * stamped with this call's own timestamp and the stored one read back: only the call that created it finds its own.
   */
  async enqueueNew<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions & { jobId: string }): Promise<boolean> {
    // Unique within this process (two calls in one millisecond get two stamps).
    const timestamp = (this.lastStamp = Math.max(Date.now(), this.lastStamp + 1));
    const job = await this.add(name, payload, options, timestamp);
    const stored = await this.redis.hget(this.queueFor(name).toKey(job.id ?? options.jobId), 'timestamp').catch((err: unknown) => {
      throw Object.assign(notQueued(name), { cause: err });
    });
    // Gone already: it ran and was removed in the meantime, which only a job just added can have done so fast.
    return stored === null || Number(stored) === timestamp;
  }

  /**
   * A run of one API node's cache job (prefetcher, pruner, cleaner) on that node's own queue, which only the node's
   * processes consume; bounded like every enqueue.
   */
  async enqueueCacheJob(node: string, name: CacheJob, payload: SweepPayload, jobId: string): Promise<void> {
    const queueName = cacheQueueName(node);
    let queue = this.nodeQueues.get(queueName);
    if (!queue) {
      queue = new Queue(queueName, { connection: this.redis, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.nodeQueues.set(queueName, queue);
    }
    await this.bounded(name, queue.add(name, payload, { ...cacheJobDefaults, jobId }));
  }

  private async add<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: EnqueueOptions,
    timestamp?: number,
  ): Promise<Job<JobPayload<N>, JobResult<N>, N>> {
    const defaults = jobDefaults[name];
    const adding = this.queueFor(name).add(name, payload, { ...defaults, jobId: options.jobId, delay: options.delayMs, timestamp });
    return (await this.bounded(name, adding)) as Job<JobPayload<N>, JobResult<N>, N>;
  }

  /** An add that gives up (503) after ENQUEUE_TIMEOUT_MS; a job added after all is removed again. */
  private async bounded(name: string, adding: Promise<Job>): Promise<Job> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ENQUEUE_TIMEOUT_MS)));
    try {
      const added = await Promise.race([adding, timedOut]);
      if (added === 'timed out') {
        // The caller undoes its work and answers 503: a job added after all must not run on its own.
        void adding.then((job) => job.remove()).catch(() => undefined);
        throw notQueued(name);
      }
      return added;
    } catch (err) {
      if (err instanceof GlimpseError) throw err;
      // Redis's own words (connection refused, command timed out) stay in the cause, out of the answer.
      throw Object.assign(notQueued(name), { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values(), ...this.nodeQueues.values()].map((q) => q.close().catch(() => undefined)));
    // quit() lets a reachable Redis finish what was sent; without a connection it fails at once (no offline queue).
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** 503 with Retry-After, as for a database that does not answer. */
const notQueued = (name: string) => new GlimpseError('unavailable', `The job queue does not answer; ${name} was not queued, try again.`, { 'Retry-After': '5' });
