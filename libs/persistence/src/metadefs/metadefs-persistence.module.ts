import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MetadefRepository } from './metadef.repository.js';
import {
  MetadefContentDoc,
  MetadefContentSchema,
  MetadefNamespaceDoc,
  MetadefNamespaceSchema,
  MetadefResourceTypeDoc,
  MetadefResourceTypeSchema,
} from './metadef.schemas.js';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: MetadefNamespaceDoc.name, schema: MetadefNamespaceSchema },
      { name: MetadefContentDoc.name, schema: MetadefContentSchema },
      { name: MetadefResourceTypeDoc.name, schema: MetadefResourceTypeSchema },
    ]),
  ],
  providers: [MetadefRepository],
  exports: [MetadefRepository],
})
export class MetadefsPersistenceModule {}
