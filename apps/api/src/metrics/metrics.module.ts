import { Module } from '@nestjs/common';
import { MaintenancePersistenceModule } from '@glimpse/persistence';
import { MetricsController } from './metrics.controller.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [MaintenancePersistenceModule],
  controllers: [MetricsController],
  providers: [MetricsService, HttpMetricsMiddleware],
  exports: [MetricsService, HttpMetricsMiddleware],
})
export class MetricsModule {}
