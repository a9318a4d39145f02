import { Module } from '@nestjs/common';
import { ImagesPersistenceModule } from '@glimpse/persistence';
import { AuthModule } from '../auth/auth.module.js';
import { ImageAccess } from './image-access.service.js';
import { ImagesController } from './images.controller.js';
import { ImagesService } from './images.service.js';

/** The /v2/images resource. */
@Module({
  imports: [AuthModule, ImagesPersistenceModule],
  controllers: [ImagesController],
  providers: [ImagesService, ImageAccess],
  exports: [ImagesService, ImageAccess],
})
export class ImagesModule {}
