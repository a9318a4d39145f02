import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { forbidden, type Image, ImageStatus, notFound, type RequestContext, unavailable } from '@glimpse/domain';
import { type CacheFill, ImageCache } from '@glimpse/image-cache';
import { LocationNotFound, StoreRegistry } from '@glimpse/storage';
import { ImageAccess } from '../image-access.service.js';
import { type ByteRange, requestedRange } from './byte-range.js';

export interface Download {
  image: Image;
  /** Null: the image has no data (204). */
  body: Readable | null;
  range?: ByteRange;
  /** The copy into this node's cache the body must pass through (a whole download of an uncached image). */
  cacheFill?: CacheFill;
  /** Where the bytes come from. */
  source?: 'cache' | 'store';
}

/**
 * GET /v2/images/{id}/file: this node's cached copy when it has one, else the first location that answers, in
 * stored order (a whole download then also fills the cache).
 */
@Injectable()
export class ImageDownloadService {
  private readonly logger = new Logger('image-download');

  constructor(
    private readonly access: ImageAccess,
    private readonly stores: StoreRegistry,
    private readonly cache: ImageCache,
  ) {}

  async open(ctx: RequestContext, id: string, headers: { range?: string; contentRange?: string }): Promise<Download> {
    const image = await this.access.permitted(ctx, id, 'download_image');
    if (image.status === ImageStatus.Deactivated && !ctx.isAdmin) {
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
    }
    const locations = image.locations.filter((l) => l.status === 'active');
    // Copies the auditor marked bad are never served: with no good one left, there is no data to give.
    if (!locations.length && image.locations.length) throw notFound(`Image ${id} has no usable copy of its data.`);
    if (!locations.length || image.size === null) return { image, body: null };
    const range = requestedRange(image.size, headers.range, headers.contentRange);
    const cached = await this.cache.open(image, range).catch((err) => this.cacheFailed(err, id));
    if (cached) return { image, body: cached, range, source: 'cache' };
    let missing = 0;
    for (const location of locations) {
      const store = this.stores.find(location.store);
      if (!store) continue;
      try {
        const body = await store.get(location.url, range, { size: image.size });
        const cacheFill = range ? undefined : ((await this.cache.fill(image, 'client').catch((err) => this.cacheFailed(err, id))) ?? undefined);
        return { image, body, range, cacheFill, source: 'store' };
      } catch (err) {
        if (err instanceof LocationNotFound) missing++;
        this.logger.warn({ err, image: id, store: store.id }, 'location failed; trying the next one');
      }
    }
    if (missing === locations.length) throw notFound(`Image ${id} has no data in any of its locations.`);
    throw unavailable(`No location of image ${id} could be read; try again later.`);
  }

  /** A cache that fails (its disk, its records) never fails the download: the store serves it. */
  private cacheFailed(err: unknown, id: string): null {
    this.logger.warn({ err, image: id }, 'the image cache failed; serving from the store');
    return null;
  }
}
