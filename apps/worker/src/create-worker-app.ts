import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '@glimpse/config';
import type { Clock } from '@glimpse/domain';
import { PinoNestLogger } from '@glimpse/common';
import { WorkerModule } from './worker.module.js';

/** Builds and starts the worker (BullMQ processors start consuming once initialised); `clock` is for tests. */
export async function createWorkerApp(config: ResolvedConfig, logger: Logger, clock?: Clock): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, clock), { logger: new PinoNestLogger(logger) });
  await app.init();
  return app;
}
