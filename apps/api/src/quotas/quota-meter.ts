import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import type { QuotaResource } from '@glimpse/config';
import { feed } from '../images/data/request-body.js';
import type { QuotaHold } from './quota.service.js';

/** The first extra reservation of a stream past its allowance; each later one asks for as much as it has (doubling). */
const FIRST_STEP = 8 * 1024 * 1024;

/**
 * Counts a body's bytes against a hold: the first `allowance` bytes are already reserved, more are reserved as
 * they arrive, and the stream fails with 413 the moment the project has no room left. The steps double, so a
 * long chunked upload reserves a few times (each a pass over the project's records), not once per few MiB.
 */
export class QuotaMeter extends Transform {
  private seen = 0;
  private allowed: number;
  /** The quota error the stream stopped with, if any (what the upload answers with). */
  failure: Error | undefined;

  constructor(
    private readonly hold: QuotaHold,
    private readonly resource: QuotaResource,
    allowance: number,
  ) {
    super();
    this.allowed = hold.limited(resource) ? allowance : Number.POSITIVE_INFINITY;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen <= this.allowed) return done(null, chunk);
    this.hold.grow(this.resource, this.seen - this.allowed, Math.max(FIRST_STEP, this.allowed)).then(
      (granted) => {
        this.allowed += granted;
        done(null, chunk);
      },
      (err: Error) => {
        this.failure = err;
        done(err);
      },
    );
  }

  /**
   * Feeds the request through this meter into `sink`. A failure of the body (client gone) destroys the sink with
   * it; a quota failure only cuts the sink short, since its reader may not listen yet: callers check `failure`.
   */
  carry(req: IncomingMessage, sink: Writable, client: AbortSignal): void {
    // No limit to count against: the body goes straight to the sink (a file store's ring, without a stream stage).
    if (this.allowed === Number.POSITIVE_INFINITY) return feed(req, sink, client);
    feed(req, this, client);
    this.on('error', (err) => sink.destroy(err === this.failure ? undefined : err));
    this.pipe(sink);
  }

  /** Throws the quota failure, if the stream stopped with one. */
  assertWithinQuota(): void {
    if (this.failure) throw this.failure;
  }
}
