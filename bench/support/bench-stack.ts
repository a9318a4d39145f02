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
import { type BenchDatabase, startFerretdbPostgres } from './ferretdb-pg.js';

export interface BenchStack {
  config: ResolvedConfig;
  api: NestExpressApplication;
  url: string;
  worker: INestApplicationContext | null;
  /** The database server the stack runs on, for the benchmark's output. */
  database: string;
  close(): Promise<void>;
}

/**
 * The API (and a worker, unless `worker: false`) in this process on the local (or configured) MongoDB and Redis,
 * with a database, queue prefix and data directory of its own that are removed afterwards.
 * `GLIMPSE_BENCH_DB=ferretdb-pg` runs it instead on a FerretDB with the PostgreSQL backend that the stack starts
 * (on a fresh PostgreSQL database) and stops.
 */
export async function startBenchStack(env: Record<string, string> = {}, options: { worker?: boolean } = {}): Promise<BenchStack> {
  const id = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-bench-'));
  const backend = process.env.GLIMPSE_BENCH_DB ?? 'default';
  if (!['default', 'ferretdb-pg'].includes(backend)) throw new Error(`GLIMPSE_BENCH_DB must be ferretdb-pg or unset, got ${backend}`);
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'warn', ...env });
  const db: BenchDatabase | null = backend === 'ferretdb-pg' ? await startFerretdbPostgres(base) : null;
  try {
    return await startOn(db, id, dataDir, env, options, base);
  } catch (err) {
    await db?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function startOn(
  db: BenchDatabase | null, id: string, dataDir: string, env: Record<string, string>, options: { worker?: boolean }, base: ReturnType<typeof loadConfig>,
): Promise<BenchStack> {
  const { config: services } = await ensureLocalServices(db ? { ...base, mongo: { ...base.mongo, uri: db.uri, postgresUrl: db.postgresUrl } } : base);
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    MONGODB_URI: services.mongo.uri!.replace(/(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/bench_${id}`),
    REDIS_URL: services.redis.url!,
    ...(services.mongo.postgresUrl ? { GLIMPSE_FERRETDB_POSTGRES_URL: services.mongo.postgresUrl } : {}),
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
    database: db?.label ?? services.mongo.uri!.replace(/\/\/[^@/]*@/, '//'),
    async close() {
      await worker?.close();
      await api.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
      await api.close();
      rmSync(dataDir, { recursive: true, force: true });
      await db?.stop();
    },
  };
}
