import type { Image } from './image.js';
import type { RequestContext } from './request-context.js';

/** The owner's project (or an admin) acting on the image. */
export function isOwnerOrAdmin(image: Pick<Image, 'owner'>, ctx: RequestContext): boolean {
  return ctx.isAdmin || (ctx.projectId !== null && image.owner === ctx.projectId);
}

/**
 * Whether the caller may see the image at all (Glance: an image the caller may not see is 404, never 403).
 * Members see a shared image whatever their membership status; status only steers listings. A deleted or
 * pending_delete image is gone for everyone, admins included (Glance's image repository raises not-found for any
 * row marked deleted), unless `deletedToAdmins` (the v1 API shows admins deleted records).
 */
export function canSeeImage(
  image: Pick<Image, 'owner' | 'visibility' | 'status'>,
  ctx: RequestContext,
  /** Whether the caller's project is a member of the image (any status). */
  isMember: boolean,
  deletedToAdmins = false,
): boolean {
  if ((image.status === 'deleted' || image.status === 'pending_delete') && !(deletedToAdmins && ctx.isAdmin)) return false;
  if (ctx.isAdmin) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (ctx.projectId !== null && image.owner === ctx.projectId) return true;
  return image.visibility === 'shared' && isMember;
}
