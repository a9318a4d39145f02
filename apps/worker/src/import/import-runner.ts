import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ImageImportPayload, ImageImportResult } from '@glimpse/contracts';
import {
  BACK_TO_QUEUED,
  type DiskFormat,
  endImportState,
  GlimpseError,
  type Image,
  holdsImportLock,
  IMPORTING_TO_STORES_PROPERTY,
  type ImageLocation,
  IMPORT_METHODS,
  type ImportRequest,
  invalid,
  parseImportRequest,
  type Task,
  type ValidationData,
  V1_COPY_FROM,
} from '@glimpse/domain';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { assertImportLock, ImageRepository, TaskRepository } from '@glimpse/persistence';
import { FileStore } from '@glimpse/storage';
import { qemuDriver, QemuConverter } from './steps/qemu-convert.js';
import { isRetryable, messageOf } from '../processors/job-failure.js';
import { FORMAT_GATE, type FormatGate, type FormatWatcher, IMAGE_BYTES, type ImageBytes, type StoredCopy } from '../image-data/image-data.ports.js';
import { ImportSources } from './import-sources.js';
import { decompress } from './steps/decompress.step.js';
import { meter } from './steps/meter.step.js';

/** The task's stored request, read with the same parser the API used, and the stores it resolved. */
interface ImportInput extends ImportRequest {
  targets: string[];
  /** A v1 copy-from (V1_COPY_FROM): `saving` while it runs, `killed` when it fails (glance-v1 reference §6). */
  v1: boolean;
}

const MiB = 1024 * 1024;
/** A running import writes its progress (and so its liveness, which the import lock's takeover reads) this often. */
const PROGRESS_EVERY_MS = 1000;

