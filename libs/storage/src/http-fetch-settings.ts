import type { AppConfig } from '@glimpse/config';
import { AddressPolicy, DEFAULT_URL_FILTER } from '@glimpse/web-download';
import type { HttpFetchSettings } from './stores/http-store.js';

/**
 * The one definition of how Glimpse reaches an outside URL (web-download imports, http store locations): the
 * import URL filter, the internal-address policy, redirect limit, timeouts and the image size cap.
 */
/** The injectable HttpFetchSettings of this process (StorageModule provides it from the import and storage sections). */
export const HTTP_FETCH_SETTINGS = Symbol('HTTP_FETCH_SETTINGS');

export function httpFetchSettings(config: Pick<AppConfig, 'import' | 'storage'>): HttpFetchSettings {
  const web = config.import.webDownload;
  return {
    filter: { ...DEFAULT_URL_FILTER, ...web.filter },
    policy: new AddressPolicy(web.allowedNetworks),
    maxRedirects: web.maxRedirects,
    connectTimeoutMs: web.connectTimeoutMs,
    idleTimeoutMs: web.idleTimeoutMs,
    maxBytes: config.storage.imageSizeCap,
  };
}
