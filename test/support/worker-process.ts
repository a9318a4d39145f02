import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppConfig } from '@glimpse/config';

const entryOf = (app: 'api' | 'worker') => resolve(import.meta.dirname, '..', '..', 'apps', app, 'src', 'main.js');
/** The node flags of the npm start scripts (package.json `config.node_flags`). */
const NODE_FLAGS = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { config: { node_flags: string } }
).config.node_flags.split(/\s+/);

/**
 * The environment of a worker process on the same MongoDB database, Redis queue prefix and data directory as
 * `config` (the in-process API's), plus `settings` (which the API's configuration should have too).
 */
export function workerEnv(config: Pick<AppConfig, 'mongo' | 'redis' | 'queue' | 'dataDir'>, settings: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    MONGODB_URI: config.mongo.uri!,
    REDIS_URL: config.redis.url!,
    ...(config.mongo.postgresUrl ? { GLIMPSE_FERRETDB_POSTGRES_URL: config.mongo.postgresUrl } : {}),
    GLIMPSE_QUEUE_PREFIX: config.queue.prefix,
    GLIMPSE_DATA_DIR: config.dataDir,
    LOG_LEVEL: 'warn',
    ...settings,
  };
}

/**
 * A real worker process (apps/worker/src/main.js of this build, with the node flags `npm run start:worker` uses)
 * with exactly `env`; its stderr is passed through.
 */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, entryOf('worker')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A real API process (apps/api/src/main.js, as `npm run start:api`; with its node's cache jobs when it has a cache). */
export function spawnApi(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, entryOf('api')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Sends `signal` to a worker process (if still running; SIGKILL 10 s later) and resolves once it has exited. */
export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
