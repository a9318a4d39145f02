import { Inject, Injectable } from '@nestjs/common';
import { pipeline, Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import type { ImageLocation } from '@glimpse/domain';
import { hashAlgoFor, HashingTap, StagingArea, StoreRegistry } from '@glimpse/storage';
import type { ImageBytes, StoredCopy, WrittenImage } from './image-data.ports.js';

/** ImageBytes over the configured stores: one streaming pass writes and hashes (MD5 + os_hash_algo). */
@Injectable()
export class StoreImageBytes implements ImageBytes {
  constructor(
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async write(storeId: string, image: WrittenImage, source: AsyncIterable<Buffer>, signal: AbortSignal, observe?: (chunk: Buffer) => void): Promise<StoredCopy> {
    const store = this.stores.writable(storeId);
    const tap = new HashingTap({ hashAlgo: hashAlgoFor(image, this.config.storage.hashAlgo), limit: this.config.storage.imageSizeCap, observe });
    // An error on either side destroys both, so the store sees the failure and keeps nothing. A stream is taken
    // as it is: wrapping it in Readable.from would add a stage per chunk. The store comes first: a file store
    // takes the tap's ring slots, and the source's chunks then go straight into the ring.
    const readable = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    const putting = store.put(image.id, tap, { signal });
    if (tap.sinking) {
      tap.drink(readable);
      tap.once('close', () => readable.destroy());
    } else {
      pipeline(readable, tap, () => undefined);
    }
    const put = await putting;
    const digests = await tap.digest();
    return {
      location: { url: put.location, store: store.id, metadata: { store: store.id }, status: 'active' },
      size: put.size,
      checksum: digests.md5,
      osHashAlgo: digests.hashAlgo,
      osHashValue: digests.hashValue,
    };
  }

  async read(location: ImageLocation): Promise<Readable> {
    const store = this.stores.find(location.store);
    if (!store) throw new Error(`Store ${location.store} is not configured`);
    return store.get(location.url);
  }

  async remove(location: ImageLocation): Promise<void> {
    await this.stores.find(location.store)?.delete(location.url);
  }

  staged(imageId: string): Promise<Readable> {
    return this.staging.open(imageId);
  }

  removeStaged(imageId: string): Promise<void> {
    return this.staging.remove(imageId);
  }
}
