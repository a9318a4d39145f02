import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable, Transform } from 'node:stream';
import type { AddressPolicy } from './address-policy.js';
import { DownloadError, refused } from './errors.js';
import { redact } from './redact-url.js';
import { type Resolver, resolveAndCheck, systemResolver } from './resolve-host.js';
import { screenUrl, type UrlFilterOptions } from './url-filter.js';

export interface FetchOptions {
  filter: UrlFilterOptions;
  policy: AddressPolicy;
  maxRedirects: number;
  connectTimeoutMs: number;
  /** The connection may stay silent this long (while connecting, waiting for headers or reading the body). */
  idleTimeoutMs: number;
  /** The body is cut off past this many bytes. */
  maxBytes: number;
  signal?: AbortSignal;
  resolver?: Resolver;
  /** HEAD asks for the headers only (the body is empty). */
  method?: 'GET' | 'HEAD';
  /** Inclusive byte range: the server must answer 206 with exactly that part. */
  range?: { start: number; end: number };
}

export interface FetchedBody {
  body: Readable;
  /** From Content-Length, when the server sent one. */
  size: number | null;
  /** The URL that answered, after redirects. */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs a URL for web-download: every URL (the first and each redirect target) is screened by the
 * import filter and its host's resolved addresses by the address policy before any connection is made; the
 * connection goes to an address that was checked. The body stream enforces the size cap and the idle timeout.
 */
export async function fetchImage(rawUrl: string, options: FetchOptions): Promise<FetchedBody> {
  let current = rawUrl;
  for (let hop = 0; ; hop++) {
    const response = await getOnce(current, options);
    if (!REDIRECTS.has(response.statusCode ?? 0)) return accept(response, current, options);
    response.resume();
    if (hop >= options.maxRedirects) throw new DownloadError(`too many redirects (more than ${options.maxRedirects})`, true);
    const location = response.headers.location;
    if (!location) throw new DownloadError(`redirect without a Location from ${redact(current)}`, true);
    current = new URL(location, current).toString();
  }
}

async function getOnce(raw: string, options: FetchOptions): Promise<IncomingMessage> {
  let url: URL;
  try {
    url = screenUrl(raw, options.filter);
  } catch (err) {
    throw refused(raw, (err as Error).message);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await resolveAndCheck(host, options.policy, options.resolver ?? systemResolver);
  const lookup: LookupFunction = (_name, opts, callback) => {
    const cb = callback as (...args: unknown[]) => void;
    if ((opts as { all?: boolean }).all) cb(null, addresses);
    else cb(null, addresses[0]!.address, addresses[0]!.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, {
      method: options.method ?? 'GET',
      lookup,
      // An IP literal would bypass `lookup`: connect to the checked address explicitly in every case.
      host: addresses[0]!.address,
      servername: url.protocol === 'https:' && !/^[\d.:]+$/.test(host) ? host : undefined,
      headers: {
        host: url.host,
        'user-agent': 'glimpse-web-download',
        accept: '*/*',
        ...(options.range ? { range: `bytes=${options.range.start}-${options.range.end}` } : {}),
      },
      signal: options.signal,
    });
    const connectTimer = setTimeout(
      () => req.destroy(new DownloadError(`connect to ${url.host} timed out after ${options.connectTimeoutMs} ms`, false)),
      options.connectTimeoutMs,
    );
    req.once('socket', (socket) => {
      socket.once('connect', () => clearTimeout(connectTimer));
      if (!socket.connecting) clearTimeout(connectTimer);
    });
    req.setTimeout(options.idleTimeoutMs, () =>
      req.destroy(new DownloadError(`${url.host} sent nothing for ${options.idleTimeoutMs} ms`, false)),
    );
    req.once('response', (res) => {
      clearTimeout(connectTimer);
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(connectTimer);
      reject(err instanceof DownloadError ? err : new DownloadError(`${redact(url.toString())}: ${err.message}`, false));
    });
    req.end();
  });
}

function accept(res: IncomingMessage, url: string, options: FetchOptions): FetchedBody {
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.resume();
    throw new DownloadError(`${redact(url)} answered ${status} ${res.statusMessage ?? ''}`.trim(), status < 500 && status !== 429);
  }
  if (options.range && status !== 206) {
    res.resume();
    throw new DownloadError(`${redact(url)} answered ${status} to a ranged GET`, true);
  }
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  if (options.method === 'HEAD') {
    res.resume();
    return { body: Readable.from([]), size: length, url };
  }
  if (length !== null && length > options.maxBytes) {
    res.destroy();
    throw new DownloadError(`the image is ${length} bytes, over the size cap of ${options.maxBytes}`, true);
  }
  let seen = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > options.maxBytes) done(new DownloadError(`the image is over the size cap of ${options.maxBytes} bytes`, true));
      else done(null, chunk);
    },
    flush(done) {
      done(length !== null && seen !== length ? new DownloadError(`got ${seen} of ${length} bytes`, false) : null);
    },
  });
  // Registered after the request's own idle handler, this names the cause before the socket teardown does.
  res.socket?.on('timeout', () =>
    capped.destroy(new DownloadError(`the server sent nothing for ${options.idleTimeoutMs} ms`, false)),
  );
  res.once('aborted', () => capped.destroy(new DownloadError('the server closed the connection early', false)));
  res.once('error', (err) => capped.destroy(err instanceof DownloadError ? err : new DownloadError(err.message, false)));
  capped.once('close', () => res.destroy());
  res.pipe(capped);
  return { body: capped, size: length, url };
}
