import 'reflect-metadata';
import { runWithConfig } from '@glimpse/config';
import { createLogger, onShutdown } from '@glimpse/common';
import { ensureLocalServices } from '@glimpse/local-services';
import { createApiApp } from './create-api-app.js';

/** The API alone (production layout: run workers as separate processes). */
await runWithConfig(async (base) => {
  const logger = createLogger({ ...base.log, name: 'glimpse-api' });
  const shutdown = onShutdown(logger);
  const { config } = await ensureLocalServices(base);
  const app = await createApiApp(config, logger);
  shutdown.add(() => app.close());
  await app.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, 'glimpse api listening');
});
