import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type ConfigOf, InjectConfig, limitsOf, QUOTA_RESOURCES, type QuotaResource } from '@glimpse/config';
import { tooLarge } from '@glimpse/domain';
import { type HoldResult, QuotaLedgerRepository, type QuotaUsage } from '@glimpse/persistence';

const MiB = 1024 * 1024;
/** Resources counted in bytes (their limits and /v2/info/usage figures are MiB). */
const IN_BYTES: readonly QuotaResource[] = ['image_size_total', 'image_stage_total'];

/**
 * Quotas after Glance's unified limits. An operation that adds usage first takes a hold (413 when it does not
 * fit), does its work, and releases the hold once the image records show what it added, or it failed.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger('quotas');

  constructor(
    private readonly ledger: QuotaLedgerRepository,
    @InjectConfig('quotas') private readonly quotas: ConfigOf<'quotas'>,
  ) {}

  /**
   * Claims `amounts` (units: bytes, images) for the image: what it will use once the operation is done. 413 when
   * that does not fit; a project without limits gets a no-op hold.
   */
  async hold(project: string | null, image: string, amounts: Partial<QuotaUsage>, task?: string): Promise<QuotaHold> {
    const limits = this.unitLimits(project);
    if (project === null || limits === null) return new QuotaHold(null, '', null, this.logger);
    const id = task ?? randomUUID();
    const hold = new QuotaHold(this.ledger, project, { id, image, limits }, this.logger);
    const result = await this.ledger.reserve(project, id, { image, limits, amounts, task });
    if (!result.ok) throw overLimit(project, result);
    return hold;
  }

  /** GET /v2/info/usage: `{}` when no quota is configured (as Glance without unified limits), else every limit and usage. */
  async report(project: string | null): Promise<{ usage: Record<string, { limit: number; usage: number }> }> {
    if (!this.quotas.enabled) return { usage: {} };
    const limits = limitsOf(this.quotas, project);
    const used = await this.ledger.usage(project ?? '');
    const usage: Record<string, { limit: number; usage: number }> = {};
    for (const r of QUOTA_RESOURCES) usage[r] = { limit: limits[r], usage: IN_BYTES.includes(r) ? Math.floor(used[r] / MiB) : used[r] };
    return { usage };
  }

  /** The project's limits in units, or null when it has none. */
  private unitLimits(project: string | null): QuotaUsage | null {
    if (!this.quotas.enabled) return null;
    const limits = limitsOf(this.quotas, project);
    if (QUOTA_RESOURCES.every((r) => limits[r] < 0)) return null;
    const out = { ...limits };
    for (const r of IN_BYTES) if (out[r] >= 0) out[r] *= MiB;
    return out;
  }
}

/** One operation's reservation. Release it exactly when its records show its usage, or it failed. */
export class QuotaHold {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    private readonly ledger: QuotaLedgerRepository | null,
    private readonly project: string,
    private readonly held: { id: string; image: string; limits: QuotaUsage } | null,
    private readonly logger: Logger,
  ) {}

  /** Whether the project has a limit on `resource` (a stream without one needs no allowance). */
  limited(resource: QuotaResource): boolean {
    return this.held !== null && this.held.limits[resource] >= 0;
  }

  /**
   * Reserves at least `needed` more units of `resource`, up to `wanted` when there is room (the ledger grants at
   * most half the room left); 413 when `needed` does not fit. Resolves with what was granted.
   */
  async grow(resource: QuotaResource, needed: number, wanted = needed): Promise<number> {
    if (!this.ledger || !this.held || !this.limited(resource)) return Number.POSITIVE_INFINITY;
    const result = await this.ledger.reserve(this.project, this.held.id, {
      image: this.held.image,
      limits: this.held.limits,
      amounts: {},
      flexible: { resource, min: needed, max: Math.max(needed, wanted) },
    });
    if (!result.ok) throw overLimit(this.project, result);
    return result.granted[resource] ?? 0;
  }

  /** Heartbeats the hold while a long upload runs, so it is not mistaken for a dead one. */
  keepAlive(everyMs: number): void {
    if (!this.ledger || !this.held || this.timer) return;
    const { ledger, project, held } = this;
    this.timer = setInterval(() => void ledger.touch(project, held.id).catch(() => undefined), everyMs);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.released || !this.ledger || !this.held) return;
    this.released = true;
    // A hold that cannot be removed now is dropped as dead later (TTL, or its task's end).
    await this.ledger.release(this.project, this.held.id).catch((err) => this.logger.warn({ err, hold: this.held?.id }, 'could not release a quota hold'));
  }
}

/** Glance's answer for a project over a unified limit: 413 naming the resource, its limit, usage and the asked delta. */
export function overLimit(project: string, over: Extract<HoldResult, { ok: false }>) {
  const mib = IN_BYTES.includes(over.resource);
  const limit = mib ? over.limit / MiB : over.limit;
  const used = mib ? Math.floor(over.used / MiB) : over.used;
  const delta = mib ? Math.ceil(over.delta / MiB) : over.delta;
  return tooLarge(
    `Project ${project} is over a limit for [Resource ${over.resource} is over limit of ${limit} due to current usage ${used} and delta ${delta}]`,
  );
}
