import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { InspectorFormatGate } from './format-gate.js';
import { httpFetchSettings } from './http-fetch-settings.js';
import { closeIdleHashers } from './hashing/parallel-hasher.js';
import { StagingArea } from './staging-area.js';
import { StoreRegistry } from './store-registry.js';
import { ImageWriter } from './writing/image-writer.js';

@Injectable()
class StorageShutdown implements OnApplicationShutdown {
  constructor(@Inject(StoreRegistry) private readonly stores: StoreRegistry) {}
  async onApplicationShutdown(): Promise<void> {
    await this.stores.close();
    await closeIdleHashers();
  }
}

/** The configured stores, the staging area, the image writer and the format gate, for the API and the workers. */
@Global()
@Module({
  providers: [
    { provide: StoreRegistry, useFactory: (c: AppConfig) => StoreRegistry.fromConfig(c.storage.stores, c.storage.defaultStore, httpFetchSettings(c)), inject: [APP_CONFIG] },
    { provide: StagingArea, useFactory: (c: AppConfig) => new StagingArea(c.storage.stagingDir), inject: [APP_CONFIG] },
    InspectorFormatGate,
    ImageWriter,
    StorageShutdown,
  ],
  exports: [StoreRegistry, StagingArea, InspectorFormatGate, ImageWriter],
})
export class StorageModule {}
