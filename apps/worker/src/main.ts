import 'reflect-metadata';
import { runWithConfig } from '@glimpse/config';
import { createLogger, onShutdown } from '@glimpse/common';
import { ensureLocalServices } from '@glimpse/local-services';
import { createWorkerApp } from './create-worker-app.js';

/** A worker alone (production layout: run as many replicas as needed). */
await runWithConfig(async (base) => {
  const logger = createLogger({ ...base.log, name: 'glimpse-worker' });
  const shutdown = onShutdown(logger);
  const { config } = await ensureLocalServices(base);
  const app = await createWorkerApp(config, logger);
  shutdown.add(() => app.close());
  logger.info({ queues: config.queue.workerQueues }, 'glimpse worker started');
});
