import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { BACK_TO_QUEUED, conflict, GlimpseError, type Image, ImageStatus, invalid, notFound, type RequestContext, tooLarge } from '@glimpse/domain';
import { ImageRepository, type QuotaUsage } from '@glimpse/persistence';
import { ImageWriter, InspectorFormatGate, StagingArea, StoreRegistry } from '@glimpse/storage';
import { QuotaMeter } from '../../quotas/quota-meter.js';
import { type QuotaHold, QuotaService } from '../../quotas/quota.service.js';
import { ImageAccess } from '../image-access.service.js';
import { assertOctetStream, declaredSize, watchClient } from './request-body.js';

/**
 * How an upload ends when it fails, and what else its data must pass: v2 returns the image to `queued`; v1 leaves
 * it `killed` and checks the size and checksum its client announced (glance-v1 reference §6).
 */
export interface UploadRules {
  onFailure: typeof ImageStatus.Queued | typeof ImageStatus.Killed;
  /** Throws to refuse the data once it is stored and hashed (the data is then removed). */
  verify?: (digests: { size: number; md5: string }) => void;
}

/** PUT /v2/images/{id}/file and /stage: the body goes through the image writer into a store (or staging) in one pass. */
@Injectable()
export class ImageUploadService {
  private readonly logger = new Logger('image-upload');

  constructor(
    private readonly images: ImageRepository,
    private readonly access: ImageAccess,
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    private readonly writer: ImageWriter,
    private readonly gate: InspectorFormatGate,
    private readonly quotas: QuotaService,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @InjectConfig('updater') private readonly updater: ConfigOf<'updater'>,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
  ) {}

  /** queued → saving → active, with size, checksum, os_hash_* and the new location; any failure → queued (v1: killed). */
  async upload(ctx: RequestContext, id: string, req: IncomingMessage, storeId: string | undefined, rules: UploadRules = { onFailure: ImageStatus.Queued }): Promise<Image> {
    const client = watchClient(req);
    const image = await this.access.permitted(ctx, id, 'upload_image');
    assertOctetStream(req);
    const store = this.stores.writable(storeId);
    const declared = this.checkDeclared(req);
    this.assertCanLeaveQueued(image, ImageStatus.Saving);
    client.throwIfAborted();
    // Quotas: one more upload in progress, and the declared bytes (more are reserved as they arrive).
    const hold = await this.leaveQueued(image, ImageStatus.Saving, { image_count_uploading: 1, image_size_total: declared.size ?? 0 });
    const meter = new QuotaMeter(hold, 'image_size_total', declared.size ?? 0);
    const watcher = this.gate.watcher();
    let location: string | undefined;
    const heartbeat = this.heartbeat(id, ImageStatus.Saving);
    try {
      const copy = await this.writer.write({
        image, store, source: req, signal: client, keepSourceOpen: true, sizeHint: declared.size,
        admit: meter.admit,
        observe: (chunk) => watcher.push(chunk),
      });
      location = copy.location.url;
      meter.assertWithinQuota();
      if (declared.explicit && declared.size !== copy.size) {
        throw invalid(`Image size ${copy.size} does not match the declared size ${declared.size}.`);
      }
      rules.verify?.({ size: copy.size, md5: copy.checksum });
      // The bytes, not the request, say what the image is (GLIMPSE_FORMAT_*).
      const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
      // 415 as Glance answers a format mismatch or a failed safety check on upload (the import task records the same).
      if (!verdict.ok) throw new GlimpseError('unsupported-media-type', `Image format refused: ${verdict.reason}`);
      const activated = await this.images
        .transition(id, ImageStatus.Saving, ImageStatus.Active, {
          size: copy.size,
          checksum: copy.checksum,
          osHashAlgo: copy.osHashAlgo,
          osHashValue: copy.osHashValue,
          virtualSize: verdict.virtualSize,
          locations: [...image.locations, copy.location],
        })
        .catch((err) => this.lostWrite(id, err, 'Image deleted during upload; the data was removed.'));
      location = undefined;
      return activated;
    } catch (err) {
      if (location) await store.delete(location).catch((e) => this.logger.warn({ err: e, location }, 'could not remove data of a failed upload'));
      await this.leaveFailed(id, ImageStatus.Saving, rules.onFailure);
      throw meter.failure ?? err;
    } finally {
      clearInterval(heartbeat);
      // After the record shows the data (or the image went back to queued): the hold has done its part.
      await hold.release();
    }
  }

