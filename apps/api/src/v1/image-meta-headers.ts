import type { IncomingHttpHeaders } from 'node:http';
import {
  CONTAINER_FORMATS,
  type ContainerFormat,
  DISK_FORMATS,
  type DiskFormat,
  forbidden,
  type Image,
  invalid,
} from '@glimpse/domain';
import { v1Time, v1Properties } from './v1-image-view.js';

/**
 * The x-image-meta-* header codec of the Images API v1 (shared/reference/glance-v1.md §1, §2): requests carry
 * image metadata in headers, HEAD and GET answer with it.
 */

const PREFIX = 'x-image-meta-';
const PROPERTY = 'property-';

/** Core fields a client may name in a header, after `-` → `_`. */
const CORE = new Set([
  'id', 'name', 'status', 'is_public', 'protected', 'owner', 'size', 'checksum', 'min_ram', 'min_disk', 'disk_format',
  'container_format', 'virtual_size', 'created_at', 'updated_at', 'deleted', 'deleted_at', 'location', 'store', 'copy_from', 'uri',
]);
/** Accepted and ignored (reference §1 "Ours: ignore", and names that never had an effect). */
const IGNORED = new Set(['virtual_size', 'created_at', 'updated_at', 'deleted', 'deleted_at', 'copy_from', 'uri']);

const INT_MAX = 2 ** 31 - 1;

/** What a v1 POST or PUT says about the image, checked. An empty header value means null. */
export interface V1Meta {
  id?: string;
  name?: string | null;
  status?: string | null;
  isPublic?: boolean;
  protected?: boolean;
  /** `''` → null, as upstream. */
  owner?: string | null;
  size?: number;
  checksum?: string;
  minRam?: number;
  minDisk?: number;
  diskFormat?: DiskFormat | null;
  containerFormat?: ContainerFormat | null;
  location?: string | null;
  store?: string | null;
  /** `x-image-meta-property-<key>`, keys normalised (lowercase, `-` → `_`); null = the header was empty. */
  properties: Record<string, string | null>;
  /** `x-glance-api-copy-from`; '' when the header was there but empty. */
  copyFrom?: string;
  /** `x-glance-registry-purge-props`, loosely parsed; undefined when absent. */
  purgeProps?: boolean;
}

/**
 * Percent-decodes once, byte-wise: glanceclient 4.1 encodes every byte but letters, digits and `_.-~/:`; raw
 * header bytes (Node hands them over as latin1) are taken as UTF-8. A `%` not followed by two hex digits stays.
 */
export function percentDecode(raw: string): string {
  const bytes = Buffer.from(raw, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else out.push(b);
  }
  return Buffer.from(out).toString('utf8');
}

const isHex = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

/** v1's loose boolean (is_public, purge-props): `1 t true on y yes` in any case are true, anything else false. */
export function looseBool(value: string): boolean {
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.trim().toLowerCase());
}

/** A property name as v1 stores it: lowercase, `-` as `_` (reference §2). */
export function normalisePropertyName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** Reads and checks every x-image-meta-* header (unknown → 400 "Bad header"), and the two x-glance-* ones. */
export function parseImageMeta(headers: IncomingHttpHeaders): V1Meta {
  const meta: V1Meta = { properties: Object.create(null) as Record<string, string | null> };
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (!rawName.startsWith(PREFIX) || rawValue === undefined) continue;
    const name = percentDecode(rawName.slice(PREFIX.length));
    const value = percentDecode(Array.isArray(rawValue) ? rawValue.join(', ') : rawValue);
    if (name.toLowerCase().startsWith(PROPERTY)) {
      const key = normalisePropertyName(name.slice(PROPERTY.length));
      if (key === '') throw invalid(`Bad header: ${rawName}`);
      if (key.startsWith('os_glance')) throw forbidden(`Attribute '${key}' is reserved.`);
      if (key.length > 255) throw invalid(`Image property name too long: ${key.length}`);
      meta.properties[key] = value === '' ? null : value;
      continue;
    }
    const field = name.toLowerCase().replace(/-/g, '_');
    if (!CORE.has(field)) throw invalid(`Bad header: ${rawName}`);
    if (!IGNORED.has(field)) setCore(meta, field, value);
  }
  const copyFrom = header(headers, 'x-glance-api-copy-from');
  if (copyFrom !== undefined) meta.copyFrom = percentDecode(copyFrom).trim();
  const purge = header(headers, 'x-glance-registry-purge-props');
  if (purge !== undefined) meta.purgeProps = looseBool(purge);
  return meta;
}

