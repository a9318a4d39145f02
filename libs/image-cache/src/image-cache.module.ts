import { Global, Module } from '@nestjs/common';
import { CachePersistenceModule } from '@glimpse/persistence';
import { ImageCache } from './image-cache.js';

/** This node's image cache, for the API (downloads, /v2/cache) and the node's cache jobs. */
@Global()
@Module({
  imports: [CachePersistenceModule],
  providers: [ImageCache],
  exports: [ImageCache],
})
export class ImageCacheModule {}
