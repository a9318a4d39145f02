import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { CLOCK, type Clock } from '@glimpse/domain';
import { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { StagingArea, StoreRegistry } from '@glimpse/storage';
import { isRetryable, messageOf } from '../processors/job-failure.js';
import { fanOut, tickId } from './fan-out.js';
import type { Sweep } from './sweep.js';

/**
 * The reaper's tick: pages (by id) through the images that have something to reap — deleted ones still holding
 * data or past retention, pending_delete ones past scrub_time, killed ones past their grace — and enqueues one
 * reap-image job per image with an id made of the image and the tick, so a replayed tick adds nothing. It also
 * removes the temporary files of interrupted writes that nobody touched for GLIMPSE_PARTIAL_GRACE_MINUTES.
 */
@Injectable()
export class ReaperSweep implements Sweep {
  readonly job = JobName.ReaperSweep;
  private readonly logger = new Logger(ReaperSweep.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly producer: JobProducer,
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    private readonly findings: AuditFindingRepository,
    @InjectConfig('reaper') private readonly reaper: ConfigOf<'reaper'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const now = this.clock.now();
    const rules = this.reaper;
    const due = this.images.streamReapCandidates({
      deletedBefore: new Date(now - rules.deletedRetentionMs),
      pendingDeleteBefore: new Date(now - rules.scrubTimeMs),
      killedBefore: new Date(now - rules.killedGraceMs),
    });
    const tick = tickId(payload.tick);
    const fanned = await fanOut(
      due,
      signal,
      ({ id }) => this.producer.enqueueNew(JobName.ReapImage, { imageId: id }, { jobId: `reap-${id}@${tick}` }),
      this.logger,
    );
    // Temporary files of writes that died (a crashed worker or API process) in every store and in staging.
    let removed = await this.staging.removeStalePartials(rules.partialGraceMs, now);
    for (const store of this.stores.stores) removed += (await store.removeStalePartials?.(rules.partialGraceMs, now)) ?? 0;
    const orphans = await this.removeOrphans(new Date(now - rules.orphanGraceMs));
    return { ...fanned, errors: fanned.errors + orphans.errors, removed: removed + orphans.removed };
  }

  /**
   * Objects the auditor found unreferenced before `before`: each is checked again and removed only if still no
   * image references it (an upload that finished meanwhile keeps its bytes).
   */
  private async removeOrphans(before: Date): Promise<{ removed: number; errors: number }> {
    let removed = 0;
    let errors = 0;
    for (const finding of await this.findings.orphansFoundBefore(before)) {
      const store = this.stores.find(finding.store);
      const image = await this.images.findById(finding.imageId);
      const referenced = image?.locations.some((l) => l.store === finding.store && l.url === finding.location);
      if (store && !store.readOnly && finding.location && !referenced) {
        try {
          await store.delete(finding.location);
          removed++;
        } catch (err) {
          if (isRetryable(err)) throw err;
          // Kept as a finding: the next run tries it again.
          errors++;
          this.logger.warn(`orphan ${finding.location} in ${finding.store} could not be removed: ${messageOf(err)}`);
          continue;
        }
      }
      await this.findings.remove(finding.imageId, finding.store);
    }
    return { removed, errors };
  }
}
