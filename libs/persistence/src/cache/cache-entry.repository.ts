import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { AtomicUpdates } from '../atomic-updates.js';
import { CacheEntryDoc } from './cache-entry.schema.js';

export interface CachedImage {
  node: string;
  imageId: string;
  size: number;
  checksum: string | null;
  hits: number;
  lastAccessed: Date;
  lastModified: Date;
}

const idOf = (node: string, imageId: string) => `${node}|${imageId}`;

function toCached(doc: CacheEntryDoc): CachedImage {
  return {
    node: doc.node,
    imageId: doc.imageId,
    size: doc.size,
    checksum: doc.checksum,
    hits: doc.hits,
    lastAccessed: doc.lastAccessed ?? doc.queuedAt,
    lastModified: doc.lastModified ?? doc.queuedAt,
  };
}

/** Which images each API node has cached or queued, their hits and last access: the records of every node's cache. */
@Injectable()
export class CacheEntryRepository {
  constructor(
    @InjectModel(CacheEntryDoc.name) private readonly model: Model<CacheEntryDoc>,
    private readonly atomic: AtomicUpdates,
  ) {}

  /** Queues an image on a node; false when the node already has it cached or queued. */
  async queue(node: string, imageId: string): Promise<boolean> {
    try {
      await this.model.create({ _id: idOf(node, imageId), node, imageId, state: 'queued', queuedAt: new Date() });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  async isQueued(node: string, imageId: string): Promise<boolean> {
    return (await this.model.exists({ _id: idOf(node, imageId), state: 'queued' }).exec()) !== null;
  }

  /** The node's queue, oldest first. */
  async queued(node: string): Promise<string[]> {
    const docs = await this.model.find({ node, state: 'queued' }).sort({ queuedAt: 1, _id: 1 }).select({ imageId: 1 }).lean<CacheEntryDoc[]>().exec();
    return docs.map((d) => d.imageId);
  }

  /** Records a complete, verified file (replacing a queue entry). */
  async markCached(node: string, imageId: string, size: number, checksum: string | null): Promise<void> {
    const now = new Date();
    await this.model
      .updateOne(
        { _id: idOf(node, imageId) },
        { $set: { node, imageId, state: 'cached', size, checksum, hits: 0, lastAccessed: now, lastModified: now }, $setOnInsert: { queuedAt: now } },
        { upsert: true },
      )
      .exec();
  }

  /**
   * A prefetched image: its queue entry becomes the cached one, if it is still queued (a queue cleared or an entry
   * removed while the fetch ran cancels it). False when there was no queue entry.
   */
  async promoteQueued(node: string, imageId: string, size: number, checksum: string | null): Promise<boolean> {
    const now = new Date();
    const doc = await this.atomic.findOneAndUpdate(this.model, idOf(node, imageId), { state: 'queued' }, {
      $set: { state: 'cached', size, checksum, hits: 0, lastAccessed: now, lastModified: now },
    });
    return doc !== null;
  }

  async findCached(node: string, imageId: string): Promise<CachedImage | null> {
    const doc = await this.model.findOne({ _id: idOf(node, imageId), state: 'cached' }).lean<CacheEntryDoc>().exec();
    return doc ? toCached(doc) : null;
  }

  /** The node's cached images (least recently used first). */
  async cached(node: string): Promise<CachedImage[]> {
    const docs = await this.model.find({ node, state: 'cached' }).sort({ lastAccessed: 1, _id: 1 }).lean<CacheEntryDoc[]>().exec();
    return docs.map(toCached);
  }

  /** A download served from the cache: one more hit, accessed now. */
  async recordHit(node: string, imageId: string): Promise<void> {
    await this.atomic.findOneAndUpdate(this.model, idOf(node, imageId), { state: 'cached' }, { $inc: { hits: 1 }, $set: { lastAccessed: new Date() } });
  }

  /** Removes the node's entry for an image in the given state; true if there was one. */
  async remove(node: string, imageId: string, state: 'queued' | 'cached'): Promise<boolean> {
    return (await this.model.deleteOne({ _id: idOf(node, imageId), state }).exec()).deletedCount > 0;
  }

  /** Removes every entry of the node in a state; how many. */
  async removeAll(node: string, state: 'queued' | 'cached'): Promise<number> {
    return (await this.model.deleteMany({ node, state }).exec()).deletedCount;
  }

  /** The nodes that hold an image in their cache. */
  async nodesCaching(imageId: string): Promise<string[]> {
    const docs = await this.model.find({ imageId, state: 'cached' }).select({ node: 1 }).lean<CacheEntryDoc[]>().exec();
    return docs.map((d) => d.node).sort();
  }

  /** Per node: how many images it has cached and their bytes (the metrics of every node, from any). */
  async sizeByNode(): Promise<{ node: string; images: number; bytes: number }[]> {
    // Summed here rather than by $group: a cache holds few images, and FerretDB's $group cannot use an index anyway.
    const docs = await this.model.find({ state: 'cached' }).select({ node: 1, size: 1 }).lean<CacheEntryDoc[]>().exec();
    const byNode = new Map<string, { node: string; images: number; bytes: number }>();
    for (const d of docs) {
      const n = byNode.get(d.node) ?? { node: d.node, images: 0, bytes: 0 };
      n.images++;
      n.bytes += d.size;
      byNode.set(d.node, n);
    }
    return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
  }
}
