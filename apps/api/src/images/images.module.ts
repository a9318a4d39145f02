import { Module } from '@nestjs/common';
import { ImageCacheModule } from '@glimpse/image-cache';
import { ImagesPersistenceModule } from '@glimpse/persistence';
import { StorageModule } from '@glimpse/storage';
import { AuthModule } from '../auth/auth.module.js';
import { StoresInfoController } from '../info/stores-info.controller.js';
import { UsageInfoController } from '../info/usage-info.controller.js';
import { QuotasModule } from '../quotas/quotas.module.js';
import { ImageDataController } from './data/image-data.controller.js';
import { ImageDownloadService } from './data/image-download.service.js';
import { ImageUploadService } from './data/image-upload.service.js';
import { ImageAccess } from './image-access.service.js';
import { ImagesController } from './images.controller.js';
import { SchemasController } from '../schemas/schemas.controller.js';
import { ImagesService } from './images.service.js';
import { MembersController } from './members/members.controller.js';
import { MembersService } from './members/members.service.js';

/** The /v2/images resource. */
@Module({
  imports: [AuthModule, ImagesPersistenceModule, StorageModule, QuotasModule, ImageCacheModule],
  controllers: [ImagesController, ImageDataController, StoresInfoController, UsageInfoController, SchemasController, MembersController],
  providers: [ImagesService, ImageAccess, ImageUploadService, ImageDownloadService, MembersService],
  exports: [ImagesService, ImageAccess, ImageUploadService, ImageDownloadService, MembersService, QuotasModule],
})
export class ImagesModule {}
