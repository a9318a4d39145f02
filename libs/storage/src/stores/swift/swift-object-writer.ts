import { setTimeout as sleep } from 'node:timers/promises';
import { header } from './swift-http.js';
import type { SwiftClient } from './swift-client.js';
import { segmentName } from './swift-names.js';
import { SegmentBuffer } from './swift-segment-buffer.js';
import type { SlotSink } from '../../hashing/parallel-hasher.js';

export interface WriterLimits {
  /** Images of at least this many bytes become segments plus a manifest. */
  largeObjectSize: number;
  segmentSize: number;
}

/**
 * Writes one image as Glance's Swift store lays it out: below the large-object size one PUT, otherwise segments
 * `<name>-00001`, `-00002` … (one after another, each with its Content-Length) in the same container and then a
 * zero-byte DLO manifest `X-Object-Manifest: <container>/<name>-`. The bytes are copied into reused buffers
 * (SegmentBuffer) and each request's body is those whole buffers, so a failed PUT is sent again (the client's
 * retries) without failing the image. The next segment fills while the current one goes up, and its PUT starts
 * as soon as the current one's body is out, while Swift still finishes that one (its fsync and container update:
 * a fifth of a segment's time on loopback); bytes are taken on only once that segment is confirmed, so memory
 * stays about two segments. The manifest's size is checked against the bytes written. Any failure removes what
 * was written.
 *
 * Bytes come in through `take` (a chunk of a stream, or a slot of the hasher's ring through `sink`), then
 * `finish` sends the rest; after a failure `abandon` removes what was written.
 */
export class SwiftObjectWriter {
  private segments = 0;
  private total = 0;
  private segmented = false;
  private readonly buffer: SegmentBuffer;
  /** The last segment PUT started: `sent` once its body is out (or it failed), `done` once Swift confirmed it. */
  private inflight: { sent: Promise<void>; done: Promise<void> } | null = null;
  /** Every segment PUT not yet awaited to its end (waited for before a failed write is cleaned up). */
  private readonly unsettled = new Set<Promise<void>>();
  private wroteObject = false;
  /** The sink's calls, one after another (each waits while two segments are held). */
  private sinking: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private onFailure: ((err: Error) => void) | null = null;
  /** Rejects with the first failure of a PUT started while bytes were taken (never resolves). */
  readonly failed = new Promise<never>((_, reject) => (this.onFailure = reject));

  constructor(
    private readonly client: SwiftClient,
    private readonly container: string,
    private readonly name: string,
    private readonly limits: WriterLimits,
    private readonly signal: AbortSignal,
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
   * Copies `bytes` in; when a segment is full, starts its PUT and returns a promise that settles once the bytes
   * may go on (the previous segment confirmed). Not called again before that promise settles.
   */
  take(bytes: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (bytes.length === 0) return undefined;
    this.total += bytes.length;
    this.buffer.add(bytes);
    if (!this.segmented && this.total >= this.limits.largeObjectSize) return this.watch(this.startSegments());
    if (this.segmented && this.buffer.hasFull) return this.watch(this.sendFull());
    return undefined;
  }

  /** Once every byte was taken (and the sink's calls are done): the last PUTs and the manifest; resolves with the size. */
  async finish(): Promise<number> {
    await this.sinking;
    if (this.failure) throw this.failure;
    if (!this.segmented) {
      this.wroteObject = true;
      await this.put(this.name, this.buffer.takeRest(), {});
      this.buffer.clear();
      return this.total;
    }
    const rest = this.buffer.takeRest();
    if (rest.length) await this.nextSegment(rest);
    this.buffer.clear();
    await this.inflight?.done;
    this.inflight = null;
    this.wroteObject = true;
    await this.put(this.name, [], { 'x-object-manifest': `${this.container}/${this.name}-` });
    await this.checkManifest(this.total);
    return this.total;
  }

  /** After a failure anywhere: waits for the PUTs under way, then removes what was written. */
  async abandon(): Promise<void> {
    this.failure ??= new Error('The write was abandoned.');
    this.buffer.clear();
    await this.sinking.catch(() => undefined);
    await Promise.allSettled(this.unsettled);
    await this.discard();
  }

  /** The large-object size is reached: a dead writer's segments would join the new manifest, so they go first. */
  private async startSegments(): Promise<void> {
    this.segmented = true;
    await this.removeSegments();
    await this.sendFull();
  }

  private async sendFull(): Promise<void> {
    for (let body = this.buffer.takeFull(); body; body = this.buffer.takeFull()) await this.nextSegment(body);
  }

  /** A failure of `work` is the write's (`failed` rejects with it). */
  private watch(work: Promise<void>): Promise<void> {
    return work.catch((err: Error) => {
      this.failure ??= err;
      this.onFailure?.(this.failure);
      throw err;
    });
  }

  /**
   * Starts this segment's PUT once the previous one's body is out, then waits for Swift to confirm the
   * previous one (a failure of either surfaces here or at the next wait): two segments overlap only while
   * the older one is being finished by Swift, and at most two are held. A confirmed segment's buffers are reused.
   */
  private async nextSegment(body: Buffer[]): Promise<void> {
    const previous = this.inflight;
    if (previous) await previous.sent;
    const name = segmentName(this.name, ++this.segments);
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const done = this.put(name, body, {}, () => markSent()).then(() => this.buffer.release(body));
    this.unsettled.add(done);
    done.then(() => this.unsettled.delete(done), () => undefined); // a failure is observed at the next wait
    const out = Promise.race([sent, done]);
    out.catch(() => undefined); // the last segment's is never awaited: its failure surfaces through `done`
    this.inflight = { sent: out, done };
    if (previous) await previous.done;
  }

  private async put(object: string, body: Buffer[], headers: Record<string, string>, onSent?: () => void): Promise<void> {
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
