import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import {
  BACK_TO_QUEUED,
  CLOCK,
  type Clock,
  conflict,
  endImportState,
  holdsImportLock,
  type Image,
  importLockHolder,
  importLockIsStale,
  ImageStatus,
  invalid,
  type TaskType,
  unavailable,
  withImportLock,
  withoutImportLock,
} from '@glimpse/domain';
import type { ImageChanges } from '../images/image.mapper.js';
import { ImageRepository } from '../images/image.repository.js';
import { TaskRepository } from '../tasks/task.repository.js';

/** Something an import holds until it ends (the API's quota hold); released when its job cannot be queued. */
export interface ImportReservation {
  release(): Promise<void>;
}

/** How one import starts: its task, the checks and changes made with the lock, and how its job is queued. */
export interface ImportStart {
  imageId: string;
  owner: string | null;
  /** The task's input: `import_req` (the request as given) and `backend` (the target stores). */
  input: Record<string, unknown>;
  requestId: string | null;
  userId: string | null;
  /** Refuses (throws) when the image, as it is when the lock is taken, may not be imported. */
  check(image: Image): void;
  /** The task's type (default `api_image_import`; a location added through the API: `location_import`). */
  type?: TaskType;
  /**
   * Further changes written in the same write as the lock, moving the image (a location import's status, importing,
   * and location). A start that then fails undoes them by the one "back to queued" rule (`unwound`), as a failed
   * import is rolled back: the image queued again, the location dropped.
   */
  changes?(image: Image): ImageChanges;
  /**
   * What the import needs before its job is queued (the API's quota hold). A refusal undoes the start as a
   * refused check does: the lock released, no task left.
   */
  reserve?(taskId: string): Promise<ImportReservation>;
  /** Queues the task's job. */
  enqueue(taskId: string): Promise<unknown>;
  /** What the failed task says when the job cannot be queued ("The import could not be queued"). */
  unqueued: string;
}

/**
 * The one owner of an import's start, for every import (the API's, the replicator's, a location's): creates the
 * task, claims the image's import lock for it (a write conditional on the image's revision, refused with 409
 * while a live import holds the lock; a dead one's lock is taken over), reserves what the import needs and
 * queues its job. Each step that fails undoes the ones before it, so a refused or unqueued import leaves the
 * image as it was: unlocked, its changes undone, no task pending.
 */
@Injectable()
export class ImportOwner {
  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Starts the import; resolves with its task id. A refusal (the check, a live lock, the reservation) is thrown
   * as it is; a job that cannot be queued fails the task and throws 503 (try again later).
   */
  async start(spec: ImportStart): Promise<string> {
    const taskId = await this.open(spec);
    let reservation: ImportReservation | undefined;
    try {
      reservation = await spec.reserve?.(taskId);
    } catch (err) {
      await this.release(spec, taskId);
      await this.tasks.remove(taskId);
      throw err;
    }
    try {
      await spec.enqueue(taskId);
    } catch {
      await reservation?.release();
      await this.release(spec, taskId);
      await this.tasks.transition(taskId, 'pending', 'failure', { message: `${spec.unqueued}.` }).catch(() => undefined);
      throw unavailable(`${spec.unqueued}; try again later.`);
    }
    return taskId;
  }

  /** The task, and the lock taken for it (with the stale-lock takeover); without the lock the task is removed again. */
  private async open(spec: ImportStart): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    await this.tasks.create({
      id,
      type: spec.type ?? 'api_image_import',
      status: 'pending',
      input: { image_id: spec.imageId, ...spec.input },
      result: null,
      owner: spec.owner,
      message: '',
      imageId: spec.imageId,
      requestId: spec.requestId,
      userId: spec.userId,
      bytesDone: 0,
      bytesTotal: null,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.images.mutate(spec.imageId, async (current) => {
        spec.check(current);
        const changes = spec.changes?.(current) ?? {};
        const holder = importLockHolder(current);
        if (holder) {
          const task = await this.tasks.findById(holder);
          if (!importLockIsStale(task, new Date(this.clock.now()), this.importConfig.lockTimeoutMs)) throw conflict('Image has active task');
        }
        return { ...changes, properties: withImportLock(current.properties, id) };
      });
    } catch (err) {
      await this.tasks.remove(id);
      throw err;
    }
    return id;
  }

  /** The image, while this task holds its lock: a task that lost it (taken over, released) stops (409). */
  async locked(imageId: string, taskId: string): Promise<Image> {
    const image = await this.images.findById(imageId);
    if (!image || image.status === 'deleted') throw invalid(`Image ${imageId} was deleted during the import.`);
    assertImportLock(image, taskId);
    return image;
  }

