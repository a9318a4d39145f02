import { redact } from './redact-url.js';

/**
 * Why a download failed, and whether trying again could help: a refused URL, a 4xx answer, a size or hash
 * mismatch are permanent; timeouts, resets and 5xx answers are transient.
 */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export const refused = (url: string, why: string) =>
  new DownloadError(`URI for web-download does not pass filtering: ${redact(url)} (${why})`, true);
