import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { invalid } from '@glimpse/domain';
import { HTTP_FETCH_SETTINGS, type HttpFetchSettings } from '@glimpse/storage';
import { fetchImage } from '@glimpse/web-download';
import { IMAGE_BYTES, type ImageBytes } from '../image-data/image-data.ports.js';

export interface ImportSource {
  method: 'glance-direct' | 'web-download' | 'copy-image';
  uri?: string;
}

export interface OpenedSource {
  body: Readable;
  /** Total bytes when known (Content-Length, staged file size), for progress. */
  size: number | null;
}

/** Where an import's bytes come from: the staging area, or a URL fetched under the SSRF guards. */
@Injectable()
export class ImportSources {
  constructor(
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @Inject(HTTP_FETCH_SETTINGS) private readonly fetchSettings: HttpFetchSettings,
  ) {}

  async open(source: ImportSource, imageId: string, signal: AbortSignal): Promise<OpenedSource> {
    if (source.method === 'glance-direct') return { body: await this.bytes.staged(imageId), size: null };
    if (source.method === 'web-download' && source.uri) {
      const fetched = await fetchImage(source.uri, { ...this.fetchSettings, signal });
      return { body: fetched.body, size: fetched.size };
    }
    throw invalid(`Import method ${source.method} has no source to open.`);
  }
}
