import type { Task } from '@glimpse/domain';
import { isoSeconds } from '../images/image-view.js';

/** The list entry of GET /v2/tasks (Glance shows a stub per task there). */
export function taskStubView(task: Task): Record<string, unknown> {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    created_at: isoSeconds(task.createdAt),
    updated_at: isoSeconds(task.updatedAt),
    self: `/v2/tasks/${task.id}`,
    schema: '/v2/schemas/task',
    ...(task.expiresAt ? { expires_at: isoSeconds(task.expiresAt) } : {}),
  };
}

/** GET /v2/tasks/{id}. */
export function taskView(task: Task): Record<string, unknown> {
  return {
    ...taskStubView(task),
    expires_at: task.expiresAt ? isoSeconds(task.expiresAt) : null,
    input: task.input,
    result: task.result,
    message: task.message,
    image_id: task.imageId,
    request_id: task.requestId,
    user_id: task.userId,
  };
}

/** Glance's raw form in GET /v2/images/{id}/tasks: microseconds, no zone letter. */
function isoMicros(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/** GET /v2/images/{id}/tasks entries (the database row, as Glance shows it there). */
export function imageTaskView(task: Task): Record<string, unknown> {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    expires_at: task.expiresAt ? isoMicros(task.expiresAt) : null,
    created_at: isoMicros(task.createdAt),
    updated_at: isoMicros(task.updatedAt),
    deleted_at: null,
    deleted: false,
    image_id: task.imageId,
    request_id: task.requestId,
    user_id: task.userId,
    input: task.input,
    result: task.result,
    message: task.message,
  };
}
