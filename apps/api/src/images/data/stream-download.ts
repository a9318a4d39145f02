import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Download } from './image-download.service.js';

/**
 * Streams an opened download's body to the response at the client's pace; a store failing mid-way (headers gone)
 * cuts the connection. A copy into the cache becomes an entry once the whole image went through on its way to the
 * client (as Glance's caching iterator, done when the server took its last chunk), whatever the pipeline reports
 * after that: a client that closes as soon as it has its Content-Length makes it report a premature close. A
 * client gone mid-way stops the bytes before their end, and the copy is given up.
 */
export async function streamDownload(download: Download & { body: NonNullable<Download['body']> }, res: Response): Promise<void> {
  const { body, cacheFill } = download;
  const ok = await (cacheFill ? pipeline(body, cacheFill.tee, res) : pipeline(body, res)).then(
    () => true,
    () => false,
  );
  if (!ok) res.destroy();
  cacheFill?.settle(true).catch(() => undefined);
}
