import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { conflict, GlimpseError, type Image, ImageStatus, invalid, notFound, type RequestContext, tooLarge } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { HashingTap, InspectorFormatGate, SizeMeter, StagingArea, StoreRegistry } from '@glimpse/storage';
import { ImageAccess } from '../image-access.service.js';
import { abandon, assertOctetStream, declaredSize, feed } from './request-body.js';

/** PUT /v2/images/{id}/file and /stage: stream the body into a store (or staging) in one pass. */
@Injectable()
export class ImageUploadService {
  private readonly logger = new Logger('image-upload');

  constructor(
    private readonly images: ImageRepository,
    private readonly access: ImageAccess,
    private readonly stores: StoreRegistry,
    private readonly staging: StagingArea,
    private readonly gate: InspectorFormatGate,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** queued → saving → active, with size, checksum, os_hash_* and the new location; any failure → queued. */
  async upload(ctx: RequestContext, id: string, req: IncomingMessage, storeId: string | undefined): Promise<Image> {
    const image = await this.access.owned(ctx, id, 'upload_image');
    assertOctetStream(req);
    const store = this.stores.writable(storeId);
    const declared = this.checkDeclared(req);
    this.assertCanLeaveQueued(image, ImageStatus.Saving);
    await this.images.transition(id, ImageStatus.Queued, ImageStatus.Saving);
    const watcher = this.gate.watcher();
    const tap = new HashingTap({
      hashAlgo: image.osHashAlgo ?? this.config.storage.hashAlgo,
      limit: this.config.storage.imageSizeCap,
      observe: (chunk) => watcher.push(chunk),
    });
    let location: string | undefined;
    // Heartbeat: a `saving` image whose updated_at stops moving belongs to a dead API process (the updater's cue).
    const heartbeat = setInterval(
      () => void this.images.update(id, { status: ImageStatus.Saving }, {}).catch(() => undefined),
      Math.max(5000, this.config.updater.stuckSavingMs / 4),
    );
    try {
      // The store first: a file store takes the tap's ring slots (decided before the first byte), and the body
      // is then fed straight into the ring.
      const putting = store.put(id, tap, { sizeHint: declared.size });
      feed(req, tap);
      const put = await putting;
      location = put.location;
      const digests = await tap.digest();
      if (declared.explicit && declared.size !== digests.size) {
        throw invalid(`Image size ${digests.size} does not match the declared size ${declared.size}.`);
      }
      // The bytes, not the request, say what the image is (GLIMPSE_FORMAT_*).
      const verdict = watcher.verdict({ diskFormat: image.diskFormat, containerFormat: image.containerFormat });
      if (!verdict.ok) throw invalid(`Image format refused: ${verdict.reason}`);
      const activated = await this.images
        .transition(id, ImageStatus.Saving, ImageStatus.Active, {
          size: digests.size,
          checksum: digests.md5,
          osHashAlgo: digests.hashAlgo,
          osHashValue: digests.hashValue,
          virtualSize: verdict.virtualSize,
          locations: [...image.locations, { url: put.location, store: store.id, metadata: { store: store.id }, status: 'active' }],
        })
        .catch(() => {
          throw new GlimpseError('gone', 'Image deleted during upload; the data was removed.');
        });
      location = undefined;
      return activated;
    } catch (err) {
      abandon(req, tap);
      tap.destroy();
      if (location) await store.delete(location).catch((e) => this.logger.warn({ err: e, location }, 'could not remove data of a failed upload'));
      await this.backToQueued(id, ImageStatus.Saving);
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** queued → uploading with the data in the staging area and its size recorded; any failure → queued. */
  async stage(ctx: RequestContext, id: string, req: IncomingMessage): Promise<Image> {
    if (!this.config.import.methods.includes('glance-direct')) throw notFound('The resource could not be found.');
    const image = await this.access.owned(ctx, id, 'upload_image');
    assertOctetStream(req);
    const declared = this.checkDeclared(req);
    if (image.status === ImageStatus.Queued && (await this.staging.exists(id))) throw conflict(`Image ${id} already has staged data.`);
    await this.images.transition(id, ImageStatus.Queued, ImageStatus.Uploading);
    const meter = new SizeMeter(this.config.storage.imageSizeCap);
    let staged = false;
    try {
      feed(req, meter);
      const put = await this.staging.put(id, meter);
      staged = true;
      if (declared.explicit && declared.size !== put.size) {
        throw invalid(`Image size ${put.size} does not match the declared size ${declared.size}.`);
      }
      return await this.images.update(id, { status: ImageStatus.Uploading }, { size: put.size }).then((updated) => {
        if (!updated) throw new GlimpseError('gone', 'Image deleted during upload; the staged data was removed.');
        return updated;
      });
    } catch (err) {
      abandon(req, meter);
      meter.destroy();
      if (staged) await this.staging.remove(id).catch(() => undefined);
      await this.backToQueued(id, ImageStatus.Uploading);
      throw err;
    }
  }

  /** A declared size over the cap is refused before reading a byte. */
  private checkDeclared(req: IncomingMessage): { size?: number; explicit: boolean } {
    const declared = declaredSize(req);
    if (declared.size !== undefined && declared.size > this.config.storage.imageSizeCap) {
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

  private async backToQueued(id: string, from: ImageStatus): Promise<void> {
    await this.images
      .update(id, { status: from }, { status: ImageStatus.Queued, size: null, checksum: null, osHashAlgo: null, osHashValue: null })
      .catch((err) => this.logger.warn({ err, id }, 'could not return the image to queued'));
  }
}
