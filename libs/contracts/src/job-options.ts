import { JobName } from './queues.js';

/** Retry and retention defaults per job. Finished jobs are trimmed so Redis never grows without bound. */
export interface JobDefaults {
  attempts: number;
  backoff?: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
}

const DAY = 24 * 3600;

export const jobDefaults: Record<JobName, JobDefaults> = {
  [JobName.Ping]: { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: DAY, count: 1000 } },
};
