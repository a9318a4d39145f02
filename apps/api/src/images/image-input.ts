import { forbidden, invalid, tooLarge } from '@glimpse/domain';
import { BASE_ATTRIBUTES, READ_ONLY_ATTRIBUTES, imageSchema } from '../schemas/image.schema-doc.js';
import { assertMatchesSchema } from '../schemas/schema-validator.js';

export const PROPERTY_QUOTA = 128;
export const TAG_QUOTA = 128;

/**
 * A record keyed by names a client chose (image attributes and properties): it inherits nothing, so `toString`
 * is absent until set and `__proto__` is a key like any other instead of the record's prototype.
 */
export function clientRecord(source: object = {}): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, source);
}

/** Names no client may set: Glance keeps them for itself. */
export function isReserved(name: string): boolean {
  return name === 'location' || name === 'deleted' || name === 'deleted_at' || name.startsWith('os_glance');
}

/** 4-byte UTF-8 (astral-plane characters such as emoji): Glance's database refuses them, so do we. */
export function assertNoFourByteUtf8(value: unknown, where = 'body'): void {
  if (typeof value === 'string') {
    if (/[\u{10000}-\u{10FFFF}]/u.test(value)) throw invalid(`4-byte UTF-8 characters are not allowed (${where}).`);
  } else if (Array.isArray(value)) {
    value.forEach((v) => assertNoFourByteUtf8(v, where));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      assertNoFourByteUtf8(k, where);
      assertNoFourByteUtf8(v, k);
    }
  }
}

/** Checks a whole image document (after create or after applying a patch) against the image schema. */
export function assertValidImageDocument(doc: Record<string, unknown>): void {
  assertNoFourByteUtf8(doc);
  assertMatchesSchema('image', imageSchema, doc);
  const custom = Object.keys(doc).filter((k) => !BASE_ATTRIBUTES.has(k));
  for (const key of custom) {
    if (key.length > 255) throw invalid(`Provided object does not match schema 'image': property name '${key.slice(0, 40)}…' is too long (max 255).`);
  }
  if (custom.length > PROPERTY_QUOTA) throw tooLarge(`Maximum number of image properties (${PROPERTY_QUOTA}) exceeded.`);
  const tags = doc.tags as string[] | undefined;
  if (tags && new Set(tags).size > TAG_QUOTA) throw tooLarge(`Maximum number of tags (${TAG_QUOTA}) exceeded.`);
}

/** The create body, screened: read-only and reserved names refused, silently ignored ones dropped. */
export function screenCreateBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('Request body must be a JSON object.');
  }
  const doc = clientRecord();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'os_hash_algo' || key === 'os_hash_value') continue; // Glance ignores these on create
    if (key === 'locations' || isReserved(key)) throw forbidden(`Attribute '${key}' is reserved.`);
    if (READ_ONLY_ATTRIBUTES.has(key)) throw forbidden(`Attribute '${key}' is read-only.`);
    doc[key] = value;
  }
  assertValidImageDocument(doc);
  return doc;
}
