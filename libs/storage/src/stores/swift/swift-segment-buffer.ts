import { type GrowingBody, SwiftTransportError } from './swift-http.js';

/** The size a unit is at most (the hasher's slot size: a slot is copied in with one memcpy). */
const UNIT = 1 << 20;

/**
 * One segment's bytes (or a whole object's), in units of the buffer that filled it, kept until Swift confirmed
 * them. It grows until it is closed (full, or the source ended); `grown` lets a streamed PUT follow it.
 */
export class Segment {
  readonly units: Buffer[] = [];
  length = 0;
  closed = false;
  private failure: Error | null = null;
  private waiters: Array<() => void> = [];

  /** The bytes from `from` on, as views of the units (valid until the segment is released). */
  views(from = 0): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (const unit of this.units) {
      const end = Math.min(start + unit.length, this.length);
      if (end > from) out.push(unit.subarray(Math.max(from - start, 0), end - start));
      start += unit.length;
      if (start >= this.length) break;
    }
    return out;
  }

  /** Resolves once the segment holds more than `than` bytes or is closed; rejects once it was failed. */
  grown(than: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.length > than || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push(() => (this.failure ? reject(this.failure) : resolve())));
  }

  /** Resolves once the segment is closed (rejects once it was failed). */
  async whole(): Promise<void> {
    while (!this.closed) await this.grown(this.length);
  }

  /**
   * A PUT body that follows the segment: the first attempt announces `announced` bytes (the size the upload
   * declared says the segment will have) and sends them as they come; should the segment end up another length,
   * that attempt fails. Later attempts wait until the segment is whole and send exactly its bytes.
   */
  streamed(announced: number): GrowingBody {
    let attempts = 0;
    return {
      open: async () => {
        if (attempts++ === 0 && !this.closed) return { length: announced, chunks: this.follow(announced) };
        await this.whole();
        return { length: this.length, chunks: this.views() };
      },
    };
  }

  /** The bytes as they come, up to `announced`; a SwiftTransportError once the segment turns out longer or shorter. */
  private async *follow(announced: number): AsyncIterable<Buffer> {
    let sent = 0;
    for (;;) {
      if (this.length > announced) throw new SwiftTransportError(`the segment grew past the ${announced} bytes announced`);
      if (sent < this.length) {
        const views = this.views(sent);
        sent = this.length;
        yield* views;
        continue;
      }
      if (this.closed) {
        if (this.length !== announced) throw new SwiftTransportError(`the segment ended at ${this.length} bytes, ${announced} were announced`);
        return;
      }
      await this.grown(sent);
    }
  }

  /** Wakes what waits on the segment (after bytes came in, or it closed). */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The write failed: whatever waits on the segment stops. */
  fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }
}

/**
 * The bytes of an image on their way to Swift, cut into segments of `segmentSize` bytes (the last one shorter)
 * and kept as whole buffers until Swift has confirmed them, so a failed PUT is sent again unchanged. Bytes are
 * copied into units of up to 1 MiB that are reused once their segment is confirmed (`release`): however many
 * segments an image has, a write allocates only as many units as segments are held at once, and the garbage
 * collector sees a few hundred large buffers instead of every incoming chunk.
 */
export class SegmentBuffer {
  private readonly unit: number;
  /** Segments not yet taken, oldest first; the last one may still be filling (`current`). */
  private readonly pending: Segment[] = [];
  private current: Segment | null = null;
  /** Bytes used of the current segment's last unit, and how many it takes (less at the segment's end). */
  private used = 0;
  private capacity = 0;
  private readonly free: Buffer[] = [];

  constructor(private readonly segmentSize: number) {
    this.unit = Math.min(UNIT, segmentSize);
  }

  /** Copies `bytes` in (the caller may reuse them at once). */
  add(bytes: Uint8Array): void {
    let pos = 0;
    while (pos < bytes.length) {
      let segment = this.current;
      if (!segment) {
        segment = this.current = new Segment();
        this.pending.push(segment);
      }
      if (segment.units.length === 0 || this.used === this.capacity) {
        segment.units.push(this.free.pop() ?? Buffer.allocUnsafeSlow(this.unit));
        this.capacity = Math.min(this.unit, this.segmentSize - segment.length);
        this.used = 0;
      }
      const unit = segment.units[segment.units.length - 1]!;
      const n = Math.min(this.capacity - this.used, bytes.length - pos);
      // Buffer#fill with a source of exactly the target's length is a plain memcpy, also from the hasher's shared
      // ring (TypedArray#set from shared memory copies word by word).
      unit.fill(pos === 0 && n === bytes.length ? bytes : bytes.subarray(pos, pos + n), this.used, this.used + n);
      this.used += n;
      segment.length += n;
      pos += n;
      if (segment.length === this.segmentSize) this.close();
    }
    this.current?.notify();
  }

  /**
   * The oldest segment not yet taken: a closed one, or (with `open`) the one still filling, which then goes on
   * filling for its taker; undefined when there is none.
   */
  take(open = false): Segment | undefined {
    const first = this.pending[0];
    if (!first || (!first.closed && !open)) return undefined;
    return this.pending.shift();
  }

  /** Everything not yet taken, as one body (the only PUT of an image below the large-object size). */
  takeRest(): Buffer[] {
    if (this.current) this.close();
    return this.pending.splice(0).flatMap((s) => s.views());
  }

  /** No more bytes come: the segment filling is closed. */
  end(): void {
    if (this.current) this.close();
  }

  /** A confirmed segment's units, to be filled again. */
  release(segment: Segment): void {
    for (const unit of segment.units.splice(0)) this.free.push(unit);
  }

  /** Drops every buffer (after a failure); whatever waits on a segment fails with `err`. */
  clear(err: Error): void {
    for (const segment of this.pending.splice(0)) segment.fail(err);
    this.current?.fail(err);
    this.current = null;
    this.free.length = 0;
  }

  private close(): void {
    const segment = this.current!;
    segment.closed = true;
    this.current = null;
    this.used = 0;
    this.capacity = 0;
    segment.notify();
  }
}
