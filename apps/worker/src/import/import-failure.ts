import { GlimpseError } from '@glimpse/domain';
import { DownloadError } from '@glimpse/web-download';

/**
 * Whether trying again cannot help: a refused or missing source, a size or format refusal, a checksum
 * mismatch. Timeouts, resets, a store or database that is briefly away are worth a retry.
 */
export function isPermanent(err: unknown): boolean {
  if (err instanceof DownloadError) return err.permanent;
  if (err instanceof GlimpseError) return err.kind !== 'unavailable';
  return false;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
