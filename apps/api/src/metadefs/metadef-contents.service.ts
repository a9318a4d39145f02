import { Injectable } from '@nestjs/common';
import { conflict, notFound, type RequestContext } from '@glimpse/domain';
import { type MetadefContent, type MetadefNamespace, MetadefRepository } from '@glimpse/persistence';
import { assertMatchesSchema } from '../schemas/schema-validator.js';
import { checkBody, READ_ONLY, READ_ONLY_TIMES } from './metadef-body.js';
import { METADEF_ACTIONS, MetadefAccess } from './metadef-access.js';
import {
  objectSchema,
  propertySchema,
  resourceTypeAssociationSchema,
  tagListSchema,
  tagSchema,
  unnamedPropertySchema,
} from './metadef-schema-docs.js';

type Kind = MetadefContent['kind'];
type Json = Record<string, unknown>;

/** How each kind of content is named in Glance's messages. */
const WHAT: Record<Kind, string> = {
  object: 'object',
  property: 'property',
  tag: 'tag',
  resource_type_association: 'resource-type association',
};

/**
 * Objects, properties, tags and resource-type associations inside a namespace. Reads need a visible
 * namespace (404), writes an admin (403), deletes an unprotected namespace (403).
 */
@Injectable()
export class MetadefContentsService {
  constructor(
    private readonly repo: MetadefRepository,
    private readonly access: MetadefAccess,
  ) {}

  async list(ctx: RequestContext, nsName: string, kind: Kind): Promise<{ ns: MetadefNamespace; items: MetadefContent[] }> {
    const ns = await this.access.visible(ctx, nsName, METADEF_ACTIONS[kind].read);
    return { ns, items: await this.repo.listContents(ns.uid, kind) };
  }

  async get(ctx: RequestContext, nsName: string, kind: Kind, name: string): Promise<MetadefContent> {
    const ns = await this.access.visible(ctx, nsName, METADEF_ACTIONS[kind].read);
    return this.found(ns, kind, name);
  }

  /** GET .../properties/{name}?resource_type=X: the name carries X's prefix, which must be there. */
  async getProperty(ctx: RequestContext, nsName: string, name: string, resourceType?: string): Promise<MetadefContent> {
    const ns = await this.access.visible(ctx, nsName, 'get_metadef_property');
    let stored = name;
    if (resourceType) {
      const association = await this.repo.getContent(ns.uid, 'resource_type_association', resourceType);
      const prefix = association?.body.prefix as string | undefined;
      if (prefix) {
        if (!name.startsWith(prefix)) {
          throw notFound(`Property ${name} does not start with the expected resource type association prefix of '${prefix}'.`);
        }
        stored = name.slice(prefix.length);
      }
    }
    return this.found(ns, 'property', stored);
  }

  async create(ctx: RequestContext, nsName: string, kind: Kind, body: unknown, tagName?: string): Promise<{ ns: MetadefNamespace; item: MetadefContent }> {
    const ns = await this.access.visible(ctx, nsName);
    const { name, definition } = parseBody(kind, body, tagName);
    this.access.enforce(ctx, METADEF_ACTIONS[kind].add, ns);
    const now = new Date();
    const item: MetadefContent = { kind, name, body: definition, createdAt: now, updatedAt: now };
    if (kind === 'resource_type_association') await this.repo.ensureResourceType(name, false, now);
    if (!(await this.repo.addContent(ns.uid, item))) throw duplicate(ns, kind, name);
    return { ns, item };
  }

  /** POST .../tags: replaces the namespace's tags with these, or adds them with X-Openstack-Append: true. */
  async createTags(ctx: RequestContext, nsName: string, body: unknown, append: boolean): Promise<MetadefContent[]> {
    const ns = await this.access.visible(ctx, nsName);
    const b = checkBody<{ tags?: Array<{ name: string }> }>(body, 'tags', tagListSchema, READ_ONLY_TIMES);
    const names = (b.tags ?? []).map((t) => parseBody('tag', t).name);
    this.access.enforce(ctx, 'add_metadef_tags', ns);
    const now = new Date();
    const tags = names.map((name): MetadefContent => ({ kind: 'tag', name, body: {}, createdAt: now, updatedAt: now }));
    const seen = new Set<string>();
    for (const t of tags) {
      if (seen.has(t.name.toLowerCase())) throw duplicate(ns, 'tag', t.name);
      seen.add(t.name.toLowerCase());
    }
    if (tags.length === 0) return [];
    if (!append) await this.repo.deleteContents(ns.uid, 'tag');
    if (!(await this.repo.addContents(ns.uid, tags))) {
      const existing = new Set((await this.repo.listContents(ns.uid, 'tag')).map((t) => t.name.toLowerCase()));
      throw duplicate(ns, 'tag', tags.find((t) => existing.has(t.name.toLowerCase()))?.name ?? tags[0]!.name);
    }
    return tags;
  }

