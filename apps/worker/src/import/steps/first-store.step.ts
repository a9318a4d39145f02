import { Inject, Injectable } from '@nestjs/common';
import { IMAGE_BYTES, type ImageBytes } from '../../image-data/image-data.ports.js';
import type { ImportRun } from '../import-run.js';
import { checkVerdict } from './copy-checks.js';
import { FetchStep } from './fetch.step.js';
import type { ImportStep } from './import-step.js';

/**
 * An import's data into its first store (checksums in the same pass), refused when it does not match
 * validation_data or the format gate refuses it. Undo: the copy is removed.
 */
@Injectable()
export class FirstStoreStep implements ImportStep {
  readonly name = 'first-store';

  constructor(
    private readonly fetcher: FetchStep,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
  ) {}

  async run(run: ImportRun): Promise<void> {
    const { copy, verdict } = await this.fetcher.fetch(run, run.input.targets[0]!, 'Copied', (c) => (run.first = { ...c, virtualSize: null }));
    checkVerdict(verdict);
    run.first = { ...copy, virtualSize: verdict.virtualSize };
  }

  async undo(run: ImportRun): Promise<void> {
    if (run.first) await this.bytes.remove(run.first.location).catch(() => undefined);
  }
}
