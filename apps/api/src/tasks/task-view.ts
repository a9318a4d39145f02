import { type Task, V1_COPY_FROM } from '@glimpse/domain';
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
    input: shownInput(task),
    result: task.result,
    message: shownMessage(task),
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
    input: shownInput(task),
    result: task.result,
    message: shownMessage(task),
  };
}

const isV1CopyFrom = (task: Task) => (task.input as { api?: unknown } | null)?.api === V1_COPY_FROM;

/**
 * A failed v1 copy-from's reason may hold the remote server's answer or a socket error (an SSRF oracle, glance-v1
 * reference §11): views say only that it failed; the reason stays in the task record and the worker's log.
 */
function shownMessage(task: Task): string {
  return isV1CopyFrom(task) && task.status === 'failure' ? 'The copy-from did not complete; the image was killed.' : task.message;
}

/**
 * The task's input as views show it: a v1 copy-from's URL stays in the task record (the job reads it there) but
 * is never shown, as v1 never showed it (glance-v1 reference §11).
 */
function shownInput(task: Task): Task['input'] {
  const input = task.input as { api?: unknown; import_req?: { method?: Record<string, unknown> } } | null;
  if (!isV1CopyFrom(task) || !input?.import_req?.method) return task.input;
  const { uri: _hidden, ...method } = input.import_req.method;
  return { ...input, import_req: { ...input.import_req, method } } as Task['input'];
}
