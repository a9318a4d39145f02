import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { ImageLocation } from '@glimpse/domain';
import { ImageWriter, StagingArea, type Store, StoreRegistry } from '@glimpse/storage';
import type { ImageBytes, StoredCopy, WrittenImage } from './image-data.ports.js';

/** ImageBytes over the configured stores: writes go through the one image writer (libs/storage ImageWriter). */
@Injectable()
export class StoreImageBytes implements ImageBytes {
  constructor(
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    private readonly writer: ImageWriter,
  ) {}

  async write(store: string | Store, image: WrittenImage, source: AsyncIterable<Buffer>, signal: AbortSignal, observe?: (chunk: Buffer) => void): Promise<StoredCopy> {
    // A stream is taken as it is: wrapping it in Readable.from would add a stage per chunk.
    const readable = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    return this.writer.write({ image, store: typeof store === 'string' ? this.stores.writable(store) : store, source: readable, signal, observe });
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
