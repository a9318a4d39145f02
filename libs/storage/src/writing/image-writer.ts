import { Injectable } from '@nestjs/common';
import { pipeline, Readable, Writable } from 'node:stream';
import { pipeline as pipelined } from 'node:stream/promises';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import type { ImageLocation } from '@glimpse/domain';
import { hashAlgoFor } from '../hashing/hash-algo.js';
import { HashingTap } from '../hashing/hashing-tap.js';
import type { Digests } from '../hashing/parallel-hasher.js';
import type { Store } from '../store.js';

/** What one write of image bytes is given. */
export interface ImageWrite {
  /** The image: its id names the copy, and its os_hash_algo (if it records one) is the one computed (hashAlgoFor). */
  image: { id: string; osHashAlgo: string | null };
  store: Store;
  /** The bytes: any readable byte stream (a request body, a download, another store's copy, a file). */
  source: Readable;
  /** Bytes allowed (default GLIMPSE_IMAGE_SIZE_CAP); one more fails the write with 413 before it is stored. */
  limit?: number;
  /** Admits each chunk before it is stored, and may wait (a quota reservation); rejecting stops the write. */
  admit?: (chunk: Buffer) => void | Promise<void>;
  /** Sees every chunk on its way (format watcher, progress); throwing stops the write. */
  observe?: (chunk: Buffer) => void;
  /** Aborts the write (client gone, job cancelled); whatever was written is removed. */
  signal?: AbortSignal;
  /** The size the source announced (a hint: S3 part sizing). */
  sizeHint?: number;
  /**
   * After a failure the source is only left unread, not destroyed: a request body, whose connection must stay up
   * for the error answer (the signal reports the client going away). Other sources are destroyed.
   */
  keepSourceOpen?: boolean;
}

/** One copy written to a store, with the checksums computed while writing it. */
export interface StoredCopy {
  location: ImageLocation;
  size: number;
  checksum: string;
  osHashAlgo: string;
  osHashValue: string;
}

/**
 * The one writer of image bytes (Glance's `_upload_to_store` over glance_store's `store_add_to_backend_with_multihash`):
 * upload, stage, import, copy and repair all come here. One streaming pass sizes, limits, admits, hashes (MD5 and
 * the image's os_hash_algo on two worker threads) and stores; a failure anywhere leaves nothing in the store.
 * Checksum and audit jobs use `hash`, the same pass without a store.
 *
 * The ring protocol lives here only: a store that can write the hasher's ring slots in place (`putSlots`) is
 * handed them before the first byte, and the source's chunks then go straight into the ring (no stream stage);
 * any other store reads the tap as a plain stream.
 */
@Injectable()
export class ImageWriter {
  constructor(@InjectConfig('storage') private readonly storage: ConfigOf<'storage'>) {}

  async write(w: ImageWrite): Promise<StoredCopy> {
    const tap = this.tap(w.image, w);
    const options = { signal: w.signal, sizeHint: w.sizeHint };
    // The store first: it must take the ring's slots before the first byte.
    const putting = w.store.putSlots ? w.store.putSlots(w.image.id, tap, options) : w.store.put(w.image.id, tap, options);
    this.feed(w, tap);
    try {
      const put = await putting;
      const digests = await tap.digest();
      return {
        location: { url: put.location, store: w.store.id, metadata: { store: w.store.id }, status: 'active' },
        size: put.size,
        checksum: digests.md5,
        osHashAlgo: digests.hashAlgo,
        osHashValue: digests.hashValue,
      };
    } catch (err) {
      tap.abandon();
      if (w.keepSourceOpen) w.source.unpipe(tap);
      else w.source.destroy();
      throw err;
    }
  }

  /** The checksums of `source` as the image's copies are hashed (its own os_hash_algo), storing nothing. */
  async hash(image: { osHashAlgo: string | null }, source: Readable, signal?: AbortSignal): Promise<Digests> {
    const tap = this.tap(image, {});
    await pipelined(source, tap, new Writable({ write: (_c, _e, cb) => cb() }), ...(signal ? [{ signal }] : []));
    return tap.digest();
  }

  private tap(image: { osHashAlgo: string | null }, w: Pick<ImageWrite, 'limit' | 'admit' | 'observe'>): HashingTap {
    return new HashingTap({
      hashAlgo: hashAlgoFor(image, this.storage.hashAlgo),
      limit: w.limit ?? this.storage.imageSizeCap,
      admit: w.admit,
      observe: w.observe,
    });
  }

  /** Source → tap with back-pressure; a failure or abort on either side ends both, so the store keeps nothing. */
  private feed({ source, signal, keepSourceOpen }: ImageWrite, tap: HashingTap): void {
    if (signal?.aborted) return void tap.destroy(reasonOf(signal));
    signal?.addEventListener('abort', () => tap.destroy(reasonOf(signal)), { once: true });
    if (tap.sinking) {
      tap.drink(source);
      if (!keepSourceOpen) tap.once('close', () => source.destroy());
    } else if (keepSourceOpen) {
      source.once('error', (err) => tap.destroy(err));
      source.pipe(tap);
    } else {
      pipeline(source, tap, () => undefined);
    }
  }
}

const reasonOf = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('The write was aborted.'));
