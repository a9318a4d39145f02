import { GlimpseError } from '../errors.js';

export const TASK_STATUSES = ['pending', 'processing', 'success', 'failure'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_TYPES = ['import', 'api_image_import', 'location_import'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** A record of asynchronous work (an import), following the job that does it. */
export interface Task {
  id: string;
  type: TaskType;
  status: TaskStatus;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  owner: string | null;
  message: string;
  imageId: string | null;
  requestId: string | null;
  userId: string | null;
  /** Progress of the running job: bytes done, and the total when known. */
  bytesDone: number;
  bytesTotal: number | null;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * What the worker noted of the task's outcome before its image showed it (an import: the stores written and
   * failed); internal, never shown (the task's `result` is Glance's `{image_id}`). Kept once the task is closed,
   * so a replayed job reports what really happened.
   */
  outcome?: Record<string, unknown> | null;
}

const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['processing', 'failure'],
  processing: ['success', 'failure'],
  success: [],
  failure: [],
};

export function assertTaskTransition(from: TaskStatus, to: TaskStatus): void {
  if (!TASK_TRANSITIONS[from].includes(to)) {
    throw new GlimpseError('conflict', `Task status transition from ${from} to ${to} is not allowed`);
  }
}

/** How long a finished task is kept (Glance's task_time_to_live: 48 hours). */
export const TASK_TIME_TO_LIVE_MS = 48 * 3600 * 1000;
