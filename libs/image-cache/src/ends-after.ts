import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The body's bytes, as they come, except the last chunk, which is held back until `before` has settled: a client
 * counts a body with a Content-Length as complete at its last byte, not at the stream's end, so holding the end alone
 * would let it see every byte before the hit is recorded. Destroying either end destroys the other.
 */
export function endsAfter(body: Readable, before: Promise<unknown>): Readable {
  let held: Buffer | undefined;
  const out = new Transform({
    readableHighWaterMark: body.readableHighWaterMark,
    writableHighWaterMark: body.readableHighWaterMark,
    transform: (chunk: Buffer, _encoding, done) => {
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush: (done) => void before.then(() => done(null, held)),
  });
  pipeline(body, out).catch(() => undefined);
  return out;
}
