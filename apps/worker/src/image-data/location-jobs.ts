import { Inject, Injectable } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import { pipeline as streamPipeline, Transform, Writable } from 'node:stream';
import type { ImageLocationPayload, JobResults, JobName } from '@glimpse/contracts';
import { holdsImportLock, type Image, type ImageLocation, invalid, locationSizeMismatch, notFound, parseValidation, type Task } from '@glimpse/domain';
import { ImageRepository, ImportOwner, TaskRepository } from '@glimpse/persistence';
import { type Digests, ImageWriter } from '@glimpse/storage';
import { isRetryable, messageOf } from '../processors/job-failure.js';
import { locationFingerprint as fingerprint } from './location-fingerprint.js';
import { FORMAT_GATE, type FormatGate, type FormatWatcher, IMAGE_BYTES, type ImageBytes } from './image-data.ports.js';

/**
 * Checks of one stored copy whose bytes arrived by another path than an upload (an added location, a copy
 * between stores): its checksums and its format. What they find is recorded on the image: missing values are
 * filled in, and a copy that disagrees with the image is marked `bad` for the auditor and replicator.
 */
@Injectable()
export class LocationJobs {
  constructor(
    private readonly images: ImageRepository,
    private readonly tasks: TaskRepository,
    private readonly owner: ImportOwner,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @Inject(FORMAT_GATE) private readonly gate: FormatGate,
    private readonly writer: ImageWriter,
  ) {}

  async checksum(job: ImageLocationPayload, signal: AbortSignal, finalAttempt = true): Promise<JobResults[typeof JobName.ImageChecksum]> {
    if (job.taskId) return this.locationImport(job as Required<ImageLocationPayload>, signal, finalAttempt);
    const { image, location } = await this.locate(job);
    const d = await this.hash(image, location, signal);
    await this.record(job, location, d);
    return { checksum: d.md5, osHashValue: d.hashValue, size: d.size };
  }

  /**
   * The checksum job of a location added through the API, reporting to its task: one read of the URL checks the
   * data's format (the upload's gate: no backing or data file, no vmdk naming other files, the declared format)
   * and hashes it. The image waits in `importing` and becomes active only if the format passes and the data
   * matches validation_data (when given); otherwise, or if the URL cannot be read (a refused address or
   * redirect) on the last attempt, the import owner rolls it back (`queued` without the location, the task
   * failed). Like every import step it works only while its task holds the lock: a job of an ended task stops
   * at once, and the final write re-checks the lock, so a job that lost it writes nothing.
   */
  private async locationImport(job: Required<ImageLocationPayload>, signal: AbortSignal, finalAttempt: boolean): Promise<JobResults[typeof JobName.ImageChecksum]> {
    const task = await this.tasks.findById(job.taskId);
    // A job of an ended task (its enqueue timed out after all, and the start was undone) stops, writing nothing.
    if (!task || task.status === 'success' || task.status === 'failure') throw invalid(`Task ${job.taskId} has ended; its checks stop.`);
    if (task.status === 'pending') await this.tasks.transition(task.id, 'pending', 'processing', { message: 'Hashing the location' });
    const earlier = await this.finishedEarlier(job, task);
    if (earlier) return earlier;
    // Written by the API from the domain's parser; read back through it.
    const expected = parseValidation(task.input?.validation_data ?? {});
    let d: Digests;
    let virtualSize: number | null;
    let url: string;
    try {
      // The lock re-checked first: a job whose task lost it (taken over, released) hashes nothing.
      const { image, location } = copyIn(await this.owner.locked(job.imageId, job.taskId), job);
      url = location.url;
      const watcher = this.gate.watcher();
      d = await this.hash(image, location, signal, watcher);
      const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
      if (!verdict.ok) throw invalid(`Image format refused: ${verdict.reason ?? 'not the declared format'}`);
      virtualSize = verdict.virtualSize;
      // Data of another size is refused, unless the location cannot tell its size (0).
      if (expected.size !== undefined && d.size !== 0 && d.size !== expected.size) throw invalid(locationSizeMismatch(expected.size, d.size));
      if (expected.osHashAlgo !== undefined) {
        const actual = expected.osHashAlgo === 'md5' ? d.md5 : expected.osHashAlgo === d.hashAlgo ? d.hashValue : null;
        if (actual !== expected.osHashValue) throw invalid(`The data at the location does not match validation_data (${expected.osHashAlgo}).`);
      }
    } catch (err) {
      if (isRetryable(err) && !finalAttempt) throw err;
      // The location could not be used: the import owner's rollback (back to queued without it, the task failed).
      await this.owner.rollBack(job.imageId, job.taskId, messageOf(err)).catch(() => undefined);
      throw err;
    }
    // The lock re-checked in the same write: a task that lost it (ended, taken over) writes nothing.
    const values = { size: d.size, checksum: d.md5, osHashAlgo: d.hashAlgo, osHashValue: d.hashValue, virtualSize };
    // What the image is about to show, noted first: a run that dies before closing the task is closed by the next.
    await this.tasks.noteOutcome(job.taskId, { checksum: d.md5, location: fingerprint(url) });
    await this.owner.end(job.imageId, job.taskId, null, (image) => (image.status === 'importing' ? { ...values, status: 'active' } : values));
    await this.tasks.transition(job.taskId, 'processing', 'success', { result: { image_id: job.imageId }, message: '' }).catch(() => undefined);
    return { checksum: d.md5, osHashValue: d.hashValue, size: d.size };
  }

