import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { unavailable } from '@glimpse/domain';
import type { ByteRange } from '../../store.js';
import { LocationNotFound } from '../../store.js';
import type { SwiftClient } from './swift-client.js';
import { dloSegments, segmentAt } from './swift-dlo-segments.js';
import { drain, header } from './swift-http.js';

export interface ReadTarget {
  client: SwiftClient;
  container: string;
  object: string;
  /** For messages (never with credentials). */
  label: string;
}

/** One response of a read and how many bytes of the read it carries. */
interface Piece {
  res: IncomingMessage;
  length: number;
}

/**
 * Opens an object (plain, DLO or SLO) for reading with Swift's own Range, and checks before the first byte
 * that Swift holds `expectedSize` bytes (a DLO with a segment missing is shorter). A DLO is read from its
 * segments directly (Swift's proxy assembling it costs ~40 % of the throughput); an SLO, or a DLO whose
 * segments cannot be listed, through its manifest. The body resumes with a Range from the byte it got to when
 * the stream breaks, at most `resumes` times in all; then it fails (never a short body that looks complete,
 * never a hang: every wait for data has the client's timeout).
 */
export async function openObject(target: ReadTarget, range: ByteRange | undefined, expectedSize: number | undefined, resumes: number): Promise<Readable> {
  const start = range?.start ?? 0;
  // The object itself, not what a manifest assembles: a plain object's bytes, or a manifest's headers.
  const own = await send(target, { container: target.container, object: target.object }, start, range?.end, !!range, { 'multipart-manifest': 'get' });
  const manifest = header(own, 'x-object-manifest');
  if (manifest !== undefined) {
    drain(own);
    const direct = await openSegments(target, manifest, range, expectedSize, resumes);
    if (direct) return direct;
  } else if (!/^true$/i.test(header(own, 'x-static-large-object') ?? '')) {
    return openWhole(target, sized(target, own, start, !!range), range, expectedSize, resumes);
  } else drain(own);
  return openWhole(target, await get(target, start, range?.end, !!range), range, expectedSize, resumes);
}

/** One object (or a manifest Swift assembles) from its first response on. */
function openWhole(target: ReadTarget, first: { res: IncomingMessage; total: number }, range: ByteRange | undefined, expectedSize: number | undefined, resumes: number): Readable {
  const total = first.total;
  checkSize(target, total, expectedSize, first.res);
  const start = range?.start ?? 0;
  const end = range ? Math.min(range.end, total - 1) : total - 1;
  const length = end - start + 1;
  return new ResumingBody({ res: first.res, length }, length, resumes, async (sent) => {
    const next = await get(target, start + sent, end, true);
    if (next.total !== total) {
      next.res.destroy();
      throw new Error(`${target.label} changed size while being read (${total} → ${next.total})`);
    }
    return { res: next.res, length: length - sent };
  });
}

/**
 * A DLO read from its segments: listed by the manifest's prefix, their total checked against `expectedSize`,
 * the range mapped onto them, one segment GET after another. Null when the listing fails or is not usable.
 */
async function openSegments(target: ReadTarget, manifest: string, range: ByteRange | undefined, expectedSize: number | undefined, resumes: number): Promise<Readable | null> {
  const segments = await dloSegments(target.client, manifest, target).catch(() => null);
  if (!segments?.length) return null;
  const last = segments[segments.length - 1]!;
  const total = last.offset + last.bytes;
  checkSize(target, total, expectedSize);
  const start = range?.start ?? 0;
  if (start >= total) throw unavailable(`${target.label} ends at ${total} bytes, before byte ${start}`);
  const end = range ? Math.min(range.end, total - 1) : total - 1;
  const open = async (sent: number): Promise<Piece> => {
    const position = start + sent;
    const segment = segmentAt(segments, position)!;
    const label = `${target.label}: segment ${segment.container}/${segment.name}`;
    const to = Math.min(end, segment.offset + segment.bytes - 1) - segment.offset;
    let res: IncomingMessage;
    try {
      res = await send({ ...target, label }, { container: segment.container, object: segment.name }, position - segment.offset, to, true);
    } catch (err) {
      throw err instanceof LocationNotFound ? unavailable(`${label} is gone`) : err;
    }
    const held = sized({ ...target, label }, res, position - segment.offset, true, segment).total;
    if (held !== segment.bytes) {
      res.destroy();
      throw unavailable(`${label} holds ${held} bytes where the listing has ${segment.bytes}`);
    }
    return { res, length: to - (position - segment.offset) + 1 };
  };
  return new ResumingBody(await open(0), end - start + 1, resumes, open);
}

