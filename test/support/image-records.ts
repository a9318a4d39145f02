import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { derivedKeysOf, type ImageDoc } from '@glimpse/persistence';

/**
 * A complete image record as the repository stores it, for tests and benchmarks that seed the images
 * collection directly (insertMany) instead of going through the API; `fields` override the defaults
 * (an active, private, raw/bare image without data).
 */
export function imageRecord(fields: Partial<ImageDoc> = {}): ImageDoc {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  return withDerivedKeys({
    _id: randomUUID(), name: null, status: 'active', visibility: 'private', protected: false, osHidden: false,
    checksum: null, osHashAlgo: null, osHashValue: null, owner: null, size: null, virtualSize: null, minDisk: 0, minRam: 0,
    containerFormat: 'bare', diskFormat: 'raw', createdAt: now, updatedAt: now, deletedAt: null,
    tags: [], props: [], propPairs: [], locations: [], rev: 0,
    ...fields,
  } as ImageDoc);
}

/** The record with the derived keys of its fields, as the repository writes them (image-keys.ts). */
export function withDerivedKeys(doc: ImageDoc): ImageDoc {
  return { ...doc, ...derivedKeysOf({ ...doc, properties: Object.fromEntries((doc.props ?? []).map((p) => [p.k, p.v])) }) };
}

/**
 * An image record whose data is `size` random bytes written to a file named by its id in `dir` (file store
 * `store`), with the size, MD5 and SHA-512 recorded and one active location.
 */
export function imageRecordWithFile(dir: string, store: string, size: number, fields: Partial<ImageDoc> = {}): ImageDoc {
  const image = imageRecord(fields);
  const bytes = randomBytes(size);
  const path = join(dir, image._id);
  writeFileSync(path, bytes);
  return withDerivedKeys({
    ...image, size, checksum: createHash('md5').update(bytes).digest('hex'), osHashAlgo: 'sha512',
    osHashValue: createHash('sha512').update(bytes).digest('hex'),
    locations: [{ url: pathToFileURL(path).href, store, metadata: {}, status: 'active' }],
  });
}

/** Inserts `count` records made by `make(i)` in unordered batches of `batch`. */
export async function insertImageRecords(
  collection: { insertMany(docs: never[], options: { ordered: boolean }): Promise<unknown> },
  count: number,
  make: (i: number) => ImageDoc,
  batch = 5000,
): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    const docs: ImageDoc[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) docs.push(make(j));
    await collection.insertMany(docs as never[], { ordered: false });
  }
}
