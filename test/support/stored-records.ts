import type { INestApplicationContext } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { REVISION_GUARDED } from '@glimpse/persistence';

/**
 * The stored records of one collection, as the database keeps them (no repository exposes its model): for a test
 * that sets up what no call makes (a crash's leftovers, a record from hours ago) or reads exactly what is kept.
 */
export function storedRecords(app: INestApplicationContext, collection: string) {
  return app.get<Connection>(getConnectionToken()).db!.collection<{ _id: string }>(collection);
}

/**
 * As if `field` (by default updatedAt) of record `id` in `collection` had last been written `ms` ago (a write of a
 * REVISION_GUARDED collection bumps its rev, as every write there must).
 */
export async function backdate(app: INestApplicationContext, collection: string, id: string, ms: number, field = 'updatedAt'): Promise<void> {
  const bump = REVISION_GUARDED.includes(collection) ? { $inc: { rev: 1 } } : {};
  const { matchedCount } = await storedRecords(app, collection).updateOne({ _id: id }, { $set: { [field]: new Date(Date.now() - ms) }, ...bump });
  if (matchedCount !== 1) throw new Error(`no ${collection} record ${id} to backdate`);
}
