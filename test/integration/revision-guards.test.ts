import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import type { Connection, Model } from 'mongoose';
import { AtomicUpdates, CompanionIndexes, ImageDoc, isStaleRevision, REVISION_GUARDED, RevisionGuards } from '@glimpse/persistence';
import { isFerretdbOnPostgres } from '../support/ferretdb-backend.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/**
 * The revision guard on FerretDB's PostgreSQL backend (libs/persistence/src/ferretdb/revision-guards.ts): FerretDB
 * 1.24 reads a document, applies an update and writes the whole document back by _id, so of racing writers all
 * "win" and all but the last are lost; the trigger refuses a write-back whose rev is not above the stored one,
 * which makes each rev-bumping update a compare-and-set without a lock record.
 */
describe('revision guards under FerretDB on PostgreSQL', () => {
  const config = testConfig();
  let api: RunningApi;
  let connection: Connection;
  let guarded = false;

  before(async () => {
    api = await startApi(config);
    connection = api.app.get<Connection>(getConnectionToken());
    guarded = await isFerretdbOnPostgres(connection, config.mongo.postgresUrl);
  });
  after(() => api?.close());

  it('images and quota ledgers carry the guard from the start, and a second run adds none', async (t) => {
    const guards = api.app.get(RevisionGuards);
    if (!guarded) {
      assert.ok(REVISION_GUARDED.every((c) => !guards.covers(c)), 'no guard where the server is not FerretDB on PostgreSQL');
      return t.skip('not FerretDB on PostgreSQL');
    }
    for (const c of REVISION_GUARDED) assert.ok(guards.covers(c), c);
    const report = await api.app.get(CompanionIndexes).ensure();
    assert.deepEqual([...(report.guarded ?? [])].sort(), [...REVISION_GUARDED].sort());
    assert.deepEqual(report.guardsCreated, []);
  });

  it('of racing write-backs of one revision exactly one lands: every update that answered is in the record', async (t) => {
    if (!guarded) return t.skip('not FerretDB on PostgreSQL');
    const images = connection.db!.collection<ImageDoc>('images');
    const record = imageRecord();
    await images.insertOne(record);
    let answered = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          // The bare driver: FerretDB's findAndModify with no lock record around it.
          await images.findOneAndUpdate({ _id: record._id }, { $inc: { rev: 1, minRam: 1 } }).then(
            () => answered++,
            (err: unknown) => {
              assert.ok(isStaleRevision(err), String(err));
              refused++;
            },
          );
        }
      }),
    );
    const stored = await images.findOne({ _id: record._id });
    // Without the guard every one of the 200 answers and the record keeps far fewer (the rest were written over).
    assert.equal(answered + refused, 200);
    assert.equal(stored?.rev, answered, `${answered} answered, ${refused} refused`);
    assert.equal(stored?.minRam, answered);
  });

  it('refuses a write of an image that does not bump its rev, in the database and in AtomicUpdates', async (t) => {
    const model = api.app.get<Model<ImageDoc>>(getModelToken(ImageDoc.name));
    const record = imageRecord();
    await model.collection.insertOne(record as never);
    // Every mode: a write that would be refused on FerretDB fails the same way everywhere.
    await assert.rejects(api.app.get(AtomicUpdates).findOneAndUpdate(model, record._id, {}, { $set: { name: 'x' } }), /must bump rev/);
    if (!guarded) return t.skip('not FerretDB on PostgreSQL');
    await assert.rejects(model.collection.updateOne({ _id: record._id } as never, { $set: { name: 'x' } }), (err: unknown) => isStaleRevision(err));
    assert.equal((await model.collection.findOne({ _id: record._id } as never))?.name, null);
  });

  it('AtomicUpdates writes a guarded collection without lock records: of racing conditional updates in three processes one wins', async (t) => {
    if (!guarded) return t.skip('not FerretDB on PostgreSQL');
    const model = api.app.get<Model<ImageDoc>>(getModelToken(ImageDoc.name));
    const guards = api.app.get(RevisionGuards);
    // Three instances, as three processes: writers of one instance take turns in it, those of others race.
    const processes = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const updates = new AtomicUpdates(connection, { ...config.mongo, writeMode: 'auto' }, guards);
        await updates.onModuleInit();
        return updates;
      }),
    );
    const locks = connection.db!.collection<{ _id: string; token: string; at: Date }>('write_locks');
    for (let round = 0; round < 15; round++) {
      const record = imageRecord({ status: 'queued' });
      await model.collection.insertOne(record as never);
      // A lock record of another (live) writer: lock-mode writers would wait for it and, once stale, remove it.
      await locks.insertOne({ _id: `images:${record._id}`, token: 'someone-else', at: new Date() });
      const results = await Promise.all(
        ['saving', 'uploading', 'importing', 'saving', 'deleted', 'uploading'].map((to, i) =>
          processes[i % 3]!.findOneAndUpdate(model, record._id, { status: 'queued' }, { $set: { status: to }, $inc: { rev: 1 } }),
        ),
      );
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
      const stored = await model.collection.findOne({ _id: record._id } as never);
      assert.equal(stored?.status, winners[0]!.status);
      assert.equal(stored?.rev, 1);
      assert.equal((await locks.findOne({ _id: `images:${record._id}` }))?.token, 'someone-else', 'the lock record was neither waited for nor broken');
    }
  });
});
