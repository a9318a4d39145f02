import 'reflect-metadata';
import { runWithConfig } from '@glimpse/config';
import { createLogger } from '@glimpse/common';
import { ensureLocalServices } from '@glimpse/local-services';
import { createApiApp } from '../../api/src/create-api-app.js';
import { createWorkerApp } from '../../worker/src/create-worker-app.js';

/**
 * The embedded default: API and worker in one process, with local MongoDB-compatible and Redis servers started
 * when MONGODB_URI / REDIS_URL are unset (and stopped again on exit if this process started them).
 */
await runWithConfig(async (base) => {
  const logger = createLogger({ ...base.log, name: 'glimpse' });
  const services = await ensureLocalServices(base);
  if (services.started.length) logger.info({ started: services.started }, 'local services started');
  const { config } = services;
  const worker = await createWorkerApp(config, logger);
  const api = await createApiApp(config, logger);
  await api.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, 'glimpse listening (api + worker)');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await api.close();
    await worker.close();
    await services.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
});
