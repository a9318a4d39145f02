import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type Image, type ImageListQuery, invalid, MEMBER_STATUSES, type MemberStatus } from '@glimpse/domain';
import { afterMarker, type ListScope, listFilter, sortSpec } from './image-list-filter.js';
import { toImage } from './image.mapper.js';
import { ImageDoc } from './image.schema.js';
import { MemberRepository } from './member.repository.js';

/** One page of GET /v2/images: keyset pagination in the requested order, scoped to what the caller may see. */
@Injectable()
export class ImageListing {
  constructor(
    @InjectModel(ImageDoc.name) private readonly model: Model<ImageDoc>,
    private readonly members: MemberRepository,
  ) {}

  async page(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }): Promise<Image[]> {
    const scope = await this.scope(query, caller);
    const filter = listFilter(query, scope);
    if (query.marker !== undefined) {
      // The marker must be an image the caller may list (its other filters aside).
      const visible = listFilter({ ...query, ...NO_FILTERS, visibility: 'all', memberStatus: 'all' }, await this.scope({ ...query, memberStatus: 'all' }, caller));
      const doc = await this.model.findOne({ $and: [visible, { _id: query.marker }] }).lean<ImageDoc>().exec();
      if (!doc) throw invalid(`No image found with ID ${query.marker}`);
      (filter.$and as object[]).push(afterMarker(query, toImage(doc)));
    }
    if (query.limit === 0) return [];
    const docs = await this.model.find(filter).sort(sortSpec(query)).limit(query.limit).lean<ImageDoc[]>().exec();
    return docs.map(toImage);
  }

  /** The query plan of a page (tests and benchmarks show it uses an index). */
  async explain(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }): Promise<unknown> {
    const filter = listFilter(query, await this.scope(query, caller));
    return this.model.find(filter).sort(sortSpec(query)).limit(query.limit).explain('executionStats');
  }

  private async scope(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }): Promise<ListScope> {
    const statuses: readonly MemberStatus[] = query.memberStatus === 'all' ? MEMBER_STATUSES : [query.memberStatus];
    // v1's caller scope lists an admin's member images as any project's (Glance's registry did).
    const byMembership = caller.projectId !== null && (!caller.isAdmin || query.v1Scope === 'caller');
    const memberImageIds = byMembership ? await this.members.imageIdsFor(caller.projectId!, statuses) : [];
    return { ...caller, memberImageIds };
  }
}

/** A query's filters reset, to check the marker against the caller's scope only. */
const NO_FILTERS: Partial<ImageListQuery> = {
  name: undefined,
  id: undefined,
  status: undefined,
  containerFormat: undefined,
  diskFormat: undefined,
  owner: undefined,
  store: undefined,
  checksum: undefined,
  osHashValue: undefined,
  minRam: undefined,
  minDisk: undefined,
  protected: undefined,
  tags: [],
  size: undefined,
  sizeMin: undefined,
  sizeMax: undefined,
  createdAt: undefined,
  updatedAt: undefined,
  properties: {},
};