  async update(ctx: RequestContext, nsName: string, kind: Kind, name: string, body: unknown): Promise<{ ns: MetadefNamespace; item: MetadefContent }> {
    const ns = await this.access.visible(ctx, nsName);
    const parsed = parseBody(kind, body);
    this.access.enforce(ctx, METADEF_ACTIONS[kind].modify, ns);
    const current = await this.found(ns, kind, name);
    const item: MetadefContent = { kind, name: parsed.name, body: parsed.definition, createdAt: current.createdAt, updatedAt: new Date() };
    if (!(await this.repo.replaceContent(ns.uid, current.name, item))) throw duplicate(ns, kind, parsed.name);
    return { ns, item };
  }

  async delete(ctx: RequestContext, nsName: string, kind: Kind, name: string): Promise<void> {
    const ns = await this.access.writable(ctx, nsName, METADEF_ACTIONS[kind].remove);
    const item = await this.found(ns, kind, name);
    MetadefAccess.assertDeletable(ns, `${WHAT[kind]} ${item.name}`);
    await this.repo.deleteContent(ns.uid, kind, name);
  }

  /** DELETE .../objects, .../properties, .../tags: everything of one kind. */
  async deleteAll(ctx: RequestContext, nsName: string, kind: Kind): Promise<void> {
    const ns = await this.access.writable(ctx, nsName, METADEF_ACTIONS[kind].removeAll);
    MetadefAccess.assertDeletable(ns, `namespace ${ns.namespace}`);
    await this.repo.deleteContents(ns.uid, kind);
  }

  private async found(ns: MetadefNamespace, kind: Kind, name: string): Promise<MetadefContent> {
    const item = await this.repo.getContent(ns.uid, kind, name);
    if (!item) {
      if (kind === 'resource_type_association') throw notFound(`Failed to find resource type ${name} to delete`);
      throw notFound(`The metadata definition ${WHAT[kind]} with name=${name} was not found in namespace=${ns.namespace}.`);
    }
    return item;
  }
}

function duplicate(ns: MetadefNamespace, kind: Kind, name: string) {
  if (kind === 'resource_type_association') {
    return conflict(`The metadata definition resource-type association of resource-type=${name} to namespace=${ns.namespace} already exists.`);
  }
  if (kind === 'tag') {
    return conflict(
      `A metadata tag with name=${name} already exists in namespace=${ns.namespace}. (Please note that metadata tag names are case insensitive).`,
    );
  }
  return conflict(`A metadata definition ${WHAT[kind]} with name=${name} already exists in namespace=${ns.namespace}.`);
}

/** A request body as a content's name and stored definition, checked against its schema. */
function parseBody(kind: Kind, body: unknown, tagName?: string): { name: string; definition: Json } {
  switch (kind) {
    case 'object': {
      const { name, self: _s, schema: _sc, ...definition } = checkBody<Json & { name: string }>(body, 'object', objectSchema, READ_ONLY);
      for (const [prop, p] of Object.entries((definition.properties ?? {}) as Json)) assertMatchesSchema(`property ${prop}`, unnamedPropertySchema, p);
      return { name, definition };
    }
    case 'property': {
      const { name, ...definition } = checkBody<Json & { name: string }>(body, 'property', propertySchema, READ_ONLY);
      return { name, definition };
    }
    case 'tag': {
      // POST .../tags/{name} names the tag in the path: the same rules as a name in a body.
      const { name } = checkBody<{ name: string }>(tagName !== undefined ? { name: tagName } : body, 'tag', tagSchema, READ_ONLY_TIMES);
      return { name, definition: {} };
    }
    case 'resource_type_association': {
      const { name, ...definition } = checkBody<Json & { name: string }>(body, 'resource_type_association', resourceTypeAssociationSchema, READ_ONLY_TIMES);
      return { name, definition };
    }
  }
}
