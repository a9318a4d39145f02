import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@glimpse/config';
import { postgresBinDir, postgresSpec } from './postgres-cluster.js';
import { mongoSpec } from './local-services.js';

describe('postgres cluster spec', () => {
  it('finds the newest Debian version of the server programs, unless a directory is named', () => {
    const root = mkdtempSync(join(tmpdir(), 'glimpse-pgbin-'));
    try {
      for (const v of ['9.6', '15', '13']) {
        mkdirSync(join(root, v, 'bin'), { recursive: true });
        writeFileSync(join(root, v, 'bin', 'initdb'), '');
      }
      const config = loadConfig({ PATH: '/nonexistent' });
      assert.equal(postgresBinDir(config, root), join(root, '15', 'bin'));
      assert.equal(postgresBinDir(loadConfig({ PATH: '/nonexistent', GLIMPSE_POSTGRES_BIN_DIR: '/opt/pg/bin' }), root), '/opt/pg/bin');
      assert.equal(postgresBinDir(config, join(root, 'none')), undefined);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('runs FerretDB on the local cluster, on the private ports configured, and SQLite when asked', () => {
    const env = { PATH: '/nonexistent', GLIMPSE_FERRETDB_BIN: process.execPath, GLIMPSE_LOCAL_POSTGRES_PORT: '25999', GLIMPSE_DATA_DIR: '/tmp/g' };
    const ferret = mongoSpec(loadConfig(env));
    assert.ok(ferret.args.includes('--handler=postgresql'));
    assert.ok(ferret.args.includes('--postgresql-url=postgres://postgres@127.0.0.1:25999/ferretdb'), ferret.args.join(' '));
    assert.equal(ferret.env?.GOGC, process.env.GOGC ?? '400', 'FerretDB collects garbage less often than Go\'s default');
    const sqlite = mongoSpec(loadConfig({ ...env, GLIMPSE_FERRETDB_BACKEND: 'sqlite' }));
    assert.ok(sqlite.args.includes('--handler=sqlite'));
    assert.equal(loadConfig({}).mongo.localPostgresPort, 28117);
    assert.equal(loadConfig({ GLIMPSE_LOCAL_MONGO_PORT: '27201' }).mongo.localPostgresPort, 28201, 'beside its own FerretDB');
    assert.equal(loadConfig({ GLIMPSE_LOCAL_MONGO_PORT: '65000' }).mongo.localPostgresPort, 64000);
    assert.equal(loadConfig({ GLIMPSE_LOCAL_MONGO_PORT: '27201', GLIMPSE_LOCAL_POSTGRES_PORT: '25999' }).mongo.localPostgresPort, 25999);
    if (postgresBinDir(loadConfig({}))) {
      const pg = postgresSpec(loadConfig(env));
      assert.equal(pg.port, 25999);
      assert.ok(pg.args.includes('listen_addresses=127.0.0.1') && pg.args.includes('port=25999'));
      assert.equal(pg.dir, '/tmp/g/services/postgres');
    }
  });
});
