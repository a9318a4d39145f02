import type { Request } from 'express';
import type { ConfigOf } from '@glimpse/config';

/** The endpoint's own URL: the configured public URL, else what the client used to reach us. */
export function baseUrl(http: ConfigOf<'http'>, req: Request): string {
  if (http.publicUrl) return http.publicUrl;
  const host = req.get('host') ?? `${http.host}:${http.port}`;
  return `${req.protocol}://${host}`;
}
