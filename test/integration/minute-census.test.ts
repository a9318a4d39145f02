import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { MinuteCensus } from '@glimpse/persistence';
import { isFerretdbOnPostgres } from '../support/ferretdb-backend.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/**
 * The minute census (MinuteCensus) under FerretDB on PostgreSQL: which creation minutes hold image records, newest
 * first, read from its btree (not a Seq Scan), skipping the empty ones; without a PostgreSQL database it says it
 * cannot tell (undefined), and the listing then queries every minute.
 */
describe('minute census', () => {
  const config = testConfig();
  let api: RunningApi;
  let census: MinuteCensus;
  let ferretdbOnPostgres = false;
  const m = Math.floor(Date.now() / 60_000) - 10;

  before(async () => {
    api = await startApi(config);
    census = api.app.get(MinuteCensus);
    const connection = api.app.get<Connection>(getConnectionToken());
    ferretdbOnPostgres = await isFerretdbOnPostgres(connection, config.mongo.postgresUrl);
    // Three records in minute m, one each in m - 1, m - 5 and m - 100 000 (about ten weeks before); then 3,000 in
    // the 1,000 minutes from m - 200 000 down (enough rows that PostgreSQL's plan is not a scan of a tiny table).
    const minutes = [m, m, m, m - 1, m - 5, m - 100_000, ...Array.from({ length: 3000 }, (_, i) => m - 200_000 - (i % 1000))];
    await insertImageRecords(connection.db!.collection('images'), minutes.length, (i) => imageRecord({ createdAt: new Date(minutes[i]! * 60_000 + (i % 60) * 1000) }), 1000);
  });
  after(() => api?.close());

  it('names the minutes that hold records, newest first, and fewer when there are no more', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the census reads FerretDB’s PostgreSQL tables');
    const minutes = async (below: number, count: number) => (await census.minutesBelow(below, count))?.map((x) => x.minute);
    assert.deepEqual(await minutes(m + 1, 5), [m, m - 1, m - 5, m - 100_000, m - 200_000]);
    assert.deepEqual(await minutes(m, 2), [m - 1, m - 5]);
    assert.deepEqual(await minutes(m - 5, 3), [m - 100_000, m - 200_000, m - 200_001]);
    assert.deepEqual(await minutes(m - 200_998, 4), [m - 200_999]);
    assert.deepEqual(await minutes(m - 200_999, 4), []);
  });

  it('counts each minute’s records up to a bound, and names the seconds of a minute that hold records', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the census reads FerretDB’s PostgreSQL tables');
    // Minute m holds three records, in its seconds 0, 1 and 2; m - 1 one, in its second 3.
    assert.deepEqual(await census.minutesBelow(m + 1, 2, 2), [{ minute: m, records: 2 }, { minute: m - 1, records: 1 }]);
    assert.deepEqual(await census.minutesBelow(m + 1, 2, 10), [{ minute: m, records: 3 }, { minute: m - 1, records: 1 }]);
    assert.deepEqual(await census.minutesBelow(m + 1, 1), [{ minute: m, records: 0 }], 'not counted unless asked');
    const s = m * 60;
    assert.deepEqual(await census.secondsBelow(s + 60, s), [s + 2, s + 1, s]);
    assert.deepEqual(await census.secondsBelow(s + 2, s), [s + 1, s]);
    assert.deepEqual(await census.secondsBelow(s + 3, s, 2), [s + 2, s + 1]);
    assert.deepEqual(await census.secondsBelow(s, s - 60), [s - 60 + 3], 'the minute before: its one record');
    assert.deepEqual(await census.secondsBelow(s - 60, s - 240), []);
  });

  it('reads its btrees', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the census reads FerretDB’s PostgreSQL tables');
    const plan = (await census.plan(m + 1, 10, undefined, 50))!.join('\n');
    assert.match(plan, /Index (Only )?Scan Backward using \S+_o_createdminute_/, plan);
    // The count reads the same btree in order (not a bitmap of the minute's every entry), stopping at the bound.
    assert.match(plan.slice(plan.indexOf('SubPlan')), /Limit.*\n.*Index (Only )?Scan (Backward )?using \S+_o_createdminute_/, `the count: ${plan}`);
    assert.doesNotMatch(plan, /Seq Scan/, plan);
  });

  it('survives the server ending its idle connections (a PostgreSQL restart), and reads again after', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the census reads FerretDB’s PostgreSQL tables');
    assert.ok((await census.minutesBelow(m + 1, 1))?.length, 'a read leaves an idle connection in the pool');
    const admin = new pg.Client({ connectionString: config.mongo.postgresUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'glimpse-minute-census'`);
      assert.ok(rowCount! >= 1, 'the census had a connection to end');
    } finally {
      await admin.end();
    }
    // Without a listener the pool's 'error' would be an uncaught exception here, failing this test.
    await setTimeout(500);
    assert.deepEqual((await census.minutesBelow(m + 1, 2))?.map((x) => x.minute), [m, m - 1]);
  });

  it('cannot tell once its table is gone (the walk then queries every minute)', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the census reads FerretDB’s PostgreSQL tables');
    assert.ok((await census.minutesBelow(m + 1, 1))?.length);
    await api.app.get<Connection>(getConnectionToken()).db!.collection('images').drop();
    assert.equal(await census.minutesBelow(m + 1, 1), undefined);
  });

  it('cannot tell without a PostgreSQL database under FerretDB', async () => {
    const connection = api.app.get<Connection>(getConnectionToken());
    const without = new MinuteCensus(connection, { ...config.mongo, postgresUrl: undefined });
    assert.equal(await without.minutesBelow(m + 1, 10), undefined);
    await without.onModuleDestroy();
  });
});
