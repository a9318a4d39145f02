import { Inject, Injectable, Logger } from '@nestjs/common';
import { invalid } from '@glimpse/domain';
import { IMAGE_BYTES, type ImageBytes, type StoredCopy } from '../../image-data/image-data.ports.js';
import { messageOf } from '../../processors/job-failure.js';
import type { ImportRun } from '../import-run.js';
import { verifyAgainst } from './copy-checks.js';
import type { ImportStep } from './import-step.js';

/**
 * Copies to the stores the first step did not write: an import's remaining targets, read back from its first
 * copy; every target of a copy-image, read from the image's active copy. Each copy is verified by checksum
 * against its source. A store that fails is recorded and the import goes on, unless every store must succeed
 * (all_stores_must_succeed). Undo: the copies written are removed.
 */
@Injectable()
export class OtherStoresStep implements ImportStep {
  readonly name = 'other-stores';
  private readonly logger = new Logger(OtherStoresStep.name);

  constructor(@Inject(IMAGE_BYTES) private readonly bytes: ImageBytes) {}

  async run(run: ImportRun): Promise<void> {
    const stores = run.first ? run.input.targets.slice(1) : run.input.targets;
    for (const store of stores) {
      try {
        run.copies.push(await this.copy(run, store));
      } catch (err) {
        if (run.input.allStoresMustSucceed) throw err;
        this.logger.warn(`import to store ${store} failed: ${messageOf(err)}`);
        run.failed.push(store);
      }
    }
  }

  async undo(run: ImportRun): Promise<void> {
    await Promise.all(run.copies.map((c) => this.bytes.remove(c.location).catch(() => undefined)));
  }

  private async copy(run: ImportRun, store: string): Promise<StoredCopy> {
    const { first, signal } = run;
    const image = run.image!;
    if (first) {
      const copy = await this.bytes.write(store, { id: image.id, osHashAlgo: first.osHashAlgo }, await this.bytes.read(first.location, signal), signal);
      return verifyAgainst(copy, { checksum: first.checksum, osHashValue: first.osHashValue, size: first.size }, this.bytes);
    }
    const from = image.locations.find((l) => l.status === 'active');
    if (!from) throw invalid(`Image ${image.id} has no copy to read from.`);
    const copy = await this.bytes.write(store, image, await this.bytes.read(from, signal), signal);
    return verifyAgainst(copy, image, this.bytes);
  }
}
