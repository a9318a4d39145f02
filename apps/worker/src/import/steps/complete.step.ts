import { Inject, Injectable } from '@nestjs/common';
import { type ImageLocation, invalid } from '@glimpse/domain';
import { ImportOwner, TaskRepository } from '@glimpse/persistence';
import { IMAGE_BYTES, type ImageBytes } from '../../image-data/image-data.ports.js';
import { type ImportOutcome, type ImportRun, writtenBy } from '../import-run.js';
import type { ImportStep } from './import-step.js';

/**
 * The import shows on its image: what it is about to show is noted on the task first (a run that dies before
 * closing the task is closed by the next), then, in one write under the re-checked lock, the new locations
 * (replacing copies the auditor found bad in the same stores), an import's checksums, size and status active,
 * and Glance's end state (lock released, failed stores listed). Fails when no store was written. The last step:
 * once it succeeded the copies are the image's and nothing is undone.
 */
@Injectable()
export class CompleteStep implements ImportStep {
  readonly name = 'complete';

  constructor(
    private readonly owner: ImportOwner,
    private readonly tasks: TaskRepository,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
  ) {}

  async run(run: ImportRun): Promise<void> {
    const written = writtenBy(run);
    if (written.length === 0) throw invalid(`The import failed on every store: ${run.failed.join(', ')}`);
    const { first, input, imageId } = run;
    const outcome: ImportOutcome = {
      image_id: imageId,
      stores: written.map((c) => c.location.store),
      failed_stores: run.failed,
      locations: written.map((c) => c.location.url),
      checksum: first?.checksum ?? null,
      size: written[0]!.size,
    };
    await this.tasks.noteOutcome(run.task.id, { ...outcome });
    let replaced: ImageLocation[] = [];
    await this.owner.end(imageId, run.task.id, run.failed, (current) => {
      if (current.status === 'deleted' || current.status === 'pending_delete') throw invalid(`Image ${imageId} was deleted during the import.`);
      // A new copy replaces a copy the auditor found bad in the same store.
      const into = new Set(written.map((c) => c.location.store));
      replaced = current.locations.filter((l) => l.status === 'bad' && into.has(l.store));
      const locations: ImageLocation[] = [...current.locations.filter((l) => !replaced.includes(l)), ...written.map((c) => c.location)];
      if (input.method === 'copy-image' || !first) return { locations };
      return {
        status: 'active',
        locations,
        size: first.size,
        checksum: first.checksum,
        osHashAlgo: first.osHashAlgo,
        osHashValue: first.osHashValue,
        virtualSize: first.virtualSize ?? null,
        ...(first.diskFormat ? { diskFormat: first.diskFormat } : {}),
      };
    });
    // The replaced bad copy's bytes, unless the new copy was written over them.
    run.outcome = outcome;
    const urls = new Set(written.map((c) => c.location.url));
    for (const old of replaced) if (!urls.has(old.url)) await this.bytes.remove(old).catch(() => undefined);
  }
}
