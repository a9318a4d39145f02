/**
 * A location registered with a size (v1's `x-image-meta-size` beside `x-image-meta-location`) must hold that
 * many bytes: Glance answered 409 with these words when the store reported another non-zero size (glance-v1
 * reference §6). The location's checking job refuses it with this reason; the v1 request answers with it.
 */
export function locationSizeMismatch(provided: number, stored: number): string {
  return `Provided image size must match the stored image size. (provided size: ${provided}, stored size: ${stored})`;
}

export const isLocationSizeMismatch = (reason: string): boolean => reason.startsWith('Provided image size must match the stored image size.');
