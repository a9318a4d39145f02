import { invalid, TASK_STATUSES, type TaskStatus } from '@glimpse/domain';
import type { TaskListQuery } from '@glimpse/persistence';

const SORT_KEYS = ['created_at', 'updated_at', 'id', 'type', 'status'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ParsedTaskQuery extends Omit<TaskListQuery, 'marker' | 'owner'> {
  markerId?: string;
}

/** GET /v2/tasks query: status, type, sort_key, sort_dir, limit, marker. */
export function parseTaskListQuery(q: Record<string, unknown>): ParsedTaskQuery {
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (Array.isArray(v)) throw invalid(`Only one ${name} parameter is allowed.`);
    return v === undefined ? undefined : String(v);
  };
  const status = one('status');
  if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus)) {
    throw invalid(`Invalid status value: ${status}`);
  }
  const type = one('type');
  if (type !== undefined && type !== 'import' && type !== 'api_image_import' && type !== 'location_import') {
    throw invalid(`Invalid type value: ${type}`);
  }
  const sortKey = one('sort_key') ?? 'created_at';
  if (!(SORT_KEYS as readonly string[]).includes(sortKey)) {
    throw invalid(`Invalid sort key: ${sortKey}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  const sortDir = one('sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid(`Invalid sort direction: ${sortDir}`);
  const limitRaw = one('limit');
  let limit = 25;
  if (limitRaw !== undefined) {
    if (!/^\d+$/.test(limitRaw)) throw invalid('limit param must be an integer');
    limit = Math.min(Number(limitRaw), 1000);
  }
  const markerId = one('marker');
  if (markerId !== undefined && !UUID.test(markerId)) throw invalid('Invalid marker format');
  return { status: status as TaskStatus | undefined, type, sortKey: sortKey as ParsedTaskQuery['sortKey'], sortDir: sortDir === 'asc' ? 1 : -1, limit, markerId };
}
