import { randomUUID } from 'node:crypto';
import { conflict, type Image, IMPORT_LOCK_PROPERTY, importLockIsStale } from '@glimpse/domain';
import type { ImageRepository } from '../images/image.repository.js';
import type { TaskRepository } from './task.repository.js';

export interface ImportTaskSpec {
  imageId: string;
  owner: string | null;
  /** The task's input: `import_req` (the request as given) and `backend` (the target stores). */
  input: Record<string, unknown>;
  requestId: string | null;
  userId: string | null;
  lockTimeoutMs: number;
  /** Refuses (throws) when the image, as it is when the lock is taken, may not be imported. */
  check(image: Image): void;
}

/**
 * Creates an import task and claims the image's import lock for it: a write conditional on the image's
 * revision, refused (409) while a live import holds the lock; a dead one's lock is taken over. Without the lock
 * the task is removed again. Returns the task id; the caller enqueues the job (and releases the lock if it cannot).
 */
export async function openImportTask(images: ImageRepository, tasks: TaskRepository, spec: ImportTaskSpec): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await tasks.create({
    id,
    type: 'api_image_import',
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
    await images.mutate(spec.imageId, async (current) => {
      spec.check(current);
      const holder = current.properties[IMPORT_LOCK_PROPERTY];
      if (holder) {
        const task = await tasks.findById(holder);
        if (!importLockIsStale(task, new Date(), spec.lockTimeoutMs)) throw conflict('Image has active task');
      }
      return { properties: { ...current.properties, [IMPORT_LOCK_PROPERTY]: id } };
    });
  } catch (err) {
    await tasks.remove(id);
    throw err;
  }
  return id;
}

/** Releases the lock if this task still holds it. */
export async function releaseImportLock(images: ImageRepository, imageId: string, taskId: string): Promise<void> {
  await images
    .mutate(imageId, (current) => {
      if (current.properties[IMPORT_LOCK_PROPERTY] !== taskId) return {};
      const { [IMPORT_LOCK_PROPERTY]: _held, ...rest } = current.properties;
      return { properties: rest };
    })
    .catch(() => undefined);
}
