/** Glance's api_limit_max: a larger `limit` is capped silently. */
export const LIMIT_MAX = 1000;

/**
 * `first` (the request's query without its marker) and, when the page was full, `next` (the same with the last
 * image as marker). Every parameter is kept as sent, repeated ones included (Glance keeps only the last `tag`).
 */
export function pageLinks(requestUrl: string, nextMarker: string | undefined): { first: string; next?: string } {
  const params = new URLSearchParams(requestUrl.includes('?') ? requestUrl.slice(requestUrl.indexOf('?') + 1) : '');
  params.delete('marker');
  const query = params.toString();
  const first = `/v2/images${query ? `?${query}` : ''}`;
  if (nextMarker === undefined) return { first };
  params.append('marker', nextMarker);
  return { first, next: `/v2/images?${params.toString()}` };
}
