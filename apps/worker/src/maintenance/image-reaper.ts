import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import type { JobResults, JobName } from '@glimpse/contracts';
import { type Clock, CLOCK, type Image, ImageStatus } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { StagingArea, StoreRegistry } from '@glimpse/storage';

type Outcome = JobResults[typeof JobName.ReapImage];

/**
 * The reaper's work on one image (Glance's scrubber, and more): a pending_delete image past scrub_time becomes
 * deleted, a killed image past its grace period too; a deleted image's bytes are removed from every writable
 * store (an http location is only forgotten) and from staging; a deleted record past retention is removed.
 * Every step is a conditional write, so an image restored or changed meanwhile is left alone, and the bytes of
 * an image go only once it is `deleted`, a status nothing leaves. Safe to run twice.
 */
@Injectable()
export class ImageReaper {
  private readonly logger = new Logger(ImageReaper.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    @InjectConfig('reaper') private readonly reaper: ConfigOf<'reaper'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async reap(imageId: string, now = new Date(this.clock.now())): Promise<Outcome> {
    let image = await this.images.findById(imageId);
    if (!image) return { outcome: 'skipped', bytes: 0 };
    const rules = this.reaper;
    if (image.status === ImageStatus.PendingDelete || image.status === ImageStatus.Killed) {
      const since = image.status === ImageStatus.PendingDelete ? (image.deletedAt ?? image.updatedAt) : image.updatedAt;
      const wait = image.status === ImageStatus.PendingDelete ? rules.scrubTimeMs : rules.killedGraceMs;
      if (now.getTime() - since.getTime() < wait) return { outcome: 'not-due', bytes: 0 };
      const deleted = await this.images.update(imageId, { status: image.status, rev: image.rev }, { status: ImageStatus.Deleted, deletedAt: image.deletedAt ?? now });
      if (!deleted) return { outcome: 'skipped', bytes: 0 }; // restored or changed meanwhile: next sweep decides
      image = deleted;
    }
    if (image.status !== ImageStatus.Deleted) return { outcome: 'skipped', bytes: 0 };

    const bytes = await this.removeData(image);
    const cleared = image.locations.length ? await this.images.update(imageId, { status: ImageStatus.Deleted, rev: image.rev }, { locations: [] }) : image;
    await this.staging.remove(imageId).catch(() => undefined);
    const deletedAt = (cleared ?? image).deletedAt ?? image.updatedAt;
    if (cleared && now.getTime() - deletedAt.getTime() >= rules.deletedRetentionMs) {
      await this.images.purge(imageId);
      return { outcome: 'purged', bytes };
    }
    return { outcome: 'reaped', bytes };
  }

  private async removeData(image: Image): Promise<number> {
    let bytes = 0;
    for (const location of image.locations) {
      const store = this.stores.find(location.store);
      if (!store || store.readOnly) continue; // an http location points at someone else's bytes
      const size = (await store.stat(location.url).catch(() => null))?.size ?? 0;
      await store.delete(location.url);
      bytes += size;
      this.logger.log(`removed ${location.store} copy of deleted image ${image.id} (${size} bytes)`);
    }
    return bytes;
  }
}
