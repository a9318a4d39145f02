import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig, ResolvedConfig } from '@glimpse/config';
import { localPostgresUrl, postgresSpec } from './postgres-cluster.js';
import { type ServiceSpec, serviceStatus, startService, stopService } from './service-process.js';

/** The first executable `name` on the search path, or `explicit` when it is executable. */
export function findExecutable(name: string, explicit: string | undefined, searchPath: string[]): string | undefined {
  const candidates = explicit ? [explicit] : searchPath.map((dir) => join(dir, name));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** mongod when installed (or named), else FerretDB. */
function localMongod(config: AppConfig): string | undefined {
  return findExecutable('mongod', config.tools.mongod, config.tools.searchPath);
}

/** The local FerretDB runs on a PostgreSQL cluster of its own (no mongod, GLIMPSE_FERRETDB_BACKEND=postgresql). */
function usesLocalPostgres(config: AppConfig): boolean {
  return !localMongod(config) && config.mongo.ferretdbBackend === 'postgresql';
}

/**
 * The MongoDB-compatible server: mongod when installed, else FerretDB on the local PostgreSQL cluster
 * (postgresSpec, started first) or, with GLIMPSE_FERRETDB_BACKEND=sqlite, on SQLite files.
 */
export function mongoSpec(config: AppConfig): ServiceSpec {
  const dir = join(config.dataDir, 'services', 'mongo');
  const port = config.mongo.localPort;
  const mongod = localMongod(config);
  if (mongod) {
    return {
      name: 'mongod',
      port,
      dir,
      command: mongod,
      args: ['--dbpath', dir, '--bind_ip', '127.0.0.1', '--port', String(port), '--quiet'],
    };
  }
  const ferretdb = findExecutable('ferretdb', config.tools.ferretdb, config.tools.searchPath);
  if (!ferretdb) {
    throw new Error(
      'Neither mongod nor ferretdb was found (PATH, Go bin dir): run scripts/install-ferretdb.sh or set MONGODB_URI',
    );
  }
  return {
    name: 'ferretdb',
    port,
    dir,
    command: ferretdb,
    env: FERRETDB_ENV,
    args: [
      ...(config.mongo.ferretdbBackend === 'postgresql'
        ? ['--handler=postgresql', `--postgresql-url=${localPostgresUrl(config)}`]
        : ['--handler=sqlite', `--sqlite-url=file:${dir}/`]),
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=warn',
    ],
  };
}

/**
 * FerretDB's Go runtime: collect garbage when the heap has grown 4x past what is live (Go's default: 2x), unless
 * GOGC is set. FerretDB allocates a tree of values for each row it decodes, and at the default its collector took
 * a third of its CPU: reading a 600-row bucket took 238 ms of FerretDB CPU at the default and 157 ms with
 * GOGC=400 (two FerretDBs on one database, 30 reads each, interleaved); resident memory 64 MB under that load.
 */
export const FERRETDB_ENV: Record<string, string> = { GOGC: process.env.GOGC ?? '400' };

/** Redis with an append-only file, so queued jobs survive a restart. */
export function redisSpec(config: AppConfig): ServiceSpec {
  const dir = join(config.dataDir, 'services', 'redis');
  const command = findExecutable('redis-server', config.tools.redisServer, config.tools.searchPath);
  if (!command) throw new Error('redis-server was not found on PATH: install it (Debian: redis-server) or set REDIS_URL');
  const port = config.redis.localPort;
  return {
    name: 'redis',
    port,
    dir,
    command,
    args: [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--daemonize', 'no', '--protected-mode', 'yes',
    ],
  };
}

export interface LocalServices {
  config: ResolvedConfig;
  /** Names of the services this process started (and so stops). */
  started: string[];
  stop(): Promise<void>;
}

/**
 * Fills in MONGODB_URI / REDIS_URL: configured values are used as they are; a missing one is served by a
 * local server on loopback, started here unless one already answers on its port.
 */
export async function ensureLocalServices(config: AppConfig): Promise<LocalServices> {
  const specs: ServiceSpec[] = [];
  const localPostgres = !config.mongo.uri && usesLocalPostgres(config);
  const localSqlite = !config.mongo.uri && !localMongod(config) && config.mongo.ferretdbBackend === 'sqlite';
  if (localPostgres) specs.push(postgresSpec(config));
  if (!config.mongo.uri) specs.push(mongoSpec(config));
  if (!config.redis.url) specs.push(redisSpec(config));
  const started: ServiceSpec[] = [];
  for (const spec of specs) if (await startService(spec)) started.push(spec);
  return {
    config: {
      ...config,
      mongo: {
        ...config.mongo,
        uri: config.mongo.uri ?? `mongodb://127.0.0.1:${config.mongo.localPort}/${config.mongo.dbName}`,
        postgresUrl: localPostgres ? localPostgresUrl(config) : config.mongo.postgresUrl,
        sqliteDir: localSqlite ? join(config.dataDir, 'services', 'mongo') : config.mongo.sqliteDir,
      },
      redis: { ...config.redis, url: config.redis.url ?? `redis://127.0.0.1:${config.redis.localPort}` },
    },
    started: started.map((s) => s.name),
    stop: async () => {
      for (const spec of started.reverse()) await stopService(spec);
    },
  };
}

export async function stopLocalServices(config: AppConfig): Promise<string[]> {
  const stopped: string[] = [];
  const specs = [redisSpec(config), mongoSpec(config), ...(usesLocalPostgres(config) ? [postgresSpec(config)] : [])];
  for (const spec of specs) if (await stopService(spec)) stopped.push(spec.name);
  return stopped;
}

export async function localServicesStatus(config: AppConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of [...(usesLocalPostgres(config) ? [postgresSpec(config)] : []), mongoSpec(config), redisSpec(config)]) {
    const s = await serviceStatus(spec);
    out[spec.name] = `${s.running ? 'up' : 'down'} on 127.0.0.1:${spec.port}${s.ownPid ? ` (pid ${s.ownPid})` : ''}`;
  }
  return out;
}
