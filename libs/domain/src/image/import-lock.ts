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
  const rest = withoutImportLock(properties);
  const failed = [...new Set([...storeList(rest[FAILED_IMPORT_PROPERTY]), ...failedStores])];
  return { ...rest, [IMPORTING_TO_STORES_PROPERTY]: '', [FAILED_IMPORT_PROPERTY]: failed.join(',') };
}

/** The id of the import task holding the image's lock, if any. */
export function importLockHolder(image: { properties: Record<string, string> }): string | undefined {
  return image.properties[IMPORT_LOCK_PROPERTY];
}

/** Whether `taskId` holds the image's import lock (what every import step checks before it writes). */
export function holdsImportLock(image: { properties: Record<string, string> }, taskId: string): boolean {
  return image.properties[IMPORT_LOCK_PROPERTY] === taskId;
}

/** The properties with the lock given to `taskId`. */
export function withImportLock(properties: Record<string, string>, taskId: string): Record<string, string> {
  return { ...properties, [IMPORT_LOCK_PROPERTY]: taskId };
}

/** The properties without the lock (the rest untouched). */
export function withoutImportLock(properties: Record<string, string>): Record<string, string> {
  const { [IMPORT_LOCK_PROPERTY]: _lock, ...rest } = properties;
  return rest;
}

/** Whether the properties hold a lock at all. */
export function hasImportLock(properties: Record<string, string>): boolean {
  return Object.hasOwn(properties, IMPORT_LOCK_PROPERTY);
}
