import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import type { JobName, JobResults } from '@glimpse/contracts';
import { BACK_TO_QUEUED, CLOCK, type Clock, importLockHolder, IMPORTING_TO_STORES_PROPERTY, ImageStatus, importLockIsStale, storeList } from '@glimpse/domain';
import { ImageRepository, ImportOwner, TaskRepository, unwound } from '@glimpse/persistence';
import { StagingArea } from '@glimpse/storage';

type Outcome = JobResults[typeof JobName.RecoverImage];

/**
 * The updater's work on one image: an import whose task died (finished, vanished, or silent past the lock
 * timeout) is rolled back by the import owner as a failed import is (ImportOwner.rollBack: the image back to
 * `queued` by the one rule, a v1 copy-from, `saving`, killed; the task failed with the reason); an upload or unfinished stage whose API process stopped sending heartbeats returns to
 * `queued` with its size cleared; a dead import lock on
 * any other image is released. Conditional writes: a live import or upload is never touched.
 */
@Injectable()
export class ImageRecovery {
  private readonly logger = new Logger(ImageRecovery.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    private readonly staging: StagingArea,
    private readonly owner: ImportOwner,
    @InjectConfig('updater') private readonly updater: ConfigOf<'updater'>,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async recover(imageId: string): Promise<Outcome> {
    const now = new Date(this.clock.now());
    const image = await this.images.findById(imageId);
    if (!image) return { outcome: 'skipped' };
    // An upload, or a stage that has not finished (a finished one records its size), whose API process stopped
    // sending heartbeats: back to queued, with whatever the stage left in the staging area removed. A saving image
    // holding an import lock is a v1 copy-from: its task, not a heartbeat, says whether it lives.
    const staging = image.status === ImageStatus.Uploading && image.size === null;
    if ((image.status === ImageStatus.Saving && !importLockHolder(image)) || staging) {
      if (now.getTime() - image.updatedAt.getTime() < this.updater.stuckSavingMs) return { outcome: 'live' };
      const back = await this.images.update(imageId, { status: image.status, rev: image.rev }, BACK_TO_QUEUED);
      if (!back) return { outcome: 'skipped' };
      if (staging) await this.staging.remove(imageId);
      this.logger.warn(`${staging ? 'stage' : 'upload'} of image ${imageId} stopped without a heartbeat: back to queued`);
      return { outcome: 'requeued' };
    }
    const taskId = importLockHolder(image);
    if (!taskId) return { outcome: 'skipped' };
    const task = await this.tasks.findById(taskId);
    if (!importLockIsStale(task, now, this.importConfig.lockTimeoutMs)) return { outcome: 'live' };
    // The import owner's rollback, as a failed import ends: the same "back to queued" rule (a v1 copy-from,
    // saving, killed), the importing stores listed as failed, a queued image's staged data removed, the task failed.
    const reason = 'The import stopped without finishing (no progress past the lock timeout).';
    const found = await this.owner.rollBack(imageId, taskId, reason, {
      failedStores: storeList(image.properties[IMPORTING_TO_STORES_PROPERTY]),
      onQueued: () => this.staging.remove(imageId),
    });
    if (!found) return { outcome: 'skipped' };
    const after = unwound(found).status;
    this.logger.warn(`released the dead import lock of image ${imageId} (task ${taskId})${after ? `: ${after}` : ''}`);
    return { outcome: after ? 'requeued' : 'unlocked' };
  }
}
