import { Module } from '@nestjs/common';
import { ImagesPersistenceModule } from '../images/images-persistence.module.js';
import { TasksPersistenceModule } from '../tasks/tasks-persistence.module.js';
import { ImportOwner } from './import-owner.js';

/** The import owner, with the image and task repositories it writes through. */
@Module({
  imports: [ImagesPersistenceModule, TasksPersistenceModule],
  providers: [ImportOwner],
  exports: [ImportOwner],
})
export class ImportsPersistenceModule {}
