import type { Image, ImageStatus } from '@glimpse/domain';
import { derivedKeysOf, holdsDataOf, importLockedBy, minuteOf } from './image-keys.js';
import type { ImageDoc } from './image.schema.js';

export type ImageChanges = Partial<Omit<Image, 'id' | 'createdAt' | 'rev'>>;

export function toImage(doc: ImageDoc): Image {
  return {
    id: doc._id,
    name: doc.name ?? null,
    status: doc.status as ImageStatus,
    visibility: doc.visibility as Image['visibility'],
    protected: doc.protected ?? false,
    osHidden: doc.osHidden ?? false,
    checksum: doc.checksum ?? null,
    osHashAlgo: doc.osHashAlgo ?? null,
    osHashValue: doc.osHashValue ?? null,
    owner: doc.owner ?? null,
    size: doc.size ?? null,
    virtualSize: doc.virtualSize ?? null,
    minDisk: doc.minDisk ?? 0,
    minRam: doc.minRam ?? 0,
    containerFormat: (doc.containerFormat ?? null) as Image['containerFormat'],
    diskFormat: (doc.diskFormat ?? null) as Image['diskFormat'],
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    deletedAt: doc.deletedAt ?? null,
    tags: doc.tags ?? [],
    properties: Object.fromEntries((doc.props ?? []).map((p) => [p.k, p.v])),
    locations: (doc.locations ?? []).map((l) => ({ url: l.url, store: l.store, metadata: l.metadata ?? {}, status: l.status })),
    rev: doc.rev ?? 0,
  };
}

export function toDoc(image: Image): ImageDoc {
  const { id, properties, ...rest } = image;
  return {
    ...rest,
    _id: id,
    props: propsOf(properties),
    propPairs: propPairsOf(properties),
    ...derivedKeysOf(image),
  } as ImageDoc;
}

/**
 * The $set document for a set of changes (custom properties replace the whole list), with the derived keys of the
 * fields it changes (each derived from one field: image-keys.ts).
 */
export function toSet(changes: ImageChanges): Record<string, unknown> {
  const { properties, ...rest } = changes;
  const set: Record<string, unknown> = { ...rest };
  if (properties) {
    set.props = propsOf(properties);
    set.propPairs = propPairsOf(properties);
    set.importLocked = importLockedBy(properties);
  }
  if (changes.locations) set.holdsData = holdsDataOf(changes.locations);
  if (changes.deletedAt !== undefined) set.deletedMinute = minuteOf(changes.deletedAt);
  if (changes.updatedAt) set.updatedMinute = minuteOf(changes.updatedAt);
  return set;
}

function propsOf(properties: Record<string, string>): { k: string; v: string }[] {
  return Object.entries(properties).map(([k, v]) => ({ k, v }));
}

/** The form property filters match: one string per property. */
export function propPair(k: string, v: string): string {
  return JSON.stringify([k, v]);
}

function propPairsOf(properties: Record<string, string>): string[] {
  return Object.entries(properties).map(([k, v]) => propPair(k, v));
}
