import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { replicaTargets, type Visibility } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { fanOut, tickId } from './fan-out.js';
import { StoreRegistry } from '@glimpse/storage';
import type { Sweep } from './sweep.js';

/**
 * The replicator's tick: pages through the active images the policy covers (only those with a bad copy when
 * there is no policy), judges each page from the records alone, and fans out a replicate-image job for every
 * image short of copies. The job starts the copy; this tick never touches data.
 */
@Injectable()
export class ReplicatorSweep implements Sweep {
  readonly job = JobName.ReplicatorSweep;

  constructor(
    private readonly images: ImageRepository,
    private readonly stores: StoreRegistry,
    private readonly producer: JobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const tick = tickId(payload.tick);
    const policy = this.config.replicator.policy;
    const covered = policy.some((r) => r.visibility === '*') ? 'all' : policy.map((r) => r.visibility as Visibility);
    const writable = this.stores.writableIds;
    let enqueued = 0;
    const candidates = await fanOut(this.images.streamReplicationCandidates(covered), signal, async (image) => {
      if (replicaTargets(image, policy, writable).length === 0) return;
      await this.producer.enqueue(JobName.ReplicateImage, { imageId: image.id }, { jobId: `replicate-${image.id}@${tick}` });
      enqueued++;
    });
    return { candidates, enqueued, bytes: 0, errors: 0 };
  }
}
