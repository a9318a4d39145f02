import { chmodSync } from 'node:fs';
import { loadConfig } from '@glimpse/config';
import { ensureLocalServices, type LocalServices, stopLocalServices } from '@glimpse/local-services';
import { freePort } from './free-port.js';

export interface OwnServices {
  /** The configuration the servers were started from (its specs stop and start them again). */
  base: ReturnType<typeof loadConfig>;
  services: LocalServices;
  /** Stops the servers, whoever started them last (a test may have restarted one). */
  stop(): Promise<void>;
}

/**
 * A MongoDB-compatible server and a Redis of the test's own on free ports, for a test that stops one of them (or
 * needs another backend: `env` adds settings such as GLIMPSE_FERRETDB_BACKEND).
 */
export async function startOwnServices(dataDir: string, env: Record<string, string> = {}): Promise<OwnServices> {
  // Run as root, the PostgreSQL server under FerretDB runs as `postgres`, which must be able to enter this folder.
  chmodSync(dataDir, 0o755);
  const base = loadConfig({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GOPATH: process.env.GOPATH,
    GLIMPSE_DATA_DIR: dataDir,
    GLIMPSE_LOCAL_MONGO_PORT: String(await freePort()),
    GLIMPSE_LOCAL_REDIS_PORT: String(await freePort()),
    GLIMPSE_LOCAL_POSTGRES_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const services = await ensureLocalServices(base);
  return {
    base,
    services,
    async stop() {
      await services.stop().catch(() => undefined);
      await stopLocalServices(base).catch(() => []);
    },
  };
}
