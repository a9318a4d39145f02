/** How Glance's Swift store names containers and segments, and how a segment is told from an image. */

/** `<name>-00001`, `-00002` …: five digits at least, from 1. */
export function segmentName(name: string, n: number): string {
  return `${name}-${String(n).padStart(5, '0')}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The image a segment belongs to, or null when the name is an image's own (a plain object or a manifest). */
export function segmentOwner(name: string): string | null {
  // An image id is a UUID, whose last group (12 characters) can be all digits: a UUID is never a segment.
  if (UUID.test(name)) return null;
  const match = /^(.+)-\d{5,}$/.exec(name);
  return match ? match[1]! : null;
}

/**
 * The container of an image (swift_store_multiple_containers_seed): `<container>` with seed 0, else
 * `<container>_<first seed characters of the lower-cased id>`, the dashes among them kept but not counted.
 */
export function imageContainer(container: string, seed: number, imageId: string): string {
  if (seed <= 0) return container;
  const id = imageId.toLowerCase();
  const dashes = id.slice(0, seed).split('-').length - 1;
  return `${container}_${id.slice(0, seed + dashes)}`;
}
