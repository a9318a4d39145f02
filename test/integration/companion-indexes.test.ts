import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { CompanionIndexes, EQUALITY_KEYS, ORDERED_KEYS, STATUS_KEYS } from '@glimpse/persistence';
import { planNodes } from '../support/ferretdb-plans.js';
import { isFerretdb, isFerretdbOnPostgres } from '../support/ferretdb-backend.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { type OwnServices, startOwnServices } from '../support/own-services.js';
import { testTempDir } from '../support/temp-dir.js';
import { testConfig } from '../support/test-config.js';

type Json = Record<string, unknown>;


/**
 * The companion GIN indexes on FerretDB's PostgreSQL tables: made at start for every equality key, once, and
 * used by PostgreSQL for the queries FerretDB pushes down. Without the embedded FerretDB/PostgreSQL (a MongoDB,
 * or FerretDB on SQLite) the service says why it did nothing.
 */
describe('companion indexes under FerretDB on PostgreSQL', () => {
  const config = testConfig();
  let api: RunningApi;
  let connection: Connection;
  let ferretdbOnPostgres = false;

  before(async () => {
    api = await startApi(config);
    connection = api.app.get<Connection>(getConnectionToken());
    ferretdbOnPostgres = await isFerretdbOnPostgres(connection, config.mongo.postgresUrl);
  });
  after(() => api?.close());

  it('made one GIN jsonb_path_ops index per equality key and a btree per ordered key at start, and a second run makes none', async (t) => {
    const report = await api.app.get(CompanionIndexes).ensure();
    if (!ferretdbOnPostgres) {
      assert.match(report.skipped ?? '', /not FerretDB|without GLIMPSE_FERRETDB_POSTGRES_URL|SQLite/);
      return t.skip('not FerretDB on PostgreSQL');
    }
    assert.equal(report.skipped, undefined);
    assert.deepEqual(report.created, [], 'the start made them all');
    const keys = Object.values(EQUALITY_KEYS).reduce((n, k) => n + k.length, 0);
    const ordered = Object.values(ORDERED_KEYS).reduce((n, k) => n + k.length, 0);
    const partial = Object.values(STATUS_KEYS).flat();
    const partialGin = partial.length;
    const partialBtree = partial.filter((p) => p.ordered).length;
    assert.equal(report.present, keys + ordered + partialGin + partialBtree);
    const client = new pg.Client({ connectionString: config.mongo.postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%jsonb_path_ops%'`,
        [config.mongo.dbName],
      );
      assert.equal(rows.length, keys + partialGin);
      assert.ok(rows.some((r) => /USING gin \(+_jsonb -> '_id'::text\)+ jsonb_path_ops\)/.test(r.indexdef)), rows[0]?.indexdef);
      // The btrees the minute census reads, on the images' table.
      const btree = await client.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE '%\\_o\\_created%' ORDER BY indexname`,
        [config.mongo.dbName],
      );
      assert.equal(btree.rows.length, 2);
      assert.match(btree.rows[0]!.indexdef, /USING btree \(+_jsonb -> 'createdMinute'::text\)+$/);
      assert.match(btree.rows[1]!.indexdef, /USING btree \(+_jsonb -> 'createdSecond'::text\)+$/);
      // The reaper's partial indexes: only over the records of their status.
      const partials = await client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%WHERE%'`, [config.mongo.dbName]);
      assert.equal(partials.rows.length, partialGin + partialBtree);
      assert.ok(partials.rows.some((r) => /USING gin \(+_jsonb -> 'holdsData'::text\)+ jsonb_path_ops\) WHERE \(+_jsonb -> 'status'::text\) @> '"deleted"'::jsonb\)$/.test(r.indexdef)),
        partials.rows.map((r) => r.indexdef).join('\n'));
      const mode = await client.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
      assert.equal(mode.rows[0]!.plan_cache_mode, 'force_custom_plan');
      // The write locks' table is unlogged (made so at start; the second run had nothing to do), the images' is not.
      assert.deepEqual(report.unlogged, []);
      const persistence = await client.query<{ collection: string; relpersistence: string }>(
        `SELECT m._jsonb->>'_id' AS collection, c.relpersistence FROM ${config.mongo.dbName}._ferretdb_database_metadata m
           JOIN pg_class c ON c.relname = m._jsonb->>'table' JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $1
          WHERE m._jsonb->>'_id' = ANY($2)`,
        [config.mongo.dbName, ['write_locks', 'images']],
      );
      assert.deepEqual(Object.fromEntries(persistence.rows.map((r) => [r.collection, r.relpersistence])), { write_locks: 'u', images: 'p' });
    } finally {
      await client.end();
    }
  });

  it('PostgreSQL answers a by-id lookup, a tag and an owner equality through them, not a Seq Scan', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('not FerretDB on PostgreSQL');
    const images = connection.db!.collection<{ _id: string }>('images');
    const records = Array.from({ length: 3000 }, (_, i) => imageRecord({ owner: `p${i % 300}`, tags: i % 100 ? ['common'] : ['rare'] }));
    await insertImageRecords(images, records.length, (i) => records[i]!, 1000);
    const client = new pg.Client({ connectionString: config.mongo.postgresUrl });
    await client.connect();
    const { rows } = await client.query<{ t: string }>(
      `SELECT _jsonb->>'table' AS t FROM "${config.mongo.dbName}"._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'images'`,
    );
    await client.query(`ANALYZE "${config.mongo.dbName}"."${rows[0]!.t}"`);
    await client.end();
    for (const filter of [{ _id: records[1234]!._id }, { tags: 'rare' }, { owner: 'p7', status: 'active' }]) {
      const plan = (await images.find(filter).explain()) as Json;
      assert.equal(plan.filterPushdown, true, JSON.stringify(filter));
      const nodes = planNodes(plan.queryPlanner).map((n) => `${String(n['Node Type'])} ${String(n['Index Name'] ?? '')}`);
      assert.ok(nodes.some((n) => /Index|Bitmap/.test(n) && /_g_/.test(n)), `${JSON.stringify(filter)}: ${nodes.join(' > ')}`);
    }
    assert.equal((await images.findOne({ _id: records[1234]!._id }))?._id, records[1234]!._id);
  });

  it('says so and goes on when the PostgreSQL database does not have the layout it expects', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('not FerretDB on PostgreSQL');
    // The cluster's `postgres` database has no schema of this test's database: not FerretDB's layout there.
    const elsewhere = config.mongo.postgresUrl!.replace(/\/[^/]+$/, '/postgres');
    const service = new CompanionIndexes(connection, { ...config.mongo, postgresUrl: elsewhere });
    const report = await service.ensure();
    assert.match(report.skipped ?? '', /unknown FerretDB layout/);
    assert.deepEqual(report.created, []);
  });
});

