import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { type CacheConfig, type ConfigOf, InjectConfig } from '@glimpse/config';
import { CLOCK, type Clock, type Image, ImageStatus } from '@glimpse/domain';
import { type CachedImage, CacheEntryRepository } from '@glimpse/persistence';
import { type ByteRange, CacheDir } from '@glimpse/storage';
import { CacheFill } from './cache-fill.js';
import { endsAfter } from './ends-after.js';

/** What this node's cache has served since the process started (the metrics). */
export interface CacheStats {
  hits: number;
  misses: number;
  bytesServed: number;
}

/**
 * This API node's image cache: complete, verified copies of active images on local disk (GLIMPSE_IMAGE_CACHE_DIR),
 * recorded in the shared database under the node's identity, so any node's records say what it holds. Off
 * (`enabled` false) when no cache directory is configured; then nothing is ever cached or served from here.
 */
@Injectable()
export class ImageCache {
  private readonly logger = new Logger('image-cache');
  readonly config: CacheConfig | null;
  private readonly files: CacheDir | null;
  readonly stats: CacheStats = { hits: 0, misses: 0, bytesServed: 0 };

  constructor(
    @InjectConfig('cache') cache: ConfigOf<'cache'>,
    private readonly entries: CacheEntryRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.config = cache;
    this.files = cache ? new CacheDir(cache.dir, cache) : null;
  }

  get enabled(): boolean {
    return this.config !== null;
  }

  /** This node's identity in the records. */
  get node(): string {
    return this.config?.node ?? '';
  }

