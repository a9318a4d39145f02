import { Module } from '@nestjs/common';
import { ImagesPersistenceModule } from '@glimpse/persistence';
import { ImagesModule } from '../images/images.module.js';
import { V1ImageAccess } from './v1-image-access.js';
import { V1ImagesController } from './v1-images.controller.js';

/** The Images API v1 (GLIMPSE_API_V1), served from the same records and services as v2. */
@Module({
  imports: [ImagesModule, ImagesPersistenceModule],
  controllers: [V1ImagesController],
  providers: [V1ImageAccess],
})
export class V1Module {}
