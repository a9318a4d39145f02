import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { ImageStatus } from '@glimpse/domain';
import { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { StoreRegistry } from '@glimpse/storage';
import { fanOut, tickId } from './fan-out.js';
import type { Sweep } from './sweep.js';

/**
 * The auditor's tick: one audit-image job per active image (existence and size of every copy). A rotating
 * sample, continuing where the last tick stopped, is also re-hashed, up to GLIMPSE_AUDIT_BYTES_PER_RUN bytes.
 * Then every listable store is scanned for objects no image references (orphans), which are recorded.
 */
@Injectable()
export class AuditorSweep implements Sweep {
  readonly job = JobName.AuditorSweep;

  constructor(
    private readonly images: ImageRepository,
    private readonly state: AuditFindingRepository,
    private readonly producer: JobProducer,
    private readonly stores: StoreRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const tick = tickId(payload.tick);
    const budget = this.config.auditor.bytesPerRun;
    const start = await this.state.cursor('auditor');
    let planned = 0;
    let last = start;
    // First the images after the cursor (they are due for re-hashing first), then the ones before it.
    const visit = async (id: string, rehashable: boolean) => {
      let rehash = false;
      if (rehashable && planned < budget) {
        const size = (await this.images.findById(id))?.size ?? 0;
        if (planned + size <= budget) {
          planned += size;
          rehash = true;
          last = id;
        }
      }
      await this.producer.enqueue(JobName.AuditImage, { imageId: id, rehash }, { jobId: `audit-${id}@${tick}` });
    };
    let candidates = await fanOut(this.images.model, { status: ImageStatus.Active, _id: { $gt: start } }, signal, (id) => visit(id, true));
    const wrapped = planned < budget;
    candidates += await fanOut(this.images.model, { status: ImageStatus.Active, _id: { $lte: start } }, signal, (id) => visit(id, wrapped));
    // Next tick re-hashes from where this one stopped (from the start again once every image had its turn).
    await this.state.setCursor('auditor', planned < budget ? '' : last);
    const orphans = await this.findOrphans(signal);
    return { candidates, enqueued: candidates, bytes: planned, errors: 0, orphans };
  }

  /** Objects in a store that no image references: recorded as findings; the reaper removes them after a grace. */
  private async findOrphans(signal: AbortSignal): Promise<number> {
    let orphans = 0;
    for (const store of this.stores.stores) {
      if (!store.listObjects) continue;
      for await (const object of store.listObjects()) {
        signal.throwIfAborted();
        const image = await this.images.findById(object.imageId);
        if (image?.locations.some((l) => l.store === store.id && l.url === object.location)) continue;
        await this.state.record({ imageId: object.imageId, store: store.id, problem: 'orphan', location: object.location, foundAt: new Date() });
        orphans++;
      }
    }
    return orphans;
  }
}
