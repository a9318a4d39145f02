import type { Model } from 'mongoose';
import type { DatabaseServer } from './database-server.js';

/** By-id lookups in flight at once where each id is its own query (FerretDB). */
const BY_ID_PARALLEL = 8;

/**
 * The records whose `_id` is one of `ids` and that match `filter` too (lean, in no particular order). MongoDB
 * answers one `$in` from its `_id` index; FerretDB pushes no `$in` down (each would read the whole table), so there
 * it is one `{ _id }` query per id, served by the companion index, a few at a time, the rest of the filter checked
 * on the one row each finds.
 */
export async function findByIds<T>(
  server: DatabaseServer,
  // Any collection: the filter is built here, so no schema type narrows it.
  model: Model<any>,
  ids: readonly string[],
  filter: Record<string, unknown> = {},
  projection?: Record<string, 0 | 1>,
): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  if (!server.equalityPushdownOnly) return model.find({ ...filter, _id: { $in: unique } }, projection).lean<T[]>().exec();
  const found: T[] = [];
  for (let i = 0; i < unique.length; i += BY_ID_PARALLEL) {
    const docs = await Promise.all(unique.slice(i, i + BY_ID_PARALLEL).map((id) => model.findOne({ ...filter, _id: id }, projection).lean<T>().exec()));
    for (const doc of docs) if (doc) found.push(doc);
  }
  return found;
}
