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
export async function startBenchStack(env: Record<string, string> = {}, options: StackOptions = {}): Promise<BenchStack> {
  const other = options.sameDataAs;
  if (other) {
    // What it reads and writes is `other`'s, which removes it all: closing it only stops it.
    const config = stackConfig({ uri: other.config.mongo.uri!, postgresUrl: other.config.mongo.postgresUrl }, other.config.redis.url!, other.config.queue.prefix, other.config.dataDir, env);
    return listen(config, options, other.database, null);
  }
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

interface StackOptions {
  worker?: boolean;
  /** A second API on that stack's database, Redis, queue prefix and data directory (e.g. with GLIMPSE_CONSOLE=false). */
  sameDataAs?: BenchStack;
}

function stackConfig(mongo: { uri: string; postgresUrl?: string }, redisUrl: string, prefix: string, dataDir: string, env: Record<string, string>): ResolvedConfig {
  return loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    MONGODB_URI: mongo.uri,
    REDIS_URL: redisUrl,
    ...(mongo.postgresUrl ? { GLIMPSE_FERRETDB_POSTGRES_URL: mongo.postgresUrl } : {}),
    GLIMPSE_QUEUE_PREFIX: prefix,
    GLIMPSE_DATA_DIR: dataDir,
    GLIMPSE_SCHEDULE_AUDITOR: 'off',
    GLIMPSE_SCHEDULE_REPLICATOR: 'off',
    GLIMPSE_SCHEDULE_UPDATER: 'off',
    GLIMPSE_SCHEDULE_REAPER: 'off',
    ...env,
  }) as ResolvedConfig;
}

/** The stack's API (and worker) on `config`; closing it removes what it `owns` (none when it shares another's). */
async function listen(config: ResolvedConfig, options: StackOptions, database: string, owns: { dataDir: string; db: BenchDatabase | null } | null): Promise<BenchStack> {
  const logger = createLogger({ level: 'warn', pretty: false, name: 'bench' });
  const api = await createApiApp(config, logger);
  await api.listen(0, '127.0.0.1');
  const worker = options.worker === false ? null : await createWorkerApp(config, logger);
  return {
    config,
    api,
    url: `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`,
    worker,
    database,
    async close() {
      await worker?.close();
      if (owns) await api.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
      await api.close();
      if (owns) {
        rmSync(owns.dataDir, { recursive: true, force: true });
        await owns.db?.stop();
      }
    },
  };
}

async function startOn(
  db: BenchDatabase | null, id: string, dataDir: string, env: Record<string, string>, options: StackOptions, base: ReturnType<typeof loadConfig>,
): Promise<BenchStack> {
  const { config: services } = await ensureLocalServices(db ? { ...base, mongo: { ...base.mongo, uri: db.uri, postgresUrl: db.postgresUrl } } : base);
  const uri = services.mongo.uri!.replace(/(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/bench_${id}`);
  const config = stackConfig({ uri, postgresUrl: services.mongo.postgresUrl }, services.redis.url!, `bench${id}`, dataDir, env);
  const database = db?.label ?? services.mongo.uri!.replace(/\/\/[^@/]*@/, '//');
  return listen(config, options, database, { dataDir, db });
}
