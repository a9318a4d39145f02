import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { conflict, forbidden, GlimpseError, type Image, isLocationSizeMismatch, ImageStatus, invalid, isOwnerOrAdmin, Policy, type RequestContext } from '@glimpse/domain';
import { JobName } from '@glimpse/contracts';
import { type ImageChanges, ImageRepository, TaskRepository } from '@glimpse/persistence';
import { JobOutcomes } from '@glimpse/queue';
import { StoreRegistry } from '@glimpse/storage';
import { ImageUploadService } from '../images/data/image-upload.service.js';
import { assertNoFourByteUtf8 } from '../images/image-input.js';
import { ImagesService } from '../images/images.service.js';
import { LocationsService } from '../locations/locations.service.js';
import { enforce, ownProject } from '../policy/enforce.js';
import { normalisePropertyName, parseImageMeta, type V1Meta } from './image-meta-headers.js';
import { V1CopyFrom } from './v1-copy-from.js';
import { v1NotFound, V1ImageAccess } from './v1-image-access.js';
import { isV1Deleted } from './v1-image-view.js';
import {
  amazonFormats,
  announcedDigestCheck,
  announcedSize,
  assertFormatsForData,
  assertNotCoreNames,
  assertOctetStreamBody,
  assertPropertyQuota,
  hasBody,
  sourceOf,
} from './v1-request.js';

/**
 * POST, PUT and DELETE of /v1/images with v1's rules (glance-v1 reference §6–§8), through the v2 services: the
 * record is created by ImagesService (policy, quota), data is written by ImageUploadService (store, hashes, the
 * format gate), copy-from is enqueued as a job, and deletion is v2's. v1's own parts: the header codec, the
 * source rules, killed on failure, the purge-props rule.
 */
/** How long a v1 POST with x-image-meta-location waits for its location's verdict. */
const LOCATION_VERDICT_WAIT_MS = 60_000;
/** Longest the wait goes without reading the image itself (should the job's end be missed). */
const LOCATION_VERDICT_RECHECK_MS = 5_000;
const LOCATION_VERDICT_FLOOR_MS = 50;

@Injectable()
export class V1ImagesService {
  constructor(
    private readonly images: ImagesService,
    private readonly repository: ImageRepository,
    private readonly access: V1ImageAccess,
    private readonly uploads: ImageUploadService,
    private readonly copyFrom: V1CopyFrom,
    private readonly locations: LocationsService,
    private readonly outcomes: JobOutcomes,
    private readonly tasks: TaskRepository,
    private readonly stores: StoreRegistry,
    private readonly policy: Policy,
    @InjectConfig('http') private readonly http: ConfigOf<'http'>,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
  ) {}

