import { Inject, Injectable } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import type { ImageLocationPayload, JobResults, JobName } from '@glimpse/contracts';
import { type Image, type ImageLocation, notFound } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { HashingTap } from '@glimpse/storage';
import { FORMAT_GATE, type FormatGate, IMAGE_BYTES, type ImageBytes } from './image-data.ports.js';

const discard = () => new Writable({ write: (_c, _e, cb) => cb() });

/**
 * Checks of one stored copy whose bytes arrived by another path than an upload (an added location, a copy
 * between stores): its checksums and its format. What they find is recorded on the image: missing values are
 * filled in, and a copy that disagrees with the image is marked `bad` for the auditor and replicator.
 */
@Injectable()
export class LocationJobs {
  constructor(
    private readonly images: ImageRepository,
    @Inject(IMAGE_BYTES) private readonly bytes: ImageBytes,
    @Inject(FORMAT_GATE) private readonly gate: FormatGate,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async checksum(job: ImageLocationPayload, signal: AbortSignal): Promise<JobResults[typeof JobName.ImageChecksum]> {
    const { location } = await this.locate(job);
    const tap = new HashingTap({ hashAlgo: this.config.storage.hashAlgo });
    await pipeline(await this.bytes.read(location, signal), tap, discard(), { signal });
    const d = await tap.digest();
    await this.images.mutate(job.imageId, (image) => {
      if (image.checksum === null && image.size === null) {
        return { checksum: d.md5, osHashAlgo: d.hashAlgo, osHashValue: d.hashValue, size: d.size };
      }
      const agrees = image.size === d.size && image.checksum === d.md5 && (image.osHashAlgo !== d.hashAlgo || image.osHashValue === d.hashValue);
      return agrees ? {} : { locations: mark(image, location, 'checksum mismatch') };
    });
    return { checksum: d.md5, osHashValue: d.hashValue, size: d.size };
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
    const image = await this.images.findById(job.imageId);
    const location = image?.locations.find((l) => l.store === job.store && l.status === 'active');
    if (!image || !location) throw notFound(`Image ${job.imageId} has no active copy in store ${job.store}`);
    return { image, location };
  }
}

function mark(image: Image, bad: ImageLocation, why: string): ImageLocation[] {
  return image.locations.map((l) => (l.url === bad.url ? { ...l, status: 'bad', metadata: { ...l.metadata, problem: why } } : l));
}
