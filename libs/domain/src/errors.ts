/**
 * The one error taxonomy of Glimpse (after Glance's exception hierarchy). Code anywhere throws these; the API's
 * exception filter alone turns them into HTTP answers, and workers turn them into retry or fail-now decisions.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'gone'
  | 'too-large'
  | 'unsupported-media-type'
  | 'range-not-satisfiable'
  | 'unavailable';

export class GlimpseError extends Error {
  /**
   * Whether the same work could succeed if tried again unchanged (a busy record, a database, queue or store that
   * does not answer): jobs retry it, the API answers it with 503. Every other kind is the request's or the data's
   * fault and is final. Explicit, so no caller guesses it from the kind.
   */
  readonly retryable: boolean;
  /**
   * The message is WebOb's *detail* (Glance passed it positionally: `HTTPNotFound(msg)`), so the answer's body
   * starts with the status's standard explanation line; otherwise the message is the explanation itself.
   */
  readonly asDetail: boolean;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Extra response headers, e.g. Allow on 405 or Accept-Patch on 415. */
    readonly headers: Record<string, string> = {},
    options: { retryable?: boolean; asDetail?: boolean } = {},
  ) {
    super(message);
    this.name = 'GlimpseError';
    this.retryable = options.retryable ?? kind === 'unavailable';
    this.asDetail = options.asDetail ?? false;
  }
}

export const invalid = (message: string) => new GlimpseError('invalid', message);
export const forbidden = (message: string) => new GlimpseError('forbidden', message);
export const notFound = (message = 'The resource could not be found.') => new GlimpseError('not-found', message);
export const conflict = (message: string) => new GlimpseError('conflict', message);
export const tooLarge = (message: string) => new GlimpseError('too-large', message);
export const unavailable = (message: string) => new GlimpseError('unavailable', message);
/**
 * A record stayed busy (other writers held it) for longer than a writer waits: the server's problem, not the
 * client's, so 503 with Retry-After, and a job retries.
 */
export const busy = (message: string) => new GlimpseError('unavailable', message, { 'Retry-After': '1' }, { retryable: true });
