import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CacheEntryRepository } from './cache-entry.repository.js';
import { CacheEntryDoc, CacheEntrySchema } from './cache-entry.schema.js';

@Module({
  imports: [MongooseModule.forFeature([{ name: CacheEntryDoc.name, schema: CacheEntrySchema }])],
  providers: [CacheEntryRepository],
  exports: [CacheEntryRepository],
})
export class CachePersistenceModule {}
