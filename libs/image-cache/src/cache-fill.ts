import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** What a fill must end with to become a cache entry. */
export interface FillTarget {
  size: number;
  checksum: string;
}

/**
 * Bytes on their way somewhere else (a client, or nowhere for the prefetcher), copied into a partial cache file
 * as they pass. `tee` is the stream to put in the way. In `client` mode the file never holds the client back:
 * when the disk falls `maxLagBytes` behind, or a write fails, the copy is given up and the bytes keep flowing. In
 * `prefetch` mode the copy sets the pace. The md5 of the bytes is computed on the way; `settle` turns the file
 * into a complete entry only when the whole image passed (and the caller says its reader got it all) and its
 * size and md5 are the image's; otherwise the partial file is removed. The image went through whole when its size
 * in bytes passed the tee (its source's end may never be seen: a client that closes on its last byte tears the
 * pipeline down first); one destroyed on the way (a client gone) stops short of it.
 */
export class CacheFill {
  readonly tee: Transform;
  private readonly md5 = createHash('md5');
  private bytes = 0;
  private abandoned: string | null = null;
  private settled: Promise<boolean> | null = null;

  constructor(
    private readonly out: WriteStream,
    private readonly target: FillTarget,
    private readonly mode: 'client' | 'prefetch',
    private readonly commit: () => Promise<void>,
    private readonly discard: (why: string) => Promise<void>,
    private readonly maxLagBytes = 64 << 20,
  ) {
    out.on('error', (err) => this.abandon(`write failed: ${err.message}`));
    this.tee = new Transform({
      highWaterMark: 1 << 20,
      transform: (chunk: Buffer, _enc, done) => this.pass(chunk, done),
    });
  }

  /** Why the copy was given up, if it was. */
  get abandonedBecause(): string | null {
    return this.abandoned;
  }

  private pass(chunk: Buffer, done: TransformCallback): void {
    if (this.abandoned) return done(null, chunk);
    this.md5.update(chunk);
    this.bytes += chunk.length;
    const room = this.out.write(chunk);
    if (this.mode === 'client') {
      if (this.out.writableLength > this.maxLagBytes) this.abandon('the disk fell behind the client');
      return done(null, chunk);
    }
    if (room) return done(null, chunk);
    const go = () => {
      this.out.off('drain', go);
      this.out.off('close', go);
      done(null, chunk);
    };
    this.out.on('drain', go);
    this.out.on('close', go);
  }

  private abandon(why: string): void {
    if (this.abandoned) return;
    this.abandoned = why;
    this.out.destroy();
  }

  /**
   * Ends the copy: `delivered` says the bytes reached their reader in full. True when the image is now cached.
   * Idempotent.
   */
  settle(delivered: boolean): Promise<boolean> {
    this.settled ??= this.finish(delivered);
    return this.settled;
  }

  private async finish(delivered: boolean): Promise<boolean> {
    if (!delivered) this.abandon('the reader did not get the whole image');
    else if (this.bytes !== this.target.size) this.abandon(`${this.bytes} bytes went through, the image has ${this.target.size}`);
    else if (this.md5.digest('hex') !== this.target.checksum) this.abandon("the bytes' md5 is not the image's checksum");
    if (!this.abandoned) {
      const closed = once(this.out, 'close');
      this.out.end();
      await closed.catch(() => undefined);
    }
    if (this.abandoned || this.out.errored) {
      if (!this.out.closed) await once(this.out, 'close').catch(() => undefined);
      await this.discard(this.abandoned ?? 'the write failed');
      return false;
    }
    try {
      await this.commit();
      return true;
    } catch (err) {
      this.abandoned = `commit failed: ${(err as Error).message}`;
      await this.discard(this.abandoned);
      return false;
    }
  }
}
