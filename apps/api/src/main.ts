import 'reflect-metadata';
import { runWithConfig } from '@glimpse/config';
import { createLogger, onShutdown } from '@glimpse/common';
import { ensureLocalServices } from '@glimpse/local-services';
import { createCacheNodeApp } from '../../worker/src/image-cache/create-cache-node-app.js';
import { createApiApp } from './create-api-app.js';

/**
 * The API alone (production layout: run workers as separate processes), with this node's image cache jobs when it
 * has a cache (they act on this node's disk, so they run where the API does).
 */
await runWithConfig(async (base) => {
  const logger = createLogger({ ...base.log, name: 'glimpse-api' });
  const shutdown = onShutdown(logger);
  const { config } = await ensureLocalServices(base);
  const cacheJobs = await createCacheNodeApp(config, logger);
  if (cacheJobs) shutdown.add(() => cacheJobs.close());
  const app = await createApiApp(config, logger);
  shutdown.add(() => app.close());
  await app.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, 'glimpse api listening');
});
