import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { conflict, invalid, type RequestContext } from '@glimpse/domain';
import { contentsOf, type MetadefContent, type MetadefNamespace, MetadefRepository, type NamespaceBody, type NamespaceListQuery } from '@glimpse/persistence';
import { checkBody, READ_ONLY } from './metadef-body.js';
import { MetadefAccess } from './metadef-access.js';
import { namespaceSchema, unnamedPropertySchema } from './metadef-schema-docs.js';
import { assertMatchesSchema } from '../schemas/schema-validator.js';
import { type NamespaceParts, namespaceView } from './metadef-views.js';

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;
const SORT_KEYS = ['created_at', 'updated_at', 'namespace', 'display_name'] as const;


export interface NamespaceList {
  namespaces: Record<string, unknown>[];
  next?: string;
}

/** /v2/metadefs/namespaces: list, create (with contents), show, replace and delete namespaces. */
@Injectable()
export class NamespacesService {
  constructor(
    private readonly repo: MetadefRepository,
    private readonly access: MetadefAccess,
  ) {}

  async list(ctx: RequestContext, query: Record<string, unknown>): Promise<NamespaceList> {
    const q = parseListQuery(query);
    this.access.enforce(ctx, 'get_metadef_namespaces');
    if (!ctx.isAdmin) q.visibleTo = { owner: ctx.projectId };
    if (typeof query.marker === 'string') q.marker = await this.access.visible(ctx, query.marker);
    if (typeof query.resource_types === 'string') {
      q.uids = await this.repo.namespacesWithResourceTypes(query.resource_types.split(',').map((s) => s.trim()).filter(Boolean));
    }
    const page = q.limit === 0 ? [] : await this.repo.listNamespaces(q);
    const associations = await this.repo.listContentsOf(page.map((n) => n.uid), 'resource_type_association');
    return {
      namespaces: page.map((ns) => namespaceView(ns, { associations: associations.get(ns.uid) })),
      ...(page.length > 0 && page.length === q.limit ? { next: page[page.length - 1]!.namespace } : {}),
    };
  }

  async show(ctx: RequestContext, name: string, resourceType?: string): Promise<Record<string, unknown>> {
    const ns = await this.access.visible(ctx, name);
    const parts = await this.parts(ns);
    const prefix = resourceType ? ((parts.associations ?? []).find((a) => a.name === resourceType)?.body.prefix as string | undefined) ?? '' : '';
    return namespaceView(ns, parts, prefix);
  }

  async create(ctx: RequestContext, body: unknown): Promise<Record<string, unknown>> {
    const b = checkBody<NamespaceBody>(body, 'namespace', namespaceSchema, READ_ONLY);
    this.access.enforce(ctx, 'add_metadef_namespace');
    for (const [name, p] of Object.entries(b.properties ?? {})) assertMatchesSchema(`property ${name}`, unnamedPropertySchema, p);
    const now = new Date();
    const ns: MetadefNamespace = {
      uid: randomUUID(),
      namespace: b.namespace,
      displayName: b.display_name ?? null,
      description: b.description ?? null,
      visibility: b.visibility ?? 'private',
      protected: b.protected ?? false,
      owner: 'owner' in b ? (b.owner ?? null) : ctx.projectId,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.repo.createNamespace(ns))) throw conflict(`The metadata definition namespace=${ns.namespace} already exists.`);
    try {
      await this.addContents(ns, contentsOf(b, now), now);
    } catch (err) {
      await this.repo.deleteNamespace(ns);
      throw err;
    }
    return namespaceView(ns, await this.parts(ns));
  }

  /** PUT replaces the namespace's own fields; unset visibility, protected and owner take their create defaults. */
  async update(ctx: RequestContext, name: string, body: unknown): Promise<Record<string, unknown>> {
    const current = await this.access.visible(ctx, name);
    const b = checkBody<NamespaceBody>(body, 'namespace', namespaceSchema, READ_ONLY);
    this.access.enforce(ctx, 'modify_metadef_namespace', current);
    const next: MetadefNamespace = {
      ...current,
      namespace: b.namespace,
      displayName: b.display_name ?? null,
      description: b.description ?? null,
      visibility: b.visibility ?? 'private',
      protected: b.protected ?? false,
      owner: b.owner ?? ctx.projectId,
      updatedAt: new Date(),
    };
    if (!(await this.repo.updateNamespace(current, next))) {
      throw conflict(`Invalid update. It would result in a duplicate metadata definition namespace with the same name of ${next.namespace}`);
    }
    return namespaceView(next);
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    const ns = await this.access.writable(ctx, name, 'delete_metadef_namespace');
    MetadefAccess.assertDeletable(ns, `namespace ${ns.namespace}`);
    await this.repo.deleteNamespace(ns);
  }

  private async parts(ns: MetadefNamespace): Promise<NamespaceParts> {
    const [associations, properties, objects, tags] = await Promise.all([
      this.repo.listContents(ns.uid, 'resource_type_association'),
      this.repo.listContents(ns.uid, 'property'),
      this.repo.listContents(ns.uid, 'object'),
      this.repo.listContents(ns.uid, 'tag'),
    ]);
    return { associations, properties, objects, tags };
  }

  private async addContents(ns: MetadefNamespace, items: MetadefContent[], now: Date): Promise<void> {
    for (const a of items.filter((i) => i.kind === 'resource_type_association')) await this.repo.ensureResourceType(a.name, false, now);
    const seen = new Set<string>();
    for (const item of items) {
      const key = `${item.kind}/${item.kind === 'tag' ? item.name.toLowerCase() : item.name}`;
      if (seen.has(key)) throw conflict(`A metadata definition ${item.kind.replace(/_/g, ' ')} with name=${item.name} already exists in namespace=${ns.namespace}.`);
      seen.add(key);
    }
    if (items.length && !(await this.repo.addContents(ns.uid, items))) {
      throw conflict(`The namespace ${ns.namespace} already holds one of these definitions.`);
    }
  }
}

/** The objects, properties, tags and associations a create body carries, as stored contents. */

function parseListQuery(query: Record<string, unknown>): NamespaceListQuery {
  const limitRaw = query.limit;
  let limit = DEFAULT_LIMIT;
  if (limitRaw !== undefined) {
    if (typeof limitRaw !== 'string' || !/^-?\d+$/.test(limitRaw)) throw invalid('limit param must be an integer');
    limit = Number(limitRaw);
    if (limit < 0) throw invalid('limit param must be positive');
  }
  const sortDir = query.sort_dir ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid(`Invalid sort direction: ${String(sortDir)}`);
  const sortKey = query.sort_key ?? 'created_at';
  if (!SORT_KEYS.includes(sortKey as (typeof SORT_KEYS)[number])) throw invalid(`Invalid sort key: ${String(sortKey)}`);
  const visibility = query.visibility;
  if (visibility !== undefined && visibility !== 'public' && visibility !== 'private') throw invalid(`Invalid visibility value: ${String(visibility)}`);
  return {
    sortKey: sortKey as NamespaceListQuery['sortKey'],
    sortDir: sortDir === 'asc' ? 1 : -1,
    limit: Math.min(limit, MAX_LIMIT),
    visibility: visibility as NamespaceListQuery['visibility'],
  };
}
