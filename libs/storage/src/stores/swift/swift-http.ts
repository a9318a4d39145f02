import { type ClientRequest, Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * A body sent with its Content-Length: whole buffers, so a failed request can be sent again unchanged; or one
 * whose bytes may still be coming, opened once per attempt (a segment streamed as it fills).
 */
export type SwiftBody = readonly Buffer[] | GrowingBody;

/** A body opened for each attempt: its Content-Length and its bytes (which may come as they arrive). */
export interface GrowingBody {
  open(): Promise<{ length: number; chunks: readonly Buffer[] | AsyncIterable<Buffer> }>;
}

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: SwiftBody;
  /** Connecting and every wait for data (the response head, each chunk of a streamed body). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once the whole body has been handed to the OS (the answer may take longer: Swift's fsync). */
  onSent?: () => void;
}

/** Keep-alive agents, one per scheme, for everything a Swift client sends. */
export class SwiftAgents {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 32 });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** A request that never reached an answer: refused, reset, timed out. Safe to retry when the request is idempotent. */
export class SwiftTransportError extends Error {
  override readonly name = 'SwiftTransportError';
}

/**
 * One HTTP request on Node's own http(s): resolves with the response head (the body still to be read or
 * resumed), rejects with a SwiftTransportError when no answer came. The body goes out with its Content-Length.
 */
export async function send(url: URL, options: SendOptions, agents: SwiftAgents): Promise<IncomingMessage> {
  const body = options.body ?? [];
  const { length, chunks } = 'open' in body ? await body.open() : { length: body.reduce((n, b) => n + b.length, 0), chunks: body };
  const headers: Record<string, string> = { ...options.headers };
  if (options.body || ['PUT', 'POST'].includes(options.method)) headers['content-length'] = String(length);
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: options.method,
      headers,
      agent: https ? agents.https : agents.http,
      signal: options.signal,
    });
    let answered = false;
    // The socket's idle timeout also guards the response body: a stalled stream fails instead of hanging.
    req.setTimeout(options.timeoutMs, () => req.destroy(new SwiftTransportError(`no data for ${options.timeoutMs} ms`)));
    req.once('response', (res) => {
      answered = true;
      resolve(res);
    });
    req.once('error', (err) => {
      if (answered) return;
      if (options.signal?.aborted) return reject(options.signal.reason instanceof Error ? options.signal.reason : err);
      reject(err instanceof SwiftTransportError ? err : new SwiftTransportError((err as Error).message));
    });
    if (!Array.isArray(chunks)) return void stream(req, chunks as AsyncIterable<Buffer>, () => answered, options.onSent);
    if (chunks.length > 1) req.cork();
    for (const chunk of chunks) req.write(chunk);
    req.end(options.onSent);
  });
}

/**
 * Writes bytes as they come, waiting for the socket to take each; a failure of the source fails the request
 * (as a SwiftTransportError: the next attempt opens the body again). Stops once Swift answered.
 */
async function stream(req: ClientRequest, chunks: AsyncIterable<Buffer>, answered: () => boolean, onSent?: () => void): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (answered() || req.destroyed) return;
      if (!req.write(chunk)) await drained(req);
    }
    if (!answered() && !req.destroyed) req.end(onSent);
  } catch (err) {
    req.destroy(err instanceof SwiftTransportError ? err : new SwiftTransportError((err as Error).message));
  }
}

/** Resolves once the request can take more (or is gone). */
function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.once('drain', done);
    req.once('close', done);
  });
}

/** Reads a (small) response body as text. */
export async function readText(res: IncomingMessage, limit = 16 << 20): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new SwiftTransportError(`response body over ${limit} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Lets a response's body go (keeps the connection reusable). */
export function drain(res: IncomingMessage): void {
  res.resume();
  res.on('error', () => undefined);
}

export function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