  /** queued → uploading with the data in the staging area and its size recorded; any failure → queued. */
  async stage(ctx: RequestContext, id: string, req: IncomingMessage): Promise<Image> {
    const client = watchClient(req);
    if (!this.importConfig.methods.includes('glance-direct')) throw notFound('The resource could not be found.');
    const image = await this.access.permitted(ctx, id, 'upload_image');
    assertOctetStream(req);
    const declared = this.checkDeclared(req);
    if (image.status === ImageStatus.Queued && (await this.staging.exists(id))) throw conflict(`Image ${id} already has staged data.`);
    client.throwIfAborted();
    const hold = await this.leaveQueued(image, ImageStatus.Uploading, { image_count_uploading: 1, image_stage_total: declared.size ?? 0 });
    const quota = new QuotaMeter(hold, 'image_stage_total', declared.size ?? 0);
    const heartbeat = this.heartbeat(id, ImageStatus.Uploading);
    let staged = false;
    try {
      const put = await this.writer.write({ image, store: this.staging.store, source: req, signal: client, keepSourceOpen: true, admit: quota.admit });
      staged = true;
      quota.assertWithinQuota();
      if (declared.explicit && declared.size !== put.size) {
        throw invalid(`Image size ${put.size} does not match the declared size ${declared.size}.`);
      }
      const gone = 'Image deleted during upload; the staged data was removed.';
      const updated = await this.images
        .update(id, { status: ImageStatus.Uploading }, { size: put.size })
        .catch((err) => this.lostWrite(id, err, gone));
      return updated ?? (await this.lostWrite(id, conflict(`Image ${id} is no longer uploading.`), gone));
    } catch (err) {
      if (staged) await this.staging.remove(id).catch(() => undefined);
      await this.leaveFailed(id, ImageStatus.Uploading);
      throw quota.failure ?? err;
    } finally {
      clearInterval(heartbeat);
      await hold.release();
    }
  }

  /** Reserves the quota, then moves the image out of queued; the hold goes if the move fails. */
  private async leaveQueued(image: Image, to: ImageStatus, amounts: Partial<QuotaUsage>): Promise<QuotaHold> {
    const hold = await this.quotas.hold(image.owner, image.id, amounts);
    await this.images.transition(image.id, ImageStatus.Queued, to).catch(async (err) => {
      await hold.release();
      throw err;
    });
    hold.keepAlive(this.heartbeatMs());
    return hold;
  }

  /**
   * While the bytes flow: an image in `saving` (or `uploading` without a size, a stage) whose updated_at stops
   * moving belongs to a dead API process, which the updater returns to queued.
   */
  private heartbeat(id: string, status: ImageStatus): NodeJS.Timeout {
    return setInterval(() => void this.images.update(id, { status }, {}).catch(() => undefined), this.heartbeatMs());
  }

  private heartbeatMs(): number {
    return Math.max(5000, this.updater.stuckSavingMs / 4);
  }

  /** A declared size over the cap is refused before reading a byte. */
  private checkDeclared(req: IncomingMessage): { size?: number; explicit: boolean } {
    const declared = declaredSize(req);
    if (declared.size !== undefined && declared.size > this.storage.imageSizeCap) {
      throw tooLarge('The incoming image is too large: The provided image is too large.');
    }
    return declared;
  }

  private assertCanLeaveQueued(image: Image, to: ImageStatus): void {
    if (image.status !== ImageStatus.Queued) throw conflict(`Image status transition from ${image.status} to ${to} is not allowed`);
    if (!image.diskFormat || !image.containerFormat) {
      throw invalid('Properties disk_format, container_format must be set prior to saving data.');
    }
  }

  /**
   * The final write of an upload failed: 410 (Glance's answer) only when the image was deleted meanwhile; any
   * other reason (another writer moved it on, the database does not answer) is the write's own error.
   */
  private async lostWrite(id: string, err: unknown, gone: string): Promise<never> {
    const current = await this.images.findById(id).catch(() => undefined);
    if (current === null || current?.status === ImageStatus.Deleted || current?.status === ImageStatus.PendingDelete) {
      throw new GlimpseError('gone', gone);
    }
    throw err;
  }

  private async leaveFailed(id: string, from: ImageStatus, to: UploadRules['onFailure'] = ImageStatus.Queued): Promise<void> {
    await this.images
      .update(id, { status: from }, { ...BACK_TO_QUEUED, status: to })
      .catch((err) => this.logger.warn({ err, id }, 'could not move the image of a failed upload on'));
  }
}
