import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { CLOCK, type Clock } from '@glimpse/domain';
import { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { StoreRegistry } from '@glimpse/storage';
import { addCounts, fanOut, tickId } from './fan-out.js';
import type { Sweep } from './sweep.js';

/**
 * The auditor's tick: one audit-image job per active image (existence and size of every copy). A rotating
 * sample, continuing where the last tick stopped, is also re-hashed, up to GLIMPSE_AUDIT_BYTES_PER_RUN bytes.
 * Then every listable store is scanned for objects no image references (orphans), which are recorded.
 */
@Injectable()
export class AuditorSweep implements Sweep {
  readonly job = JobName.AuditorSweep;
  private readonly logger = new Logger(AuditorSweep.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly state: AuditFindingRepository,
    private readonly producer: JobProducer,
    private readonly stores: StoreRegistry,
    @InjectConfig('auditor') private readonly auditor: ConfigOf<'auditor'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const tick = tickId(payload.tick);
    const budget = this.auditor.bytesPerRun;
    const start = await this.state.cursor('auditor');
    let planned = 0;
    let last = start;
    // Set when an image did not fit what is left of the budget: the rotation stops there, and the next run starts
    // with that image (an image larger than the whole budget is passed over, or it would stop every run).
    let full = false;
    // First the images after the cursor (they are due for re-hashing first), then the ones before it.
    const visit = async (id: string, size: number, rehashable: boolean) => {
      let rehash = false;
      if (rehashable && !full && size <= budget) {
        if (planned + size <= budget) {
          planned += size;
          rehash = true;
          last = id;
        } else full = true;
      }
      return this.producer.enqueueNew(JobName.AuditImage, { imageId: id, rehash }, { jobId: `audit-${id}@${tick}` });
    };
    // The size comes with the candidate: no lookup per image.
    const first = await fanOut(this.images.streamActiveById(start), signal, (image) => visit(image.id, image.size ?? 0, true), this.logger);
    const wrapped = !full;
    const fanned = addCounts(first, await fanOut(this.images.streamActiveById('', start), signal, (image) => visit(image.id, image.size ?? 0, wrapped), this.logger));
    // Next tick re-hashes from where this one stopped (from the start again once every image had its turn).
    await this.state.setCursor('auditor', full ? last : '');
    const orphans = await this.findOrphans(signal);
    return { ...fanned, bytes: planned, orphans };
  }

  /**
   * Objects in a store that no image references: recorded as findings; the reaper removes them after a grace.
   * The images are looked up a batch of objects at a time.
   */
  private async findOrphans(signal: AbortSignal): Promise<number> {
    let orphans = 0;
    for (const store of this.stores.stores) {
      if (!store.listObjects) continue;
      let batch: { location: string; imageId: string }[] = [];
      const judge = async () => {
        const images = new Map((await this.images.findByIds(batch.map((o) => o.imageId))).map((i) => [i.id, i]));
        for (const object of batch) {
          if (images.get(object.imageId)?.locations.some((l) => l.store === store.id && l.url === object.location)) continue;
          await this.state.record({ imageId: object.imageId, store: store.id, problem: 'orphan', location: object.location, foundAt: new Date(this.clock.now()) });
          orphans++;
        }
        batch = [];
      };
      for await (const object of store.listObjects()) {
        signal.throwIfAborted();
        batch.push(object);
        if (batch.length === 500) await judge();
      }
      await judge();
    }
    return orphans;
  }
}
