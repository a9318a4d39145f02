import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { tooLarge } from '@glimpse/domain';
import { type Digests, ParallelHasher, type SlotSink } from './parallel-hasher.js';

export interface HashingTapOptions {
  /** os_hash_algo (sha512 unless configured otherwise). */
  hashAlgo?: string;
  /** Bytes allowed through; one more fails the stream with a 413 before that byte reaches the store. */
  limit?: number;
  /** Admits each chunk before it is hashed or passed on, and may wait (a quota reservation); rejecting fails the stream. */
  admit?: (chunk: Buffer) => void | Promise<void>;
  /** Sees every chunk that passes (the format gate's watcher, an import's progress); throwing fails the stream. */
  observe?: (chunk: Buffer) => void;
}

/**
 * Passes bytes through unchanged while the parallel hasher checksums them. A chunk is passed on only once the
 * ring has taken it, so a slow hasher slows the source instead of piling up memory.
 *
 * A store that can write the ring's slots in place calls `sinkSlots` instead of reading the stream (before
 * the first byte is taken): then nothing is passed on, the one copy of each byte is the one into the ring,
 * and the store writes whole 1 MiB slots while the workers hash them.
 */
export class HashingTap extends Transform {
  private readonly hasher: ParallelHasher;
  private readonly limit: number;
  private readonly admit?: (chunk: Buffer) => void | Promise<void>;
  private readonly observe?: (chunk: Buffer) => void;
  /** Whether chunks go on down the stream (false once a store sinks the slots). */
  private passOn = true;
  private digests: Promise<Digests> | null = null;
  /** Settles sinkSlots once every byte has been taken and sunk. */
  private sunk: { resolve: (size: number) => void; reject: (err: Error) => void } | null = null;

  constructor(options: HashingTapOptions = {}) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.hasher = new ParallelHasher(options.hashAlgo ?? 'sha512');
    this.limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    this.admit = options.admit;
    this.observe = options.observe;
  }

  get bytes(): number {
    return this.hasher.bytes;
  }

  /**
   * Hands every filled slot to `sink` instead of passing chunks on; resolves with the size once all bytes have
   * been sunk (the digests are then ready), rejects when the stream fails or is cut short.
   */
  sinkSlots(sink: SlotSink): Promise<number> {
    this.hasher.attach(sink);
    this.passOn = false;
    return new Promise((resolve, reject) => {
      this.sunk = { resolve, reject };
      // The stream's failure (413, client gone) is the promise's: nothing else listens to this stream.
      this.on('error', reject);
      if (this.destroyed) reject(this.errored ?? new Error('The stream was destroyed before its end.'));
    });
  }

  /** Whether a store sinks the slots (then `drink` may feed it). */
  get sinking(): boolean {
    return !this.passOn;
  }

  /**
   * Takes `source`'s chunks straight into the ring (once a store sinks the slots): a 'data' listener instead of
   * a pipe into this stream, so a chunk costs no stream stage on the way; the source is paused while the ring
   * is full and ended into this stream at its end. A failure destroys this stream with it.
   */
  drink(source: Readable): void {
    if (this.passOn) throw new Error('Only a tap whose slots a store sinks can drink its source.');
    // The source may end while its last chunk still waits for the ring: the end then waits for it.
    let waiting = false;
    let ended = false;
    const onData = (chunk: Buffer) => {
      if (this.destroyed) return;
      waiting = true;
      this._transform(chunk, 'buffer' as BufferEncoding, (err) => {
        waiting = false;
        if (err) {
          source.pause();
          this.destroy(err);
        } else if (ended) this.end();
        else if (source.isPaused()) source.resume();
      });
      if (waiting) source.pause();
    };
    const onEnd = () => {
      ended = true;
      if (!waiting) this.end();
    };
    const onError = (err: Error) => this.destroy(err);
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    this.once('close', () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hasher.bytes + chunk.length > this.limit) {
      callback(tooLarge('The incoming image is too large: The provided image is too large.'));
      return;
    }
    let admitted: void | Promise<void>;
    try {
      admitted = this.admit?.(chunk);
    } catch (err) {
      return callback(err as Error);
    }
    if (admitted) admitted.then(() => this.pass(chunk, callback), callback);
    else this.pass(chunk, callback);
  }

  /** An admitted chunk: observed, into the ring, and on down the stream unless a store sinks the slots. */
  private pass(chunk: Buffer, callback: TransformCallback): void {
    if (this.destroyed) return callback();
    try {
      this.observe?.(chunk);
    } catch (err) {
      // The observer refuses the data (the format gate's early refusal): the stream fails with its error.
      return callback(err as Error);
    }
    const pending = this.hasher.update(chunk);
    if (!pending) return this.passOn ? callback(null, chunk) : callback();
    // The ring is full: the chunk goes on to the store at once (its write overlaps the hashing), and the next
    // one is taken only once the ring has room, so at most one chunk waits outside it.
    if (this.passOn) this.push(chunk);
    pending.then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.sunk) return callback();
    // The digests wait for the last slot to be hashed and sunk; digest() then returns them.
    this.digest().then((d) => {
      this.sunk?.resolve(d.size);
      callback();
    }, callback);
  }

  /** The digests; call once the stream has finished. */
  digest(): Promise<Digests> {
    return (this.digests ??= this.hasher.digest());
  }

  /**
   * Gives the pass up after a failure downstream: the hasher stops and the stream is destroyed. A tap that took
   * every byte (so destroying it alone stops nothing) but whose digest nobody will ask for would otherwise keep
   * its two workers referenced, and the process would never exit.
   */
  abandon(): void {
    this.hasher.abort();
    this.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Cut short (error, or destroyed before all bytes went through): the workers are stopped. A finished tap
    // keeps its hasher for digest().
    if (error || !this.writableFinished) {
      this.hasher.abort();
      this.sunk?.reject(error ?? new Error('The stream was destroyed before its end.'));
    }
    callback(error);
  }
}
