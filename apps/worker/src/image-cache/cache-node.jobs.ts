import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import cron, { type ScheduledTask } from 'node-cron';
import { hostname } from 'node:os';
import { type CacheConfig, type ConfigOf, InjectConfig } from '@glimpse/config';
import { type CacheJob, CacheJobName, cacheJobDefaults, cacheJobId, cacheQueueName, manualRunId, type SweepPayload } from '@glimpse/contracts';
import { ImageStatus } from '@glimpse/domain';
import { ImageCache, Prefetcher } from '@glimpse/image-cache';
import { ImageRepository, MaintenanceRunRepository } from '@glimpse/persistence';
import { redisOptions } from '@glimpse/queue';

const SCHEDULE_OF: Record<CacheJob, keyof CacheConfig['schedules']> = {
  [CacheJobName.Prefetcher]: 'prefetcher',
  [CacheJobName.Pruner]: 'pruner',
  [CacheJobName.Cleaner]: 'cleaner',
};

/** Images whose cached copies are of no more use: their records are gone or will never be served again. */
const DEAD = new Set<string>([ImageStatus.Deleted, ImageStatus.PendingDelete, ImageStatus.Killed]);

/**
 * This node's cache jobs: node-cron ticks enqueue the prefetcher, pruner and cleaner on the node's own queue with an
 * id made of the job, the tick and the node, so the node's processes (several API workers on one disk) run each tick
 * once, and one node never runs another's. Runs are recorded in maintenance_runs like the sweeps; a run cut short
 * by a kill is taken up again by the node's next process (BullMQ's stalled-job check).
 */
@Injectable()
export class CacheNodeJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('cache-node-jobs');
  private readonly tasks: ScheduledTask[] = [];
  private queue: Queue | null = null;
  private worker: Worker | null = null;

  constructor(
    @InjectConfig('cache') private readonly cacheConfig: ConfigOf<'cache'>,
    @InjectConfig('redis') private readonly redisConfig: ConfigOf<'redis'>,
    @InjectConfig('queue') private readonly queueConfig: ConfigOf<'queue'>,
    private readonly cache: ImageCache,
    private readonly prefetcher: Prefetcher,
    private readonly images: ImageRepository,
    private readonly runs: MaintenanceRunRepository,
  ) {}

  onApplicationBootstrap(): void {
    const cache = this.cacheConfig;
    if (!cache) return;
    const name = cacheQueueName(cache.node);
    const options = { connection: redisOptions(this.redisConfig.url, 'queue') as ConnectionOptions, prefix: this.queueConfig.prefix };
    this.queue = new Queue(name, options);
    this.queue.on('error', () => undefined);
    this.worker = new Worker(name, (job, _token, signal) => this.process(job as Job<SweepPayload>, signal), { ...options, concurrency: 1 });
    this.worker.on('error', (err) => this.logger.warn(`cache worker: ${err.message}`));
    for (const job of Object.values(CacheJobName)) {
      const schedule = cache.schedules[SCHEDULE_OF[job]];
      if (!schedule) continue;
      this.tasks.push(cron.schedule(schedule, (ctx) => void this.tick(job, ctx.date), { name: `${job}@${cache.node}`, noOverlap: false }));
      this.logger.log(`${job} scheduled on ${cache.node}: ${schedule}`);
    }
  }

  /**
   * Enqueues the job for a scheduled tick (or a run now: `manual`; operators have POST /v2/admin/maintenance/<job>,
   * which enqueues the same way on the node that takes the call). Returns the run's id.
   */
  async tick(job: CacheJob, scheduled: Date, trigger: SweepPayload['trigger'] = 'schedule'): Promise<string | null> {
    if (!this.queue || !this.cacheConfig) return null;
    const tick = new Date(Math.floor(scheduled.getTime() / 1000) * 1000);
    const tickId = cacheJobId(job, this.cacheConfig.node, tick);
    const id = trigger === 'manual' ? manualRunId(tickId) : tickId;
    try {
      await this.queue.add(job, { tick: tick.toISOString(), trigger }, { ...cacheJobDefaults, jobId: id });
      return id;
    } catch (err) {
      this.logger.error(`could not enqueue ${job} for ${tick.toISOString()}: ${(err as Error).message}`);
      return null;
    }
  }

  private async process(job: Job<SweepPayload>, signal?: AbortSignal): Promise<Record<string, number>> {
    const id = job.id!;
    const node = this.cacheConfig!.node;
    await this.runs.start(id, job.name, new Date(job.data.tick), job.data.trigger, `${node} (${hostname()}:${process.pid})`);
    try {
      const counts = await this.run(job.name as CacheJob, signal);
      await this.runs.finish(id, { counts });
      return counts;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`${job.name} ${id} failed: ${message}`);
      await this.runs.finish(id, { error: message });
      throw err;
    }
  }

  private async run(job: CacheJob, signal?: AbortSignal): Promise<Record<string, number>> {
    switch (job) {
      case CacheJobName.Prefetcher: {
        const counts = await this.prefetcher.run(signal);
        return { ...counts, candidates: Object.values(counts).reduce((a, b) => a + b, 0) };
      }
      case CacheJobName.Pruner: {
        const { files, bytes } = await this.cache.prune();
        return { removed: files, bytes, size: await this.cache.sizeOnDisk() };
      }
      case CacheJobName.Cleaner:
        return { removed: await this.cache.clean(), dropped: await this.dropDead(signal) };
    }
  }

  /** Drops the cached copies of images deleted, pending deletion or killed (or whose records are gone). */
  private async dropDead(signal?: AbortSignal): Promise<number> {
    let dropped = 0;
    for (const entry of await this.cache.cached()) {
      signal?.throwIfAborted();
      const image = await this.images.findById(entry.imageId);
      if ((!image || DEAD.has(image.status)) && (await this.cache.drop(entry.imageId))) dropped++;
    }
    return dropped;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const task of this.tasks) await task.destroy();
    await this.worker?.close();
    await this.queue?.close();
  }
}
