import { Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import type { JobName, JobResults } from '@glimpse/contracts';
import { BACK_TO_QUEUED, endImportState, importLockHolder, IMPORTING_TO_STORES_PROPERTY, ImageStatus, importLockIsStale, storeList } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { StagingArea } from '@glimpse/storage';

type Outcome = JobResults[typeof JobName.RecoverImage];

/**
 * The updater's work on one image: an import whose task died (finished, vanished, or silent past the lock
 * timeout) returns the image to `queued` as a failed import does (a v1 copy-from, `saving`, is killed), the task
 * failed with the reason; an upload or unfinished stage whose API process stopped sending heartbeats returns to
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
    @InjectConfig('updater') private readonly updater: ConfigOf<'updater'>,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
  ) {}

  async recover(imageId: string, now = new Date()): Promise<Outcome> {
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
    const properties = endImportState(image.properties, storeList(image.properties[IMPORTING_TO_STORES_PROPERTY]));
    const importing = image.status === ImageStatus.Importing || image.status === ImageStatus.Saving;
    // v1's rule for a copy-from that died: killed; a v2 import goes back to queued.
    const after = image.status === ImageStatus.Saving ? ImageStatus.Killed : ImageStatus.Queued;
    const done = await this.images.update(
      imageId,
      { status: image.status, rev: image.rev },
      importing ? { ...BACK_TO_QUEUED, status: after, properties } : { properties },
    );
    if (!done) return { outcome: 'skipped' };
    if (task && (task.status === 'pending' || task.status === 'processing')) {
      await this.tasks.transition(task.id, task.status, 'failure', { message: 'The import stopped without finishing (no progress past the lock timeout).' }).catch(() => undefined);
    }
    this.logger.warn(`released the dead import lock of image ${imageId} (task ${taskId})${importing ? `: ${after}` : ''}`);
    return { outcome: importing ? 'requeued' : 'unlocked' };
  }
}
