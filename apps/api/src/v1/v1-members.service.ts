import { Injectable } from '@nestjs/common';
import { conflict, forbidden, GlimpseError, type Image, type ImageMember, invalid, isOwnerOrAdmin, notFound, type RequestContext, tooLarge } from '@glimpse/domain';
import { ImageRepository, MemberRepository } from '@glimpse/persistence';
import { MEMBER_QUOTA } from '../images/members/members.service.js';
import { V1ImageAccess } from './v1-image-access.js';
import { isV1Deleted } from './v1-image-view.js';

export interface V1Membership {
  memberId: string;
  canShare: boolean;
}

/**
 * v1's members (glance-v1 reference §9) on v2's membership records: v1 ignores the member status (a v1 share
 * works at once through v1; v2 shows it to the member after acceptance) and adds can_share, which lets a member
 * share further. Only shared images have members (ours: 409 for others, where v1 silently gained nothing).
 */
@Injectable()
export class V1MembersService {
  constructor(
    private readonly members: MemberRepository,
    private readonly images: ImageRepository,
    private readonly access: V1ImageAccess,
  ) {}

  /** The owner and admins see every member, a member its own row, anyone else nothing. */
  async list(ctx: RequestContext, imageId: string): Promise<ImageMember[]> {
    const image = await this.access.visible(ctx, imageId);
    const all = await this.members.listForImage(imageId);
    if (isOwnerOrAdmin(image, ctx)) return all;
    return all.filter((m) => m.memberId === ctx.projectId);
  }

  /** PUT /members/{m}: adds the member (can_share false unless given) or changes its can_share. */
  async put(ctx: RequestContext, imageId: string, memberId: string, body: unknown): Promise<void> {
    const image = await this.sharable(ctx, imageId);
    const member = (body as { member?: { can_share?: unknown } } | null)?.member;
    const canShare = typeof member === 'object' && member !== null && typeof member.can_share === 'boolean' ? member.can_share : undefined;
    await this.upsert(image, { memberId, canShare: canShare ?? false }, canShare !== undefined);
  }

  /** PUT /members: the listed memberships replace all others. */
  async replace(ctx: RequestContext, imageId: string, body: unknown): Promise<void> {
    const image = await this.sharable(ctx, imageId);
    const wanted = parseMemberships(body);
    if (wanted.length > MEMBER_QUOTA) throw tooLarge(`The limit has been exceeded on the number of allowed image members for this image. Attempted: ${wanted.length}, Maximum: ${MEMBER_QUOTA}`);
    const keep = new Set(wanted.map((m) => m.memberId));
    for (const existing of await this.members.listForImage(imageId)) if (!keep.has(existing.memberId)) await this.members.remove(imageId, existing.memberId);
    for (const m of wanted) await this.upsert(image, m, true);
  }

  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    await this.sharable(ctx, imageId);
    if (!(await this.members.remove(imageId, memberId))) throw notFound('Membership could not be found.');
  }

  /** GET /shared-images/{t}: t's memberships the caller may see (admins: all; else where it owns the image or is t). */
  async sharedWith(ctx: RequestContext, tenant: string): Promise<ImageMember[]> {
    const memberships = await this.members.listForMember(tenant);
    const images = new Map((await this.images.findByIds(memberships.map((m) => m.imageId))).map((i) => [i.id, i]));
    return memberships.filter((m) => {
      const image = images.get(m.imageId);
      if (!image || isV1Deleted(image)) return false;
      return ctx.isAdmin || tenant === ctx.projectId || (ctx.projectId !== null && image.owner === ctx.projectId);
    });
  }

  private async upsert(image: Image, m: V1Membership, setCanShare: boolean): Promise<void> {
    const existing = await this.members.find(image.id, m.memberId);
    if (existing) {
      if (setCanShare && existing.canShare !== m.canShare) await this.members.setCanShare(image.id, m.memberId, m.canShare);
      return;
    }
    if ((await this.members.listForImage(image.id)).length >= MEMBER_QUOTA) {
      throw tooLarge(`The limit has been exceeded on the number of allowed image members for this image. Attempted: ${MEMBER_QUOTA + 1}, Maximum: ${MEMBER_QUOTA}`);
    }
    try {
      await this.members.add(image.id, m.memberId, m.canShare);
    } catch (err) {
      // Added meanwhile by a racing request: the membership is there, which is what was asked.
      if (!(err instanceof GlimpseError && err.kind === 'conflict')) throw err;
      if (setCanShare) await this.members.setCanShare(image.id, m.memberId, m.canShare);
    }
  }

  /** Sharing: admins, the owner, and members with can_share; the image must be visible and shared. */
  private async sharable(ctx: RequestContext, imageId: string): Promise<Image> {
    if (ctx.projectId === null && !ctx.isAdmin) throw new GlimpseError('unauthorized', 'A project is needed to change members.');
    const image = await this.access.visible(ctx, imageId);
    if (!isOwnerOrAdmin(image, ctx)) {
      const self = ctx.projectId === null ? null : await this.members.find(imageId, ctx.projectId);
      if (!self?.canShare) throw forbidden('No permission to share that image');
    }
    if (image.visibility !== 'shared') throw conflict('Only shared images have members');
    return image;
  }
}

function parseMemberships(body: unknown): V1Membership[] {
  const list = (body as { memberships?: unknown } | null)?.memberships;
  if (!Array.isArray(list)) throw invalid(`Invalid membership association: ${JSON.stringify(body)}`);
  return list.map((entry) => {
    const { member_id: memberId, can_share: canShare } = (entry ?? {}) as { member_id?: unknown; can_share?: unknown };
    if (typeof memberId !== 'string' || memberId === '' || memberId.length > 255) throw invalid(`Invalid membership association: ${JSON.stringify(entry)}`);
    if (canShare !== undefined && typeof canShare !== 'boolean') throw invalid(`Invalid membership association: ${JSON.stringify(entry)}`);
    return { memberId, canShare: canShare ?? false };
  });
}
