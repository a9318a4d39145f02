import type { Request } from 'express';
import type { AppConfig } from '@glimpse/config';

/** The endpoint's own URL: the configured public URL, else what the client used to reach us. */
export function baseUrl(config: AppConfig, req: Request): string {
  if (config.http.publicUrl) return config.http.publicUrl;
  const host = req.get('host') ?? `${config.http.host}:${config.http.port}`;
  return `${req.protocol}://${host}`;
}
