import { Injectable } from '@nestjs/common';
import { forbidden, notFound, type RequestContext } from '@glimpse/domain';
import { type MetadefNamespace, MetadefRepository } from '@glimpse/persistence';

/**
 * Who may see and change metadata definitions, after Glance's legacy defaults: a namespace is visible to
 * admins, when it is public or has no owner, and to its owner's project; anything invisible is a 404. Every
 * change needs the admin role (metadef_admin), else 403; a protected namespace keeps itself and its
 * contents from deletion (403).
 */
@Injectable()
export class MetadefAccess {
  constructor(private readonly repo: MetadefRepository) {}

  static canSee(ctx: RequestContext, ns: MetadefNamespace): boolean {
    return ctx.isAdmin || ns.owner === null || ns.visibility === 'public' || (ctx.projectId !== null && ctx.projectId === ns.owner);
  }

  async visible(ctx: RequestContext, name: string): Promise<MetadefNamespace> {
    const ns = await this.repo.getNamespace(name);
    if (!ns || !MetadefAccess.canSee(ctx, ns)) throw notFound(`Metadata definition namespace=${name} was not found.`);
    return ns;
  }

  /** A namespace the caller may change: visible (else 404) and the caller is an admin (else 403). */
  async writable(ctx: RequestContext, name: string): Promise<MetadefNamespace> {
    const ns = await this.visible(ctx, name);
    MetadefAccess.assertAdmin(ctx);
    return ns;
  }

  static assertAdmin(ctx: RequestContext): void {
    if (!ctx.isAdmin) throw forbidden('You are not authorized to complete this action.');
  }

  /** Protected namespaces refuse deletion of themselves and of what they hold. */
  static assertDeletable(ns: MetadefNamespace, what: string): void {
    if (ns.protected) throw forbidden(`Metadata definition ${what} is protected and cannot be deleted.`);
  }
}
