import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { findByIds } from '../by-ids.js';
import { DatabaseServer } from '../database-server.js';
import {
  type MetadefContentKind,
  MetadefContentDoc,
  MetadefNamespaceDoc,
  MetadefResourceTypeDoc,
} from './metadef.schemas.js';

export interface MetadefNamespace {
  /** Stable id of the namespace (its name may change). */
  uid: string;
  namespace: string;
  displayName: string | null;
  description: string | null;
  visibility: 'public' | 'private';
  protected: boolean;
  owner: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

/** An object, property, tag or resource-type association of a namespace; `body` is its definition. */
export interface MetadefContent {
  kind: MetadefContentKind;
  name: string;
  body: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface MetadefResourceType {
  name: string;
  protected: boolean;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface NamespaceListQuery {
  /** undefined: every namespace (admin); otherwise public ones plus those of this owner (if any). */
  visibleTo?: { owner: string | null };
  visibility?: 'public' | 'private';
  /** Only namespaces whose uid is in this list. */
  uids?: string[];
  sortKey: 'created_at' | 'updated_at' | 'namespace' | 'display_name';
  sortDir: 1 | -1;
  limit: number;
  marker?: MetadefNamespace;
}

const SORT_FIELD = { created_at: 'createdAt', updated_at: 'updatedAt', namespace: '_id', display_name: 'displayName' } as const;
const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

function toNamespace(doc: MetadefNamespaceDoc): MetadefNamespace {
  const { _id, ...rest } = doc;
  return { ...rest, namespace: _id, displayName: rest.displayName ?? null, description: rest.description ?? null, updatedAt: rest.updatedAt ?? null };
}

function toContent(doc: MetadefContentDoc): MetadefContent {
  return { kind: doc.kind, name: doc.name, body: JSON.parse(doc.body) as Record<string, unknown>, createdAt: doc.createdAt, updatedAt: doc.updatedAt ?? null };
}

/** Content ids make duplicates impossible: one object / property / tag (case-insensitive) / association per name. */
function contentId(kind: MetadefContentKind, nsUid: string, name: string): string {
  return `${kind}/${nsUid}/${kind === 'tag' ? name.toLowerCase() : name}`;
}

/** Metadata definitions: namespaces, their contents and the resource types. */
@Injectable()
export class MetadefRepository {
  constructor(
    @InjectModel(MetadefNamespaceDoc.name) private readonly namespaces: Model<MetadefNamespaceDoc>,
    @InjectModel(MetadefContentDoc.name) private readonly contents: Model<MetadefContentDoc>,
    @InjectModel(MetadefResourceTypeDoc.name) private readonly resourceTypes: Model<MetadefResourceTypeDoc>,
    private readonly server: DatabaseServer,
  ) {}

  /** False when a namespace of that name exists. */
  async createNamespace(ns: MetadefNamespace): Promise<boolean> {
    const { namespace, ...rest } = ns;
    try {
      await this.namespaces.create({ _id: namespace, ...rest });
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  async getNamespace(name: string): Promise<MetadefNamespace | null> {
    const doc = await this.namespaces.findById(name).lean<MetadefNamespaceDoc>().exec();
    return doc ? toNamespace(doc) : null;
  }

  async listNamespaces(q: NamespaceListQuery): Promise<MetadefNamespace[]> {
    const and: Record<string, unknown>[] = [];
    if (q.visibleTo) {
      and.push(q.visibleTo.owner === null ? { visibility: 'public' } : { $or: [{ visibility: 'public' }, { owner: q.visibleTo.owner }] });
    }
    if (q.visibility) and.push({ visibility: q.visibility });
    if (q.uids) and.push({ uid: { $in: q.uids } });
    const field = SORT_FIELD[q.sortKey];
    if (q.marker) {
      const op = q.sortDir === -1 ? '$lt' : '$gt';
      const value = field === '_id' ? q.marker.namespace : (q.marker as unknown as Record<string, unknown>)[field];
      and.push({ $or: [{ [field]: { [op]: value } }, ...(field === '_id' ? [] : [{ [field]: value, _id: { [op]: q.marker.namespace } }])] });
    }
    const sort: Record<string, 1 | -1> = { [field]: q.sortDir };
    if (field !== '_id') sort._id = q.sortDir;
    const docs = await this.namespaces
      .find(and.length ? { $and: and } : {})
      .sort(sort)
      .limit(q.limit)
      .lean<MetadefNamespaceDoc[]>()
      .exec();
    return docs.map(toNamespace);
  }

  /** Saves new values; a new name moves the record (false when that name is taken). Contents follow the uid. */
  async updateNamespace(current: MetadefNamespace, next: MetadefNamespace): Promise<boolean> {
    const { namespace, ...rest } = next;
    if (namespace === current.namespace) {
      await this.namespaces.updateOne({ _id: namespace }, { $set: rest }).exec();
      return true;
    }
    if (!(await this.createNamespace(next))) return false;
    await this.namespaces.deleteOne({ _id: current.namespace, uid: current.uid }).exec();
    return true;
  }

  async deleteNamespace(ns: MetadefNamespace): Promise<void> {
    await this.contents.deleteMany({ nsUid: ns.uid }).exec();
    await this.namespaces.deleteOne({ _id: ns.namespace, uid: ns.uid }).exec();
  }

  async listContents(nsUid: string, kind: MetadefContentKind): Promise<MetadefContent[]> {
    const docs = await this.contents.find({ nsUid, kind }).sort({ createdAt: 1, seq: 1, _id: 1 }).lean<MetadefContentDoc[]>().exec();
    return docs.map(toContent);
  }

  /** Contents of one kind for many namespaces, by namespace uid: one `{ nsUid, kind }` query each (no `$in`). */
  async listContentsOf(nsUids: string[], kind: MetadefContentKind): Promise<Map<string, MetadefContent[]>> {
    const unique = [...new Set(nsUids)];
    const lists = await Promise.all(unique.map((nsUid) => this.listContents(nsUid, kind)));
    const out = new Map<string, MetadefContent[]>();
    unique.forEach((nsUid, i) => {
      if (lists[i]!.length) out.set(nsUid, lists[i]!);
    });
    return out;
  }

  async getContent(nsUid: string, kind: MetadefContentKind, name: string): Promise<MetadefContent | null> {
    const doc = await this.contents.findById(contentId(kind, nsUid, name)).lean<MetadefContentDoc>().exec();
    return doc ? toContent(doc) : null;
  }

  /** False when the namespace already has one of that name. */
  async addContent(nsUid: string, item: MetadefContent): Promise<boolean> {
    try {
      await this.contents.create({ ...this.contentDoc(nsUid, item) });
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  /** Adds several at once; false (nothing added) when one exists already. A racing writer may leave part of them. */
  async addContents(nsUid: string, items: MetadefContent[]): Promise<boolean> {
    const docs = items.map((i, seq) => this.contentDoc(nsUid, i, seq));
    const taken = await findByIds(this.server, this.contents, docs.map((d) => d._id), {}, { _id: 1 });
    if (taken.length > 0) return false;
    try {
      await this.contents.insertMany(docs, { ordered: true });
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  /** Replaces `name`'s definition with `next` (which may rename it); false when the new name is taken. */
  async replaceContent(nsUid: string, name: string, next: MetadefContent): Promise<boolean> {
    const oldId = contentId(next.kind, nsUid, name);
    const doc = this.contentDoc(nsUid, next);
    if (doc._id === oldId) {
      await this.contents.updateOne({ _id: oldId }, { $set: { name: doc.name, body: doc.body, updatedAt: doc.updatedAt } }).exec();
      return true;
    }
    if (!(await this.addContent(nsUid, next))) return false;
    await this.contents.deleteOne({ _id: oldId }).exec();
    return true;
  }

  async deleteContent(nsUid: string, kind: MetadefContentKind, name: string): Promise<boolean> {
    const res = await this.contents.deleteOne({ _id: contentId(kind, nsUid, name) }).exec();
    return res.deletedCount > 0;
  }

  async deleteContents(nsUid: string, kind: MetadefContentKind): Promise<void> {
    await this.contents.deleteMany({ nsUid, kind }).exec();
  }

  /** Uids of the namespaces associated with any of these resource types: one `{ kind, name }` query per type. */
  async namespacesWithResourceTypes(names: string[]): Promise<string[]> {
    const found = await Promise.all(
      [...new Set(names)].map((name) =>
        this.contents.find({ kind: 'resource_type_association', name }, { nsUid: 1 }).lean<Array<Pick<MetadefContentDoc, 'nsUid'>>>().exec(),
      ),
    );
    return [...new Set(found.flat().map((d) => d.nsUid))];
  }

  async listResourceTypes(): Promise<MetadefResourceType[]> {
    const docs = await this.resourceTypes.find().sort({ createdAt: 1, _id: 1 }).lean<MetadefResourceTypeDoc[]>().exec();
    return docs.map((d) => ({ name: d._id, protected: d.protected, createdAt: d.createdAt, updatedAt: d.updatedAt ?? null }));
  }

  /** Creates the resource type unless it exists. */
  async ensureResourceType(name: string, isProtected: boolean, at: Date): Promise<void> {
    try {
      await this.resourceTypes.create({ _id: name, protected: isProtected, createdAt: at, updatedAt: null });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
  }

  private contentDoc(nsUid: string, item: MetadefContent, seq = 0): MetadefContentDoc {
    return {
      _id: contentId(item.kind, nsUid, item.name),
      kind: item.kind,
      nsUid,
      name: item.name,
      body: JSON.stringify(item.body),
      seq,
      createdAt: item.createdAt,
      updatedAt: item.updatedAt,
    };
  }
}
