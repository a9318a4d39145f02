import { CACHE_JOBS, type CacheJob, cacheJobId, JobName, manualRunId, type SweepJob, sweepJobId } from '@glimpse/contracts';
import { notFound } from '@glimpse/domain';
import type { ImageCache } from '@glimpse/image-cache';
import type { JobProducer } from '@glimpse/queue';

export const SWEEPS: Readonly<Record<string, SweepJob>> = {
  auditor: JobName.AuditorSweep,
  replicator: JobName.ReplicatorSweep,
  updater: JobName.UpdaterSweep,
  reaper: JobName.ReaperSweep,
};

/** The job of a sweep a request names (a name such as `constructor` is no sweep). */
export const sweepOf = (name: string): SweepJob | undefined => (Object.hasOwn(SWEEPS, name) ? SWEEPS[name] : undefined);

/** The cache job a request names (cache-prefetcher, cache-pruner, cache-cleaner). */
export const cacheJobOf = (name: string): CacheJob | undefined => CACHE_JOBS.find((j) => j === name);

/** What an operator can run now on the node that takes the call: the sweeps, and its cache jobs if it has a cache. */
export const runnable = (cache: ImageCache): string[] => [...Object.keys(SWEEPS), ...(cache.enabled ? CACHE_JOBS : [])];

/**
 * Queues a run of a sweep now (the admin API's and the console's "run now"); its id. Every request is a run of
 * its own: a scheduled tick's id is shared by the replicas, a manual one is not.
 */
export async function launchSweep(producer: JobProducer, job: SweepJob): Promise<string> {
  const now = new Date();
  const id = manualRunId(sweepJobId(job, now));
  await producer.enqueue(job, { tick: now.toISOString(), trigger: 'manual' }, { jobId: id });
  return id;
}

/**
 * Runs now what an operator names: a sweep (any worker takes it), or a cache job of the API node that takes the call
 * (on that node's own queue: each node's cache jobs work on its own disk). Its run's id; 404 for an unknown name or
 * a cache job on a node without a cache.
 */
export async function launchMaintenance(producer: JobProducer, cache: ImageCache, name: string): Promise<string> {
  const sweep = sweepOf(name);
  if (sweep) return launchSweep(producer, sweep);
  const job = cacheJobOf(name);
  if (!job) throw notFound(`No maintenance sweep named ${name}; sweeps: ${runnable(cache).join(', ')}.`);
  if (!cache.enabled) throw notFound(`This API node has no image cache (GLIMPSE_IMAGE_CACHE_DIR), so no ${name} runs here.`);
  const now = new Date();
  const id = manualRunId(cacheJobId(job, cache.node, now));
  await producer.enqueueCacheJob(cache.node, job, { tick: now.toISOString(), trigger: 'manual' }, id);
  return id;
}
