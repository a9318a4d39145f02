import type { Image, ImageLocation } from './image.js';
import { ImageStatus } from './image-status.js';

/**
 * The one "back to queued" rule, for every way data can fail to arrive (an upload or stage that failed or whose
 * process died, an import rolled back, a location that could not be used): the image is `queued` again with
 * every value that described the data cleared, as Glance reverts it, so nothing of the failed attempt lingers:
 * a queued image has no data, so no copy of it either (a location import's location goes). Imports apply it
 * through their owner (ImportOwner.rollBack), which also decides when it applies.
 */
export const BACK_TO_QUEUED = {
  status: ImageStatus.Queued,
  size: null,
  virtualSize: null,
  checksum: null,
  osHashAlgo: null,
  osHashValue: null,
  locations: [] as ImageLocation[],
} as const satisfies Partial<Image>;
