import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { assertTransition, conflict, type Image, type ImageStatus, notFound } from '@glimpse/domain';
import { AtomicUpdates } from '../atomic-updates.js';
import { type ImageChanges, toDoc, toImage, toSet } from './image.mapper.js';
import { ImageDoc } from './image.schema.js';

export interface Expectation {
  /** The write happens only if the image is (still) in one of these statuses. */
  status?: ImageStatus | readonly ImageStatus[];
  /** ... and still at this revision (optimistic concurrency for read-modify-write). */
  rev?: number;
}

/** Images in MongoDB. Every write is a conditional update that bumps `rev`. */
@Injectable()
export class ImageRepository {
  constructor(
    @InjectModel(ImageDoc.name) readonly model: Model<ImageDoc>,
    private readonly atomic: AtomicUpdates,
  ) {}

  async create(input: Image): Promise<Image> {
    const image = { ...input, createdAt: wholeSeconds(input.createdAt), updatedAt: wholeSeconds(input.updatedAt) };
    try {
      await this.model.create(toDoc(image));
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw conflict(`An image with identifier ${image.id} already exists`);
      throw err;
    }
    return image;
  }

  async findById(id: string): Promise<Image | null> {
    const doc = await this.model.findById(id).lean<ImageDoc>().exec();
    return doc ? toImage(doc) : null;
  }

  async findByIds(ids: readonly string[]): Promise<Image[]> {
    const docs = await this.model.find({ _id: { $in: ids } }).lean<ImageDoc[]>().exec();
    return docs.map(toImage);
  }

  /** Applies changes if the expectation holds; null when it no longer does (someone else won). */
  async update(id: string, expect: Expectation, changes: ImageChanges): Promise<Image | null> {
    const conditions: Record<string, unknown> = {};
    if (expect.status !== undefined) {
      conditions.status = typeof expect.status === 'string' ? expect.status : { $in: expect.status };
    }
    if (expect.rev !== undefined) conditions.rev = expect.rev;
    const doc = await this.atomic.findOneAndUpdate(this.model, id, conditions, {
      $set: { ...toSet(changes), updatedAt: wholeSeconds(changes.updatedAt ?? new Date()) },
      $inc: { rev: 1 },
    });
    return doc ? toImage(doc as ImageDoc) : null;
  }

  /**
   * Moves the image from one status to another (checked against the status table) with further changes,
   * atomically; 409 when the image is no longer in `from`.
   */
  async transition(id: string, from: ImageStatus, to: ImageStatus, changes: ImageChanges = {}): Promise<Image> {
    assertTransition(from, to);
    const updated = await this.update(id, { status: from }, { ...changes, status: to });
    if (updated) return updated;
    const current = await this.findById(id);
    if (!current) throw notFound(`No image found with ID ${id}`);
    throw conflict(`Image status transition from ${current.status} to ${to} is not allowed`);
  }

  /**
   * Read-modify-write: `change` computes the changes from the current image (or throws to refuse); a status
   * change is checked against the status table. Writers of one image take turns, and one that another process
   * got ahead of runs again on the fresh image (AtomicUpdates.readModifyWrite): never a 409 for being busy.
   */
  mutate(id: string, change: (image: Image) => ImageChanges | Promise<ImageChanges>): Promise<Image> {
    return this.atomic.readModifyWrite(this.model.collection.name, id, async () => {
      const current = await this.findById(id);
      if (!current) throw notFound(`No image found with ID ${id}`);
      const changes = await change(current);
      if (changes.status !== undefined && changes.status !== current.status) assertTransition(current.status, changes.status);
      return this.update(id, { rev: current.rev }, changes);
    });
  }

  /** Removes the record for good (the reaper's last step). */
  async purge(id: string): Promise<boolean> {
    const res = await this.model.deleteOne({ _id: id }).exec();
    return res.deletedCount === 1;
  }
}

/**
 * Image timestamps are kept to the second, as Glance shows them: a created_at/updated_at filter then means
 * exactly what the client saw in the image's view.
 */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
