import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import type { JobName, JobResults } from '@glimpse/contracts';
import { endImportState, IMPORT_LOCK_PROPERTY, IMPORTING_TO_STORES_PROPERTY, ImageStatus, importLockIsStale, storeList } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';

type Outcome = JobResults[typeof JobName.RecoverImage];

/**
 * The updater's work on one image: an import whose task died (finished, vanished, or silent past the lock
 * timeout) returns the image to `queued` as a failed import does, the task failed with the reason; an upload
 * whose API process stopped sending heartbeats returns to `queued` with its size cleared; a dead import lock on
 * any other image is released. Conditional writes: a live import or upload is never touched.
 */
@Injectable()
export class ImageRecovery {
  private readonly logger = new Logger(ImageRecovery.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async recover(imageId: string, now = new Date()): Promise<Outcome> {
    const image = await this.images.findById(imageId);
    if (!image) return { outcome: 'skipped' };
    if (image.status === ImageStatus.Saving) {
      if (now.getTime() - image.updatedAt.getTime() < this.config.updater.stuckSavingMs) return { outcome: 'live' };
      const back = await this.images.update(imageId, { status: ImageStatus.Saving, rev: image.rev }, {
        status: ImageStatus.Queued, size: null, virtualSize: null, checksum: null, osHashAlgo: null, osHashValue: null,
      });
      if (back) this.logger.warn(`upload of image ${imageId} stopped without a heartbeat: back to queued`);
      return { outcome: back ? 'requeued' : 'skipped' };
    }
    const taskId = image.properties[IMPORT_LOCK_PROPERTY];
    if (!taskId) return { outcome: 'skipped' };
    const task = await this.tasks.findById(taskId);
    if (!importLockIsStale(task, now, this.config.import.lockTimeoutMs)) return { outcome: 'live' };
    const properties = endImportState(image.properties, storeList(image.properties[IMPORTING_TO_STORES_PROPERTY]));
    const importing = image.status === ImageStatus.Importing;
    const done = await this.images.update(
      imageId,
      { status: image.status, rev: image.rev },
      importing ? { status: ImageStatus.Queued, size: null, virtualSize: null, properties } : { properties },
    );
    if (!done) return { outcome: 'skipped' };
    if (task && (task.status === 'pending' || task.status === 'processing')) {
      await this.tasks.transition(task.id, task.status, 'failure', { message: 'The import stopped without finishing (no progress past the lock timeout).' }).catch(() => undefined);
    }
    this.logger.warn(`released the dead import lock of image ${imageId} (task ${taskId})${importing ? ': back to queued' : ''}`);
    return { outcome: importing ? 'requeued' : 'unlocked' };
  }
}
