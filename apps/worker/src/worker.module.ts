import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ConfigModule, type ResolvedConfig } from '@glimpse/config';
import { QueueName } from '@glimpse/contracts';
import { PersistenceModule } from '@glimpse/persistence';
import { QueueModule } from '@glimpse/queue';
import { SystemProcessor } from './processors/system.processor.js';

/** One processor class per queue; WORKER_QUEUES picks which ones this process runs. */
const PROCESSORS: Record<QueueName, Type> = {
  [QueueName.System]: SystemProcessor,
};

@Module({})
export class WorkerModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    const wanted = config.queue.workerQueues;
    const unknown = wanted === 'all' ? [] : wanted.filter((q) => !(q in PROCESSORS));
    if (unknown.length) throw new Error(`WORKER_QUEUES names unknown queues: ${unknown.join(', ')}`);
    const processors = Object.entries(PROCESSORS)
      .filter(([queue]) => wanted === 'all' || wanted.includes(queue))
      .map(([, processor]) => processor);
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule.forRoot(), QueueModule.forRoot()],
      providers: processors,
    };
  }
}
