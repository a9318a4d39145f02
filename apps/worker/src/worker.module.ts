import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ClockModule } from '@glimpse/common';
import { ConfigModule, type ResolvedConfig } from '@glimpse/config';
import type { Clock } from '@glimpse/domain';
import { QueueName } from '@glimpse/contracts';
import { PersistenceModule } from '@glimpse/persistence';
import { QueueModule } from '@glimpse/queue';
import { StorageModule } from '@glimpse/storage';
import { ChecksumModule, VerifyFormatModule } from './image-data/location-jobs.module.js';
import { ImportWorkerModule } from './import/import.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { SystemModule } from './processors/system.module.js';

/** The module holding each queue's processor; WORKER_QUEUES picks which ones this process runs. */
const QUEUE_MODULES: Record<QueueName, Type> = {
  [QueueName.System]: SystemModule,
  [QueueName.Maintenance]: MaintenanceModule,
  [QueueName.ImageImport]: ImportWorkerModule,
  [QueueName.ImageChecksum]: ChecksumModule,
  [QueueName.ImageVerifyFormat]: VerifyFormatModule,
};

@Module({})
export class WorkerModule {
  /** `clock`: the system clock unless a test moves time itself. */
  static forRoot(config: ResolvedConfig, clock?: Clock): DynamicModule {
    const wanted = config.queue.workerQueues; // validated against QueueName by loadConfig
    const queues = Object.entries(QUEUE_MODULES)
      .filter(([queue]) => wanted === 'all' || wanted.includes(queue))
      .map(([, module]) => module);
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), ClockModule.forRoot(clock), PersistenceModule.forRoot(), QueueModule.forRoot(), StorageModule, ...queues],
    };
  }
}
