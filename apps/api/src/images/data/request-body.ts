import type { IncomingMessage } from 'node:http';
import { GlimpseError, invalid } from '@glimpse/domain';

/** Glance takes image data only as application/octet-stream (415 otherwise). */
export function assertOctetStream(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream') {
    throw new GlimpseError('unsupported-media-type', `The request media type ${type || 'None'} is not supported by this server.`);
  }
}

/** The size the client announced: x-openstack-image-size, else Content-Length; undefined for chunked bodies. */
export function declaredSize(req: IncomingMessage): { size?: number; explicit: boolean } {
  const header = req.headers['x-openstack-image-size'];
  if (typeof header === 'string') {
    if (!/^\d+$/.test(header.trim())) throw invalid(`Invalid x-openstack-image-size header: ${header}`);
    return { size: Number(header), explicit: true };
  }
  const length = req.headers['content-length'];
  return { size: length === undefined ? undefined : Number(length), explicit: false };
}

/** The error a body ends with when the client went away before sending all of it. */
export class ClientGone extends Error {
  override readonly name = 'ClientGone';
  constructor() {
    super('The client closed the connection before the whole body arrived.');
  }
}

/**
 * Watches the client from the handler's first line, before any database round trip: the signal aborts with
 * ClientGone when the connection closes before the whole body arrived, also when that happened before anyone
 * read the body (a client gone right after the headers), so no later step waits for bytes that never come.
 */
export function watchClient(req: IncomingMessage): AbortSignal {
  const controller = new AbortController();
  const gone = () => {
    if (!req.complete && !controller.signal.aborted) controller.abort(new ClientGone());
  };
  req.once('aborted', gone);
  req.once('close', gone);
  req.on('error', gone);
  if (req.destroyed || req.socket?.destroyed) gone();
  return controller.signal;
}