/** The stored length against the image's, before the first byte. */
function checkSize(target: ReadTarget, total: number, expectedSize: number | undefined, res?: IncomingMessage): void {
  if (expectedSize === undefined || total === expectedSize) return;
  res?.destroy();
  throw unavailable(`${target.label} holds ${total} bytes where the image has ${expectedSize} (a segment missing?)`);
}

/** A GET of the target from `start` (to `end` when given, or when `ranged`); the object's total size from Content-Range or Content-Length. */
async function get(target: ReadTarget, start: number, end: number | undefined, ranged: boolean): Promise<{ res: IncomingMessage; total: number }> {
  const res = await send(target, { container: target.container, object: target.object }, start, end, ranged);
  return sized(target, res, start, ranged);
}

/** A GET from `start` (to `end` when given, or when `ranged`); a 404 is LocationNotFound. */
async function send(target: ReadTarget, object: { container: string; object: string }, start: number, end: number | undefined, ranged: boolean, query?: Record<string, string>): Promise<IncomingMessage> {
  const headers: Record<string, string> = {};
  if (ranged) headers.range = `bytes=${start}-${end ?? ''}`;
  const res = await target.client.request('GET', { ...object, headers, query });
  if (res.statusCode === 404) {
    drain(res);
    throw new LocationNotFound(`${target.label} is gone`);
  }
  return res;
}

/** The object's total size of a GET's answer (Content-Range or Content-Length), or the failure it is. */
function sized(target: ReadTarget, res: IncomingMessage, start: number, ranged: boolean, object: { container: string; name: string } = { container: target.container, name: target.object }): { res: IncomingMessage; total: number } {
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
  throw target.client.failure(res, 'GET', { container: object.container, object: object.name });
}

/**
 * The bytes of successive responses, `length` in all: each piece's end opens the next (a DLO's next segment); a
 * short or broken one is opened again from the byte it got to, `resumes` times in all.
 */
class ResumingBody extends Readable {
  private sent = 0;
  private current: IncomingMessage | null = null;
  private reopening = false;

  constructor(
    first: Piece,
    private readonly length: number,
    private resumesLeft: number,
    private readonly open: (sent: number) => Promise<Piece>,
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

  private attach({ res, length }: Piece): void {
    this.current = res;
    const end = this.sent + length;
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
      if (this.sent + chunk.length > end) return broke('more bytes than announced');
      this.sent += chunk.length;
      if (!this.push(chunk)) res.pause();
    });
    res.once('end', () => {
      if (done) return;
      if (this.sent !== end) return broke(`the stream ended after ${this.sent} of ${this.length} bytes`);
      done = true;
      this.current = null;
      if (this.sent === this.length) this.push(null);
      else this.next(null);
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
    this.next(why);
  }

  /** Opens the piece from the byte reached: the next one, or (`why` it broke) the same again. */
  private next(why: string | null): void {
    this.reopening = true;
    this.current = null;
    this.open(this.sent).then(
      (piece) => {
        this.reopening = false;
        if (this.destroyed) return void piece.res.destroy();
        this.attach(piece);
      },
      (err: Error) => {
        this.reopening = false;
        const context = why === null ? '' : `: ${why}; resuming`;
        this.destroy(unavailable(`Swift read failed after ${this.sent} of ${this.length} bytes${context}: ${err.message}`));
      },
    );
  }
}
