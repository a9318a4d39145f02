import { Injectable } from '@nestjs/common';
import { canSeeImage, forbidden, type Image, isOwnerOrAdmin, notFound, Policy, type PolicyTarget, type RequestContext } from '@glimpse/domain';
import { ImageRepository, MemberRepository } from '@glimpse/persistence';
import { enforce } from '../policy/enforce.js';

/**
 * Loads images as the caller may see them and checks what it may do, as Glance does: an image the caller may
 * not see (visibility and membership, then the `get_image` rule) is 404; an action the policy refuses on an image
 * it sees is 403. With the legacy policy, changes also need the owner's project (or an admin), as Glance's
 * database layer requires.
 */
@Injectable()
export class ImageAccess {
  constructor(
    private readonly images: ImageRepository,
    private readonly members: MemberRepository,
    private readonly policy: Policy,
  ) {}

  async visible(ctx: RequestContext, id: string, options?: LoadOptions): Promise<Image> {
    return (await this.load(ctx, id, options)).image;
  }

  /** The image, if the caller may take `action` on it (404 if it may not see it, 403 if it may not act). */
  async permitted(ctx: RequestContext, id: string, action: string, options?: LoadOptions): Promise<Image> {
    const { image, member } = await this.load(ctx, id, options);
    this.check(ctx, image, member, action);
    return image;
  }

  /**
   * The image as the caller sees it, with a check of further actions judged by the membership read with it: a
   * membership removed meanwhile makes the request's later steps find no member (404), not fail a policy (403).
   */
  async scope(ctx: RequestContext, id: string): Promise<{ image: Image; enforce: (action: string) => void }> {
    const { image, member } = await this.load(ctx, id);
    return { image, enforce: (action) => this.check(ctx, image, member, action) };
  }

  /** 403 unless the caller may take `action` on this (visible) image. */
  async enforce(ctx: RequestContext, image: Image, action: string): Promise<void> {
    this.check(ctx, image, await this.membership(ctx, image), action);
  }

  private async load(ctx: RequestContext, id: string, options: LoadOptions = {}): Promise<{ image: Image; member: boolean }> {
    const image = await this.images.findById(id);
    if (image) {
      const member = await this.membership(ctx, image);
      if (canSeeImage(image, ctx, member, options.deletedToAdmins) && this.policy.allows(ctx, 'get_image', this.targetOf(ctx, image, member))) {
        return { image, member };
      }
    }
    throw notFound(`No image found with ID ${id}`);
  }

  private check(ctx: RequestContext, image: Image, member: boolean, action: string): void {
    enforce(this.policy, ctx, action, this.targetOf(ctx, image, member));
    if (this.policy.settings.defaults === 'legacy' && MUTATIONS.has(action) && !isOwnerOrAdmin(image, ctx)) {
      throw forbidden('You do not own this image');
    }
  }

  /** Whether the caller's project is a member of the (shared) image. */
  private async membership(ctx: RequestContext, image: Image): Promise<boolean> {
    if (image.visibility !== 'shared' || ctx.projectId === null || image.owner === ctx.projectId) return false;
    return (await this.members.find(image.id, ctx.projectId)) !== null;
  }

  private targetOf(ctx: RequestContext, image: Image, member: boolean): PolicyTarget {
    return { id: image.id, project_id: image.owner, owner: image.owner, visibility: image.visibility, member_id: member ? ctx.projectId : null, status: image.status };
  }
}

interface LoadOptions {
  /** Admins see deleted and pending_delete images too (v1 does; v2 answers 404 to everyone). */
  deletedToAdmins?: boolean;
}

/** Actions Glance's legacy mode keeps to the owner's project (check_is_image_mutable). */
const MUTATIONS = new Set(['modify_image', 'delete_image', 'upload_image', 'deactivate', 'reactivate', 'delete_image_location', 'add_member', 'delete_member']);
