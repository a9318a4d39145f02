import { Injectable } from '@nestjs/common';
import {
  forbidden,
  type ImageMember,
  invalid,
  isOwnerOrAdmin,
  MEMBER_STATUSES,
  type MemberStatus,
  notFound,
  type RequestContext,
  tooLarge,
} from '@glimpse/domain';
import { MemberRepository } from '@glimpse/persistence';
import { ImageAccess } from '../image-access.service.js';

/** Glance's image_member_quota. */
export const MEMBER_QUOTA = 128;

/**
 * /v2/images/{id}/members with Glance's rules: only the owner adds and removes members, and only on a `shared`
 * image; only the member itself changes its status; a member sees only its own entry.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly members: MemberRepository,
    private readonly access: ImageAccess,
  ) {}

  async add(ctx: RequestContext, imageId: string, body: unknown): Promise<ImageMember> {
    const image = await this.access.visible(ctx, imageId);
    const memberId = (body as { member?: unknown } | null)?.member;
    if (typeof memberId !== 'string' || memberId === '') throw invalid('Member to be added not specified');
    if (memberId.length > 255) throw invalid('Member id is too long (max 255).');
    await this.access.enforce(ctx, image, 'add_member');
    if (image.visibility !== 'shared') throw forbidden(`Not allowed to create members for image ${imageId}.`);
    if ((await this.members.listForImage(imageId)).length >= MEMBER_QUOTA) {
      throw tooLarge(`Maximum number of image members (${MEMBER_QUOTA}) exceeded.`);
    }
    return this.members.add(imageId, memberId);
  }

  async list(ctx: RequestContext, imageId: string): Promise<ImageMember[]> {
    const image = await this.access.visible(ctx, imageId);
    await this.access.enforce(ctx, image, 'get_members');
    if (image.visibility !== 'shared') throw forbidden(`Only shared images have members.`);
    const all = await this.members.listForImage(imageId);
    return isOwnerOrAdmin(image, ctx) ? all : all.filter((m) => m.memberId === ctx.projectId);
  }

  async show(ctx: RequestContext, imageId: string, memberId: string): Promise<ImageMember> {
    const image = await this.access.visible(ctx, imageId);
    await this.access.enforce(ctx, image, 'get_member');
    const member = image.visibility === 'shared' ? await this.members.find(imageId, memberId) : null;
    if (!member || !(isOwnerOrAdmin(image, ctx) || memberId === ctx.projectId)) {
      throw notFound(`${memberId} not found in the member list of the image ${imageId}.`);
    }
    return member;
  }

  async update(ctx: RequestContext, imageId: string, memberId: string, body: unknown): Promise<ImageMember> {
    const image = await this.access.visible(ctx, imageId);
    const status = (body as { status?: unknown } | null)?.status;
    if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw invalid('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    await this.show(ctx, imageId, memberId);
    await this.access.enforce(ctx, image, 'modify_member');
    if (memberId !== ctx.projectId && !ctx.isAdmin) throw forbidden(`Not allowed to update members for image ${image.id}.`);
    const updated = await this.members.setStatus(imageId, memberId, status as MemberStatus);
    if (!updated) throw notFound(`${memberId} not found in the member list of the image ${imageId}.`);
    return updated;
  }

  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const image = await this.access.visible(ctx, imageId);
    await this.show(ctx, imageId, memberId);
    await this.access.enforce(ctx, image, 'delete_member');
    await this.members.remove(imageId, memberId);
  }

}
