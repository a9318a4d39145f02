import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { CLOCK, type Clock } from '@glimpse/domain';
import { ImageRepository, ProjectUsageRepository, QuotaLedgerRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { fanOut, tickId } from './fan-out.js';
import type { Sweep } from './sweep.js';

/**
 * The updater: fans out a recover-image job for every image that may be stuck — importing, saving or staging
 * (uploading without a size) without a recent heartbeat, or holding an import lock — (the job decides, from the task and the lock timeout), then
 * recomputes per-project usage counters (image count and bytes per status) from the records, and removes the quota
 * holds whose owner died (a request without heartbeat for GLIMPSE_STUCK_SAVING_MINUTES, an import whose task ended).
 */
@Injectable()
export class UpdaterSweep implements Sweep {
  readonly job = JobName.UpdaterSweep;
  private readonly logger = new Logger(UpdaterSweep.name);

  constructor(
    private readonly usage: ProjectUsageRepository,
    private readonly quotaLedger: QuotaLedgerRepository,
    private readonly images: ImageRepository,
    private readonly producer: JobProducer,
    @InjectConfig('updater') private readonly updater: ConfigOf<'updater'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const stuckBefore = new Date(this.clock.now() - this.updater.stuckSavingMs);
    const tick = tickId(payload.tick);
    const fanned = await fanOut(
      this.images.streamStuck(stuckBefore),
      signal,
      ({ id }) => this.producer.enqueueNew(JobName.RecoverImage, { imageId: id }, { jobId: `recover-${id}@${tick}` }),
      this.logger,
    );
    const projects = await this.usage.recompute();
    const holdsDropped = await this.quotaLedger.dropDeadHolds();
    return { ...fanned, projects, holdsDropped };
  }
}
