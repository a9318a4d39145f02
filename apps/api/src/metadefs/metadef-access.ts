import { Injectable } from '@nestjs/common';
import { forbidden, notFound, Policy, type PolicyTarget, type RequestContext } from '@glimpse/domain';
import { type MetadefContentKind, type MetadefNamespace, MetadefRepository } from '@glimpse/persistence';
import { enforce } from '../policy/enforce.js';

/** The policy rule of each change to a namespace's contents, by kind (Glance's names). */
export const METADEF_ACTIONS: Record<MetadefContentKind, { add: string; modify: string; remove: string; removeAll: string; read: string }> = {
  object: { add: 'add_metadef_object', modify: 'modify_metadef_object', remove: 'delete_metadef_object', removeAll: 'delete_metadef_object', read: 'get_metadef_object' },
  property: { add: 'add_metadef_property', modify: 'modify_metadef_property', remove: 'remove_metadef_property', removeAll: 'remove_metadef_property', read: 'get_metadef_property' },
  tag: { add: 'add_metadef_tag', modify: 'modify_metadef_tag', remove: 'delete_metadef_tag', removeAll: 'delete_metadef_tags', read: 'get_metadef_tag' },
  resource_type_association: {
    add: 'add_metadef_resource_type_association',
    modify: 'add_metadef_resource_type_association',
    remove: 'remove_metadef_resource_type_association',
    removeAll: 'remove_metadef_resource_type_association',
    read: 'list_metadef_resource_types',
  },
};

/**
 * Who may see and change metadata definitions: a namespace is visible to admins, when it is public or has no
 * owner, and to its owner's project, and the policy's read rule must allow it; anything invisible is a 404.
 * Changes need their policy rule (admins, by default: metadef_admin), else 403; a protected namespace keeps
 * itself and its contents from deletion (403).
 */
@Injectable()
export class MetadefAccess {
  constructor(
    private readonly repo: MetadefRepository,
    private readonly policy: Policy,
  ) {}

  static canSee(ctx: RequestContext, ns: MetadefNamespace): boolean {
    return ctx.isAdmin || ns.owner === null || ns.visibility === 'public' || (ctx.projectId !== null && ctx.projectId === ns.owner);
  }

  /** The namespace, if the caller may read it (`action`: the read rule of what is asked for). */
  async visible(ctx: RequestContext, name: string, action = 'get_metadef_namespace'): Promise<MetadefNamespace> {
    const ns = await this.repo.getNamespace(name);
    if (!ns || !MetadefAccess.canSee(ctx, ns) || !this.policy.allows(ctx, action, targetOf(ns))) {
      throw notFound(`Metadata definition namespace=${name} was not found.`);
    }
    return ns;
  }

  /** A namespace the caller may change by `action`: visible (else 404) and allowed (else 403). */
  async writable(ctx: RequestContext, name: string, action: string): Promise<MetadefNamespace> {
    const ns = await this.visible(ctx, name);
    this.enforce(ctx, action, ns);
    return ns;
  }

  /** 403 unless the policy allows `action` (on this namespace, or on the caller's own project). */
  enforce(ctx: RequestContext, action: string, ns?: MetadefNamespace): void {
    enforce(this.policy, ctx, action, ns ? targetOf(ns) : { project_id: ctx.projectId });
  }

  /** Protected namespaces refuse deletion of themselves and of what they hold. */
  static assertDeletable(ns: MetadefNamespace, what: string): void {
    if (ns.protected) throw forbidden(`Metadata definition ${what} is protected and cannot be deleted.`);
  }
}

function targetOf(ns: MetadefNamespace): PolicyTarget {
  return { project_id: ns.owner, owner: ns.owner, visibility: ns.visibility, namespace: ns.namespace };
}
