import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig, ResolvedConfig } from '@glimpse/config';
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

/** The MongoDB-compatible server: mongod when installed, else FerretDB on SQLite. */
export function mongoSpec(config: AppConfig): ServiceSpec {
  const dir = join(config.dataDir, 'services', 'mongo');
  const port = config.mongo.localPort;
  const mongod = findExecutable('mongod', config.tools.mongod, config.tools.searchPath);
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
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=warn',
    ],
  };
}

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
  if (!config.mongo.uri) specs.push(mongoSpec(config));
  if (!config.redis.url) specs.push(redisSpec(config));
  const started: ServiceSpec[] = [];
  for (const spec of specs) if (await startService(spec)) started.push(spec);
  return {
    config: {
      ...config,
      mongo: { ...config.mongo, uri: config.mongo.uri ?? `mongodb://127.0.0.1:${config.mongo.localPort}/${config.mongo.dbName}` },
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
  for (const spec of [redisSpec(config), mongoSpec(config)]) if (await stopService(spec)) stopped.push(spec.name);
  return stopped;
}

export async function localServicesStatus(config: AppConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of [mongoSpec(config), redisSpec(config)]) {
    const s = await serviceStatus(spec);
    out[spec.name] = `${s.running ? 'up' : 'down'} on 127.0.0.1:${spec.port}${s.ownPid ? ` (pid ${s.ownPid})` : ''}`;
  }
  return out;
}
