import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mongoose from 'mongoose';
import { AtomicUpdates } from '@glimpse/persistence';
import { testConfig } from '../support/test-config.js';

function probeModel(connection: mongoose.Connection) {
  const schema = new mongoose.Schema({
    name: { type: String, required: true },
    status: { type: String, required: true },
    size: Number,
    tags: [String],
    createdAt: { type: Date, default: () => new Date() },
  });
  schema.index({ name: 1 }, { unique: true });
  schema.index({ status: 1, createdAt: -1, _id: -1 });
  return connection.model('Probe', schema);
}

/**
 * The MongoDB features Glimpse relies on, checked against the server the suite runs on (FerretDB 1.24 here,
 * MongoDB 6+ in production): unique and compound indexes, inserts, filtered and sorted finds, the
 * compare-and-set findOneAndUpdate every status change uses, and counts.
 */
describe('MongoDB-compatible server (mongoose round trip)', () => {
  const config = testConfig();
  let connection: mongoose.Connection;
  let Probe: ReturnType<typeof probeModel>;

  before(async () => {
    connection = await mongoose.createConnection(config.mongo.uri, { dbName: config.mongo.dbName }).asPromise();
    Probe = probeModel(connection);
    await Probe.syncIndexes();
  });

  after(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('creates the indexes, unique included', async () => {
    const indexes = await Probe.listIndexes();
    const unique = indexes.find((i) => i.name === 'name_1');
    assert.equal(unique?.unique, true);
    assert.ok(indexes.some((i) => i.name === 'status_1_createdAt_-1__id_-1'));
  });

  it('inserts, refuses a duplicate, finds with filters and sort, and counts', async () => {
    const t0 = Date.now();
    await Probe.create([
      { name: 'a', status: 'queued', size: 1, tags: ['x', 'y'], createdAt: new Date(t0) },
      { name: 'b', status: 'active', size: 5, tags: ['x'], createdAt: new Date(t0 + 1000) },
      { name: 'c', status: 'active', size: 9, tags: ['y'], createdAt: new Date(t0 + 2000) },
    ]);
    await assert.rejects(Probe.create({ name: 'a', status: 'queued' }), (err: { code?: number }) => err.code === 11000);
    const found = await Probe.find({ tags: { $all: ['x'] }, size: { $gte: 1, $lte: 5 } })
      .sort({ createdAt: -1, _id: -1 })
      .lean();
    assert.deepEqual(found.map((d) => d.name), ['b', 'a']);
    const page = await Probe.find({ status: { $in: ['active'] } }).sort({ createdAt: 1 }).limit(1).lean();
    assert.deepEqual(page.map((d) => d.name), ['b']);
    assert.equal(await Probe.countDocuments({ status: 'active' }), 2);
  });

  const writers = async (mode: 'auto' | 'lock', count: number): Promise<AtomicUpdates[]> =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const updates = new AtomicUpdates(connection, { ...config.mongo, writeMode: mode });
        await updates.onModuleInit();
        return updates;
      }),
    );

  for (const mode of ['auto', 'lock'] as const) {
    it(`lets exactly one of many racing compare-and-set updates win (${mode} mode)`, async () => {
      // Three instances, as three processes: writers of one instance take turns in it, those of others race.
      const processes = await writers(mode, 3);
      for (let round = 0; round < 20; round++) {
        const doc = await Probe.create({ name: `race-${mode}-${round}`, status: 'queued' });
        const results = await Promise.all(
          ['saving', 'uploading', 'importing', 'saving', 'deleted', 'uploading'].map((to, i) =>
            processes[i % 3]!.findOneAndUpdate(Probe, doc._id, { status: 'queued' }, { $set: { status: to } }),
          ),
        );
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        assert.equal((await Probe.findById(doc._id).lean())?.status, winners[0]!.status);
      }
    });
  }

  it('never loses one of several concurrent updates to different fields (lock mode)', async () => {
    const processes = await writers('lock', 5);
    const doc = await Probe.create({ name: 'fields', status: 'queued', tags: [] });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => processes[i % 5]!.findOneAndUpdate(Probe, doc._id, {}, { $addToSet: { tags: `t${i}` } })),
    );
    assert.equal((await Probe.findById(doc._id).lean())?.tags.length, 10);
  });
});
