import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { type JobName, JobQueue, type QueueName } from '@glimpse/contracts';
import { JobProducer } from './job-producer.js';
import { redisOptions } from './redis-connection.js';

/**
 * Waiting for a job's end from the process that enqueued it (a request that answers with a job's verdict):
 * BullMQ's queue events, one blocking connection per queue, opened on first use only.
 */
@Injectable()
export class JobOutcomes implements OnModuleDestroy {
  private readonly events = new Map<QueueName, Promise<QueueEvents>>();

  constructor(
    private readonly producer: JobProducer,
    @InjectConfig('redis') private readonly redis: ConfigOf<'redis'>,
    @InjectConfig('queue') private readonly queue: ConfigOf<'queue'>,
  ) {}

  /**
   * Resolves once the job has ended (completed, or failed for good), or is gone, or `timeoutMs` has passed, or the
   * queue does not answer: never rejects. The caller reads what the job did from its records.
   */
  async ended(name: JobName, jobId: string, timeoutMs: number): Promise<void> {
    const waited = (async () => {
      const job = await this.producer.queueFor(name).getJob(jobId);
      if (job) await job.waitUntilFinished(await this.eventsOf(JobQueue[name]), timeoutMs);
    })().catch(() => undefined); // failed, timed out or unreachable: all the same to a caller that reads the records next
    let timer: NodeJS.Timeout | undefined;
    // The bound holds even while the events connection cannot be made (Redis away).
    await Promise.race([waited, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private eventsOf(queue: QueueName): Promise<QueueEvents> {
    let events = this.events.get(queue);
    if (!events) {
      const created = new QueueEvents(queue, { connection: redisOptions(this.redis.url, 'queue') as ConnectionOptions, prefix: this.queue.prefix });
      created.on('error', () => undefined); // a down Redis is the producer's to report
      events = created.waitUntilReady().then(() => created);
      this.events.set(queue, events);
    }
    return events;
  }

  async onModuleDestroy(): Promise<void> {
    const all = [...this.events.values()];
    this.events.clear();
    await Promise.all(all.map(async (e) => (await e).close().catch(() => undefined)));
  }
}