/**
 * Runs one import task to its end: source → decompress → format gate → first store (checksums in the same
 * pass), then copies to the remaining stores verified by checksum. On failure the image goes back to `queued`
 * with its new bytes removed (copy-image: stays active; a v1 copy-from: `killed`), and the reason lands in the task and in
 * os_glance_failed_import. Safe to run again after a crash: every write replaces an unfinished one.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);
  private readonly conversion: ConfigOf<'import'>['conversion'];
  private readonly converter: QemuConverter;
  /** Where a conversion's input is written (through the image writer, like any store) and its output made. */
  private readonly workArea: FileStore;

  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    private readonly sources: ImportSources,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @Inject(FORMAT_GATE) private readonly gate: FormatGate,
    @InjectConfig('import') importConfig: ConfigOf<'import'>,
  ) {
    this.conversion = importConfig.conversion;
    this.converter = new QemuConverter({ memoryBytes: this.conversion.memoryBytes, infoCpuSeconds: 30 });
    this.workArea = new FileStore('os_glance_conversion_work', this.conversion.workDir);
  }

  /**
   * @param finalAttempt when false, a transient failure is thrown for BullMQ to retry and the image keeps its
   *   import status; when true (or the failure is permanent) the import is rolled back and the task fails.
   */
  async run(payload: ImageImportPayload, signal: AbortSignal, finalAttempt: boolean): Promise<ImageImportResult> {
    const task = await this.tasks.findById(payload.taskId);
    if (!task) throw invalid(`Task ${payload.taskId} no longer exists.`);
    if (task.status === 'success' || task.status === 'failure') return this.resultOf(task);
    if (task.status === 'pending') await this.tasks.transition(task.id, 'pending', 'processing', { message: 'Import started' });
    let input: ImportInput;
    try {
      input = parseInput(task, payload.uri);
    } catch (err) {
      // A record no parser accepts cannot be retried; its lock is free once the task has failed.
      await this.tasks.transition(task.id, 'processing', 'failure', { message: messageOf(err) }).catch(() => undefined);
      throw err;
    }
    const written: StoredCopy[] = [];
    const failed: string[] = [];
    // Once the image shows the import (active, lock released), its copies are the image's: nothing is undone.
    let finished = false;
    try {
      const earlier = await this.finishedEarlier(payload.imageId, task);
      if (earlier) return earlier;
      let image = await this.claimed(payload.imageId, task.id);
      image = await this.begin(image, input, task.id);
      if (input.method === 'copy-image') {
        for (const store of input.targets) await this.attempt(input, store, failed, () => this.copyExisting(image, store, task, signal), written);
      } else {
        const first = await this.importFirst(image, input, task, signal);
        written.push(first);
        for (const store of input.targets.slice(1)) await this.attempt(input, store, failed, () => this.copyFrom(image.id, first, store, signal), written);
      }
      // What the image is about to show, noted first: a run that dies before closing the task is closed by the next.
      const outcome: ImportOutcome = {
        image_id: image.id,
        stores: written.map((c) => c.location.store),
        failed_stores: failed,
        locations: written.map((c) => c.location.url),
        checksum: input.method === 'copy-image' ? null : (written[0]?.checksum ?? null),
        size: written[0]?.size ?? 0,
      };
      await this.tasks.noteOutcome(task.id, { ...outcome });
      await this.finish(image.id, task.id, input, written, failed);
      finished = true;
      const result = await this.close(task.id, outcome);
      if (input.method === 'glance-direct') await this.bytes.removeStaged(image.id).catch(() => undefined);
      return result;
    } catch (err) {
      if (finished) throw err; // the task is closed by a retry (finishedEarlier)
      await Promise.all(written.map((c) => this.bytes.remove(c.location).catch(() => undefined)));
      if (!finalAttempt && isRetryable(err)) throw err;
      await this.rollBack(payload.imageId, task.id, input, messageOf(err));
      throw err;
    }
  }

  /** The task succeeds with the outcome the image now shows. */
  private async close(taskId: string, outcome: ImportOutcome): Promise<ImageImportResult> {
    await this.tasks.transition(taskId, 'processing', 'success', {
      result: { image_id: outcome.image_id },
      message: `Copied ${Math.round(outcome.size / MiB)} MiB`,
    });
    return { imageId: outcome.image_id, stores: outcome.stores, failedStores: outcome.failed_stores };
  }

  /**
   * A run that died after the image showed its outcome but before closing the task (issue 20, item 9): the
   * image no longer holds this task's lock, yet has every copy the task noted (and, for an import, its checksum).
   * Then the import did succeed, and the task is closed so; any other state is left to the normal path.
   */
  private async finishedEarlier(imageId: string, task: Task): Promise<ImageImportResult | null> {
    const outcome = notedOutcome(task);
    if (!outcome) return null;
    const image = await this.images.findById(imageId);
    if (!image || holdsImportLock(image, task.id)) return null;
    if (image.status === 'deleted' || image.status === 'pending_delete') return null;
    const urls = new Set(image.locations.filter((l) => l.status === 'active').map((l) => l.url));
    const shown = outcome.locations.every((u) => urls.has(u)) && (outcome.checksum === null || (image.status === 'active' && image.checksum === outcome.checksum));
    return shown ? this.close(task.id, outcome) : null;
  }

  /** The image, if this task still holds its import lock. */
  private async claimed(imageId: string, taskId: string): Promise<Image> {
    const image = await this.images.findById(imageId);
    if (!image || image.status === 'deleted') throw invalid(`Image ${imageId} was deleted during the import.`);
    assertImportLock(image, taskId);
    return image;
  }

  /** queued/uploading → importing (not for copy-image), and the stores being written recorded on the image. */
  private async begin(image: Image, input: ImportInput, taskId: string): Promise<Image> {
    return this.images.mutate(image.id, (current) => {
      assertImportLock(current, taskId);
      const properties = { ...current.properties, [IMPORTING_TO_STORES_PROPERTY]: input.targets.join(',') };
      const running = input.v1 ? 'saving' : 'importing';
      const move = input.method !== 'copy-image' && current.status !== running;
      return move ? { status: running, properties } : { properties };
    });
  }

  private async importFirst(image: Image, input: ImportInput, task: Task, signal: AbortSignal): Promise<ImportedCopy> {
    if (this.conversion.target) return this.importConverted(image, input, task, signal);
    const source = await this.sources.open(input, image.id, signal);
    const watcher = this.gate.watcher();
    const progress = (done: number) => void this.tasks.progress(task.id, done, source.size, `Copied ${Math.round(done / MiB)} MiB`).catch(() => undefined);
    const metered = meter(PROGRESS_EVERY_MS, progress);
    const copy = await this.bytes.write(input.targets[0]!, image, await decompress(source.body), signal, (c) => {
      metered.see(c);
      watch(watcher, c);
    });
    metered.end();
    const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
    try {
      checkValidation(copy, input.validation);
    } catch (err) {
      await this.bytes.remove(copy.location).catch(() => undefined);
      throw err;
    }
    if (!verdict.ok) {
      await this.bytes.remove(copy.location).catch(() => undefined);
      throw new GlimpseError('unsupported-media-type', `Image format refused: ${verdict.reason ?? 'the data does not match the declared format'}`);
    }
    return { ...copy, virtualSize: verdict.virtualSize };
  }

  /**
   * The conversion path (GLIMPSE_IMPORT_CONVERT_TO): the data is written through the image writer into the work
   * area (decompressed, gated and hashed on the way, so validation_data checks what was downloaded), converted by
   * qemu-img when it is not already in the target format, and the result written to the first store; the image's
   * disk_format becomes the target. Work files are removed whatever happens.
   */
  private async importConverted(image: Image, input: ImportInput, task: Task, signal: AbortSignal): Promise<ImportedCopy> {
    const target = this.conversion.target!;
    let downloaded: StoredCopy | undefined;
    const converted = join(this.conversion.workDir, `${image.id}.out`);
    try {
      const source = await this.sources.open(input, image.id, signal);
      const watcher = this.gate.watcher();
      const progress = (done: number) => void this.tasks.progress(task.id, done, source.size, `Downloaded ${Math.round(done / MiB)} MiB`).catch(() => undefined);
      const metered = meter(PROGRESS_EVERY_MS, progress);
      downloaded = await this.bytes.write(this.workArea, image, await decompress(source.body), signal, (c) => {
        metered.see(c);
        watch(watcher, c);
      });
      metered.end();
      checkValidation(downloaded, input.validation);
      const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
      if (!verdict.ok) throw new GlimpseError('unsupported-media-type', `Image format refused: ${verdict.reason ?? 'the data does not match the declared format'}`);
      const driver = qemuDriver(verdict.format ?? 'unknown');
      if (!driver) throw invalid(`Image conversion refused: qemu-img cannot read ${verdict.format ?? 'this'} content.`);
      let file = fileURLToPath(downloaded.location.url);
      let virtualSize = verdict.virtualSize;
      if (driver !== qemuDriver(target)) {
        ({ virtualSize } = await this.converter.convert(file, driver, converted, target, signal));
        file = converted;
      }
      const copy = await this.bytes.write(input.targets[0]!, image, createReadStream(file), signal);
      return { ...copy, virtualSize, diskFormat: target };
    } finally {
      await Promise.all([downloaded && this.workArea.delete(downloaded.location.url), rm(converted, { force: true })]);
    }
  }

  private async copyExisting(image: Image, store: string, _task: Task, signal: AbortSignal): Promise<StoredCopy> {
    const from = image.locations.find((l) => l.status === 'active');
    if (!from) throw invalid(`Image ${image.id} has no copy to read from.`);
    const copy = await this.bytes.write(store, image, await this.bytes.read(from, signal), signal);
    return verifyAgainst(copy, image, this.bytes);
  }

  private async copyFrom(imageId: string, first: StoredCopy, store: string, signal: AbortSignal): Promise<StoredCopy> {
    const copy = await this.bytes.write(store, { id: imageId, osHashAlgo: first.osHashAlgo }, await this.bytes.read(first.location, signal), signal);
    return verifyAgainst(copy, { checksum: first.checksum, osHashValue: first.osHashValue, size: first.size }, this.bytes);
  }

  /** Per-store failure: fatal when every store must succeed, else recorded and the import goes on. */
  private async attempt(input: ImportInput, store: string, failed: string[], write: () => Promise<StoredCopy>, written: StoredCopy[]): Promise<void> {
    try {
      written.push(await write());
    } catch (err) {
      if (input.allStoresMustSucceed) throw err;
      this.logger.warn(`import to store ${store} failed: ${messageOf(err)}`);
      failed.push(store);
    }
  }

  private async finish(imageId: string, taskId: string, input: ImportInput, written: StoredCopy[], failed: string[]): Promise<Image> {
    if (written.length === 0) throw invalid(`The import failed on every store: ${failed.join(', ')}`);
    const [first] = written as [Partial<ImportedCopy> & StoredCopy];
    let replaced: ImageLocation[] = [];
    const image = await this.images.mutate(imageId, (current) => {
      assertImportLock(current, taskId);
      if (current.status === 'deleted' || current.status === 'pending_delete') throw invalid(`Image ${imageId} was deleted during the import.`);
      const properties = endImportState(current.properties, failed);
      // A new copy replaces a copy the auditor found bad in the same store.
      const into = new Set(written.map((c) => c.location.store));
      replaced = current.locations.filter((l) => l.status === 'bad' && into.has(l.store));
      const locations: ImageLocation[] = [...current.locations.filter((l) => !replaced.includes(l)), ...written.map((c) => c.location)];
      if (input.method === 'copy-image') return { locations, properties };
      return {
        status: 'active',
        locations,
        properties,
        size: first.size,
        checksum: first.checksum,
        osHashAlgo: first.osHashAlgo,
        osHashValue: first.osHashValue,
        virtualSize: first.virtualSize ?? null,
        ...(first.diskFormat ? { diskFormat: first.diskFormat } : {}),
      };
    });
    // The replaced bad copy's bytes, unless the new copy was written over them.
    const urls = new Set(written.map((c) => c.location.url));
    for (const old of replaced) if (!urls.has(old.url)) await this.bytes.remove(old).catch(() => undefined);
    return image;
  }

  /** Glance's revert: the lock released, the stores marked failed, an import's image back to queued. */
  private async rollBack(imageId: string, taskId: string, input: ImportInput, reason: string): Promise<void> {
    this.logger.warn(`import ${taskId} of image ${imageId} failed: ${reason}`);
    await this.images
      .mutate(imageId, (current) => {
        if (!holdsImportLock(current, taskId)) return {};
        const properties = endImportState(current.properties, input.targets);
        // v1: a failed copy-from leaves the image killed, never queued again.
        if (input.v1 && current.status === 'saving') return { status: 'killed', size: null, virtualSize: null, properties };
        const back = input.method !== 'copy-image' && (current.status === 'importing' || current.status === 'uploading');
        return back ? { ...BACK_TO_QUEUED, properties } : { properties };
      })
      .catch((err) => this.logger.error(`rolling back image ${imageId} failed: ${messageOf(err)}`));
    if (input.method === 'glance-direct') await this.bytes.removeStaged(imageId).catch(() => undefined);
    await this.tasks.transition(taskId, 'processing', 'failure', { message: reason, result: null }).catch(() => undefined);
  }

  /**
   * A replayed job of a closed task: what the task really did. A success reports the stores it wrote and those
   * that failed, as noted before its image showed them; a failure wrote nothing that stayed.
   */
  private resultOf(task: Task): ImageImportResult {
    const imageId = task.imageId ?? '';
    const outcome = notedOutcome(task);
    if (task.status === 'success' && outcome) return { imageId, stores: outcome.stores, failedStores: outcome.failed_stores };
    const targets = (task.input as { backend?: unknown } | null)?.backend;
    const failedStores = task.status === 'failure' && Array.isArray(targets) ? targets.filter((s): s is string => typeof s === 'string') : [];
    return { imageId, stores: [], failedStores };
  }
}

