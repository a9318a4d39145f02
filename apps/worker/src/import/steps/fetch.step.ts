import { Inject, Injectable } from '@nestjs/common';
import { TaskRepository } from '@glimpse/persistence';
import type { Store } from '@glimpse/storage';
import { FORMAT_GATE, type FormatGate, type FormatVerdict, IMAGE_BYTES, type ImageBytes, type StoredCopy } from '../../image-data/image-data.ports.js';
import type { ImportRun } from '../import-run.js';
import { ImportSources } from '../import-sources.js';
import { checkValidation, watch } from './copy-checks.js';
import { decompress } from './decompress.step.js';
import { meter } from './meter.step.js';

const MiB = 1024 * 1024;
/** A running import writes its progress (and so its liveness, which the import lock's takeover reads) this often. */
const PROGRESS_EVERY_MS = 1000;

/**
 * The import's one read of its source (the staged file, or the URL under the web-download guards): decompressed,
 * watched by the format gate and hashed on the way into `into` (a store, or the conversion's work area), its
 * progress written to the task; the copy must match validation_data. Returns the copy with the gate's verdict,
 * which the caller acts on. The copy is the caller's to remove when anything after the write fails.
 */
@Injectable()
export class FetchStep {
  constructor(
    private readonly sources: ImportSources,
    private readonly tasks: TaskRepository,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @Inject(FORMAT_GATE) private readonly gate: FormatGate,
  ) {}

  async fetch(run: ImportRun, into: string | Store, verb: string, onWritten: (copy: StoredCopy) => void): Promise<{ copy: StoredCopy; verdict: FormatVerdict }> {
    const image = run.image!;
    const source = await this.sources.open(run.input, image.id, run.signal);
    const watcher = this.gate.watcher();
    const progress = (done: number) => void this.tasks.progress(run.task.id, done, source.size, `${verb} ${Math.round(done / MiB)} MiB`).catch(() => undefined);
    const metered = meter(PROGRESS_EVERY_MS, progress);
    const copy = await this.bytes.write(into, image, await decompress(source.body), run.signal, (c) => {
      metered.see(c);
      watch(watcher, c);
    });
    metered.end();
    onWritten(copy);
    const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
    checkValidation(copy, run.input.validation);
    return { copy, verdict };
  }
}
