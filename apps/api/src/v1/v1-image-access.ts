import { Injectable } from '@nestjs/common';
import { GlimpseError, type Image, type RequestContext } from '@glimpse/domain';
import { ImageAccess } from '../images/image-access.service.js';
import { isV1Deleted } from './v1-image-view.js';

/**
 * v2's image access (visibility, membership of any status, the policy) with v1's answers: an image the caller may
 * not see, or a deleted one for a non-admin (deleted and pending_delete alike), is "Image with identifier X not
 * found" (glance-v1 reference §5).
 */
@Injectable()
export class V1ImageAccess {
  constructor(private readonly access: ImageAccess) {}

  async visible(ctx: RequestContext, id: string): Promise<Image> {
    return this.checked(ctx, id, () => this.access.visible(ctx, id, { deletedToAdmins: true }));
  }

  async permitted(ctx: RequestContext, id: string, action: string): Promise<Image> {
    return this.checked(ctx, id, () => this.access.permitted(ctx, id, action, { deletedToAdmins: true }));
  }

  enforce(ctx: RequestContext, image: Image, action: string): Promise<void> {
    return this.access.enforce(ctx, image, action);
  }

  private async checked(ctx: RequestContext, id: string, load: () => Promise<Image>): Promise<Image> {
    let image: Image;
    try {
      image = await load();
    } catch (err) {
      if (err instanceof GlimpseError && err.kind === 'not-found') throw v1NotFound(id);
      throw err;
    }
    if (!ctx.isAdmin && isV1Deleted(image)) throw v1NotFound(id);
    return image;
  }
}

/** Glance's get_image_meta_or_404 passed its message as WebOb's detail: the body opens with "The resource could not be found." */
export const v1NotFound = (id: string) => new GlimpseError('not-found', `Image with identifier ${id} not found`, {}, { asDetail: true });