  /**
   * A run that died after the image showed its checks but before closing the task: the lock is gone, and the
   * image is active with the checksum the task noted and its location. Then the checks did pass; the task
   * succeeds. Anything else is left to the normal path (which stops, the lock being gone).
   */
  private async finishedEarlier(job: Required<ImageLocationPayload>, task: Task): Promise<JobResults[typeof JobName.ImageChecksum] | null> {
    const noted = (task.outcome ?? null) as { checksum?: unknown; location?: unknown } | null;
    if (typeof noted?.checksum !== 'string') return null;
    const image = await this.images.findById(job.imageId);
    if (!image || holdsImportLock(image, task.id) || image.status !== 'active' || image.checksum !== noted.checksum) return null;
    if (!image.locations.some((l) => fingerprint(l.url) === noted.location)) return null;
    await this.tasks.transition(task.id, 'processing', 'success', { result: { image_id: job.imageId }, message: '' });
    return { checksum: image.checksum, osHashValue: image.osHashValue ?? '', size: image.size ?? 0 };
  }

  /** The copy's digests; `watcher`, when given, sees the same bytes on the way (one read for both). */
  private async hash(image: Image, location: ImageLocation, signal: AbortSignal, watcher?: FormatWatcher): Promise<Digests> {
    // The source first: a tap (and its hash threads) only once there are bytes to feed it.
    const source = await this.bytes.read(location, signal);
    if (!watcher) return this.writer.hash(image, source, signal);
    const seen = new Transform({ transform: (c: Buffer, _e, cb) => (watcher.push(c), cb(null, c)) });
    return this.writer.hash(image, streamPipeline(source, seen, () => undefined), signal);
  }

  /** Fills in missing values, or marks the copy bad when it disagrees with what the image records. */
  private async record(job: ImageLocationPayload, location: ImageLocation, d: Digests): Promise<void> {
    await this.images.mutate(job.imageId, (image) => {
      if (image.checksum === null && image.size === null) {
        return { checksum: d.md5, osHashAlgo: d.hashAlgo, osHashValue: d.hashValue, size: d.size };
      }
      const agrees = image.size === d.size && image.checksum === d.md5 && (image.osHashAlgo !== d.hashAlgo || image.osHashValue === d.hashValue);
      return agrees ? {} : { locations: mark(image, location, 'checksum mismatch') };
    });
  }

  async verifyFormat(job: ImageLocationPayload, signal: AbortSignal): Promise<JobResults[typeof JobName.ImageVerifyFormat]> {
    const { image, location } = await this.locate(job);
    const watcher = this.gate.watcher();
    const see = new Writable({ write: (c: Buffer, _e, cb) => (watcher.push(c), cb()) });
    await pipeline(await this.bytes.read(location, signal), see, { signal });
    const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
    await this.images.mutate(job.imageId, (current) => {
      if (!verdict.ok) return { locations: mark(current, location, verdict.reason ?? 'format refused') };
      return current.virtualSize === null && verdict.virtualSize !== null ? { virtualSize: verdict.virtualSize } : {};
    });
    return { format: verdict.ok ? 'accepted' : `refused: ${verdict.reason}`, virtualSize: verdict.virtualSize };
  }

  private async locate(job: ImageLocationPayload): Promise<{ image: Image; location: ImageLocation }> {
    return copyIn(await this.images.findById(job.imageId), job);
  }
}

/** The image's active copy in the job's store. */
function copyIn(image: Image | null, job: ImageLocationPayload): { image: Image; location: ImageLocation } {
  const location = image?.locations.find((l) => l.store === job.store && l.status === 'active');
  if (!image || !location) throw notFound(`Image ${job.imageId} has no active copy in store ${job.store}`);
  return { image, location };
}

function mark(image: Image, bad: ImageLocation, why: string): ImageLocation[] {
  return image.locations.map((l) => (l.url === bad.url ? { ...l, status: 'bad', metadata: { ...l.metadata, problem: why } } : l));
}