  /**
   * The cached bytes of an image (or a range of them), or null when this node cannot serve it: the cache is off,
   * the image is not active (deactivated, deleted, killed images are never served from here), or no complete
   * entry matches the image's size and checksum. A hit is recorded.
   */
  async open(image: Image, range?: ByteRange): Promise<Readable | null> {
    if (!this.files || image.status !== ImageStatus.Active || image.size === null) return null;
    const entry = await this.entries.findCached(this.node, image.id);
    if (!entry || entry.size !== image.size || entry.checksum !== image.checksum) {
      if (entry) await this.drop(image.id);
      this.stats.misses++;
      return null;
    }
    const file = await this.files.read(image.id, range);
    if (!file || file.size !== image.size) {
      file?.body.destroy();
      await this.drop(image.id);
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    const length = range ? range.end - range.start + 1 : image.size;
    file.body.once('end', () => (this.stats.bytesServed += length));
    // The hit is recorded while the first bytes go out, not before them (a record write costs a few round trips
    // on FerretDB); the last bytes go out only once it is recorded, so a client that has every byte sees its hit counted.
    const hit = this.entries.recordHit(this.node, image.id).catch((err) => this.logger.warn({ err, image: image.id }, 'could not record a cache hit'));
    return endsAfter(file.body, hit);
  }

  /**
   * A copy into the cache of the image's bytes as they are read, or null when the image is not to be cached now:
   * cache off, image not active or without size and checksum, already cached here, or being cached by another
   * reader on this node.
   */
  async fill(image: Image, mode: 'client' | 'prefetch'): Promise<CacheFill | null> {
    if (!this.files || image.status !== ImageStatus.Active || image.size === null || !image.checksum) return null;
    if (await this.entries.findCached(this.node, image.id)) return null;
    const partial = await this.files.openPartial(image.id);
    if (!partial) return null;
    const files = this.files;
    const { id, size, checksum } = image;
    return new CacheFill(
      partial.stream,
      { size, checksum },
      mode,
      async () => {
        await files.commit(partial, id);
        try {
          // A prefetch is cancelled by the queue entry's removal while it ran; a read caches what it read.
          if (mode === 'prefetch' && !(await this.entries.promoteQueued(this.node, id, size, checksum))) {
            throw new Error('taken off the queue while it was fetched');
          }
          if (mode === 'client') await this.entries.markCached(this.node, id, size, checksum);
        } catch (err) {
          await files.remove(id);
          throw err;
        }
        this.logger.log(`image ${id} cached (${size} bytes)`);
      },
      async (why) => {
        await files.discard(partial);
        this.logger.log(`image ${id} not cached: ${why}`);
      },
    );
  }

  /** Whether this node has a complete entry for the image (a queue entry turns into it). */
  async isCached(imageId: string): Promise<boolean> {
    return this.files !== null && (await this.entries.findCached(this.node, imageId)) !== null;
  }

  /** Queues an image for this node's prefetcher; false if it is cached, being cached or queued already. */
  async queue(imageId: string): Promise<boolean> {
    if (!this.files) return false;
    if ((await this.entries.findCached(this.node, imageId)) || (await this.files.beingWritten(imageId))) return false;
    return this.entries.queue(this.node, imageId);
  }

  async isQueued(imageId: string): Promise<boolean> {
    return this.files !== null && (await this.entries.isQueued(this.node, imageId));
  }

  async queued(): Promise<string[]> {
    return this.files ? this.entries.queued(this.node) : [];
  }

  async cached(): Promise<CachedImage[]> {
    return this.files ? this.entries.cached(this.node) : [];
  }

  async dequeue(imageId: string): Promise<boolean> {
    return this.files ? this.entries.remove(this.node, imageId, 'queued') : false;
  }

  /** Removes the image's complete file and its record from this node's cache. */
  async drop(imageId: string): Promise<boolean> {
    if (!this.files) return false;
    const had = await this.entries.remove(this.node, imageId, 'cached');
    await this.files.remove(imageId);
    return had;
  }

  /** Removes every cached image of this node; how many. */
  async dropAll(): Promise<number> {
    let n = 0;
    for (const entry of await this.cached()) if (await this.drop(entry.imageId)) n++;
    return n;
  }

  async dequeueAll(): Promise<number> {
    return this.files ? this.entries.removeAll(this.node, 'queued') : 0;
  }

  /** Every node's cached images and bytes, as recorded. */
  sizeByNode(): Promise<{ node: string; images: number; bytes: number }[]> {
    return this.entries.sizeByNode();
  }

  /** Every node that holds the image in its cache. */
  nodesCaching(imageId: string): Promise<string[]> {
    return this.entries.nodesCaching(imageId);
  }

  /** Bytes of the complete files on this node's disk. */
  async sizeOnDisk(): Promise<number> {
    return this.files ? (await this.files.complete()).reduce((sum, f) => sum + f.size, 0) : 0;
  }

  /**
   * The pruner (Glance's prune): while the cache is over GLIMPSE_IMAGE_CACHE_MAX_SIZE, removes the least recently
   * used image. Returns how many files and bytes it removed.
   */
  async prune(): Promise<{ files: number; bytes: number }> {
    if (!this.files || !this.config) return { files: 0, bytes: 0 };
    let size = await this.sizeOnDisk();
    let files = 0;
    let bytes = 0;
    if (size <= this.config.maxSize) return { files, bytes };
    for (const entry of await this.entries.cached(this.node)) {
      if (size <= this.config.maxSize) break;
      await this.drop(entry.imageId);
      size -= entry.size;
      bytes += entry.size;
      files++;
    }
    return { files, bytes };
  }

  /**
   * The cleaner (Glance's clean): removes the partial files of dead writers (no heartbeat for the writer timeout;
   * a writer stalled for the stall time stops its heartbeat), and complete files no record vouches for (a crash
   * between the rename and the record) once they are as old as the stall time. How many.
   */
  async clean(): Promise<number> {
    if (!this.files || !this.config) return 0;
    let removed = await this.files.removeDeadPartials();
    const recorded = new Set((await this.entries.cached(this.node)).map((e) => e.imageId));
    for (const file of await this.files.complete()) {
      if (!recorded.has(file.imageId) && this.clock.now() - file.modifiedMs >= this.config.stallMs) {
        await this.files.remove(file.imageId);
        removed++;
      }
    }
    return removed;
  }
}
