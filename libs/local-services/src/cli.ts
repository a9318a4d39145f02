#!/usr/bin/env node
/** glimpse-services start|stop|status: the local MongoDB-compatible and Redis servers, for development and tests. */
import { runWithConfig } from '@glimpse/config';
import { ensureLocalServices, localServicesStatus, stopLocalServices } from './local-services.js';

await runWithConfig(async (config) => {
  const command = process.argv[2] ?? 'status';
  if (command === 'start') {
    const services = await ensureLocalServices(config);
    console.log(`MONGODB_URI=${services.config.mongo.uri}`);
    console.log(`REDIS_URL=${services.config.redis.url}`);
  } else if (command === 'stop') {
    const stopped = await stopLocalServices(config);
    console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing to stop');
  } else if (command === 'status') {
    for (const [name, state] of Object.entries(await localServicesStatus(config))) console.log(`${name}: ${state}`);
  } else {
    console.error('usage: glimpse-services start|stop|status');
    process.exit(64);
  }
});
