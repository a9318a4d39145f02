/**
 * What makes a copy of an image the same image: which attributes are compared, which of them a PATCH can
 * bring in line, and the create body of a copy. Pure functions over image documents.
 */
import type { ImageDoc, PatchOp } from './glance-client.js';

/** Set by the server from the bytes: a difference here means different data, which no PATCH repairs. */
const DATA_FIELDS = ['checksum', 'size', 'os_hash_value'] as const;
/** Settable while an image is queued only. */
const FORMAT_FIELDS = ['disk_format', 'container_format'] as const;
/** Changeable at any time with PATCH. */
const MUTABLE_FIELDS = ['name', 'visibility', 'protected', 'os_hidden', 'min_ram', 'min_disk', 'owner', 'tags'] as const;
/** Core attributes that are neither custom properties nor compared: timestamps, status, links, store details. */
const SERVER_FIELDS = new Set([
  'id', 'status', 'os_hash_algo', 'virtual_size', 'created_at', 'updated_at', 'self', 'file', 'schema', 'stores', 'direct_url', 'locations',
]);
const CORE_FIELDS = new Set<string>([...DATA_FIELDS, ...FORMAT_FIELDS, ...MUTABLE_FIELDS, ...SERVER_FIELDS]);

export type DifferenceKind = 'data' | 'format' | 'metadata';

export interface Difference {
  field: string;
  kind: DifferenceKind;
  /** undefined: the property is absent on that side. */
  source: unknown;
  target: unknown;
  /** A custom property rather than a core attribute. */
  custom: boolean;
}

/** Custom properties the client can set (os_glance_* are the server's own bookkeeping). */
function customProperties(image: ImageDoc): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).filter(([k]) => !CORE_FIELDS.has(k) && !k.startsWith('os_glance')));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sortedTags = (image: ImageDoc) => [...((image.tags as string[] | undefined) ?? [])].sort();

/** Every compared attribute on which the target's copy differs from the source image, in a stable order. */
export function differences(source: ImageDoc, target: ImageDoc): Difference[] {
  const out: Difference[] = [];
  const core = (field: string, kind: DifferenceKind, s: unknown, t: unknown) => {
    if (!same(s ?? null, t ?? null)) out.push({ field, kind, source: s ?? null, target: t ?? null, custom: false });
  };
  for (const field of DATA_FIELDS) {
    // Digests of different algorithms are not comparable; checksum (MD5) and size still are.
    if (field === 'os_hash_value' && source.os_hash_algo !== target.os_hash_algo) continue;
    core(field, 'data', source[field], target[field]);
  }
  for (const field of FORMAT_FIELDS) core(field, 'format', source[field], target[field]);
  for (const field of MUTABLE_FIELDS) {
    if (field === 'tags') core(field, 'metadata', sortedTags(source), sortedTags(target));
    else core(field, 'metadata', source[field], target[field]);
  }
  const s = customProperties(source);
  const t = customProperties(target);
  for (const key of [...new Set([...Object.keys(s), ...Object.keys(t)])].sort()) {
    if (!same(s[key], t[key])) out.push({ field: key, kind: 'metadata', source: s[key], target: t[key], custom: true });
  }
  return out;
}

/** The POST /v2/images body of a copy: same id and every attribute a client may set. */
export function createBody(source: ImageDoc): Record<string, unknown> {
  const body: Record<string, unknown> = { id: source.id, ...customProperties(source) };
  for (const field of [...FORMAT_FIELDS, ...MUTABLE_FIELDS]) if (source[field] !== undefined) body[field] = source[field];
  return body;
}

/** JSON-Patch operations that make the target's metadata (and, for a queued target, formats) the source's. */
export function patchFor(diffs: readonly Difference[]): PatchOp[] {
  return diffs
    .filter((d) => d.kind !== 'data')
    .map((d): PatchOp => {
      const path = `/${d.field.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (d.custom && d.source === undefined) return { op: 'remove', path };
      if (d.custom && d.target === undefined) return { op: 'add', path, value: d.source };
      return { op: 'replace', path, value: d.source };
    });
}

/** One line describing a difference, for reports. */
export function describe(id: string, d: Difference): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return `${id}: ${d.field} differs: source ${show(d.source)}, target ${show(d.target)}`;
}
