import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mongoose from 'mongoose';
import { InsertBatches } from '@glimpse/persistence';
import { testConfig } from '../support/test-config.js';

/**
 * Inserts that come at once share one insertMany (libs/persistence/src/insert-batches.ts), on the suite's server:
 * each caller still gets its own record's outcome.
 */
describe('insert batches', () => {
  const config = testConfig();
  let connection: mongoose.Connection;

  before(async () => {
    connection = await mongoose.createConnection(config.mongo.uri, { dbName: config.mongo.dbName }).asPromise();
  });
  after(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('30 inserts at once: fewer commands than records, each duplicate id refused alone (11000), every other record stored', async () => {
    const records = connection.db!.collection<{ _id: string; n: number }>('batched');
    await records.insertMany([{ _id: 'taken-1', n: -1 }, { _id: 'taken-2', n: -2 }]);
    const batches = new InsertBatches(records);
    const ids = Array.from({ length: 30 }, (_, i) => (i === 7 ? 'taken-1' : i === 21 ? 'taken-2' : `r-${i}`));
    const outcomes = await Promise.all(ids.map((id, n) => batches.insert({ _id: id, n }).then(() => 'ok', (err: { code?: number }) => err.code)));
    assert.deepEqual(outcomes, ids.map((id) => (id.startsWith('taken') ? 11000 : 'ok')));
    assert.equal(batches.sent.records, 30);
    assert.ok(batches.sent.commands < 30, `${batches.sent.commands} commands for 30 records`);
    const stored = await records.find({}).sort({ n: 1 }).toArray();
    assert.deepEqual(stored.map((r) => r._id), ['taken-2', 'taken-1', ...ids.filter((id) => !id.startsWith('taken'))]);
  });

  it('a lone insert is sent at once, by itself', async () => {
    const records = connection.db!.collection<{ _id: string }>('alone');
    const batches = new InsertBatches(records);
    await batches.insert({ _id: 'one' });
    await batches.insert({ _id: 'two' });
    assert.deepEqual(batches.sent, { commands: 2, records: 2 });
    await assert.rejects(batches.insert({ _id: 'one' }), (err: { code?: number }) => err.code === 11000);
  });
});
