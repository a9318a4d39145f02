import { Module } from '@nestjs/common';
import { TasksPersistenceModule } from '@glimpse/persistence';
import { ImageDataModule } from '../image-data/image-data.module.js';
import { ImportProcessor } from './import.processor.js';
import { ImportRunner } from './import-runner.js';
import { ImportSources } from './import-sources.js';
import { ProjectImportSlots } from './project-import-slots.js';

/** The image-import queue: imports by glance-direct, web-download and copy-image. */
@Module({
  imports: [ImageDataModule, TasksPersistenceModule],
  providers: [ImportProcessor, ImportRunner, ImportSources, ProjectImportSlots],
})
export class ImportWorkerModule {}
