import { Injectable } from '@nestjs/common';
import {
  forbidden,
  type Image,
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
    const { image, enforce } = await this.access.scope(ctx, imageId);
    enforce('get_member');
    return this.memberOf(ctx, image, memberId);
  }

  /** Only the member itself (or an admin) changes its status; a membership removed meanwhile is 404. */
  async update(ctx: RequestContext, imageId: string, memberId: string, body: unknown): Promise<ImageMember> {
    const { image, enforce } = await this.access.scope(ctx, imageId);
    const status = (body as { status?: unknown } | null)?.status;
    if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw invalid('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    enforce('get_member');
    await this.memberOf(ctx, image, memberId);
    enforce('modify_member');
    if (memberId !== ctx.projectId && !ctx.isAdmin) throw forbidden(`Not allowed to update members for image ${image.id}.`);
    const updated = await this.members.setStatus(imageId, memberId, status as MemberStatus);
    if (!updated) throw notFoundMember(imageId, memberId);
    return updated;
  }

  /** Of racing removals of one member, one succeeds and the others find no member (404), as in Glance. */
  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const { image, enforce } = await this.access.scope(ctx, imageId);
    enforce('get_member');
    await this.memberOf(ctx, image, memberId);
    enforce('delete_member');
    if (!(await this.members.remove(imageId, memberId))) throw notFoundMember(imageId, memberId);
  }

  /** The member entry as the caller may see it: the owner (or an admin) sees every entry, a member its own. */
  private async memberOf(ctx: RequestContext, image: Image, memberId: string): Promise<ImageMember> {
    const member = image.visibility === 'shared' ? await this.members.find(image.id, memberId) : null;
    if (!member || !(isOwnerOrAdmin(image, ctx) || memberId === ctx.projectId)) throw notFoundMember(image.id, memberId);
    return member;
  }
}

function notFoundMember(imageId: string, memberId: string) {
  return notFound(`${memberId} not found in the member list of the image ${imageId}.`);
}
