import { createHash } from 'node:crypto';

/**
 * A location's URL as a task may keep it (the checking job's noted outcome): a digest, since the URL can hold
 * credentials (`user:key@`, a token in the query) that no task record may store.
 */
export function locationFingerprint(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}
