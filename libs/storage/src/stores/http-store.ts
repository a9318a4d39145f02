import type { Readable } from 'node:stream';
import { forbidden, invalid } from '@glimpse/domain';
import { DownloadError, fetchImage, type FetchOptions, redact } from '@glimpse/web-download';
import { type ByteRange, LocationNotFound, type PutResult, type Store } from '../store.js';

/** How the http store reaches URLs: web-download's guards (URL filter, address policy, timeouts, size cap). */
export type HttpFetchSettings = Omit<FetchOptions, 'signal' | 'method' | 'range'>;

/**
 * Read-only: bytes at http(s) URLs that image locations point at. Every request goes through the same SSRF
 * guards as web-download, so a location can never make the service read an internal address.
 */
export class HttpStore implements Store {
  readonly type = 'http' as const;
  readonly readOnly = true;

  constructor(
    readonly id: string,
    private readonly fetchSettings: HttpFetchSettings,
    readonly weight = 0,
    readonly description?: string,
  ) {}

  put(): Promise<PutResult> {
    return Promise.reject(forbidden(`Store ${this.id} is read-only.`));
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    try {
      return (await fetchImage(checkUrl(location), { ...this.fetchSettings, range })).body;
    } catch (err) {
      if (err instanceof DownloadError && / answered (404|410)\b/.test(err.message)) throw new LocationNotFound(`${redact(location)} is gone`);
      throw err;
    }
  }

  delete(): Promise<void> {
    return Promise.reject(forbidden(`Store ${this.id} is read-only.`));
  }

  async stat(location: string): Promise<{ size: number } | null> {
    try {
      const head = await fetchImage(checkUrl(location), { ...this.fetchSettings, method: 'HEAD' });
      return head.size === null ? null : { size: head.size };
    } catch {
      return null;
    }
  }

  properties(): Record<string, unknown> {
    return {};
  }
}

function checkUrl(location: string): string {
  if (!/^https?:\/\//i.test(location) || !URL.canParse(location)) throw invalid(`Location ${redact(location)} is not an http(s) URL`);
  return location;
}
