import { hasImportLock, type ImageLocation } from '@glimpse/domain';

/**
 * The buckets of an image in created_at order, at five widths: the second, minute, ten minutes, hour and day of its
 * creation (as numbers since the epoch). FerretDB finds records by equality only, so a created_at-ordered page walks
 * buckets newest first (image-listing.ts) instead of a range. Time-based, so they are assigned without a lock or a
 * counter, and bucket order agrees with created_at order at every width. The second is the finest: created_at is
 * stored to the whole second, so within one the page's own order (by id) applies; the walk reads seconds only in
 * a minute crowded by a burst of creates.
 */
export const CREATED_BUCKETS = [
  { key: 'createdSecond', ms: 1_000 },
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

/** The minute (since the epoch) of a time, or null without one. */
export function minuteOf(at: Date): number;
export function minuteOf(at: Date | null | undefined): number | null;
export function minuteOf(at: Date | null | undefined): number | null {
  return at ? Math.floor(at.getTime() / 60_000) : null;
}

/**
 * The reaper's keys, each derived from one field so any write of that field keeps it right: whether the image
 * holds data (a location), and the minutes of its deletion and of its last update. The reaper finds its candidates
 * by them (ImageRepository.streamReapCandidates): a deleted image holding data, and per status the minutes up to its
 * cut-off (from the minute census), each an equality FerretDB pushes down.
 */
export function holdsDataOf(locations: readonly unknown[] | undefined): boolean {
  return (locations?.length ?? 0) > 0;
}

/** Every derived key of a whole record (a create, a record seeded by a test, the backfill of an old record). */
export function derivedKeysOf(record: {
  createdAt: Date;
  updatedAt: Date;
  deletedAt?: Date | null;
  locations?: readonly ImageLocation[] | readonly unknown[];
  properties: Record<string, string>;
}) {
  return {
    ...createdBucketsOf(record.createdAt),
    importLocked: importLockedBy(record.properties),
    holdsData: holdsDataOf(record.locations),
    deletedMinute: minuteOf(record.deletedAt),
    updatedMinute: minuteOf(record.updatedAt),
  };
}
