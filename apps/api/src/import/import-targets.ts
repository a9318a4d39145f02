import { conflict, type Image, type ImportRequest, invalid } from '@glimpse/domain';

/** Injection token of the StoreChoice the API was started with. */
export const STORE_CHOICE = Symbol('STORE_CHOICE');

/** What the import needs to know of the configured stores. */
export interface StoreChoice {
  /** Writable store ids in configuration order (http stores are read-only and never targets). */
  writable: readonly string[];
  defaultId: string;
  /** More than one store configured (Glance's multi-store mode). With one, the same rules hold trivially. */
  multi: boolean;
}

/**
 * The stores an import writes to, after Glance's rules: `stores`, else the X-Image-Meta-Store header, else the
 * default; `all_stores` means every writable store; combining them is a 400, an unknown store a 409. For
 * copy-image, stores already holding the image are skipped under all_stores and refused when named.
 */
export function importTargets(req: ImportRequest, headerStore: string | undefined, image: Image, stores: StoreChoice): string[] {
  if (!stores.multi && !req.allStoresMustSucceed) {
    throw invalid("'all_stores_must_succeed' may only be false when multiple stores are configured.");
  }
  if (req.allStores && (req.stores !== undefined || headerStore !== undefined)) {
    throw invalid("'all_stores' may not be combined with 'stores' or the X-Image-Meta-Store header.");
  }
  if (req.stores !== undefined && headerStore !== undefined) {
    throw invalid("'stores' may not be combined with the X-Image-Meta-Store header.");
  }
  const holding = new Set(image.locations.filter((l) => l.status === 'active').map((l) => l.store));
  if (req.allStores) {
    return stores.writable.filter((id) => !(req.method === 'copy-image' && holding.has(id)));
  }
  const named = req.stores ?? (headerStore !== undefined ? [headerStore] : [stores.defaultId]);
  if (named.length === 0) throw invalid("'stores' may not be empty.");
  for (const id of named) {
    if (!stores.writable.includes(id)) throw conflict(`Store ${id} is not available or is read-only.`);
    if (req.method === 'copy-image' && holding.has(id)) throw invalid(`Image is already present at store '${id}'`);
  }
  return named;
}
