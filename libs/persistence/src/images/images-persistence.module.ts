import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
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
    ]),
  ],
  providers: [ImageRepository, MemberRepository],
  exports: [MongooseModule, ImageRepository, MemberRepository],
})
export class ImagesPersistenceModule {}
