import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { APP_CONFIG, type ResolvedConfig } from '@glimpse/config';
import { QueueName } from '@glimpse/contracts';
import { JobProducer } from './job-producer.js';
import { redisOptions } from './redis-connection.js';

/** The shared BullMQ connection and every queue's producer. Apps that consume jobs add processors themselves. */
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: ResolvedConfig) => ({
            // bullmq types its options loosely; these are plain ioredis options, which it passes to ioredis.
            connection: redisOptions(config.redis.url, 'queue') as ConnectionOptions,
            prefix: config.queue.prefix,
          }),
        }),
        BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
      ],
      providers: [JobProducer],
      exports: [JobProducer, BullModule],
    };
  }
}
