import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ImageImportPayload, ImageImportResult } from '@glimpse/contracts';
import { holdsImportLock, invalid, type Task } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { IMAGE_BYTES, type ImageBytes } from '../image-data/image-data.ports.js';
import { messageOf } from '../processors/job-failure.js';
import { type ImportOutcome, type ImportRun, notedOutcome, parseInput } from './import-run.js';
import { ClaimStep } from './steps/claim.step.js';
import { CompleteStep } from './steps/complete.step.js';
import { ConvertedFirstStoreStep } from './steps/converted-first-store.step.js';
import { FirstStoreStep } from './steps/first-store.step.js';
import { type ImportStep, runSteps } from './steps/import-step.js';
import { OtherStoresStep } from './steps/other-stores.step.js';

const MiB = 1024 * 1024;

/**
 * Runs one import task to its end, as steps that each undo themselves when a later one fails: claim (the lock,
 * the image importing) → first store (source → decompress → format gate → store, checksums in the same pass;
 * converted first when imports convert) → the other stores (copies verified by checksum) → complete (the image
 * shows the import). copy-image has no first-store step. On failure the new bytes are removed and, on a
 * permanent failure or the last attempt, the image goes back to `queued` (copy-image: stays active; a v1
 * copy-from: `killed`) with the reason in the task and in os_glance_failed_import. Safe to run again after a
 * crash: every write replaces an unfinished one.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    private readonly claim: ClaimStep,
    private readonly firstStore: FirstStoreStep,
    private readonly convertedFirstStore: ConvertedFirstStoreStep,
    private readonly otherStores: OtherStoresStep,
    private readonly complete: CompleteStep,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
  ) {}

  /**
   * @param finalAttempt when false, a transient failure is thrown for BullMQ to retry and the image keeps its
   *   import status; when true (or the failure is permanent) the import is rolled back and the task fails.
   */
  async run(payload: ImageImportPayload, signal: AbortSignal, finalAttempt: boolean): Promise<ImageImportResult> {
    const task = await this.tasks.findById(payload.taskId);
    if (!task) throw invalid(`Task ${payload.taskId} no longer exists.`);
    if (task.status === 'success' || task.status === 'failure') return this.resultOf(task);
    if (task.status === 'pending') await this.tasks.transition(task.id, 'pending', 'processing', { message: 'Import started' });
    let input: ImportRun['input'];
    try {
      input = parseInput(task, payload.uri);
    } catch (err) {
      // A record no parser accepts cannot be retried; its lock is free once the task has failed.
      await this.tasks.transition(task.id, 'processing', 'failure', { message: messageOf(err) }).catch(() => undefined);
      throw err;
    }
    const run: ImportRun = { task, input, imageId: payload.imageId, signal, final: finalAttempt, copies: [], failed: [] };
    const earlier = await this.finishedEarlier(payload.imageId, task).catch(async (err: unknown) => {
      await this.claim.undo(run, err);
      throw err;
    });
    if (earlier) return earlier;
    await runSteps(this.stepsFor(run), run, (step, err) => this.logger.error(`undoing step ${step} of import ${task.id} failed: ${messageOf(err)}`));
    // The image shows the import: from here a failure leaves the task to a retry (finishedEarlier closes it).
    const result = await this.close(task.id, run.outcome!);
    if (input.method === 'glance-direct') await this.bytes.removeStaged(run.imageId).catch(() => undefined);
    return result;
  }

  private stepsFor(run: ImportRun): ImportStep[] {
    if (run.input.method === 'copy-image') return [this.claim, this.otherStores, this.complete];
    const first = this.convertedFirstStore.enabled ? this.convertedFirstStore : this.firstStore;
    return [this.claim, first, this.otherStores, this.complete];
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
