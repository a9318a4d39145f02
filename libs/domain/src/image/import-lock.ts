import type { Task } from '../task/task.js';

/** The image property that holds the id of the import task that owns the image (Glance's lock). */
export const IMPORT_LOCK_PROPERTY = 'os_glance_import_task';
/** Stores an import is still writing to, and stores it failed on (CSV of store ids, as Glance keeps them). */
export const IMPORTING_TO_STORES_PROPERTY = 'os_glance_importing_to_stores';
export const FAILED_IMPORT_PROPERTY = 'os_glance_failed_import';

/**
 * Whether an import lock held by `task` may be taken over: its task is gone, or has shown no change for the
 * timeout (twice that while still pending, since a queued job may legitimately wait), as Glance decides.
 * A finished task's lock is stale at once: the task can no longer release it.
 */
export function importLockIsStale(task: Task | null, now: Date, timeoutMs: number): boolean {
  if (!task) return true;
  if (task.status === 'success' || task.status === 'failure') return true;
  const limit = task.status === 'pending' ? 2 * timeoutMs : timeoutMs;
  return now.getTime() - task.updatedAt.getTime() > limit;
}

/** Parses a CSV store list property (missing or empty: none). */
export function storeList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * The properties once an import has ended (success or failure), as Glance leaves them: the lock gone,
 * `os_glance_importing_to_stores` empty and `os_glance_failed_import` listing the stores that failed (empty when
 * none); clients such as tempest wait for the empty importing list.
 */
export function endImportState(properties: Record<string, string>, failedStores: readonly string[]): Record<string, string> {
  const { [IMPORT_LOCK_PROPERTY]: _lock, ...rest } = properties;
  const failed = [...new Set([...storeList(rest[FAILED_IMPORT_PROPERTY]), ...failedStores])];
  return { ...rest, [IMPORTING_TO_STORES_PROPERTY]: '', [FAILED_IMPORT_PROPERTY]: failed.join(',') };
}
