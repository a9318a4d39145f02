import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppConfig } from '@glimpse/config';
import type { ServiceSpec } from './service-process.js';

const run = promisify(execFile);

/** The database FerretDB keeps its data in, inside the cluster. */
export const FERRETDB_DATABASE = 'ferretdb';
/** The cluster's superuser (Debian's package creates a system user of this name). */
const SUPERUSER = 'postgres';

/** Where the cluster lives: `<data dir>/services/postgres`, the cluster itself in `data/` below it. */
export function postgresDir(config: AppConfig): string {
  return join(config.dataDir, 'services', 'postgres');
}

/** The local cluster's URL of FerretDB's database (trust authentication, loopback only). */
export function localPostgresUrl(config: AppConfig): string {
  return `postgres://${SUPERUSER}@127.0.0.1:${config.mongo.localPostgresPort}/${FERRETDB_DATABASE}`;
}

/**
 * The directory of PostgreSQL's server programs: GLIMPSE_POSTGRES_BIN_DIR, else the one on PATH that has
 * `initdb`, else the newest of Debian's /usr/lib/postgresql/<version>/bin.
 */
export function postgresBinDir(config: AppConfig, debianRoot = '/usr/lib/postgresql'): string | undefined {
  if (config.tools.postgresBinDir) return config.tools.postgresBinDir;
  const onPath = config.tools.searchPath.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (onPath) return onPath;
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot).filter((v) => existsSync(join(debianRoot, v, 'bin', 'initdb')));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? join(debianRoot, versions[0]!, 'bin') : undefined;
}

/** The user the server runs as: this process's, unless it is root (PostgreSQL refuses), then `postgres`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${SUPERUSER}:`));
  if (!line) throw new Error(`PostgreSQL cannot run as root and there is no '${SUPERUSER}' user: install Debian's postgresql package or set MONGODB_URI`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A new cluster in `<dir>/data`: initdb (superuser `postgres`, trust on loopback only, UTF-8), then the database
 * FerretDB uses, made in single-user mode before the server ever listens. Built in `data.new` and renamed, so a
 * cluster that exists is always complete.
 */
async function initCluster(bin: string, dir: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  const data = join(dir, 'data');
  if (existsSync(join(data, 'PG_VERSION'))) return;
  const fresh = join(dir, 'data.new');
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { mode: 0o700 });
  if (user) chownSync(fresh, user.uid, user.gid);
  const as = { ...user, cwd: fresh, env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  try {
    await run(join(bin, 'initdb'), ['-D', fresh, '-U', SUPERUSER, '-E', 'UTF8', '--locale=C.UTF-8', '--auth=trust', '--no-instructions'], as);
    await new Promise<void>((resolve, reject) => {
      const child = execFile(join(bin, 'postgres'), ['--single', '-D', fresh, '-j', 'postgres'], as, (err, _out, stderr) =>
        err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(),
      );
      child.stdin!.end(`CREATE DATABASE ${FERRETDB_DATABASE};\n`);
    });
  } catch (err) {
    const reachable = user ? ` (the user '${SUPERUSER}' must be able to enter every folder above ${dir})` : '';
    throw new Error(`could not create the PostgreSQL cluster in ${fresh}${reachable}: ${(err as Error).message}`);
  }
  rmSync(data, { recursive: true, force: true });
  renameSync(fresh, data);
}

/**
 * The PostgreSQL cluster under the local FerretDB (GLIMPSE_FERRETDB_BACKEND=postgresql): the server itself, run
 * as `postgres` when this process is root, on 127.0.0.1:GLIMPSE_LOCAL_POSTGRES_PORT only (no Unix socket),
 * created on first start. Stopped with SIGINT (PostgreSQL's fast shutdown).
 */
export function postgresSpec(config: AppConfig): ServiceSpec {
  const bin = postgresBinDir(config);
  if (!bin) {
    throw new Error('PostgreSQL was not found (GLIMPSE_POSTGRES_BIN_DIR, PATH, /usr/lib/postgresql/*/bin): install Debian\'s postgresql package, or set GLIMPSE_FERRETDB_BACKEND=sqlite or MONGODB_URI');
  }
  const dir = postgresDir(config);
  const port = config.mongo.localPostgresPort;
  const user = serverUser();
  return {
    name: 'postgres',
    port,
    dir,
    command: join(bin, 'postgres'),
    args: [
      '-D', join(dir, 'data'),
      '-c', `port=${port}`,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // FerretDB binds every value as a parameter: plan each query with its values, so the companion indexes are
      // chosen whenever they are selective (a generic plan would not know).
      '-c', 'plan_cache_mode=force_custom_plan',
      '-c', 'max_connections=200',
    ],
    user,
    prepare: () => initCluster(bin, dir, user),
    stopSignal: 'SIGINT',
    stopGraceMs: 60_000,
  };
}
