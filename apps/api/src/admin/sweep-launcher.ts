import { randomBytes } from 'node:crypto';
import { JobName, type SweepJob, sweepJobId } from '@glimpse/contracts';
import type { JobProducer } from '@glimpse/queue';

export const SWEEPS: Readonly<Record<string, SweepJob>> = {
  auditor: JobName.AuditorSweep,
  replicator: JobName.ReplicatorSweep,
  updater: JobName.UpdaterSweep,
  reaper: JobName.ReaperSweep,
};

/** The job of a sweep a request names (a name such as `constructor` is no sweep). */
export const sweepOf = (name: string): SweepJob | undefined => (Object.hasOwn(SWEEPS, name) ? SWEEPS[name] : undefined);

/**
 * Queues a run of a sweep now (the admin API's and the console's "run now"); its id. Every request is a run of
 * its own: a scheduled tick's id is shared by the replicas, a manual one is not.
 */
export async function launchSweep(producer: JobProducer, job: SweepJob): Promise<string> {
  const now = new Date();
  const id = `${sweepJobId(job, now)}-manual-${randomBytes(3).toString('hex')}`;
  await producer.enqueue(job, { tick: now.toISOString(), trigger: 'manual' }, { jobId: id });
  return id;
}
