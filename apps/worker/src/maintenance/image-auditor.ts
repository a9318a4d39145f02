import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobName, type JobResults } from '@glimpse/contracts';
import { type Clock, CLOCK, type Image, type ImageLocation, ImageStatus } from '@glimpse/domain';
import { AuditFindingRepository, ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { ImageWriter, StoreRegistry } from '@glimpse/storage';

type Outcome = JobResults[typeof JobName.AuditImage];

/**
 * The auditor's work on one active image: every active copy must exist in its store with the recorded size,
 * and, when the sweep picked the image for re-hashing, hash to the recorded checksums. A missing or corrupt copy
 * is marked `bad` on the image (downloads skip it), recorded as a finding an admin can list, and a repair is
 * requested from the replicator.
 */
@Injectable()
export class ImageAuditor {
  private readonly logger = new Logger(ImageAuditor.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly stores: StoreRegistry,
    private readonly findings: AuditFindingRepository,
    private readonly producer: JobProducer,
    private readonly writer: ImageWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async audit(imageId: string, rehash: boolean, signal: AbortSignal): Promise<Outcome> {
    const image = await this.images.findById(imageId);
    if (!image || image.status !== ImageStatus.Active) return { checked: 0, bad: 0, bytesHashed: 0 };
    let checked = 0;
    let bytesHashed = 0;
    const bad: { location: ImageLocation; problem: string }[] = [];
    for (const location of image.locations.filter((l) => l.status === 'active')) {
      const problem = await this.check(image, location, rehash, signal, (n) => (bytesHashed += n));
      checked++;
      if (problem) bad.push({ location, problem });
    }
    for (const { location, problem } of bad) {
      await this.findings.record({ imageId, store: location.store, problem, foundAt: new Date(this.clock.now()) });
      this.logger.warn(`image ${imageId}: the ${location.store} copy is bad (${problem})`);
    }
    if (bad.length) {
      const marked = await this.images.mutate(imageId, (current) => ({
        locations: current.locations.map((l) => {
          const hit = bad.find((b) => b.location.url === l.url);
          return hit ? { ...l, status: 'bad' as const, metadata: { ...l.metadata, problem: hit.problem } } : l;
        }),
      }));
      // A repair from a good copy, by the replicator (one request per marking: the id names the revision).
      await this.producer.enqueue(JobName.ReplicateImage, { imageId }, { jobId: `replicate-${imageId}@rev${marked.rev}` });
    }
    return { checked, bad: bad.length, bytesHashed };
  }

  private async check(image: Image, location: ImageLocation, rehash: boolean, signal: AbortSignal, hashed: (n: number) => void): Promise<string | null> {
    const store = this.stores.find(location.store);
    if (!store) return null; // a store no longer configured: not this sweep's to judge
    const stat = await store.stat(location.url);
    if (!stat) return 'missing';
    if (image.size !== null && stat.size !== image.size) return `size ${stat.size}, recorded ${image.size}`;
    if (!rehash || image.checksum === null) return null;
    const source = await store.get(location.url); // before the tap: a failed open must not leave hash threads behind
    const d = await this.writer.hash(image, source, signal);
    hashed(d.size);
    if (d.md5 !== image.checksum || (image.osHashValue !== null && d.hashValue !== image.osHashValue)) return 'checksum mismatch';
    return null;
  }
}
