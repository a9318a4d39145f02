import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '@glimpse/config';
import { PinoNestLogger } from '@glimpse/common';
import { CacheNodeModule } from './cache-node.module.js';

/**
 * This API node's cache jobs (prefetcher, pruner, cleaner), for the API process to start next to itself when it has
 * a cache (GLIMPSE_IMAGE_CACHE_DIR); null without one.
 */
export async function createCacheNodeApp(config: ResolvedConfig, logger: Logger): Promise<INestApplicationContext | null> {
  if (!config.cache) return null;
  const app = await NestFactory.createApplicationContext(CacheNodeModule.forRoot(config), { logger: new PinoNestLogger(logger) });
  await app.init();
  return app;
}
