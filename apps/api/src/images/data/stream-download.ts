import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Download } from './image-download.service.js';

/**
 * Streams an opened download's body to the response at the client's pace; a store failing mid-way (headers gone)
 * cuts the connection. A copy into the cache becomes an entry only if every byte was handed to the client (the
 * response was ended: a client that closes right after its last byte may still make the pipeline report a
 * premature close).
 */
export async function streamDownload(download: Download & { body: NonNullable<Download['body']> }, res: Response): Promise<void> {
  const { body, cacheFill } = download;
  const ok = await (cacheFill ? pipeline(body, cacheFill.tee, res) : pipeline(body, res)).then(
    () => true,
    () => false,
  );
  if (!ok) res.destroy();
  cacheFill?.settle(ok || res.writableEnded).catch(() => undefined);
}
