import { once } from 'node:events';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The decompression step (Glance's image_decompression plugin): data that starts with the gzip magic is
 * inflated on the fly; anything else is the source itself, untouched and with no stage in between. Only gzip:
 * Node ships no other decompressor on this runtime, and an image that stays compressed is then refused by the
 * format gate rather than guessed at.
 */
export async function decompress(input: Readable): Promise<Readable> {
  // Peeking counts bytes: a stream of objects (Readable.from) is made a byte stream first.
  const source = input.readableObjectMode ? pipeline(input, new PassThrough(), () => undefined) : input;
  const head = await peek(source, GZIP_MAGIC.length);
  if (!GZIP_MAGIC.every((b, i) => head[i] === b)) return source;
  return pipeline(source, createGunzip(), () => undefined);
}

/** The first `n` bytes (fewer if the stream is shorter), put back at the front of the stream. */
async function peek(source: Readable, n: number): Promise<Buffer> {
  while (!source.readableEnded && !source.destroyed) {
    // null until n bytes are buffered, or at the end whatever is left (then null once nothing is).
    const head = source.read(n) as Buffer | null;
    if (head) {
      source.unshift(head);
      return head;
    }
    // Whichever comes first; the other listeners go (a 'readable' one left behind would stop piping).
    const stop = new AbortController();
    await Promise.race(['readable', 'end', 'close'].map((event) => once(source, event, { signal: stop.signal }))).finally(() => stop.abort());
  }
  return Buffer.alloc(0);
}
