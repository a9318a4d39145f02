import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { type ConfigOf, configToken } from '@glimpse/config';
import { JobOutcomes } from './job-outcomes.js';
import { JobProducer } from './job-producer.js';
import { redisOptions } from './redis-connection.js';

/**
 * The shared BullMQ connection settings (used by the processors apps declare) and the one JobProducer through
 * which every job is enqueued, and JobOutcomes to wait for a job's end.
 */
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [configToken('redis'), configToken('queue')],
          useFactory: (redis: ConfigOf<'redis'>, queue: ConfigOf<'queue'>) => ({
            // bullmq types its options loosely; these are plain ioredis options, which it passes to ioredis.
            connection: redisOptions(redis.url, 'queue') as ConnectionOptions,
            prefix: queue.prefix,
          }),
        }),
        // No queue providers (JobProducer owns the Queue objects); this brings in the explorer that starts the
        // @Processor workers an app declares, with the shared connection above.
        BullModule.registerQueue(),
      ],
      providers: [JobProducer, JobOutcomes],
      exports: [JobProducer, JobOutcomes, BullModule],
    };
  }
}
