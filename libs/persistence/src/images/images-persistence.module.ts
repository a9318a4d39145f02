import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ImageIdTombstoneRepository } from './image-id-tombstone.repository.js';
import { ImageIdTombstoneDoc, ImageIdTombstoneSchema } from './image-id-tombstone.schema.js';
import { ImageKeysBackfill } from './image-keys-backfill.js';
import { ImageListing } from './image-listing.js';
import { ImageUsage } from './image-usage.js';
import { ImageRepository } from './image.repository.js';
import { ImageDoc, ImageSchema } from './image.schema.js';
import { MemberRepository } from './member.repository.js';
import { MemberDoc, MemberSchema } from './member.schema.js';

/** Image and member collections with their repositories. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: ImageDoc.name, schema: ImageSchema },
      { name: MemberDoc.name, schema: MemberSchema },
      { name: ImageIdTombstoneDoc.name, schema: ImageIdTombstoneSchema },
    ]),
  ],
  providers: [ImageRepository, ImageIdTombstoneRepository, MemberRepository, ImageListing, ImageUsage, ImageKeysBackfill],
  exports: [MongooseModule, ImageRepository, ImageIdTombstoneRepository, MemberRepository, ImageListing, ImageUsage],
})
export class ImagesPersistenceModule {}
