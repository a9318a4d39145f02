import type { Image } from '@glimpse/domain';

/** Properties kept on the image but never shown (Glance hides the same two). */
const HIDDEN_PROPERTIES = new Set(['os_glance_stage_host', 'os_glance_hash_op_host']);

/** Glance's timestamp form in image views: seconds precision with a Z. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ViewOptions {
  /** show_multiple_locations: expose `locations` (off by default: URLs may carry credentials). */
  showLocations?: boolean;
  /** show_image_direct_url. */
  showDirectUrl?: boolean;
}

/** The API representation: custom properties flattened next to the core attributes. */
export function imageView(image: Image, options: ViewOptions = {}): Record<string, unknown> {
  // fromEntries, not assignments: a property named __proto__ is a key of the view, not its prototype.
  const view: Record<string, unknown> = Object.fromEntries(Object.entries(image.properties).filter(([k]) => !HIDDEN_PROPERTIES.has(k)));
  Object.assign(view, {
    name: image.name,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtualSize,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    owner: image.owner,
    os_hidden: image.osHidden,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    id: image.id,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  });
  const active = image.locations.filter((l) => l.status === 'active');
  if (active.length) {
    view.stores = [...new Set(active.map((l) => l.store))].join(',');
    if (options.showDirectUrl) view.direct_url = active[0]!.url;
  }
  if (options.showLocations) view.locations = active.map((l) => ({ url: l.url, metadata: l.metadata }));
  return view;
}
