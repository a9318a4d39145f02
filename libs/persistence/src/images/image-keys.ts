import { hasImportLock } from '@glimpse/domain';

/**
 * The buckets of an image in created_at order, at four widths: the minute, ten minutes, hour and day of its creation (as
 * numbers since the epoch). FerretDB finds records by equality only, so a created_at-ordered page walks buckets
 * newest first (image-listing.ts) instead of a range. Time-based, so they are assigned without a lock or a counter,
 * and bucket order agrees with created_at order at every width.
 */
export const CREATED_BUCKETS = [
  { key: 'createdMinute', ms: 60_000 },
  { key: 'createdTenMinutes', ms: 600_000 },
  { key: 'createdHour', ms: 3_600_000 },
  { key: 'createdDay', ms: 86_400_000 },
] as const;

export type CreatedBucketKey = (typeof CREATED_BUCKETS)[number]['key'];

export function createdBucketsOf(createdAt: Date): Record<CreatedBucketKey, number> {
  const t = createdAt.getTime();
  return Object.fromEntries(CREATED_BUCKETS.map(({ key, ms }) => [key, Math.floor(t / ms)])) as Record<CreatedBucketKey, number>;
}

/** Whether the custom properties hold an import lock (kept as a top-level key the updater can find by equality). */
export function importLockedBy(properties: Record<string, string>): boolean {
  return hasImportLock(properties);
}
