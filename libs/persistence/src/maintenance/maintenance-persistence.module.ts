import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ImagesPersistenceModule } from '../images/images-persistence.module.js';
import { MaintenanceRunRepository } from './maintenance-run.repository.js';
import { MaintenanceRunDoc, MaintenanceRunSchema } from './maintenance-run.schema.js';
import { AuditFindingRepository } from './audit-finding.repository.js';
import { AuditFindingDoc, AuditFindingSchema, MaintenanceStateDoc, MaintenanceStateSchema } from './audit-finding.schema.js';
import { ProjectUsageRepository } from './project-usage.repository.js';
import { ProjectUsageDoc, ProjectUsageSchema } from './project-usage.schema.js';

@Module({
  imports: [
    ImagesPersistenceModule,
    MongooseModule.forFeature([
      { name: MaintenanceRunDoc.name, schema: MaintenanceRunSchema },
      { name: ProjectUsageDoc.name, schema: ProjectUsageSchema },
      { name: AuditFindingDoc.name, schema: AuditFindingSchema },
      { name: MaintenanceStateDoc.name, schema: MaintenanceStateSchema },
    ]),
  ],
  providers: [MaintenanceRunRepository, ProjectUsageRepository, AuditFindingRepository],
  exports: [MaintenanceRunRepository, ProjectUsageRepository, AuditFindingRepository],
})
export class MaintenancePersistenceModule {}
