/**
 * The Images API versions Glimpse answers to, newest first, as Glance 25.1 (multi-store, no cache) lists them.
 * Every id routes to the same /v2/ API.
 */
export const SUPPORTED_VERSIONS = [
  'v2.15', 'v2.13', 'v2.12', 'v2.11', 'v2.10', 'v2.9', 'v2.8', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0',
] as const;

/** With an image cache, Glance 25.1 lists the cache API's versions first, v2.16 CURRENT (2.14: /v2/cache). */
export const CACHE_VERSIONS = ['v2.16', 'v2.15', 'v2.14'] as const;

/** First path segments that select the v2 API (`/v2`, `/v2.0` … `/v2.15`; `/v2.14` and `/v2.16` with a cache). */
export const VERSION_PREFIXES: ReadonlySet<string> = new Set(['v2', ...SUPPORTED_VERSIONS]);
const CACHE_VERSION_PREFIXES: ReadonlySet<string> = new Set([...VERSION_PREFIXES, ...CACHE_VERSIONS]);

/** The v2 prefixes a deployment accepts: the cache's versions only when it has a cache. */
export function v2Prefixes(cache: boolean): ReadonlySet<string> {
  return cache ? CACHE_VERSION_PREFIXES : VERSION_PREFIXES;
}

/** The Images API v1's ids, listed after v2's as DEPRECATED when v1 is served (GLIMPSE_API_V1). */
export const V1_VERSIONS = ['v1.1', 'v1.0'] as const;
/** First path segments that select the v1 API (`/v1`, `/v1.0`, `/v1.1`). */
export const V1_PREFIXES: ReadonlySet<string> = new Set(['v1', ...V1_VERSIONS]);

export interface VersionsDocument {
  versions: { id: string; status: 'CURRENT' | 'SUPPORTED' | 'DEPRECATED'; links: { rel: 'self'; href: string }[] }[];
}

export function versionsDocument(baseUrl: string, options: { v1: boolean; cache?: boolean }): VersionsDocument {
  const base = baseUrl.replace(/\/+$/, '');
  const ids = options.cache ? [...CACHE_VERSIONS, ...SUPPORTED_VERSIONS.filter((id) => id !== 'v2.15')] : SUPPORTED_VERSIONS;
  const v2: VersionsDocument['versions'] = ids.map((id, i) => ({
    id,
    status: i === 0 ? 'CURRENT' : 'SUPPORTED',
    links: [{ rel: 'self', href: `${base}/v2/` }],
  }));
  const v1: VersionsDocument['versions'] = options.v1
    ? V1_VERSIONS.map((id) => ({ id, status: 'DEPRECATED', links: [{ rel: 'self', href: `${base}/v1/` }] }))
    : [];
  return { versions: [...v2, ...v1] };
}
