import { isIP } from 'node:net';

/** Glance's [import_filtering_opts], same names and defaults. */
export interface UrlFilterOptions {
  allowedSchemes: string[];
  disallowedSchemes: string[];
  allowedHosts: string[];
  disallowedHosts: string[];
  allowedPorts: number[];
  disallowedPorts: number[];
}

export const DEFAULT_URL_FILTER: UrlFilterOptions = {
  allowedSchemes: ['http', 'https'],
  disallowedSchemes: [],
  allowedHosts: [],
  disallowedHosts: [],
  allowedPorts: [80, 443],
  disallowedPorts: [],
};

/** Only these can ever be fetched, whatever the configuration says (never `file:`). */
const SUPPORTED_SCHEMES = new Set(['http', 'https']);

/** An allow-list wins; the deny-list applies only when the allow-list is empty (Glance's rule). */
function passes<T>(value: T, allowed: readonly T[], disallowed: readonly T[]): boolean {
  return allowed.length ? allowed.includes(value) : !disallowed.includes(value);
}

/**
 * Parses and screens a URL before anything is resolved or fetched. Returns the URL, or throws with the
 * reason. Hosts written as IP addresses must be in canonical form (no `2130706433`, `0x7f000001`, `127.1`).
 */
export function screenUrl(raw: string, options: UrlFilterOptions): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('not a valid absolute URL');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!SUPPORTED_SCHEMES.has(scheme)) throw new Error(`scheme ${scheme} is not supported`);
  if (!passes(scheme, options.allowedSchemes, options.disallowedSchemes)) throw new Error(`scheme ${scheme} is not allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!host) throw new Error('no host');
  const written = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(raw)?.[1]?.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) && written !== host) throw new Error(`host ${written ?? '?'} is an IP address in non-canonical form`);
  if (/^[\d.]+$/.test(host) && !isIP(host)) throw new Error(`host ${host} is not a valid address`);
  if (!passes(host, options.allowedHosts, options.disallowedHosts)) throw new Error(`host ${host} is not allowed`);
  if (url.port !== '') {
    const port = Number(url.port);
    if (!passes(port, options.allowedPorts, options.disallowedPorts)) throw new Error(`port ${port} is not allowed`);
  } else if (options.allowedPorts.length && !options.allowedPorts.includes(scheme === 'https' ? 443 : 80)) {
    throw new Error(`port ${scheme === 'https' ? 443 : 80} is not allowed`);
  }
  return url;
}
