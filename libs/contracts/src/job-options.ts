import { JobName } from './queues.js';

/** Retry and retention defaults per job. Finished jobs are trimmed so Redis never grows without bound. */
export interface JobDefaults {
  attempts: number;
  backoff?: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
}

const DAY = 24 * 3600;

/**
 * Sweeps keep their finished jobs for a day: the job id is what stops a second replica from running the same
 * tick, so it must outlive the gap between replicas' ticks by far.
 */
const sweep: JobDefaults = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: DAY, count: 10_000 },
  removeOnFail: { age: 7 * DAY, count: 10_000 },
};

/**
 * Per-image jobs retry transient failures with backoff (a permanent failure is thrown as an UnrecoverableError
 * and stops at once); their ids are deterministic, so finished ones are kept long enough to absorb retries.
 */
const imageJob: JobDefaults = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: DAY, count: 10_000 },
  removeOnFail: { age: 7 * DAY, count: 10_000 },
};

export const jobDefaults: Record<JobName, JobDefaults> = {
  [JobName.Ping]: { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: DAY, count: 1000 } },
  [JobName.AuditorSweep]: sweep,
  [JobName.ReplicatorSweep]: sweep,
  [JobName.UpdaterSweep]: sweep,
  [JobName.ReaperSweep]: sweep,
  [JobName.ReapImage]: imageJob,
  [JobName.RecoverImage]: imageJob,
  [JobName.AuditImage]: imageJob,
  [JobName.ReplicateImage]: imageJob,
  [JobName.ImageImport]: imageJob,
  [JobName.ImageChecksum]: imageJob,
  [JobName.ImageVerifyFormat]: imageJob,
};
