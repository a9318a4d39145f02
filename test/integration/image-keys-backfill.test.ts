import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { withImportLock } from '@glimpse/domain';
import { createdBucketsOf, type ImageDoc, ImageKeysBackfill, ImageListing, ImageRepository } from '@glimpse/persistence';
import { parseListQuery } from '../../apps/api/src/images/listing/list-query.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, withDerivedKeys } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

/** Records written before the derived keys existed get them at start-up, once, and are listed again. */
describe('derived image keys for records written before them', () => {
  const config = testConfig();
  let api: RunningApi;

  before(async () => {
    api = await startApi(config);
  });
  after(() => api?.close());

  it('are given their created buckets and import-lock flag, then the pass is marked done', async () => {
    const db = api.app.get<Connection>(getConnectionToken()).db!;
    const old = (fields: Partial<ImageDoc>) => {
      const { createdSecond: _s, createdMinute: _m, createdTenMinutes: _t, createdHour: _h, createdDay: _d, importLocked: _l, holdsData: _x, deletedMinute: _y, updatedMinute: _z, ...rest } =
        withDerivedKeys({ ...imageRecord({ owner: 'p-old', ...fields }), ...fields } as ImageDoc);
      return rest;
    };
    const createdAt = new Date(Date.now() - 5 * 86_400_000);
    const plain = old({ createdAt, updatedAt: createdAt });
    const locked = old({ props: Object.entries(withImportLock({}, 'task-1')).map(([k, v]) => ({ k, v })) });
    const deletedAt = new Date(Date.now() - 86_400_000);
    const gone = old({ status: 'deleted', deletedAt, locations: [{ url: 'file:///nowhere/old', store: 'local', metadata: {}, status: 'active' }] });
    await db.collection('images').insertMany([plain, locked, gone] as never[]);
    await db.collection('schema_state').deleteMany({});
    const listed = async () => (await api.app.get(ImageListing).page(parseListQuery({}, 1000), { projectId: 'p-old', isAdmin: false })).map((i) => i.id);
    // Without its keys, a record is not found by a newest-first page on FerretDB (the walk finds it by bucket).
    await api.app.get(ImageKeysBackfill).onModuleInit();
    const images = db.collection<ImageDoc>('images');
    const a = (await images.findOne({ _id: plain._id }))!;
    assert.deepEqual({ s: a.createdSecond, m: a.createdMinute, t: a.createdTenMinutes, h: a.createdHour, d: a.createdDay, l: a.importLocked }, { ...rename(createdBucketsOf(createdAt)), l: false });
    assert.equal((await images.findOne({ _id: locked._id }))!.importLocked, true);
    // The reaper's keys: data held, the minutes of deletion and of the last update.
    const g = (await images.findOne({ _id: gone._id }))!;
    assert.deepEqual({ h: g.holdsData, d: g.deletedMinute, u: g.updatedMinute }, { h: true, d: Math.floor(deletedAt.getTime() / 60_000), u: Math.floor(gone.updatedAt.getTime() / 60_000) });
    assert.deepEqual({ h: a.holdsData, d: a.deletedMinute, u: a.updatedMinute }, { h: false, d: null, u: Math.floor(createdAt.getTime() / 60_000) });
    assert.ok(await db.collection<{ _id: string }>('schema_state').findOne({ _id: 'images.derived-keys.v5' }));
    assert.deepEqual((await listed()).sort(), [plain._id, locked._id].sort());
    const candidates: string[] = [];
    const day = 86_400_000;
    for await (const c of api.app.get(ImageRepository).streamReapCandidates({ deletedBefore: new Date(Date.now() - 30 * day), pendingDeleteBefore: new Date(), killedBefore: new Date() })) candidates.push(c.id);
    assert.deepEqual(candidates, [gone._id], 'the reaper finds the old deleted record holding data');
  });
});

function rename(b: { createdSecond: number; createdMinute: number; createdTenMinutes: number; createdHour: number; createdDay: number }) {
  return { s: b.createdSecond, m: b.createdMinute, t: b.createdTenMinutes, h: b.createdHour, d: b.createdDay };
}
