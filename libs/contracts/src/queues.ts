import { randomBytes } from 'node:crypto';
/**
 * Queue and job names are stored in Redis with every job: never rename a value, add new ones instead.
 * Payloads carry ids and small scalars only, never documents or credentials.
 */
export const QueueName = {
  System: 'system',
  Maintenance: 'maintenance',
  /** Image imports (glance-direct, web-download, copy-image): long streaming jobs. */
  ImageImport: 'image-import',
  /** Checksums of data that arrived by another path (an added location, a copy between stores). */
  ImageChecksum: 'image-checksum',
  /** Format inspection of data that arrived by another path. */
  ImageVerifyFormat: 'image-verify-format',
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
  /** The reaper's per-image job: remove a deleted image's data from every store, purge old records. */
  ReapImage: 'reap-image',
  /** The updater's per-image job: return a stuck upload or import to queued, release a dead import lock. */
  RecoverImage: 'recover-image',
  /** The auditor's per-image job: check every copy exists with the recorded size (and, sampled, its checksums). */
  AuditImage: 'audit-image',
  /** The replicator's per-image job: start a copy into the stores the image is short of (policy or bad copies). */
  ReplicateImage: 'replicate-image',
  /** One import task: bring data from its source into the image's stores. */
  ImageImport: 'image-import',
  /** Hash one image location and record (or verify) checksum and os_hash_value. */
  ImageChecksum: 'image-checksum',
  /** Inspect one image location and record virtual_size, or flag a format mismatch. */
  ImageVerifyFormat: 'image-verify-format',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Which queue each job runs on. */
export const JobQueue = {
  [JobName.Ping]: QueueName.System,
  [JobName.AuditorSweep]: QueueName.Maintenance,
  [JobName.ReplicatorSweep]: QueueName.Maintenance,
  [JobName.UpdaterSweep]: QueueName.Maintenance,
  [JobName.ReaperSweep]: QueueName.Maintenance,
  [JobName.ReapImage]: QueueName.Maintenance,
  [JobName.RecoverImage]: QueueName.Maintenance,
  [JobName.AuditImage]: QueueName.Maintenance,
  [JobName.ReplicateImage]: QueueName.Maintenance,
  [JobName.ImageImport]: QueueName.ImageImport,
  [JobName.ImageChecksum]: QueueName.ImageChecksum,
  [JobName.ImageVerifyFormat]: QueueName.ImageVerifyFormat,
} as const satisfies Record<JobName, QueueName>;

/** A sweep run: `tick` is the scheduled time (ISO, seconds) or the time an admin asked for it. */
export interface SweepPayload {
  tick: string;
  trigger: 'schedule' | 'manual';
}

export interface SweepResult {
  /** Candidates the sweep looked at (images). */
  candidates: number;
  /** Jobs it queued (not those a replayed tick found already queued). */
  enqueued: number;
  /** Candidates it could not handle, for a reason retrying cannot help (logged; the sweep went on). */
  errors: number;
  /** The auditor's: bytes it planned to re-hash this run. */
  bytes?: number;
  /** The updater's: projects whose usage counters it recomputed, and quota holds of dead owners it removed. */
  projects?: number;
  holdsDropped?: number;
  /** Leftovers removed by the sweep itself (the reaper's stale partial files). */
  removed?: number;
  /** Objects no image references, found by the auditor. */
  orphans?: number;
}

/** An import: the task record holds the request; the job only names it. */
export interface ImageImportPayload {
  taskId: string;
  imageId: string;
  /**
   * A web-download URI with credentials (userinfo, a token or signature in the query), which the task keeps only
   * redacted; the worker clears it from the job when the import ends. Absent when the task's URI is the whole URI.
   */
  uri?: string;
}

/** Work on one stored copy of an image. */
export interface ImageLocationPayload {
  imageId: string;
  store: string;
  /** The location_import task this job reports to (locations added through the API). */
  taskId?: string;
}

export interface ImageImportResult {
  imageId: string;
  stores: string[];
  failedStores: string[];
}

export interface JobPayloads {
  [JobName.Ping]: { requestId: string; sentAt: string };
  [JobName.AuditorSweep]: SweepPayload;
  [JobName.ReplicatorSweep]: SweepPayload;
  [JobName.UpdaterSweep]: SweepPayload;
  [JobName.ReaperSweep]: SweepPayload;
  [JobName.ReapImage]: { imageId: string };
  [JobName.RecoverImage]: { imageId: string };
  [JobName.AuditImage]: { imageId: string; rehash: boolean };
  [JobName.ReplicateImage]: { imageId: string };
  [JobName.ImageImport]: ImageImportPayload;
  [JobName.ImageChecksum]: ImageLocationPayload;
  [JobName.ImageVerifyFormat]: ImageLocationPayload;
}

export interface JobResults {
  [JobName.Ping]: { requestId: string; worker: string; pid: number };
  [JobName.AuditorSweep]: SweepResult;
  [JobName.ReplicatorSweep]: SweepResult;
  [JobName.UpdaterSweep]: SweepResult;
  [JobName.ReaperSweep]: SweepResult;
  [JobName.ReapImage]: { outcome: 'reaped' | 'purged' | 'not-due' | 'skipped'; bytes: number };
  [JobName.RecoverImage]: { outcome: 'requeued' | 'unlocked' | 'live' | 'skipped' };
  [JobName.AuditImage]: { checked: number; bad: number; bytesHashed: number };
  /** copying: a copy-image task was started (its id); in-place: nothing to do; busy: another import holds the lock. */
  [JobName.ReplicateImage]: { outcome: 'copying' | 'in-place' | 'busy' | 'no-source' | 'skipped'; stores: string[]; taskId?: string };
  [JobName.ImageImport]: ImageImportResult;
  [JobName.ImageChecksum]: { checksum: string; osHashValue: string; size: number };
  [JobName.ImageVerifyFormat]: { format: string; virtualSize: number | null };
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

/**
 * The id of an operator's run now of a job whose scheduled id is `scheduledId`: every request is a run of its own
 * (a scheduled tick's id is shared by the replicas, a manual one is not).
 */
export function manualRunId(scheduledId: string): string {
  return `${scheduledId}-manual-${randomBytes(3).toString('hex')}`;
}

export type JobPayload<N extends JobName> = JobPayloads[N];
export type JobResult<N extends JobName> = JobResults[N];
