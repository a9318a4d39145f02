import { Transform, type TransformCallback } from 'node:stream';
import { tooLarge } from '@glimpse/domain';
import { type Digests, ParallelHasher } from './parallel-hasher.js';

export interface HashingTapOptions {
  /** os_hash_algo (sha512 unless configured otherwise). */
  hashAlgo?: string;
  /** Bytes allowed through; one more fails the stream with a 413 before that byte reaches the store. */
  limit?: number;
  /** Sees every chunk that passes (the format gate's watcher). */
  observe?: (chunk: Buffer) => void;
}

/**
 * Passes bytes through unchanged while the parallel hasher checksums them. A chunk is passed on only once the
 * ring has taken it, so a slow hasher slows the source instead of piling up memory.
 */
export class HashingTap extends Transform {
  private readonly hasher: ParallelHasher;
  private readonly limit: number;
  private readonly observe?: (chunk: Buffer) => void;

  constructor(options: HashingTapOptions = {}) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.hasher = new ParallelHasher(options.hashAlgo ?? 'sha512');
    this.limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    this.observe = options.observe;
  }

  get bytes(): number {
    return this.hasher.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hasher.bytes + chunk.length > this.limit) {
      callback(tooLarge('The incoming image is too large: The provided image is too large.'));
      return;
    }
    this.observe?.(chunk);
    const pending = this.hasher.update(chunk);
    if (!pending) return callback(null, chunk);
    // The ring is full: the chunk goes on to the store at once (its write overlaps the hashing), and the next
    // one is taken only once the ring has room, so at most one chunk waits outside it.
    this.push(chunk);
    pending.then(() => callback(), callback);
  }

  /** The digests; call once the stream has finished. */
  digest(): Promise<Digests> {
    return this.hasher.digest();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Cut short (error, or destroyed before all bytes went through): the workers are stopped. A finished tap
    // keeps its hasher for digest().
    if (error || !this.writableFinished) this.hasher.abort();
    callback(error);
  }
}