function setCore(meta: V1Meta, field: string, value: string): void {
  const nullable = value === '' ? null : value;
  switch (field) {
    case 'id':
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value)) {
        throw invalid(`Failed to reserve image. Got error: Invalid image id format: ${value}`);
      }
      meta.id = canonicalUuid(value);
      return;
    case 'name':
      if (value.length > 255) throw invalid(`Image name too long: ${value.length}`);
      meta.name = nullable;
      return;
    case 'status':
      meta.status = nullable;
      return;
    case 'is_public':
      meta.isPublic = looseBool(value);
      return;
    case 'protected':
      meta.protected = looseBool(value);
      return;
    case 'owner':
      if (value.length > 255) throw invalid(`Owner too long: ${value.length}`);
      meta.owner = nullable;
      return;
    case 'size':
      meta.size = integer(field, value, Number.MAX_SAFE_INTEGER);
      return;
    case 'checksum':
      if (value.length > 32) throw invalid(`Invalid checksum '${value}': can't exceed 32 characters`);
      if (value !== '') meta.checksum = value;
      return;
    case 'min_ram':
      meta.minRam = integer(field, value, INT_MAX);
      return;
    case 'min_disk':
      meta.minDisk = integer(field, value, INT_MAX);
      return;
    case 'disk_format':
      if (nullable !== null && !(DISK_FORMATS as readonly string[]).includes(nullable)) throw invalid(`Invalid disk format '${value}' for image.`);
      meta.diskFormat = nullable as DiskFormat | null;
      return;
    case 'container_format':
      if (nullable !== null && !(CONTAINER_FORMATS as readonly string[]).includes(nullable)) throw invalid(`Invalid container format '${value}' for image.`);
      meta.containerFormat = nullable as ContainerFormat | null;
      return;
    case 'location':
      meta.location = nullable;
      return;
    case 'store':
      meta.store = nullable;
      return;
  }
}

function integer(field: string, value: string, max: number): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > max) throw invalid(`Invalid ${field} '${value}': must be an integer between 0 and ${max}.`);
  return n;
}

function canonicalUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A header value as it may go on the wire: printable ASCII as it is, every other byte (CR, LF, other controls,
 * UTF-8 of non-ASCII text) percent-encoded, so nothing written through v2 can split or break a header.
 */
export function headerSafe(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A property name as a header name token: any byte outside RFC 9110's token characters percent-encoded. */
export function headerNameSafe(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /^[A-Za-z0-9!#$&'*+.^_`|~-]$/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The image as HEAD and GET describe it: `x-image-meta-<field>` for each non-null core field and
 * `x-image-meta-property-<key>` for each shown property; booleans True/False, v1 timestamps, never a location.
 */
export function imageMetaHeaders(image: Image): [string, string][] {
  const core: [string, string | number | boolean | null][] = [
    ['id', image.id],
    ['name', image.name],
    ['status', image.status],
    ['size', image.size],
    ['checksum', image.checksum],
    ['disk_format', image.diskFormat],
    ['container_format', image.containerFormat],
    ['is_public', image.visibility === 'public'],
    ['protected', image.protected],
    ['min_ram', image.minRam],
    ['min_disk', image.minDisk],
    ['owner', image.owner],
    ['virtual_size', image.virtualSize],
    ['created_at', v1Time(image.createdAt)],
    ['updated_at', v1Time(image.updatedAt)],
    ['deleted', image.status === 'deleted' || image.status === 'pending_delete'],
    ['deleted_at', image.deletedAt ? v1Time(image.deletedAt) : null],
  ];
  const out: [string, string][] = [];
  for (const [name, value] of core) {
    if (value === null) continue;
    out.push([`${PREFIX}${name}`, headerSafe(typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value))]);
  }
  for (const [key, value] of Object.entries(v1Properties(image))) {
    out.push([`${PREFIX}${PROPERTY}${headerNameSafe(key.toLowerCase())}`, headerSafe(value)]);
  }
  return out;
}