  async create(ctx: RequestContext, req: IncomingMessage): Promise<Image> {
    const meta = parseImageMeta(req.headers);
    assertNoFourByteUtf8({ ...meta });
    const body = hasBody(req);
    amazonFormats(meta);
    this.assertUnderCap(announcedSize(req, meta));
    const source = sourceOf(meta, body, this.http.apiV1Locations);
    if (source === 'copy-from') enforce(this.policy, ctx, 'copy_from', ownProject(ctx));
    if (source === 'location') enforce(this.policy, ctx, 'set_image_location', ownProject(ctx));
    if (source === 'body' || source === 'copy-from') enforce(this.policy, ctx, 'upload_image', ownProject(ctx));
    const properties = presentProperties(meta.properties);
    assertNotCoreNames(properties);
    assertPropertyQuota(Object.keys(properties).length);
    if (source !== 'none') assertFormatsForData(meta);
    if (source === 'body') assertOctetStreamBody(req);
    if (source === 'copy-from') this.screenCopyFrom(meta);
    if (source === 'location') this.screenLocation(meta.location!);
    const storeId = this.storeOf(meta.store);

    const created = await this.images.create(ctx, {
      ...properties,
      ...(meta.id !== undefined && { id: meta.id }),
      ...(meta.name !== undefined && { name: meta.name }),
      visibility: meta.isPublic ? 'public' : 'shared',
      ...(meta.protected !== undefined && { protected: meta.protected }),
      // Non-admins: the owner is always their project (upstream replaced it silently); admins: any, '' = none.
      ...(ctx.isAdmin && meta.owner !== undefined && { owner: meta.owner }),
      ...(meta.minRam !== undefined && { min_ram: meta.minRam }),
      ...(meta.minDisk !== undefined && { min_disk: meta.minDisk }),
      ...(meta.diskFormat != null && { disk_format: meta.diskFormat }),
      ...(meta.containerFormat != null && { container_format: meta.containerFormat }),
    });
    if (source !== 'copy-from') return this.afterSave(ctx, created, req, meta, source, storeId);
    try {
      return await this.afterSave(ctx, created, req, meta, source, storeId);
    } catch (err) {
      // A copy that cannot start (the project over a quota, the queue down) refuses the POST: the record it made,
      // which holds nothing and which the client never saw, goes too (deleted, as a refused POST leaves nothing).
      await this.repository.update(created.id, { status: ImageStatus.Queued }, { status: ImageStatus.Deleted, deletedAt: new Date() }).catch(() => undefined);
      throw err;
    }
  }

  async update(ctx: RequestContext, id: string, req: IncomingMessage): Promise<Image> {
    const meta = parseImageMeta(req.headers);
    assertNoFourByteUtf8({ ...meta });
    const image = await this.changeable(ctx, id, 'modify_image');
    if (isV1Deleted(image)) throw forbidden('Forbidden to update deleted image.');
    if (meta.status != null && meta.status !== image.status) throw forbidden("Forbidden to modify 'status' of image.");
    if (meta.id !== undefined && meta.id !== image.id) throw forbidden("Forbidden to modify 'id' of image.");
    const locked = image.status === ImageStatus.Active || image.status === ImageStatus.Deactivated;
    if (!ctx.isAdmin && locked && meta.size !== undefined && meta.size !== image.size) throw forbidden("Forbidden to modify 'size' of active image.");
    if (!ctx.isAdmin && locked && meta.checksum !== undefined && meta.checksum !== image.checksum) throw forbidden("Forbidden to modify 'checksum' of active image.");
    if (meta.isPublic) enforce(this.policy, ctx, 'publicize_image', { project_id: image.owner, owner: image.owner });
    const body = hasBody(req);
    const source = sourceOf(meta, body, this.http.apiV1Locations);
    if (source === 'body' && image.status !== ImageStatus.Queued) throw conflictUpload();
    if ((source === 'copy-from' || source === 'location') && image.status !== ImageStatus.Queued) throw invalid('Attempted to update Location field for an image not in queued status.');
    const target = { project_id: image.owner, owner: image.owner };
    if (source === 'copy-from') enforce(this.policy, ctx, 'copy_from', target);
    if (source === 'location') enforce(this.policy, ctx, 'set_image_location', target);
    if (source === 'body' || source === 'copy-from') enforce(this.policy, ctx, 'upload_image', target);
    amazonFormats(meta, image);
    this.assertUnderCap(announcedSize(req, meta));
    const named = presentProperties(meta.properties);
    assertNotCoreNames(named);
    if (source !== 'none') assertFormatsForData({ diskFormat: meta.diskFormat ?? image.diskFormat, containerFormat: meta.containerFormat ?? image.containerFormat });
    if (source === 'body') assertOctetStreamBody(req);
    if (source === 'copy-from') this.screenCopyFrom(meta);
    if (source === 'location') this.screenLocation(meta.location!);
    const storeId = this.storeOf(meta.store);
    // Purge: absent means true (the replicator sends none); glanceclient says false unless --purge-props.
    const purge = (meta.purgeProps ?? true) && !body;

    const saved = await this.repository.mutate(id, (current) => {
      if (isV1Deleted(current)) throw forbidden('Forbidden to update deleted image.');
      const changes: ImageChanges = { properties: mergedProperties(current.properties, meta.properties, purge) };
      assertPropertyQuota(Object.keys(changes.properties!).filter((k) => !k.startsWith('os_glance')).length);
      if (meta.name !== undefined) changes.name = meta.name;
      if (meta.isPublic !== undefined) changes.visibility = meta.isPublic ? 'public' : 'shared';
      if (meta.protected !== undefined) changes.protected = meta.protected;
      if (ctx.isAdmin && meta.owner !== undefined) changes.owner = meta.owner;
      if (meta.minRam !== undefined) changes.minRam = meta.minRam;
      if (meta.minDisk !== undefined) changes.minDisk = meta.minDisk;
      // v1 lets formats change on an active image too (v2 does not, past queued).
      if (meta.diskFormat !== undefined) changes.diskFormat = meta.diskFormat;
      if (meta.containerFormat !== undefined) changes.containerFormat = meta.containerFormat;
      if (ctx.isAdmin && locked && meta.size !== undefined) changes.size = meta.size;
      if (ctx.isAdmin && locked && meta.checksum !== undefined) changes.checksum = meta.checksum;
      return changes;
    });
    return this.afterSave(ctx, saved, req, meta, source, storeId);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const image = await this.changeable(ctx, id, 'delete_image');
    if (image.protected) throw forbidden('Image is protected');
    if (image.status === ImageStatus.PendingDelete) throw forbidden('Forbidden to delete a pending_delete image.');
    if (image.status === ImageStatus.Deleted) throw v1NotFound(id);
    await this.images.delete(ctx, id);
  }

