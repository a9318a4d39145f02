import type { Image } from '@glimpse/domain';

/** v1 timestamps: UTC `YYYY-MM-DDTHH:MM:SS.ffffff`, microseconds and no `Z` (v2 shows `…:SSZ`). */
export function v1Time(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/**
 * The custom properties v1 shows: everything but Glance's own `os_glance_*` bookkeeping (the import lock and
 * its store lists), which v1 neither shows nor accepts.
 */
export function v1Properties(image: Image): Record<string, string> {
  return Object.fromEntries(Object.entries(image.properties).filter(([k]) => !k.startsWith('os_glance')));
}

/** Whether v1 calls the image deleted: a deleted or pending_delete record. */
export const isV1Deleted = (image: Image) => image.status === 'deleted' || image.status === 'pending_delete';

/**
 * The 18-key v1 image object of POST/PUT answers and of /images/detail, null for unset values; a reserved image
 * with no data has size 0 (Glance stored 0 there, we keep null). No v2-only keys, never a location.
 */
export function v1ImageView(image: Image): Record<string, unknown> {
  return {
    checksum: image.checksum,
    container_format: image.containerFormat,
    created_at: v1Time(image.createdAt),
    deleted: isV1Deleted(image),
    deleted_at: image.deletedAt ? v1Time(image.deletedAt) : null,
    disk_format: image.diskFormat,
    id: image.id,
    is_public: image.visibility === 'public',
    min_disk: image.minDisk,
    min_ram: image.minRam,
    name: image.name,
    owner: image.owner,
    properties: v1Properties(image),
    protected: image.protected,
    size: image.size ?? 0,
    status: image.status,
    updated_at: v1Time(image.updatedAt),
    virtual_size: image.virtualSize,
  };
}

/** An item of the brief list, GET /v1/images. */
export function v1BriefView(image: Image): Record<string, unknown> {
  return {
    id: image.id,
    name: image.name,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    checksum: image.checksum,
    size: image.size ?? 0,
  };
}
