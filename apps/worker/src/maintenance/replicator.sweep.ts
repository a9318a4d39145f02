import { Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
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
  private readonly logger = new Logger(ReplicatorSweep.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly stores: StoreRegistry,
    private readonly producer: JobProducer,
    @InjectConfig('replicator') private readonly replicator: ConfigOf<'replicator'>,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const tick = tickId(payload.tick);
    const policy = this.replicator.policy;
    const covered = policy.some((r) => r.visibility === '*') ? 'all' : policy.map((r) => r.visibility as Visibility);
    const writable = this.stores.writableIds;
    return fanOut(
      this.images.streamReplicationCandidates(covered),
      signal,
      async (image) =>
        replicaTargets(image, policy, writable).length > 0 &&
        this.producer.enqueueNew(JobName.ReplicateImage, { imageId: image.id }, { jobId: `replicate-${image.id}@${tick}` }),
      this.logger,
    );
  }
}
