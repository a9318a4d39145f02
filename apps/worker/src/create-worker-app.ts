import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '@glimpse/config';
import { PinoNestLogger } from '@glimpse/common';
import { WorkerModule } from './worker.module.js';

/** Builds and starts the worker (BullMQ processors start consuming once initialised). */
export async function createWorkerApp(config: ResolvedConfig, logger: Logger): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new PinoNestLogger(logger) });
  await app.init();
  return app;
}
