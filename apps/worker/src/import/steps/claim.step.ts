import { Inject, Injectable, Logger } from '@nestjs/common';
import { IMPORTING_TO_STORES_PROPERTY } from '@glimpse/domain';
import { ImportOwner } from '@glimpse/persistence';
import { IMAGE_BYTES, type ImageBytes } from '../../image-data/image-data.ports.js';
import { isRetryable, messageOf } from '../../processors/job-failure.js';
import type { ImportRun } from '../import-run.js';
import type { ImportStep } from './import-step.js';

/**
 * The import's claim on its image: the task must still hold the import lock; the image then shows the import
 * (queued/uploading → importing, a v1 copy-from `saving`; copy-image stays active) and the stores being written.
 * Undo (on a permanent failure or the last attempt; a transient one keeps the claim for the retry): Glance's
 * revert, through the import owner (ImportOwner.rollBack): the lock released, the target stores listed as
 * failed, the image back to queued by the one rule (a v1 copy-from: killed; copy-image: unchanged), the staged
 * data removed, then the task failed.
 */
@Injectable()
export class ClaimStep implements ImportStep {
  readonly name = 'claim';
  private readonly logger = new Logger(ClaimStep.name);

  constructor(
    private readonly owner: ImportOwner,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
  ) {}

  async run(run: ImportRun): Promise<void> {
    await this.owner.locked(run.imageId, run.task.id);
    run.image = await this.owner.save(run.imageId, run.task.id, (current) => {
      const properties = { ...current.properties, [IMPORTING_TO_STORES_PROPERTY]: run.input.targets.join(',') };
      const running = run.input.v1 ? 'saving' : 'importing';
      const move = run.input.method !== 'copy-image' && current.status !== running;
      return move ? { status: running, properties } : { properties };
    });
  }

  async undo(run: ImportRun, err: unknown): Promise<void> {
    if (!run.final && isRetryable(err)) return;
    const reason = messageOf(err);
    this.logger.warn(`import ${run.task.id} of image ${run.imageId} failed: ${reason}`);
    await this.owner.rollBack(run.imageId, run.task.id, reason, {
      failedStores: run.input.targets,
      onQueued: () => this.bytes.removeStaged(run.imageId).catch(() => undefined),
    });
  }
}
