import type { Readable } from 'node:stream';
import type { AddressPolicy } from './address-policy.js';
import { DownloadError, refused } from './errors.js';
import { redact } from './redact-url.js';
import { type Resolver, resolveAndCheck, systemResolver } from './resolve-host.js';
import { type SocketResponse, socketRequest } from './socket-response.js';
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
  /** PEM certificates trusted for https besides the system's roots (a private CA). */
  trustedCas?: readonly string[];
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
 * connection goes to an address that was checked (socket-response.ts reads the answer off that socket). The body
 * stream enforces the size cap, the idle timeout and that a Content-Length or chunked body arrives whole.
 */
export async function fetchImage(rawUrl: string, options: FetchOptions): Promise<FetchedBody> {
  let current = rawUrl;
  for (let hop = 0; ; hop++) {
    const response = await getOnce(current, options);
    if (!REDIRECTS.has(response.status)) return accept(response, current, options);
    response.body.destroy();
    if (hop >= options.maxRedirects) throw new DownloadError(`too many redirects (more than ${options.maxRedirects})`, true);
    const location = response.headers.location;
    if (!location) throw new DownloadError(`redirect without a Location from ${redact(current)}`, true);
    current = new URL(location, current).toString();
  }
}

async function getOnce(raw: string, options: FetchOptions): Promise<SocketResponse> {
  let url: URL;
  try {
    url = screenUrl(raw, options.filter);
  } catch (err) {
    throw refused(raw, (err as Error).message);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await resolveAndCheck(host, options.policy, options.resolver ?? systemResolver);
  return socketRequest({
    url,
    // An IP literal or a name: the connection goes to the checked address in every case.
    address: addresses[0]!.address,
    method: options.method ?? 'GET',
    headers: {
      'user-agent': 'glimpse-web-download',
      accept: '*/*',
      ...(options.range ? { range: `bytes=${options.range.start}-${options.range.end}` } : {}),
    },
    connectTimeoutMs: options.connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    maxBytes: options.maxBytes,
    signal: options.signal,
    trustedCas: options.trustedCas,
  });
}

function accept(res: SocketResponse, url: string, options: FetchOptions): FetchedBody {
  const status = res.status;
  if (status < 200 || status >= 300) {
    res.body.destroy();
    throw new DownloadError(`${redact(url)} answered ${status} ${res.reason}`.trim(), status < 500 && status !== 429);
  }
  if (options.range && status !== 206) {
    res.body.destroy();
    throw new DownloadError(`${redact(url)} answered ${status} to a ranged GET`, true);
  }
  const length = res.contentLength;
  if (options.method === 'HEAD') return { body: res.body, size: length, url };
  if (length !== null && length > options.maxBytes) {
    res.body.destroy();
    throw new DownloadError(`the image is ${length} bytes, over the size cap of ${options.maxBytes}`, true);
  }
  // The body stream enforces the size cap, the idle timeout and a whole Content-Length or chunked body itself.
  return { body: res.body, size: length, url };
}
