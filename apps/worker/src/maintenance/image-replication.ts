import { Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName, type JobResults } from '@glimpse/contracts';
import { conflict, GlimpseError, ImageStatus, replicaTargets } from '@glimpse/domain';
import { ImageRepository, ImportOwner } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { StoreRegistry } from '@glimpse/storage';

type Outcome = JobResults[typeof JobName.ReplicateImage];

/**
 * The replicator's work on one image: the stores the placement policy wants it in, and those whose copy the
 * auditor found bad, get a new copy through a copy-image import task. The task takes the image's import lock
 * (so it never races a user's copy-image or another replication), copies from a good copy, verifies the new
 * copy against the image's checksums before adding its location (a bad copy in that store is replaced), and
 * reports in the image's task list and `os_glance_failed_import` like any copy-image.
 */
@Injectable()
export class ImageReplication {
  private readonly logger = new Logger(ImageReplication.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly owner: ImportOwner,
    private readonly producer: JobProducer,
    private readonly stores: StoreRegistry,
    @InjectConfig('replicator') private readonly replicator: ConfigOf<'replicator'>,
  ) {}

  async replicate(imageId: string): Promise<Outcome> {
    const image = await this.images.findById(imageId);
    if (!image || image.status !== ImageStatus.Active) return { outcome: 'skipped', stores: [] };
    if (!image.locations.some((l) => l.status === 'active')) return { outcome: 'no-source', stores: [] };
    const targets = replicaTargets(image, this.replicator.policy, this.stores.writableIds);
    if (targets.length === 0) return { outcome: 'in-place', stores: [] };
    let taskId: string;
    try {
      taskId = await this.owner.start({
        imageId,
        owner: image.owner,
        input: { import_req: { method: { name: 'copy-image' }, stores: targets }, backend: targets, requested_by: 'replicator' },
        requestId: null,
        userId: null,
        check: (current) => {
          if (current.status !== ImageStatus.Active) throw conflict(`Image ${imageId} is ${current.status}`);
        },
        enqueue: (id) => this.producer.enqueue(JobName.ImageImport, { taskId: id, imageId }, { jobId: id }),
        unqueued: 'The copy could not be queued',
      });
    } catch (err) {
      if (err instanceof GlimpseError && (err.kind === 'conflict' || err.kind === 'not-found')) return { outcome: 'busy', stores: [] };
      throw err;
    }
    this.logger.log(`image ${imageId}: copying into ${targets.join(', ')} (task ${taskId})`);
    return { outcome: 'copying', stores: targets, taskId };
  }
}
