import { setTimeout as sleep } from 'node:timers/promises';
import { header } from './swift-http.js';
import type { SwiftClient } from './swift-client.js';
import { segmentName } from './swift-names.js';

export interface WriterLimits {
  /** Images of at least this many bytes become segments plus a manifest. */
  largeObjectSize: number;
  segmentSize: number;
}

/**
 * Writes one image as Glance's Swift store lays it out: below the large-object size one PUT, otherwise segments
 * `<name>-00001`, `-00002` … (one after another, each with its Content-Length) in the same container and then a
 * zero-byte DLO manifest `X-Object-Manifest: <container>/<name>-`. Each request's body is a whole buffer, so a
 * failed PUT is sent again (the client's retries) without failing the image. The next segment is read from the
 * source while the current one goes up, and its PUT starts as soon as the current one's body is out, while
 * Swift still finishes that one (its fsync and container update: a fifth of a segment's time on loopback);
 * the source is read on only once that segment is confirmed, so memory stays about two segments. The
 * manifest's size is checked against the bytes written. Any failure removes what was written.
 */
export class SwiftObjectWriter {
  private segments = 0;
  /** The last segment PUT started: `sent` once its body is out (or it failed), `done` once Swift confirmed it. */
  private inflight: { sent: Promise<void>; done: Promise<void> } | null = null;
  /** Every segment PUT not yet awaited to its end (waited for before a failed write is cleaned up). */
  private readonly unsettled = new Set<Promise<void>>();
  private wroteObject = false;

  constructor(
    private readonly client: SwiftClient,
    private readonly container: string,
    private readonly name: string,
    private readonly limits: WriterLimits,
    private readonly signal: AbortSignal,
  ) {}

  /** Stores the whole source; resolves with its size. On failure nothing of it is left (as far as Swift lets us). */
  async write(source: AsyncIterable<Buffer>): Promise<number> {
    let chunks: Buffer[] = [];
    let buffered = 0;
    let total = 0;
    let segmented = false;
    const take = (n: number): Buffer[] => {
      const out: Buffer[] = [];
      let need = n;
      while (need > 0) {
        const head = chunks[0]!;
        if (head.length <= need) {
          out.push(head);
          chunks.shift();
          need -= head.length;
        } else {
          out.push(head.subarray(0, need));
          chunks[0] = head.subarray(need);
          need = 0;
        }
      }
      buffered -= n;
      return out;
    };
    try {
      for await (const chunk of source) {
        if (chunk.length === 0) continue;
        chunks.push(chunk);
        buffered += chunk.length;
        total += chunk.length;
        if (!segmented && buffered >= this.limits.largeObjectSize) {
          segmented = true;
          await this.removeSegments(); // a dead writer's segments would join the new manifest
        }
        while (segmented && buffered >= this.limits.segmentSize) await this.nextSegment(take(this.limits.segmentSize));
      }
      if (!segmented) {
        this.wroteObject = true;
        await this.put(this.name, chunks, {});
        return total;
      }
      if (buffered > 0) await this.nextSegment(take(buffered));
      chunks = [];
      await this.inflight?.done;
      this.inflight = null;
      this.wroteObject = true;
      await this.put(this.name, [], { 'x-object-manifest': `${this.container}/${this.name}-` });
      await this.checkManifest(total);
      return total;
    } catch (err) {
      chunks = [];
      await Promise.allSettled(this.unsettled);
      await this.discard();
      throw err;
    }
  }

  /**
   * Starts this segment's PUT once the previous one's body is out, then waits for Swift to confirm the
   * previous one (a failure of either surfaces here or at the next wait): two segments overlap only while
   * the older one is being finished by Swift, and at most two are held.
   */
  private async nextSegment(body: Buffer[]): Promise<void> {
    const previous = this.inflight;
    if (previous) await previous.sent;
    const name = segmentName(this.name, ++this.segments);
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const done = this.put(name, body, {}, () => markSent());
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
