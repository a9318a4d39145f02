import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, ImportsPersistenceModule, MaintenancePersistenceModule, QuotasPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { MaintenanceScheduler } from './maintenance.scheduler.js';
import { type Sweep, SWEEPS_TOKEN } from './sweep.js';
import { AuditorSweep } from './auditor.sweep.js';
import { ImageAuditor } from './image-auditor.js';
import { ImageReaper } from './image-reaper.js';
import { ImageRecovery } from './image-recovery.js';
import { ImageReplication } from './image-replication.js';
import { ReaperSweep } from './reaper.sweep.js';
import { ReplicatorSweep } from './replicator.sweep.js';
import { UpdaterSweep } from './updater.sweep.js';

/** Scheduled maintenance: the sweeps, their schedules and the processor that runs and records them. */
@Module({
  imports: [MaintenancePersistenceModule, ImagesPersistenceModule, TasksPersistenceModule, ImportsPersistenceModule, QuotasPersistenceModule],
  providers: [
    UpdaterSweep,
    ReaperSweep,
    ImageReaper,
    ImageRecovery,
    ImageAuditor,
    AuditorSweep,
    ImageReplication,
    ReplicatorSweep,
    { provide: SWEEPS_TOKEN, inject: [UpdaterSweep, ReaperSweep, AuditorSweep, ReplicatorSweep], useFactory: (...sweeps: Sweep[]) => sweeps },
    MaintenanceProcessor,
    MaintenanceScheduler,
  ],
})
export class MaintenanceModule {}
