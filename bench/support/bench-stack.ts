import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createLogger } from '@glimpse/common';
import { loadConfig, type ResolvedConfig } from '@glimpse/config';
import { ensureLocalServices } from '@glimpse/local-services';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';

export interface BenchStack {
  config: ResolvedConfig;
  api: NestExpressApplication;
  url: string;
  worker: INestApplicationContext | null;
  close(): Promise<void>;
}

/**
 * The API (and a worker, unless `worker: false`) in this process on the local (or configured) MongoDB and Redis,
 * with a database, queue prefix and data directory of its own that are removed afterwards.
 */
export async function startBenchStack(env: Record<string, string> = {}, options: { worker?: boolean } = {}): Promise<BenchStack> {
  const id = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-bench-'));
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'warn', ...env });
  const { config: services } = await ensureLocalServices(base);
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    MONGODB_URI: services.mongo.uri!.replace(/(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/bench_${id}`),
    REDIS_URL: services.redis.url!,
    GLIMPSE_QUEUE_PREFIX: `bench${id}`,
    GLIMPSE_DATA_DIR: dataDir,
    GLIMPSE_SCHEDULE_AUDITOR: 'off',
    GLIMPSE_SCHEDULE_REPLICATOR: 'off',
    GLIMPSE_SCHEDULE_UPDATER: 'off',
    GLIMPSE_SCHEDULE_REAPER: 'off',
    ...env,
  }) as ResolvedConfig;
  const logger = createLogger({ level: 'warn', pretty: false, name: 'bench' });
  const api = await createApiApp(config, logger);
  await api.listen(0, '127.0.0.1');
  const worker = options.worker === false ? null : await createWorkerApp(config, logger);
  return {
    config,
    api,
    url: `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`,
    worker,
    async close() {
      await worker?.close();
      await api.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
      await api.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
