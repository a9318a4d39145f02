import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CACHE_JOBS, QueueName, SWEEPS } from '@glimpse/contracts';
import { ImageCache } from '@glimpse/image-cache';
import { type MaintenanceRun, MaintenanceRunRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/**
 * Prometheus metrics of the deployment. HTTP metrics are counted by this process; maintenance and queue
 * figures are read at scrape time from the shared records (maintenance_runs, BullMQ), so any API replica
 * reports the whole deployment's sweeps whichever worker ran them.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;

  constructor(
    private readonly runs: MaintenanceRunRepository,
    private readonly producer: JobProducer,
    private readonly cache: ImageCache,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'glimpse_process_' });
    this.requests = new Counter({
      name: 'glimpse_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'glimpse_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (until the response ends), by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [this.registry],
    });
    this.maintenanceMetrics();
    this.queueMetrics();
    this.cacheMetrics();
  }

  private maintenanceMetrics(): void {
    const runs = this.runs;
    new Gauge({
      name: 'glimpse_maintenance_runs',
      help: 'Recorded maintenance runs by sweep and status (records are kept in maintenance_runs).',
      labelNames: ['sweep', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await runs.countByStatus()) this.set({ sweep: r.job.replace(/-sweep$/, ''), status: r.status }, r.n);
      },
    });
    // prom-client collects gauges concurrently: the three below share one read per scrape.
    let cached: { at: number; runs: Promise<Map<string, MaintenanceRun>> } | null = null;
    const lastRuns = () => {
      if (!cached || Date.now() - cached.at > 1000) {
        cached = {
          at: Date.now(),
          runs: (async () => {
            const last = new Map<string, MaintenanceRun>();
            for (const job of [...SWEEPS, ...CACHE_JOBS]) {
              const run = await runs.lastFinished(job);
              if (run) last.set(job.replace(/-sweep$/, ''), run);
            }
            return last;
          })(),
        };
      }
      return cached.runs;
    };
    new Gauge({
      name: 'glimpse_maintenance_last_run_seconds',
      help: 'Duration of the last finished run of each sweep.',
      labelNames: ['sweep'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [sweep, doc] of await lastRuns()) this.set({ sweep }, (doc.durationMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'glimpse_maintenance_last_run_finished_timestamp_seconds',
      help: 'When the last run of each sweep finished (Unix time).',
      labelNames: ['sweep', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [sweep, doc] of await lastRuns()) this.set({ sweep, status: doc.status }, (doc.finishedAt?.getTime() ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'glimpse_maintenance_last_run_count',
      help: 'What the last run of each sweep did: candidates found, jobs enqueued, bytes, errors.',
      labelNames: ['sweep', 'count'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [sweep, doc] of await lastRuns()) {
          for (const [count, value] of Object.entries(doc.counts ?? {})) this.set({ sweep, count }, Number(value));
        }
      },
    });
  }

  /**
   * The image cache: hits, misses and bytes served by this process (labelled with its node), and every node's
   * cached images and bytes from the shared records.
   */
  private cacheMetrics(): void {
    const cache = this.cache;
    if (!cache.enabled) return;
    const node = cache.node;
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        labelNames: ['node'],
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc({ node }, value());
        },
      });
    counter('glimpse_image_cache_hits_total', 'Downloads this process served from its node\'s image cache.', () => cache.stats.hits);
    counter('glimpse_image_cache_misses_total', 'Downloads of active images this process found not cached on its node.', () => cache.stats.misses);
    counter('glimpse_image_cache_served_bytes_total', 'Bytes this process served from its node\'s image cache.', () => cache.stats.bytesServed);
    const registry = this.registry;
    const perNode = (name: string, help: string, pick: (n: { images: number; bytes: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const n of await cache.sizeByNode()) this.set({ node: n.node }, pick(n));
        },
      });
    perNode('glimpse_image_cache_size_bytes', 'Bytes of the images each API node has cached (from the cache records).', (n) => n.bytes);
    perNode('glimpse_image_cache_images', 'Images each API node has cached (from the cache records).', (n) => n.images);
  }

  private queueMetrics(): void {
    const producer = this.producer;
    new Gauge({
      name: 'glimpse_queue_jobs',
      help: 'BullMQ jobs by queue and state.',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of Object.values(QueueName)) {
          const counts = await producer.queueByName(queue).getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }
      },
    });
  }
}
