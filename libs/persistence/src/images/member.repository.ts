import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { conflict, type ImageMember, type MemberStatus } from '@glimpse/domain';
import { AtomicUpdates } from '../atomic-updates.js';
import { MemberDoc } from './member.schema.js';

function toMember(doc: MemberDoc): ImageMember {
  return {
    imageId: doc.imageId,
    memberId: doc.memberId,
    status: doc.status as MemberStatus,
    canShare: doc.canShare ?? false,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Image memberships (sharing with other projects). */
@Injectable()
export class MemberRepository {
  constructor(
    @InjectModel(MemberDoc.name) private readonly model: Model<MemberDoc>,
    private readonly atomic: AtomicUpdates,
  ) {}

  async add(imageId: string, memberId: string, canShare = false): Promise<ImageMember> {
    const now = new Date();
    try {
      const doc = await this.model.create({ imageId, memberId, status: 'pending', canShare, createdAt: now, updatedAt: now });
      return toMember(doc.toObject());
    } catch (err) {
      if ((err as { code?: number }).code === 11000) {
        throw conflict(`Member ${memberId} is duplicated for image ${imageId}`);
      }
      throw err;
    }
  }

  async find(imageId: string, memberId: string): Promise<ImageMember | null> {
    const doc = await this.model.findOne({ imageId, memberId }).lean<MemberDoc>().exec();
    return doc ? toMember(doc) : null;
  }

  async listForImage(imageId: string): Promise<ImageMember[]> {
    const docs = await this.model.find({ imageId }).sort({ createdAt: 1 }).lean<MemberDoc[]>().exec();
    return docs.map(toMember);
  }

  async setStatus(imageId: string, memberId: string, status: MemberStatus): Promise<ImageMember | null> {
    const existing = await this.model.findOne({ imageId, memberId }).select({ _id: 1 }).lean().exec();
    if (!existing) return null;
    const doc = await this.atomic.findOneAndUpdate(this.model, existing._id, {}, { $set: { status, updatedAt: new Date() } });
    return doc ? toMember(doc as MemberDoc) : null;
  }

  /** v1's can_share; null when there is no such membership. */
  async setCanShare(imageId: string, memberId: string, canShare: boolean): Promise<ImageMember | null> {
    const existing = await this.model.findOne({ imageId, memberId }).select({ _id: 1 }).lean().exec();
    if (!existing) return null;
    const doc = await this.atomic.findOneAndUpdate(this.model, existing._id, {}, { $set: { canShare, updatedAt: new Date() } });
    return doc ? toMember(doc as MemberDoc) : null;
  }

  /** Every membership of a project, any status (v1's /shared-images/{tenant}). */
  async listForMember(memberId: string): Promise<ImageMember[]> {
    const docs = await this.model.find({ memberId }).sort({ createdAt: 1 }).lean<MemberDoc[]>().exec();
    return docs.map(toMember);
  }

  async remove(imageId: string, memberId: string): Promise<boolean> {
    return (await this.model.deleteOne({ imageId, memberId }).exec()).deletedCount === 1;
  }

  /**
   * The images a project is a member of, each with its membership status (listing scope): one query by the member
   * id (pushed down on FerretDB), the statuses picked by the caller, so a page after a marker reads them once.
   */
  async membershipsOf(memberId: string): Promise<{ imageId: string; status: MemberStatus }[]> {
    return this.model.find({ memberId }).select({ _id: 0, imageId: 1, status: 1 }).lean<{ imageId: string; status: MemberStatus }[]>().exec();
  }
}
