import { Module } from '@nestjs/common';
import { MaintenancePersistenceModule } from '@glimpse/persistence';
import { MaintenanceController } from './maintenance.controller.js';

/** Glimpse's operator endpoints under /v2/admin (admin role only). */
@Module({
  imports: [MaintenancePersistenceModule],
  controllers: [MaintenanceController],
})
export class AdminModule {}