  /** The data step of a POST or PUT, once the metadata is saved: upload (killed on failure) or copy-from. */
  private async afterSave(ctx: RequestContext, image: Image, req: IncomingMessage, meta: V1Meta, source: ReturnType<typeof sourceOf>, storeId: string | undefined): Promise<Image> {
    if (source === 'body') {
      return this.uploads.upload(ctx, image.id, req, storeId, {
        onFailure: ImageStatus.Killed,
        verify: announcedDigestCheck(announcedSize(req, meta), meta.checksum),
      });
    }
    if (source === 'location') {
      // v2's Location API: the image is `importing` until one job has checked the data's format and checksums.
      // v1 answers the POST with the image's status (clients and tempest expect `active` for a good location), so
      // the answer waits for that verdict, within a bound: active once verified, queued again if refused.
      const { taskId, jobId } = await this.locations.add(ctx, image.id, { url: meta.location }, { ...(meta.size !== undefined && { size: meta.size }) });
      const verdict = await this.verdictOf(image, jobId);
      // A location holding another (non-empty) size than the one given: 409 as Glance answered; the image stays queued.
      const reason = verdict.status === ImageStatus.Queued ? (await this.tasks.findById(taskId))?.message : undefined;
      if (reason !== undefined && isLocationSizeMismatch(reason)) throw conflict(reason);
      return verdict;
    }
    if (source === 'copy-from') {
      const requestId = (req as IncomingMessage & { id?: string }).id ?? null;
      return this.copyFrom.start(ctx, image, meta.copyFrom!, { storeId, size: meta.size, checksum: meta.checksum }, requestId);
    }
    // x-image-meta-size: 0 with no data: an active image with no data, as v1 made it.
    if (meta.size === 0 && image.status === ImageStatus.Queued) return this.repository.transition(image.id, ImageStatus.Queued, ImageStatus.Active, { size: 0 });
    return image;
  }

