/**
 * Queue and job names are stored in Redis with every job: never rename a value, add new ones instead.
 * Payloads carry ids and small scalars only, never documents or credentials.
 */
export const QueueName = {
  System: 'system',
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  /** Round trip through a worker: answers with the worker's identity. Used by diagnostics and tests. */
  Ping: 'ping',
  /** Scheduled maintenance sweeps: each pages through candidates and fans out small per-image jobs. */
  AuditorSweep: 'auditor-sweep',
  ReplicatorSweep: 'replicator-sweep',
  UpdaterSweep: 'updater-sweep',
  ReaperSweep: 'reaper-sweep',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Which queue each job runs on. */
export const JobQueue = {
  [JobName.Ping]: QueueName.System,
  [JobName.AuditorSweep]: QueueName.Maintenance,
  [JobName.ReplicatorSweep]: QueueName.Maintenance,
  [JobName.UpdaterSweep]: QueueName.Maintenance,
  [JobName.ReaperSweep]: QueueName.Maintenance,
} as const satisfies Record<JobName, QueueName>;

/** A sweep run: `tick` is the scheduled time (ISO, seconds) or the time an admin asked for it. */
export interface SweepPayload {
  tick: string;
  trigger: 'schedule' | 'manual';
}

export interface SweepResult {
  candidates: number;
  enqueued: number;
  bytes: number;
  errors: number;
}

export interface JobPayloads {
  [JobName.Ping]: { requestId: string; sentAt: string };
  [JobName.AuditorSweep]: SweepPayload;
  [JobName.ReplicatorSweep]: SweepPayload;
  [JobName.UpdaterSweep]: SweepPayload;
  [JobName.ReaperSweep]: SweepPayload;
}

export interface JobResults {
  [JobName.Ping]: { requestId: string; worker: string; pid: number };
  [JobName.AuditorSweep]: SweepResult;
  [JobName.ReplicatorSweep]: SweepResult;
  [JobName.UpdaterSweep]: SweepResult;
  [JobName.ReaperSweep]: SweepResult;
}

export const SWEEPS = [JobName.AuditorSweep, JobName.ReplicatorSweep, JobName.UpdaterSweep, JobName.ReaperSweep] as const;
export type SweepJob = (typeof SWEEPS)[number];

/**
 * The deterministic job id of a scheduled sweep: every replica computes the same one for the same tick,
 * e.g. `reaper-sweep@20261122T100500Z` (BullMQ ids may not contain ':').
 */
export function sweepJobId(job: SweepJob, tick: Date): string {
  return `${job}@${tick.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
}

export type JobPayload<N extends JobName> = JobPayloads[N];
export type JobResult<N extends JobName> = JobResults[N];
