import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { unavailable } from '@glimpse/domain';
import type { ByteRange } from '../../store.js';
import { LocationNotFound } from '../../store.js';
import type { SwiftClient } from './swift-client.js';
import { drain, header } from './swift-http.js';

export interface ReadTarget {
  client: SwiftClient;
  container: string;
  object: string;
  /** For messages (never with credentials). */
  label: string;
}

/**
 * Opens an object (plain, DLO or SLO) for reading with Swift's own Range, and checks before the first byte
 * that Swift holds `expectedSize` bytes (a DLO with a segment missing is shorter). The body resumes with
 * `Range: bytes=<sent>-` when the stream breaks, at most `resumes` times; then it fails (never a short body
 * that looks complete, never a hang: every wait for data has the client's timeout).
 */
export async function openObject(target: ReadTarget, range: ByteRange | undefined, expectedSize: number | undefined, resumes: number): Promise<Readable> {
  const first = await get(target, range?.start ?? 0, range?.end, !!range);
  const total = first.total;
  if (expectedSize !== undefined && total !== expectedSize) {
    first.res.destroy();
    throw unavailable(`${target.label} holds ${total} bytes where the image has ${expectedSize} (a segment missing?)`);
  }
  const start = range?.start ?? 0;
  const end = range ? Math.min(range.end, total - 1) : total - 1;
  return new ResumingBody(first.res, end - start + 1, resumes, async (sent) => {
    const next = await get(target, start + sent, end, true);
    if (next.total !== total) {
      next.res.destroy();
      throw new Error(`${target.label} changed size while being read (${total} → ${next.total})`);
    }
    return next.res;
  });
}

/** A GET from `start` (to `end` when given, or when `ranged`); the object's total size from Content-Range or Content-Length. */
async function get(target: ReadTarget, start: number, end: number | undefined, ranged: boolean): Promise<{ res: IncomingMessage; total: number }> {
  const headers: Record<string, string> = {};
  if (ranged) headers.range = `bytes=${start}-${end ?? ''}`;
  const request = { container: target.container, object: target.object, headers };
  const res = await target.client.request('GET', request);
  if (res.statusCode === 404) {
    drain(res);
    throw new LocationNotFound(`${target.label} is gone`);
  }
  if (res.statusCode === 200 && !ranged) return { res, total: Number(header(res, 'content-length')) };
  if (res.statusCode === 206) {
    const match = /\/(\d+)$/.exec(header(res, 'content-range') ?? '');
    if (match) return { res, total: Number(match[1]) };
  }
  if (res.statusCode === 416) {
    // Asked from the end of the object: there is nothing (more) to read.
    const match = /\/(\d+)$/.exec(header(res, 'content-range') ?? '');
    drain(res);
    if (match && Number(match[1]) <= start) throw unavailable(`${target.label} ends at ${match[1]} bytes, before byte ${start}`);
  }
  throw target.client.failure(res, 'GET', request);
}

/** The bytes of one or more successive responses, `length` in all; a short or broken one is resumed. */
class ResumingBody extends Readable {
  private sent = 0;
  private current: IncomingMessage | null = null;
  private reopening = false;

  constructor(
    first: IncomingMessage,
    private readonly length: number,
    private resumesLeft: number,
    private readonly reopen: (sent: number) => Promise<IncomingMessage>,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.attach(first);
  }

  override _read(): void {
    this.current?.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.current?.destroy();
    this.current = null;
    callback(err);
  }

  private attach(res: IncomingMessage): void {
    this.current = res;
    let done = false;
    const broke = (why: string) => {
      if (done) return;
      done = true;
      res.removeAllListeners('data');
      res.destroy();
      this.resumeOrFail(why);
    };
    res.on('data', (chunk: Buffer) => {
      if (done || this.destroyed) return;
      if (this.sent + chunk.length > this.length) return broke('more bytes than announced');
      this.sent += chunk.length;
      if (!this.push(chunk)) res.pause();
    });
    res.once('end', () => {
      if (done) return;
      if (this.sent === this.length) {
        done = true;
        this.current = null;
        this.push(null);
      } else broke(`the stream ended after ${this.sent} of ${this.length} bytes`);
    });
    res.on('error', (err) => broke(err.message)); // every time: a destroyed response may report more than once
    res.once('close', () => broke('the connection closed'));
  }

  private resumeOrFail(why: string): void {
    if (this.destroyed || this.reopening) return;
    if (this.resumesLeft <= 0) {
      this.destroy(unavailable(`Swift read failed after ${this.sent} of ${this.length} bytes: ${why}`));
      return;
    }
    this.resumesLeft--;
    this.reopening = true;
    this.current = null;
    this.reopen(this.sent).then(
      (res) => {
        this.reopening = false;
        if (this.destroyed) return void res.destroy();
        this.attach(res);
      },
      (err: Error) => {
        this.reopening = false;
        this.destroy(unavailable(`Swift read failed after ${this.sent} of ${this.length} bytes: ${why}; resuming: ${err.message}`));
      },
    );
  }
}
