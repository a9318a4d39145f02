import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import pg from 'pg';
import { type Image, ImageStatus } from '@glimpse/domain';
import { AtomicUpdates, DatabaseServer, ImageDoc, ImageIdTombstoneRepository, ImageRepository, MinuteCensus, type ReapCutoffs } from '@glimpse/persistence';
import { planNodes } from '../support/ferretdb-plans.js';
import { isFerretdbOnPostgres } from '../support/ferretdb-backend.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords, withDerivedKeys } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

type Json = Record<string, unknown>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;


/**
 * The reaper's candidates (ImageRepository.streamReapCandidates): under FerretDB on PostgreSQL found by the derived
 * keys `holdsData`, `deletedMinute` and `updatedMinute` through partial indexes and the minute census, without it by
 * the time limits on every record of a status. Either way exactly the records the plain filter names, each once, for
 * records seeded whole and records that reached their state through the repository's updates.
 */
describe('reaper candidates', () => {
  const config = testConfig();
  let api: RunningApi;
  let connection: Connection;
  let ferretdbOnPostgres = false;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const cut: ReapCutoffs = { deletedBefore: new Date(now - 30 * DAY), pendingDeleteBefore: new Date(now - HOUR), killedBefore: new Date(now - HOUR) };
  const plain = {
    $or: [
      { status: 'deleted', locations: { $ne: [] } },
      { status: 'deleted', deletedAt: { $lte: cut.deletedBefore } },
      { status: 'pending_delete', deletedAt: { $lte: cut.pendingDeleteBefore } },
      { status: 'killed', updatedAt: { $lte: cut.killedBefore } },
    ],
  };

  before(async () => {
    api = await startApi(config);
    connection = api.app.get<Connection>(getConnectionToken());
    ferretdbOnPostgres = await isFerretdbOnPostgres(connection, config.mongo.postgresUrl);
    const images = connection.db!.collection<ImageDoc>('images');
    // Times on both sides of each cut-off, some in the cut-off's own minute (that minute is read, then filtered).
    const around = (limit: Date) => [-40 * DAY, -2 * DAY, -HOUR, -MINUTE, -1000, 0, 1000, MINUTE, HOUR, 2 * DAY].map((d) => new Date(limit.getTime() + d));
    const statuses = ['deleted', 'pending_delete', 'killed', 'active', 'queued', 'deactivated', 'uploading'] as const;
    const records: ImageDoc[] = [];
    let n = 0;
    for (const status of statuses) {
      for (const at of [...around(cut.deletedBefore), ...around(cut.pendingDeleteBefore), null]) {
        for (const data of [false, true]) {
          const i = n++;
          const updatedAt = at ?? new Date(now - (i % 7) * HOUR);
          records.push(withDerivedKeys({
            ...imageRecord({ status, createdAt: new Date(now - 50 * DAY), updatedAt, deletedAt: ['deleted', 'pending_delete'].includes(status) ? at : null }),
            locations: data ? [{ url: `file:///nowhere/${i}`, store: 'local', metadata: {}, status: 'active' }] : [],
          }));
        }
      }
    }
    // Filler, so PostgreSQL's plans are not those of a tiny table.
    for (let i = 0; i < 3000; i++) records.push(imageRecord({ status: i % 3 ? 'active' : 'deleted', deletedAt: i % 3 ? null : new Date(now - DAY) }));
    await insertImageRecords(images, records.length, (i) => records[i]!, 1000);
    if (ferretdbOnPostgres) {
      const client = new pg.Client({ connectionString: config.mongo.postgresUrl });
      await client.connect();
      const { rows } = await client.query<{ t: string }>(`SELECT _jsonb->>'table' AS t FROM "${config.mongo.dbName}"._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'images'`);
      await client.query(`ANALYZE "${config.mongo.dbName}"."${rows[0]!.t}"`);
      await client.end();
    }
  });
  after(() => api?.close());

  const expected = async () => {
    const ids: string[] = [];
    for await (const doc of connection.db!.collection<ImageDoc>('images').find(plain, { projection: { _id: 1 } })) ids.push(doc._id);
    return ids.sort();
  };
  const found = async (repository: ImageRepository) => {
    const ids: string[] = [];
    for await (const c of repository.streamReapCandidates(cut)) ids.push(c.id);
    return ids.sort();
  };
  /** The repository as the app has it, and one whose census cannot tell (no PostgreSQL known). */
  const repositories = () => {
    const app = api.app;
    const blind = new MinuteCensus(connection, { ...config.mongo, postgresUrl: undefined });
    const without = new ImageRepository(app.get(getModelToken(ImageDoc.name)), app.get(AtomicUpdates), app.get(DatabaseServer), app.get(ImageIdTombstoneRepository), blind);
    return { withCensus: app.get(ImageRepository), without };
  };

  it('are exactly what the plain filter finds, each once, with the census and without', async () => {
    const want = await expected();
    assert.ok(want.length > 40, `the seeding made candidates (${want.length})`);
    const { withCensus, without } = repositories();
    const a = await found(withCensus);
    assert.equal(new Set(a).size, a.length, 'no candidate twice');
    assert.deepEqual(a, want);
    assert.deepEqual(await found(without), want);
  });

  it('follow the repository’s updates: data given and removed, deleted, killed, back and forth', async () => {
    const repository = api.app.get(ImageRepository);
    const base: Omit<Image, 'id' | 'status' | 'createdAt' | 'updatedAt'> = {
      name: null, visibility: 'private', protected: false, osHidden: false, checksum: null, osHashAlgo: null, osHashValue: null, owner: 'p-reap', size: null,
      virtualSize: null, minDisk: 0, minRam: 0, containerFormat: 'bare', diskFormat: 'raw', deletedAt: null, tags: [], properties: {}, locations: [], rev: 0,
    };
    const make = async (fields: Partial<Image> & { status: ImageStatus }) =>
      repository.create({ ...base, ...fields, id: crypto.randomUUID(), createdAt: new Date(now - 40 * DAY), updatedAt: new Date(now - 40 * DAY) });
    const location = { url: 'file:///nowhere/x', store: 'local', metadata: {}, status: 'active' as const };
    // Given data while active, then deleted by a status change alone: a candidate (it holds data).
    const a = await make({ status: ImageStatus.Queued });
    await repository.update(a.id, {}, { status: ImageStatus.Active, locations: [location] });
    await repository.update(a.id, {}, { status: ImageStatus.Deleted, deletedAt: new Date(now - DAY) });
    // Deleted with data, then its data removed (the reaper's step): not a candidate (within retention).
    const b = await make({ status: ImageStatus.Active, locations: [location] });
    await repository.update(b.id, {}, { status: ImageStatus.Deleted, deletedAt: new Date(now - DAY) });
    await repository.update(b.id, { status: ImageStatus.Deleted }, { locations: [] });
    // pending_delete past scrub time, then made deleted by the reaper keeping its deletedAt, past retention: a candidate.
    const c = await make({ status: ImageStatus.Active });
    await repository.update(c.id, {}, { status: ImageStatus.PendingDelete, deletedAt: new Date(now - 31 * DAY) });
    await repository.update(c.id, {}, { status: ImageStatus.Deleted });
    // Killed by an update long ago: a candidate; killed just now: not.
    const d = await make({ status: ImageStatus.Saving });
    await repository.update(d.id, {}, { status: ImageStatus.Killed, updatedAt: new Date(now - 2 * HOUR) });
    const e = await make({ status: ImageStatus.Saving });
    await repository.update(e.id, {}, { status: ImageStatus.Killed });
    const want = await expected();
    for (const [id, is] of [[a.id, true], [b.id, false], [c.id, true], [d.id, true], [e.id, false]] as const) assert.equal(want.includes(id), is, id);
    const { withCensus, without } = repositories();
    assert.deepEqual(await found(withCensus), want);
    assert.deepEqual(await found(without), want);
  });

  it('are read through partial indexes and the census’s btree under FerretDB on PostgreSQL, not a Seq Scan', async (t) => {
    if (!ferretdbOnPostgres) return t.skip('the partial indexes and the census are FerretDB-on-PostgreSQL’s');
    const census = api.app.get(MinuteCensus);
    const minute = Math.floor(now / MINUTE);
    for (const [status, key] of [['deleted', 'deletedMinute'], ['pending_delete', 'deletedMinute'], ['killed', 'updatedMinute']] as const) {
      assert.ok(await census.statusMinutesBelow(status, key, minute, 10), `${status}: the census answers`);
      const plan = (await census.plan(minute, 10, { status, key }))!.join('\n');
      assert.match(plan, new RegExp(`Index (Only )?Scan Backward using \\S+_o_${key.toLowerCase()}_${status}_`), plan);
      assert.doesNotMatch(plan, /Seq Scan/, plan);
    }
    const images = connection.db!.collection('images');
    const pushed = [
      [{ status: 'deleted', holdsData: true }, /_g_holdsdata_deleted_/],
      [{ status: 'deleted', deletedMinute: Math.floor(cut.deletedBefore.getTime() / MINUTE) }, /_g_deletedminute_deleted_/],
      [{ status: 'killed', updatedMinute: Math.floor(cut.killedBefore.getTime() / MINUTE) }, /_g_updatedminute_killed_/],
    ] as const;
    for (const [filter, index] of pushed) {
      const plan = (await images.find(filter).explain()) as Json;
      assert.equal(plan.filterPushdown, true, JSON.stringify(filter));
      const nodes = planNodes(plan.queryPlanner).map((n) => `${String(n['Node Type'])} ${String(n['Index Name'] ?? '')}`);
      assert.ok(nodes.some((n) => index.test(n)), `${JSON.stringify(filter)}: ${nodes.join(' > ')}`);
    }
  });
});
