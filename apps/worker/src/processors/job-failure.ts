import { GlimpseError } from '@glimpse/domain';
import { LocationNotFound } from '@glimpse/storage';
import { DownloadError } from '@glimpse/web-download';

/**
 * The one rule of every job (imports, location jobs, maintenance) for whether trying again can help. Our own
 * errors say so explicitly (`GlimpseError.retryable`: a busy record, a database, queue or store that does not
 * answer); a download knows whether its failure was the source's answer or the network's; a copy that is gone
 * stays gone. Anything else (a socket reset, a driver error, a timeout) is taken as passing.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof GlimpseError) return err.retryable;
  if (err instanceof DownloadError) return !err.permanent;
  if (err instanceof LocationNotFound) return false;
  if ((err as { permanent?: unknown } | null)?.permanent === true) return false;
  return true;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
