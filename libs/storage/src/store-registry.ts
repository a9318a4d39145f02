import type { StoreConfig } from '@glimpse/config';
import { invalid } from '@glimpse/domain';
import type { Store } from './store.js';
import { FileStore } from './stores/file-store.js';
import { type HttpFetchSettings, HttpStore } from './stores/http-store.js';
import { S3Store } from './stores/s3-store.js';
import { SwiftStore } from './stores/swift/swift-store.js';

export function createStore(config: StoreConfig, http: HttpFetchSettings): Store {
  switch (config.type) {
    case 'file':
      return new FileStore(config.id, config.dir, config.weight, config.description);
    case 'http':
      return new HttpStore(config.id, http, config.weight, config.description);
    case 's3':
      return new S3Store(config.id, config, config.weight, config.description);
    case 'swift':
      return new SwiftStore(config.id, config, config.weight, config.description);
  }
}

/** The configured stores, in configuration order, and the default one. */
export class StoreRegistry {
  private readonly byId: Map<string, Store>;

  constructor(
    readonly stores: readonly Store[],
    readonly defaultId: string,
  ) {
    this.byId = new Map(stores.map((s) => [s.id, s]));
  }

  /** `http`: how http stores reach their URLs (the web-download guards). */
  static fromConfig(configs: readonly StoreConfig[], defaultId: string, http: HttpFetchSettings): StoreRegistry {
    return new StoreRegistry(configs.map((c) => createStore(c, http)), defaultId);
  }

  /** More than one store: Glance's multi-store mode (/v2/info/stores answers, X-Image-Meta-Store applies). */
  get multi(): boolean {
    return this.stores.length > 1;
  }

  /** The ids of the stores copies may be written to, the default one first, then in configuration order. */
  get writableIds(): string[] {
    const ids = this.stores.filter((s) => !s.readOnly).map((s) => s.id);
    return [this.defaultId, ...ids.filter((id) => id !== this.defaultId)];
  }

  find(id: string): Store | undefined {
    return this.byId.get(id);
  }

  /** The store an upload writes to: the named one (unknown or read-only → 400) or the default. */
  writable(id?: string): Store {
    const store = this.byId.get(id ?? this.defaultId);
    if (!store) throw invalid(`Store for identifier ${id} not found`);
    if (store.readOnly) throw invalid(`Store ${id} is read-only`);
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.close?.()));
  }
}
