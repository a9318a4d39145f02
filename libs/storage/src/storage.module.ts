import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type ConfigOf, configToken } from '@glimpse/config';
import { InspectorFormatGate } from './format-gate.js';
import { HTTP_FETCH_SETTINGS, httpFetchSettings } from './http-fetch-settings.js';
import { closeIdleHashers } from './hashing/parallel-hasher.js';
import { StagingArea } from './staging-area.js';
import { StoreRegistry } from './store-registry.js';
import type { HttpFetchSettings } from './stores/http-store.js';
import { ImageWriter } from './writing/image-writer.js';

@Injectable()
class StorageShutdown implements OnApplicationShutdown {
  constructor(@Inject(StoreRegistry) private readonly stores: StoreRegistry) {}
  async onApplicationShutdown(): Promise<void> {
    await this.stores.close();
    await closeIdleHashers();
  }
}

/**
 * The configured stores, how outside URLs are fetched, the staging area, the image writer and the format gate, for
 * the API and the workers.
 */
@Global()
@Module({
  providers: [
    {
      provide: HTTP_FETCH_SETTINGS,
      useFactory: (storage: ConfigOf<'storage'>, imports: ConfigOf<'import'>) => httpFetchSettings({ storage, import: imports }),
      inject: [configToken('storage'), configToken('import')],
    },
    {
      provide: StoreRegistry,
      useFactory: (storage: ConfigOf<'storage'>, fetch: HttpFetchSettings) => StoreRegistry.fromConfig(storage.stores, storage.defaultStore, fetch),
      inject: [configToken('storage'), HTTP_FETCH_SETTINGS],
    },
    { provide: StagingArea, useFactory: (storage: ConfigOf<'storage'>) => new StagingArea(storage.stagingDir), inject: [configToken('storage')] },
    InspectorFormatGate,
    ImageWriter,
    StorageShutdown,
  ],
  exports: [HTTP_FETCH_SETTINGS, StoreRegistry, StagingArea, InspectorFormatGate, ImageWriter],
})
export class StorageModule {}
