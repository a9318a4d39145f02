import { PolicyModule } from './policy/policy.module.js';
import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClockModule } from '@glimpse/common';
import { ConfigModule, type ResolvedConfig } from '@glimpse/config';
import { PersistenceModule } from '@glimpse/persistence';
import { QueueModule } from '@glimpse/queue';
import { ConsoleModule } from './console/console.module.js';
import { CacheApiModule } from './cache/cache-api.module.js';
import { AdminModule } from './admin/admin.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MetadefsModule } from './metadefs/metadefs.module.js';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { AuthMiddleware } from './auth/auth.middleware.js';
import { AuthModule } from './auth/auth.module.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import { ImagesModule } from './images/images.module.js';
import { ImportModule } from './import/import.module.js';
import { LocationsModule } from './locations/locations.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { GlanceExceptionFilter } from './http/glance-exception.filter.js';
import { VersionsController } from './versions/versions.controller.js';
import { V1Module } from './v1/v1.module.js';

/** The HTTP edge. It produces jobs but never imports a processor. */
@Module({})
export class ApiModule implements NestModule {
  /** Every versioned route needs a caller identity; the auth middleware runs once per request. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
    consumer.apply(AuthMiddleware).forRoutes('v2/*path', 'v1/*path');
  }

  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), ClockModule.forRoot(), PersistenceModule.forRoot(), QueueModule.forRoot(), PolicyModule, AuthModule, ImagesModule, TasksModule, ImportModule, LocationsModule, AdminModule, MetricsModule, MetadefsModule, ...(config.console.enabled ? [ConsoleModule] : []), CacheApiModule, ...(config.http.apiV1 ? [V1Module] : [])],
      controllers: [VersionsController, HealthController],
      providers: [HealthService, { provide: APP_FILTER, useClass: GlanceExceptionFilter }],
    };
  }
}