  /**
   * The image once it has left `importing` (its location verified or refused), or as it is after the bound: woken
   * by the end of the location's checking job, and reading the image at least every few seconds meanwhile.
   */
  private async verdictOf(image: Image, jobId: string): Promise<Image> {
    const deadline = Date.now() + LOCATION_VERDICT_WAIT_MS;
    for (;;) {
      const current = (await this.repository.findById(image.id)) ?? image;
      const left = deadline - Date.now();
      if (current.status !== ImageStatus.Importing || left <= 0) return current;
      // The floor keeps a job that ended without moving the image (or vanished) from turning this into a busy loop.
      await Promise.all([this.outcomes.ended(JobName.ImageChecksum, jobId, Math.min(left, LOCATION_VERDICT_RECHECK_MS)), sleep(LOCATION_VERDICT_FLOOR_MS)]);
    }
  }

  /**
   * The image, if the caller may change it: not visible → 404; another project's public or community image →
   * 403; another project's shared image it is a member of → 404 (ours; upstream's registry could answer 500).
   */
  private async changeable(ctx: RequestContext, id: string, action: string): Promise<Image> {
    const image = await this.access.visible(ctx, id);
    if (!isOwnerOrAdmin(image, ctx)) {
      if (image.visibility === 'public' || image.visibility === 'community') throw forbidden(`You are not permitted to modify image ${id}.`);
      throw v1NotFound(id);
    }
    await this.access.enforce(ctx, image, action);
    return image;
  }

  /** x-image-meta-store: a store id, or a store type (Queens named the scheme); unknown → 400. */
  private storeOf(name: string | null | undefined): string | undefined {
    if (name == null) return undefined;
    const writable = this.stores.stores.filter((s) => !s.readOnly);
    const store = writable.find((s) => s.id === name) ?? writable.find((s) => s.type === name);
    if (!store) throw invalid(`Required store ${name} is invalid`);
    return store.id;
  }

  /** What a copy-from can be refused for before anything is written (no lookup, no connection). */
  private screenCopyFrom(meta: V1Meta): void {
    this.copyFrom.screen(meta.copyFrom!);
    if (meta.checksum !== undefined && !/^[0-9a-f]{32}$/i.test(meta.checksum)) throw invalid(`Invalid checksum '${meta.checksum}': not an MD5 digest`);
  }

  /** x-image-meta-location: an http store to hold it, and a URL the web-download filter lets through. */
  private screenLocation(url: string): void {
    if (!this.stores.stores.some((s) => s.type === 'http') || url.length > 255) throw invalid(`External sources are not supported: '${url}'`);
    this.copyFrom.screenUrl(url);
  }

  private assertUnderCap(size: number | undefined): void {
    const cap = this.storage.imageSizeCap;
    if (size !== undefined && size > cap) throw invalid(`Denying attempt to upload image larger than ${cap} bytes.`);
  }
}

/** Passed as WebOb's detail upstream (`HTTPConflict(msg)`): the body opens with the 409 explanation line. */
const conflictUpload = () => new GlimpseError('conflict', 'Cannot upload to an unqueued image', {}, { asDetail: true });

/** Properties with a value (an empty header means null: nothing to store). */
function presentProperties(properties: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).filter((e): e is [string, string] => e[1] !== null));
}

/**
 * The properties after a v1 PUT. A v1 name matches an existing one case-insensitively with `-` = `_` (v2 may have
 * written `Foo-Bar`; v1 can only send `foo_bar`), and keeps the existing spelling. With purge, properties the
 * request does not name go, but never Glance's own `os_glance_*` (the import lock among them). A null (empty)
 * value removes the property.
 */
export function mergedProperties(current: Record<string, string>, named: Record<string, string | null>, purge: boolean): Record<string, string> {
  const spelling = new Map(Object.keys(current).map((k) => [normalisePropertyName(k), k]));
  const out: Record<string, string> = purge ? Object.fromEntries(Object.entries(current).filter(([k]) => k.startsWith('os_glance'))) : { ...current };
  for (const [key, value] of Object.entries(named)) {
    const existing = spelling.get(key) ?? key;
    if (value === null) delete out[existing];
    else out[existing] = value;
  }
  return out;
}
