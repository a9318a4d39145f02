import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type ConnectionOptions, type Job, Queue } from 'bullmq';
import { APP_CONFIG, type ResolvedConfig } from '@glimpse/config';
import { type JobName, type JobPayload, JobQueue, type JobResult, jobDefaults, QueueName } from '@glimpse/contracts';
import { redisOptions } from './redis-connection.js';

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id is ignored by BullMQ while the first job exists. */
  jobId?: string;
  delayMs?: number;
}

/** The one way to put work on a queue: typed by job name, with the job's retry and retention defaults. */
@Injectable()
export class JobProducer implements OnModuleDestroy {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(@Inject(APP_CONFIG) config: ResolvedConfig) {
    const connection = redisOptions(config.redis.url, 'queue') as ConnectionOptions;
    for (const name of Object.values(QueueName)) {
      const queue = new Queue(name, { connection, prefix: config.queue.prefix });
      // A down Redis makes add() reject (reported to the caller); the connection's error events need no more noise.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
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
    const defaults = jobDefaults[name];
    return (await this.queueFor(name).add(name, payload, {
      ...defaults,
      jobId: options.jobId,
      delay: options.delayMs,
    })) as Job<JobPayload<N>, JobResult<N>, N>;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
