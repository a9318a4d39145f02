import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { StorageModule } from '@glimpse/storage';
import { ImagesModule } from '../images/images.module.js';
import { ImportModule } from '../import/import.module.js';
import { LocationsModule } from '../locations/locations.module.js';
import { V1CopyFrom } from './v1-copy-from.js';
import { V1ImageAccess } from './v1-image-access.js';
import { V1ImagesController } from './v1-images.controller.js';
import { V1ImagesService } from './v1-images.service.js';
import { V1MembersController } from './v1-members.controller.js';
import { V1MembersService } from './v1-members.service.js';

/** The Images API v1 (GLIMPSE_API_V1), served from the same records and services as v2. */
@Module({
  imports: [ImagesModule, ImportModule, LocationsModule, ImagesPersistenceModule, TasksPersistenceModule, StorageModule],
  controllers: [V1ImagesController, V1MembersController],
  providers: [V1ImageAccess, V1ImagesService, V1MembersService, V1CopyFrom],
})
export class V1Module {}
