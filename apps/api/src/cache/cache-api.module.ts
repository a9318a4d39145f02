import { Module } from '@nestjs/common';
import { ImagesPersistenceModule } from '@glimpse/persistence';
import { ImagesModule } from '../images/images.module.js';
import { CachePrefetch } from './cache-prefetch.js';
import { CacheController } from './cache.controller.js';

/** /v2/cache: this node's image cache through Glance's API. */
@Module({
  imports: [ImagesModule, ImagesPersistenceModule],
  controllers: [CacheController],
  providers: [CachePrefetch],
})
export class CacheApiModule {}
