import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ImagesPersistenceModule } from '../images/images-persistence.module.js';
import { MaintenanceRunRepository } from './maintenance-run.repository.js';
import { MaintenanceRunDoc, MaintenanceRunSchema } from './maintenance-run.schema.js';
import { ProjectUsageRepository } from './project-usage.repository.js';
import { ProjectUsageDoc, ProjectUsageSchema } from './project-usage.schema.js';

@Module({
  imports: [
    ImagesPersistenceModule,
    MongooseModule.forFeature([
      { name: MaintenanceRunDoc.name, schema: MaintenanceRunSchema },
      { name: ProjectUsageDoc.name, schema: ProjectUsageSchema },
    ]),
  ],
  providers: [MaintenanceRunRepository, ProjectUsageRepository],
  exports: [MaintenanceRunRepository, ProjectUsageRepository],
})
export class MaintenancePersistenceModule {}
