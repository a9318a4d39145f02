import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { randomUUID } from 'node:crypto';
import { forbidden, type Image, ImageStatus, invalid, notFound, Policy, type RequestContext, tooLarge } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { enforce } from '../policy/enforce.js';
import { QueuedImageLimit } from '../quotas/queued-image-limit.js';
import { QuotaService } from '../quotas/quota.service.js';
import { ImageAccess } from './image-access.service.js';
import { assertNoFourByteUtf8, screenCreateBody, TAG_QUOTA } from './image-input.js';
import { applyPatch } from './patch/apply-patch.js';
import { parsePatch, patchDialect } from './patch/json-patch.js';

/** Image records: create, read, update (PATCH, tags, deactivate/reactivate), delete. */
@Injectable()
export class ImagesService {
  constructor(
    private readonly images: ImageRepository,
    private readonly access: ImageAccess,
    private readonly policy: Policy,
    private readonly quotas: QuotaService,
    private readonly queuedLimit: QueuedImageLimit,
    @InjectConfig('reaper') private readonly reaper: ConfigOf<'reaper'>,
  ) {}

  async create(ctx: RequestContext, body: unknown): Promise<Image> {
    const doc = screenCreateBody(body);
    const owner = doc.owner !== undefined ? (doc.owner as string | null) : ctx.projectId;
    const visibility = (doc.visibility as Image['visibility'] | undefined) ?? 'shared';
    const target = { project_id: owner, owner, visibility };
    if (!this.policy.allows(ctx, 'add_image', target)) {
      if (owner !== ctx.projectId) throw forbidden(`You are not permitted to create images owned by '${String(owner)}'.`);
      enforce(this.policy, ctx, 'add_image', target);
    }
    if (visibility === 'public') enforce(this.policy, ctx, 'publicize_image', target);
    if (visibility === 'community') enforce(this.policy, ctx, 'communitize_image', target);
    if (this.policy.settings.defaults === 'legacy' && owner !== ctx.projectId && !ctx.isAdmin) {
      throw forbidden(`You are not permitted to create images owned by '${String(owner)}'.`);
    }
    const core = new Set(['id', 'name', 'visibility', 'protected', 'os_hidden', 'owner', 'min_disk', 'min_ram', 'container_format', 'disk_format', 'tags']);
    const properties = Object.fromEntries(
      Object.entries(doc).filter(([k]) => !core.has(k)).map(([k, v]) => [k, v as string]),
    );
    const image = this.newImage(doc, owner, visibility, properties);
    await this.queuedLimit.assertRoom(owner);
    const hold = await this.quotas.hold(owner, image.id, { image_count_total: 1 });
    try {
      return await this.images.create(image, { chosenId: doc.id !== undefined });
    } finally {
      // Released once the record exists (it counts from then on), or when the insert failed.
      await hold.release();
    }
  }

  private newImage(doc: Record<string, unknown>, owner: string | null, visibility: Image['visibility'], properties: Record<string, string>): Image {
    const now = new Date();
    return {
      id: (doc.id as string | undefined)?.toLowerCase() ?? randomUUID(),
      name: (doc.name as string | null | undefined) ?? null,
      status: ImageStatus.Queued,
      visibility,
      protected: (doc.protected as boolean | undefined) ?? false,
      osHidden: (doc.os_hidden as boolean | undefined) ?? false,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      owner,
      size: null,
      virtualSize: null,
      minDisk: (doc.min_disk as number | undefined) ?? 0,
      minRam: (doc.min_ram as number | undefined) ?? 0,
      containerFormat: (doc.container_format as Image['containerFormat'] | undefined) ?? null,
      diskFormat: (doc.disk_format as Image['diskFormat'] | undefined) ?? null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      tags: [...new Set((doc.tags as string[] | undefined) ?? [])],
      properties,
      locations: [],
      rev: 0,
    };
  }

  get(ctx: RequestContext, id: string): Promise<Image> {
    return this.access.visible(ctx, id);
  }

  /** PATCH: the body in the dialect its Content-Type names, applied atomically (re-applied if the image moved). */
  async update(ctx: RequestContext, id: string, contentType: string | undefined, body: unknown): Promise<Image> {
    const dialect = patchDialect(contentType);
    const ops = parsePatch(dialect, body);
    const image = await this.access.permitted(ctx, id, 'modify_image');
    const target = { project_id: image.owner, owner: image.owner, visibility: image.visibility };
    return this.images.mutate(id, (current) => applyPatch(current, ops, dialect, ctx, (action) => this.policy.allows(ctx, action, target)), image);
  }

  /** PUT /tags/{tag}: idempotent. */
  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    if (tag.length > 255) throw invalid(`Provided object does not match schema 'image': '${tag}' is too long.`);
    assertNoFourByteUtf8(tag, 'tag');
    const known = await this.access.permitted(ctx, id, 'modify_image');
    await this.images.mutate(id, (current) => {
      if (current.tags.includes(tag)) return {};
      if (current.tags.length >= TAG_QUOTA) throw tooLarge(`Maximum number of tags (${TAG_QUOTA}) exceeded.`);
      return { tags: [...current.tags, tag] };
    }, known);
  }

  /** DELETE /tags/{tag}: 404 when the image has no such tag. */
  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const known = await this.access.permitted(ctx, id, 'modify_image');
    await this.images.mutate(id, (current) => {
      if (!current.tags.includes(tag)) throw notFound();
      return { tags: current.tags.filter((t) => t !== tag) };
    }, known);
  }

  /** active → deactivated (deactivated: nothing to do); any other status → 403, as Glance answers. */
  async deactivate(ctx: RequestContext, id: string): Promise<void> {
    const known = await this.access.permitted(ctx, id, 'deactivate');
    await this.images.mutate(id, (current) => {
      if (current.status === ImageStatus.Deactivated) return {};
      if (current.status !== ImageStatus.Active) throw forbidden(`Not allowed to deactivate image in status '${current.status}'`);
      return { status: ImageStatus.Deactivated };
    }, known);
  }

  /** deactivated → active (active: nothing to do); any other status → 403. */
  async reactivate(ctx: RequestContext, id: string): Promise<void> {
    const known = await this.access.permitted(ctx, id, 'reactivate');
    await this.images.mutate(id, (current) => {
      if (current.status === ImageStatus.Active) return {};
      if (current.status !== ImageStatus.Deactivated) throw forbidden(`Not allowed to reactivate image in status '${current.status}'`);
      return { status: ImageStatus.Active };
    }, known);
  }

  /** Marks the image deleted (or pending_delete); the reaper removes its data. Of racing deletes one wins; the rest are 404. */
  async delete(ctx: RequestContext, id: string): Promise<Image> {
    const known = await this.access.permitted(ctx, id, 'delete_image');
    return this.images.mutate(id, (image) => {
      if (image.status === ImageStatus.Deleted || image.status === ImageStatus.PendingDelete) throw notFound(`Failed to find image ${id} to delete`);
      if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
      // Delayed delete (Glance's delayed_delete): an active image with data waits for the reaper's scrub_time.
      const delayed = this.reaper.delayedDelete && image.status === ImageStatus.Active && image.locations.length > 0;
      return { status: delayed ? ImageStatus.PendingDelete : ImageStatus.Deleted, deletedAt: new Date() };
    }, known);
  }
}
