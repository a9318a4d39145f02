import { QUOTA_RESOURCES, type QuotaResource } from '@glimpse/config';
import { ImageStatus } from '@glimpse/domain';

/** Usage of one project in units: bytes for image_size_total and image_stage_total, images for the counts. */
export type QuotaUsage = Record<QuotaResource, number>;

export const noUsage = (): QuotaUsage => ({ image_size_total: 0, image_stage_total: 0, image_count_total: 0, image_count_uploading: 0 });

/** a + sign × b, per resource (extra fields of b are ignored). */
export function addUsage(a: QuotaUsage, b: Partial<QuotaUsage>, sign = 1): QuotaUsage {
  const out = noUsage();
  for (const r of QUOTA_RESOURCES) out[r] = a[r] + sign * (b[r] ?? 0);
  return out;
}

/** Statuses whose image no longer counts (Glance counts images not deleted). */
export const GONE_STATUSES: readonly string[] = [ImageStatus.Deleted, ImageStatus.PendingDelete, ImageStatus.Killed];
const IN_PROGRESS: readonly string[] = [ImageStatus.Saving, ImageStatus.Uploading, ImageStatus.Importing];
const STAGED: readonly string[] = [ImageStatus.Uploading, ImageStatus.Importing];

export interface UsageRecord {
  status: string;
  size: number | null;
  locations?: unknown[];
}

/**
 * What an image record adds to its project's usage: one image unless gone; one upload while saving, uploading
 * or importing; its size once per stored copy (location); its size in staging while staged (uploading, or a
 * glance-direct import in progress).
 */
export function usageOfRecord(image: UsageRecord): QuotaUsage {
  const usage = noUsage();
  if (GONE_STATUSES.includes(image.status)) return usage;
  const size = image.size ?? 0;
  usage.image_count_total = 1;
  if (IN_PROGRESS.includes(image.status)) usage.image_count_uploading = 1;
  usage.image_size_total = size * (image.locations?.length ?? 0);
  if (STAGED.includes(image.status)) usage.image_stage_total = size;
  return usage;
}

/** One image's share: what its record shows and what holds claim for it. */
export interface ImageShare {
  recorded: QuotaUsage;
  held: QuotaUsage;
}

/**
 * What an image counts: per resource, the larger of its record and its holds. A hold claims what the image will
 * use once its operation is done, so the record catching up (saving, then active with its size) never counts twice.
 */
export function shareOf(image: ImageShare): QuotaUsage {
  const out = noUsage();
  for (const r of QUOTA_RESOURCES) out[r] = Math.max(image.recorded[r], image.held[r]);
  return out;
}

export function totalOf(images: Iterable<ImageShare>): QuotaUsage {
  let total = noUsage();
  for (const image of images) total = addUsage(total, shareOf(image));
  return total;
}
