import { setTimeout as sleep } from 'node:timers/promises';
import { header, type SwiftBody } from './swift-http.js';
import type { SwiftClient } from './swift-client.js';
import { segmentName } from './swift-names.js';
import { type Segment, SegmentBuffer } from './swift-segment-buffer.js';
import type { SlotSink } from '../../hashing/parallel-hasher.js';

export interface WriterLimits {
  /** Images of at least this many bytes become segments plus a manifest. */
  largeObjectSize: number;
  segmentSize: number;
}

/** One segment PUT: `sent` once its body is out (or it failed), `done` once Swift confirmed it (and its units went back). */
interface Inflight {
  segment: Segment;
  sent: Promise<void>;
  done: Promise<void>;
  confirmed: boolean;
}

/**
 * Writes one image as Glance's Swift store lays it out: below the large-object size one PUT, otherwise segments
 * `<name>-00001`, `-00002` … (one after another, each with its Content-Length) in the same container and then a
 * zero-byte DLO manifest `X-Object-Manifest: <container>/<name>-`. The bytes are copied into reused buffers
 * (SegmentBuffer) and kept until Swift confirmed their segment, so a failed PUT is sent again (the client's
 * retries) from whole buffers without failing the image.
 *
 * When the size is known up front (the upload's Content-Length, a copy's source size) and reaches the
 * large-object size, each segment's PUT starts with its first bytes and streams them as they come, announcing
 * the length the size gives it (Swift works while the segment fills; a segment that ends up another length
 * fails that attempt and is sent again whole). Otherwise a segment goes up once it is full. Either way the
 * next segment's PUT starts once the previous body is out, while Swift still finishes that one (its fsync and
 * container update), and no more bytes are taken once a segment is full until the one before it is confirmed:
 * at most two PUTs are open and about two segments held. The manifest's size is checked against the bytes
 * written. Any failure removes what was written.
 *
 * Bytes come in through `take` (a chunk of a stream, or a slot of the hasher's ring through `sink`), then
 * `finish` sends the rest; after a failure `abandon` removes what was written.
 */
export class SwiftObjectWriter {
  private segments = 0;
  private total = 0;
  private segmented = false;
  private readonly buffer: SegmentBuffer;
  /** Segment PUTs not yet confirmed (confirmed ones leave from the front), oldest first. */
  private readonly inflight: Inflight[] = [];
  /** The last two segment PUTs started (the next one waits for the last one's body and the one before's answer). */
  private last: Inflight | null = null;
  private beforeLast: Inflight | null = null;
  /** Every segment PUT not yet settled (waited for before a failed write is cleaned up). */
  private readonly unsettled = new Set<Promise<void>>();
  private wroteObject = false;
  /** The sink's calls, one after another (each waits while two segments are held). */
  private sinking: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private onFailure: ((err: Error) => void) | null = null;
  /** Rejects with the first failure of a segment PUT (never resolves). */
  readonly failed = new Promise<never>((_, reject) => (this.onFailure = reject));

  constructor(
    private readonly client: SwiftClient,
    private readonly container: string,
    private readonly name: string,
    private readonly limits: WriterLimits,
    private readonly signal: AbortSignal,
    /** The size announced for the image, if any: segments are then streamed as they fill. */
    private readonly sizeHint?: number,
  ) {
    this.buffer = new SegmentBuffer(limits.segmentSize);
    this.failed.catch(() => undefined);
  }

  /** Stores the whole stream; resolves with its size. On failure nothing of it is left (as far as Swift lets us). */
  async write(source: AsyncIterable<Uint8Array>): Promise<number> {
    try {
      for await (const chunk of source) {
        const waiting = this.take(chunk);
        if (waiting) await waiting;
      }
      return await this.finish();
    } catch (err) {
      await this.abandon();
      throw err;
    }
  }

  /**
   * The hasher's slot sink (HashingTap#sinkSlots): each slot is copied in and handed back at once, unless two
   * segments are held, then once the older is confirmed (the ring fills up and the source waits).
   */
  readonly sink: SlotSink = (slots, _offset, done) => {
    this.sinking = this.sinking.then(async () => {
      for (const slot of slots) {
        const waiting = this.take(slot);
        if (waiting) await waiting;
      }
    }).then(() => done(), (err: Error) => done(err));
  };

  /**
   * Copies `bytes` in and starts the PUTs that can start; returns a promise when no more bytes may be taken until
   * it settles (a full segment waits for the one before it). Not called again before that promise settles.
   */
  take(bytes: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (bytes.length === 0) return undefined;
    this.total += bytes.length;
    this.buffer.add(bytes);
    if (!this.segmented) return this.total >= this.limits.largeObjectSize || this.streaming ? this.watch(this.startSegments()) : undefined;
    this.startPending();
    return this.mustHold() ? this.watch(this.hold()) : undefined;
  }

  /** Once every byte was taken (and the sink's calls are done): the last PUTs and the manifest; resolves with the size. */
  async finish(): Promise<number> {
    await this.sinking;
    if (this.failure) throw this.failure;
    if (!this.segmented) {
      this.wroteObject = true;
      await this.put(this.name, this.buffer.takeRest(), {});
      return this.total;
    }
    this.buffer.end();
    this.startPending();
    await this.watch(Promise.all(this.inflight.map((f) => f.done)).then(() => undefined));
    this.wroteObject = true;
    await this.put(this.name, [], { 'x-object-manifest': `${this.container}/${this.name}-` });
    await this.checkManifest(this.total);
    return this.total;
  }