/** What a finishing import notes on its task (Task.outcome) before the image shows it. */
interface ImportOutcome {
  image_id: string;
  stores: string[];
  failed_stores: string[];
  /** The urls of the copies written. */
  locations: string[];
  /** The data's MD5 (null for copy-image, which adds copies of data the image already has). */
  checksum: string | null;
  size: number;
}

/** The outcome an import noted on its task, if it got that far (older records noted it in result.finishing). */
function notedOutcome(task: Task): ImportOutcome | null {
  const noted = (task.outcome ?? (task.result as { finishing?: unknown } | null)?.finishing ?? null) as ImportOutcome | null;
  return noted && Array.isArray(noted.stores) && Array.isArray(noted.failed_stores) ? noted : null;
}

/** The first copy of an import, with what the format gate found. */
type ImportedCopy = StoredCopy & { virtualSize: number | null; diskFormat?: DiskFormat };

/** The task's import request; `uri`, when the job carries it, is the web-download URI the task shows redacted. */
function parseInput(task: Task, uri: string | undefined): ImportInput {
  const input = (task.input ?? {}) as { import_req?: unknown; backend?: unknown; api?: unknown };
  const targets = Array.isArray(input.backend) ? input.backend.filter((s): s is string => typeof s === 'string') : [];
  if (targets.length === 0) throw invalid(`Task ${task.id} names no target store.`);
  const req = parseImportRequest(input.import_req, IMPORT_METHODS);
  return { ...req, ...(uri !== undefined && req.method === 'web-download' ? { uri } : {}), targets, v1: input.api === V1_COPY_FROM };
}

