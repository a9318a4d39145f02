import { Module } from '@nestjs/common';
import { MaintenancePersistenceModule } from '@glimpse/persistence';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { MaintenanceScheduler } from './maintenance.scheduler.js';
import { type Sweep, SWEEPS_TOKEN } from './sweep.js';
import { UpdaterSweep } from './updater.sweep.js';

/** Scheduled maintenance: the sweeps, their schedules and the processor that runs and records them. */
@Module({
  imports: [MaintenancePersistenceModule],
  providers: [
    UpdaterSweep,
    { provide: SWEEPS_TOKEN, inject: [UpdaterSweep], useFactory: (...sweeps: Sweep[]) => sweeps },
    MaintenanceProcessor,
    MaintenanceScheduler,
  ],
})
export class MaintenanceModule {}
