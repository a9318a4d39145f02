import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The decompression step (Glance's image_decompression plugin): data that starts with the gzip magic is
 * inflated on the fly; anything else passes through untouched. Only gzip: Node ships no other decompressor on
 * this runtime, and an image that stays compressed is then refused by the format gate rather than guessed at.
 */
export async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  while (length < GZIP_MAGIC.length) {
    const next = await it.next();
    if (next.done) break;
    head.push(next.value);
    length += next.value.length;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  if (!GZIP_MAGIC.every((b, i) => first[i] === b)) {
    yield* replay();
    return;
  }
  const gunzip = pipeline(Readable.from(replay()), createGunzip(), () => undefined);
  yield* gunzip as AsyncIterable<Buffer>;
}
