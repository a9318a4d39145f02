import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { ImageIdTombstoneDoc } from './image-id-tombstone.schema.js';

/**
 * Ids of purged images (OSSN-0075). ImageRepository writes one before it removes a record and looks here before
 * (and after) it creates an image with an id the client chose; there is no way to delete one.
 */
@Injectable()
export class ImageIdTombstoneRepository {
  constructor(@InjectModel(ImageIdTombstoneDoc.name) private readonly model: Model<ImageIdTombstoneDoc>) {}

  /** Marks the id used for good; idempotent (a purge that ran twice keeps the first time). */
  async bury(id: string, at = new Date()): Promise<void> {
    try {
      await this.model.create({ _id: id, purgedAt: at });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }

  async isBuried(id: string): Promise<boolean> {
    return (await this.model.exists({ _id: id }).exec()) !== null;
  }
}
