import { createHash } from 'node:crypto';
import type { JobDefaults } from './job-options.js';

/**
 * The periodic jobs of each API node's image cache (Glance's prefetcher, pruner and cleaner). Each node owns its
 * disk, so each has its own queue, named after its identity, consumed only by that node: a tick runs once per node.
 * Job names are stored with every job and in maintenance_runs: never rename a value.
 */
export const CacheJobName = {
  Prefetcher: 'cache-prefetcher',
  Pruner: 'cache-pruner',
  Cleaner: 'cache-cleaner',
} as const;
export type CacheJob = (typeof CacheJobName)[keyof typeof CacheJobName];
export const CACHE_JOBS: readonly CacheJob[] = Object.values(CacheJobName);

/** A short, stable key of a node's identity, fit for queue names and job ids. */
export function nodeKey(node: string): string {
  return createHash('sha256').update(node).digest('hex').slice(0, 16);
}

/** The BullMQ queue of one node's cache jobs. */
export function cacheQueueName(node: string): string {
  return `image-cache-${nodeKey(node)}`;
}

/**
 * The deterministic id of a node's scheduled run: every process of the node computes the same one for the same
 * tick, e.g. `cache-pruner@20261122T100500Z@3f2a…` (the node key keeps nodes' runs apart in maintenance_runs).
 */
export function cacheJobId(job: CacheJob, node: string, tick: Date): string {
  return `${job}@${tick.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}@${nodeKey(node)}`;
}

const DAY = 24 * 3600;
/** As the sweeps: the id must outlive the gap between a node's processes' ticks; a failed run retries with backoff. */
export const cacheJobDefaults: JobDefaults = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: DAY, count: 10_000 },
  removeOnFail: { age: 7 * DAY, count: 10_000 },
};