  /** An import step's save: the lock re-checked on the fresh record, then `change` written in the same write. */
  save(imageId: string, taskId: string, change: (image: Image) => ImageChanges): Promise<Image> {
    return this.images.mutate(imageId, (current) => {
      assertImportLock(current, taskId);
      return change(current);
    });
  }

  /**
   * The import's last save when it succeeded: the lock re-checked, then released with `change`; with
   * `failedStores` (an import to stores), also the importing list emptied and the stores that failed listed
   * (Glance's end state, `endImportState`); null (a location import) releases the lock only.
   */
  end(imageId: string, taskId: string, failedStores: readonly string[] | null, change: (image: Image) => ImageChanges): Promise<Image> {
    return this.save(imageId, taskId, (current) => {
      const properties = failedStores ? endImportState(current.properties, failedStores) : withoutImportLock(current.properties);
      return { ...change(current), properties };
    });
  }

  /**
   * The import ended without success, for every import (the runner's, a location's checks, the updater's
   * recovery of a dead one): if this task still holds the lock, one write releases it and applies the one "back
   * to queued" rule (`unwound`), with Glance's end state listing `failedStores` when given; then `onQueued`
   * runs if the image went back to queued (its staged data removed), and the task, if not ended yet, fails with
   * `reason`. The lock goes before the task ends, as Glance's revert drops it: a client that sees the task fail
   * may start again at once. Resolves with the image as the rollback found it, or null when the task no longer held the lock
   * (nothing written). A failed image write is thrown, after the task is failed: the lock left behind is a dead
   * task's, which the updater's recovery ends.
   */
  async rollBack(imageId: string, taskId: string, reason: string, how: RollBack = {}): Promise<Image | null> {
    // Assigned in the write's callback (a type annotation alone would narrow it to null here).
    let found = null as Image | null;
    let failure: unknown;
    await this.images
      .mutate(imageId, (current) => {
        found = null;
        if (!holdsImportLock(current, taskId)) return {};
        found = current;
        const properties = how.failedStores ? endImportState(current.properties, how.failedStores) : current.properties;
        return { ...unwound(current), properties: withoutImportLock(properties) };
      })
      .catch((err: unknown) => {
        found = null;
        failure = err ?? new Error('rollback failed');
      });
    if (found && unwound(found).status) await how.onQueued?.().catch((err: unknown) => (failure ??= err));
    const task = await this.tasks.findById(taskId).catch(() => null);
    if (task && (task.status === 'pending' || task.status === 'processing')) {
      await this.tasks.transition(taskId, task.status, 'failure', { message: reason, result: null }).catch(() => undefined);
    }
    if (failure) throw failure;
    return found;
  }

  /**
   * Undoes a start that failed after taking the lock (best effort): if this task still holds it, one write releases
   * it and, when the start moved the image (`changes`), applies the "back to queued" rule a failed import's
   * rollback applies. A start without changes moved nothing: the image keeps its status (a staged image stays
   * uploading with its data), which is why the rule is not applied to every start as `rollBack` applies it.
   */
  private async release(spec: ImportStart, taskId: string): Promise<void> {
    await this.images
      .mutate(spec.imageId, (current) => {
        if (!holdsImportLock(current, taskId)) return {};
        return { ...(spec.changes ? unwound(current) : {}), properties: withoutImportLock(current.properties) };
      })
      .catch(() => undefined);
  }
}

/** How an import that ended without success is rolled back (ImportOwner.rollBack). */
export interface RollBack {
  /** The stores to list as failed in Glance's end state (the import's targets); unset: the lock is only released. */
  failedStores?: readonly string[];
  /**
   * Runs when the rule sent the image back to queued (or killed it), before the task fails: a queued image keeps
   * no staged data, so a stage after the failure does not find the old one (409).
   */
  onQueued?(): Promise<void>;
}

/**
 * The one "back to queued" rule of an import that ended without success, on an image whose lock it still held:
 * an image the import moved (importing, or uploading with its stage done) is queued again with every value
 * describing the data cleared (BACK_TO_QUEUED, which also drops a location import's location); a v1 copy-from
 * (saving with an import lock) is killed, as v1 did; any other image (copy-image's active one) is left as it is.
 */
export function unwound(image: Image): ImageChanges {
  if (image.status === ImageStatus.Saving) return { ...BACK_TO_QUEUED, status: ImageStatus.Killed };
  if (image.status === ImageStatus.Importing || image.status === ImageStatus.Uploading) return { ...BACK_TO_QUEUED };
  return {};
}

/** Every import step re-checks the lock before it writes: a task that lost it (taken over, released) stops. */
function assertImportLock(image: Image, taskId: string): void {
  if (!holdsImportLock(image, taskId)) throw conflict(`Image ${image.id} is no longer locked by this import.`);
}
