import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import {
  conflict,
  endImportState,
  holdsImportLock,
  type Image,
  importLockHolder,
  importLockIsStale,
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
  /** Further changes written in the same write as the lock (a location import's status and location). */
  changes?(image: Image): ImageChanges;
  /** What undoes `changes` when the job cannot be queued (a location import: back to queued without it). */
  undo?(image: Image): ImageChanges;
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
      await this.release(spec.imageId, taskId, spec.undo);
      await this.tasks.remove(taskId);
      throw err;
    }
    try {
      await spec.enqueue(taskId);
    } catch {
      await reservation?.release();
      await this.release(spec.imageId, taskId, spec.undo);
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
          if (!importLockIsStale(task, new Date(), this.importConfig.lockTimeoutMs)) throw conflict('Image has active task');
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
   * The import's last save when it succeeded: the lock re-checked, then released with `change`, the importing
   * list emptied and the stores that failed listed (Glance's end state, `endImportState`).
   */
  end(imageId: string, taskId: string, failedStores: readonly string[], change: (image: Image) => ImageChanges): Promise<Image> {
    return this.save(imageId, taskId, (current) => ({ ...change(current), properties: endImportState(current.properties, failedStores) }));
  }

  /**
   * The import failed for good: if this task still holds the lock, it is released in one write with `revert`'s
   * changes (the image back to queued, `BACK_TO_QUEUED`, when the import had moved it) and, when `failedStores`
   * is given, Glance's end state listing them; then the task fails with `reason`. Best effort: a lock left
   * behind (the database down) goes stale and the updater's recovery ends it.
   */
  async rollBack(imageId: string, taskId: string, reason: string, how: { revert?(image: Image): ImageChanges; failedStores?: readonly string[] }): Promise<void> {
    await this.release(imageId, taskId, (current) => ({
      ...how.revert?.(current),
      ...(how.failedStores && { properties: endImportState(current.properties, how.failedStores) }),
    }));
    const task = await this.tasks.findById(taskId).catch(() => null);
    if (task && (task.status === 'pending' || task.status === 'processing')) {
      await this.tasks.transition(taskId, task.status, 'failure', { message: reason, result: null }).catch(() => undefined);
    }
  }

  /** Releases the lock if this task still holds it, with `undo`'s changes in the same write (best effort). */
  private async release(imageId: string, taskId: string, undo?: (image: Image) => ImageChanges): Promise<void> {
    await this.images
      .mutate(imageId, (current) => {
        if (!holdsImportLock(current, taskId)) return {};
        const changes = undo?.(current) ?? {};
        return { ...changes, properties: withoutImportLock(changes.properties ?? current.properties) };
      })
      .catch(() => undefined);
  }
}

/** Every import step re-checks the lock before it writes: a task that lost it (taken over, released) stops. */
export function assertImportLock(image: Image, taskId: string): void {
  if (!holdsImportLock(image, taskId)) throw conflict(`Image ${image.id} is no longer locked by this import.`);
}
