import { Module } from '@nestjs/common';
import { ImportsPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { ImageDataModule } from '../image-data/image-data.module.js';
import { ImportProcessor } from './import.processor.js';
import { ImportRunner } from './import-runner.js';
import { ImportSources } from './import-sources.js';
import { ProjectImportSlots } from './project-import-slots.js';
import { ClaimStep } from './steps/claim.step.js';
import { CompleteStep } from './steps/complete.step.js';
import { ConvertedFirstStoreStep } from './steps/converted-first-store.step.js';
import { FetchStep } from './steps/fetch.step.js';
import { FirstStoreStep } from './steps/first-store.step.js';
import { OtherStoresStep } from './steps/other-stores.step.js';

/** The image-import queue: imports by glance-direct, web-download and copy-image. */
@Module({
  imports: [ImageDataModule, TasksPersistenceModule, ImportsPersistenceModule],
  providers: [
    ImportProcessor,
    ImportRunner,
    ImportSources,
    ProjectImportSlots,
    ClaimStep,
    FetchStep,
    FirstStoreStep,
    ConvertedFirstStoreStep,
    OtherStoresStep,
    CompleteStep,
  ],
})
export class ImportWorkerModule {}
