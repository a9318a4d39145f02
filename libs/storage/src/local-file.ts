import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ByteRange } from './store.js';

/** Bytes per read of a local image file (and per chunk handed to the response). */
const CHUNK = 1 << 20;

/**
 * The one reader of a local image file (the file store's images, the image cache's copies): its bytes, or a
 * range of them, in 1 MiB reads, and the file's size; null when there is no such file. Every download from
 * local disk streams through here, so a file store and a cache on the same disk serve the same way.
 */
export async function readLocalFile(path: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null> {
  const handle = await fs.open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!handle) return null;
  try {
    const { size } = await handle.stat();
    return { body: handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: CHUNK }), size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
