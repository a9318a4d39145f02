import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, MaintenancePersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { AuthModule } from '../auth/auth.module.js';
import { ImagesModule } from '../images/images.module.js';
import { ConsoleImagesController } from './images.controller.js';
import { WorkController } from './work.controller.js';
import { StoresController } from './stores.controller.js';
import { ConsoleMaintenanceController } from './maintenance.controller.js';
import { AssetsController } from './assets.controller.js';
import { ConsoleGuard } from './console-guard.js';
import { ConsoleSessions } from './console-sessions.js';
import { SessionRecheck } from './session-recheck.js';
import { OverviewController } from './overview.controller.js';
import { SignInController } from './sign-in.controller.js';

/** The operator console under /console (its guard and Bull Board are mounted by mountConsole). */
@Module({
  imports: [AuthModule, ImagesModule, ImagesPersistenceModule, TasksPersistenceModule, MaintenancePersistenceModule],
  controllers: [SignInController, AssetsController, OverviewController, ConsoleImagesController, WorkController, ConsoleMaintenanceController, StoresController],
  providers: [ConsoleSessions, SessionRecheck, ConsoleGuard],
  exports: [ConsoleGuard],
})
export class ConsoleModule {}
