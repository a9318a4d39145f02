import { type DynamicModule, Module } from '@nestjs/common';
import { ClockModule } from '@glimpse/common';
import { ConfigModule, type ResolvedConfig } from '@glimpse/config';
import { ImageCacheModule } from '@glimpse/image-cache';
import { ImagesPersistenceModule, MaintenancePersistenceModule, PersistenceModule } from '@glimpse/persistence';
import { StorageModule } from '@glimpse/storage';
import { CacheNodeJobs } from './cache-node.jobs.js';

/** The periodic jobs of this API node's image cache; runs in the API process, which owns the cache's disk. */
@Module({})
export class CacheNodeModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: CacheNodeModule,
      imports: [ConfigModule.forRoot(config), ClockModule.forRoot(), PersistenceModule.forRoot(), StorageModule, ImageCacheModule, ImagesPersistenceModule, MaintenancePersistenceModule],
      providers: [CacheNodeJobs],
      exports: [CacheNodeJobs],
    };
  }
}
