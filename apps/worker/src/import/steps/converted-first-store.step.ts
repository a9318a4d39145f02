import { Inject, Injectable } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { invalid } from '@glimpse/domain';
import { FileStore } from '@glimpse/storage';
import { IMAGE_BYTES, type ImageBytes, type StoredCopy } from '../../image-data/image-data.ports.js';
import type { ImportRun } from '../import-run.js';
import { checkVerdict } from './copy-checks.js';
import { FetchStep } from './fetch.step.js';
import type { ImportStep } from './import-step.js';
import { qemuDriver, QemuConverter } from './qemu-convert.js';

/**
 * The first store's copy when imports convert (GLIMPSE_IMPORT_CONVERT_TO): the data is fetched through the image
 * writer into the work area (decompressed, gated and hashed on the way, so validation_data checks what was
 * downloaded), converted by qemu-img when it is not already in the target format, and the result written to
 * the first store; the image's disk_format becomes the target. Work files are removed whatever happens.
 * Undo: the first store's copy is removed.
 */
@Injectable()
export class ConvertedFirstStoreStep implements ImportStep {
  readonly name = 'converted-first-store';
  private readonly conversion: ConfigOf<'import'>['conversion'];
  private readonly converter: QemuConverter;
  /** Where a conversion's input is written (through the image writer, like any store) and its output made. */
  private readonly workArea: FileStore;

  constructor(
    private readonly fetcher: FetchStep,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @InjectConfig('import') importConfig: ConfigOf<'import'>,
  ) {
    this.conversion = importConfig.conversion;
    this.converter = new QemuConverter({ memoryBytes: this.conversion.memoryBytes, infoCpuSeconds: 30 });
    this.workArea = new FileStore('os_glance_conversion_work', this.conversion.workDir);
  }

  /** Whether imports convert (this step replaces FirstStoreStep). */
  get enabled(): boolean {
    return Boolean(this.conversion.target);
  }

  async run(run: ImportRun): Promise<void> {
    const target = this.conversion.target!;
    const image = run.image!;
    let downloaded: StoredCopy | undefined;
    const converted = join(this.conversion.workDir, `${image.id}.out`);
    try {
      const fetched = await this.fetcher.fetch(run, this.workArea, 'Downloaded', (c) => (downloaded = c));
      const { verdict } = fetched;
      checkVerdict(verdict);
      const driver = qemuDriver(verdict.format ?? 'unknown');
      if (!driver) throw invalid(`Image conversion refused: qemu-img cannot read ${verdict.format ?? 'this'} content.`);
      let file = fileURLToPath(fetched.copy.location.url);
      let virtualSize = verdict.virtualSize;
      if (driver !== qemuDriver(target)) {
        ({ virtualSize } = await this.converter.convert(file, driver, converted, target, run.signal));
        file = converted;
      }
      const copy = await this.bytes.write(run.input.targets[0]!, image, createReadStream(file), run.signal);
      run.first = { ...copy, virtualSize, diskFormat: target };
    } finally {
      await Promise.all([downloaded && this.workArea.delete(downloaded.location.url), rm(converted, { force: true })]);
    }
  }

  async undo(run: ImportRun): Promise<void> {
    if (run.first) await this.bytes.remove(run.first.location).catch(() => undefined);
  }
}
