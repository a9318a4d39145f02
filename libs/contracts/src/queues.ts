/**
 * Queue and job names are stored in Redis with every job: never rename a value, add new ones instead.
 * Payloads carry ids and small scalars only, never documents or credentials.
 */
export const QueueName = {
  System: 'system',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  /** Round trip through a worker: answers with the worker's identity. Used by diagnostics and tests. */
  Ping: 'ping',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Which queue each job runs on. */
export const JobQueue = {
  [JobName.Ping]: QueueName.System,
} as const satisfies Record<JobName, QueueName>;

export interface JobPayloads {
  [JobName.Ping]: { requestId: string; sentAt: string };
}

export interface JobResults {
  [JobName.Ping]: { requestId: string; worker: string; pid: number };
}

export type JobPayload<N extends JobName> = JobPayloads[N];
export type JobResult<N extends JobName> = JobResults[N];
