import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, ImportsPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { StorageModule } from '@glimpse/storage';
import { ImagesModule } from '../images/images.module.js';
import { LocationsController } from './locations.controller.js';
import { LocationsService } from './locations.service.js';

/** POST/GET /v2/images/{id}/locations. */
@Module({
  imports: [ImagesModule, ImagesPersistenceModule, TasksPersistenceModule, ImportsPersistenceModule, StorageModule],
  controllers: [LocationsController],
  providers: [LocationsService],
  exports: [LocationsService],
})
export class LocationsModule {}
