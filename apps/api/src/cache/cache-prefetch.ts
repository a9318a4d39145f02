import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Prefetcher } from '@glimpse/image-cache';

/** How long after a PUT /v2/cache/{id} this node starts fetching the image (the queue shows it meanwhile). */
const DELAY_MS = 1000;

/**
 * PUT /v2/cache/{id} fetches the image right away on the node that took the call, as Glance's cache worker thread
 * does: one image at a time, in the order they were queued. What is still queued when the process stops is left
 * to the node's periodic prefetcher.
 */
@Injectable()
export class CachePrefetch implements OnApplicationShutdown {
  private readonly logger = new Logger('cache-prefetch');
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly prefetcher: Prefetcher) {}

  soon(imageId: string): void {
    this.chain = this.chain
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, DELAY_MS).unref()))
      .then(async () => {
        if (this.stopping) return;
        const outcome = await this.prefetcher.fetch(imageId);
        this.logger.log(`image ${imageId}: ${outcome}`);
      })
      .catch((err: Error) => this.logger.warn(`image ${imageId} could not be prefetched: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.chain;
  }
}
