import { Global, Module } from '@nestjs/common';
import { CachePersistenceModule, ImagesPersistenceModule } from '@glimpse/persistence';
import { ImageCache } from './image-cache.js';
import { Prefetcher } from './prefetcher.js';

/** This node's image cache and its prefetcher, for the API (downloads, /v2/cache) and the node's cache jobs. */
@Global()
@Module({
  imports: [CachePersistenceModule, ImagesPersistenceModule],
  providers: [ImageCache, Prefetcher],
  exports: [ImageCache, Prefetcher],
})
export class ImageCacheModule {}
