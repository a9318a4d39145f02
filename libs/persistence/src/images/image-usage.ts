import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { GONE_STATUSES } from '../quotas/quota-usage.js';
import { ImageDoc } from './image.schema.js';

export interface StoreUsage {
  store: string;
  /** Copies in the store (one per image location), how many the auditor marked bad, and their bytes. */
  copies: number;
  bad: number;
  bytes: number;
}

export interface OwnerUsage {
  owner: string | null;
  images: number;
  /** Bytes in stores: each image's size once per location (how image_size_total counts). */
  storedBytes: number;
}

type UsageDoc = Pick<ImageDoc, 'owner' | 'size' | 'locations'>;

/**
 * Bytes and image counts per store and per project, from the image records (deleted and killed ones left out).
 * Summed here from one pass over the records' owner, size and locations: FerretDB 1.24's `$group` answers 0 for
 * `$sum: '$size'` and loses the other fields after `$unwind` (checked against its PostgreSQL backend).
 */
@Injectable()
export class ImageUsage {
  constructor(@InjectModel(ImageDoc.name) private readonly model: Model<ImageDoc>) {}

  async summary(): Promise<{ stores: StoreUsage[]; owners: OwnerUsage[] }> {
    const stores = new Map<string, StoreUsage>();
    const owners = new Map<string | null, OwnerUsage>();
    const cursor = this.model.find({ status: { $nin: GONE_STATUSES } }, { owner: 1, size: 1, 'locations.store': 1, 'locations.status': 1 }).lean<UsageDoc>().cursor();
    for await (const image of cursor as AsyncIterable<UsageDoc>) {
      const size = image.size ?? 0;
      const owner = owners.get(image.owner) ?? { owner: image.owner, images: 0, storedBytes: 0 };
      owner.images++;
      for (const l of image.locations ?? []) {
        const store = stores.get(l.store) ?? { store: l.store, copies: 0, bad: 0, bytes: 0 };
        store.copies++;
        store.bytes += size;
        if (l.status === 'bad') store.bad++;
        stores.set(l.store, store);
        owner.storedBytes += size;
      }
      owners.set(image.owner, owner);
    }
    return {
      stores: [...stores.values()].sort((a, b) => a.store.localeCompare(b.store)),
      owners: [...owners.values()].sort((a, b) => b.storedBytes - a.storedBytes || String(a.owner).localeCompare(String(b.owner))),
    };
  }
}
