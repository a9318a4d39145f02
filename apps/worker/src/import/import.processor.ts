import { Processor } from '@nestjs/bullmq';
import { DelayedError, type Job } from 'bullmq';
import { type ImageImportPayload, type ImageImportResult, QueueName } from '@glimpse/contracts';
import type { Task } from '@glimpse/domain';
import { TaskRepository } from '@glimpse/persistence';
import { type Attempt, GlimpseWorkerHost } from '../processors/glimpse-worker-host.js';
import { ImportRunner } from './import-runner.js';
import { type ImportSlot, ProjectImportSlots } from './project-import-slots.js';

/** How long a URL import that found its project's slots taken waits before it asks again (with jitter). */
const SLOT_WAIT_MS = 1_000;

/**
 * Import jobs. A transient failure is retried with backoff (the image keeps `importing`); a permanent one, or
 * the last attempt, rolls the import back and stops at once. A worker killed mid-import leaves the job stalled:
 * BullMQ hands it to another worker, which starts the copy over. A URL import (web-download, v1 copy-from) runs
 * only in one of its project's slots (GLIMPSE_URL_IMPORTS_PER_PROJECT); without one it goes back to the queue,
 * delayed, and asks again: it waits, it does not fail, and its task stays alive meanwhile.
 */
@Processor(QueueName.ImageImport, { lockDuration: 30_000, maxStalledCount: 3 })
export class ImportProcessor extends GlimpseWorkerHost {
  constructor(
    private readonly runner: ImportRunner,
    private readonly tasks: TaskRepository,
    private readonly slots: ProjectImportSlots,
  ) {
    super();
  }

  override async process(job: Job<ImageImportPayload, ImageImportResult>, token?: string, signal?: AbortSignal): Promise<unknown> {
    const slot = await this.slotFor(job.data.taskId);
    if (slot === 'wait') {
      await this.tasks.waiting(job.data.taskId, `Waiting: the project already runs ${this.slots.limit} URL imports.`);
      await job.moveToDelayed(Date.now() + SLOT_WAIT_MS + Math.floor(Math.random() * SLOT_WAIT_MS), token);
      throw new DelayedError();
    }
    try {
      return await super.process(job, token, signal);
    } finally {
      await slot?.release();
    }
  }

  handle(job: Job<ImageImportPayload, ImageImportResult>, attempt: Attempt): Promise<ImageImportResult> {
    return this.runner.run(job.data, attempt.signal, attempt.final);
  }

  /** A URI with credentials is needed only while the import may still run; the job stays in Redis for days. */
  protected override async ended(job: Job<ImageImportPayload, ImageImportResult>): Promise<void> {
    if (job.data.uri !== undefined) await job.updateData({ taskId: job.data.taskId, imageId: job.data.imageId });
  }

  /** The slot a URL import of a project runs in, 'wait' when they are all taken, null when it needs none. */
  private async slotFor(taskId: string): Promise<ImportSlot | 'wait' | null> {
    if (this.slots.limit < 0) return null;
    const task = await this.tasks.findById(taskId);
    if (!task || task.owner === null || task.status === 'success' || task.status === 'failure' || !isUrlImport(task)) return null;
    return (await this.slots.take(task.owner, task.id)) ?? 'wait';
  }
}

/** web-download, which a v1 copy-from is too. */
function isUrlImport(task: Task): boolean {
  const req = (task.input?.import_req ?? {}) as { method?: { name?: unknown } };
  return req.method?.name === 'web-download';
}
