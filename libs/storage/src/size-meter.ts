import { Transform, type TransformCallback } from 'node:stream';
import { tooLarge } from '@glimpse/domain';

/** Counts bytes going through and fails the stream with a 413 before the first byte over `limit` passes. */
export class SizeMeter extends Transform {
  bytes = 0;

  constructor(private readonly limit: number) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.bytes + chunk.length > this.limit) {
      callback(tooLarge('The incoming image is too large: The provided image is too large.'));
      return;
    }
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
