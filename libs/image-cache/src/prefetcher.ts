import { Injectable, Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageStatus } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { StoreRegistry } from '@glimpse/storage';
import { ImageCache } from './image-cache.js';

export type PrefetchOutcome = 'cached' | 'already' | 'busy' | 'not-queued' | 'not-active' | 'failed';

/** Bytes read only to be copied into the cache go nowhere else. */
const nowhere = () => new Writable({ highWaterMark: 1 << 20, write: (_chunk, _enc, done) => done() });

/**
 * Glance's prefetcher: brings queued images into this node's cache, reading each from the first of its locations
 * that serves it whole (the cache fill verifies size and md5 as for a download). An image that is no longer active
 * leaves the queue; one that fails in every location stays queued for the next run.
 */
@Injectable()
export class Prefetcher {
  private readonly logger = new Logger('cache-prefetcher');

  constructor(
    private readonly cache: ImageCache,
    private readonly images: ImageRepository,
    private readonly stores: StoreRegistry,
  ) {}

  /** Every queued image, one after the other; the outcome of each. */
  async run(signal?: AbortSignal): Promise<Record<PrefetchOutcome, number>> {
    const counts: Record<PrefetchOutcome, number> = { cached: 0, already: 0, busy: 0, 'not-queued': 0, 'not-active': 0, failed: 0 };
    for (const imageId of await this.cache.queued()) {
      signal?.throwIfAborted();
      counts[await this.fetch(imageId)]++;
    }
    return counts;
  }

  /** Fetches one queued image (one taken off the queue meanwhile is left alone). */
  async fetch(imageId: string): Promise<PrefetchOutcome> {
    if (!(await this.cache.isQueued(imageId))) return (await this.cache.isCached(imageId)) ? 'already' : 'not-queued';
    const image = await this.images.findById(imageId);
    if (!image || image.status !== ImageStatus.Active || image.size === null || !image.checksum) {
      await this.cache.dequeue(imageId);
      return 'not-active';
    }
    if (await this.cache.isCached(imageId)) return 'already';
    for (const location of image.locations.filter((l) => l.status === 'active')) {
      const store = this.stores.find(location.store);
      if (!store) continue;
      const fill = await this.cache.fill(image, 'prefetch');
      // No fill: another reader on this node is writing it (its entry will replace the queue's).
      if (!fill) return 'busy';
      const read = await store
        .get(location.url)
        .then((body) => pipeline(body, fill.tee, nowhere()))
        .then(
          () => true,
          (err: Error) => {
            this.logger.warn(`image ${imageId}: ${store.id} could not be read: ${err.message}`);
            return false;
          },
        );
      if (await fill.settle(read)) return 'cached';
    }
    return 'failed';
  }
}
