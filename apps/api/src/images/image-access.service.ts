import { Injectable } from '@nestjs/common';
import { canSeeImage, forbidden, type Image, isOwnerOrAdmin, notFound, type RequestContext, isReadOnly } from '@glimpse/domain';
import { ImageRepository, MemberRepository } from '@glimpse/persistence';

/** Loads images as the caller may see them: 404 for what it may not see, 403 for what it sees but may not change. */
@Injectable()
export class ImageAccess {
  constructor(
    private readonly images: ImageRepository,
    private readonly members: MemberRepository,
  ) {}

  async visible(ctx: RequestContext, id: string): Promise<Image> {
    const image = await this.images.findById(id);
    if (image && (await this.maysee(ctx, image))) return image;
    throw notFound(`No image found with ID ${id}`);
  }

  /** The image, if the caller owns it (or is admin); 403 if it only sees it, 404 if not even that. */
  async owned(ctx: RequestContext, id: string, action = 'modify_image'): Promise<Image> {
    const image = await this.visible(ctx, id);
    if (!isOwnerOrAdmin(image, ctx)) throw forbidden(`You are not authorized to complete ${action} action.`);
    if (isReadOnly(ctx)) {
      throw forbidden(`You are not authorized to complete ${action} action.`);
    }
    return image;
  }

  private async maysee(ctx: RequestContext, image: Image): Promise<boolean> {
    if (ctx.isAdmin || image.visibility !== 'shared' || image.owner === ctx.projectId || ctx.projectId === null) {
      return canSeeImage(image, ctx, null);
    }
    return canSeeImage(image, ctx, await this.members.find(image.id, ctx.projectId));
  }
}
