import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, type ResolvedConfig } from '@glimpse/config';
import { PersistenceModule } from '@glimpse/persistence';
import { QueueModule } from '@glimpse/queue';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import { ImagesModule } from './images/images.module.js';
import { GlanceExceptionFilter } from './http/glance-exception.filter.js';
import { VersionsController } from './versions/versions.controller.js';

/** The HTTP edge. It produces jobs but never imports a processor. */
@Module({})
export class ApiModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule.forRoot(), QueueModule.forRoot(), ImagesModule],
      controllers: [VersionsController, HealthController],
      providers: [HealthService, { provide: APP_FILTER, useClass: GlanceExceptionFilter }],
    };
  }
}
