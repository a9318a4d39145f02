import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACK_TO_QUEUED, type Image, IMPORTING_TO_STORES_PROPERTY } from '@glimpse/domain';
import { type ImageChanges, ImportOwner } from '@glimpse/persistence';
import { IMAGE_BYTES, type ImageBytes } from '../../image-data/image-data.ports.js';
import { isRetryable, messageOf } from '../../processors/job-failure.js';
import type { ImportInput, ImportRun } from '../import-run.js';
import type { ImportStep } from './import-step.js';

/**
 * The import's claim on its image: the task must still hold the import lock; the image then shows the import
 * (queued/uploading → importing, a v1 copy-from `saving`; copy-image stays active) and the stores being written.
 * Undo (on a permanent failure or the last attempt; a transient one keeps the claim for the retry): Glance's
 * revert, through the import owner: the lock released, the target stores listed as failed, the image back to
 * queued (a v1 copy-from: killed), the staged data removed, the task failed.
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
    await this.owner.rollBack(run.imageId, run.task.id, reason, { revert: (current) => revert(run.input, current), failedStores: run.input.targets });
    if (run.input.method === 'glance-direct') await this.bytes.removeStaged(run.imageId).catch(() => undefined);
  }
}

/** What a failed import changes on its image: an import's back to queued (a v1 copy-from: killed); copy-image nothing. */
function revert(input: ImportInput, current: Image): ImageChanges {
  // v1: a failed copy-from leaves the image killed, never queued again.
  if (input.v1 && current.status === 'saving') return { status: 'killed', size: null, virtualSize: null };
  const back = input.method !== 'copy-image' && (current.status === 'importing' || current.status === 'uploading');
  return back ? { ...BACK_TO_QUEUED } : {};
}