  /** After a failure anywhere: waits for the PUTs under way, then removes what was written. */
  async abandon(): Promise<void> {
    const err = (this.failure ??= new Error('The write was abandoned.'));
    for (const f of this.inflight) f.segment.fail(err);
    this.buffer.clear(err);
    await this.sinking.catch(() => undefined);
    await Promise.allSettled(this.unsettled);
    await this.discard();
  }

  /** Whether segments are streamed as they fill: the announced size reaches the large-object size. */
  private get streaming(): boolean {
    return this.sizeHint !== undefined && this.sizeHint >= this.limits.largeObjectSize;
  }

  /** The image is segmented: a dead writer's segments would join the new manifest, so they go first. */
  private async startSegments(): Promise<void> {
    this.segmented = true;
    await this.removeSegments();
    this.startPending();
    if (this.mustHold()) await this.hold();
  }

  /** Starts a PUT for each segment that can have one: every full one, and the one filling when streaming. */
  private startPending(): void {
    for (let segment = this.buffer.take(this.streaming); segment; segment = this.buffer.take(this.streaming)) this.start(segment);
  }

  /** Two full segments not yet confirmed: no more bytes until the older is. */
  private mustHold(): boolean {
    let full = 0;
    for (const f of this.inflight) if (f.segment.closed && !f.confirmed) full++;
    return full >= 2;
  }

  private async hold(): Promise<void> {
    while (this.mustHold()) await this.inflight.find((f) => f.segment.closed && !f.confirmed)!.done;
  }

  /**
   * Segment n's PUT, once segment n-1's body is out and segment n-2 is confirmed: streamed (announcing the length
   * the announced size gives it) or, beyond the announced size or without one, once the segment is full.
   */
  private start(segment: Segment): void {
    const n = ++this.segments;
    const name = segmentName(this.name, n);
    const { segmentSize } = this.limits;
    const announced = this.streaming ? Math.min(segmentSize, this.sizeHint! - (n - 1) * segmentSize) : 0;
    const previous = this.last;
    const beforePrevious = this.beforeLast;
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const done = Promise.all([previous?.sent, beforePrevious?.done]).then(async () => {
      if (announced > 0) {
        await this.put(name, segment.streamed(announced), {}, () => markSent());
        // Swift took the announced bytes, but the segment grew past them (the size announced was wrong): again, whole.
        await segment.whole();
        if (segment.length !== announced) await this.put(name, segment.views(), {});
      } else {
        await segment.whole();
        await this.put(name, segment.views(), {}, () => markSent());
      }
      entry.confirmed = true;
      this.buffer.release(segment);
      while (this.inflight[0]?.confirmed) this.inflight.shift();
    });
    const entry: Inflight = { segment, sent: Promise.race([sent, done]), done, confirmed: false };
    entry.sent.catch(() => undefined); // a failure surfaces through `done`
    this.unsettled.add(done);
    done.then(
      () => this.unsettled.delete(done),
      (err: Error) => {
        this.unsettled.delete(done);
        this.fail(err);
      },
    );
    this.inflight.push(entry);
    this.beforeLast = previous;
    this.last = entry;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.onFailure?.(this.failure);
  }

  /** A failure of `work` is the write's (`failed` rejects with it). */
  private watch(work: Promise<void>): Promise<void> {
    return work.catch((err: Error) => {
      this.fail(err);
      throw err;
    });
  }

  private async put(object: string, body: SwiftBody, headers: Record<string, string>, onSent?: () => void): Promise<void> {
    const target = { container: this.container, object, body, headers: { 'content-type': 'application/octet-stream', ...headers }, signal: this.signal, onSent };
    const res = await this.client.request('PUT', target);
    if (res.statusCode !== 201) throw this.client.failure(res, 'PUT', target);
    res.resume();
  }

  /**
   * A DLO is whatever the container listing shows under its prefix: its HEAD must add up to the bytes written
   * (a listing that lags behind gets a few seconds; a segment removed meanwhile fails the write).
   */
  private async checkManifest(total: number): Promise<void> {
    let length = -1;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt) await sleep(500 * attempt, undefined, { signal: this.signal });
      const target = { container: this.container, object: this.name, signal: this.signal };
      const res = await this.client.request('HEAD', target);
      if (res.statusCode !== 200) throw this.client.failure(res, 'HEAD', target);
      res.resume();
      length = Number(header(res, 'content-length'));
      if (length === total) return;
    }
    throw new Error(`Swift manifest ${this.container}/${this.name} adds up to ${length} bytes, ${total} were written`);
  }

  /** Removes the object or manifest and every segment under its prefix (not with the aborted signal). */
  private async discard(): Promise<void> {
    if (this.wroteObject) {
      const res = await this.client.request('DELETE', { container: this.container, object: this.name }).catch(() => null);
      res?.resume();
    }
    if (this.segments > 0) await this.removeSegments().catch(() => undefined);
  }

  /** Deletes the segments `<name>-NNNNN` of this image in its container (leftovers of an earlier writer). */
  private async removeSegments(): Promise<void> {
    const names: string[] = [];
    for await (const entry of this.client.objects(this.container, `${this.name}-`)) {
      if (/^-\d{5,}$/.test(entry.name.slice(this.name.length))) names.push(entry.name);
    }
    await this.client.deleteAll(this.container, names);
  }
}
