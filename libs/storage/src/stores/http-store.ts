import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { forbidden, invalid } from '@glimpse/domain';
import { type ByteRange, LocationNotFound, type PutResult, type Store } from '../store.js';

/** Read-only: bytes at http(s) URLs that image locations point at. */
export class HttpStore implements Store {
  readonly type = 'http' as const;
  readonly readOnly = true;

  constructor(
    readonly id: string,
    readonly weight = 0,
    readonly description?: string,
  ) {}

  put(): Promise<PutResult> {
    return Promise.reject(forbidden(`Store ${this.id} is read-only.`));
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const res = await fetch(checkUrl(location), { headers: range ? { range: `bytes=${range.start}-${range.end}` } : {} });
    if (res.status === 404 || res.status === 410) throw new LocationNotFound(`${location} answered ${res.status}`);
    if (!res.ok || !res.body || (range && res.status !== 206)) {
      await res.body?.cancel();
      throw new Error(`${location} answered ${res.status}${range ? ' to a ranged GET' : ''}`);
    }
    return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  }

  delete(): Promise<void> {
    return Promise.reject(forbidden(`Store ${this.id} is read-only.`));
  }

  async stat(location: string): Promise<{ size: number } | null> {
    const res = await fetch(checkUrl(location), { method: 'HEAD' });
    if (!res.ok) return null;
    return { size: Number(res.headers.get('content-length') ?? 0) };
  }

  properties(): Record<string, unknown> {
    return {};
  }
}

function checkUrl(location: string): string {
  if (!/^https?:\/\//i.test(location) || !URL.canParse(location)) throw invalid(`Location ${location} is not an http(s) URL`);
  return location;
}
