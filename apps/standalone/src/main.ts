import 'reflect-metadata';
import { runWithConfig } from '@glimpse/config';
import { createLogger, onShutdown } from '@glimpse/common';
import { ensureLocalServices } from '@glimpse/local-services';
import { createApiApp } from '../../api/src/create-api-app.js';
import { createWorkerApp } from '../../worker/src/create-worker-app.js';
import { createCacheNodeApp } from '../../worker/src/image-cache/create-cache-node-app.js';

/**
 * The embedded default: API and worker in one process, with local MongoDB-compatible and Redis servers started
 * when MONGODB_URI / REDIS_URL are unset (and stopped again on exit if this process started them).
 */
await runWithConfig(async (base) => {
  const logger = createLogger({ ...base.log, name: 'glimpse' });
  const shutdown = onShutdown(logger);
  const services = await ensureLocalServices(base);
  shutdown.add(() => services.stop());
  if (services.started.length) logger.info({ started: services.started }, 'local services started');
  const { config } = services;
  const worker = await createWorkerApp(config, logger);
  shutdown.add(() => worker.close());
  const cacheJobs = await createCacheNodeApp(config, logger);
  if (cacheJobs) shutdown.add(() => cacheJobs.close());
  const api = await createApiApp(config, logger);
  shutdown.add(() => api.close());
  await api.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, 'glimpse listening (api + worker)');
});
