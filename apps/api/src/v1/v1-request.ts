import type { IncomingMessage } from 'node:http';
import { type Image, invalid, tooLarge } from '@glimpse/domain';
import { BASE_ATTRIBUTES } from '../schemas/image.schema-doc.js';
import { PROPERTY_QUOTA } from '../images/image-input.js';
import type { V1Meta } from './image-meta-headers.js';

/** There is a body when it is chunked (even with 0 bytes) or has a Content-Length above 0 (reference §6). */
export function hasBody(req: IncomingMessage): boolean {
  if (/\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''))) return true;
  return Number(req.headers['content-length'] ?? 0) > 0;
}

/** The size the client announces for its data: Content-Length of a body, else x-image-meta-size. */
export function announcedSize(req: IncomingMessage, meta: V1Meta): number | undefined {
  const length = req.headers['content-length'];
  if (length !== undefined && hasBody(req)) return Number(length);
  return meta.size;
}

const AMAZON = new Set(['aki', 'ari', 'ami']);

/**
 * aki/ari/ami: one format given is copied to the other; two that differ while either is one of them → 400
 * (reference §6 step 1). Applied to the formats the image will have after the request.
 */
export function amazonFormats(meta: V1Meta, current?: Pick<Image, 'diskFormat' | 'containerFormat'>): void {
  const disk = meta.diskFormat !== undefined ? meta.diskFormat : (current?.diskFormat ?? null);
  const container = meta.containerFormat !== undefined ? meta.containerFormat : (current?.containerFormat ?? null);
  if (disk && !container && AMAZON.has(disk) && meta.containerFormat === undefined) meta.containerFormat = disk as V1Meta['containerFormat'];
  else if (container && !disk && AMAZON.has(container) && meta.diskFormat === undefined) meta.diskFormat = container as V1Meta['diskFormat'];
  else if (disk && container && disk !== container && (AMAZON.has(disk) || AMAZON.has(container))) {
    throw invalid(
      'Invalid mix of disk and container formats. When setting a disk or container format to one of \'aki\', \'ari\', or \'ami\', the container and disk formats must match.',
    );
  }
}

/**
 * The one v1 source of data a request may name (body, location or copy-from), checked before anything is
 * written (reference §6 steps 4 and 7; ours: ahead of the record). x-image-meta-location only when
 * GLIMPSE_API_V1_LOCATIONS is on, and like copy-from only over http(s).
 */
export function sourceOf(meta: V1Meta, body: boolean, locations: boolean): V1Source {
  const location = meta.location !== undefined && meta.location !== null;
  if ([body, location, meta.copyFrom !== undefined].filter(Boolean).length > 1) throw invalid("It's invalid to provide multiple image sources.");
  if (meta.location === null || meta.copyFrom === '') throw invalid('External source should not be empty');
  const url = meta.location ?? meta.copyFrom;
  if (url !== undefined && (!/^https?:\/\//i.test(url) || (location && !locations))) throw invalid(`External sources are not supported: '${url}'`);
  return body ? 'body' : location ? 'location' : meta.copyFrom !== undefined ? 'copy-from' : 'none';
}

export type V1Source = 'body' | 'copy-from' | 'location' | 'none';

/** Data needs both formats (upstream asked after creating the record, leaving a queued orphan; we ask first). */
export function assertFormatsForData(formats: { diskFormat?: string | null; containerFormat?: string | null }): void {
  if (!formats.diskFormat) throw invalid('Disk format is not specified.');
  if (!formats.containerFormat) throw invalid('Container format is not specified.');
}

/** v1 data is application/octet-stream only. */
export function assertOctetStreamBody(req: IncomingMessage): void {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream') throw invalid('Content-Type must be application/octet-stream');
}

/**
 * v1 property names that v2 shows as image attributes (a property `visibility` or `tags` would turn into one):
 * refused, since one image is one record for both APIs.
 */
export function assertNotCoreNames(properties: Record<string, unknown>): void {
  for (const key of Object.keys(properties)) {
    if (BASE_ATTRIBUTES.has(key) || key === 'location' || key === 'locations' || key === 'deleted' || key === 'deleted_at') {
      throw invalid(`Property '${key}' is an image attribute in the Images API v2 and cannot be a custom property.`);
    }
  }
}

/** image_property_quota: more than 128 properties → 413 in Glance's v1 words. */
export function assertPropertyQuota(count: number): void {
  if (count > PROPERTY_QUOTA) {
    throw tooLarge(`The limit has been exceeded on the number of allowed image properties. Attempted: ${count}, Maximum: ${PROPERTY_QUOTA}`);
  }
}

/** The size and checksum the client announced must be what arrived (reference §6: a mismatch kills the image). */
export function announcedDigestCheck(size: number | undefined, checksum: string | undefined): (digests: { size: number; md5: string }) => void {
  return (digests) => {
    if (size !== undefined && size !== digests.size) {
      throw invalid(`Supplied size (${size}) and size generated from uploaded image (${digests.size}) did not match. Setting image status to 'killed'.`);
    }
    if (checksum !== undefined && checksum !== digests.md5) {
      throw invalid(`Supplied checksum (${checksum}) and checksum generated from uploaded image (${digests.md5}) did not match. Setting image status to 'killed'.`);
    }
  };
}
