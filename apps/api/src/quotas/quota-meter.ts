import type { QuotaResource } from '@glimpse/config';
import type { QuotaHold } from './quota.service.js';

/** The first extra reservation of a stream past its allowance; each later one asks for as much as it has (doubling). */
const FIRST_STEP = 8 * 1024 * 1024;

/**
 * Counts a body's bytes against a hold, as the image writer's `admit`: the first `allowance` bytes are already
 * reserved, more are reserved as they arrive, and the write fails with 413 the moment the project has no room
 * left. The steps double, so a long chunked upload reserves a few times (each a pass over the project's records),
 * not once per few MiB. It knows nothing of where the bytes come from.
 */
export class QuotaMeter {
  private seen = 0;
  private allowed: number;
  /** The quota error the write stopped with, if any (what the upload answers with). */
  failure: Error | undefined;

  constructor(
    private readonly hold: QuotaHold,
    private readonly resource: QuotaResource,
    allowance: number,
  ) {
    this.allowed = hold.limited(resource) ? allowance : Number.POSITIVE_INFINITY;
  }

  /** Nothing to wait for while within what is reserved; past it, the next reservation (rejecting when refused). */
  readonly admit = (chunk: Buffer): Promise<void> | undefined => {
    this.seen += chunk.length;
    if (this.seen <= this.allowed) return undefined;
    return this.hold.grow(this.resource, this.seen - this.allowed, Math.max(FIRST_STEP, this.allowed)).then(
      (granted) => {
        this.allowed += granted;
      },
      (err: Error) => {
        this.failure = err;
        throw err;
      },
    );
  };

  /** Throws the quota failure, if the write stopped with one. */
  assertWithinQuota(): void {
    if (this.failure) throw this.failure;
  }
}
