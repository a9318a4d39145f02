import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, ImportsPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { StorageModule, StoreRegistry } from '@glimpse/storage';
import { ImagesModule } from '../images/images.module.js';
import { ImportController } from './import.controller.js';
import { ImportService } from './import.service.js';
import { STORE_CHOICE, type StoreChoice } from './import-targets.js';

/** POST /v2/images/{id}/import and /v2/info/import. */
@Module({
  imports: [ImagesModule, ImagesPersistenceModule, TasksPersistenceModule, ImportsPersistenceModule, StorageModule],
  controllers: [ImportController],
  exports: [ImportService],
  providers: [
    ImportService,
    {
      provide: STORE_CHOICE,
      inject: [StoreRegistry],
      useFactory: (stores: StoreRegistry): StoreChoice => ({
        writable: stores.stores.filter((s) => !s.readOnly).map((s) => s.id),
        defaultId: stores.defaultId,
        multi: stores.multi,
      }),
    },
  ],
})
export class ImportModule {}