/** The user's expected size and hash (validation_data), checked before the image turns active. */
function checkValidation(copy: Pick<StoredCopy, 'size' | 'checksum' | 'osHashAlgo' | 'osHashValue'>, expected: ValidationData | undefined): void {
  if (!expected) return;
  if (expected.size !== undefined && expected.size !== copy.size) {
    throw invalid(`Imported data is ${copy.size} bytes, validation_data expects ${expected.size}.`);
  }
  if (expected.osHashAlgo === undefined) return;
  const actual = expected.osHashAlgo === 'md5' ? copy.checksum : expected.osHashAlgo === copy.osHashAlgo ? copy.osHashValue : null;
  if (actual === null) throw invalid(`validation_data uses ${expected.osHashAlgo}, which this deployment does not compute.`);
  if (actual !== expected.osHashValue) throw invalid(`Imported data does not match validation_data: ${expected.osHashAlgo} mismatch.`);
}


/** Feeds the format watcher; a refusal already certain from the headers stops the transfer at once. */
function watch(watcher: FormatWatcher, chunk: Buffer): void {
  watcher.push(chunk);
  const refusal = watcher.earlyRefusal();
  if (refusal) throw new GlimpseError('unsupported-media-type', `Image format refused: ${refusal.reason}`);
}

/** A copy must hold the same bytes as the image already records, or it is removed and refused. */
async function verifyAgainst(copy: StoredCopy, expected: Pick<Image, 'checksum' | 'osHashValue' | 'size'>, bytes: ImageBytes): Promise<StoredCopy> {
  const same = copy.size === expected.size && copy.checksum === expected.checksum && (!expected.osHashValue || copy.osHashValue === expected.osHashValue);
  if (same) return copy;
  await bytes.remove(copy.location).catch(() => undefined);
  throw invalid(`The copy in store ${copy.location.store} does not match the image's checksums.`);
}
