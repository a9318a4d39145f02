import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppConfig } from '@glimpse/config';
import { FERRETDB_ENV, findExecutable, startService, stopService } from '@glimpse/local-services';
import { freePort } from '../../test/support/free-port.js';

const run = promisify(execFile);

export interface BenchDatabase {
  /** mongodb:// URI of the server (no database name). */
  uri: string;
  /** The PostgreSQL database under it (companion indexes). */
  postgresUrl: string;
  /** What it is, for the benchmark's output. */
  label: string;
  stop(): Promise<void>;
}

/**
 * FerretDB with its PostgreSQL backend on a fresh PostgreSQL database and a free port, for `GLIMPSE_BENCH_DB=ferretdb-pg`.
 * The PostgreSQL server is `GLIMPSE_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432, which must let
 * `psql` create and drop databases); `GLIMPSE_BENCH_FERRETDB_ARGS` adds flags (e.g. --test-batch-size=1000).
 * `stop()` stops FerretDB and drops the database.
 */
export async function startFerretdbPostgres(config: AppConfig): Promise<BenchDatabase> {
  const command = findExecutable('ferretdb', config.tools.ferretdb, config.tools.searchPath);
  if (!command) throw new Error('ferretdb was not found (PATH, Go bin dir): run scripts/install-ferretdb.sh');
  const server = (process.env.GLIMPSE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/[^/:@]*$/, '');
  const db = `glimpse_bench_${randomBytes(4).toString('hex')}`;
  await run('psql', [`${server}/postgres`, '-qXc', `CREATE DATABASE ${db}`]);
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-ferretdb-'));
  const port = await freePort();
  const spec = {
    name: 'ferretdb',
    port,
    dir,
    command,
    env: FERRETDB_ENV,
    args: [
      '--handler=postgresql',
      `--postgresql-url=${server}/${db}`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=warn',
      ...(process.env.GLIMPSE_BENCH_FERRETDB_ARGS ?? '').split(/\s+/).filter(Boolean),
    ],
  };
  try {
    await startService(spec);
  } catch (err) {
    await run('psql', [`${server}/postgres`, '-qXc', `DROP DATABASE IF EXISTS ${db}`]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    postgresUrl: `${server}/${db}`,
    label: `FerretDB (PostgreSQL database ${db} on ${server.replace(/^postgres(ql)?:\/\/([^@]*@)?/, '')})`,
    async stop() {
      await stopService(spec);
      await run('psql', [`${server}/postgres`, '-qXc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