/**
 * FerretDB on SQLite pushes down only `{ _id }`, compared as `_ferretdb_sjson->'$._id'`, which its own unique index
 * (on `_ferretdb_sjson->"_id"`) does not serve: the start adds an index on that expression, and SQLite's plan for a
 * by-id lookup searches it instead of scanning the table. A FerretDB of the test's own on SQLite files.
 */
describe('the _id index under FerretDB on SQLite', () => {
  let own: OwnServices;
  let api: RunningApi;
  let connection: Connection;
  let ferretdb = false;

  before(async () => {
    const dir = testTempDir('glimpse-sqlite-');
    own = await startOwnServices(dir, { GLIMPSE_FERRETDB_BACKEND: 'sqlite' });
    const { mongo, redis } = own.services.config;
    const config = testConfig({ GLIMPSE_DATA_DIR: dir, REDIS_URL: redis.url, GLIMPSE_FERRETDB_POSTGRES_URL: undefined, GLIMPSE_FERRETDB_SQLITE_DIR: mongo.sqliteDir });
    api = await startApi({ ...config, mongo: { ...config.mongo, uri: mongo.uri!.replace(/\/[^/?]*$/, `/${config.mongo.dbName}`) } });
    connection = api.app.get<Connection>(getConnectionToken());
    ferretdb = await isFerretdb(connection);
  });
  after(async () => {
    // The servers first: closing the API removes its data directory, where their pid files are (stopped after it,
    // they outlived every run).
    await own?.stop();
    await api?.close({ dropDatabase: false }).catch(() => undefined);
  });

  it('made the index at start, a second run makes none, and a by-id find searches it', async (t) => {
    if (!ferretdb) return t.skip('mongod is installed: no FerretDB on SQLite');
    const report = await api.app.get(CompanionIndexes).ensure();
    assert.equal(report.skipped, undefined);
    assert.deepEqual(report.created, [], 'the start made them all');
    assert.equal(report.present, Object.keys(EQUALITY_KEYS).length);
    const images = connection.db!.collection<{ _id: string }>('images');
    const records = Array.from({ length: 2000 }, () => imageRecord());
    await insertImageRecords(images, records.length, (i) => records[i]!, 1000);
    const plan = (await images.find({ _id: records[1234]!._id }).explain()) as Json;
    assert.equal(plan.filterPushdown, true);
    const steps = JSON.stringify((plan.queryPlanner as Json).Plan);
    assert.match(steps, /SEARCH \S+ USING INDEX \S+_g__id/, steps);
    assert.equal((await images.findOne({ _id: records[1234]!._id }))?._id, records[1234]!._id);
  });
});
